"""PC Engine tile grids, read from mednafen_pce_fast's VDC and VCE state.

Sits between the host (an ``EmulatorLike`` running mednafen_pce_fast, the stable-retro
wheel's or Debian's) and the tiles observation. The core exposes no video memory through
get_memory or a memory map, but its save state names every VDC and VCE field: a mednafen
state is a 32-byte header ("MDFNSVST", version, total size), then sections of (32-byte
name, 4-byte little-endian size) holding variables of (1-byte name length, name, 4-byte
little-endian size, little-endian data). The reader takes section ``VDC0``'s ``VRAM``
(32 Ki words), ``SAT``, ``CR``, ``BXR``, ``BYR``, ``MWR``, ``HDR`` and the frame's cached
vertical timing (``VDS_cache``, ``VSW_cache``, ``VDW_cache``), and section ``VCE``'s
``dot clock`` and ``color_table`` (docs/notes/pce-vdc.md has the offsets measured).

Hardware facts (HuC6270 VDC, HuC6260 VCE): the BAT (background attribute table) sits at
VRAM word 0, 32/64/128 entries wide (MWR bits 4-5) by 32/64 high (MWR bit 6); an entry is
palette << 12 | tile, a tile 16 words at VRAM word tile * 16 (rows of planes 0/1, then
rows of planes 2/3). The SAT holds 64 sprites of four words: Y + 64, X + 32, pattern
address >> 5 (a 16x16 pattern is 64 words), and attributes (bits 0-3 palette, 8 width 32,
11 x flip, 12-13 height 16/32/64, 15 y flip); the lowest index is drawn on top.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pettingretro import errors
from pettingretro.host import EmulatorLike
from pettingretro.tiles.state import KeptState

__all__ = ["BORDER", "SPRITE_BASE", "PceTiles", "PceVideo", "decode_tiles"]

COLS = 32  # the 256-pixel mode (dot clock 0) in 8-pixel cells
SPRITE_BASE = 4096  # background ids are the BAT's 12-bit tile numbers: 0-4095
BORDER = SPRITE_BASE + 4 * 1024  # 8192: a cell outside the VDC's active display
# mednafen draws frame line n into surface row n - 14, and both libretro builds show the
# surface from pce_initial_scanline on (default 3): screen row 0 is frame line 17
FIRST_LINE = 14 + 3
WIDTHS = (256, 352, 512)  # the core's screen width by VCE dot clock (352: pce_hoverscan default)

_HEADER = 32
# (section, variable) -> size in bytes
_FIELDS = {
    ("VDC0", "VRAM"): 0x10000,
    ("VDC0", "SAT"): 0x200,
    ("VDC0", "CR"): 2,
    ("VDC0", "BXR"): 2,
    ("VDC0", "BYR"): 2,
    ("VDC0", "MWR"): 2,
    ("VDC0", "HDR"): 2,
    ("VDC0", "VDS_cache"): 4,
    ("VDC0", "VSW_cache"): 4,
    ("VDC0", "VDW_cache"): 4,
    ("VCE", "dot clock"): 1,
    ("VCE", "color_table"): 0x400,
}
_BAT_WIDTH_SHIFT = (5, 6, 7, 7)  # MWR bits 4-5
_UNITS_HIGH = (1, 2, 4, 4)  # SAT attribute bits 12-13: 16, 32, 64 (64) lines
_HEIGHT_MASK = (~0, ~2, ~6, ~6)  # pattern number bits a taller sprite ignores


def _entries(state: bytes) -> dict[tuple[str, str], tuple[int, int]]:
    """Map each (section, variable) of a mednafen state to (data offset, size)."""
    found: dict[tuple[str, str], tuple[int, int]] = {}
    if state[:8] != b"MDFNSVST":
        return found
    pos = _HEADER
    while pos + 36 <= len(state):
        section = state[pos : pos + 32].split(b"\x00", 1)[0].decode("latin-1")
        end = min(pos + 36 + int.from_bytes(state[pos + 32 : pos + 36], "little"), len(state))
        at = pos + 36
        while at < end:
            n = state[at]
            data = at + 5 + n
            if data > end:
                break
            name = state[at + 1 : at + 1 + n].decode("latin-1")
            size = int.from_bytes(state[at + 1 + n : data], "little")
            found.setdefault((section, name), (data, size))
            at = data + size
        pos = end
    return found


@dataclass(frozen=True)
class PceVideo:
    """One frame's VDC memory and registers and the VCE's colours.

    Attributes:
        vram: 32 Ki words of VRAM.
        sat: (64, 4) sprite attribute words: (Y + 64, X + 32, pattern address >> 5, flags).
        cr: the VDC control register (bit 6 sprites on, bit 7 background on).
        bxr: horizontal scroll (BAT pixels).
        byr: vertical scroll: the BAT line the active display's first line shows.
        mwr: the memory width register (BAT size in bits 4-6).
        hdr: horizontal display register (HDW, the width in cells - 1, in bits 0-6).
        vds: vertical display start of this frame.
        vsw: vertical sync width of this frame.
        vdw: vertical display width of this frame (lines - 1).
        dot_clock: the VCE's dot clock: 0, 1 or 2 (256, 352 or 512 pixels wide).
        colors: the VCE's 512 nine-bit colours (GGGRRRBBB): 256 for backgrounds, then 256
            for sprites.

    """

    vram: npt.NDArray[np.uint16]
    sat: npt.NDArray[np.uint16]
    cr: int
    bxr: int
    byr: int
    mwr: int
    hdr: int
    vds: int
    vsw: int
    vdw: int
    dot_clock: int
    colors: npt.NDArray[np.uint16]

    @property
    def bat_shape(self) -> tuple[int, int]:
        """(rows, columns) of the BAT: 32 or 64 by 32, 64 or 128."""
        return (64 if self.mwr & 0x40 else 32), 1 << _BAT_WIDTH_SHIFT[(self.mwr >> 4) & 3]

    @property
    def display(self) -> tuple[int, int, int, int]:
        """(top, bottom, left, right): the active display on the screen, bounds exclusive.

        Outside it the screen shows the overscan colour (``colors[256]``).
        """
        return _display(self.vds, self.vsw, self.vdw, self.hdr, self.dot_clock)


def _display(vds: int, vsw: int, vdw: int, hdr: int, dot_clock: int) -> tuple[int, int, int, int]:
    """:attr:`PceVideo.display` from the registers."""
    top = vds + vsw - FIRST_LINE
    width = ((hdr & 0x7F) + 1) * 8
    screen = WIDTHS[min(dot_clock, 2)]
    left = (screen - width) // 2 if width < screen else 0  # the core centres a thin picture
    return top, top + vdw + 1, left, left + width


def decode_tiles(vram: npt.NDArray[np.uint16]) -> npt.NDArray[np.uint8]:
    """Return the background tiles' pixels: (2048, 8, 8) colour indices 0-15.

    Tiles 2048-4095 would lie past the 32 Ki words of VRAM.

    Example:
        >>> import numpy as np
        >>> vram = np.zeros(0x8000, np.uint16)
        >>> vram[0], vram[8] = 0x0180, 0x8000   # row 0 of tile 0: planes 0, 1 and 3
        >>> decode_tiles(vram)[0, 0].tolist()
        [9, 0, 0, 0, 0, 0, 0, 2]
    """
    words = vram.reshape(2048, 2, 8)  # (tile, plane pair, row)
    planes = np.stack([words & 0xFF, words >> 8], axis=2).astype(np.uint8)  # (t, pair, lo/hi, row)
    bits = np.unpackbits(planes[..., None], axis=-1)  # (t, pair, lo/hi, row, 8): bit 7 first
    value = bits[:, 0, 0] | bits[:, 0, 1] << 1 | bits[:, 1, 0] << 2 | bits[:, 1, 1] << 3
    return value.astype(np.uint8)


class PceTiles(KeptState):
    """The tile grid of a mednafen_pce_fast emulator: one cell per 8x8 tile of the screen.

    The grid is the screen's rows (240 lines on the stable-retro wheel's core: 30; Debian's
    shows 239: 29) by 32 columns, the 256 pixels of the mode (dot clock 0) that nearly every
    HuCard uses; in the 352- and 512-pixel modes it is the leftmost 32 cells. Ids:

    * 0-4095: the background tile under the cell's top-left pixel (the BAT entry's tile
      number; the pattern is at VRAM word id * 16), with the scroll honoured and the BAT
      wrapping at its size;
    * 4096 + 4 * pattern + quarter: a sprite, which covers the cells holding the top-left
      pixel of each of its 8x8 quarters, as gameboy.py and nes.py place each half of an
      8x16 sprite. ``pattern`` is the 16x16 pattern number (VRAM word pattern * 64; a 32- or
      64-pixel sprite is several), ``quarter`` which 8x8 of it shows there (0 top left,
      1 top right, 2 bottom left, 3 bottom right), flips applied; the lowest SAT index wins;
    * 8192 (``BORDER``): a cell whose top-left pixel lies outside the VDC's active display
      (the overscan colour), or every cell while the VDC shows neither layer.

    Args:
        emu: an emulator running mednafen_pce_fast with a game loaded.

    Raises:
        TilesError: the state lacks the VDC fields, or the screen is not the core's default
            height (``pce_initial_scanline``/``pce_last_scanline`` changed).

    """

    num_ids = BORDER + 1
    cols = COLS

    def __init__(self, emu: EmulatorLike) -> None:
        self._emu = emu
        self._find(emu.save_state())
        height = emu.screen_shape[0]
        if emu.frame > 0 and height not in (239, 240):
            raise errors.TilesError(
                f"the PC Engine screen is {height} lines high: tiles read the screen from "
                "pce_initial_scanline 3 on (the core's default), so leave pce_initial_scanline "
                "and pce_last_scanline at their defaults"
            )
        self.rows = (height if emu.frame > 0 else 240) // 8
        self._lines = np.arange(self.rows) * 8
        self._pixels = np.arange(COLS) * 8
        self._cells: dict[tuple[int, int, int], npt.NDArray[np.intp]] = {}
        self._areas: dict[
            tuple[int, int, int, int],
            tuple[npt.NDArray[np.bool_] | None, npt.NDArray[np.bool_], npt.NDArray[np.bool_]],
        ] = {}
        self._iy = np.empty(64, np.intp)
        self._ix = np.empty(64, np.intp)
        self._near = np.empty(64, np.bool_)
        self._near_x = np.empty(64, np.bool_)

    def _find(self, state: bytes) -> None:
        entries = _entries(state)
        missing = [
            f"{section}.{name}"
            for (section, name), size in _FIELDS.items()
            if entries.get((section, name), (0, -1))[1] != size
        ]
        if missing:
            raise errors.TilesError(
                f"core '{self._emu.system_info.library_name}' wrote a save state without "
                f"{', '.join(missing)}: PC Engine tiles need mednafen_pce_fast's state layout"
            )
        self._at = {name: entries[(section, name)][0] for section, name in _FIELDS}
        # one buffer for every step's state (sized once, remade if the size changes), and
        # views of its VRAM and SAT
        self._keep(state)
        self._vram = np.frombuffer(self._buf, "<u2", 0x8000, self._at["VRAM"])
        self._sat = np.frombuffer(self._buf, "<u2", 0x100, self._at["SAT"]).reshape(64, 4)

    def video(self) -> PceVideo:
        """Read the current frame's VDC memory and registers and the VCE (one save state, copied)."""
        return self._video_of(bytes(self._state()))

    def _video_of(self, state: bytes) -> PceVideo:
        at = self._at

        def word(name: str) -> int:
            return int.from_bytes(state[at[name] : at[name] + 2], "little")

        def dword(name: str) -> int:
            return int.from_bytes(state[at[name] : at[name] + 4], "little")

        return PceVideo(
            vram=np.frombuffer(state, "<u2", 0x8000, at["VRAM"]).astype(np.uint16),
            sat=np.frombuffer(state, "<u2", 0x100, at["SAT"]).astype(np.uint16).reshape(64, 4),
            cr=word("CR"),
            bxr=word("BXR"),
            byr=word("BYR"),
            mwr=word("MWR"),
            hdr=word("HDR"),
            vds=dword("VDS_cache"),
            vsw=dword("VSW_cache"),
            vdw=dword("VDW_cache"),
            dot_clock=state[at["dot clock"]],
            colors=np.frombuffer(state, "<u2", 0x200, at["color_table"]).astype(np.uint16),
        )

    def background(
        self, video: PceVideo
    ) -> tuple[npt.NDArray[np.uint16], npt.NDArray[np.uint8], tuple[int, int]]:
        """The background plane under the screen, one row and column more than the grid.

        The active display's lines and pixels extended over the whole screen: outside
        ``video.display`` the screen shows the overscan colour instead.

        Returns:
            (ids, palettes, (fine_y, fine_x)): ``ids`` and ``palettes`` (the BAT entries'
            upper 4 bits) are (rows + 1, 33); the screen shows this block's pixels from
            ``(fine_y, fine_x)`` on.

        """
        top, _, left, _ = video.display
        y0, x0 = video.byr - top, video.bxr - left
        entries = self._bat(
            video.vram, video.mwr, y0 + np.arange(self.rows + 1) * 8, x0 + np.arange(COLS + 1) * 8
        )
        return (
            (entries & 0xFFF).astype(np.uint16),
            (entries >> 12).astype(np.uint8),
            (
                y0 % 8,
                x0 % 8,
            ),
        )

    @staticmethod
    def _bat(
        vram: npt.NDArray[np.uint16],
        mwr: int,
        ys: npt.NDArray[np.int64],
        xs: npt.NDArray[np.int64],
    ) -> npt.NDArray[np.uint16]:
        """The BAT entries at plane pixels (ys[i], xs[j]), wrapping at the BAT's size."""
        shift = _BAT_WIDTH_SHIFT[(mwr >> 4) & 3]
        rows = (ys >> 3) & (63 if mwr & 0x40 else 31)
        cols = (xs >> 3) & ((1 << shift) - 1)
        return vram.take((rows << shift)[:, None] + cols[None, :])

    def _cell_index(self, row: int, col: int, mwr: int) -> npt.NDArray[np.intp]:
        """VRAM word of the BAT entry under each grid cell, from BAT cell (row, col) on."""
        shift = _BAT_WIDTH_SHIFT[(mwr >> 4) & 3]
        rows = (row + np.arange(self.rows)) & (63 if mwr & 0x40 else 31)
        cols = (col + np.arange(COLS)) & ((1 << shift) - 1)
        return ((rows << shift)[:, None] + cols[None, :]).astype(np.intp)

    def grid(self, out: npt.NDArray[np.uint16] | None = None) -> npt.NDArray[np.uint16]:
        """Return the current screen's (rows, 32) tile ids, written into ``out`` if given."""
        # the hot path: one state into the kept buffer, a few integer reads, one take through
        # a cached table, sprites found through cached tables of the SAT's Y and X values
        state = self._state()
        at = self._at
        if out is None:
            out = np.empty((self.rows, COLS), np.uint16)
        cr = state[at["CR"]]
        if not cr & 0xC0:  # neither layer: the VDC shows the overscan colour
            out.fill(BORDER)
            return out
        vds, vsw, vdw = state[at["VDS_cache"]], state[at["VSW_cache"]], state[at["VDW_cache"]]
        vds |= state[at["VDS_cache"] + 1] << 8
        vsw |= state[at["VSW_cache"] + 1] << 8
        vdw |= state[at["VDW_cache"] + 1] << 8
        hdr = state[at["HDR"]]
        area = _display(vds, vsw, vdw, hdr, state[at["dot clock"]])
        top, _, left, _ = area
        byr = state[at["BYR"]] | state[at["BYR"] + 1] << 8
        bxr = state[at["BXR"]] | state[at["BXR"] + 1] << 8
        mwr = state[at["MWR"]] & 0x70
        # the BAT cells under the screen depend only on the coarse scroll and the BAT size
        key = ((byr - top) >> 3, (bxr - left) >> 3, mwr)
        cells = self._cells.get(key)
        if cells is None:
            if len(self._cells) >= 4096:
                self._cells.clear()
            cells = self._cells[key] = self._cell_index(*key)
        self._vram.take(cells, out=out, mode="clip")  # the cells are within VRAM
        out &= 0xFFF
        found = self._areas.get(area)
        if found is None:
            if len(self._areas) >= 256:
                self._areas.clear()
            found = self._areas[area] = self._area_tables(area)
        outside, y_near, x_near = found
        if outside is not None:
            out[outside] = BORDER
        if cr & 0x40:
            sat, iy, ix = self._sat, self._iy, self._ix
            np.bitwise_and(sat[:, 0], 0x3FF, out=iy)
            np.bitwise_and(sat[:, 1], 0x3FF, out=ix)
            near = self._near
            y_near.take(iy, out=near)
            near &= x_near.take(ix, out=self._near_x)
            if near.any():
                self._draw(np.flatnonzero(near)[::-1].tolist(), out, area)
        return out

    def _area_tables(
        self, area: tuple[int, int, int, int]
    ) -> tuple[npt.NDArray[np.bool_] | None, npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
        """The grid's border cells (None: none) and the sprite tables for an active display.

        The tables say, by SAT Y and by SAT X value (10 bits), whether a sprite there can
        have a quarter on the display.
        """
        top, bottom, left, right = area
        lines, pixels = self._lines, self._pixels
        outside = None
        if top > 0 or bottom < self.rows * 8 or left > 0 or right < COLS * 8:
            outside_rows = (lines < top) | (lines >= bottom)
            outside_cols = (pixels < left) | (pixels >= right)
            outside = outside_rows[:, None] | outside_cols[None, :]
        bottom, right = min(bottom, self.rows * 8), min(right, COLS * 8)
        lo_y, lo_x = max(top, 0), max(left, 0)
        raw = np.arange(0x400)
        ys, xs = raw - 64 + top, raw - 32 + left
        # the tallest sprite is 64 lines, the widest 32 pixels: the exact test is per quarter
        return outside, (ys < bottom) & (ys + 64 > lo_y), (xs < right) & (xs + 32 > lo_x)

    def reference_grid(self, out: npt.NDArray[np.uint16] | None = None) -> npt.NDArray[np.uint16]:
        """:meth:`grid` as first written: every sprite's bounds in numpy, a fresh mask.

        The reference :meth:`grid` is tested against; it reads a state of its own.
        """
        video = self._video_of_registers(self._state())
        if out is None:
            out = np.empty((self.rows, COLS), np.uint16)
        if not video.cr & 0xC0:  # neither layer: the VDC shows the overscan colour
            out.fill(BORDER)
            return out
        top, bottom, left, right = video.display
        # the BAT cells under the screen depend only on the coarse scroll and the BAT size
        key = ((video.byr - top) >> 3, (video.bxr - left) >> 3, video.mwr & 0x70)
        cells = self._cells.get(key)
        if cells is None:
            if len(self._cells) >= 4096:
                self._cells.clear()
            cells = self._cells[key] = self._cell_index(*key)
        video.vram.take(cells, out=out, mode="clip")  # the cells are within VRAM
        out &= 0xFFF
        lines, pixels = self._lines, self._pixels
        if top > 0 or bottom < self.rows * 8 or left > 0 or right < COLS * 8:
            outside_rows = (lines < top) | (lines >= bottom)
            outside_cols = (pixels < left) | (pixels >= right)
            out[outside_rows[:, None] | outside_cols[None, :]] = BORDER
        if video.cr & 0x40:
            self._sprites(video, out, (top, bottom, left, right))
        return out

    def _video_of_registers(self, state: memoryview) -> PceVideo:
        # the hot path: VRAM and SAT as views into the kept buffer, no copies
        at = self._at

        def word(name: str) -> int:
            return state[at[name]] | state[at[name] + 1] << 8

        return PceVideo(
            vram=self._vram,
            sat=self._sat,
            cr=word("CR"),
            bxr=word("BXR"),
            byr=word("BYR"),
            mwr=word("MWR"),
            hdr=word("HDR"),
            vds=word("VDS_cache"),
            vsw=word("VSW_cache"),
            vdw=word("VDW_cache"),
            dot_clock=state[at["dot clock"]],
            colors=np.zeros(0, np.uint16),
        )

    def _sprites(
        self, video: PceVideo, out: npt.NDArray[np.uint16], area: tuple[int, int, int, int]
    ) -> None:
        top, bottom, left, right = area
        bottom, right = min(bottom, self.rows * 8), min(right, COLS * 8)
        lo_y, lo_x = max(top, 0), max(left, 0)
        sat = video.sat.astype(np.int64)
        ys = (sat[:, 0] & 0x3FF) - 64 + top  # screen line of each sprite's top
        xs = (sat[:, 1] & 0x3FF) - 32 + left
        high = _PIXELS_HIGH[(sat[:, 3] >> 12) & 3]
        wide = ((sat[:, 3] >> 8) & 1) * 16 + 16
        shown = np.flatnonzero(
            (ys < bottom) & (ys + high > lo_y) & (xs < right) & (xs + wide > lo_x)
        )
        if len(shown):
            self._draw(shown[::-1].tolist(), out, area)

    def _draw(
        self, indices: list[int], out: npt.NDArray[np.uint16], area: tuple[int, int, int, int]
    ) -> None:
        """Put the quarters on the display of the sprites at ``indices``, highest first."""
        top, bottom, left, right = area
        bottom, right = min(bottom, self.rows * 8), min(right, COLS * 8)
        lo_y, lo_x = max(top, 0), max(left, 0)
        flat = out.reshape(-1)
        sat = self._sat
        for i in indices:  # the lowest SAT index wins a cell: draw it last
            y, x, address, flags = sat[i].tolist()
            y, x = (y & 0x3FF) - 64 + top, (x & 0x3FF) - 32 + left
            shape = (flags >> 8) & 1 | (flags >> 11) & 6 | (flags >> 8) & 8 | (flags >> 11) & 16
            base = SPRITE_BASE + 4 * ((address >> 1) & 0x3FF & _PATTERN_MASK[shape])
            for dy, dx, offset in _QUARTERS[shape]:
                qy, qx = y + dy, x + dx
                if lo_y <= qy < bottom and lo_x <= qx < right:
                    flat[(qy >> 3) * COLS + (qx >> 3)] = base + offset


def _quarters(shape: int) -> tuple[tuple[int, int, int], ...]:
    """(dy, dx, id offset) of each 8x8 quarter of a sprite, from its shape bits.

    ``shape`` packs SAT attribute bits: 1 width 32, 2 and 4 the height code (bits 12-13), 8 x flip,
    16 y flip. The id offset is 4 * (pattern - base pattern) + quarter.
    """
    wide, tall, xflip, yflip = shape & 1, (shape >> 1) & 3, (shape >> 3) & 1, (shape >> 4) & 1
    units_x, units_y = 1 + wide, _UNITS_HIGH[tall]
    quarters = []
    for qy in range(2 * units_y):  # 8-line rows of the sprite, top to bottom
        unit_y = units_y - 1 - qy // 2 if yflip else qy // 2
        for qx in range(2 * units_x):  # the flips swap units and the quarters within them
            unit_x = units_x - 1 - qx // 2 if xflip else qx // 2
            quarter = 2 * ((qy & 1) ^ yflip) + ((qx & 1) ^ xflip)
            quarters.append((8 * qy, 8 * qx, 4 * (unit_x + 2 * unit_y) + quarter))
    return tuple(quarters)


_QUARTERS = tuple(_quarters(shape) for shape in range(32))
# pattern number bits a sprite ignores: bit 0 when 32 wide, bit 1 (and 2) when 32 (64) high
_PATTERN_MASK = tuple(~(shape & 1) & _HEIGHT_MASK[(shape >> 1) & 3] for shape in range(32))
_PIXELS_HIGH = np.array(_UNITS_HIGH) * 16
