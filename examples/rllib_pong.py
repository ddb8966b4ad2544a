#!/usr/bin/env python3
"""PPO on Pong with RLlib: ParallelPettingZooEnv, many env runners, shared or per-agent policies.

Each RLlib env runner (a Ray actor, on this machine or any node of a Ray cluster) builds its own
Pong game: pettingretro's parallel env runs 4 frames per step in C and observes grayscale;
SuperSuit's wrappers then resize to 84x84, stack 4 frames and add an agent indicator, so one
policy ("shared") can play both paddles. With ``--per-agent`` each agent trains its own policy
(RLlib's multi-agent API: policy ``first_0`` for ``first_0``, ``second_0`` for ``second_0``).
``--obs ram`` observes the console's RAM instead of pixels (much cheaper on CPU). Every iteration
prints the mean episode return per agent and per policy; the end prints the checkpoint path.
See docs/training.md for running it on a cluster.

    pip install "pettingretro[train]"          # torch, ray[rllib], supersuit
    python examples/rllib_pong.py --runners 2 --iterations 2          # this machine
    python examples/rllib_pong.py --obs ram --per-agent --runners 2 --iterations 5
    python examples/rllib_pong.py --address auto --runners 64         # a running Ray cluster
"""

from __future__ import annotations

import argparse
import os
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
    max_cycles = int(config.get("max_cycles", 27_000))
    if config.get("obs", "pixels") == "ram":
        env = pong_v0.parallel_env(
            obs_type="ram", frameskip=4, repeat_action_probability=0.25, max_cycles=max_cycles
        )
        env = ss.frame_stack_v1(env, 2)  # the ball's velocity
    else:
        env = pong_v0.parallel_env(
            obs_type="grayscale_image",
            frameskip=4,  # in C: one emulator call per step
            repeat_action_probability=0.25,
            max_cycles=max_cycles,
        )
        env = ss.resize_v1(env, 84, 84)
        env = ss.frame_stack_v1(env, 4)
    if config.get("shared", True):
        env = ss.agent_indicator_v0(env, type_only=False)  # which paddle this agent plays
    env = ss.normalize_obs_v0(ss.dtype_v0(env, np.float32))
    return ParallelPettingZooEnv(env)


def shared_policy(agent_id: str, *args: Any, **kwargs: Any) -> str:
    """Self-play: one policy plays every paddle."""
    return "shared"


def own_policy(agent_id: str, *args: Any, **kwargs: Any) -> str:
    """A policy per agent: ``first_0`` trains policy ``first_0``, ``second_0`` its own."""
    return agent_id


def build_config(
    runners: int, batch: int, max_cycles: int, *, obs: str = "pixels", per_agent: bool = False
) -> PPOConfig:
    """PPO sampling on ``runners`` env runners, one policy shared or one per agent."""
    config = (
        PPOConfig()
        .environment(
            ENV_NAME, env_config={"max_cycles": max_cycles, "obs": obs, "shared": not per_agent}
        )
        .env_runners(num_env_runners=runners, num_cpus_per_env_runner=1)
        .training(
            train_batch_size_per_learner=batch,
            minibatch_size=min(256, batch),
            num_epochs=4,
            lr=2.5e-4,
            clip_param=0.1,
            entropy_coeff=0.01,
        )
    )
    if per_agent:
        return config.multi_agent(policies={"first_0", "second_0"}, policy_mapping_fn=own_policy)
    return config.multi_agent(policies={"shared"}, policy_mapping_fn=shared_policy)


def describe(i: int, result: dict[str, Any]) -> str:
    """One line per iteration: env steps, episode return per agent and per policy, time."""
    runners = result["env_runners"]

    def returns(key: str) -> str:
        values = runners.get(key) or {}
        return " ".join(f"{k} {v:+.2f}" for k, v in sorted(values.items())) or "no episode yet"

    return (
        f"iteration {i}: {runners.get('num_env_steps_sampled_lifetime', 0):,.0f} env steps, "
        f"return per agent: {returns('agent_episode_returns_mean')}; "
        f"per policy: {returns('module_episode_returns_mean')}; "
        f"{result['time_this_iter_s']:.1f} s"
    )


def main() -> None:
    """Start or join Ray, train, print returns per policy, save a checkpoint."""
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
    ap.add_argument("--obs", choices=["pixels", "ram"], default="pixels")
    ap.add_argument(
        "--per-agent", action="store_true", help="a policy per agent instead of one shared policy"
    )
    ap.add_argument(
        "--checkpoint", default="rllib_pong", help="the folder to save the algorithm in"
    )
    args = ap.parse_args()

    ray.init(address=args.address)
    register_env(ENV_NAME, make_env)
    config = build_config(
        args.runners, args.batch, args.max_cycles, obs=args.obs, per_agent=args.per_agent
    )
    algo = config.build_algo()
    for i in range(args.iterations):
        print(describe(i + 1, algo.train()), flush=True)
    print("checkpoint:", algo.save_to_path(os.path.abspath(args.checkpoint)))
    algo.stop()
    ray.shutdown()


if __name__ == "__main__":
    main()
