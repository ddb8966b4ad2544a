"""Game Boy RAM observations and state() cover work RAM and high RAM; other consoles unchanged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import pettingretro
from pettingretro.envs import pong_v0
from pettingretro.testing.roms import TILES_ROMS, build_tiles_rom

ROM = TILES_ROMS["gb"]


@pytest.mark.parametrize(("color", "work_ram"), [(False, 0x2000), (True, 0x8000)])
def test_game_boy_ram_is_work_ram_then_high_ram(tmp_path: Path, color: bool, work_ram: int) -> None:
    rom = build_tiles_rom("gb", tmp_path, color=color)
    env = pettingretro.parallel_env(rom=rom, obs_type="ram")
    size = work_ram + 0x80
    assert env.observation_space("first_0").shape == (size,)
    assert env.state_space.shape == (size,)
    env.reset(seed=0)
    for _ in range(40):
        obs, *_ = env.step({"first_0": 0})
    ram = obs["first_0"]
    assert ram.shape == (size,)
    np.testing.assert_array_equal(ram, env.state())
    # work RAM: the ROM's own shadows at $C000
    assert ram[ROM.offsets["scx"]] == ROM.shadow(env.emu.ram, "scx") != 0
    # high RAM: the last 128 bytes of gambatte's $FE00-$FFFF block in its save state
    state = env.emu.save_state()
    at = state.find(b"hram\x00") + 8
    np.testing.assert_array_equal(ram[work_ram:], np.frombuffer(state, np.uint8, 0x80, at + 0x180))
    assert ram[-1] == 0x01, "$FFFF is IE: the ROM enables the vblank interrupt only"


def test_other_consoles_observe_their_system_ram_alone() -> None:
    env = pong_v0.parallel_env(obs_type="ram")
    assert env.observation_space("first_0").shape == (128,)
    assert env.state_space.shape == (128,)
