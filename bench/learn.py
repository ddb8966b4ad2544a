#!/usr/bin/env python3
"""Train Pong from scratch on the vector env for a bounded time; evaluate against fixed opponents.

One PPO policy (Stable-Baselines3, CPU torch) plays both paddles of every game (self-play, the
SuperSuit layout of :func:`pettingretro.vector.vector_env`). Every ``--eval-every`` minutes the
policy plays, from each side, against a random opponent and against the scripted
:func:`pettingretro.utils.policies.pong_tracker`; after training a longer evaluation gives the
last line::

    win rate vs random: X (N points)

where a *point* is a rally won by either side (one agent's reward +1 and the other's -1, the
score changing); X = points won / points played, the two sides averaged. Serve-clock penalties
(one agent -1 and the other 0) are not rallies and are not counted.

Why Pong from RAM, and these features: on CPU torch a small MLP over a few numbers costs next
to nothing per sample where a CNN over 84x84 frames costs most of the step, so the time goes
into experience; the env observes the console's RAM (``obs_type="ram"``, two stacked frames for velocity) and a thin wrapper keeps the
bytes that hold the ball and both paddles, seen from the row's own side (the second player's
view is mirrored, so one shared policy learns one game, not two).

    PYTHONPATH=. python bench/learn.py --minutes 2            # a quick look
    nice -n 10 python bench/learn.py --minutes 30 --out docs/img/training

Writes ``OUT.csv`` (one row per evaluation; ``train_fps`` is frames emulated per second of
training, each game's frame counted once, evaluations excluded) and ``OUT.png`` (the curve).
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout as well

from pettingretro.utils.policies import points_against, pong_tracker
from pettingretro.vector import vector_env

RAM = 128
#: Pong's RAM: ball x, ball y (0 while no ball is in play), paddles of first_0 and second_0.
BALL_X, BALL_Y, PADDLE_FIRST, PADDLE_SECOND = 0x31, 0x36, 0x33, 0x32
N_FEATURES = 2 * 6 + 3


def env_kwargs(max_cycles: int) -> dict[str, Any]:
    """The env every run trains and evaluates on: RAM, 4 frames a step, 2 frames stacked."""
    return {
        "obs_type": "ram",
        "frameskip": 4,
        "frame_stack": 2,
        "agent_indicator": True,
        "repeat_action_probability": 0.25,
        "max_cycles": max_cycles,
    }


def features(rows: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """Ball and paddles from a batch of vector-env rows ``[ram t-1][ram t][indicators]``.

    Per frame: ball x (mirrored for the second player), ball y, own paddle, other paddle, their
    difference to the ball, scaled to about [-1, 1]; then which side the row plays.
    """
    n = rows.shape[0]
    second = rows[:, 2 * RAM + 1] > 0
    out = np.empty((n, N_FEATURES), np.float32)
    for f in range(2):
        ram = rows[:, f * RAM : (f + 1) * RAM].astype(np.float32)
        bx, by = ram[:, BALL_X], ram[:, BALL_Y]
        p1, p2 = ram[:, PADDLE_FIRST], ram[:, PADDLE_SECOND]
        own = np.where(second, p2, p1)
        other = np.where(second, p1, p2)
        present = by > 0
        out[:, 6 * f + 0] = np.where(second, 255.0 - bx, bx) / 128.0 - 1.0
        out[:, 6 * f + 1] = np.where(present, by / 128.0 - 1.0, 0.0)
        out[:, 6 * f + 2] = own / 128.0 - 1.0
        out[:, 6 * f + 3] = other / 128.0 - 1.0
        out[:, 6 * f + 4] = np.where(present, (by - own) / 64.0, 0.0)
        out[:, 6 * f + 5] = present
    # the ball's velocity, in the row's own frame of reference
    out[:, 12] = np.clip(out[:, 6] - out[:, 0], -0.5, 0.5) * 8.0
    out[:, 13] = np.clip(out[:, 7] - out[:, 1], -0.5, 0.5) * 8.0
    out[:, 14] = np.where(second, 1.0, -1.0)
    return out


def make_train_env(games: int, threads: int, max_cycles: int, seed: int) -> Any:
    """The SB3 vector env: ``games`` games x 2 agents, observations reduced by :func:`features`."""
    import gymnasium
    from stable_baselines3.common.vec_env import VecEnvWrapper, VecMonitor

    from pettingretro.vector.sb3 import SB3VecEnv

    class Features(VecEnvWrapper):  # type: ignore[misc]
        def __init__(self, venv: Any) -> None:
            space = gymnasium.spaces.Box(-2.0, 2.0, (N_FEATURES,), np.float32)
            super().__init__(venv, observation_space=space)

        def reset(self) -> Any:
            return features(self.venv.reset())

        def step_wait(self) -> Any:
            obs, rewards, dones, infos = self.venv.step_wait()
            for i in np.flatnonzero(dones):
                infos[i]["terminal_observation"] = features(infos[i]["terminal_observation"][None])[
                    0
                ]
            return features(obs), rewards, dones, infos

    venv = SB3VecEnv(vector_env("pong_v0", games, num_threads=threads, **env_kwargs(max_cycles)))
    venv.seed(seed)
    return VecMonitor(Features(venv))


def rate(won: int, played: int) -> float:
    """Points won / points played (0 when none were played)."""
    return won / played if played else 0.0


def main() -> None:
    """Train, evaluate on a timer, write the CSV and the curve, print the final win rate."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--minutes", type=float, default=30.0, help="wall time, evaluations included")
    ap.add_argument("--eval-every", type=float, default=3.0, help="minutes between evaluations")
    ap.add_argument("--eval-steps", type=int, default=500, help="steps per side per evaluation")
    ap.add_argument(
        "--final-steps", type=int, default=2000, help="steps per side, final evaluation"
    )
    ap.add_argument("--games", type=int, default=8, help="games trained at once (x2 agents)")
    ap.add_argument("--threads", type=int, default=min(2, len(os.sched_getaffinity(0))))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="training", help="OUT.csv and OUT.png are written")
    ap.add_argument("--save", default=None, help="save the trained model here (.zip)")
    args = ap.parse_args()

    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.callbacks import BaseCallback

    torch.set_num_threads(1)  # the emulators use the other core
    start = time.monotonic()
    deadline = start + 60.0 * args.minutes
    env = make_train_env(args.games, args.threads, 4000, args.seed)
    eval_env = vector_env("pong_v0", 4, num_threads=args.threads, **env_kwargs(100_000))
    model = PPO(
        "MlpPolicy",
        env,
        n_steps=128,
        batch_size=512,
        n_epochs=4,
        learning_rate=5e-4,
        gamma=0.99,
        gae_lambda=0.95,
        ent_coef=0.01,
        clip_range=0.2,
        policy_kwargs={"net_arch": [64, 64]},
        seed=args.seed,
        device="cpu",
        verbose=0,
    )

    def act(rows: npt.NDArray[np.uint8]) -> npt.NDArray[np.int64]:
        a, _ = model.predict(features(rows), deterministic=True)
        return np.asarray(a, np.int64)

    rows: list[dict[str, float]] = []
    train_time = [0.0]

    def run_eval(steps: int) -> dict[str, float]:
        row: dict[str, float] = {
            "minutes": round((time.monotonic() - start) / 60.0, 2),
            "agent_steps": model.num_timesteps,
            "train_fps": round(model.num_timesteps / 2 * 4 / max(train_time[0], 1e-9)),
        }
        points = 0
        for name, opp in (("random", "random"), ("tracker", pong_tracker)):
            rates = []
            for i, side in enumerate(eval_env.possible_agents):
                w, p = points_against(
                    eval_env, act, opp, side=side, steps=steps, seed=args.seed + 1000 + i
                )
                row[f"{name}_{side}"] = round(rate(w, p), 3)
                rates.append(rate(w, p))
                if name == "random":
                    points += p
            row[f"win_rate_vs_{name}"] = round(float(np.mean(rates)), 3)
        row["random_points"] = points
        return row

    class Timer(BaseCallback):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.next_eval = start + 60.0 * args.eval_every
            self.t = time.monotonic()

        def _on_step(self) -> bool:
            now = time.monotonic()
            train_time[0] += now - self.t
            if now >= self.next_eval:
                rows.append(run_eval(args.eval_steps))
                print(rows[-1], flush=True)
                self.next_eval = time.monotonic() + 60.0 * args.eval_every
            self.t = time.monotonic()
            # leave time for the final evaluation: about 2 x final/eval of an evaluation
            return self.t < deadline - final_cost[0]

    final_cost = [0.0]
    rows.append(run_eval(args.eval_steps))
    eval_time = time.monotonic() - start
    final_cost[0] = eval_time * args.final_steps / args.eval_steps
    print(rows[-1], flush=True)
    model.learn(total_timesteps=10**12, callback=Timer())
    final = run_eval(args.final_steps)
    rows.append(final)
    print(final, flush=True)
    if args.save:
        model.save(args.save)

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.with_suffix(".csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    plot(rows, out.with_suffix(".png"))
    env.close()
    eval_env.close()
    print(f"train frames/s: {final['train_fps']:.0f}")
    print(
        f"win rate vs random: {final['win_rate_vs_random']:.3f} ({final['random_points']} points)"
    )


def plot(rows: list[dict[str, float]], path: Path) -> None:
    """The curve: win rate against each opponent, from each side, over training minutes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    m = [r["minutes"] for r in rows]
    for key, style in (
        ("win_rate_vs_random", "-o"),
        ("win_rate_vs_tracker", "-s"),
        ("random_first_0", ":"),
        ("random_second_0", ":"),
        ("tracker_first_0", "--"),
        ("tracker_second_0", "--"),
    ):
        ax.plot(m, [r[key] for r in rows], style, label=key)
    ax.set_xlabel("minutes (2 shared CPU cores)")
    ax.set_ylabel("points won / points played")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title("PPO self-play on pong_v0 (RAM features)")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


if __name__ == "__main__":
    main()
