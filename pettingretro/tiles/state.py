"""The save state a Python tile decoder reads every step, kept in one buffer of its own.

Sits between the host's ``save_state_into`` and the per-console decoders that parse the
state in numpy (``snes``, ``genesis``, ``pce``). A fresh state per step (``save_state()``)
allocates: for genesis_plus_gx's 1 MiB state that costs more in page faults than the core
takes to serialize. The buffer is made once; when the core's state changes size (a game's
cartridge RAM), the decoder finds its fields again.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from pettingretro import errors
from pettingretro.host import EmulatorLike

__all__ = ["KeptState"]


class KeptState:
    """Base of the decoders that take the core's state into a buffer they keep.

    A subclass sets ``_emu`` and calls :meth:`_keep` with a first state, and implements
    :meth:`_find`, which locates its fields in a state and calls :meth:`_keep` again.
    """

    _emu: EmulatorLike
    _buf: npt.NDArray[np.uint8]
    _mem: memoryview
    _state_size: int

    def _find(self, state: bytes) -> None:  # pragma: no cover - each decoder has its own
        raise NotImplementedError

    def _keep(self, state: bytes) -> None:
        """Size the buffer for ``state``'s length (a new buffer: views of the old one go)."""
        self._state_size = len(state)
        self._buf = np.empty(len(state), np.uint8)
        self._mem = self._buf.data

    def _state(self) -> memoryview:
        """The current state, in the decoder's own buffer (valid until the next call)."""
        try:
            size = self._emu.save_state_into(self._buf)
        except errors.StateError:  # the state outgrew the buffer
            size = -1
        if size != self._state_size:
            self._find(self._emu.save_state())
            size = self._emu.save_state_into(self._buf)
        return self._mem[:size]
