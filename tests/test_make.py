"""Any stable-retro integration or bare ROM becomes a PettingZoo env."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pettingzoo.test import api_test, parallel_api_test

import pettingretro
from pettingretro.envs import pong_v0
from pettingretro.errors import PettingRetroError
from pettingretro.testing.roms import TEST_ROMS, build_rom


def reward_events(env, actions: dict[str, int], steps: int, limit: int) -> list[tuple[float, ...]]:
    env.reset(seed=0)
    events = []
    for _ in range(steps):
        rew = env.step({a: actions[a] for a in env.agents})[1]
        if any(rew.values()):
            events.append(tuple(rew[a] for a in env.possible_agents))
            if len(events) == limit:
                break
    return events


def test_stable_retro_pong_with_two_players_agrees_with_pong_v0() -> None:
    theirs = pettingretro.parallel_env("Pong-Atari2600-v0", players=2, obs_type="ram")
    ours = pong_v0.parallel_env(obs_type="ram")
    assert theirs.action_space("second_0").n == ours.action_space("second_0").n == 6
    for script in ({"first_0": 1, "second_0": 2}, {"first_0": 5, "second_0": 1}):
        a = reward_events(theirs, script, 1500, 4)
        b = reward_events(ours, script, 1500, 4)
        assert a == b and len(a) == 4


def test_stable_retro_pong_second_player_really_controls_a_paddle() -> None:
    env = pettingretro.parallel_env("Pong-Atari2600-v0", players=2, obs_type="ram")
    env.reset(seed=0)
    before = env.emu.paddles
    for _ in range(4):
        env.step({"first_0": 0, "second_0": 3})  # LEFT
    assert env.emu.paddles[1] == before[1] + 4 * 23000 and env.emu.paddles[0] == before[0]


def test_airstriker_runs_with_the_integrations_reward() -> None:
    env = pettingretro.parallel_env("Airstriker-Genesis-v0", obs_type="ram")
    assert env.possible_agents == ["first_0"]
    assert env.action_space("first_0").n == 126, "stable-retro's 3 x 3 x 14 Genesis combos"
    names = env.controls.actions
    fire = names.index(("B",))  # Airstriker fires on B, one shot per press
    env.reset(seed=0)
    total = 0.0
    for t in range(1200):
        rew = env.step({"first_0": fire if t % 4 < 2 else 0})[1]
        total += rew.get("first_0", 0.0)
        if not env.agents:
            break
    lives = env._values["lives"]
    assert 0 < lives <= 3, "lives read through the Genesis word overlay"
    assert total >= 20 and total == env._values["score"], "each hit raises the rewarded score"
    api_test(pettingretro.env("Airstriker-Genesis-v0"), num_cycles=50)
    parallel_api_test(
        pettingretro.parallel_env("Airstriker-Genesis-v0", obs_type="ram"), num_cycles=50
    )


def nes_reward(ram: np.ndarray, previous: np.ndarray) -> list[float]:
    """Each player is paid 1 while holding A (bit 7 of its pad byte in the test ROM)."""
    fact = TEST_ROMS["nes"]
    return [float(ram[fact.port_offsets[p]] >> 7) for p in range(2)]


def test_bare_rom_with_a_reward_function(tmp_path: Path) -> None:
    rom = build_rom("nes", tmp_path)
    env = pettingretro.parallel_env(rom=rom, players=2, reward_fn=nes_reward, obs_type="ram")
    assert env.rom_path == rom and env.emu.system_info.library_name == "FCEUmm"
    names = env.controls.actions
    press_a = names.index(("A",))
    env.reset(seed=0)
    got = []
    for _ in range(8):
        rew = env.step({"first_0": press_a, "second_0": 0})[1]
        got.append((rew["first_0"], rew["second_0"]))
    assert got[-1] == (1.0, 0.0), "only the player holding A is paid"


def test_bare_rom_without_reward_pays_nothing(tmp_path: Path) -> None:
    rom = build_rom("nes", tmp_path)
    env = pettingretro.parallel_env(rom=rom, players=2)
    env.reset(seed=0)
    for _ in range(5):
        rew = env.step({a: 1 for a in env.agents})[1]
        assert set(rew.values()) == {0.0}


def test_unknown_game_and_unknown_extension(tmp_path: Path) -> None:
    with pytest.raises(PettingRetroError, match="no integration named 'Nope-Genesis-v0'"):
        pettingretro.parallel_env("Nope-Genesis-v0")
    odd = tmp_path / "game.xyz"
    odd.write_bytes(b"\0" * 16)
    with pytest.raises(ValueError, match="pass core=NAME"):
        pettingretro.parallel_env(rom=odd)


def test_user_integration_with_per_player_crops(tmp_path: Path) -> None:
    """A user folder: our NES test ROM, a variable per pad, per-player rewards and crops."""
    import json

    rom = build_rom("nes", tmp_path)
    folder = tmp_path / "PadTest-Nes-v0"
    folder.mkdir()
    fact = TEST_ROMS["nes"]
    (folder / "data.json").write_text(
        json.dumps(
            {"info": {f"pad{p}": {"address": fact.port_offsets[p], "type": "|u1"} for p in (0, 1)}}
        )
    )
    (folder / "scenario.json").write_text(
        json.dumps(
            {
                "rewards": [
                    {
                        "variables": {
                            "pad0": {"measurement": "absolute", "op": "nonzero", "reward": 1}
                        }
                    },
                    {
                        "variables": {
                            "pad1": {"measurement": "absolute", "op": "nonzero", "reward": 2}
                        }
                    },
                ],
                "crops": [[0, 0, 128, 0], [128, 0, 0, 120]],
            }
        )
    )
    env = pettingretro.parallel_env(str(folder), rom=rom, players=2)
    assert env.observation_space("first_0").shape == (env.emu.screen_shape[0], 128, 3)
    assert env.observation_space("second_0").shape == (120, env.emu.screen_shape[1] - 128, 3)
    obs, _ = env.reset(seed=0)
    for a in env.agents:
        assert env.observation_space(a).contains(obs[a])
    press = env.controls.actions.index(("A",))
    rew = {}
    for _ in range(8):  # the ROM starts reading pads on its fifth frame
        obs, rew, *_ = env.step({"first_0": 0, "second_0": press})
    assert rew == {"first_0": 0.0, "second_0": 2.0}
    for a in env.agents:
        assert env.observation_space(a).contains(obs[a])


def test_bare_atari_rom_found_by_sha1_gets_the_projects_controls() -> None:
    from pettingretro.integration.roms import package_dir

    rom = package_dir("ale_py") / "roms" / "pong.bin"  # .bin: several consoles use it
    env = pettingretro.parallel_env(rom=rom, players=2, obs_type="ram")
    assert env.emu.system_info.library_name == "Stella"
    assert env.action_space("first_0").n == 6 and len(env.emu.paddles) == 2


def test_pettingzoo_atari_keyword_arguments() -> None:
    env = pong_v0.parallel_env(game_version="soccer", auto_rom_install_path="/nowhere")
    assert env.mode == 14
    with pytest.raises(ValueError, match="game_version must be one of"):
        pong_v0.parallel_env(game_version="tennis")
