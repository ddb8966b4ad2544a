"""SNES tile grids, read from snes9x's VRAM, OAM and PPU registers in its save state.

Sits between the host (an ``EmulatorLike`` running snes9x, the stable-retro wheel's core) and
the tiles observation. snes9x exposes VRAM through get_memory but not the PPU registers, so
every read takes one save state and decodes its blocks (docs/notes/snes-ppu-state.md):
``VRA:`` (the 64 KiB of VRAM), ``FIL:`` (snes9x's FillRAM: the last byte written to each
register at its own address, so BGMODE is at $2105, BG1SC at $2107, BG12NBA at $210B, OBSEL
at $2101, TM at $212C) and ``PPU:`` (snes9x's PPU struct: the two-write scroll registers as
10-bit values, CGRAM, and the 544 bytes of OAM).

Hardware facts (public SNES documentation): a BG map entry is 16 bits, tile number in bits
0-9, palette 10-12, priority 13, h flip 14, v flip 15; a map is one to four 32x32 screens
(BGnSC bits 0-1: 32x32, 64x32, 32x64, 64x64, screens in reading order); a 4bpp tile is 32
bytes (bit planes 0/1 interleaved by row, then 2/3), a 2bpp one 16; OAM is 128 sprites of
(X low, Y, name low, attributes: bit 0 name bit 8, 1-3 palette, 4-5 priority, 6 h flip, 7 v
flip) and a 32-byte high table of 2 bits per sprite (X bit 8, large size).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pettingretro import errors
from pettingretro.host import EmulatorLike
from pettingretro.tiles.state import KeptState

__all__ = [
    "BG_IDS",
    "SPRITE_IDS",
    "SPRITE_SIZES",
    "SUPPORTED_MODES",
    "SnesTiles",
    "SnesVideo",
    "decode_tiles",
]

BG_IDS = 1024  # BG1 tile numbers, 10 bits of a map entry
SPRITE_IDS = 512  # sprite names, 9 bits: ids BG_IDS + name
SUPPORTED_MODES = (0, 1)  # BG modes whose BG1 is a plain 8x8-tile map
# OBSEL bits 5-7 -> ((small width, height), (large width, height)) in pixels
SPRITE_SIZES = (
    ((8, 8), (16, 16)),
    ((8, 8), (32, 32)),
    ((8, 8), (64, 64)),
    ((16, 16), (32, 32)),
    ((16, 16), (64, 64)),
    ((32, 32), (64, 64)),
    ((16, 32), (32, 64)),
    ((16, 32), (32, 32)),
)

_MAGIC = b"#!s9xsnp:"
# block -> size in the state snes9x 1.54 writes (the PPU struct's fields, big endian)
_BLOCKS = {"PPU": 2649, "VRA": 0x10000, "FIL": 0x8000}
# offsets into the PPU block: BG[0].HOffset, BG[0].VOffset, CGDATA[256], OAMData[544]
_HOFS, _VOFS, _CGRAM, _OAM = 16, 18, 63, 2002
# FillRAM addresses of the 8-bit registers read
_INIDISP, _OBSEL, _BGMODE, _BG1SC, _BG12NBA, _TM = 0x2100, 0x2101, 0x2105, 0x2107, 0x210B, 0x212C


def _blocks(state: bytes) -> dict[str, tuple[int, int]]:
    """Map each block name of a snes9x state to (data offset, size).

    The state is a "#!s9xsnp:NNNN" line, then blocks of ("ABC:", six decimal digits of
    size, ":", data). A size too big for six digits is "------" with the size in 4 bytes.
    """
    found: dict[str, tuple[int, int]] = {}
    if not state.startswith(_MAGIC):
        return found
    pos = state.find(b"\n", 0, 32) + 1
    while pos > 0 and pos + 11 <= len(state):
        head = state[pos : pos + 11]
        if head[3:4] != b":" or head[10:11] != b":":
            break
        digits = head[4:10]
        if digits.isdigit():
            size = int(digits)
        elif digits.startswith(b"--"):
            size = int.from_bytes(head[6:10], "big")
        else:
            break
        name = head[:3].decode("latin-1")
        found.setdefault(name, (pos + 11, size))
        pos += 11 + size
    return found


@dataclass(frozen=True)
class SnesVideo:
    """One frame's video memory and the PPU registers a grid needs.

    Attributes:
        vram: the 64 KiB of VRAM (byte addresses; a word address is half of one).
        cgram: the 256 15-bit colours (bits 0-4 red, 5-9 green, 10-14 blue).
        oam: the 544 bytes of OAM: 128 sprites of 4 bytes, then the 32-byte high table.
        inidisp: INIDISP ($2100): bit 7 forced blank, bits 0-3 brightness.
        obsel: OBSEL ($2101): sprite sizes and name bases.
        bgmode: BGMODE ($2105): bits 0-2 mode, 4-7 16x16 tiles for BG1-BG4.
        bg1sc: BG1SC ($2107): map base (bits 2-7, 1 KiB-word steps) and size (bits 0-1).
        bg12nba: BG12NBA ($210B): BG1's tile data base in bits 0-3 (4 KiB-word steps).
        tm: TM ($212C): the layers on the main screen (bit 0 BG1, bit 4 sprites).
        hofs: BG1HOFS, 0-1023.
        vofs: BG1VOFS, 0-1023.

    """

    vram: npt.NDArray[np.uint8]
    cgram: npt.NDArray[np.uint16]
    oam: npt.NDArray[np.uint8]
    inidisp: int
    obsel: int
    bgmode: int
    bg1sc: int
    bg12nba: int
    tm: int
    hofs: int
    vofs: int

    @property
    def mode(self) -> int:
        """The BG mode, 0-7."""
        return self.bgmode & 7

    @property
    def map_cells(self) -> tuple[int, int]:
        """(rows, columns) of BG1's map: 32 or 64 each."""
        return 64 if self.bg1sc & 2 else 32, 64 if self.bg1sc & 1 else 32

    @property
    def map_base(self) -> int:
        """BG1's map's VRAM word address."""
        return (self.bg1sc & 0xFC) << 8

    @property
    def tile_base(self) -> int:
        """BG1's tile data's VRAM byte address."""
        return (self.bg12nba & 0x07) << 13

    @property
    def bpp(self) -> int:
        """Bits per pixel of BG1's tiles: 2 in mode 0, 4 in modes 1 and 2, 8 in 3 and 4."""
        return (2, 4, 4, 8, 8, 4, 4, 8)[self.mode]

    def sprite_table(self, name: int) -> int:
        """The VRAM byte address of sprite tile ``name`` (0-511)."""
        base = (self.obsel & 0x03) << 14  # 8 KiB-word steps (bit 2 is past 64 KiB)
        if name & 0x100:
            base += (((self.obsel >> 3) & 3) + 1) << 13
        return (base + (name & 0xFF) * 32) & 0xFFFF


def decode_tiles(data: npt.NDArray[np.uint8], bpp: int = 4) -> npt.NDArray[np.uint8]:
    """Return the pixels of consecutive SNES tiles: (n, 8, 8) colour indices.

    Args:
        data: tile data, ``8 * bpp`` bytes per tile (planes in pairs, interleaved by row).
        bpp: 2, 4 or 8 bits per pixel.

    Example:
        >>> import numpy as np
        >>> tile = np.zeros(32, np.uint8)
        >>> tile[0], tile[1], tile[16] = 0b10000001, 0b10000000, 0b00000001  # row 0
        >>> decode_tiles(tile)[0, 0].tolist()
        [3, 0, 0, 0, 0, 0, 0, 5]
    """
    n = len(data) // (8 * bpp)
    pairs = data[: n * 8 * bpp].reshape(n, bpp // 2, 8, 2)
    bits = np.unpackbits(pairs, axis=3).reshape(n, bpp // 2, 8, 2, 8)
    out = np.zeros((n, 8, 8), np.uint8)
    for pair in range(bpp // 2):
        out |= bits[:, pair, :, 0] << (2 * pair)
        out |= bits[:, pair, :, 1] << (2 * pair + 1)
    return out


class SnesTiles(KeptState):
    """The tile grid of a snes9x emulator: one cell per 8x8 tile of the 256x224 screen.

    A cell holds the BG1 tile under its top-left pixel (BG1 is the playfield of most games
    in modes 0 and 1, the modes nearly every tile-based game runs in), with BG1's scroll and
    map size honoured: ids 0-1023 are the map entry's tile number. A sprite's 8x8 piece whose
    top-left pixel lies in a cell replaces it with ``1024 + name`` (names 0-511, the second
    name table from 256); a large sprite covers a cell per piece, flips honoured, and the
    lowest OAM index wins a cell. The registers are those at the end of the frame: raster
    effects (HDMA, mid-frame writes) are not seen.

    Args:
        emu: an emulator running snes9x with a game loaded.

    Raises:
        TilesError: the core's state is not snes9x's layout; from ``grid()``: the game is in
            a BG mode other than 0 or 1, or uses 16x16 BG1 tiles.

    """

    num_ids = BG_IDS + SPRITE_IDS

    def __init__(self, emu: EmulatorLike) -> None:
        self._emu = emu
        self._parts: dict[int, tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]] = {}
        self._find(emu.save_state())
        self.rows = emu.av_info.base_height // 8
        self.cols = emu.av_info.base_width // 8
        self._r = np.arange(self.rows + 1)
        self._c = np.arange(self.cols + 1)
        self._words = np.empty((self.rows, self.cols), np.intp)
        # bytes.translate tables by OBSEL size: 1 for an OAM Y at which a sprite of either
        # size can show a line (on the screen, or hanging from the top after Y wraps)
        height = self.rows * 8
        self._y_shown = [
            bytes(1 if v < height or v + max(sh, lh) > 256 else 0 for v in range(256))
            for (_, sh), (_, lh) in SPRITE_SIZES
        ]

    def _find(self, state: bytes) -> None:
        blocks = _blocks(state)
        wrong = [n for n, size in _BLOCKS.items() if blocks.get(n, (0, -1))[1] != size]
        if wrong:
            raise errors.TilesError(
                f"core '{self._emu.system_info.library_name}' wrote a save state without "
                f"the blocks {', '.join(f'{n} ({_BLOCKS[n]} bytes)' for n in wrong)}: SNES "
                "tiles need snes9x 1.54's state layout (the stable-retro wheel's core)"
            )
        self._at = {n: blocks[n][0] for n in _BLOCKS}
        # one buffer for every step's state (sized once, remade if the size changes), and
        # views of its VRAM and OAM
        self._keep(state)
        self._vram = np.frombuffer(self._buf, "<u2", 0x8000, self._at["VRA"])
        self._oam = self._mem[self._at["PPU"] + _OAM : self._at["PPU"] + _OAM + 544]

    def video(self) -> SnesVideo:
        """Read the current frame's VRAM, CGRAM, OAM and registers (one save state, copied)."""
        return self._video_of(bytes(self._state()))

    def _video_of(self, state: bytes) -> SnesVideo:
        ppu, fil = self._at["PPU"], self._at["FIL"]

        def reg(address: int) -> int:
            return state[fil + address]

        return SnesVideo(
            vram=np.frombuffer(state, np.uint8, 0x10000, self._at["VRA"]),
            cgram=np.frombuffer(state, ">u2", 256, ppu + _CGRAM).astype(np.uint16),
            oam=np.frombuffer(state, np.uint8, 544, ppu + _OAM),
            inidisp=reg(_INIDISP),
            obsel=reg(_OBSEL),
            bgmode=reg(_BGMODE),
            bg1sc=reg(_BG1SC),
            bg12nba=reg(_BG12NBA),
            tm=reg(_TM),
            hofs=int.from_bytes(state[ppu + _HOFS : ppu + _HOFS + 2], "big") & 0x3FF,
            vofs=int.from_bytes(state[ppu + _VOFS : ppu + _VOFS + 2], "big") & 0x3FF,
        )

    def _check(self, bgmode: int) -> None:
        if bgmode & 7 not in SUPPORTED_MODES:
            raise errors.TilesError(
                f"the game is in SNES BG mode {bgmode & 7}; obs_type='tiles' decodes modes "
                f"{' and '.join(map(str, SUPPORTED_MODES))} (BG1 a plain map of 8x8 tiles), "
                "not offset-per-tile, 8bpp, hi-res or mode 7 screens"
            )
        if bgmode & 0x10:
            raise errors.TilesError(
                "the game uses 16x16 tiles on BG1 (BGMODE bit 4); obs_type='tiles' on the SNES "
                "decodes 8x8 BG tiles only"
            )

    def _map_parts(self, bg1sc: int) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
        """Word offsets into BG1's map by coarse scroll: a row part and a column part."""
        parts = self._parts.get(bg1sc)
        if parts is None:
            high = 64 if bg1sc & 2 else 32
            wide = 64 if bg1sc & 1 else 32
            rows = (np.arange(high)[:, None] + self._r[None, :]) % high
            cols = (np.arange(wide)[:, None] + self._c[None, :]) % wide
            # screens in reading order: the second row of screens is one or two screens on
            row_part = (rows % 32) * 32 + (rows // 32) * (0x800 if wide == 64 else 0x400)
            col_part = cols % 32 + (cols // 32) * 0x400
            parts = (row_part.astype(np.intp), col_part.astype(np.intp))
            self._parts[bg1sc] = parts
        return parts

    def background(self, video: SnesVideo) -> tuple[npt.NDArray[np.uint16], tuple[int, int]]:
        """BG1's map entries under the screen, one row and column more than the grid.

        Returns:
            (entries, (fine_y, fine_x)): ``entries`` is (rows + 1, cols + 1) 16-bit map
            entries (tile, palette, priority, flips); the screen shows this block's pixels
            from ``(fine_y, fine_x)`` on.

        Raises:
            TilesError: the BG mode or tile size is not one the grid decodes.

        """
        self._check(video.bgmode)
        row_part, col_part = self._map_parts(video.bg1sc)
        y, x = video.vofs + _LINE, video.hofs
        words = (video.map_base + row_part[(y >> 3) % len(row_part)][:, None]) + col_part[
            (x >> 3) % len(col_part)
        ][None, :]
        vram16 = video.vram.view("<u2")
        return vram16[words & 0x7FFF].astype(np.uint16), (y & 7, x & 7)

    def grid(self, out: npt.NDArray[np.uint16] | None = None) -> npt.NDArray[np.uint16]:
        """Return the current screen's (rows, cols) tile ids, written into ``out`` if given."""
        # the hot path: one state into the kept buffer, a few integer reads, one add and one
        # take through cached tables into preallocated arrays, a loop over shown sprites
        state = self._state()
        fil, ppu = self._at["FIL"], self._at["PPU"]
        bgmode = state[fil + _BGMODE]
        if bgmode & 7 not in SUPPORTED_MODES or bgmode & 0x10:
            self._check(bgmode)
        row_part, col_part = self._screen_parts(state[fil + _BG1SC])
        y = ((state[ppu + _VOFS] << 8 | state[ppu + _VOFS + 1]) & 0x3FF) + _LINE
        x = (state[ppu + _HOFS] << 8 | state[ppu + _HOFS + 1]) & 0x3FF
        words = self._words
        np.add(
            row_part[(y >> 3) % len(row_part)][:, None],
            col_part[(x >> 3) % len(col_part)][None, :],
            out=words,
        )
        if out is None:
            out = np.empty((self.rows, self.cols), np.uint16)
        self._vram.take(words, out=out, mode="wrap")  # wrap: VRAM's 32 Ki words
        out &= 0x3FF
        if state[fil + _TM] & 0x10:
            self._sprites(bytes(self._oam), state[fil + _OBSEL], out)
        return out

    def _screen_parts(self, bg1sc: int) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
        """``_map_parts`` cut to the grid's size, the map base added to the row part."""
        key = 0x100 | bg1sc
        parts = self._parts.get(key)
        if parts is None:
            row_part, col_part = self._map_parts(bg1sc)
            parts = (
                np.ascontiguousarray(row_part[:, : self.rows] + ((bg1sc & 0xFC) << 8)),
                np.ascontiguousarray(col_part[:, : self.cols]),
            )
            self._parts[key] = parts
        return parts

    def _sprites(self, oam: bytes, obsel: int, out: npt.NDArray[np.uint16]) -> None:
        # Sprites whose Y keeps them off the screen whatever their size are skipped by a
        # C-speed bytes.translate and rfind; the few left are checked one by one.
        small, large = SPRITE_SIZES[obsel >> 5]
        flags = oam[1:512:4].translate(self._y_shown[obsel >> 5])
        height, width = self.rows * 8, self.cols * 8
        n = flags.rfind(1)
        while n >= 0:  # from the highest index down: the lowest OAM index wins a cell
            i = 4 * n
            bits = oam[512 + (n >> 2)] >> ((n & 3) * 2)
            w, h = large if bits & 2 else small
            x = oam[i] - (256 if bits & 1 else 0)
            y = oam[i + 1]
            attr = oam[i + 3]
            n = flags.rfind(1, 0, n)
            if x >= width or x + w <= 0 or (y >= height and y + h <= 256):
                continue  # no piece of it on screen
            name = oam[i + 2] | (attr & 1) << 8
            pieces_x, pieces_y = w >> 3, h >> 3
            for pr in range(pieces_y):
                top = (y + 8 * pr) & 0xFF  # Y wraps at 256: a sprite can hang from the top
                if top >= height:
                    continue
                tr = pieces_y - 1 - pr if attr & 0x80 else pr
                for pc in range(pieces_x):
                    left = x + 8 * pc
                    if left < 0 or left >= width:
                        continue
                    tc = pieces_x - 1 - pc if attr & 0x40 else pc
                    piece = (name & 0x100) | (((name >> 4) + tr) & 15) << 4 | ((name + tc) & 15)
                    out[top >> 3, left >> 3] = BG_IDS + piece


# the screen's first line is the PPU's line 1: it shows BG row VOFS + 1 (measured on snes9x)
_LINE = 1
