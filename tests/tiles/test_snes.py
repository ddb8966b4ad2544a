"""The SNES tiles grid against what our own test ROM drew, on snes9x."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from gymnasium.spaces import MultiDiscrete
from pettingzoo.test import parallel_api_test

import pettingretro
from pettingretro.errors import TilesError
from pettingretro.host import Button, Emulator, EmulatorLike
from pettingretro.testing.roms import TEST_ROMS, TILES_ROMS, build_rom, build_tiles_rom, hold
from pettingretro.tiles import tile_reader
from pettingretro.tiles.snes import BG_IDS, SnesTiles, SnesVideo, decode_tiles

ROM = TILES_ROMS["snes"]
SPRITE_1 = (150, 200, 0x107)  # (y, x, name) of the ROM's fixed 8x8 sprite


@pytest.fixture(scope="module")
def rom(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiles_rom("snes", tmp_path_factory.mktemp("snes"))


@pytest.fixture(scope="module")
def emu(rom: Path) -> Iterator[Emulator]:
    with Emulator(ROM.core, rom) as emu:
        emu.step(30)  # past the ROM's VRAM fill (forced blank meanwhile)
        yield emu


def shadow_scroll(emu: EmulatorLike) -> tuple[int, int]:
    ram = bytes(emu.ram[:0x20])
    scy = ROM.shadow(ram, "scy_high") * 256 + ROM.shadow(ram, "scy")
    return scy, ROM.shadow(ram, "scx_high") * 256 + ROM.shadow(ram, "scx")


def sprite_0(emu: EmulatorLike) -> tuple[int, int]:
    ram = bytes(emu.ram[:0x20])
    return ROM.shadow(ram, "sprite_y"), ROM.shadow(ram, "sprite_x")


def expected(emu: EmulatorLike) -> npt.NDArray[np.uint16]:
    """The grid computed from what the ROM says it drew (its shadows in WRAM)."""
    scy, scx = shadow_scroll(emu)
    grid = np.empty((28, 32), np.uint16)
    for r in range(28):
        for c in range(32):
            # the screen's first line shows BG row VOFS + 1; the map is 64x64 cells
            grid[r, c] = ROM.map_tile(((scy + 1) // 8 + r) % 64, (scx // 8 + c) % 64)
    y, x, name = SPRITE_1
    grid[y // 8, x // 8] = BG_IDS + name
    y, x = sprite_0(emu)
    for pr in range(2):  # 16x16: four 8x8 pieces, Y wraps at 256
        for pc in range(2):
            top, left = (y + 8 * pr) % 256, x + 8 * pc
            if top < 224 and left < 256:
                grid[top // 8, left // 8] = BG_IDS + ROM.sprite_tile + pc + 16 * pr
    return grid


def press(emu: Emulator, *buttons: Button) -> None:
    hold(emu, 0, *buttons)


def place_sprite(emu: Emulator, y: int, x: int) -> None:
    """Walk sprite 0 to OAM (y, x) with the d-pad (one pixel per frame held)."""
    for _ in range(4):
        now_y, now_x = sprite_0(emu)
        if (now_y, now_x) == (y, x):
            return
        if now_y != y:
            press(emu, Button.DOWN)
            emu.step((y - now_y) % 256)
        else:
            press(emu, Button.RIGHT)
            emu.step((x - now_x) % 256)
        press(emu)
        emu.step(2)
    raise AssertionError(f"sprite 0 stays at {sprite_0(emu)}, not {(y, x)}")


def test_grid_is_the_visible_screen(emu: Emulator) -> None:
    reader = tile_reader(emu)
    assert isinstance(reader, SnesTiles)
    assert (reader.rows, reader.cols) == (28, 32) == (emu.screen_shape[0] // 8, 256 // 8)
    assert reader.num_ids == 1536


def test_grid_is_the_drawn_map_scrolled_with_the_sprites_where_input_put_them(
    emu: Emulator,
) -> None:
    reader = SnesTiles(emu)
    rng = np.random.default_rng(14)
    moves = [Button.RIGHT, Button.LEFT, Button.UP, Button.DOWN]
    seen = set()
    for _ in range(120):
        held = [moves[i] for i in rng.choice(4, size=rng.integers(0, 3), replace=False)]
        if rng.random() < 0.8:
            held.append(Button.A)
        press(emu, *held)
        emu.step(int(rng.integers(1, 10)))
        np.testing.assert_array_equal(reader.grid(), expected(emu))
        scy, scx = shadow_scroll(emu)
        seen.add(((scy + 1) // 8, scx // 8))
    assert len(seen) > 50, "the walk should have scrolled across many tiles"
    assert any(x >= 32 for _, x in seen), "and into the right-hand screens of the map"
    assert any(y >= 32 for y, _ in seen), "and into the bottom ones"


def test_sprite_cells_follow_the_dpad_and_wrap_over_the_top(emu: Emulator) -> None:
    reader = SnesTiles(emu)
    y, x = 61, 93
    place_sprite(emu, y, x)
    grid = reader.grid()
    assert grid[y // 8, x // 8] == BG_IDS + ROM.sprite_tile
    assert grid[y // 8 + 1, x // 8 + 1] == BG_IDS + ROM.sprite_tile + 17
    press(emu, Button.DOWN)
    emu.step(8)
    press(emu)
    grid = reader.grid()
    assert grid[y // 8 + 1, x // 8] == BG_IDS + ROM.sprite_tile
    assert grid[y // 8, x // 8] < BG_IDS, "the cell it left shows BG1 again"
    press(emu, Button.UP)  # up past the top: Y wraps to 248, its lower half shows in row 0
    emu.step(y + 16)
    press(emu)
    emu.step(1)
    assert sprite_0(emu)[0] == 248
    grid = reader.grid()
    assert grid[0, x // 8] == BG_IDS + ROM.sprite_tile + 16
    assert grid[0, x // 8 + 1] == BG_IDS + ROM.sprite_tile + 17
    assert not np.isin(BG_IDS + ROM.sprite_tile, grid), "its upper half is off the screen"
    np.testing.assert_array_equal(grid, expected(emu))


def rgb_of(colours: npt.NDArray[np.int64]) -> npt.NDArray[np.uint8]:
    """snes9x's 15-bit colour as the host's RGB at full brightness (measured: the core draws
    RGB565 with green's low bit 0; the host widens each channel by repeating its top bits).
    """
    red, green, blue = colours & 31, (colours >> 5) & 31, (colours >> 10) & 31
    channels = [(red << 3) | (red >> 2), (green << 3) | (green >> 3), (blue << 3) | (blue >> 2)]
    return np.stack(channels, axis=-1).astype(np.uint8)


def render_bg1(reader: SnesTiles, video: SnesVideo) -> npt.NDArray[np.int64]:
    """Draw BG1 from its map through VRAM and CGRAM: the 15-bit colour of every pixel."""
    entries, (fy, fx) = reader.background(video)
    data = video.vram[video.tile_base :][: BG_IDS * 8 * video.bpp]
    pixels = decode_tiles(data, video.bpp)[entries & 0x3FF].astype(np.int64)
    pixels = np.where(((entries >> 14) & 1)[..., None, None] == 1, pixels[..., ::-1], pixels)
    pixels = np.where(((entries >> 15) & 1)[..., None, None] == 1, pixels[..., ::-1, :], pixels)
    n_r, n_c = entries.shape
    h, w = reader.rows * 8, reader.cols * 8
    index = pixels.transpose(0, 2, 1, 3).reshape(n_r * 8, n_c * 8)[fy : fy + h, fx : fx + w]
    palette = np.repeat(np.repeat((entries >> 10) & 7, 8, 0), 8, 1)[fy : fy + h, fx : fx + w]
    colours = video.cgram[palette.astype(np.int64) * 16 + index].astype(np.int64)
    return np.where(index == 0, int(video.cgram[0]), colours)  # colour 0: the backdrop


def bg1_only(emu: Emulator) -> npt.NDArray[np.bool_]:
    """The pixels no sprite of the ROM covers."""
    mask = np.ones((224, 256), bool)
    y, x = sprite_0(emu)
    for top in (y, y - 256):
        mask[max(0, top) : max(0, top + 16), x : x + 16] = False
    y, x, _ = SPRITE_1
    mask[y : y + 8, x : x + 8] = False
    return mask


def test_bg1_rendered_from_the_grid_is_the_emulators_picture(emu: Emulator) -> None:
    reader = SnesTiles(emu)
    rng = np.random.default_rng(7)
    for _ in range(30):
        press(emu, *([Button.A, Button.RIGHT] if rng.random() < 0.6 else []))
        emu.step(int(rng.integers(1, 8)))
        video = reader.video()
        assert (video.mode, video.bpp, video.inidisp) == (1, 4, 0x0F)
        entries, _ = reader.background(video)
        grid, mask = reader.grid(), bg1_only(emu)
        cells = expected(emu) < BG_IDS  # cells no sprite piece claims
        np.testing.assert_array_equal(grid[cells], (entries[:28, :32] & 0x3FF)[cells])
        picture = rgb_of(render_bg1(reader, video))
        np.testing.assert_array_equal(picture[mask], emu.screen_rgb()[mask])


def test_sprite_rendered_from_the_grid_is_the_emulators_picture(emu: Emulator) -> None:
    reader = SnesTiles(emu)
    y, x = 117, 170
    place_sprite(emu, y, x)
    grid, video, screen = reader.grid(), reader.video(), emu.screen_rgb()
    for pr in range(2):
        for pc in range(2):
            piece = int(grid[(y + 8 * pr) // 8, (x + 8 * pc) // 8]) - BG_IDS
            at = video.sprite_table(piece)
            index = decode_tiles(video.vram[at : at + 32])[0].astype(np.int64)
            shown = screen[y + 8 * pr : y + 8 * pr + 8, x + 8 * pc : x + 8 * pc + 8]
            opaque = index != 0  # sprite palette 0 is CGRAM 128-143
            want = rgb_of(video.cgram[128 + index].astype(np.int64))
            np.testing.assert_array_equal(shown[opaque], want[opaque])
            assert opaque.sum() > 40


def test_picture_check_catches_a_wrong_vertical_scroll(emu: Emulator) -> None:
    reader = SnesTiles(emu)
    emu.step(1)
    video = reader.video()
    wrong = SnesVideo(**{**video.__dict__, "vofs": video.vofs - 1})  # without the +1 line
    mask = bg1_only(emu)
    picture = rgb_of(render_bg1(reader, wrong))
    assert not np.array_equal(picture[mask], emu.screen_rgb()[mask])


def with_register(emu: Emulator, address: int, value: int) -> bytes:
    """The emulator's state with one register byte of snes9x's FillRAM ($21xx) replaced."""
    state = bytearray(emu.save_state())
    at = state.index(b"FIL:032768:") + 11
    state[at + address] = value
    return bytes(state)


@pytest.mark.parametrize(
    ("bgmode", "match"),
    [(0x07, "BG mode 7; obs_type='tiles' decodes modes 0 and 1"), (0x11, "16x16 tiles on BG1")],
)
def test_an_unsupported_screen_is_a_clear_error(emu: Emulator, bgmode: int, match: str) -> None:
    reader = SnesTiles(emu)
    saved = emu.save_state()
    try:
        emu.load_state(with_register(emu, 0x2105, bgmode))
        with pytest.raises(TilesError, match=match):
            reader.grid()
        with pytest.raises(TilesError, match=match):
            reader.background(reader.video())
    finally:
        emu.load_state(saved)
    reader.grid()


def test_another_cores_state_is_refused(tmp_path: Path) -> None:
    with (
        Emulator(TEST_ROMS["nes"].core, build_rom("nes", tmp_path)) as emu,
        pytest.raises(TilesError, match=r"snes9x 1\.54's state layout"),
    ):
        SnesTiles(emu)


def test_tiles_env_on_the_snes_rom(rom: Path) -> None:
    env = pettingretro.parallel_env(rom=rom, obs_type="tiles")
    space = env.observation_space("first_0")
    assert isinstance(space, MultiDiscrete)
    assert space.shape == (28, 32) and space.dtype == np.uint16
    assert np.all(space.nvec == 1536)
    obs, _ = env.reset(seed=0)
    for _ in range(30):
        obs, *_ = env.step({agent: 0 for agent in env.agents})
    for _ in range(20):
        obs, *_ = env.step({agent: 0 for agent in env.agents})
        grid = obs["first_0"]
        assert space.contains(grid)
        np.testing.assert_array_equal(grid, env.game_area("first_0"))
        assert env.emu is not None
        np.testing.assert_array_equal(grid, expected(env.emu))
    parallel_api_test(env, num_cycles=50)
