#!/usr/bin/env python3
"""Self-play PPO on Pong with RLlib: ParallelPettingZooEnv, many env runners, a shared policy.

Each RLlib env runner (a Ray actor, on this machine or any node of a Ray cluster) builds its own
Pong game: pettingretro's parallel env runs 4 frames per step in C and observes grayscale;
SuperSuit's wrappers then resize to 84x84, stack 4 frames and add an agent indicator, so one
policy ("shared") can play both paddles. See docs/training.md for running it on a cluster.

    pip install "pettingretro[train]"          # torch, ray[rllib], supersuit
    python examples/rllib_pong.py --runners 2 --iterations 2          # this machine
    python examples/rllib_pong.py --address auto --runners 64         # a running Ray cluster
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
import ray
import supersuit as ss
from ray.rllib.algorithms.ppo import PPOConfig
from ray.rllib.env.wrappers.pettingzoo_env import ParallelPettingZooEnv
from ray.tune.registry import register_env

from pettingretro.envs import pong_v0

ENV_NAME = "pettingretro_pong"


def make_env(config: dict[str, Any]) -> ParallelPettingZooEnv:
    """One preprocessed Pong game for an env runner (called inside the runner's process)."""
    env = pong_v0.parallel_env(
        obs_type="grayscale_image",
        frameskip=4,  # in C: one emulator call per step
        repeat_action_probability=0.25,
        max_cycles=int(config.get("max_cycles", 27_000)),
    )
    env = ss.resize_v1(env, 84, 84)
    env = ss.frame_stack_v1(env, 4)
    env = ss.agent_indicator_v0(env, type_only=False)  # which paddle this agent plays
    env = ss.normalize_obs_v0(ss.dtype_v0(env, np.float32))
    return ParallelPettingZooEnv(env)


def build_config(runners: int, batch: int, max_cycles: int) -> PPOConfig:
    """PPO with one policy for every agent (self-play), sampling on ``runners`` env runners."""
    return (
        PPOConfig()
        .environment(ENV_NAME, env_config={"max_cycles": max_cycles})
        .env_runners(num_env_runners=runners, num_cpus_per_env_runner=1)
        .multi_agent(policies={"shared"}, policy_mapping_fn=lambda agent_id, *a, **k: "shared")
        .training(
            train_batch_size_per_learner=batch,
            minibatch_size=min(256, batch),
            num_epochs=4,
            lr=2.5e-4,
            clip_param=0.1,
            entropy_coeff=0.01,
        )
    )


def main() -> None:
    """Start or join Ray, train, optionally save a checkpoint."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--address",
        default=None,
        help="a Ray cluster ('auto' or HOST:PORT); default: start Ray here",
    )
    ap.add_argument(
        "--runners", type=int, default=2, help="env runners (0: sample in this process)"
    )
    ap.add_argument("--iterations", type=int, default=2)
    ap.add_argument("--batch", type=int, default=4000, help="agent steps per training iteration")
    ap.add_argument(
        "--max-cycles", type=int, default=27_000, help="steps before an episode is truncated"
    )
    ap.add_argument("--checkpoint", default=None, help="a folder to save the trained algorithm in")
    args = ap.parse_args()

    ray.init(address=args.address)
    register_env(ENV_NAME, make_env)
    algo = build_config(args.runners, args.batch, args.max_cycles).build_algo()
    for i in range(args.iterations):
        result = algo.train()
        runners = result["env_runners"]
        print(
            f"iteration {i + 1}: {runners.get('num_env_steps_sampled_lifetime', 0):,.0f} env steps, "
            f"episode length {runners.get('episode_len_mean', float('nan')):.0f}, "
            f"{result['time_this_iter_s']:.1f} s"
        )
    if args.checkpoint:
        print("saved to", algo.save(args.checkpoint))
    algo.stop()
    ray.shutdown()


if __name__ == "__main__":
    main()
