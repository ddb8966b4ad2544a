"""NES tile grids, read from fceumm's nametables, OAM and scroll registers.

Sits between the host (an ``EmulatorLike`` running fceumm) and the tiles observation.
fceumm exposes no PPU memory through get_memory or its memory map, so every read takes it
from the core's serialized state: ``NTAR`` (the 2 KiB of nametable RAM), ``SPRA`` (OAM),
``PPUR`` (PPUCTRL, PPUMASK, ...), ``TADD`` (the PPU's temporary address "t": the scroll the
game set for this frame) and ``XOFF`` (fine X), plus ``CHRR`` and ``PRAM`` for drawing. The
fields are found here once; C (``native/tiles.c``) decodes the grid, and the numpy decoder
here (``reference_grid``) is the reference it is tested against.

Hardware facts (NESdev wiki): four logical nametables of 32x30 cells at $2000-$2FFF, folded
onto the 2 KiB by the cartridge's mirroring; each ends in a 64-byte attribute table (one
2-bit palette per 16x16 pixels); pattern tables at $0000 and $1000, 256 tiles each, 16 bytes
per tile (plane 0 rows, then plane 1 rows); OAM: 64 sprites of (Y - 1, tile, attributes, X).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pettingretro import errors
from pettingretro.host import EmulatorLike, TileLayout
from pettingretro.tiles.state import NativeTiles

__all__ = ["NesTiles", "NesVideo", "decode_tiles"]

# mappers whose mirroring is fixed by the header (the state does not record mirroring)
FIXED_MIRRORING_MAPPERS = {0: "NROM", 2: "UxROM", 3: "CNROM"}
_FIELDS = {"NTAR": 0x800, "SPRA": 0x100, "PPUR": 4, "TADD": 2, "XOFF": 1, "PRAM": 0x20}
_OPTIONAL = {"CHRR": 0x2000}
_HEADER = 16  # "FCS\xff", version, total size, reserved; then chunks


def _entries(state: bytes) -> dict[str, tuple[int, int]]:
    """Map each field name of an FCEU state to (data offset, size).

    The state is a 16-byte header, then chunks of (type byte, 4-byte little-endian size),
    each holding fields of (4-byte name, 4-byte little-endian size, data).
    """
    found: dict[str, tuple[int, int]] = {}
    pos = _HEADER
    while pos + 5 <= len(state):
        size = int.from_bytes(state[pos + 1 : pos + 5], "little")
        end = min(pos + 5 + size, len(state))
        at = pos + 5
        while at + 8 <= end:
            name = state[at : at + 4].rstrip(b"\x00").decode("latin-1")
            length = int.from_bytes(state[at + 4 : at + 8], "little")
            found.setdefault(name, (at + 8, length))
            at += 8 + length
        pos = end
    return found


@dataclass(frozen=True)
class NesVideo:
    """One frame's PPU memory and registers.

    Attributes:
        nametables: the 2 KiB of nametable RAM.
        oam: (64, 4) sprites: (Y - 1, tile, attributes, X).
        ctrl: PPUCTRL ($2000).
        mask: PPUMASK ($2001).
        t: the PPU's temporary VRAM address (coarse X, coarse Y, nametable, fine Y).
        fine_x: the fine X scroll, 0-7.
        palette: the 32 bytes of palette RAM.
        chr: the 8 KiB of CHR RAM, empty for a game with CHR ROM.

    """

    nametables: npt.NDArray[np.uint8]
    oam: npt.NDArray[np.uint8]
    ctrl: int
    mask: int
    t: int
    fine_x: int
    palette: npt.NDArray[np.uint8]
    chr: npt.NDArray[np.uint8]

    @property
    def scroll(self) -> tuple[int, int]:
        """(Y, X): the background's pixel offset in the 480x512 plane of four nametables."""
        t = self.t
        x = ((t >> 10) & 1) * 256 + (t & 31) * 8 + self.fine_x
        y = ((t >> 11) & 1) * 240 + ((t >> 5) & 31) * 8 + ((t >> 12) & 7)
        return y, x


def decode_tiles(chr_data: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """Return the pixels of both pattern tables: (512, 8, 8) colour indices 0-3.

    Example:
        >>> import numpy as np
        >>> chr_data = np.zeros(0x2000, np.uint8)
        >>> chr_data[0], chr_data[8] = 0b10000001, 0b10000000   # row 0 of tile 0
        >>> decode_tiles(chr_data)[0, 0].tolist()
        [3, 0, 0, 0, 0, 0, 0, 1]
    """
    planes = np.unpackbits(chr_data.reshape(512, 2, 8), axis=2).reshape(512, 2, 8, 8)
    return (planes[:, 0] | (planes[:, 1] << 1)).astype(np.uint8)


class NesTiles(NativeTiles):
    """The tile grid of an fceumm emulator: one cell per 8x8 tile of the visible screen.

    fceumm crops the overscan (stable-retro's build shows 240x224 of the 256x240 picture), so
    the grid is the cropped screen's cells: 28 rows by 30 columns there. A tile id is 0-255
    for the pattern table at $0000 and 256-511 for $1000. Each cell holds the background
    tile under its top-left pixel, unless a sprite's top-left corner lies in it (the lowest
    OAM index wins).

    Args:
        emu: an emulator running fceumm with a game loaded.

    Raises:
        TilesError: the game's mapper switches mirroring at run time (the state does not say
            how), or the state lacks the PPU fields.

    """

    _core = "fceumm"

    num_ids = 512

    def __init__(self, emu: EmulatorLike) -> None:
        self._emu = emu
        self._native = self._native_of(emu)
        self.mapper, self.vertical = _header(emu)
        height, width = emu.av_info.base_height, emu.av_info.base_width
        if not (0 < height <= 240 and 0 < width <= 256):
            raise errors.TilesError(
                f"core '{emu.system_info.library_name}' shows a {width}x{height} picture, not "
                "(a crop of) the NES's 256x240: NES tiles need fceumm"
            )
        self.crop = ((240 - height) // 2, (256 - width) // 2)
        self.rows, self.cols = height // 8, width // 8
        self._find(emu.save_state())
        self._r = np.arange(self.rows + 1)
        self._c = np.arange(self.cols + 1)
        # physical nametable page of each logical one: [top-left, top-right, bottom-left, ...]
        self._pages = np.array([0, 1, 0, 1] if self.vertical else [0, 0, 1, 1])
        # the hot path's offsets into the 2 KiB, by coarse scroll: a row part plus a column part
        cell_rows = (np.arange(60)[:, None] + self._r[None, : self.rows]) % 60
        cell_cols = (np.arange(64)[:, None] + self._c[None, : self.cols]) % 64
        self._row_part = (cell_rows % 30) * 32 + (0 if self.vertical else (cell_rows // 30) * 0x400)
        self._col_part = cell_cols % 32 + ((cell_cols // 32) * 0x400 if self.vertical else 0)

    def _find(self, state: bytes) -> None:
        entries = _entries(state)
        missing = [n for n, size in _FIELDS.items() if entries.get(n, (0, -1))[1] != size]
        if missing:
            raise errors.TilesError(
                f"core '{self._emu.system_info.library_name}' wrote a save state without the "
                f"PPU fields {', '.join(missing)}: NES tiles need fceumm's state layout"
            )
        self._at = {n: entries[n][0] for n in _FIELDS}
        chr_at = entries.get("CHRR")
        self._chr_at = chr_at[0] if chr_at and chr_at[1] == _OPTIONAL["CHRR"] else None
        self._state_size = len(state)
        self.layout = TileLayout(
            "nes",
            len(state),
            [self._at[n] for n in ("NTAR", "SPRA", "PPUR", "TADD", "XOFF")],
            rows=self.rows,
            cols=self.cols,
            vertical=self.vertical,
            crop=self.crop,
        )

    def video(self) -> NesVideo:
        """Read the current frame's PPU memory and registers (one save state)."""
        state = self._state()
        at = self._at

        def field(name: str, size: int) -> npt.NDArray[np.uint8]:
            return np.frombuffer(state, np.uint8, size, at[name])

        regs = field("PPUR", 4)
        chr_data = (
            np.frombuffer(state, np.uint8, 0x2000, self._chr_at)
            if self._chr_at is not None
            else np.zeros(0, np.uint8)
        )
        return NesVideo(
            nametables=field("NTAR", 0x800),
            oam=field("SPRA", 0x100).reshape(64, 4),
            ctrl=int(regs[0]),
            mask=int(regs[1]),
            t=int.from_bytes(state[at["TADD"] : at["TADD"] + 2], "little"),
            fine_x=int(state[at["XOFF"]]) & 7,
            palette=field("PRAM", 0x20),
            chr=chr_data,
        )

    def background(
        self, video: NesVideo
    ) -> tuple[npt.NDArray[np.uint16], npt.NDArray[np.uint8], tuple[int, int]]:
        """The background under the screen, one row and column more than the grid.

        Returns:
            (ids, palettes, (fine_y, fine_x)): ``ids`` and ``palettes`` (the attribute
            table's 2-bit palette of each cell) are (rows + 1, cols + 1); the screen shows
            this block's pixels from ``(fine_y, fine_x)`` on.

        """
        y, x = video.scroll
        top, left = y + self.crop[0], x + self.crop[1]
        rows = (top // 8 + self._r) % 60  # cell rows of the 480-line plane
        cols = (left // 8 + self._c) % 64
        page = self._pages[(rows // 30)[:, None] * 2 + (cols // 32)[None, :]]
        row, col = (rows % 30)[:, None], (cols % 32)[None, :]
        base = page * 0x400
        ids = video.nametables[base + row * 32 + col].astype(np.uint16)
        ids += np.uint16(256 if video.ctrl & 0x10 else 0)
        attr = video.nametables[base + 0x3C0 + (row // 4) * 8 + col // 4]
        shift = ((row % 4) // 2) * 4 + ((col % 4) // 2) * 2
        palettes = ((attr >> shift) & 3).astype(np.uint8)
        return ids, palettes, (top % 8, left % 8)

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
        at = self._at
        ctrl, mask = state[at["PPUR"]], state[at["PPUR"] + 1]
        t = state[at["TADD"]] | state[at["TADD"] + 1] << 8
        x = ((t >> 10) & 1) * 256 + (t & 31) * 8 + (state[at["XOFF"]] & 7) + self.crop[1]
        y = ((t >> 11) & 1) * 240 + ((t >> 5) & 31) * 8 + ((t >> 12) & 7) + self.crop[0]
        cells = self._row_part[(y >> 3) % 60][:, None] + self._col_part[(x >> 3) % 64]
        if out is None:
            out = np.empty((self.rows, self.cols), np.uint16)
        out[...] = np.frombuffer(state, np.uint8, 0x800, at["NTAR"]).take(cells)
        if ctrl & 0x10:
            out += np.uint16(256)
        if mask & 0x10:
            self._sprites(state[at["SPRA"] : at["SPRA"] + 256], ctrl, out)
        return out

    def _sprites(self, oam: bytes, ctrl: int, out: npt.NDArray[np.uint16]) -> None:
        top, left = self.crop
        tall = ctrl & 0x20
        table = 256 if ctrl & 0x08 else 0
        rows, cols = self.rows, self.cols
        for i in range(252, -4, -4):  # the lowest OAM index wins a cell: draw it last
            sy = oam[i]
            if sy >= 0xEF:  # Y >= $EF hides a sprite
                continue
            y, x = sy + 1 - top, oam[i + 3] - left
            if x < 0 or x >= cols * 8:
                continue
            tile, row, col = oam[i + 1], y >> 3, x >> 3
            if tall:  # 8x16: the tile's bit 0 picks the table; y flip swaps the halves
                first = (tile & 0xFE) + (tile & 1) * 256 + (oam[i + 2] >> 7)
                if 0 <= row + 1 < rows and y + 8 >= 0:
                    out[row + 1, col] = first ^ 1
                if 0 <= row < rows and y >= 0:
                    out[row, col] = first
            elif 0 <= row < rows and y >= 0:
                out[row, col] = tile + table


def _header(emu: EmulatorLike) -> tuple[int, bool]:
    """(mapper, vertical mirroring) from the ROM's iNES header."""
    try:
        header = emu.rom_path.read_bytes()[:16]
    except OSError as exc:
        raise errors.TilesError(f"cannot read the iNES header of {emu.rom_path}: {exc}") from exc
    if header[:4] != b"NES\x1a":
        raise errors.TilesError(
            f"{emu.rom_path} has no iNES header: NES tiles read the mirroring from it"
        )
    mapper = (header[6] >> 4) | (header[7] & 0xF0)
    if mapper not in FIXED_MIRRORING_MAPPERS or header[6] & 0x08:
        raise errors.TilesError(
            f"obs_type='tiles' on the NES needs a cartridge whose mirroring the header fixes "
            f"(mappers {', '.join(f'{n} {m}' for n, m in FIXED_MIRRORING_MAPPERS.items())}, not "
            f"four-screen); {emu.rom_path.name} is mapper {mapper}, whose mirroring fceumm's "
            "state does not record"
        )
    return mapper, bool(header[6] & 0x01)
