"""The training paths run end to end: SB3 PPO on the vector env, one RLlib PPO iteration.

Both need the `train` extra (torch, stable-baselines3, ray[rllib], supersuit) and are skipped
without it.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pettingretro.vector import ATARI_PREPROCESSING, vector_env


def test_sb3_ppo_trains_on_the_vector_env() -> None:
    pytest.importorskip("stable_baselines3")
    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.vec_env import VecMonitor

    from pettingretro.vector.sb3 import SB3VecEnv

    torch.set_num_threads(1)
    venv = vector_env(
        "pong_v0", 2, num_threads=2, obs_type="ram", frameskip=4, frame_stack=2,
        agent_indicator=True, max_cycles=200,
    )  # fmt: skip
    env = VecMonitor(SB3VecEnv(venv))
    model = PPO("MlpPolicy", env, n_steps=256, batch_size=256, n_epochs=2, seed=0, device="cpu")
    before = [p.detach().clone() for p in model.policy.parameters()]
    model.learn(total_timesteps=3072)
    assert model.num_timesteps >= 3072
    assert len(model.ep_info_buffer) >= 4  # each of the 4 rows lived through whole episodes
    assert any(
        not torch.equal(a, b) for a, b in zip(before, model.policy.parameters(), strict=True)
    )
    env.close()


def test_sb3_takes_stacked_frames_as_channels_first_images() -> None:
    pytest.importorskip("stable_baselines3")
    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.vec_env import VecTransposeImage

    from pettingretro.vector.sb3 import SB3VecEnv

    torch.set_num_threads(1)
    env = SB3VecEnv(vector_env("pong_v0", 1, num_threads=1, **ATARI_PREPROCESSING))
    model = PPO("CnnPolicy", env, n_steps=16, batch_size=16, n_epochs=1, seed=0, device="cpu")
    assert not isinstance(model.get_env(), VecTransposeImage)  # no extra copy per step
    model.learn(total_timesteps=32)
    obs = env.reset()
    actions, _ = model.predict(obs)
    assert actions.shape == (2,)
    env.close()


def test_rllib_runs_one_ppo_iteration() -> None:
    pytest.importorskip("ray.rllib")
    ss = pytest.importorskip("supersuit")
    import ray
    from ray.rllib.algorithms.ppo import PPOConfig
    from ray.rllib.env.wrappers.pettingzoo_env import ParallelPettingZooEnv
    from ray.tune.registry import register_env

    from pettingretro.envs import pong_v0

    def make(config: dict[str, object]) -> ParallelPettingZooEnv:
        env = pong_v0.parallel_env(obs_type="ram", frameskip=4, max_cycles=100)
        return ParallelPettingZooEnv(ss.normalize_obs_v0(ss.dtype_v0(env, np.float32)))

    register_env("pettingretro_pong", make)
    config = (
        PPOConfig()
        .environment("pettingretro_pong")
        .env_runners(num_env_runners=0)  # sample in this process
        .learners(num_learners=0)
        .multi_agent(policies={"shared"}, policy_mapping_fn=lambda agent_id, *a, **k: "shared")
        .training(train_batch_size_per_learner=256, minibatch_size=64, num_epochs=1)
    )
    # address="local": a Ray of its own, never a cluster another test (or run) has started
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        algo = config.build_algo()
        result = algo.train()
        assert result["env_runners"]["num_env_steps_sampled_lifetime"] >= 256
        algo.stop()
    finally:
        ray.shutdown()


def test_sb3_example_logs_returns_per_agent_win_rates_and_frames_per_second(tmp_path: Path) -> None:
    pytest.importorskip("stable_baselines3")
    pytest.importorskip("tensorboard")
    example = Path(__file__).resolve().parents[2] / "examples" / "ppo_pong_selfplay.py"
    args = ["--obs", "ram", "--games", "1", "--threads", "1", "--steps", "512"]
    args += ["--max-cycles", "100", "--eval-every", "256", "--eval-steps", "30", "--device", "cpu"]
    args += ["--logdir", str(tmp_path / "logs"), "--save", str(tmp_path / "model")]
    run = subprocess.run(
        [sys.executable, str(example), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert run.returncode == 0, run.stderr[-3000:]
    with open(tmp_path / "logs" / "progress.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2  # one per PPO rollout of 256 agent steps
    for agent in ("first_0", "second_0"):
        for opponent in ("random", "tracker"):
            rate = float(rows[-1][f"eval/win_rate_vs_{opponent}_{agent}"])
            assert 0.0 <= rate <= 1.0
        float(rows[-1][f"rollout/ep_return_{agent}"])  # episodes of 100 steps ended
    assert float(rows[-1]["time/env_frames_per_s"]) > 0
    assert list((tmp_path / "logs").glob("events.out.tfevents.*"))
    assert (tmp_path / "model.zip").is_file()
