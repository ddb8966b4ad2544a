#!/usr/bin/env python3
"""Self-play PPO on Pong with Stable-Baselines3: one policy plays both paddles of N games.

The games run on pettingretro's C thread pool with PettingZoo's recommended Atari preprocessing
built in (frameskip 4 with a max over the last two frames, grayscale, 84x84, 4 stacked frames,
an agent indicator channel, sticky actions 0.25); ``--obs ram`` observes the console's 128 bytes
of RAM instead (2 frames stacked, an MLP: far faster on CPU). Every (game, agent) pair is one SB3
env, the layout SuperSuit's ``pettingzoo_env_to_vec_env_v1`` + ``concat_vec_envs_v1`` gives,
without their processes and copies.

    pip install "pettingretro[train]"          # torch, stable-baselines3, tensorboard
    python examples/ppo_pong_selfplay.py --games 8 --steps 2_000_000
    python examples/ppo_pong_selfplay.py --obs ram --steps 200_000 --save /tmp/pong_ppo
    tensorboard --logdir runs                  # or read runs/ppo_pong/progress.csv

Both sides share the policy, so SB3's ``rollout/ep_rew_mean`` (the mean over both sides) is 0 by
construction. What the logs (TensorBoard and ``progress.csv`` in ``--logdir``) show instead:

- ``rollout/ep_return_first_0``, ``rollout/ep_return_second_0``: episode return per agent;
- ``eval/win_rate_vs_random_*``, ``eval/win_rate_vs_tracker_*``: points won / points played
  against a fixed opponent (uniform random actions, and the scripted
  :func:`pettingretro.utils.policies.pong_tracker`), the policy playing each side in turn;
- ``time/env_frames_per_s``: frames emulated per second of training, evaluations excluded.
"""

from __future__ import annotations

import argparse
import os
import time
from collections import deque
from typing import Any

import numpy as np
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.logger import configure
from stable_baselines3.common.vec_env import VecMonitor

from pettingretro.utils.policies import points_against, pong_tracker
from pettingretro.vector import ATARI_PREPROCESSING, RetroVectorEnv, vector_env
from pettingretro.vector.sb3 import SB3VecEnv


def env_kwargs(obs: str, max_cycles: int) -> dict[str, Any]:
    """The vector env's arguments for pixels (PettingZoo's Atari preprocessing) or RAM."""
    if obs == "ram":
        return {
            "obs_type": "ram",
            "frameskip": 4,
            "frame_stack": 2,
            "agent_indicator": True,
            "repeat_action_probability": 0.25,
            "max_cycles": max_cycles,
        }
    return {**ATARI_PREPROCESSING, "max_cycles": max_cycles}


class SelfPlayStats(BaseCallback):  # type: ignore[misc]
    """Logs return per agent, win rates against fixed opponents, and frames/s.

    Args:
        eval_env: a vector env like the training one, for evaluation games.
        eval_every: agent steps between evaluations.
        eval_steps: vector steps per side and opponent in one evaluation.
    """

    def __init__(self, eval_env: RetroVectorEnv, eval_every: int, eval_steps: int) -> None:
        super().__init__()
        self.eval_env = eval_env
        self.eval_every = eval_every
        self.eval_steps = eval_steps
        self.next_eval = 0
        self.agents = list(eval_env.possible_agents)
        self.returns: dict[str, deque[float]] = {a: deque(maxlen=100) for a in self.agents}
        self.running: np.ndarray[Any, np.dtype[np.float64]] = np.zeros(0)
        self.train_s = 0.0
        self.frames = 0

    def _on_training_start(self) -> None:
        self.running = np.zeros(self.training_env.num_envs)
        self.t = time.perf_counter()

    def _on_step(self) -> bool:
        self.running += self.locals["rewards"]
        for i in np.flatnonzero(self.locals["dones"]):
            self.returns[self.agents[i % len(self.agents)]].append(float(self.running[i]))
            self.running[i] = 0.0
        # every row is one agent of a game: a step of n rows emulates n / agents games' frames
        self.frames += self.training_env.num_envs // len(self.agents) * self.eval_env.frameskip
        if self.num_timesteps >= self.next_eval:
            self.train_s += time.perf_counter() - self.t
            self.evaluate()
            self.next_eval = self.num_timesteps + self.eval_every
            self.t = time.perf_counter()
        return True

    def _on_rollout_end(self) -> None:
        for agent, values in self.returns.items():
            if values:
                self.logger.record(f"rollout/ep_return_{agent}", float(np.mean(values)))
        seconds = self.train_s + time.perf_counter() - self.t
        self.logger.record("time/env_frames_per_s", self.frames / max(seconds, 1e-9))

    def evaluate(self) -> None:
        """Play each side against each fixed opponent; log points won / points played."""
        policy = self.model

        def act(obs: Any) -> Any:
            return policy.predict(obs, deterministic=True)[0]

        for name, opponent in (("random", "random"), ("tracker", pong_tracker)):
            for agent in self.agents:
                won, played = points_against(
                    self.eval_env, act, opponent, side=agent, steps=self.eval_steps
                )
                rate = won / played if played else 0.0
                self.logger.record(f"eval/win_rate_vs_{name}_{agent}", rate)
                self.logger.record(f"eval/points_vs_{name}_{agent}", played)


def main() -> None:
    """Train with the logs above, then save the model."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--games", type=int, default=8, help="games run at once (x2 agents = SB3 envs)")
    ap.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)), help="C threads")
    ap.add_argument("--obs", choices=["pixels", "ram"], default="pixels")
    ap.add_argument("--steps", type=float, default=2e6, help="agent steps to train for")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--logdir", default="runs/ppo_pong", help="TensorBoard events and progress.csv")
    ap.add_argument("--eval-every", type=float, default=100_000, help="agent steps between evals")
    ap.add_argument("--eval-steps", type=int, default=500, help="steps per side per evaluation")
    ap.add_argument("--max-cycles", type=int, default=4000, help="steps before an episode is cut")
    ap.add_argument("--save", default="ppo_pong_selfplay", help="where to save the model (.zip)")
    ap.add_argument("--device", default="auto", help="torch device: auto, cpu, cuda")
    args = ap.parse_args()

    kwargs = env_kwargs(args.obs, max_cycles=args.max_cycles)
    venv = vector_env("pong_v0", args.games, num_threads=args.threads, **kwargs)
    env = VecMonitor(SB3VecEnv(venv))  # episode lengths for the logs
    eval_env = vector_env(
        "pong_v0", 2, num_threads=args.threads, **env_kwargs(args.obs, max_cycles=100_000)
    )
    # The Atari hyperparameters of the rl-baselines3-zoo, scaled to the number of envs.
    model = PPO(
        "MlpPolicy" if args.obs == "ram" else "CnnPolicy",
        env,
        n_steps=128,
        n_epochs=4,
        batch_size=256,
        learning_rate=2.5e-4,
        clip_range=0.1,
        ent_coef=0.01,
        vf_coef=0.5,
        seed=args.seed,
        device=args.device,
    )
    model.set_logger(configure(args.logdir, ["stdout", "csv", "tensorboard"]))
    stats = SelfPlayStats(eval_env, int(args.eval_every), args.eval_steps)
    model.learn(total_timesteps=int(args.steps), callback=stats)
    model.save(args.save)
    print("model saved to", args.save + ".zip", "; logs in", args.logdir)
    env.close()
    eval_env.close()


if __name__ == "__main__":
    main()
