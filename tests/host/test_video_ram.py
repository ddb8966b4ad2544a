"""Emulator.memory("video_ram") where a core shows video RAM only in its memory map.

gambatte (Debian's and the stable-retro wheel's) answers retro_get_memory_data(VIDEO_RAM) with
nothing but maps the Game Boy's 8 KiB of VRAM at 0x8000. On our Game Boy test ROM:

* the background decoded from that view (tiles at 0x8000, map at 0x9800) is the screen;
* the view is live both ways: a tile written through it shows on the next frame, and a loaded
  state shows through it without asking again.

A core that flags its map region RETRO_MEMDESC_VIDEO_RAM (the test core) gets it the same way;
one without video RAM (Stella) still gets an empty array.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pettingretro.cores import MAPPED_VIDEO_RAM
from pettingretro.host import Emulator
from pettingretro.testing.roms import build_rom

GAMBATTES = {
    "debian": "/usr/lib/x86_64-linux-gnu/libretro/gambatte_libretro.so",
    "stable-retro": "gambatte",
}
VRAM = 0x8000  # Game Boy addresses; the view's index is address - VRAM
BG_MAP = 0x9800


@pytest.fixture(scope="module")
def gb_rom(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_rom("gb", tmp_path_factory.mktemp("gb"))


def background(vram: np.ndarray) -> np.ndarray:
    """The 160x144 colour numbers (0..3) of the background at scroll 0, from VRAM alone.

    Tile data at 0x8000 (LCDC bit 4, as the ROM sets it): 16 bytes a tile, per row a low byte
    then a high byte, leftmost pixel in bit 7. The 32x32 tile map at 0x9800.
    """
    tiles = vram[: 384 * 16].reshape(384, 8, 2)
    bits = np.arange(7, -1, -1)
    pixels = ((tiles[:, :, 1:2] >> bits) & 1) << 1 | ((tiles[:, :, 0:1] >> bits) & 1)
    ids = vram[BG_MAP - VRAM : BG_MAP - VRAM + 1024].reshape(32, 32)[:18, :20]
    return pixels[ids].transpose(0, 2, 1, 3).reshape(144, 160)


@pytest.mark.parametrize("source", sorted(GAMBATTES))
def test_gambatte_video_ram_is_the_picture(source: str, gb_rom: Path) -> None:
    with Emulator(GAMBATTES[source], gb_rom) as emu:
        assert emu.system_info.library_name in MAPPED_VIDEO_RAM
        emu.step(10)
        vram = emu.memory("video_ram")
        assert vram.dtype == np.uint8 and vram.shape == (0x2000,)
        assert np.count_nonzero(vram) > 100, "gambatte starts with the logo's tiles in VRAM"
        dark = emu.screen_gray() < 128  # palette 0xFC: colour 0 is white, 1-3 are black
        assert 0 < dark.mean() < 0.5
        np.testing.assert_array_equal(background(vram) != 0, dark)

        # written through the view, tile 0 (the map's blank tile) turns the background black
        state = emu.save_state()
        vram[0:16] = 0xFF
        emu.step(2)
        assert (emu.screen_gray() < 128).mean() > 0.9
        np.testing.assert_array_equal(background(vram) != 0, emu.screen_gray() < 128)

        # a loaded state shows through the same view
        emu.load_state(state)
        assert np.all(vram[0:16] == 0)
        emu.step(2)
        np.testing.assert_array_equal(background(vram) != 0, dark)


def test_a_flagged_map_region_is_video_ram(make_emu) -> None:
    emu = make_emu(vram_map=1)
    vram = emu.memory("video_ram")
    np.testing.assert_array_equal(vram, np.arange(256, dtype=np.uint8))
    assert np.shares_memory(vram, emu.memory_maps[1].data)


def test_no_video_ram_is_an_empty_view(make_emu, ale_roms: Path) -> None:
    assert make_emu().memory("video_ram").shape == (0,)
    with Emulator("stella", ale_roms / "pong.bin") as emu:
        assert emu.memory("video_ram").shape == (0,)
