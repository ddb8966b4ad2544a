"""What a RAM observation and ``state()`` cover: the core's system RAM plus what games also use.

Sits between the host's memory views and the env. Most cores' ``RETRO_MEMORY_SYSTEM_RAM`` is
all the RAM a game has; gambatte's is only work RAM ($C000-$DFFF, 8 KiB; 32 KiB in Game Boy
Color mode), while games also keep state in high RAM ($FF80-$FFFE, 127 bytes and the IE
register), which gambatte declares in its memory map. For gambatte the observation is work
RAM followed by those 128 bytes; where a core's map lacks high RAM (Debian's gambatte), it is
work RAM alone. See docs/concepts/tiles.md.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from pettingretro.host import EmulatorLike

__all__ = ["GameRam"]

# core library_name -> memory map start addresses to append to SYSTEM_RAM
_EXTRA = {"Gambatte": (0xFF80,)}


class GameRam:
    """The RAM an env observes: SYSTEM_RAM, then any extra regions its core's map holds.

    Args:
        emu: the emulator, game loaded. The views are taken once, as the env's integration
            reader takes them.

    Example:
        >>> ram = GameRam(emu)  # doctest: +SKIP
        >>> ram.size  # doctest: +SKIP
        8320
    """

    def __init__(self, emu: EmulatorLike) -> None:
        starts = _EXTRA.get(emu.system_info.library_name, ())
        extra = [
            d.data
            for start in starts
            for d in emu.memory_maps
            if d.start == start and d.data is not None and d.length
        ]
        self._emu = emu
        self._extra: list[npt.NDArray[np.uint8]] = extra
        self.size = len(emu.ram) + sum(len(e) for e in extra)
        #: (start address, offset in the observation, length) of each extra region.
        self.regions: list[tuple[int, int, int]] = []
        at = len(emu.ram)
        for start, data in zip(starts, extra, strict=False):
            self.regions.append((start, at, len(data)))
            at += len(data)

    def copy(self) -> npt.NDArray[np.uint8]:
        """A copy of the observed RAM (system RAM first)."""
        ram = self._emu.ram
        out: npt.NDArray[np.uint8] = (
            np.concatenate([ram, *self._extra]) if self._extra else ram.copy()
        )
        return out
