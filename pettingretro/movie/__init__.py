"""Replays: BizHawk ``.bk2`` movies of episodes, read, recorded and played back.

One concept per module: :mod:`~pettingretro.movie.bk2` (the format: :class:`Movie` reads it),
:mod:`~pettingretro.movie.recorder` (:class:`EpisodeRecorder`, the frame observer ``record=``
adds to an env) and :mod:`~pettingretro.movie.playback` (:func:`playback` into any emulator).
The env a movie was recorded with is built a layer above, by
:func:`pettingretro.factory.env_for_movie`.
"""

from __future__ import annotations

from pettingretro.errors import MovieError, RecordingError
from pettingretro.movie.bk2 import Movie
from pettingretro.movie.playback import playback
from pettingretro.movie.recorder import EpisodeRecorder

__all__ = ["EpisodeRecorder", "Movie", "MovieError", "RecordingError", "playback"]
