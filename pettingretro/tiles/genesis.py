"""Sega Genesis / Mega Drive tile grids, read from genesis_plus_gx's VDP state.

Sits between the host (an ``EmulatorLike`` running genesis_plus_gx) and the tiles
observation. genesis_plus_gx exposes no VDP memory through get_memory or a memory map, so
every read takes it from the core's serialized state: a fixed sequence of blocks, the VDP's
``sat`` (its internal copy of the sprite table), ``vram``, ``cram``, ``vsram`` and ``reg``
among them (docs/notes/genesis-vdp-state.md has the layout and what was measured).

Hardware facts (public VDP documentation, and genesis_plus_gx's renderer where the two
differ): 64 KiB of VRAM holds 2048 patterns of 8x8 4-bit pixels (32 bytes each, two pixels
a byte, the high nibble first); a name table entry is a big-endian word of priority (bit
15), palette (14-13), vertical flip (12), horizontal flip (11) and pattern index (10-0);
sprite table entries are 8 bytes: Y + 128, size (width - 1 in bits 11-10, height - 1 in
bits 9-8, in cells) and link (6-0), attributes as a name entry, X + 128; a sprite's cells
are numbered down each column, then across.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pettingretro import errors
from pettingretro.host import EmulatorLike
from pettingretro.tiles.state import KeptState

__all__ = [
    "BLANK",
    "COLS",
    "STATE_LAYOUT",
    "GenesisTiles",
    "GenesisVideo",
    "decode_tiles",
    "rgb_of",
]

COLS = 40  # the H40 screen's 320 pixels; H32's 256 fill columns 0-31
BLANK = 2048  # the id of a cell the active display does not cover, or of a blanked display
NUM_IDS = 2049

# genesis_plus_gx's state (core/state.c, Mega Drive mode): "GENPLUS-GX x.y.z" (16 bytes),
# 68k RAM (64 KiB), Z80 RAM (8 KiB), zstate (1), zbank (4), io_reg (16), then the VDP block:
# sat (1 KiB), vram (64 KiB), cram (128 B), vsram (128 B), reg (32 B), ...
_SIGNATURE = b"GENPLUS-GX"
_IO = 16 + 0x10000 + 0x2000 + 1 + 4
_SAT = _IO + 0x10
_VRAM = _SAT + 0x400
_CRAM = _VRAM + 0x10000
_VSRAM = _CRAM + 0x80
_REG = _VSRAM + 0x80
_END = _REG + 0x20

#: Where each block the reader uses starts in a Mega Drive state: (offset, size).
STATE_LAYOUT = {
    "io_reg": (_IO, 0x10),
    "sat": (_SAT, 0x400),
    "vram": (_VRAM, 0x10000),
    "cram": (_CRAM, 0x80),
    "vsram": (_VSRAM, 0x80),
    "reg": (_REG, 0x20),
}

# register 16's size codes, as genesis_plus_gx draws them: row stride shift (bytes = 1 <<
# shift), columns mask, line mask (code 2 is "invalid" on hardware; these are its values)
_ROW_SHIFT = (6, 7, 0, 8)
_COL_MASK = (0x1F, 0x3F, 0x1F, 0x7F)
_LINE_MASK = (0xFF, 0x1FF, 0x2FF, 0x3FF)

_Table = npt.NDArray[np.int64]
_TWO_WORDS = struct.Struct("<2H")  # two host-order (little-endian) words

_SYSTEMS_NOT_DECODED = {
    ".sms": "Master System",
    ".gg": "Game Gear",
    ".sg": "SG-1000",
}


@dataclass(frozen=True)
class GenesisVideo:
    """One frame's VDP memory and registers, as numpy views of a state.

    Attributes:
        vram: 32768 words, each the VDP's big-endian word at byte address 2 * index.
        cram: 64 9-bit colours (bits 0-2 red, 3-5 green, 6-8 blue).
        vsram: 64 words: the V scroll of plane A (even) and B (odd), per 2-cell column.
        reg: the 32 VDP registers.
        sat: 512 words: the VDP's internal copy of the first 128 sprite entries (it draws
            Y, size and link from here, attributes and X from VRAM).
        pal: True on a PAL console (30 cell rows possible).

    """

    vram: npt.NDArray[np.uint16]
    cram: npt.NDArray[np.uint16]
    vsram: npt.NDArray[np.uint16]
    reg: npt.NDArray[np.uint8]
    sat: npt.NDArray[np.uint16]
    pal: bool

    @property
    def h40(self) -> bool:
        """True in the 320-pixel mode (register 12 bit 0), False in the 256-pixel one."""
        return bool(self.reg[12] & 1)

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, cols) of 8x8 cells the active display shows."""
        return (30 if self.reg[1] & 0x08 and self.pal else 28), (40 if self.h40 else 32)

    @property
    def plane_a(self) -> int:
        """Plane A's name table address (register 2)."""
        return (int(self.reg[2]) << 10) & 0xE000

    @property
    def window(self) -> int:
        """The window's name table address (register 3)."""
        return (int(self.reg[3]) << 10) & (0xF000 if self.h40 else 0xF800)

    @property
    def sprite_table(self) -> int:
        """The sprite attribute table's address (register 5)."""
        return (int(self.reg[5]) << 9) & (0xFC00 if self.h40 else 0xFE00)

    @property
    def scroll(self) -> tuple[int, int]:
        """(V, H) scroll of plane A: line 0's and column 0's in the per-line/per-cell modes.

        The screen's pixel (y, x) shows plane A's pixel ``(y + V, x - H)``, wrapped.
        """
        hscb = (int(self.reg[13]) << 10) & 0xFC00
        return int(self.vsram[0]) & 0x7FF, int(self.vram[hscb >> 1]) & 0x3FF

    def plane_cells(self, rows: int, cols: int) -> tuple[npt.NDArray[np.int64], tuple[int, int]]:
        """Plane A's name entries under the screen, one row and column more than asked.

        Returns:
            (entries, (fine_y, fine_x)): ``entries`` is (rows + 1, cols + 1) name table
            words; the screen shows this block's pixels from ``(fine_y, fine_x)`` on.

        """
        code = int(self.reg[16])
        shift, col_mask = _ROW_SHIFT[code & 3], _COL_MASK[code & 3]
        line_mask = _LINE_MASK[(code >> 4) & 3]
        vs, hs = self.scroll
        top = vs & line_mask
        left = -hs & (col_mask * 8 + 7)
        lines = (top + 8 * np.arange(rows + 1)) & line_mask
        row_at = ((lines >> 3) << shift) & 0x1FC0
        col_at = (((left >> 3) + np.arange(cols + 1)) & col_mask) * 2
        words = (self.plane_a + row_at[:, None] + col_at[None, :]) >> 1
        return self.vram[words].astype(np.int64), (top & 7, left & 7)


def decode_tiles(vram: npt.NDArray[np.uint16]) -> npt.NDArray[np.uint8]:
    """Return every VRAM pattern's pixels: (2048, 8, 8) colour indices 0-15.

    Example:
        >>> import numpy as np
        >>> vram = np.zeros(0x8000, np.uint16)
        >>> vram[16] = 0x1F00   # pattern 1, row 0: pixels 1, 15, 0, 0
        >>> decode_tiles(vram)[1, 0, :4].tolist()
        [1, 15, 0, 0]
    """
    data = vram.astype(">u2").view(np.uint8).reshape(2048, 8, 4)
    return np.stack([data >> 4, data & 0x0F], axis=-1).reshape(2048, 8, 8)


def rgb_of(colours: npt.NDArray[np.integer]) -> npt.NDArray[np.uint8]:
    """The RGB genesis_plus_gx shows, through the host's RGB565 frames, for 9-bit colours.

    Measured on our test ROM's 61 colours (docs/notes/genesis-vdp-state.md): a 3-bit level
    ``n`` becomes 4 bits ``2n``, then RGB565 by repeating its top bits, then 8 bits likewise.

    Example:
        >>> import numpy as np
        >>> rgb_of(np.array([0x000, 0x007, 0x1FF, 0x049])).tolist()
        [[0, 0, 0], [239, 0, 0], [239, 239, 239], [33, 32, 33]]
    """
    c = np.asarray(colours, np.int64)
    level = np.stack([c & 7, (c >> 3) & 7, (c >> 6) & 7], axis=-1) << 1  # 4 bits each
    five = (level << 1) | (level >> 3)
    six = (level << 2) | (level >> 2)
    out = (five << 3) | (five >> 2)
    out[..., 1] = (six[..., 1] << 2) | (six[..., 1] >> 4)
    return out.astype(np.uint8)


class GenesisTiles(KeptState):
    """The tile grid of a genesis_plus_gx emulator: one cell per 8x8 tile of the screen.

    The grid is always 40 columns (the H40 screen's 320 pixels) by 28 rows, 30 on a PAL
    console, so its size never changes within a game: in H32 mode columns 32-39, and on a
    PAL console in 28-line mode rows 28-29, hold ``BLANK`` (2048), as does every cell while
    the display is off or the VDP is not in Mega Drive mode (mode 5). A cell holds the
    11-bit pattern index of plane A's tile under its top-left pixel, plane A's full-screen
    scroll and plane size honoured (in the per-line and per-2-cell scroll modes, line 0's H
    scroll and column 0's V scroll), or the window's where the window covers the cell;
    then each sprite cell whose top-left pixel lies on the screen puts its own pattern
    index in the cell holding that pixel (sprites first in the link list win). Plane B,
    priority bits, palettes and flips are not in the grid.

    Args:
        emu: an emulator running genesis_plus_gx with a Mega Drive game loaded.

    Raises:
        TilesError: the game is a Master System, Game Gear or SG-1000 one, or the state is
            not genesis_plus_gx's Mega Drive layout.

    """

    num_ids = NUM_IDS
    cols = COLS

    def __init__(self, emu: EmulatorLike) -> None:
        self._emu = emu
        system = _SYSTEMS_NOT_DECODED.get(emu.rom_path.suffix.lower())
        if system is not None:
            raise errors.TilesError(
                f"obs_type='tiles' on genesis_plus_gx decodes Mega Drive games; "
                f"{emu.rom_path.name} is a {system} game, whose VDP mode is not decoded"
            )
        self._find(emu.save_state())
        self._r = np.arange(30)
        self._c = np.arange(COLS)
        self._cache: dict[tuple[int, int, int], tuple[_Table, _Table]] = {}

    def _find(self, state: bytes) -> None:
        if len(state) < _END or not state.startswith(_SIGNATURE):
            raise errors.TilesError(
                f"core '{self._emu.system_info.library_name}' wrote a {len(state)}-byte state "
                f"that does not start with {_SIGNATURE.decode()}'s signature and VDP block: "
                "Genesis tiles need genesis_plus_gx's state layout"
            )
        # one buffer for every step's state: a fresh 1 MiB one per step costs page faults
        self._keep(state)
        self.pal = bool(state[_IO] & 0x40)  # the version register: bit 6 set on PAL
        self.rows = 30 if self.pal else 28

    def video(self) -> GenesisVideo:
        """Read the current frame's VDP memory and registers (one save state, copied)."""
        return self._video_of(bytes(self._state()))

    def _video_of(self, state: bytes | memoryview) -> GenesisVideo:
        return GenesisVideo(
            vram=np.frombuffer(state, "<u2", 0x8000, _VRAM),
            cram=np.frombuffer(state, "<u2", 64, _CRAM),
            vsram=np.frombuffer(state, "<u2", 64, _VSRAM),
            reg=np.frombuffer(state, np.uint8, 32, _REG),
            sat=np.frombuffer(state, "<u2", 512, _SAT),
            pal=self.pal,
        )

    def grid(self, out: npt.NDArray[np.uint16] | None = None) -> npt.NDArray[np.uint16]:
        """Return the current screen's (rows, 40) tile ids, written into ``out`` if given."""
        # the hot path: one state, one add and one take through cached tables, the window
        # only where it shows, a Python loop over the linked sprites
        state = self._state()
        reg = bytes(state[_REG : _REG + 0x20])
        if out is None:
            out = np.empty((self.rows, COLS), np.uint16)
        out.fill(BLANK)
        if (reg[1] & 0x44) != 0x44:  # display off, or not mode 5
            return out
        if (reg[12] & 0x06) == 0x06:
            raise errors.TilesError(
                "the game switched the VDP to interlace mode 2 (8x16-pixel cells, as in "
                "two-player split screens); obs_type='tiles' decodes the 8x8-cell modes only"
            )
        h40 = reg[12] & 1
        rows = 30 if reg[1] & 0x08 and self.pal else 28
        cols = 40 if h40 else 32
        row_at, col_at = self._tables(reg[16], rows, cols)
        hscb = _VRAM + ((reg[13] << 10) & 0xFC00)
        vs = state[_VSRAM] | state[_VSRAM + 1] << 8
        hs = state[hscb] | state[hscb + 1] << 8
        first_row = (vs & _LINE_MASK[(reg[16] >> 4) & 3]) >> 3
        first_col = (-hs >> 3) & _COL_MASK[reg[16] & 3]
        words = row_at[first_row][:, None] + col_at[first_col]
        words += ((reg[2] << 10) & 0xE000) >> 1
        vram = np.frombuffer(state, "<u2", 0x8000, _VRAM)
        view = out[:rows, :cols]
        np.bitwise_and(vram.take(words), 0x7FF, out=view)
        if reg[17] & 0x9F or reg[18] & 0x9F:
            self._window(self._video_of(state), view)
        self._sprites(state, reg, view)
        return out

    def _tables(self, code: int, rows: int, cols: int) -> tuple[_Table, _Table]:
        """Word offsets into a name table by first cell row and column, for a plane size."""
        key = (code, rows, cols)
        tables = self._cache.get(key)
        if tables is None:
            shift, col_mask = _ROW_SHIFT[code & 3], _COL_MASK[code & 3]
            line_mask = _LINE_MASK[(code >> 4) & 3]
            starts = np.arange((line_mask + 1) >> 3)[:, None] * 8
            lines = (starts + 8 * np.arange(rows)[None, :]) & line_mask
            row_at = ((((lines >> 3) << shift) & 0x1FC0) >> 1).astype(np.int64)
            firsts = np.arange(col_mask + 1)[:, None]
            col_at = ((firsts + np.arange(cols)[None, :]) & col_mask).astype(np.int64)
            tables = self._cache[key] = (row_at, col_at)
        return tables

    def _window(self, video: GenesisVideo, view: npt.NDArray[np.uint16]) -> None:
        rows, cols = view.shape
        vpos, hpos = int(video.reg[18]), int(video.reg[17])
        split = min((vpos & 0x1F), rows)  # in cells
        whole = slice(split, rows) if vpos & 0x80 else slice(0, split)
        edge = min((hpos & 0x1F) * 2, cols)
        part = slice(edge, cols) if hpos & 0x80 else slice(0, edge)
        if whole.start == whole.stop and part.start == part.stop:
            return
        stride = 64 if video.h40 else 32
        base = video.window >> 1
        ids = video.vram[base + self._r[:rows, None] * stride + self._c[None, :cols]] & 0x7FF
        view[whole] = ids[whole]
        others = np.ones(rows, bool)
        others[whole] = False
        view[others, part] = ids[others, part]

    def _sprites(self, state: memoryview, reg: bytes, view: npt.NDArray[np.uint16]) -> None:
        rows, cols = view.shape
        h40 = reg[12] & 1
        table = _VRAM + ((reg[5] << 9) & (0xFC00 if h40 else 0xFE00))
        drawn = []
        index = 0
        for _ in range(80 if h40 else 64):  # the VDP walks at most this many links
            y, size_link = _TWO_WORDS.unpack_from(state, _SAT + index * 8)  # its own copy
            drawn.append((index, y & 0x1FF, size_link))
            index = size_link & 0x7F
            if index == 0:
                break
        height, width = rows * 8, cols * 8
        for index, y, size_link in reversed(drawn):  # the first in the list wins: draw it last
            attr, x = _TWO_WORDS.unpack_from(state, table + index * 8 + 4)  # from VRAM
            w, h = ((size_link >> 10) & 3) + 1, ((size_link >> 8) & 3) + 1
            sx, sy = (x & 0x1FF) - 128, y - 128
            if sx >= width or sy >= height or sx + 8 * w <= 0 or sy + 8 * h <= 0:
                continue
            base = attr & 0x7FF
            for c in range(w):
                px = sx + 8 * c
                if not 0 <= px < width:
                    continue
                col = w - 1 - c if attr & 0x0800 else c
                for r in range(h):
                    py = sy + 8 * r
                    if 0 <= py < height:
                        row = h - 1 - r if attr & 0x1000 else r
                        view[py >> 3, px >> 3] = (base + col * h + row) & 0x7FF
