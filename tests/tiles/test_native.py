"""The tile decoders in C (native/tiles.c) against the numpy reference, frame by frame and on
crafted states that reach every branch; the host-owned state buffer; Emulator.save_state_into."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from pettingretro.errors import TilesError
from pettingretro.host import Button, Emulator, TileLayout, tiles_from_state
from pettingretro.isolation import IsolatedEmulator
from pettingretro.testing.roms import TILES_ROMS, build_tiles_rom
from pettingretro.tiles import tile_reader
from pettingretro.tiles.gameboy import GameBoyTiles
from pettingretro.tiles.nes import NesTiles

DPAD = [Button.UP, Button.DOWN, Button.LEFT, Button.RIGHT, Button.A, Button.B]
# $FE00-$FFFF offsets of gambatte's I/O registers
LCDC, SCY, SCX, WY, WX = 0x140, 0x142, 0x143, 0x14A, 0x14B
# OAM coordinates around every edge a sprite cell can cross (Game Boy: Y - 16, X - 8)
GB_Y = [0, 1, 7, 8, 9, 15, 16, 17, 143, 151, 152, 159, 160, 161, 255]
GB_X = [0, 1, 7, 8, 9, 159, 160, 161, 167, 168, 169, 255]
GB_WY = [0, 1, 7, 8, 9, 135, 136, 143, 144, 145, 255]
GB_WX = [0, 1, 6, 7, 8, 14, 15, 16, 159, 166, 167, 168, 255]
# NES: OAM Y is y - 1 (hidden from $EF), X is x; fceumm crops 8 pixels on each side
NES_Y = [0, 6, 7, 8, 14, 15, 16, 222, 223, 230, 231, 232, 238, 239, 0xEE, 0xEF, 0xF0, 0xFF]
NES_X = [0, 1, 7, 8, 9, 15, 16, 239, 240, 247, 248, 249, 255]


def gb_rom(tmp_path: Path, color: bool) -> Path:
    return build_tiles_rom("gb", tmp_path, color=color)


def nes_rom(tmp_path: Path, vertical: bool) -> Path:
    """The NES tiles ROM with the header's mirroring set (its map only looks right one way,
    which the decoders do not care about)."""
    rom = build_tiles_rom("nes", tmp_path)
    data = bytearray(rom.read_bytes())
    data[6] = (data[6] & ~0x01) | int(vertical)
    path = tmp_path / f"tiles-nes-{'vertical' if vertical else 'horizontal'}.nes"
    path.write_bytes(bytes(data))
    return path


CASES = ["gb", "gb-color", "nes-horizontal", "nes-vertical"]


@pytest.fixture(scope="module", params=CASES)
def emu(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Emulator]:
    tmp = tmp_path_factory.mktemp(request.param)
    if request.param.startswith("gb"):
        rom, core = gb_rom(tmp, request.param == "gb-color"), TILES_ROMS["gb"].core
    else:
        rom, core = nes_rom(tmp, request.param == "nes-vertical"), TILES_ROMS["nes"].core
    with Emulator(core, rom) as emu:
        emu.step(40)  # past the ROM's VRAM fill
        yield emu


def reader_of(emu: Emulator) -> GameBoyTiles | NesTiles:
    reader = tile_reader(emu)
    assert isinstance(reader, (GameBoyTiles, NesTiles))
    return reader


def random_buttons(rng: np.random.Generator) -> int:
    mask = 0
    for b in DPAD:
        if rng.random() < 0.3:
            mask |= 1 << b
    return mask


def poke(state: bytearray, at: int, values: npt.NDArray[np.uint8] | list[int]) -> None:
    state[at : at + len(values)] = bytes(np.asarray(values, np.uint8))


def gb_registers(state: bytearray, layout: TileLayout, rng: np.random.Generator) -> None:
    """Random LCDC, window and scroll at the edges; random sprites around the screen's edges."""
    high = layout.offsets[1]
    state[high + LCDC] = int(rng.integers(256)) | 0x80
    state[high + WY] = int(rng.choice(GB_WY))
    state[high + WX] = int(rng.choice(GB_WX))
    state[high + SCY], state[high + SCX] = (int(v) for v in rng.integers(256, size=2))
    oam = rng.integers(256, size=(40, 4), dtype=np.uint8)
    edge = rng.random(40) < 0.7
    oam[edge, 0] = rng.choice(GB_Y, size=int(edge.sum()))
    oam[edge, 1] = rng.choice(GB_X, size=int(edge.sum()))
    oam[:8, :2] = oam[0, :2]  # a pile of sprites on one cell: the lowest index wins
    poke(state, high, oam.reshape(-1))


def test_c_grid_is_the_reference_on_every_frame_of_a_long_run(emu: Emulator) -> None:
    reader = reader_of(emu)
    rng = np.random.default_rng(1414)
    grid = np.empty((reader.rows, reader.cols), np.uint16)
    grids = set()
    for frame in range(600):
        if frame % 8 == 0:
            emu.set_buttons(0, random_buttons(rng))
        if isinstance(reader, GameBoyTiles) and frame % 50 == 25:
            # window, 8x16 sprites, $8800 addressing, sprites at the edges: the ROM never
            # rewrites LCDC, WY, WX or OAM beyond sprite 0, so they stay for the frames after
            state = bytearray(emu.save_state())
            gb_registers(state, reader.layout, rng)
            emu.load_state(bytes(state))
        emu.step(1)
        assert reader.grid(grid) is grid
        np.testing.assert_array_equal(grid, reader.reference_grid(), err_msg=f"frame {frame}")
        grids.add(grid.tobytes())
    assert len(grids) > 40, "the scroll and the sprite should move the grid many times"


@pytest.mark.parametrize("color", [False, True], ids=["dmg", "cgb"])
def test_game_boy_crafted_states_reach_every_branch(tmp_path: Path, color: bool) -> None:
    """Every LCDC value (window on/off, maps, $8800 addressing, sprites on/off and 8x16) with
    random VRAM in both banks, windows and sprites at the screen's edges."""
    with Emulator(TILES_ROMS["gb"].core, gb_rom(tmp_path, color)) as emu:
        emu.step(40)
        reader = GameBoyTiles(emu)
        base = emu.save_state()
    vram_at, high = reader.layout.offsets
    rng = np.random.default_rng(14 + color)
    seen_window = seen_tall = 0
    for lcdc in range(256):
        for _ in range(4):
            state = bytearray(base)
            poke(state, vram_at, rng.integers(256, size=0x4000, dtype=np.uint8))
            gb_registers(state, reader.layout, rng)
            state[high + LCDC] = lcdc
            crafted = bytes(state)
            ours = reader.decode(crafted)
            np.testing.assert_array_equal(
                ours, reader.reference_grid(state=crafted), err_msg=f"LCDC {lcdc:#04x}"
            )
            wy, wx = state[high + WY], state[high + WX] - 7
            seen_window += bool(lcdc & 0x20 and wy < 144 and wx < 160)
            seen_tall += bool(lcdc & 0x06 == 0x06)
    assert seen_window > 100 and seen_tall > 100
    # the colour flag matters where a cell's attribute takes bank 1, and only in colour mode
    other = TileLayout(
        "gameboy", len(base), reader.layout.offsets, rows=18, cols=20, color=not color
    )
    flipped = np.empty((18, 20), np.uint16)
    assert tiles_from_state(crafted, other, flipped)
    assert not np.array_equal(flipped, ours)
    assert (ours >= 384).any() == color


def test_game_boy_branches_by_hand(tmp_path: Path) -> None:
    """The cases one by one, against what the hardware shows (Pan Docs), in colour mode."""
    with Emulator(TILES_ROMS["gb"].core, gb_rom(tmp_path, True)) as emu:
        emu.step(40)
        reader = GameBoyTiles(emu)
        base = bytearray(emu.save_state())
    vram, high = reader.layout.offsets
    poke(base, vram, np.zeros(0x4000, np.uint8))
    poke(base, high, np.zeros(160, np.uint8))  # every sprite at Y 0: hidden
    poke(
        base, vram + 0x1800, (np.arange(0x400) % 128).astype(np.uint8)
    )  # map $9800: cell n holds n % 128
    poke(base, vram + 0x1C00, np.full(0x400, 0x80))  # map $9C00: tile $80 everywhere
    base[high + SCY] = base[high + SCX] = 0

    def grid(lcdc: int, **regs: int) -> npt.NDArray[np.uint16]:
        state = bytearray(base)
        state[high + LCDC] = lcdc
        for name, value in regs.items():
            state[high + {"scy": SCY, "scx": SCX, "wy": WY, "wx": WX}[name]] = value
        ours = reader.decode(bytes(state))
        np.testing.assert_array_equal(ours, reader.reference_grid(state=bytes(state)))
        return ours

    plain = grid(0x91, scy=8, scx=16)  # $8000 addressing, map $9800, scrolled by a cell each way
    assert plain[0, 0] == 32 + 2 and plain[17, 19] == (18 * 32 + 21) % 128
    wrapped = grid(0x91, scy=31 * 8, scx=31 * 8)  # the 32x32 map wraps around
    assert wrapped[0, 0] == (31 * 32 + 31) % 128 and wrapped[1, 1] == 0
    signed = grid(0x81)  # $8800 addressing: ids 0-127 are tiles 256-383
    assert signed[0, 0] == 256 and signed[0, 5] == 261
    window = grid(0xF1, wy=16, wx=7 + 24)  # window from map $9C00 at cell (2, 3)
    assert window[2, 3] == 0x80 and window[17, 19] == 0x80 and window[2, 2] == 2 * 32 + 2
    assert window[1, 3] == 32 + 3
    assert (grid(0xF1, wy=0, wx=0) == 0x80).all(), "WX < 7 starts the window left of the screen"
    np.testing.assert_array_equal(grid(0xF1, wy=144, wx=7), grid(0x91), "WY 144: no window")
    np.testing.assert_array_equal(grid(0xF1, wy=0, wx=167), grid(0x91), "WX 167: no window")
    corner = grid(0xF1, wy=136, wx=7 + 152)  # the window covers the last cell alone
    assert corner[17, 19] == 0x80 and corner[16, 19] != 0x80 and corner[17, 18] != 0x80
    assert (grid(0xF1, wy=137, wx=7 + 153) != 0x80).all(), "no cell's top-left pixel in it"
    assert grid(0xD1, wy=0, wx=7)[0, 0] == 0, "window off (LCDC bit 5)"
    # bank 1 from the attribute byte (bit 3) for map cells and sprites
    base[vram + 0x3800] = 0x08
    assert grid(0x91)[0, 0] == 384
    base[vram + 0x3800] = 0x00
    # sprites: (Y, X, tile, attr); 8x16 takes the pair (tile & $FE, | 1), y flip swaps them
    poke(base, high, [16, 8, 0x21, 0x00, 16, 8, 0x30, 0x00, 40, 40, 0x45, 0x48, 8, 160, 0x11, 0])
    small = grid(0x93)
    assert small[0, 0] == 0x21, "the lowest OAM index wins"
    assert small[3, 4] == 0x45 + 384, "bank 1 (attribute bit 3)"
    assert small[0, 19] == 19, "8x8 sprite at Y 8 is off screen"
    tall = grid(0x97)
    assert (tall[0, 0], tall[1, 0]) == (0x20, 0x21)
    assert (tall[3, 4], tall[4, 4]) == (0x45 + 384, 0x44 + 384), "y flip swaps the halves"
    assert tall[0, 19] == 0x11, "a tall sprite's bottom half at Y 8 is on screen"
    assert grid(0x91)[0, 0] == 0, "sprites off (LCDC bit 1)"


@pytest.mark.parametrize("vertical", [False, True], ids=["horizontal", "vertical"])
def test_nes_crafted_states_reach_every_branch(tmp_path: Path, vertical: bool) -> None:
    """Every PPUCTRL value (tables, 8x16), sprites shown or not, random scroll "t" and fine X,
    random nametables, sprites around the cropped picture's edges, under each mirroring."""
    with Emulator(TILES_ROMS["nes"].core, nes_rom(tmp_path, vertical)) as emu:
        emu.step(40)
        reader = NesTiles(emu)
        base = emu.save_state()
    assert reader.vertical == vertical
    ntar, spra, ppur, tadd, xoff = reader.layout.offsets
    rng = np.random.default_rng(140 + vertical)
    for ctrl in range(256):
        for mask in (0x08, 0x1E):
            state = bytearray(base)
            poke(state, ntar, rng.integers(256, size=0x800, dtype=np.uint8))
            oam = rng.integers(256, size=(64, 4), dtype=np.uint8)
            edge = rng.random(64) < 0.7
            oam[edge, 0] = rng.choice(NES_Y, size=int(edge.sum()))
            oam[edge, 3] = rng.choice(NES_X, size=int(edge.sum()))
            oam[:8, [0, 3]] = oam[0, [0, 3]]
            poke(state, spra, oam.reshape(-1))
            state[ppur], state[ppur + 1] = ctrl, mask
            poke(state, tadd, list(int(rng.integers(0x8000)).to_bytes(2, "little")))
            state[xoff] = int(rng.integers(256))
            crafted = bytes(state)
            np.testing.assert_array_equal(
                reader.decode(crafted),
                reader.reference_grid(state=crafted),
                err_msg=f"PPUCTRL {ctrl:#04x} PPUMASK {mask:#04x}",
            )
    # the mirroring flag folds the nametables differently
    state = bytearray(base)
    poke(state, ntar, np.repeat(np.arange(2, dtype=np.uint8), 0x400))  # page 0 zeros, page 1 ones
    poke(state, tadd, [0, 0])
    state[ppur] = 0
    state[ppur + 1] = 0
    ours = reader.decode(bytes(state))
    np.testing.assert_array_equal(ours, reader.reference_grid(state=bytes(state)))
    # the picture starts 8 lines and 8 columns in: the right edge shows $2400, the bottom $2800
    assert ours[0, -1] == 0 and ours[-1, 0] == 0
    state[tadd] = 16  # coarse X 16: the right half of the screen is the next nametable
    right = reader.decode(bytes(state))
    assert right[0, -1] == (1 if vertical else 0)
    np.testing.assert_array_equal(right, reader.reference_grid(state=bytes(state)))


def test_the_c_path_reads_the_hosts_buffer_not_save_state(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader = reader_of(emu)
    emu.step(1)
    expected = reader.reference_grid()

    def no_state() -> bytes:
        raise AssertionError("grid() called save_state()")

    monkeypatch.setattr(emu, "save_state", no_state)
    np.testing.assert_array_equal(reader.grid(), expected)


def test_a_changed_state_size_finds_the_fields_again(emu: Emulator) -> None:
    reader = reader_of(emu)
    emu.step(1)
    size = len(emu.save_state())
    stale = reader.layout
    wrong = TileLayout(
        stale.decoder,
        size + 64,
        stale.offsets,
        rows=stale.rows,
        cols=stale.cols,
        color=getattr(reader, "color", False),
        vertical=getattr(reader, "vertical", False),
        crop=getattr(reader, "crop", (0, 0)),
    )
    out = np.empty((reader.rows, reader.cols), np.uint16)
    assert not emu.tiles_into(wrong, out), "a layout of another size is refused, not decoded"
    assert not tiles_from_state(emu.save_state(), wrong, out)
    reader.layout = wrong
    np.testing.assert_array_equal(reader.grid(out), reader.reference_grid())
    assert reader.layout.state_size == size


def test_bad_grids_and_layouts_are_clear_errors(emu: Emulator) -> None:
    reader = reader_of(emu)
    rows, cols = reader.rows, reader.cols
    for bad in (
        np.empty((rows, cols), np.int32),
        np.empty((rows + 1, cols), np.uint16),
        np.empty((rows, cols * 2), np.uint16)[:, ::2],
        np.empty((rows, cols), np.uint16).T.copy(),
    ):
        with pytest.raises(TilesError, match=rf"uint16 array of shape \({rows}, {cols}\)"):
            reader.grid(bad)  # type: ignore[arg-type]
    frozen = np.empty((rows, cols), np.uint16)
    frozen.flags.writeable = False
    with pytest.raises(TilesError, match="writable"):
        reader.grid(frozen)
    size = len(emu.save_state())
    decoder = reader.layout.decoder
    with pytest.raises(TilesError, match="does not fit a"):
        TileLayout(decoder, size, [size - 1] * 5, rows=rows, cols=cols)
    with pytest.raises(TilesError, match="no tile decoder 'snes'"):
        TileLayout("snes", size, [0], rows=rows, cols=cols)
    with pytest.raises(TilesError, match="cells"):
        TileLayout(decoder, size, reader.layout.offsets, rows=rows + 31, cols=cols)


# gambatte fields two saves in a row need not agree on, with no frame between (seen on main
# too): the DMG palette and the bank numbers of a cartridge without a mapper
GAMBATTE_UNSET = {b"dmgpal", b"rambank", b"rombank"}


def settled(state: bytes | bytearray) -> bytes:
    """The state without gambatte's uninitialised fields (fceumm's states are kept whole)."""
    state = bytes(state)
    if not state.startswith(b"\x00\x01\x00\x00\x00"):  # gambatte's version and thumbnail size
        return state
    kept, pos = [state[:5]], 5
    while pos < len(state):
        end = state.find(b"\x00", pos)
        size = int.from_bytes(state[end + 1 : end + 4], "big")
        field = state[pos : end + 4 + size]
        kept.append(field[: end + 4 - pos] if state[pos:end] in GAMBATTE_UNSET else field)
        pos = end + 4 + size
    return b"".join(kept)


def test_save_state_into_a_callers_buffer(emu: Emulator) -> None:
    emu.step(1)
    state = emu.save_state()
    buf = bytearray(len(state) + 10)
    assert emu.save_state_into(buf) == len(state)
    assert settled(buf[: len(state)]) == settled(state)
    assert buf[len(state) :] == bytes(10), "nothing written past the state"
    array = np.zeros(len(state), np.uint8)
    assert emu.save_state_into(array) == len(state)
    assert settled(array.tobytes()) == settled(state)
    with pytest.raises(ValueError, match=rf"allocate bytearray\({len(state)}\)"):
        emu.save_state_into(bytearray(len(state) - 1))
    with pytest.raises(TypeError, match="writable"):
        emu.save_state_into(state)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="contiguous"):
        emu.save_state_into(np.zeros(2 * len(state), np.uint8)[::2])


def test_isolated_emulators_decode_their_states_with_the_same_result(tmp_path: Path) -> None:
    rom = gb_rom(tmp_path, True)
    with (
        IsolatedEmulator(TILES_ROMS["gb"].core, rom, checkpoint_every=0) as isolated,
        Emulator(TILES_ROMS["gb"].core, rom) as local,
    ):
        theirs, ours = GameBoyTiles(isolated), GameBoyTiles(local)
        rng = np.random.default_rng(3)
        for _ in range(60):
            mask = random_buttons(rng)
            for emu in (isolated, local):
                emu.set_buttons(0, mask)
                emu.step(2)
            np.testing.assert_array_equal(theirs.grid(), ours.grid())
            np.testing.assert_array_equal(theirs.grid(), theirs.reference_grid())
        state = local.save_state()
        buf = np.zeros(len(state) + 1, np.uint8)
        assert isolated.save_state_into(buf) == len(state)
        assert settled(buf[: len(state)].tobytes()) == settled(isolated.save_state())
        with pytest.raises(ValueError, match="allocate bytearray"):
            isolated.save_state_into(bytearray(8))
        with pytest.raises(TypeError, match="writable"):
            isolated.save_state_into(state)  # type: ignore[arg-type]
