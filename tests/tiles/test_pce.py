"""The PC Engine tiles grid against what our own test ROM drew, on mednafen_pce_fast."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

import pettingretro
from pettingretro.errors import TilesError
from pettingretro.host import Button, Emulator
from pettingretro.testing.roms import TILES_ROMS, build_tiles_rom, hold, picture_mismatch
from pettingretro.tiles import tile_reader
from pettingretro.tiles.pce import BORDER, SPRITE_BASE, PceTiles, PceVideo, decode_tiles

ROM = TILES_ROMS["pce"]
DEBIAN_PCE = Path("/usr/lib/x86_64-linux-gnu/libretro/mednafen_pce_fast_libretro.so")
SPRITE1 = (120, 160, 0x84)  # the ROM's fixed 32x32 x-flipped sprite: screen y, x, pattern


@pytest.fixture(scope="module")
def rom(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiles_rom("pce", tmp_path_factory.mktemp("pce"))


@pytest.fixture(scope="module")
def emu(rom: Path) -> Iterator[Emulator]:
    with Emulator(ROM.core, rom) as emu:
        emu.step(10)  # past the ROM's VRAM fill (the display is off meanwhile)
        yield emu


def word(emu: Emulator, name: str) -> int:
    return ROM.shadow(emu.ram, name) | ROM.shadow(emu.ram, f"{name}_high") << 8


def shadows(emu: Emulator) -> tuple[int, int, int, int]:
    """(BYR, BXR, sprite 0's screen y, x) from the ROM's shadows in RAM."""
    scy, scx = ROM.shadow(emu.ram, "scy"), word(emu, "scx")
    return scy, scx, word(emu, "sprite_y") - 64, word(emu, "sprite_x") - 32


def sprite_cells(
    grid: npt.NDArray[np.uint16], y: int, x: int, cells: dict[tuple[int, int], int]
) -> None:
    """Overlay the cells of a sprite's quarters whose top-left pixel is on the grid."""
    for (dy, dx), tile in cells.items():
        r, c = (y + 8 * dy) // 8, (x + 8 * dx) // 8
        if 0 <= y + 8 * dy < grid.shape[0] * 8 and 0 <= x + 8 * dx < 256:
            grid[r, c] = tile


def expected(emu: Emulator, rows: int) -> npt.NDArray[np.uint16]:
    """The grid computed from what the ROM says it drew (its shadows in RAM)."""
    scy, scx, sy, sx = shadows(emu)
    grid = np.empty((rows, 32), np.uint16)
    for r in range(rows):
        for c in range(32):
            row, col = (scy // 8 + r) % 32, (scx // 8 + c) % 64  # the BAT is 64 x 32
            grid[r, c] = 0x100 + ROM.map_tile(row, col)
    # sprite 1: 32x32 from patterns $84-$87, x flipped: the right pattern column shows on
    # the left and each quarter's columns swap
    y1, x1, p1 = SPRITE1
    flipped = {
        (dy, dx): SPRITE_BASE
        + 4 * (p1 + (1 - dx // 2) + 2 * (dy // 2))
        + 2 * (dy % 2)
        + (1 - dx % 2)
        for dy in range(4)
        for dx in range(4)
    }
    sprite_cells(grid, y1, x1, flipped)
    # sprite 0 (index 0: drawn on top): 16x16, pattern $80
    sprite_cells(
        grid,
        sy,
        sx,
        {
            (dy, dx): SPRITE_BASE + 4 * ROM.sprite_tile + 2 * dy + dx
            for dy in (0, 1)
            for dx in (0, 1)
        },
    )
    return grid


def press(emu: Emulator, *buttons: Button) -> None:
    hold(emu, 0, *buttons)


def test_grid_is_the_visible_screen(emu: Emulator) -> None:
    reader = tile_reader(emu)
    assert isinstance(reader, PceTiles)
    height, width = emu.screen_shape
    assert (height, width) == (240, 256), "stable-retro's core shows 240 lines of 256 pixels"
    assert (reader.rows, reader.cols) == (30, 32)
    assert reader.num_ids == BORDER + 1 == 8193


def test_grid_is_the_drawn_map_scrolled_with_the_sprite_where_input_put_it(emu: Emulator) -> None:
    reader = PceTiles(emu)
    rng = np.random.default_rng(14)
    moves = [Button.RIGHT, Button.LEFT, Button.UP, Button.DOWN]
    seen = set()
    for _ in range(150):
        held = [moves[i] for i in rng.choice(4, size=rng.integers(0, 3), replace=False)]
        if rng.random() < 0.6:
            held.append(Button.A)
        press(emu, *held)
        emu.step(int(rng.integers(1, 6)))
        grid = reader.grid()
        assert grid.shape == (30, 32) and grid.dtype == np.uint16
        np.testing.assert_array_equal(grid, expected(emu, reader.rows))
        scy, scx, _, _ = shadows(emu)
        seen.add((scy // 8, scx // 8))
    assert len(seen) > 20, "the walk should have scrolled across many tiles"
    assert any(x >= 32 for _, x in seen), "and into the right half of the 64-wide BAT"


def test_grid_moves_with_the_scroll(emu: Emulator) -> None:
    reader = PceTiles(emu)
    press(emu)
    emu.step(1)
    emu.step(8 - shadows(emu)[1] % 8)  # BXR +1 a frame: to the next multiple of 8
    scy, scx, _, _ = shadows(emu)
    before = reader.grid()
    emu.step(8)
    assert shadows(emu)[:2] == (scy, scx + 8)
    after = reader.grid()  # one cell further right
    background = (after[:, :31] < SPRITE_BASE) & (before[:, 1:] < SPRITE_BASE)
    assert background.sum() > 800
    np.testing.assert_array_equal(after[:, :31][background], before[:, 1:][background])
    press(emu, Button.A)
    emu.step(8)
    press(emu)
    assert shadows(emu)[:2] == ((scy + 8) % 256, scx + 16)
    below = reader.grid()  # and one cell down
    background = (below[:29, :30] < SPRITE_BASE) & (before[1:, 2:] < SPRITE_BASE)
    np.testing.assert_array_equal(below[:29, :30][background], before[1:, 2:][background])


def test_sprite_cell_follows_the_dpad(emu: Emulator) -> None:
    reader = PceTiles(emu)
    press(emu)
    emu.step(2)
    _, _, y, x = shadows(emu)
    assert 0 <= y < 200 and 0 <= x < 224, "the other tests leave the sprite on screen"
    sprite = SPRITE_BASE + 4 * ROM.sprite_tile
    assert reader.grid()[y // 8, x // 8] == sprite
    press(emu, Button.DOWN)
    emu.step(8)
    press(emu)
    emu.step(1)  # the SAT shows a position from the frame after the ROM wrote it
    grid = reader.grid()
    assert shadows(emu)[2] == y + 8
    assert grid[y // 8 + 1, x // 8] == sprite, "its top-left quarter moved one cell down"
    assert grid[y // 8 + 2, x // 8] == sprite + 2, "the bottom-left quarter below it"
    assert grid[y // 8, x // 8] < SPRITE_BASE, "the cell it left shows the background again"
    press(emu, Button.RIGHT)
    emu.step(16)
    press(emu)
    emu.step(1)
    assert reader.grid()[y // 8 + 1, x // 8 + 2] == sprite


def walk_sprite_to(emu: Emulator, y: int, x: int) -> None:
    """Drive sprite 0 by the d-pad until the SAT shows it at screen (y, x)."""
    for _ in range(600):
        _, _, sy, sx = shadows(emu)
        if (sy, sx) == (y, x):
            return
        held = [Button.DOWN] if sy < y else [Button.UP] if sy > y else []
        held += [Button.RIGHT] if sx < x else [Button.LEFT] if sx > x else []
        press(emu, *held)
        emu.step(1)
        press(emu)
        emu.step(1)  # the SAT shows a move one frame after the ROM makes it
    raise AssertionError(f"sprite 0 did not reach ({y}, {x}): {shadows(emu)[2:]}")


def test_the_lowest_sat_index_wins_a_cell(emu: Emulator) -> None:
    reader = PceTiles(emu)
    y1, x1, _ = SPRITE1
    walk_sprite_to(emu, y1 + 8, x1 + 8)  # sprite 0's quarters on sprite 1's middle cells
    press(emu)
    emu.step(2)
    grid = reader.grid()
    sprite = SPRITE_BASE + 4 * ROM.sprite_tile
    r, c = (y1 + 8) // 8, (x1 + 8) // 8
    np.testing.assert_array_equal(
        grid[r : r + 2, c : c + 2], [[sprite, sprite + 1], [sprite + 2, sprite + 3]]
    )
    np.testing.assert_array_equal(grid, expected(emu, reader.rows))
    walk_sprite_to(emu, 40, 48)  # leave it clear of sprite 1 again


def render(reader: PceTiles, video: PceVideo) -> npt.NDArray[np.int64]:
    """Draw the background from the grid's tiles: the nine-bit VCE colour of every pixel."""
    ids, palettes, (fy, fx) = reader.background(video)
    pixels = decode_tiles(video.vram)[ids].astype(np.int64)  # (rows + 1, 33, 8, 8)
    h, w = reader.rows * 8, 256
    n_r, n_c = ids.shape
    image = pixels.transpose(0, 2, 1, 3).reshape(n_r * 8, n_c * 8)[fy : fy + h, fx : fx + w]
    pal = np.repeat(np.repeat(palettes, 8, 0), 8, 1)[fy : fy + h, fx : fx + w].astype(np.int64)
    # colour 0 of every background palette is the shared colour 0
    colours = np.where(image == 0, int(video.colors[0]), video.colors[pal * 16 + image])
    top, bottom, left, right = video.display
    ys, xs = np.arange(h)[:, None], np.arange(w)[None, :]
    inside = (ys >= top) & (ys < bottom) & (xs >= left) & (xs < right)
    return np.where(inside, colours, int(video.colors[0x100])).astype(np.int64)


def rgb_of(colours: npt.NDArray[np.int64]) -> npt.NDArray[np.uint8]:
    """What the core's RGB565 and our host's expansion to 8 bits make of nine-bit colours."""
    r, g, b = (colours >> 3) & 7, (colours >> 6) & 7, colours & 7
    r5, g6, b5 = (36 * r) >> 3, (36 * g) >> 2, (36 * b) >> 3
    return np.stack(
        [(r5 << 3) | (r5 >> 2), (g6 << 2) | (g6 >> 4), (b5 << 3) | (b5 >> 2)], -1
    ).astype(np.uint8)


def sprite_mask(reader: PceTiles, video: PceVideo) -> npt.NDArray[np.bool_]:
    """The pixels no sprite's box covers."""
    mask = np.ones((reader.rows * 8, 256), bool)
    top, _, left, _ = video.display
    for y, x, _, flags in video.sat.astype(int):
        sy, sx = (y & 0x3FF) - 64 + top, (x & 0x3FF) - 32 + left
        height = (16, 32, 64, 64)[(flags >> 12) & 3]
        width = 32 if flags & 0x100 else 16
        mask[max(0, sy) : max(0, sy + height), max(0, sx) : max(0, sx + width)] = False
    return mask


def assert_same_picture(
    colours: npt.NDArray[np.int64], rgb: npt.NDArray[np.uint8], mask: npt.NDArray[np.bool_]
) -> None:
    why = picture_mismatch(colours, rgb, mask)
    assert why is None, why
    np.testing.assert_array_equal(rgb_of(colours)[mask], rgb[mask])
    assert len(np.unique(colours[mask])) >= 40, "four palettes of 15 colours and colour 0"


def test_background_rendered_from_the_grid_is_the_emulators_picture(emu: Emulator) -> None:
    reader = PceTiles(emu)
    rng = np.random.default_rng(7)
    for _ in range(30):
        press(emu, *([Button.A] if rng.random() < 0.6 else []))
        emu.step(int(rng.integers(1, 8)))
        video = reader.video()
        assert video.display == (0, 240, 0, 256), "the ROM's 256x240 active display"
        keys = render(reader, video)
        assert_same_picture(keys, emu.screen_rgb(), sprite_mask(reader, video))


def test_picture_check_catches_a_wrong_scroll(emu: Emulator) -> None:
    reader = PceTiles(emu)
    emu.step(1)
    video = reader.video()
    wrong = PceVideo(**{**video.__dict__, "bxr": video.bxr + 3})
    with pytest.raises(AssertionError):
        assert_same_picture(render(reader, wrong), emu.screen_rgb(), sprite_mask(reader, video))


def test_sprites_rendered_from_the_grid_are_the_emulators_picture(emu: Emulator) -> None:
    """Each sprite cell's quarter id, drawn through VRAM and the sprite palette, is the picture."""
    reader = PceTiles(emu)
    press(emu)
    emu.step(1)
    video = reader.video()
    grid = reader.grid()
    rgb = emu.screen_rgb()
    checked = 0
    for index, (y, x, _, flags) in enumerate(video.sat.astype(int)[:2]):
        sy, sx = (y & 0x3FF) - 64, (x & 0x3FF) - 32
        height, width = (16, 32, 64, 64)[(flags >> 12) & 3], 32 if flags & 0x100 else 16
        for qy in range(sy, sy + height, 8):
            for qx in range(sx, sx + width, 8):
                if not (0 <= qy < 232 and 0 <= qx < 248) or (qy % 8, qx % 8) != (sy % 8, sx % 8):
                    continue
                tile = int(grid[qy // 8, qx // 8]) - SPRITE_BASE
                if index == 1 and 0 <= tile - 4 * ROM.sprite_tile < 4:
                    continue  # sprite 0's quarter holds this cell
                pattern, quarter = divmod(tile, 4)
                pixels = quarter_pixels(video.vram, pattern, quarter, flags)
                colours = video.colors[0x100 + (flags & 15) * 16 + pixels]
                opaque = pixels != 0
                if index == 1:  # sprite 0 is drawn over sprite 1 where they overlap
                    s0y, s0x = (
                        (int(video.sat[0, 0]) & 0x3FF) - 64,
                        (int(video.sat[0, 1]) & 0x3FF) - 32,
                    )
                    ys, xs = np.arange(qy, qy + 8)[:, None], np.arange(qx, qx + 8)[None, :]
                    opaque &= ~((ys >= s0y) & (ys < s0y + 16) & (xs >= s0x) & (xs < s0x + 16))
                shown = rgb[qy : qy + 8, qx : qx + 8]
                np.testing.assert_array_equal(
                    rgb_of(colours.astype(np.int64))[opaque], shown[opaque]
                )
                checked += 1
    assert checked >= 10, "sprite 0's four quarters and sprite 1's sixteen, where on screen"


def quarter_pixels(
    vram: npt.NDArray[np.uint16], pattern: int, quarter: int, flags: int
) -> npt.NDArray[np.int64]:
    """The 8x8 colour indices of one quarter of a 16x16 sprite pattern, as the sprite shows it."""
    words = vram[pattern * 64 : pattern * 64 + 64].reshape(4, 16).astype(np.int64)  # plane, row
    bits = (words[:, :, None] >> (15 - np.arange(16))[None, None, :]) & 1  # bit 15 is the left
    pixels = bits[0] | bits[1] << 1 | bits[2] << 2 | bits[3] << 3  # (16, 16)
    part = pixels[
        8 * (quarter // 2) : 8 * (quarter // 2) + 8, 8 * (quarter % 2) : 8 * (quarter % 2) + 8
    ]
    if flags & 0x800:
        part = part[:, ::-1]
    if flags & 0x8000:
        part = part[::-1]
    return part


def edited(emu: Emulator, section_field: str, value: int) -> bytes:
    """The current state with one two-byte VDC register changed."""
    state = bytearray(emu.save_state())
    name = section_field.encode()
    at = bytes(state).find(bytes([len(name)]) + name) + 1 + len(name) + 4
    state[at : at + 2] = value.to_bytes(2, "little")
    return bytes(state)


def test_a_narrow_display_shows_border_cells(emu: Emulator) -> None:
    """A 192-pixel active display (HDW 23) sits centred: the cells beside it are BORDER."""
    reader = PceTiles(emu)
    press(emu)
    emu.step(1)
    saved = emu.save_state()
    try:
        emu.load_state(edited(emu, "HDR", 0x0417))
        emu.step(1)
        video = reader.video()
        assert video.display[2:] == (32, 224)
        grid = reader.grid()
        assert (grid[:, :4] == BORDER).all() and (grid[:, 28:] == BORDER).all()
        assert (grid[:, 4:28] != BORDER).all()
        assert_same_picture(render(reader, video), emu.screen_rgb(), sprite_mask(reader, video))
    finally:
        emu.load_state(saved)


def test_debians_core_gives_the_same_grid(rom: Path) -> None:
    """Debian's libretro-beetle-pce-fast writes the same state layout and shows 239 lines."""
    assert DEBIAN_PCE.is_file(), "scripts/setup-test installs libretro-beetle-pce-fast"
    with Emulator(DEBIAN_PCE, rom) as debian, Emulator(ROM.core, rom) as wheel:
        assert debian.core_path != wheel.core_path
        debian.step(10)
        wheel.step(10)
        ours, theirs = tile_reader(debian), tile_reader(wheel)
        assert (ours.rows, theirs.rows) == (29, 30)
        for _ in range(20):
            press(debian, Button.A, Button.RIGHT)
            press(wheel, Button.A, Button.RIGHT)
            debian.step(3)
            wheel.step(3)
            np.testing.assert_array_equal(ours.grid(), theirs.grid()[:29])
            np.testing.assert_array_equal(ours.grid(), expected(debian, 29))


def test_a_changed_screen_height_is_refused(rom: Path) -> None:
    with Emulator(ROM.core, rom, options={"pce_initial_scanline": "8"}) as emu:
        emu.step(2)
        with pytest.raises(TilesError, match="leave pce_initial_scanline"):
            tile_reader(emu)


def test_tiles_env_over_the_pce_rom(rom: Path) -> None:
    env = pettingretro.parallel_env(rom=rom, obs_type="tiles")
    try:
        space = env.observation_space("first_0")
        assert space.shape == (30, 32) and space.dtype == np.uint16
        assert np.all(space.nvec == BORDER + 1)
        obs, _ = env.reset(seed=0)
        for _ in range(10):
            obs, *_ = env.step({agent: 0 for agent in env.agents})
        for _ in range(30):
            obs, *_ = env.step({agent: 0 for agent in env.agents})
            grid = obs["first_0"]
            assert space.contains(grid)
            np.testing.assert_array_equal(grid, env.game_area("first_0"))
            np.testing.assert_array_equal(grid, expected(env.emu, 30))
    finally:
        env.close()


def test_tiles_through_an_isolated_emulator(rom: Path) -> None:
    isolated = pettingretro.parallel_env(rom=rom, obs_type="tiles", isolate=True)
    local = pettingretro.parallel_env(rom=rom, obs_type="tiles")
    try:
        isolated.reset(seed=0)
        local.reset(seed=0)
        for _ in range(30):
            a, *_ = isolated.step({"first_0": 0})
            b, *_ = local.step({"first_0": 0})
            np.testing.assert_array_equal(a["first_0"], b["first_0"])
        assert (a["first_0"] < SPRITE_BASE).any() and (a["first_0"] >= SPRITE_BASE).any()
    finally:
        isolated.close()
        local.close()


def test_grid_equals_the_reference_decoder_on_long_random_runs(emu: Emulator) -> None:
    """The fast grid (cached Y/X tables, no per-step arrays) against the first numpy one.

    A random walk of the ROM, and on every fourth step a state whose SAT is random words (all
    64 sprites anywhere, every size and flip, upper Y/X bits set) and whose display is
    narrowed or moved, so every sprite and border branch is reached.
    """
    reader = PceTiles(emu)
    rng = np.random.default_rng(2024)
    moves = [Button.RIGHT, Button.LEFT, Button.UP, Button.DOWN, Button.A]
    saved = emu.save_state()
    sprites_seen = 0
    try:
        for step in range(400):
            press(emu, *[moves[i] for i in rng.choice(5, size=rng.integers(0, 3), replace=False)])
            emu.step(int(rng.integers(1, 4)))
            if step % 4 == 3:
                state = bytearray(emu.save_state())
                at = bytes(state).find(b"\x03SAT") + 8
                sat = rng.integers(0, 0x10000, 0x100, dtype=np.uint16)
                sat[::4] = rng.integers(0, 64 + 260, 64) | (rng.integers(0, 64, 64) << 10)
                sat[1::4] = rng.integers(0, 32 + 270, 64)
                state[at : at + 0x200] = sat.astype("<u2").tobytes()
                emu.load_state(bytes(state))
                if rng.random() < 0.5:
                    emu.load_state(edited(emu, "HDR", int(rng.integers(0, 32)) | 0x0400))
            grid, reference = reader.grid(), reader.reference_grid()
            np.testing.assert_array_equal(grid, reference)
            sprites_seen += int((grid >= SPRITE_BASE).sum() - (grid == BORDER).sum())
    finally:
        emu.load_state(saved)
    assert sprites_seen > 1000, "the random SATs put many sprite quarters on the screen"
