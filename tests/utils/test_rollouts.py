"""PettingZoo's rollout utilities: the same signatures, values returned instead of printed."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
import pytest

from pettingretro.envs import pong_v0, space_invaders_v0
from pettingretro.utils.rollouts import (
    _Progress,
    average_total_reward,
    random_demo,
    save_observation,
)


@pytest.mark.parametrize("make", [space_invaders_v0.env, space_invaders_v0.parallel_env])
def test_average_total_reward_is_repeatable(make, capsys: pytest.CaptureFixture[str]) -> None:
    env = make(max_cycles=300, obs_type="ram")
    a = average_total_reward(env, max_episodes=2, seed=4)
    b = average_total_reward(env, max_episodes=2, seed=4)
    assert isinstance(a, float) and a == b and a > 0  # random players shoot some invaders
    assert capsys.readouterr() == ("", "")  # nothing printed
    env.close()


def test_average_total_reward_respects_max_steps() -> None:
    env = pong_v0.env(max_cycles=50, obs_type="ram")
    calls = 0
    reset = env.reset

    def counting_reset(*args, **kwargs):
        nonlocal calls
        calls += 1
        return reset(*args, **kwargs)

    env.reset = counting_reset
    average_total_reward(env, max_episodes=10, max_steps=150)  # 100 agent steps per episode
    assert calls == 2


def test_random_demo_returns_total_reward(capsys: pytest.CaptureFixture[str]) -> None:
    env = space_invaders_v0.parallel_env(max_cycles=200, render_mode="rgb_array")
    total = random_demo(env, render=True, episodes=1, seed=0)
    assert isinstance(total, float) and total >= 0
    assert env.emu.closed  # closed at the end when rendering, as PettingZoo's does
    assert capsys.readouterr() == ("", "")
    env = space_invaders_v0.env(max_cycles=200)
    assert random_demo(env, render=False, episodes=2, seed=0) >= 0


def test_save_observation(tmp_path: Path) -> None:
    import imageio.v3 as iio

    env = pong_v0.env()
    env.reset(seed=0)
    [path] = save_observation(env, save_dir=str(tmp_path))
    assert path == tmp_path / "pong_v0" / "first_0.png"
    assert np.array_equal(iio.imread(path), env.observe("first_0"))
    paths = save_observation(env, all_agents=True, save_dir=tmp_path)
    assert sorted(p.name for p in paths) == ["first_0.png", "second_0.png"]
    gray = pong_v0.parallel_env(obs_type="grayscale_image")
    gray.reset()
    [path] = save_observation(gray, agent="second_0", save_dir=tmp_path / "g")
    assert iio.imread(path).shape == (210, 160)
    ram = pong_v0.parallel_env(obs_type="ram")
    ram.reset()
    with pytest.raises(ValueError, match=r"not images.*obs_type='rgb_image'"):
        save_observation(ram, save_dir=tmp_path)


def test_progress_counter_without_tqdm(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    real = importlib.import_module

    def no_tqdm(name, *a):
        if name == "tqdm":
            raise ImportError(name)
        return real(name, *a)

    monkeypatch.setattr(importlib, "import_module", no_tqdm)
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    with _Progress(3, "frames", enabled=True, delay=0) as bar:
        for _ in bar.wrap(iter(range(3))):
            pass
    assert "3/3 frames" in err.getvalue()
    err.truncate(0)
    with _Progress(3, "frames", enabled=None, delay=0) as bar:  # not a terminal: silent
        bar.update(3)
    assert err.getvalue() == ""
