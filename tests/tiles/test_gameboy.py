"""The Game Boy tiles grid against what our own test ROM drew, on gambatte (DMG and CGB)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from pettingretro.errors import TilesError
from pettingretro.host import Button, Emulator
from pettingretro.testing.roms import TILES_ROMS, build_tiles_rom, hold, picture_mismatch
from pettingretro.tiles import tile_reader
from pettingretro.tiles.gameboy import GameBoyTiles, GameBoyVideo, decode_tiles

ROM = TILES_ROMS["gb"]


@pytest.fixture(scope="module", params=[False, True], ids=["dmg", "cgb"])
def emu(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Emulator]:
    path = build_tiles_rom("gb", tmp_path_factory.mktemp("gb"), color=request.param)
    with Emulator(ROM.core, path) as emu:
        emu.step(30)  # past the ROM's VRAM fill (the LCD is off meanwhile)
        yield emu


def expected(emu: Emulator, color: bool) -> npt.NDArray[np.uint16]:
    """The grid computed from what the ROM says it drew (its shadows in work RAM)."""
    ram = emu.ram
    scy, scx = ROM.shadow(ram, "scy"), ROM.shadow(ram, "scx")
    grid = np.empty((18, 20), np.uint16)
    for r in range(18):
        for c in range(20):
            row, col = (scy // 8 + r) % 32, (scx // 8 + c) % 32
            grid[r, c] = ROM.map_tile(row, col) + (384 if color and (row + col) % 2 else 0)
    y, x = ROM.shadow(ram, "sprite_y") - 16, ROM.shadow(ram, "sprite_x") - 8
    if 0 <= y < 144 and 0 <= x < 160:
        grid[y // 8, x // 8] = ROM.sprite_tile
    return grid


def press(emu: Emulator, *buttons: Button) -> None:
    hold(emu, 0, *buttons)


def test_color_mode_is_detected(emu: Emulator) -> None:
    reader = GameBoyTiles(emu)
    assert reader.color == bool(ROM.shadow(emu.ram, "cgb"))
    assert reader.num_ids == (768 if reader.color else 384)


def test_grid_is_the_drawn_map_scrolled_with_the_sprite_where_input_put_it(emu: Emulator) -> None:
    reader = tile_reader(emu)
    color = bool(ROM.shadow(emu.ram, "cgb"))
    rng = np.random.default_rng(14)
    moves = [Button.RIGHT, Button.LEFT, Button.UP, Button.DOWN]
    seen_scroll = set()
    for _ in range(120):
        held = [moves[i] for i in rng.choice(4, size=rng.integers(0, 3), replace=False)]
        if rng.random() < 0.5:
            held.append(Button.A)
        press(emu, *held)
        emu.step(int(rng.integers(1, 4)))
        grid = reader.grid()
        assert grid.shape == (18, 20) and grid.dtype == np.uint16
        np.testing.assert_array_equal(grid, expected(emu, color))
        seen_scroll.add((ROM.shadow(emu.ram, "scy") // 8, ROM.shadow(emu.ram, "scx") // 8))
    assert len(seen_scroll) > 10, "the walk should have scrolled across many tiles"


def test_sprite_cell_follows_the_dpad(emu: Emulator) -> None:
    reader = tile_reader(emu)
    press(emu)
    emu.step(1)
    y, x = ROM.shadow(emu.ram, "sprite_y") - 16, ROM.shadow(emu.ram, "sprite_x") - 8
    assert 0 <= y < 136 and 0 <= x < 144, "the other tests leave the sprite on screen"
    before = reader.grid()[y // 8, x // 8]
    assert before == ROM.sprite_tile
    press(emu, Button.RIGHT)
    emu.step(8)
    press(emu)
    grid = reader.grid()
    assert grid[y // 8, x // 8 + 1] == ROM.sprite_tile
    assert grid[y // 8, x // 8] != ROM.sprite_tile or ROM.map_tile(0, 0) == ROM.sprite_tile


def render_background(reader: GameBoyTiles, video: GameBoyVideo) -> npt.NDArray[np.int64]:
    """Draw the background from the grid's tiles: (144, 160) palette keys (palette * 4 + colour)."""
    ids, attrs, (fy, fx) = reader.background(video)
    pixels = decode_tiles(video.vram)[ids].astype(np.int64)  # (19, 21, 8, 8)
    xflip = (attrs >> 5) & 1
    yflip = (attrs >> 6) & 1
    pixels = np.where(xflip[..., None, None] == 1, pixels[..., ::-1], pixels)
    pixels = np.where(yflip[..., None, None] == 1, pixels[..., ::-1, :], pixels)
    image = pixels.transpose(0, 2, 1, 3).reshape(19 * 8, 21 * 8)[fy : fy + 144, fx : fx + 160]
    if video.color:
        palette = np.repeat(np.repeat(attrs & 7, 8, 0), 8, 1)[fy : fy + 144, fx : fx + 160]
        return palette.astype(np.int64) * 4 + image
    return (video.bgp >> (2 * image)) & 3  # the shade each colour index shows


def assert_same_picture(
    keys: npt.NDArray[np.int64], rgb: npt.NDArray[np.uint8], mask: npt.NDArray[np.bool_]
) -> None:
    why = picture_mismatch(keys, rgb, mask)
    assert why is None, why
    assert len(np.unique(keys[mask])) >= 4, "the ROM's random tiles use every colour"


def test_background_rendered_from_the_grid_is_the_emulators_picture(emu: Emulator) -> None:
    reader = GameBoyTiles(emu)
    rng = np.random.default_rng(7)
    for _ in range(40):
        press(emu, *([Button.A] if rng.random() < 0.6 else []))
        emu.step(int(rng.integers(1, 6)))
        video = reader.video()
        keys = render_background(reader, video)
        mask = np.ones((144, 160), bool)
        for y, x, _, _ in video.oam.astype(int):
            mask[max(0, y - 16) : max(0, y - 8), max(0, x - 8) : max(0, x)] = False
        assert_same_picture(keys, emu.screen_rgb(), mask)


def test_picture_check_catches_a_wrong_scroll(emu: Emulator) -> None:
    reader = GameBoyTiles(emu)
    emu.step(1)
    video = reader.video()
    high = video.high.copy()
    high[0x143] = (high[0x143] + 3) & 0xFF  # SCX off by three pixels
    wrong = GameBoyVideo(video.vram, high, video.color)
    with pytest.raises(AssertionError):
        assert_same_picture(
            render_background(reader, wrong), emu.screen_rgb(), np.ones((144, 160), bool)
        )


def modified(emu: Emulator, reader: GameBoyTiles, **registers: int) -> None:
    """Load the current state with some I/O registers changed (the ROM never rewrites them)."""
    state = bytearray(emu.save_state())
    at = bytes(state).find(b"hram\x00") + 8
    names = {"lcdc": 0x140, "wy": 0x14A, "wx": 0x14B}
    for name, value in registers.items():
        state[at + names[name]] = value
    emu.load_state(bytes(state))


def test_window_and_signed_tile_data(emu: Emulator) -> None:
    reader = GameBoyTiles(emu)
    press(emu)
    emu.step(1)
    saved = emu.save_state()
    try:
        # window on (map $9800, like the background), at screen (40, 16); $8800 addressing
        modified(emu, reader, lcdc=0x93 & ~0x10 | 0x20, wy=40, wx=16 + 7)
        emu.step(1)
        video = reader.video()
        assert video.lcdc == 0xA3 and video.window == (40, 16)
        grid = reader.grid()
        color = video.color
        scy, scx = video.scroll

        def tile(row: int, col: int) -> int:
            raw = ROM.map_tile(row, col)
            return (raw + 256 if raw < 128 else raw) + (384 if color and (row + col) % 2 else 0)

        sy, sx = ROM.shadow(emu.ram, "sprite_y") - 16, ROM.shadow(emu.ram, "sprite_x") - 8
        for r in range(18):
            for c in range(20):
                if (r, c) == (sy // 8, sx // 8):
                    assert grid[r, c] == ROM.sprite_tile
                elif r >= 5 and c >= 2:
                    assert grid[r, c] == tile(r - 5, c - 2), (r, c)
                else:
                    assert grid[r, c] == tile((scy // 8 + r) % 32, (scx // 8 + c) % 32), (r, c)
    finally:
        emu.load_state(saved)


def test_consoles_without_tiles_are_refused_with_the_reason(ale_roms: Path) -> None:
    with (
        Emulator("stella", ale_roms / "pong.bin") as atari,
        pytest.raises(TilesError, match=r"no tile hardware.*use obs_type='rgb_image'"),
    ):
        tile_reader(atari)


def test_tall_sprites_fill_two_cells(emu: Emulator) -> None:
    reader = GameBoyTiles(emu)
    press(emu)
    emu.step(1)
    saved = emu.save_state()
    try:
        modified(emu, reader, lcdc=0x93 | 0x04)  # 8x16 sprites
        emu.step(1)
        y, x = ROM.shadow(emu.ram, "sprite_y") - 16, ROM.shadow(emu.ram, "sprite_x") - 8
        assert 0 <= y < 128, "the other tests leave the sprite on screen"
        grid = reader.grid()
        assert grid[y // 8, x // 8] == ROM.sprite_tile & 0xFE
        assert grid[y // 8 + 1, x // 8] == ROM.sprite_tile | 0x01
    finally:
        emu.load_state(saved)


DEBIAN_GAMBATTE = Path("/usr/lib/x86_64-linux-gnu/libretro/gambatte_libretro.so")


def test_debians_gambatte_gives_the_same_grid(tmp_path: Path) -> None:
    """Debian's build maps neither OAM nor the registers: the state carries them all the same."""
    assert DEBIAN_GAMBATTE.is_file(), "scripts/setup-test installs libretro-gambatte"
    rom = build_tiles_rom("gb", tmp_path, color=True)
    with Emulator(DEBIAN_GAMBATTE, rom) as debian, Emulator(ROM.core, rom) as wheel:
        assert debian.core_path != wheel.core_path
        assert not any(d.start == 0xFE00 for d in debian.memory_maps)
        debian.step(40)
        wheel.step(40)
        ours, theirs = tile_reader(debian), tile_reader(wheel)
        for _ in range(20):
            press(debian, Button.A, Button.RIGHT)
            press(wheel, Button.A, Button.RIGHT)
            debian.step(3)
            wheel.step(3)
            np.testing.assert_array_equal(ours.grid(), theirs.grid())
            np.testing.assert_array_equal(ours.grid(), expected(debian, color=True))
