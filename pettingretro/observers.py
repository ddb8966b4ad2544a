"""Frame observers: what the env calls at reset, before each batch of frames and at episode end.

Recording (:class:`pettingretro.movie.EpisodeRecorder`), a window, statistics: anything that
watches an env plugs in from outside through :meth:`RetroParallelEnv.add_observer
<pettingretro.parallel.env.RetroParallelEnv.add_observer>` (``record=`` is a shortcut that adds
a recorder). The env never needs to know what an observer is.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

__all__ = ["FrameObserver"]


@runtime_checkable
class FrameObserver(Protocol):
    """Called by the env around its emulation; every method must be cheap and must not step."""

    def on_reset(self) -> None:
        """An episode starts from the emulator's current state (no frame has run yet)."""

    def on_frames(
        self, masks: npt.NDArray[np.uint16], deltas: npt.NDArray[np.int32], frames: int
    ) -> None:
        """``frames`` frames are about to run holding port ``masks``, paddles moving by ``deltas``."""

    def on_episode_end(self) -> None:
        """Every agent finished."""

    def close(self) -> None:
        """The env closes; flush whatever is kept."""
