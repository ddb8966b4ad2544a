"""Typed reads of emulator memory: stable-retro's ``"type"`` strings (``"|u1"``, ``">d3"``, ...)."""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

_ENDIANS = {"|", "<", ">", "=", "><", "<>", ">=", "<="}
_REPRS = {"u", "i", "d", "n"}


@dataclass(frozen=True)
class VarType:
    """A memory value's layout: endianness, representation and width in bytes.

    Representations: ``u`` unsigned, ``i`` signed, ``d`` BCD (two digits a byte),
    ``n`` low-nibble BCD (one digit a byte). Endianness: ``|`` none/little, ``<`` little,
    ``>`` big, ``=`` native, ``><``/``<>`` middle-endian (16-bit halves swapped).
    """

    text: str
    endian: str
    repr: str
    width: int
    shifts: tuple[int, ...]

    def decode(self, raw: bytes | bytearray | npt.NDArray[np.uint8]) -> int:
        """The value of ``width`` bytes of memory."""
        lo_mask, hi_mask, cvt = (
            (0xF, 0xF0, 10)
            if self.repr == "d"
            else (0xF, 0, 10)
            if self.repr == "n"
            else (0xFF, 0, 256)
        )
        value = 0
        for i in range(self.width):
            b = int(raw[i])
            value += ((b & lo_mask) % cvt + ((b & hi_mask) >> 4) % cvt * 10) * self.shifts[i]
        if self.repr == "i":
            bits = 8 * self.width
            value &= (1 << bits) - 1
            if value >> (bits - 1):
                value -= 1 << bits
        return value


def parse_type(text: str) -> VarType:
    """Parse a stable-retro type string.

    Raises:
        ValueError: the string is not ``<endian><repr><width>`` with width 1 to 8.
    """
    if not isinstance(text, str) or len(text) < 3:
        raise ValueError(f"bad type {text!r}: expected e.g. '|u1', '>d2', '<i4'")
    endian, rep, width_s = text[:-2], text[-2], text[-1]
    if (
        endian not in _ENDIANS
        or rep not in _REPRS
        or not width_s.isdigit()
        or not 1 <= int(width_s) <= 8
    ):
        raise ValueError(
            f"bad type {text!r}: endianness one of | < > = >< <>, representation one of u i d n, width 1-8"
        )
    width = int(width_s)
    native_little = sys.byteorder == "little"
    e = endian
    if e == "=":
        e = "<" if native_little else ">"
    elif e == ">=":
        e = "><" if native_little else ">"
    elif e == "<=":
        e = "<" if native_little else "<>"
    step = 100 if rep == "d" else 10 if rep == "n" else 256
    shifts = [0] * width
    if e in ("<", "|"):
        order = list(range(width))
    elif e == ">":
        order = list(range(width - 1, -1, -1))
    elif e == "<>":
        # low half first, each half big-endian: bytes width/2-1 .. 0, then width-1 .. width/2
        order = list(range(width // 2 - 1, -1, -1)) + list(range(width - 1, width // 2 - 1, -1))
    else:  # "><": each half little-endian, high half first
        order = list(range(width // 2, width)) + list(range(0, width // 2))
    mult = 1
    for i in order:
        shifts[i] = mult
        mult *= step
    return VarType(text=text, endian=endian, repr=rep, width=width, shifts=tuple(shifts))


@dataclass(frozen=True)
class Variable:
    """A named value in memory: ``address`` (as the integration writes it), type and mask."""

    name: str
    address: int
    type: VarType
    mask: int | None = None

    def read(self, memory: npt.NDArray[np.uint8], base: int = 0) -> int:
        """Decode this variable from ``memory``, whose first byte is at address ``base``."""
        start = self.address - base
        if start < 0 or start + self.type.width > len(memory):
            raise IndexError(
                f"variable {self.name!r} at address {self.address:#x} ({self.type.text}) lies outside "
                f"memory {base:#x}..{base + len(memory):#x}"
            )
        value = self.type.decode(memory[start : start + self.type.width])
        if self.mask is not None:
            value &= self.mask
        return value


def _byte_tables() -> npt.NDArray[np.int64]:
    b = np.arange(256)
    signed = np.where(b >= 128, b - 256, b)
    bcd = (b & 0xF) % 10 + ((b >> 4) % 10) * 10
    nibble = (b & 0xF) % 10
    return np.stack([b, signed, bcd, nibble]).astype(np.int64)


_BYTE_TABLES = _byte_tables()
_KIND = {"u": 0, "i": 1, "d": 2, "n": 3}


class Reader:
    """Reads many variables at once: one table lookup for every single-byte variable.

    Args:
        variables: the variables to read.
        base: the address of memory's first byte.
    """

    def __init__(self, variables: dict[str, Variable], base: int = 0) -> None:
        self.base = base
        single = [v for v in variables.values() if v.type.width == 1]
        self.names = [v.name for v in single]
        self.index = np.array([v.address - base for v in single], np.intp)
        self.kind = np.array([_KIND[v.type.repr] for v in single], np.intp)
        self.mask = np.array([v.mask if v.mask is not None else -1 for v in single], np.int64)
        self.masked = bool((self.mask != -1).any())
        self.wide = [v for v in variables.values() if v.type.width != 1]

    def read(self, memory: npt.NDArray[np.uint8]) -> dict[str, int]:
        """Every variable's value, by name."""
        if len(self.index) and (self.index.min() < 0 or self.index.max() >= len(memory)):
            bad = self.names[int(np.argmax((self.index < 0) | (self.index >= len(memory))))]
            raise IndexError(
                f"variable {bad!r} lies outside memory of {len(memory)} bytes at {self.base:#x}"
            )
        vals = _BYTE_TABLES[self.kind, memory[self.index]]
        if self.masked:
            vals = vals & self.mask
        out = dict(zip(self.names, vals.tolist(), strict=True))
        for v in self.wide:
            out[v.name] = v.read(memory, self.base)
        return out
