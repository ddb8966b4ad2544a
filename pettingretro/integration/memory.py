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
