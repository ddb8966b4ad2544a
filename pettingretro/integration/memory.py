"""Typed reads of emulator memory as stable-retro's data.json describes it: types, masks, address space.

A variable is ``{"address": A, "type": T, "mask": M}``. ``T`` is ``<endian><repr><width>``:

- endianness: ``|`` (single byte; decoded as little), ``<`` little, ``>`` big, ``=`` the host's
  order, ``<>`` two little-endian-ordered halves each stored big-endian, ``><`` two
  big-endian-ordered halves each stored little-endian, ``>=`` big-ordered halves in host order,
  ``<=`` little-ordered halves in host order. On a little-endian host ``=`` is ``<``, ``>=`` is
  ``><`` and ``<=`` is ``<`` (stable-retro's ``reduce()``; it also decodes ``<=`` as ``<`` on
  big-endian hosts, and so does this module).
- representation: ``u`` unsigned, ``i`` signed (two's complement of ``8 * width`` bits), ``d``
  BCD (two decimal digits a byte, each nibble taken modulo 10), ``n`` low-nibble BCD (one digit a
  byte, the low nibble modulo 10).
- width: 1 to 8 bytes, odd widths included; a middle-endian odd width splits at ``width // 2``.

Values are what stable-retro's ``DataType::decode`` gives, in its 64-bit integer arithmetic
(an 8-byte unsigned value above 2**63 - 1 reads as negative). The mask is ANDed with the
decoded value (after BCD and sign extension), as a 64-bit pattern: ``|i1`` -1 masked with 15 is 15.

Addresses are those the game's CPU sees. The emulator's RAM starts at the system's ``rambase``
(core json), and some systems store RAM as native-endian words: the core json's
``"overlay": ["=", ">", 2]`` (Genesis) says RAM holds host-order 16-bit words while addresses
count bytes big-endian. :class:`AddressSpace` reads through both; :meth:`AddressSpace.view`
gives the byte view the addresses refer to.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from pettingretro.host import VariableProgram

MASK64 = (1 << 64) - 1
_LITTLE_HOST = sys.byteorder == "little"

#: What each written endianness decodes as on this host (stable-retro's ``reduce()`` on its
#: ``REAL_*`` constants). ``<=`` is little on either host: stable-retro maps it to itself on a
#: big-endian host, which its decoder then treats as little.
_REDUCED = {
    "|": "<",
    "<": "<",
    ">": ">",
    "<>": "<>",
    "><": "><",
    "=": "<" if _LITTLE_HOST else ">",
    ">=": "><" if _LITTLE_HOST else ">",
    "<=": "<",
}
ENDIANS = tuple(_REDUCED)
REPRS = ("u", "i", "d", "n")
#: Per representation: how much one byte position is worth relative to the next.
_STEP = {"u": 256, "i": 256, "d": 100, "n": 10}
_KIND = {"u": 0, "i": 0, "d": 1, "n": 2}  # row of _DIGITS


def _int64(value: int) -> int:
    """``value`` wrapped to a signed 64-bit integer (C's int64_t arithmetic)."""
    value &= MASK64
    return value - (1 << 64) if value >> 63 else value


def _digits_table() -> npt.NDArray[np.int64]:
    b = np.arange(256, dtype=np.int64)
    bcd = (b & 0xF) % 10 + ((b >> 4) % 10) * 10
    nibble = (b & 0xF) % 10
    return np.stack([b, bcd, nibble])


#: The value of one byte in each representation kind (0 raw, 1 BCD, 2 low-nibble BCD).
_DIGITS = _digits_table()
#: The value of a single-byte variable: rows u, i, d, n.
_BYTE_VALUES = np.stack(
    [_DIGITS[0], np.where(_DIGITS[0] >= 128, _DIGITS[0] - 256, _DIGITS[0]), _DIGITS[1], _DIGITS[2]]
)
_BYTE_ROW = {"u": 0, "i": 1, "d": 2, "n": 3}
# flat copies: one 1-D take with precomputed row offsets is cheaper than 2-D fancy indexing
_DIGITS_FLAT = _DIGITS.reshape(-1)
_BYTE_VALUES_FLAT = _BYTE_VALUES.reshape(-1)


def _byte_order(endian: str, width: int) -> list[int]:
    """Byte positions from least to most significant (stable-retro's shift[] construction)."""
    half = width // 2
    if endian == "<":
        return list(range(width))
    if endian == ">":
        return list(range(width - 1, -1, -1))
    if endian == "<>":  # low half first; each half stored most significant byte first
        return list(range(half - 1, -1, -1)) + list(range(width - 1, half - 1, -1))
    # "><": the bytes from width // 2 on are the low half; each half least significant byte first
    return list(range(half, width)) + list(range(half))


@dataclass(frozen=True)
class VarType:
    """A memory value's layout: endianness, representation and width in bytes.

    Attributes:
        text: the type string as written (``">d3"``).
        endian: the endianness as written (``"|"``, ``"<"``, ``">"``, ``"="``, ``"<>"``, ...).
        repr: ``u``, ``i``, ``d`` or ``n``.
        width: bytes, 1 to 8.
        shifts: per byte position, what one unit of that byte's digit value is worth.
    """

    text: str
    endian: str
    repr: str
    width: int
    shifts: tuple[int, ...]

    @property
    def signed(self) -> bool:
        """True for two's complement (``i``) types."""
        return self.repr == "i"

    def decode(self, raw: bytes | bytearray | Sequence[int] | npt.NDArray[np.uint8]) -> int:
        """The value of ``width`` bytes of memory, as stable-retro's ``DataType::decode``."""
        row = _DIGITS[_KIND[self.repr]]
        value = 0
        for i in range(self.width):
            value += int(row[int(raw[i])]) * self.shifts[i]
        value = _int64(value)
        if self.repr == "i" and self.width < 8:
            bits = 8 * self.width
            value &= (1 << bits) - 1
            if value >> (bits - 1):
                value -= 1 << bits
        return value


def parse_type(text: str) -> VarType:
    """Parse a stable-retro type string such as ``"|u1"``, ``">d3"`` or ``"><u4"``.

    Raises:
        ValueError: the string is not ``<endian><repr><width>``; the message lists what is valid.
    """
    if not isinstance(text, str):  # checked before the cache, which needs a hashable key
        raise ValueError(f"bad type {text!r}: expected a string like '|u1', '>d2', '<i4'")
    return _parse_type(text)


@functools.lru_cache(maxsize=256)
def _parse_type(text: str) -> VarType:
    if len(text) < 3:
        raise ValueError(
            f"bad type {text!r}: expected <endian><repr><width>, e.g. '|u1', '>d2', '<i4'"
        )
    endian, rep, width_s = text[:-2], text[-2], text[-1]
    if endian not in _REDUCED or rep not in REPRS or width_s not in "12345678":
        raise ValueError(
            f"bad type {text!r}: endianness one of {' '.join(ENDIANS)}; representation one of "
            f"u (unsigned) i (signed) d (BCD) n (low-nibble BCD); width 1 to 8"
        )
    width = int(width_s)
    shifts = [0] * width
    unit = 1
    for pos in _byte_order(_REDUCED[endian], width):
        shifts[pos] = unit
        unit *= _STEP[rep]
    return VarType(text=text, endian=endian, repr=rep, width=width, shifts=tuple(shifts))


def apply_mask(value: int, mask: int | None) -> int:
    """``value & mask`` on 64-bit patterns, as stable-retro applies a variable's mask."""
    if mask is None:
        return value
    return _int64(value & mask & MASK64)


# --------------------------------------------------------------------------- the address space


@dataclass(frozen=True)
class Overlay:
    """How RAM words are stored versus how addresses count their bytes (core json ``overlay``).

    ``Overlay("=", ">", 2)``: RAM holds 16-bit words in the host's order, and the byte at
    address ``a`` is byte ``a % 2`` of word ``a // 2`` written big-endian.

    Attributes:
        backing: the order RAM stores words in (``=``, ``<``, ``>`` or ``|``).
        real: the order addresses count a word's bytes in.
        width: the word size in bytes (1, 2, 4 or 8).
    """

    backing: str
    real: str
    width: int
    perm: tuple[int, ...] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        if (
            self.backing not in "=<>|"
            or self.real not in "=<>|"
            or len(self.backing) != 1
            or len(self.real) != 1
        ):
            raise ValueError(
                f"bad overlay [{self.backing!r}, {self.real!r}, {self.width}]: byte orders are one of = < > |"
            )
        if self.width not in (1, 2, 4, 8):
            raise ValueError(f"bad overlay width {self.width!r}: one of 1, 2, 4, 8")
        backing = parse_type(f"{self.backing}u{self.width}").shifts
        real = parse_type(f"{self.real}u{self.width}").shifts
        # the address-order byte p of a word is the stored byte of the same significance
        object.__setattr__(self, "perm", tuple(backing.index(s) for s in real))

    @classmethod
    def parse(cls, spec: Any) -> Overlay | None:
        """The overlay of a core json ``"overlay"`` entry (``None`` stays ``None``).

        Raises:
            ValueError: not ``[backing, real, width]``.
        """
        if spec is None:
            return None
        if isinstance(spec, Overlay):
            return spec
        if not isinstance(spec, Sequence) or isinstance(spec, str) or len(spec) != 3:
            raise ValueError(
                f"bad overlay {spec!r}: expected [backing, real, width], e.g. ['=', '>', 2]"
            )
        return cls(str(spec[0])[:1], str(spec[1])[:1], int(spec[2]))

    @property
    def identity(self) -> bool:
        """True when addresses see RAM's bytes unchanged (e.g. Genesis RAM on a big-endian host)."""
        return self.perm == tuple(range(self.width))

    def index(self, offset: int) -> int:
        """Where in RAM the byte at ``offset`` (relative to the block's start) is stored."""
        w = self.width
        return offset - offset % w + self.perm[offset % w]

    def indices(self, offsets: npt.NDArray[np.intp]) -> npt.NDArray[np.intp]:
        """:meth:`index` of many offsets."""
        w = self.width
        perm = np.asarray(self.perm, np.intp)
        return np.asarray(offsets - offsets % w + perm[offsets % w], np.intp)

    def apply(
        self, raw: npt.NDArray[np.uint8], out: npt.NDArray[np.uint8] | None = None
    ) -> npt.NDArray[np.uint8]:
        """The bytes as addresses see them (a copy; ``out`` may be given to reuse a buffer).

        A trailing partial word, which no core has, is copied unchanged.
        """
        raw = np.asarray(raw, np.uint8)
        if out is None:
            out = np.empty_like(raw)
        whole = len(raw) - len(raw) % self.width
        out[:whole].reshape(-1, self.width)[:] = raw[:whole].reshape(-1, self.width)[:, self.perm]
        out[whole:] = raw[whole:]
        return out


def _fact(facts: Any, key: str, default: Any) -> Any:
    if isinstance(facts, Mapping):
        return facts.get(key, default)
    return getattr(facts, key, default)


#: RETRO_MEMDESC_CONST: read-only memory (ROM), which stable-retro leaves out of the address space.
MEMDESC_CONST = 1


@dataclass(frozen=True)
class Block:
    """One stretch of memory: ``data[i]`` (through the overlay) is the byte at ``start + i``."""

    start: int
    data: npt.NDArray[np.uint8]

    @property
    def end(self) -> int:
        """One past the last address."""
        return self.start + len(self.data)


class AddressSpace:
    """The memory that integration addresses refer to: blocks by start address, and an overlay.

    Blocks are live arrays (an emulator's RAM view): reads see the current contents.
    An address belongs to the lowest-starting block that holds it, as in stable-retro.

    Args:
        blocks: ``(start address, bytes)`` pairs, or a mapping from start to bytes.
        overlay: how words are stored (None: bytes as they are).

    Example:
        >>> import numpy as np
        >>> ram = np.array([0x12, 0x34, 0x56, 0x78], np.uint8)   # two host-order (little) words
        >>> space = AddressSpace([(0xFF0000, ram)], Overlay("<", ">", 2))
        >>> space.view().tolist()                                   # as the 68000 sees them
        [52, 18, 120, 86]
        >>> space.read(Variable("x", 0xFF0000, parse_type(">u2")))
        13330
    """

    def __init__(
        self,
        blocks: Mapping[int, npt.NDArray[np.uint8]] | Sequence[tuple[int, npt.NDArray[np.uint8]]],
        overlay: Overlay | None = None,
    ) -> None:
        pairs = list(blocks.items()) if isinstance(blocks, Mapping) else list(blocks)
        self.blocks: tuple[Block, ...] = tuple(
            sorted(
                (Block(int(s), np.asarray(d).reshape(-1).view(np.uint8)) for s, d in pairs),
                key=lambda b: b.start,
            )
        )
        self.overlay = None if overlay is None or overlay.identity else overlay

    @classmethod
    def for_system(
        cls,
        facts: Any,
        ram: npt.NDArray[np.uint8],
        memory_maps: Sequence[Any] = (),
    ) -> AddressSpace:
        """The address space stable-retro builds for a system (``Emulator::configureData``).

        Args:
            facts: the system's core json entry (a mapping with ``rambase`` and ``overlay``),
                or an object with those attributes (``pettingretro.integration.systems.System``).
            ram: the core's system RAM (``Emulator.ram``).
            memory_maps: the core's memory map (``Emulator.memory_maps``: objects with
                ``flags``, ``start``, ``select``, ``length`` and ``data``). When the core declared
                one, its writable regions are the blocks and ``rambase`` is not used.

        Note:
            stable-retro places each region's memory from the descriptor's ``ptr`` and ignores
            its ``offset``; ``data`` here starts at ``ptr + offset``, which differs only for
            cores that declare a nonzero offset.
        """
        overlay = Overlay.parse(_fact(facts, "overlay", None))
        blocks: dict[int, npt.NDArray[np.uint8]] = {}
        for desc in memory_maps:
            flags, start = int(_fact(desc, "flags", 0)), int(_fact(desc, "start", 0))
            data = _fact(desc, "data", None)
            if flags & MEMDESC_CONST or data is None:
                continue
            select, length = int(_fact(desc, "select", 0)), int(_fact(desc, "length", len(data)))
            size = length
            if select:
                size = ((~select & ~start) + 1) & select
                if length and length < size:
                    size = length
            blocks[start] = np.asarray(data)[:size]
        if not blocks and len(ram):
            blocks[int(_fact(facts, "rambase", 0) or 0)] = ram
        return cls(blocks, overlay)

    def _block(self, address: int) -> Block | None:
        for b in self.blocks:
            if address < b.start:
                return None
            if address < b.end:
                return b
        return None

    def has(self, address: int) -> bool:
        """True when some block holds ``address``."""
        return self._block(address) is not None

    def locate(self, address: int, width: int = 1) -> tuple[int, list[int]]:
        """The block number and the RAM indices holding ``width`` bytes from ``address``.

        Raises:
            IndexError: no block holds all of them; the message names the blocks there are.
        """
        for n, b in enumerate(self.blocks):
            if b.start <= address and address + width <= b.end:
                offsets = range(address - b.start, address - b.start + width)
                if self.overlay is None:
                    return n, list(offsets)
                return n, [self.overlay.index(o) for o in offsets]
        have = ", ".join(f"{b.start:#x}..{b.end - 1:#x}" for b in self.blocks) or "none"
        raise IndexError(
            f"address {address:#x} (+{width} bytes) is outside memory (blocks: {have})"
        )

    def byte(self, address: int) -> int:
        """The byte at ``address``.

        Raises:
            IndexError: no block holds it.
        """
        n, idx = self.locate(address)
        return int(self.blocks[n].data[idx[0]])

    def read(self, var: Variable) -> int:
        """One variable's value (its mask applied).

        Raises:
            IndexError: it lies outside memory.
        """
        n, idx = self.locate(var.address, var.type.width)
        data = self.blocks[n].data
        return apply_mask(var.type.decode([data[i] for i in idx]), var.mask)

    def view(
        self, start: int | None = None, out: npt.NDArray[np.uint8] | None = None
    ) -> npt.NDArray[np.uint8]:
        """One block's bytes as addresses see them: ``view()[a - start]`` is the byte at ``a``.

        Without an overlay this is the live block itself; with one it is a copy (pass ``out``
        to reuse a buffer).

        Args:
            start: the block's start address (default: the first block).
            out: a buffer for the copy an overlay needs (allocated when None).

        Raises:
            KeyError: no block starts at ``start``.
        """
        if not self.blocks:
            return np.zeros(0, np.uint8)
        blocks = {b.start: b for b in self.blocks}
        if start is not None and start not in blocks:
            raise KeyError(
                f"no memory block starts at {start:#x} (blocks start at {', '.join(hex(s) for s in blocks)})"
            )
        block = blocks[start] if start is not None else self.blocks[0]
        if self.overlay is None:
            return block.data
        return self.overlay.apply(block.data, out)


# --------------------------------------------------------------------------- variables


@dataclass(frozen=True)
class Variable:
    """A named value in memory: ``address`` (as the integration writes it), type and mask.

    ``mask`` is kept as written (data.json may hold a negative mask; it means its 64-bit pattern).
    """

    name: str
    address: int
    type: VarType
    mask: int | None = None

    def read(self, memory: npt.NDArray[np.uint8] | AddressSpace, base: int = 0) -> int:
        """Decode this variable from an address space, or from ``memory`` whose first byte is at ``base``.

        Raises:
            IndexError: the variable lies outside memory.
        """
        if isinstance(memory, AddressSpace):
            return memory.read(self)
        start = self.address - base
        if start < 0 or start + self.type.width > len(memory):
            raise IndexError(
                f"variable {self.name!r} at address {self.address:#x} ({self.type.text}) lies outside "
                f"memory {base:#x}..{base + len(memory):#x}"
            )
        return apply_mask(self.type.decode(memory[start : start + self.type.width]), self.mask)


class Reader:
    """Reads many variables at once: in C over an address space, else with a few numpy operations.

    Args:
        variables: the variables to read, by name.
        base: an :class:`AddressSpace` (then :meth:`read` takes no argument and reads its live
            blocks), or the address of the first byte of the array passed to :meth:`read`.
        required: names that must be readable; others lying outside the address space are left
            out of :meth:`read`'s result, as stable-retro's ``lookup_all`` leaves them out.

    Raises:
        IndexError: a required variable lies outside the address space.
    """

    def __init__(
        self,
        variables: Mapping[str, Variable],
        base: int | AddressSpace = 0,
        *,
        required: set[str] | frozenset[str] | None = None,
    ) -> None:
        self.space = base if isinstance(base, AddressSpace) else None
        self.base = 0 if isinstance(base, AddressSpace) else int(base)
        names: list[str] = []
        block_of: list[int] = []
        idx: list[int] = []
        starts: list[int] = []
        kind: list[int] = []
        row: list[int] = []
        shift: list[int] = []
        sext: list[int] = []
        mask: list[int] = []
        self.unmapped: list[str] = []
        self._rows: list[tuple[int, list[int], tuple[int, ...], int, int, int]] = []
        for v in variables.values():
            if self.space is not None:
                try:
                    n, where = self.space.locate(v.address, v.type.width)
                except IndexError as e:
                    if required is not None and v.name in required:
                        raise IndexError(f"variable {v.name!r}: {e}") from None
                    self.unmapped.append(v.name)
                    continue
            else:
                n, where = (
                    0,
                    list(range(v.address - self.base, v.address - self.base + v.type.width)),
                )
            names.append(v.name)
            self._rows.append(
                (
                    n,
                    where,
                    v.type.shifts,
                    _KIND[v.type.repr],
                    64 - 8 * v.type.width if v.type.signed else 0,
                    _int64(v.mask & MASK64) if v.mask is not None else -1,
                )
            )
            starts.append(len(idx))
            block_of.extend([n] * v.type.width)
            idx.extend(where)
            kind.extend([_KIND[v.type.repr]] * v.type.width)
            shift.extend(v.type.shifts)
            row.append(_BYTE_ROW[v.type.repr])
            sext.append(64 - 8 * v.type.width if v.type.signed else 0)
            mask.append(_int64(v.mask & MASK64) if v.mask is not None else -1)
        self.names = names
        self._single = len(idx) == len(starts)  # every variable one byte wide
        self._idx = np.array(idx, np.intp)
        self._block = np.array(block_of, np.intp)
        self._blocks_used = sorted(set(block_of))
        self._kind = np.array(kind, np.intp) * 256
        self._row = np.array(row, np.intp) * 256
        self._shift = np.array(shift, np.int64)
        self._starts = np.array(starts, np.intp)
        self._sext = np.array(sext, np.int64)
        self._signed = bool(self._sext.any())
        self._mask = np.array(mask, np.int64)
        self._masked = bool((self._mask != -1).any())
        self._checked_len = -1
        self._buf = np.zeros(len(idx), np.uint8)
        # an address space's blocks are live and fixed: C decodes them (native/memory.c)
        self._native = self.program() if self.space is not None and names else None

    def program(
        self,
        prev: bool = False,
        into: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]] | None = None,
    ) -> VariableProgram:
        """A C program that decodes these variables from the address space's live blocks.

        Its ``out`` array (int64, in :attr:`names` order) holds the values after each ``run()``;
        with ``prev``, ``run()`` first moves them to its ``prev`` array (a step's deltas are then
        ``out - prev``).

        Args:
            prev: keep the previous values.
            into: ``(out, prev)``: arrays of the caller's to use (a vector env's rows), which
                implies ``prev``; else new ones.

        Raises:
            TypeError: this Reader reads arrays passed to :meth:`read`, not an address space.
        """
        if self.space is None:
            raise TypeError("only a Reader over an AddressSpace has a program")
        before: npt.NDArray[np.int64] | None
        if into is not None:
            out, before = into
        else:
            out = np.zeros(len(self.names), np.int64)
            before = np.zeros_like(out) if prev else None
        return VariableProgram([b.data for b in self.space.blocks], self._rows, out, before)

    def _gather(self, memory: npt.NDArray[np.uint8] | None) -> npt.NDArray[np.uint8]:
        if self.space is None:
            if memory is None:
                raise TypeError("this Reader reads an array: pass it to read()")
            if len(memory) != self._checked_len:
                bad = (self._idx < 0) | (self._idx >= len(memory))
                if bad.any():
                    pos = int(np.argmax(bad))
                    name = (
                        self.names[pos]
                        if self._single
                        else self.names[int(np.searchsorted(self._starts, pos, "right")) - 1]
                    )
                    raise IndexError(
                        f"variable {name!r} lies outside memory of {len(memory)} bytes at {self.base:#x}"
                    )
                self._checked_len = len(memory)
            return memory.take(self._idx)
        blocks = self.space.blocks
        if len(self._blocks_used) == 1:
            return blocks[self._blocks_used[0]].data.take(self._idx)
        buf = self._buf
        for n in self._blocks_used:
            sel = self._block == n
            buf[sel] = blocks[n].data[self._idx[sel]]
        return buf

    def values(self, memory: npt.NDArray[np.uint8] | None = None) -> npt.NDArray[np.int64]:
        """Every variable's value, in :attr:`names` order."""
        if not self.names:
            return np.zeros(0, np.int64)
        if self._native is not None:
            self._native.run()
            out: npt.NDArray[np.int64] = self._native.out.copy()
            return out
        raw = self._gather(memory)
        if self._single:
            vals = _BYTE_VALUES_FLAT.take(self._row + raw)
        else:
            vals = np.add.reduceat(_DIGITS_FLAT.take(self._kind + raw) * self._shift, self._starts)
            if self._signed:
                vals = (vals << self._sext) >> self._sext
        if self._masked:
            vals &= self._mask
        return vals

    def read(self, memory: npt.NDArray[np.uint8] | None = None) -> dict[str, int]:
        """Every variable's value, by name.

        Args:
            memory: the array to read (when the Reader was made with an integer base).

        Raises:
            IndexError: a variable lies outside ``memory``.
        """
        if self._native is not None:
            self._native.run()
            return dict(zip(self.names, self._native.out.tolist(), strict=True))
        return dict(zip(self.names, self.values(memory).tolist(), strict=True))

    def values_numpy(self, memory: npt.NDArray[np.uint8] | None = None) -> npt.NDArray[np.int64]:
        """:meth:`values` by numpy alone, never by C (the reference the C decoder is tested on)."""
        native, self._native = self._native, None
        try:
            return self.values(memory)
        finally:
            self._native = native
