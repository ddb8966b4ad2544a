"""How tile decoders take the core's state every step: decoded in C, or kept in one buffer.

Sits between the host and the per-console decoders. :class:`NativeTiles` serves the decoders the
C host runs (``gameboy``, ``nes``: ``native/tiles.c``); :class:`KeptState` the ones that parse the
state in numpy (``snes``, ``genesis``, ``pce``). A fresh state per step (``save_state()``)
allocates: for genesis_plus_gx's 1 MiB state that costs more in page faults than the core
takes to serialize. The buffer is made once; when the core's state changes size (a game's
cartridge RAM), the decoder finds its fields again.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from pettingretro import errors
from pettingretro.host import Emulator, EmulatorLike, TileLayout, tiles_from_state

__all__ = ["KeptState", "NativeTiles"]


class NativeTiles:
    """Base of the decoders written in C: one host call per step, the state never in Python.

    In process, C serializes into the host's own buffer and decodes it
    (``Emulator.tiles_into``); an isolated emulator's state crosses the pipe as bytes and the same
    C decoder reads those. A subclass sets ``_emu``, ``_native`` (see :meth:`_native_of`),
    ``rows``, ``cols`` and ``_core`` (the core's name, for errors), and implements :meth:`_find`,
    which locates its fields in a state and sets ``layout`` and ``_state_size``.
    """

    rows: int
    cols: int
    layout: TileLayout
    _emu: EmulatorLike
    _native: Emulator | None
    _state_size: int
    _core: str

    @staticmethod
    def _native_of(emu: EmulatorLike) -> Emulator | None:
        """``emu`` where the C path can serialize in process, else None (isolated)."""
        return emu if isinstance(emu, Emulator) else None

    def _find(self, state: bytes) -> None:  # pragma: no cover - each decoder has its own
        raise NotImplementedError

    def _state(self) -> bytes:
        state = self._emu.save_state()
        if len(state) != self._state_size:
            self._find(state)
        return state

    def grid(self, out: npt.NDArray[np.uint16] | None = None) -> npt.NDArray[np.uint16]:
        """Return the current screen's (rows, cols) tile ids, written into ``out`` if given.

        Decoded in C (``native/tiles.c``); ``reference_grid`` is the same in numpy.
        """
        if out is None:
            out = np.empty((self.rows, self.cols), np.uint16)
        native = self._native
        if native is not None and native.tiles_into(self.layout, out):
            return out  # the hot path: one C call
        if native is None:
            return self.decode(self._state(), out)
        self._find(self._emu.save_state())  # the state's size changed: find the fields again
        if not native.tiles_into(self.layout, out):
            raise errors.TilesError(
                f"{self._core}'s state size changes on every read; tiles cannot follow its fields"
            )
        return out

    def decode(
        self, state: bytes | bytearray | memoryview, out: npt.NDArray[np.uint16] | None = None
    ) -> npt.NDArray[np.uint16]:
        """The grid of a state this emulator saved (in C), written into ``out`` if given."""
        if out is None:
            out = np.empty((self.rows, self.cols), np.uint16)
        if not tiles_from_state(state, self.layout, out):
            self._find(bytes(state))
            tiles_from_state(state, self.layout, out)
        return out


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
