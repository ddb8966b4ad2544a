"""obs_type="tiles" / "compressed" / "minimal", game_area() and game_wrapper through the env."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from pettingzoo.test import api_test, parallel_api_test

import pettingretro
from pettingretro.envs import pong_v0
from pettingretro.errors import EnvStateError, IntegrationError, TilesError
from pettingretro.testing.roms import TILES_ROMS, build_tiles_rom

ROM = TILES_ROMS["gb"]


def folder_with(tmp_path: Path, data: dict[str, object]) -> Path:
    folder = tmp_path / "Tiles-GameBoy-v0"
    folder.mkdir()
    (folder / "data.json").write_text(json.dumps(data))
    (folder / "scenario.json").write_text(json.dumps({"reward": {"variables": {}}}))
    return folder


def scroll_info() -> dict[str, object]:
    # the ROM's shadows at $C003/$C004 (gambatte's work RAM starts at $C000)
    return {
        "scx": {"address": 0xC000 + ROM.offsets["scx"], "type": "|u1"},
        "scy": {"address": 0xC000 + ROM.offsets["scy"], "type": "|u1"},
    }


def test_tiles_env_passes_the_pettingzoo_parallel_api_test(tmp_path: Path) -> None:
    rom = build_tiles_rom("gb", tmp_path)
    env = pettingretro.parallel_env(rom=rom, obs_type="tiles")
    space = env.observation_space("first_0")
    assert space.shape == (18, 20) and space.dtype == np.uint16
    assert np.all(space.nvec == 384)
    parallel_api_test(env, num_cycles=200)


def test_tiles_obs_is_the_game_area_and_moves_with_the_scroll(tmp_path: Path) -> None:
    rom = build_tiles_rom("gb", tmp_path, color=True)
    env = pettingretro.parallel_env(rom=rom, obs_type="tiles")
    assert np.all(env.observation_space("first_0").nvec == 768), "colour: two VRAM banks"
    obs, _ = env.reset(seed=0)
    for _ in range(40):  # the ROM fills VRAM with the LCD off first
        env.step({"first_0": 0})
    firsts = set()
    for _ in range(60):
        obs, *_ = env.step({"first_0": 0})
        grid = obs["first_0"]
        assert env.observation_space("first_0").contains(grid)
        np.testing.assert_array_equal(grid, env.game_area("first_0"))
        scx = ROM.shadow(env.emu.ram, "scx")
        assert grid[17, 19] % 384 == ROM.map_tile(17, (scx // 8 + 19) % 32)
        firsts.add(int(grid[17, 0]))
    assert len(firsts) >= 5, "the bottom-left cell changes as the map scrolls"


def test_game_area_with_an_rgb_observation_and_the_game_wrapper(tmp_path: Path) -> None:
    rom = build_tiles_rom("gb", tmp_path)
    env = pettingretro.parallel_env(str(folder_with(tmp_path, {"info": scroll_info()})), rom=rom)
    with pytest.raises(EnvStateError, match="reset"):
        env.game_area("first_0")
    env.reset(seed=0)
    env.step({"first_0": 0})
    area = env.game_area("first_0")
    assert area.shape == (18, 20)
    wrapper = env.game_wrapper
    assert wrapper.scx == ROM.shadow(env.emu.ram, "scx")
    assert wrapper.variables == {"scx": wrapper.scx, "scy": wrapper.scy}
    np.testing.assert_array_equal(wrapper.game_area(), area)
    with pytest.raises(AttributeError, match=r"no data.json variable 'lives'.*scx, scy"):
        _ = wrapper.lives


def test_minimal_maps_tiles_to_the_games_classes(tmp_path: Path) -> None:
    rom = build_tiles_rom("gb", tmp_path)
    block = {"minimal": {"1": [ROM.sprite_tile], "2": [0, 1, 2]}, "compressed": {"3": [5]}}
    folder = folder_with(tmp_path, {"info": scroll_info(), "tiles": block})
    env = pettingretro.parallel_env(str(folder), rom=rom, obs_type="minimal")
    assert np.all(env.observation_space("first_0").nvec == 3)
    env.reset(seed=0)
    for _ in range(40):
        env.step({"first_0": 0})
    seen: set[int] = set()
    for _ in range(80):
        obs, *_ = env.step({"first_0": 0})
        raw = env.game_area("first_0")
        want = np.where(raw == ROM.sprite_tile, 1, np.where(raw <= 2, 2, 0))
        np.testing.assert_array_equal(obs["first_0"], want)
        assert env.observation_space("first_0").contains(obs["first_0"])
        seen.update(np.unique(obs["first_0"]).tolist())
    y, x = ROM.shadow(env.emu.ram, "sprite_y") - 16, ROM.shadow(env.emu.ram, "sprite_x") - 8
    assert obs["first_0"][y // 8, x // 8] == 1, "the sprite's cell is class 1"
    assert seen == {0, 1, 2}, "every class showed up while the map scrolled"


def test_compressed_without_a_tiles_block_is_a_clear_error(tmp_path: Path) -> None:
    rom = build_tiles_rom("gb", tmp_path)
    with pytest.raises(TilesError, match="needs a 'tiles' block"):
        pettingretro.parallel_env(rom=rom, obs_type="compressed")
    folder = folder_with(tmp_path, {"info": scroll_info(), "tiles": {"minimal": {"1": [1]}}})
    with pytest.raises(IntegrationError, match="no 'compressed' level"):
        pettingretro.parallel_env(str(folder), rom=rom, obs_type="compressed")


def test_a_malformed_tiles_block_names_the_key(tmp_path: Path) -> None:
    rom = build_tiles_rom("gb", tmp_path)
    folder = folder_with(tmp_path, {"info": scroll_info(), "tiles": {"minimal": {"one": [1]}}})
    with pytest.raises(IntegrationError, match=r"data.json: tiles.minimal: class id 'one'"):
        pettingretro.parallel_env(str(folder), rom=rom, obs_type="minimal")


def test_tiles_on_a_console_without_them_is_a_clear_error() -> None:
    with pytest.raises(TilesError, match="Atari 2600 has no tile hardware"):
        pong_v0.parallel_env(obs_type="tiles")
    env = pong_v0.parallel_env()
    env.reset(seed=0)
    with pytest.raises(TilesError, match="no tile hardware"):
        env.game_area("first_0")


def test_tiles_through_an_isolated_emulator(tmp_path: Path) -> None:
    rom = build_tiles_rom("gb", tmp_path)
    isolated = pettingretro.parallel_env(rom=rom, obs_type="tiles", isolate=True)
    local = pettingretro.parallel_env(rom=rom, obs_type="tiles")
    try:
        isolated.reset(seed=0)
        local.reset(seed=0)
        for _ in range(50):
            a, *_ = isolated.step({"first_0": 0})
            b, *_ = local.step({"first_0": 0})
            np.testing.assert_array_equal(a["first_0"], b["first_0"])
    finally:
        isolated.close()
        local.close()


def test_tiles_env_passes_the_pettingzoo_aec_api_test(tmp_path: Path) -> None:
    rom = build_tiles_rom("nes", tmp_path)
    env = pettingretro.env(rom=rom, obs_type="tiles")
    assert env.observation_space("first_0").shape == (28, 30)
    api_test(env, num_cycles=100)
