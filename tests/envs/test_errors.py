"""Bad input to an env ends in an exception that says what to do."""

from __future__ import annotations

import numpy as np
import pytest

from pettingretro.envs import pong_v0
from pettingretro.errors import EnvStateError, RomNotFoundError


@pytest.fixture(scope="module")
def env():
    e = pong_v0.parallel_env(obs_type="ram")
    yield e
    e.close()


def test_step_before_reset() -> None:
    e = pong_v0.parallel_env(obs_type="ram")
    with pytest.raises(EnvStateError, match="call reset"):
        e.step({"first_0": 0, "second_0": 0})


@pytest.mark.parametrize(
    ("action", "match"),
    [
        (6, "outside its Discrete"),
        (-1, "outside"),
        (1.5, "must be an integer"),
        (True, "must be an integer"),
        (np.array([1, 2]), "array"),
        ("FIRE", "must be an integer"),
        (np.float32(1.0), "must be an integer"),
        (float("nan"), "must be an integer"),
    ],
)
def test_bad_actions(env, action, match: str) -> None:
    env.reset()
    with pytest.raises(ValueError, match=match):
        env.step({"first_0": action, "second_0": 0})


def test_numpy_integer_actions_are_fine(env) -> None:
    env.reset()
    env.step({"first_0": np.int64(1), "second_0": np.array(2)})


def test_unknown_agent(env) -> None:
    env.reset()
    with pytest.raises(ValueError, match="unknown agent 'third_0'"):
        env.step({"third_0": 0})
    with pytest.raises(ValueError, match="dict of agent"):
        env.step([0, 0])


def test_stepping_a_finished_env() -> None:
    e = pong_v0.parallel_env(obs_type="ram", max_cycles=3)
    e.reset()
    for _ in range(3):
        e.step({a: 0 for a in e.agents})
    assert e.agents == []
    with pytest.raises(EnvStateError, match="reset"):
        e.step({})


def test_aec_finished_agent_takes_none_only() -> None:
    e = pong_v0.env(obs_type="ram", max_cycles=1)
    e.reset()
    e.step(0)
    e.step(0)
    assert e.truncations[e.agent_selection]
    with pytest.raises(ValueError, match="with None"):
        e.step(1)


def test_bad_kwargs() -> None:
    with pytest.raises(ValueError, match="obs_type"):
        pong_v0.parallel_env(obs_type="pixels")
    with pytest.raises(ValueError, match="2 or 4 players"):
        pong_v0.parallel_env(num_players=3)
    with pytest.raises(ValueError, match="no such 2-player mode"):
        pong_v0.parallel_env(mode=6)
    with pytest.raises(TypeError, match="unexpected keyword"):
        pong_v0.parallel_env(bogus=1)
    with pytest.raises(ValueError, match="render_mode"):
        pong_v0.parallel_env(render_mode="window")


def test_missing_ale_py_names_the_package(monkeypatch, tmp_path) -> None:
    import pettingretro.integration.roms as roms

    real = roms.package_dir
    monkeypatch.setattr(roms, "package_dir", lambda name: None if name == "ale_py" else real(name))
    monkeypatch.setenv("PETTINGRETRO_DATA_DIR", str(tmp_path))
    with pytest.raises(RomNotFoundError, match="pip install ale-py"):
        pong_v0.parallel_env()


def test_closed_env(env) -> None:
    e = pong_v0.parallel_env(obs_type="ram")
    e.close()
    e.close()
    with pytest.raises(EnvStateError, match="closed"):
        e.reset()
