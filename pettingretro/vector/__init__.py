"""Vector envs: many games stepped per call on the C thread pool, one sub-env per (game, agent)."""

from __future__ import annotations

from pettingretro.errors import VectorEnvError
from pettingretro.vector.env import ATARI_PREPROCESSING, RetroVectorEnv, vector_env
from pettingretro.vector.resize import AreaResize

__all__ = ["ATARI_PREPROCESSING", "AreaResize", "RetroVectorEnv", "VectorEnvError", "vector_env"]
