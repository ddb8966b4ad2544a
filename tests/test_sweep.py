"""A sweep of careless and hostile arguments to every public env entry point, by class.

Each bad value must end in a PettingRetroError (a ValueError or TypeError too) whose message names
the argument, before anything runs; a refused call leaves the env as it was. The classes: wrong
types (strings for numbers, bools for integers, floats for integers, containers for scalars),
edge values (zero, negative, huge, NaN), unknown names, and calls out of order.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import pettingretro
from pettingretro.envs import pong_v0
from pettingretro.errors import EnvStateError, PettingRetroError, UnknownAgentError

#: constructor argument -> bad values (each a class: wrong type, edge value, unknown name)
BAD_ARGUMENTS = {
    "obs_type": ["RAM", "ram ", 3, None],
    "full_action_space": ["no", 1, None],
    "max_cycles": [True, 0, -1, 1.5, "100"],
    "render_mode": ["humans", 1, ""],
    "num_players": ["2", 9, 0, -1, 2.0, True],
    "mode": ["4", -1, 1.5, 999],
    "mode_num": ["4", True],
    "frameskip": [0, 10**9, 1.5, "4", True, -1],
    "repeat_action_probability": ["0.25", -0.1, 1.5, math.nan, math.inf, True],
    "core": [3, ["stella"]],
    "rom": [3, "", "/nonexistent/pong.bin"],
    "core_options": [["x"], "x=y", {"k": ["v"]}, {1: "a"}],
    "record": [3, ["x"]],
    "isolate": ["yes", 1, {"timeoutt": 1}, {"timeout": -1}],
    "grayscale_channel": ["no", 0],
    "auto_rom_install_path": [3],
}
CASES = [(k, v) for k, values in BAD_ARGUMENTS.items() for v in values]


@pytest.mark.parametrize(("name", "value"), CASES, ids=[f"{k}={v!r}" for k, v in CASES])
def test_bad_constructor_argument_is_refused_by_name(name: str, value: object) -> None:
    with pytest.raises(PettingRetroError) as ei:
        pong_v0.parallel_env(**{name: value})
    assert isinstance(ei.value, (ValueError, TypeError, FileNotFoundError))
    text = str(ei.value)
    shown = name.replace("_num", "") if name == "mode_num" else name
    assert shown in text or "pong.bin" in text or "mode" in text, text


@pytest.mark.parametrize("typo", ["obs_typ", "frame_skip", "max_cycle", "game_versions"])
def test_misspelt_keyword_names_the_near_one(typo: str) -> None:
    with pytest.raises(TypeError, match=rf"unexpected keyword argument '{typo}'.*did you mean"):
        pong_v0.parallel_env(**{typo: 1})


def test_numpy_integers_are_integers() -> None:
    env = pong_v0.parallel_env(obs_type="ram", max_cycles=np.int64(5), frameskip=np.int32(2))
    env.reset(seed=np.uint8(3))
    assert env.max_cycles == 5 and env.frameskip == 2
    env.close()


@pytest.mark.parametrize("seed", [-1, "1", 1.5, 2**64, True, [1]])
def test_bad_seed_is_refused_and_the_env_still_works(seed: object) -> None:
    env = pong_v0.parallel_env(obs_type="ram")
    env.reset(seed=1)
    first = env.state()
    with pytest.raises(PettingRetroError, match="seed"):
        env.reset(seed=seed)  # type: ignore[arg-type]
    env.reset(seed=1)
    assert np.array_equal(env.state(), first)
    env.close()


BAD_ACTIONS = [
    np.ma.masked_array([1], mask=[True]),
    True,
    1.0,
    "1",
    np.array([1, 2]),
    np.float32(1),
    -1,
    6,
    None,
]


@pytest.mark.parametrize("action", BAD_ACTIONS, ids=[repr(a)[:30] for a in BAD_ACTIONS])
def test_bad_action_changes_nothing(action: object) -> None:
    env = pong_v0.parallel_env(obs_type="ram", repeat_action_probability=0.5)
    env.reset(seed=3)
    twin = pong_v0.parallel_env(obs_type="ram", repeat_action_probability=0.5)
    twin.reset(seed=3)
    with pytest.raises(ValueError, match="first_0"):
        env.step({"first_0": action, "second_0": 0})
    for t in range(20):
        acts = {"first_0": t % 6, "second_0": (t * 5) % 6}
        a, b = env.step(acts), twin.step(acts)
        assert np.array_equal(a[0]["first_0"], b[0]["first_0"]), t
    env.close()
    twin.close()


def test_unknown_agents_are_named() -> None:
    env = pong_v0.parallel_env(obs_type="ram")
    env.reset(seed=0)
    for call in (env.action_space, env.observation_space, env.observe):
        with pytest.raises(UnknownAgentError, match=r"unknown agent 'nope'.*first_0, second_0"):
            call("nope")
    with pytest.raises(KeyError):  # also a KeyError, as a dict lookup would be
        env.action_space("nope")
    env.close()


def test_calls_out_of_order() -> None:
    aec = pong_v0.env(obs_type="ram")
    with pytest.raises(EnvStateError, match=r"last\(\) before reset"):
        aec.last()
    aec.reset(seed=0)
    aec.close()
    with pytest.raises(EnvStateError, match="closed"):
        aec.step(0)
    with pytest.raises(EnvStateError, match="closed"):
        aec.observe("first_0")
    with pytest.raises(EnvStateError, match="closed"):
        aec.last()
    par = pong_v0.parallel_env(obs_type="ram")
    par.reset(seed=0)
    par.close()
    with pytest.raises(EnvStateError, match="closed"):
        par.observe("first_0")
    with pytest.raises(EnvStateError, match="closed"):
        par.step({})


def test_render_without_a_render_mode_warns() -> None:
    env = pong_v0.parallel_env(obs_type="ram")
    env.reset(seed=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert env.render() is None
    assert any("render_mode=None" in str(w.message) for w in caught)
    env.close()


def test_rewards_are_numpy_floats_and_grayscale_has_a_channel() -> None:
    env = pong_v0.parallel_env(obs_type="grayscale_image")
    obs, _ = env.reset(seed=0)
    assert obs["first_0"].shape == (210, 160, 1) == env.observation_space("first_0").shape
    _, rew, *_ = env.step({"first_0": 0, "second_0": 0})
    assert isinstance(rew["first_0"], np.floating)
    flat = pong_v0.parallel_env(obs_type="grayscale_image", grayscale_channel=False)
    assert flat.reset(seed=0)[0]["first_0"].shape == (210, 160)
    assert np.array_equal(flat.reset(seed=0)[0]["first_0"], obs["first_0"][..., 0])
    env.close()
    flat.close()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"num_envs": 1.5}, "num_envs"),
        ({"num_envs": 0}, "num_envs"),
        ({"num_envs": "2"}, "num_envs"),
        ({"num_threads": 0}, "num_threads"),
        ({"frame_stack": 0}, "frame_stack"),
        ({"frame_stack": "4"}, "frame_stack"),
        ({"resize": 84}, "resize"),
        ({"resize": (84, 0)}, "resize width"),
        ({"grayscale": "yes"}, "grayscale"),
        ({"max_pool": 1}, "max_pool"),
    ],
)
def test_bad_vector_arguments(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(PettingRetroError, match=match):
        pettingretro.vector_env("pong_v0", **{"num_envs": 1, **kwargs})


@pytest.mark.parametrize(
    ("players", "match"), [(9, "num_players=9: .* plays with 1 players"), ("2", "num_players")]
)
def test_player_counts_are_checked_against_the_game(players: object, match: str) -> None:
    with pytest.raises(PettingRetroError, match=match):
        pettingretro.parallel_env("Airstriker-Genesis-v0", players=players)


def test_players_default_to_what_the_game_declares() -> None:
    env = pettingretro.parallel_env("Pong-Atari2600-v0", obs_type="ram")
    assert env.possible_agents == ["first_0", "second_0"]
    env.close()


def test_roms_that_cannot_be_the_game(tmp_path) -> None:
    from pettingretro.errors import RomLoadError
    from pettingretro.integration.roms import package_dir

    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"")
    with pytest.raises(RomLoadError, match="is empty"):
        pong_v0.parallel_env(rom=empty)
    with pytest.raises(RomLoadError, match="is empty"):
        pettingretro.parallel_env(rom=empty, core="stella")
    boxing = package_dir("ale_py") / "roms" / "boxing.bin"
    with pytest.raises(RomLoadError, match=r"is not the ROM pong_v0 is made for.*rom=PATH"):
        pong_v0.parallel_env(rom=boxing)


def test_record_into_a_folder_that_cannot_be_written_fails_at_once(tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(PettingRetroError, match=r"record=.*cannot write there"):
        pong_v0.parallel_env(record=blocker / "movies")


class _FailsAtEpisodeEnd:
    def on_reset(self) -> None: ...
    def on_frames(self, masks, deltas, frames) -> None: ...
    def on_episode_end(self) -> None:
        raise OSError("disk full")

    def close(self) -> None: ...


def test_an_observer_failing_at_episode_end_loses_no_step() -> None:
    env = pong_v0.parallel_env(obs_type="ram", max_cycles=3)
    env.add_observer(_FailsAtEpisodeEnd())
    env.reset(seed=0)
    for _ in range(3):
        out = env.step({"first_0": 0, "second_0": 0})
    assert out[3] == {"first_0": True, "second_0": True}  # the last step came back whole
    with pytest.raises(OSError, match="disk full"):
        env.reset()
    env.reset()  # the error is told once
    env.close()


@pytest.mark.parametrize("frameskip", [1, 4])
def test_render_fps_is_the_games_speed(frameskip: int) -> None:
    env = pong_v0.parallel_env(obs_type="ram", frameskip=frameskip)
    assert env.emu is not None
    assert env.metadata["render_fps"] == pytest.approx(env.emu.av_info.fps / frameskip)
    env.close()


def test_reset_after_an_isolated_crash_starts_a_new_worker() -> None:
    import os
    import signal

    from pettingretro.isolation import EmulatorCrashed

    env = pong_v0.parallel_env(obs_type="ram", isolate=True)
    first, _ = env.reset(seed=0)
    os.kill(env.emu.pid, signal.SIGKILL)  # type: ignore[union-attr]
    with pytest.raises(EmulatorCrashed, match="SIGKILL"):
        env.step({"first_0": 0, "second_0": 0})
    again, _ = env.reset(seed=0)
    assert np.array_equal(again["first_0"], first["first_0"])
    env.step({"first_0": 0, "second_0": 0})
    env.close()


def test_the_vector_env_refuses_tile_observations(tmp_path) -> None:
    from pettingretro.testing.roms import build_tiles_rom

    rom = build_tiles_rom("gb", tmp_path)
    with pytest.raises(ValueError, match=r"obs_type='tiles'.*parallel and AEC envs"):
        pettingretro.vector_env(
            lambda **kw: pettingretro.parallel_env(rom=rom, **kw), 1, obs_type="tiles"
        )


def test_isolate_takes_options() -> None:
    env = pong_v0.parallel_env(obs_type="ram", isolate={"timeout": 30, "checkpoint_every": 10})
    assert type(env.emu).__name__ == "IsolatedEmulator"
    env.reset(seed=0)
    env.step({"first_0": 0, "second_0": 0})
    env.close()
