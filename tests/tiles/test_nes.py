"""The NES tiles grid against what our own test ROM drew, on fceumm."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from pettingretro.errors import TilesError
from pettingretro.host import Button, Emulator
from pettingretro.testing.roms import (
    TEST_ROMS,
    TILES_ROMS,
    build_rom,
    build_tiles_rom,
    hold,
    picture_mismatch,
)
from pettingretro.tiles import tile_reader
from pettingretro.tiles.nes import NesTiles, NesVideo, decode_tiles

ROM = TILES_ROMS["nes"]


@pytest.fixture(scope="module")
def emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    path = build_tiles_rom("nes", tmp_path_factory.mktemp("nes"))
    with Emulator(ROM.core, path) as emu:
        emu.step(40)  # past the ROM's CHR RAM fill (rendering is off meanwhile)
        yield emu


def shadow_scroll(emu: Emulator) -> tuple[int, int]:
    ram = emu.ram
    return ROM.shadow(ram, "scy"), ROM.shadow(ram, "scx_high") * 256 + ROM.shadow(ram, "scx")


def expected(emu: Emulator, reader: NesTiles) -> npt.NDArray[np.uint16]:
    """The grid computed from what the ROM says it drew (its shadows in RAM)."""
    scy, scx = shadow_scroll(emu)
    top, left = reader.crop
    grid = np.empty((reader.rows, reader.cols), np.uint16)
    for r in range(reader.rows):
        for c in range(reader.cols):
            row = ((scy + top) // 8 + r) % 30  # the two nametables stacked are mirrors
            col = ((scx + left) // 8 + c) % 64
            grid[r, c] = 256 + ROM.map_tile(row, col)  # background tiles from $1000
    y = ROM.shadow(emu.ram, "sprite_y") + 1 - top
    x = ROM.shadow(emu.ram, "sprite_x") - left
    if 0 <= y < reader.rows * 8 and 0 <= x < reader.cols * 8:
        grid[y // 8, x // 8] = ROM.sprite_tile
    return grid


def press(emu: Emulator, *buttons: Button) -> None:
    hold(emu, 0, *buttons)


def test_grid_is_the_visible_screen(emu: Emulator) -> None:
    reader = tile_reader(emu)
    height, width = emu.screen_shape
    assert (reader.rows, reader.cols) == (height // 8, width // 8)
    assert reader.num_ids == 512


def test_grid_is_the_drawn_map_scrolled_with_the_sprite_where_input_put_it(emu: Emulator) -> None:
    reader = NesTiles(emu)
    rng = np.random.default_rng(14)
    moves = [Button.RIGHT, Button.LEFT, Button.UP, Button.DOWN]
    seen = set()
    for _ in range(150):
        held = [moves[i] for i in rng.choice(4, size=rng.integers(0, 3), replace=False)]
        if rng.random() < 0.6:
            held.append(Button.A)
        press(emu, *held)
        emu.step(int(rng.integers(1, 6)))
        np.testing.assert_array_equal(reader.grid(), expected(emu, reader))
        scy, scx = shadow_scroll(emu)
        seen.add((scy // 8, scx // 8))
    assert len(seen) > 20, "the walk should have scrolled across many tiles"
    assert any(x >= 32 for _, x in seen), "and into the right nametable"


def test_sprite_cell_follows_the_dpad(emu: Emulator) -> None:
    reader = NesTiles(emu)
    press(emu)
    emu.step(1)
    top, left = reader.crop
    y = ROM.shadow(emu.ram, "sprite_y") + 1 - top
    x = ROM.shadow(emu.ram, "sprite_x") - left
    assert 0 <= y < 200 and 0 <= x < 200, "the other tests leave the sprite on screen"
    assert reader.grid()[y // 8, x // 8] == ROM.sprite_tile
    press(emu, Button.DOWN)
    emu.step(8)
    press(emu)
    grid = reader.grid()
    assert grid[y // 8 + 1, x // 8] == ROM.sprite_tile
    assert grid[y // 8, x // 8] >= 256, "the cell it left shows the background again"


def render_background(reader: NesTiles, video: NesVideo) -> npt.NDArray[np.int64]:
    """Draw the background from the grid's tiles: the NES colour of every visible pixel."""
    ids, palettes, (fy, fx) = reader.background(video)
    pixels = decode_tiles(video.chr)[ids].astype(np.int64)  # (rows+1, cols+1, 8, 8)
    h, w = reader.rows * 8, reader.cols * 8
    n_r, n_c = ids.shape
    image = pixels.transpose(0, 2, 1, 3).reshape(n_r * 8, n_c * 8)[fy : fy + h, fx : fx + w]
    pal = np.repeat(np.repeat(palettes, 8, 0), 8, 1)[fy : fy + h, fx : fx + w].astype(np.int64)
    colour = video.palette[pal * 4 + image].astype(np.int64)
    return np.where(image == 0, int(video.palette[0]), colour) & 0x3F


def assert_same_picture(
    keys: npt.NDArray[np.int64], rgb: npt.NDArray[np.uint8], mask: npt.NDArray[np.bool_]
) -> None:
    why = picture_mismatch(keys, rgb, mask)
    assert why is None, why
    assert len(np.unique(keys[mask])) >= 10, "the ROM's four palettes show at least ten colours"


def sprite_mask(reader: NesTiles, video: NesVideo) -> npt.NDArray[np.bool_]:
    mask = np.ones((reader.rows * 8, reader.cols * 8), bool)
    top, left = reader.crop
    for y, _, _, x in video.oam.astype(int):
        if y < 0xEF:
            y0, x0 = max(0, y + 1 - top), max(0, x - left)
            mask[y0 : max(0, y + 9 - top), x0 : max(0, x + 8 - left)] = False
    return mask


def test_background_rendered_from_the_grid_is_the_emulators_picture(emu: Emulator) -> None:
    reader = NesTiles(emu)
    rng = np.random.default_rng(7)
    for _ in range(40):
        press(emu, *([Button.A] if rng.random() < 0.6 else []))
        emu.step(int(rng.integers(1, 8)))
        video = reader.video()
        assert_same_picture(
            render_background(reader, video), emu.screen_rgb(), sprite_mask(reader, video)
        )


def test_picture_check_catches_a_wrong_scroll(emu: Emulator) -> None:
    reader = NesTiles(emu)
    emu.step(1)
    video = reader.video()
    wrong = NesVideo(**{**video.__dict__, "fine_x": (video.fine_x + 2) % 8})
    with pytest.raises(AssertionError):
        assert_same_picture(
            render_background(reader, wrong), emu.screen_rgb(), sprite_mask(reader, video)
        )


def test_a_mapper_that_switches_mirroring_is_refused(tmp_path: Path) -> None:
    rom = build_rom("nes", tmp_path)
    data = bytearray(rom.read_bytes())
    data[6] = 0x10  # mapper 1 (MMC1): mirroring set by the game at run time
    mmc1 = tmp_path / "mmc1.nes"
    mmc1.write_bytes(bytes(data))
    with (
        Emulator(TEST_ROMS["nes"].core, mmc1) as emu,
        pytest.raises(TilesError, match="mapper 1, whose mirroring"),
    ):
        tile_reader(emu)
