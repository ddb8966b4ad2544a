"""Game Boy and Game Boy Color tile grids, read from gambatte's video memory and registers.

Sits between the host (an ``EmulatorLike`` running gambatte) and the tiles observation.
gambatte's memory map has VRAM (the selected bank only), OAM and high RAM but not the I/O
registers (LCDC, SCY/SCX, WY/WX), so every read takes them from the core's serialized state,
which carries both VRAM banks and the whole $FE00-$FFFF block. A state is about 26 KiB and
costs a few microseconds to make; the fields are found here once (and again if the state's
size changes), and C (``native/tiles.c``) serializes into the host's buffer and decodes the
grid; the numpy decoder here (``reference_grid``) is the reference it is tested against.

Hardware facts (Pan Docs): tile data $8000-$97FF, 384 tiles of 16 bytes, 2 bits per pixel,
low byte then high byte per row; background and window maps at $9800 and $9C00 (32x32 ids);
on a Game Boy Color, VRAM bank 1 holds 384 more tiles and, at the map addresses, one
attribute byte per cell (bits 0-2 palette, 3 bank, 5 x flip, 6 y flip, 7 priority).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pettingretro import errors
from pettingretro.host import EmulatorLike, TileLayout
from pettingretro.tiles.state import NativeTiles

__all__ = ["GameBoyTiles", "GameBoyVideo", "decode_tiles"]

ROWS, COLS = 18, 20  # the 160x144 screen in 8x8 cells
TILES_PER_BANK = 384

# gambatte's state: a 2-byte version, a 3-byte thumbnail size (0 in libretro builds), then
# fields of (label, NUL, 3-byte big-endian size, data).
_STATE_START = 5
_FIELDS = {"vram": 0x4000, "hram": 0x200}  # "hram" is gambatte's ioamhram: $FE00-$FFFF

# offsets into the $FE00-$FFFF block
_LCDC, _SCY, _SCX, _BGP, _WY, _WX = 0x140, 0x142, 0x143, 0x147, 0x14A, 0x14B


def _field_offsets(state: bytes) -> dict[str, int]:
    """Find where each of ``_FIELDS``' data starts in one gambatte state."""
    found: dict[str, int] = {}
    pos = _STATE_START
    while pos < len(state) and len(found) < len(_FIELDS):
        end = state.find(b"\x00", pos)
        if end < 0 or end + 4 > len(state):
            break
        label = state[pos:end].decode("latin-1")
        size = int.from_bytes(state[end + 1 : end + 4], "big")
        if label in _FIELDS and size == _FIELDS[label]:
            found[label] = end + 4
        pos = end + 4 + size
    return found


@dataclass(frozen=True)
class GameBoyVideo:
    """One frame's video memory and registers.

    Attributes:
        vram: 16 KiB, bank 0 then bank 1 (bank 1 is unused on a Game Boy).
        high: the 512 bytes at $FE00-$FFFF: OAM, I/O registers, high RAM.
        color: True in Game Boy Color mode.

    """

    vram: npt.NDArray[np.uint8]
    high: npt.NDArray[np.uint8]
    color: bool

    @property
    def lcdc(self) -> int:
        """The LCD control register ($FF40)."""
        return int(self.high[_LCDC])

    @property
    def scroll(self) -> tuple[int, int]:
        """(SCY, SCX): the background's pixel offset."""
        return int(self.high[_SCY]), int(self.high[_SCX])

    @property
    def window(self) -> tuple[int, int]:
        """(WY, WX - 7): the window's top-left corner on the screen."""
        return int(self.high[_WY]), int(self.high[_WX]) - 7

    @property
    def bgp(self) -> int:
        """The Game Boy's background palette register ($FF47)."""
        return int(self.high[_BGP])

    @property
    def oam(self) -> npt.NDArray[np.uint8]:
        """The 40 sprites as a (40, 4) array of (Y + 16, X + 8, tile, attributes)."""
        return self.high[:160].reshape(40, 4)


def decode_tiles(vram: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """Return every tile's pixels: (768, 8, 8) colour indices 0-3 (bank 1 after bank 0).

    Args:
        vram: 16 KiB of VRAM (bank 0, then bank 1).

    Example:
        >>> import numpy as np
        >>> vram = np.zeros(0x4000, np.uint8)
        >>> vram[0:2] = [0b10000000, 0b10000001]   # row 0 of tile 0
        >>> decode_tiles(vram)[0, 0].tolist()
        [3, 0, 0, 0, 0, 0, 0, 2]
    """
    banks = vram.reshape(2, 0x2000)[:, : TILES_PER_BANK * 16]
    rows = banks.reshape(2 * TILES_PER_BANK, 8, 2)
    bits = np.unpackbits(rows, axis=2).reshape(2 * TILES_PER_BANK, 8, 2, 8)
    return (bits[:, :, 0] | (bits[:, :, 1] << 1)).astype(np.uint8)


class GameBoyTiles(NativeTiles):
    """The tile grid of a gambatte emulator: 18x20 tile ids, sprites overlaid.

    A tile id names a pattern in VRAM: 0-383 for bank 0 in $8000-$97FF order (so the
    background's signed $8800 addressing and the sprites' unsigned one give the same id for
    the same pattern), plus 384 for bank 1 on a Game Boy Color. Each screen cell holds the
    background or window tile under its top-left pixel, unless a sprite's top-left corner
    lies in the cell (the lowest OAM index wins), as PyBoy's ``game_area`` does.

    Args:
        emu: an emulator running gambatte with a game loaded.

    Raises:
        TilesError: the core is not gambatte, or its state has no VRAM/register fields.

    """

    _core = "gambatte"

    rows = ROWS
    cols = COLS

    def __init__(self, emu: EmulatorLike) -> None:
        self._emu = emu
        self._native = self._native_of(emu)
        self.color = _is_color(emu)
        self.num_ids = 2 * TILES_PER_BANK if self.color else TILES_PER_BANK
        self._find(emu.save_state())
        self._rows = np.arange(ROWS + 1)
        self._cols = np.arange(COLS + 1)

    def _find(self, state: bytes) -> None:
        """Find the fields in ``state`` (again when a state's size changed: cartridge RAM)."""
        offsets = _field_offsets(state)
        missing = [name for name in _FIELDS if name not in offsets]
        if missing:
            raise errors.TilesError(
                f"core '{self._emu.system_info.library_name}' wrote a save state without "
                f"{', '.join(missing)}: tiles need gambatte's state layout (label, size, data)"
            )
        self._state_size = len(state)
        self._vram_at = offsets["vram"]
        self._high_at = offsets["hram"]
        self.layout = TileLayout(
            "gameboy",
            len(state),
            (self._vram_at, self._high_at),
            rows=ROWS,
            cols=COLS,
            color=self.color,
        )

    def video(self) -> GameBoyVideo:
        """Read the current frame's video memory and registers (one save state)."""
        return self._video_of(self._state())

    def _video_of(self, state: bytes) -> GameBoyVideo:
        vram = np.frombuffer(state, np.uint8, 0x4000, self._vram_at)
        high = np.frombuffer(state, np.uint8, 0x200, self._high_at)
        return GameBoyVideo(vram, high, self.color)

    def background(
        self, video: GameBoyVideo
    ) -> tuple[npt.NDArray[np.uint16], npt.NDArray[np.uint8], tuple[int, int]]:
        """The background under the screen, one row and column more than the grid.

        Returns:
            (ids, attributes, (fine_y, fine_x)): ``ids`` and ``attributes`` are (19, 21): the
            map cells that the screen's pixels come from, the first one under the top-left
            pixel; attributes are 0 on a Game Boy. The screen shows this block's pixels from
            ``(fine_y, fine_x)`` on.

        """
        scy, scx = video.scroll
        base = 0x1C00 if video.lcdc & 0x08 else 0x1800
        rows = (scy // 8 + self._rows) % 32
        cols = (scx // 8 + self._cols) % 32
        cells = rows[:, None] * 32 + cols[None, :]
        ids, attrs = self._map(video, base, cells)
        return ids, attrs, (scy % 8, scx % 8)

    def reference_grid(
        self,
        out: npt.NDArray[np.uint16] | None = None,
        state: bytes | None = None,
    ) -> npt.NDArray[np.uint16]:
        """:meth:`grid` in numpy and Python: of the current frame, or of ``state`` if given.

        The reference the C decoder is tested against, cell for cell.
        """
        if state is None:
            state = self._state()
        elif len(state) != self._state_size:
            self._find(state)
        high = self._high_at
        lcdc = state[high + _LCDC]
        scy, scx = state[high + _SCY], state[high + _SCX]
        if out is None:
            out = np.empty((ROWS, COLS), np.uint16)
        base = self._vram_at + (0x1C00 if lcdc & 0x08 else 0x1800)
        cells = _cells()[scy >> 3, scx >> 3]
        index = np.frombuffer(state, np.uint8, 0x400, base).take(cells)
        out[...] = index if lcdc & 0x10 else _SIGNED[index]
        if self.color:
            attrs = np.frombuffer(state, np.uint8, 0x400, base + 0x2000).take(cells)
            out += _BANK.take(attrs)
        wy, wx = state[high + _WY], state[high + _WX] - 7
        if lcdc & 0x20 and wy < 144 and wx < 160:
            self._window(self._video_of(state), out, wy, wx)
        if lcdc & 0x02:
            self._sprites(state, out, lcdc)
        return out

    def _map(
        self, video: GameBoyVideo, base: int, cells: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.uint16], npt.NDArray[np.uint8]]:
        index = video.vram[base + cells].astype(np.uint16)
        if not video.lcdc & 0x10:  # $8800 addressing: 0-127 are tiles 256-383
            index += (index < 128) * np.uint16(256)
        if video.color:
            attrs = video.vram[0x2000 + base + cells]
            index += ((attrs >> 3) & 1).astype(np.uint16) * np.uint16(TILES_PER_BANK)
        else:
            attrs = np.zeros(cells.shape, np.uint8)
        return index, attrs

    def _window(self, video: GameBoyVideo, out: npt.NDArray[np.uint16], wy: int, wx: int) -> None:
        # cells whose top-left pixel the window covers; the window's own map starts at (0, 0)
        first_row = max(0, -(-wy // 8))
        first_col = max(0, -(-wx // 8))
        if first_row >= ROWS or first_col >= COLS:
            return
        rows = (self._rows[first_row:ROWS] * 8 - wy) // 8
        cols = (self._cols[first_col:COLS] * 8 - wx) // 8
        base = 0x1C00 if video.lcdc & 0x40 else 0x1800
        ids, _ = self._map(video, base, rows[:, None] * 32 + cols[None, :])
        out[first_row:, first_col:] = ids

    def _sprites(self, state: bytes, out: npt.NDArray[np.uint16], lcdc: int) -> None:
        # 40 sprites, most hidden: a plain loop over the OAM bytes beats numpy's per-call cost
        oam = state[self._high_at : self._high_at + 160]
        tall = lcdc & 0x04
        # OAM Y is screen y + 16, X is screen x + 8; a cell is drawn for each 8x8 half whose
        # top-left pixel is on screen: Y in [16, 160) (from 8 for a tall sprite's bottom half)
        # which sprites are on screen, found by C-speed bytes operations: 1 where Y and X fit
        shown = int.from_bytes(
            oam[0::4].translate(_TALL_Y if tall else _Y), "big"
        ) & int.from_bytes(oam[1::4].translate(_X), "big")
        if not shown:
            return
        flags = shown.to_bytes(40, "big")
        color = self.color
        for n in range(39, -1, -1):  # the lowest OAM index wins a cell: draw it last
            if not flags[n]:
                continue
            i = 4 * n
            sy, sx, tile, attr = oam[i], oam[i + 1], oam[i + 2], oam[i + 3]
            bank = TILES_PER_BANK if color and attr & 0x08 else 0
            row, col = (sy - 16) >> 3, (sx - 8) >> 3
            if tall:
                top = (tile & 0xFE) | ((attr >> 6) & 1)  # y flip swaps the halves
                if row + 1 < ROWS:
                    out[row + 1, col] = (top ^ 1) + bank
                if row >= 0:
                    out[row, col] = top + bank
            else:
                out[row, col] = tile + bank


_SIGNED = (np.arange(256) + (np.arange(256) < 128) * 256).astype(
    np.uint16
)  # $8800: 0-127 are 256-383
_BANK = ((np.arange(256) & 0x08) * (TILES_PER_BANK // 8)).astype(np.uint16)  # attribute bit 3
_CELLS: list[npt.NDArray[np.intp]] = []
# bytes.translate tables: 1 for an OAM Y / X whose sprite has a cell on screen, else 0
_Y = bytes(1 if 16 <= v < 160 else 0 for v in range(256))
_TALL_Y = bytes(1 if 8 <= v < 160 else 0 for v in range(256))
_X = bytes(1 if 8 <= v < 168 else 0 for v in range(256))


def _cells() -> npt.NDArray[np.intp]:
    """Map offsets of the screen's cells for each coarse scroll: (32, 32, 18, 20), made once."""
    if not _CELLS:
        ty = np.arange(32)[:, None, None, None]
        tx = np.arange(32)[None, :, None, None]
        r = np.arange(ROWS)[None, None, :, None]
        c = np.arange(COLS)[None, None, None, :]
        _CELLS.append((((ty + r) % 32) * 32 + (tx + c) % 32).astype(np.intp))
    return _CELLS[0]


def _is_color(emu: EmulatorLike) -> bool:
    """Whether gambatte runs the game as a Game Boy Color game (header byte $0143 bit 7)."""
    for desc in emu.memory_maps:
        if desc.start == 0 and desc.data is not None and desc.length > 0x143:
            return bool(desc.data[0x143] & 0x80)
    try:
        header = emu.rom_path.read_bytes()[:0x150]
    except OSError as exc:
        raise errors.TilesError(
            f"cannot read the ROM header of {emu.rom_path} to tell Game Boy from Game Boy "
            f"Color: {exc}"
        ) from exc
    return len(header) > 0x143 and bool(header[0x143] & 0x80)
