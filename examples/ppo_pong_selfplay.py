#!/usr/bin/env python3
"""Self-play PPO on Pong with Stable-Baselines3: one policy plays both paddles of N games.

The games run on pettingretro's C thread pool with PettingZoo's recommended Atari preprocessing
built in (frameskip 4 with a max over the last two frames, grayscale, 84x84, 4 stacked frames,
an agent indicator channel, sticky actions 0.25). Every (game, agent) pair is one SB3 env, the
layout SuperSuit's ``pettingzoo_env_to_vec_env_v1`` + ``concat_vec_envs_v1`` gives, without
their processes and copies.

    pip install "pettingretro[train]"          # torch, stable-baselines3
    python examples/ppo_pong_selfplay.py --games 8 --steps 2_000_000
    python examples/ppo_pong_selfplay.py --steps 20_000 --save /tmp/pong_ppo   # a quick look

Both sides share the policy, so the average reward stays near 0 while play improves: watch
``rollout/ep_len_mean`` grow (longer rallies), or load the saved model and play it against a
scripted policy (see ``pettingretro.utils.policies``).
"""

from __future__ import annotations

import argparse
import os

from stable_baselines3 import PPO
from stable_baselines3.common.vec_env import VecMonitor

from pettingretro.vector import ATARI_PREPROCESSING, vector_env
from pettingretro.vector.sb3 import SB3VecEnv


def main() -> None:
    """Train, then save the model."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--games", type=int, default=8, help="games run at once (x2 agents = SB3 envs)")
    ap.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)), help="C threads")
    ap.add_argument("--steps", type=float, default=2e6, help="agent steps to train for")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--save", default="ppo_pong_selfplay", help="where to save the model (.zip)")
    ap.add_argument("--device", default="auto", help="torch device: auto, cpu, cuda")
    args = ap.parse_args()

    venv = vector_env("pong_v0", args.games, num_threads=args.threads, **ATARI_PREPROCESSING)
    env = VecMonitor(SB3VecEnv(venv))  # episode returns and lengths for the logs
    # The Atari hyperparameters of the rl-baselines3-zoo, scaled to the number of envs.
    model = PPO(
        "CnnPolicy",
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
        verbose=1,
    )
    model.learn(total_timesteps=int(args.steps))
    model.save(args.save)
    env.close()


if __name__ == "__main__":
    main()
