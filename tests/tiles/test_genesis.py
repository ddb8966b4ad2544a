"""The Genesis / Mega Drive tiles grid against what our own test ROM drew, on genesis_plus_gx."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from pettingzoo.test import parallel_api_test

import pettingretro
from pettingretro.errors import StateError, TilesError
from pettingretro.host import Button, Emulator
from pettingretro.isolation import IsolatedEmulator
from pettingretro.testing.roms import TILES_ROMS, build_tiles_rom, hold
from pettingretro.tiles import tile_reader
from pettingretro.tiles.genesis import (
    BLANK,
    STATE_LAYOUT,
    GenesisTiles,
    GenesisVideo,
    decode_tiles,
    rgb_of,
)

ROM = TILES_ROMS["genesis"]
ROWS, COLS = 28, 40
SPRITE_W, SPRITE_H = 3, 2  # the ROM's sprite, in cells

# what the ROM's register table writes (tiles.s), register -> value; 1 is $64 once shown
REGISTERS = {0: 0x04, 1: 0x64, 2: 0x30, 3: 0x2C, 4: 0x07, 5: 0x6C, 7: 0x00, 10: 0xFF}
REGISTERS |= {11: 0x00, 12: 0x81, 13: 0x3F, 15: 0x02, 16: 0x01, 17: 0x00, 18: 0x00}


@pytest.fixture(scope="module")
def emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    path = build_tiles_rom("genesis", tmp_path_factory.mktemp("genesis"))
    with Emulator(ROM.core, path) as emu:
        emu.step(30)  # past the ROM's VRAM fill (the display is off meanwhile)
        yield emu


def shadow(emu: Emulator, name: str) -> int:
    """One of the ROM's 16-bit shadows (its low byte first in the core's RAM view)."""
    ram = emu.ram
    return ROM.shadow(ram, name) | ROM.shadow(ram, f"{name}_high") << 8


def entry(row: int, col: int) -> int:
    """The name table word the ROM wrote at plane A's (row, col)."""
    flips, palette = (row ^ col) & 3, (row + col) & 3
    return 0x100 + ROM.map_tile(row, col) | flips << 11 | palette << 13


def sprite_cells(emu: Emulator) -> dict[tuple[int, int], int]:
    """The grid cells the ROM's sprite puts its tiles in: (row, col) -> tile id."""
    x, y = shadow(emu, "sprite_x") - 128, shadow(emu, "sprite_y") - 128
    cells = {}
    for c in range(SPRITE_W):
        for r in range(SPRITE_H):
            px, py = x + 8 * c, y + 8 * r
            if 0 <= px < COLS * 8 and 0 <= py < ROWS * 8:
                cells[py // 8, px // 8] = ROM.sprite_tile + c * SPRITE_H + r  # column-major
    return cells


def expected(emu: Emulator) -> npt.NDArray[np.uint16]:
    """The grid computed from what the ROM says it drew (its shadows in RAM)."""
    scy, scx = shadow(emu, "scy"), shadow(emu, "scx")
    grid = np.empty((ROWS, COLS), np.uint16)
    for r in range(ROWS):
        for c in range(COLS):
            grid[r, c] = 0x100 + ROM.map_tile((scy // 8 + r) % 32, (scx // 8 + c) % 64)
    for (r, c), tile in sprite_cells(emu).items():
        grid[r, c] = tile
    return grid


def press(emu: Emulator, *buttons: Button) -> None:
    hold(emu, 0, *buttons)


def modified(emu: Emulator, **registers: int) -> None:
    """Load the current state with some VDP registers changed (the ROM never rewrites them)."""
    state = bytearray(emu.save_state())
    at = STATE_LAYOUT["reg"][0]
    for name, value in registers.items():
        state[at + int(name[1:])] = value
    emu.load_state(bytes(state))


def test_the_state_holds_what_the_rom_wrote_where_the_layout_says(emu: Emulator) -> None:
    state = emu.save_state()
    assert state.startswith(b"GENPLUS-GX")

    def block(name: str) -> bytes:
        at, size = STATE_LAYOUT[name]
        return state[at : at + size]

    regs = block("reg")
    assert {r: regs[r] for r in REGISTERS} == REGISTERS
    vram = block("vram")
    plane = np.frombuffer(vram, "<u2", 64 * 32, 0xC000).reshape(32, 64)  # host-order words
    want = np.array([[entry(r, c) for c in range(64)] for r in range(32)], np.uint16)
    np.testing.assert_array_equal(plane, want)
    cram = np.frombuffer(block("cram"), "<u2")
    np.testing.assert_array_equal(cram, (np.arange(64) * 37 + 5) & 0x1FF)  # packed BBBGGGRRR
    assert vram[:32] == bytes(32), "tile 0 is blank"
    sat = np.frombuffer(block("sat"), "<u2", 4)
    assert sat.tolist()[:3] == [shadow(emu, "sprite_y"), 0x0900, 0x2000 | ROM.sprite_tile]
    assert block("io_reg")[0] & 0xE0 == 0xA0, "an overseas NTSC console without expansion"


def test_grid_is_the_active_display(tmp_path: Path) -> None:
    path = build_tiles_rom("genesis", tmp_path)
    with Emulator(ROM.core, path) as emu:
        reader = tile_reader(emu)
        assert (reader.rows, reader.cols, reader.num_ids) == (ROWS, COLS, 2049)
        assert np.all(reader.grid() == BLANK), "before the ROM turns the display on"
        emu.step(30)
        assert emu.screen_shape == (ROWS * 8, COLS * 8)
        assert np.all(reader.grid() < BLANK)


def test_grid_is_the_drawn_map_scrolled_with_the_sprite_where_input_put_it(emu: Emulator) -> None:
    reader = GenesisTiles(emu)
    rng = np.random.default_rng(14)
    moves = [Button.RIGHT, Button.LEFT, Button.UP, Button.DOWN]
    out = np.zeros((ROWS, COLS), np.uint16)
    seen = set()
    for _ in range(150):
        held = [moves[i] for i in rng.choice(4, size=rng.integers(0, 3), replace=False)]
        if rng.random() < 0.6:
            held.append(Button.B)  # the pad's B: scroll down
        press(emu, *held)
        emu.step(int(rng.integers(1, 6)))
        assert reader.grid(out) is out
        np.testing.assert_array_equal(out, expected(emu))
        seen.add((shadow(emu, "scy") // 8 % 32, shadow(emu, "scx") // 8 % 64))
    assert len(seen) > 20, "the walk should have scrolled across many tiles"
    assert any(x >= 32 for _, x in seen), "and into the plane's right half"


def test_sprite_cell_follows_the_dpad(emu: Emulator) -> None:
    reader = GenesisTiles(emu)
    press(emu)
    emu.step(1)
    x, y = shadow(emu, "sprite_x") - 128, shadow(emu, "sprite_y") - 128
    assert 0 <= x < 200 and 0 <= y < 160, "the other tests leave the sprite on screen"
    grid = reader.grid()
    assert grid[y // 8, x // 8] == ROM.sprite_tile
    assert grid[y // 8 + 1, x // 8 + 2] == ROM.sprite_tile + 5, "the last cell: column 2, row 1"
    press(emu, Button.RIGHT)
    emu.step(8)
    press(emu)
    grid = reader.grid()
    assert shadow(emu, "sprite_x") - 128 == x + 8
    assert grid[y // 8, x // 8 + 1] == ROM.sprite_tile
    assert grid[y // 8, x // 8] >= 0x100, "the cell it left shows plane A again"


def test_sprite_flips_and_link_order(emu: Emulator) -> None:
    reader = GenesisTiles(emu)
    press(emu)
    emu.step(1)
    saved = emu.save_state()
    state = bytearray(saved)
    sat, vram = STATE_LAYOUT["sat"][0], STATE_LAYOUT["vram"][0] + 0xD800

    def put(at: int, *words: int) -> None:
        for i, word in enumerate(words):
            state[at + 2 * i : at + 2 * i + 2] = word.to_bytes(2, "little")

    x, y = shadow(emu, "sprite_x"), shadow(emu, "sprite_y")
    # sprite 0 flipped both ways, linked to sprite 1: 1x1 cell, tile $1F0, 8 pixels to the
    # left of sprite 0's first column (uncovered) and on sprite 0's first cell (covered)
    put(sat, y, 0x0901)
    put(vram, y, 0x0901, 0x2000 | 0x1800 | ROM.sprite_tile, x)
    put(sat + 8, y, 0x0500)  # 2 wide, 1 tall, link 0
    put(vram + 8, y, 0x0500, 0x01F0, x - 8)
    try:
        emu.load_state(bytes(state))
        grid = reader.grid()
        row, col = (y - 128) // 8, (x - 128) // 8
        assert grid[row, col - 1] == 0x1F0, "sprite 1's first cell, left of sprite 0"
        # flipped: screen column c shows the sprite's column 2 - c, screen row r its row 1 - r
        assert grid[row, col] == ROM.sprite_tile + 2 * SPRITE_H + 1, "sprite 0 wins its cell"
        assert grid[row + 1, col + 2] == ROM.sprite_tile
        assert grid[row, col + 2] == ROM.sprite_tile + 1
    finally:
        emu.load_state(saved)


def render_plane_a(
    reader: GenesisTiles, video: GenesisVideo, grid: npt.NDArray[np.uint16]
) -> npt.NDArray[np.uint8]:
    """Draw plane A from the grid's tile ids: the RGB of every visible pixel.

    The grid gives each cell's tile; the name entries give the one row and column more
    that a fine scroll shows, and each cell's palette and flips, which the grid leaves out.
    """
    entries, (fy, fx) = video.plane_cells(ROWS, COLS)
    ids = entries & 0x7FF
    sprites = np.zeros((ROWS, COLS), bool)
    sprites[grid < 0x100] = True  # the sprite's tiles are 0x42-0x47, the map's 0x100-0x1FF
    ids[:ROWS, :COLS] = np.where(sprites, ids[:ROWS, :COLS], grid)
    pixels = decode_tiles(video.vram)[ids]  # (rows+1, cols+1, 8, 8)
    pixels = np.where((entries & 0x0800)[..., None, None] > 0, pixels[..., ::-1], pixels)
    pixels = np.where((entries & 0x1000)[..., None, None] > 0, pixels[..., ::-1, :], pixels)
    n_r, n_c = ids.shape
    image = pixels.transpose(0, 2, 1, 3).reshape(n_r * 8, n_c * 8)
    palette = np.repeat(np.repeat((entries >> 13) & 3, 8, 0), 8, 1)
    h, w = ROWS * 8, COLS * 8
    image, palette = image[fy : fy + h, fx : fx + w], palette[fy : fy + h, fx : fx + w]
    backdrop = int(video.reg[7]) & 0x3F  # plane B is blank tile 0: its pixels are backdrop
    index = np.where(image == 0, backdrop, palette * 16 + image)
    return rgb_of(video.cram[index])


def sprite_mask(emu: Emulator) -> npt.NDArray[np.bool_]:
    mask = np.ones((ROWS * 8, COLS * 8), bool)
    x, y = shadow(emu, "sprite_x") - 128, shadow(emu, "sprite_y") - 128
    mask[max(0, y) : max(0, y + 8 * SPRITE_H), max(0, x) : max(0, x + 8 * SPRITE_W)] = False
    return mask


def test_plane_a_rendered_from_the_grid_is_the_emulators_picture(emu: Emulator) -> None:
    reader = GenesisTiles(emu)
    rng = np.random.default_rng(7)
    colours: set[tuple[int, ...]] = set()
    for _ in range(30):
        press(emu, *([Button.B] if rng.random() < 0.6 else []))
        emu.step(int(rng.integers(1, 8)))
        video = reader.video()
        drawn, shown, mask = (
            render_plane_a(reader, video, reader.grid()),
            emu.screen_rgb(),
            sprite_mask(emu),
        )
        np.testing.assert_array_equal(drawn[mask], shown[mask])
        colours.update(map(tuple, shown[mask].reshape(-1, 3)[::97].tolist()))
    assert len(colours) >= 50, "the ROM's four palettes and the backdrop show 61 colours"


def test_picture_check_catches_a_wrong_scroll(emu: Emulator) -> None:
    reader = GenesisTiles(emu)
    emu.step(1)
    video = reader.video()
    vram = video.vram.copy()
    vram[0xFC00 >> 1] = (vram[0xFC00 >> 1] + 2) & 0x3FF  # H scroll two pixels off
    wrong = GenesisVideo(**{**video.__dict__, "vram": vram})
    mask = sprite_mask(emu)
    drawn = render_plane_a(reader, wrong, reader.grid())
    assert not np.array_equal(drawn[mask], emu.screen_rgb()[mask])


def test_window_covers_rows_then_columns(emu: Emulator) -> None:
    reader = GenesisTiles(emu)
    press(emu)
    emu.step(1)
    saved = emu.save_state()

    def window(row: int, col: int) -> int:
        return 0x80 + ((row * 5 + col) & 0x7F)

    try:
        modified(emu, r18=0x04)  # the top four rows
        emu.step(1)
        grid, plain = reader.grid(), expected(emu)
        sprite = sprite_cells(emu)
        for r in range(ROWS):
            for c in range(COLS):
                want = window(r, c) if r < 4 and (r, c) not in sprite else plain[r, c]
                assert grid[r, c] == want, (r, c)
        modified(emu, r18=0x00, r17=0x85)  # right of column 10, every row
        emu.step(1)
        grid, plain = reader.grid(), expected(emu)
        sprite = sprite_cells(emu)
        for r in range(ROWS):
            for c in range(COLS):
                want = window(r, c) if c >= 10 and (r, c) not in sprite else plain[r, c]
                assert grid[r, c] == want, (r, c)
    finally:
        emu.load_state(saved)


def test_h32_fills_the_right_columns_and_line_scroll_uses_line_0(emu: Emulator) -> None:
    reader = GenesisTiles(emu)
    press(emu)
    emu.step(1)
    saved = emu.save_state()
    try:
        modified(emu, r12=0x00, r11=0x03)  # 256 pixels wide; H scroll per line
        emu.step(1)
        assert emu.screen_shape == (ROWS * 8, 256)
        grid = reader.grid()
        assert grid.shape == (ROWS, COLS)
        assert np.all(grid[:, 32:] == BLANK)
        # the ROM writes only line 0's scroll word; the others are 0 (the grid ignores them)
        np.testing.assert_array_equal(grid[:, :32], expected(emu)[:, :32])
    finally:
        emu.load_state(saved)


def test_blanked_display_and_interlace_mode_2(emu: Emulator) -> None:
    reader = GenesisTiles(emu)
    emu.step(1)
    saved = emu.save_state()
    try:
        modified(emu, r1=0x24)  # display off (the ROM rewrites nothing of register 1)
        assert np.all(reader.grid() == BLANK)
        modified(emu, r1=0x64, r12=0x87)
        with pytest.raises(TilesError, match="interlace mode 2"):
            reader.grid()
    finally:
        emu.load_state(saved)


def test_a_master_system_game_is_refused(tmp_path: Path) -> None:
    rom = build_tiles_rom("genesis", tmp_path)
    sms = tmp_path / "game.sms"
    sms.write_bytes(rom.read_bytes())
    with (
        Emulator(ROM.core, sms) as emu,
        pytest.raises(TilesError, match="Master System game"),
    ):
        tile_reader(emu)


def test_tiles_env_on_the_rom(tmp_path: Path) -> None:
    rom = build_tiles_rom("genesis", tmp_path)
    env = pettingretro.parallel_env(rom=rom, obs_type="tiles")
    space = env.observation_space("first_0")
    assert space.shape == (ROWS, COLS) and np.all(space.nvec == 2049)
    env.reset(seed=0)
    for _ in range(30):
        env.step({agent: 0 for agent in env.agents})
    for _ in range(20):
        obs, *_ = env.step({agent: 0 for agent in env.agents})
        grid = obs["first_0"]
        assert space.contains(grid)
        np.testing.assert_array_equal(grid, expected(env.emu))
        np.testing.assert_array_equal(grid, env.game_area("first_0"))
    env.close()
    parallel_api_test(pettingretro.parallel_env(rom=rom, obs_type="tiles"), num_cycles=100)


def test_airstriker_grid_is_stable_shaped_and_in_range() -> None:
    env = pettingretro.parallel_env("Airstriker-Genesis-v0", obs_type="tiles")
    space = env.observation_space("first_0")
    obs, _ = env.reset(seed=0)
    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(300):
        actions = {a: int(rng.integers(env.action_space(a).n)) for a in env.agents}
        obs, *_ = env.step(actions)
        grid = obs["first_0"]
        assert grid.shape == (ROWS, COLS) and space.contains(grid)
        seen.add(grid.tobytes())
        if not env.agents:
            break
    assert len(seen) > 10, "the game's screen changes"
    assert not np.all(grid == BLANK), "and shows tiles"
    env.close()


def test_state_into_a_buffer_is_the_state(emu: Emulator) -> None:
    emu.step(1)
    state = emu.save_state()
    buf = np.zeros(len(state) + 5, np.uint8)  # zeroed, as save_state's own buffer is
    assert emu.save_state_into(buf) == len(state)
    assert buf[: len(state)].tobytes() == state and np.all(buf[len(state) :] == 0)
    with pytest.raises(StateError, match=r"cannot hold this core's \d+-byte state"):
        emu.save_state_into(np.empty(len(state) - 1, np.uint8))


def test_tiles_through_an_isolated_emulator(tmp_path: Path) -> None:
    rom = build_tiles_rom("genesis", tmp_path)
    with Emulator(ROM.core, rom) as local, IsolatedEmulator(ROM.core, rom) as isolated:
        here, there = GenesisTiles(local), GenesisTiles(isolated)
        for frames in (30, 1, 7):
            local.step(frames)
            isolated.step(frames)
            np.testing.assert_array_equal(there.grid(), here.grid())
        buf = np.empty(len(local.save_state()) - 1, np.uint8)
        with pytest.raises(StateError, match="cannot hold"):
            isolated.save_state_into(buf)
