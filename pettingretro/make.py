"""Envs for any stable-retro integration or bare ROM: ``pettingretro.parallel_env(game, players=2)``."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from pettingretro.aec.env import RetroAECEnv
from pettingretro.errors import PettingRetroError
from pettingretro.integration.catalog import integration
from pettingretro.parallel.env import RetroParallelEnv
from pettingretro.parallel.game import GameDef

RewardFn = Callable[[npt.NDArray[np.uint8], npt.NDArray[np.uint8]], Sequence[float]]


def find_integration(game: str) -> Path:
    """The folder of the integration named ``game`` (e.g. ``"Airstriker-Genesis-v0"``), or a folder.

    Raises:
        PettingRetroError: no such integration, or it is one of the project's own games.
    """
    p = Path(game)
    if p.is_dir() and (p / "data.json").is_file():
        return p
    entry = integration(game)
    if entry.source == "pettingretro":
        raise PettingRetroError(
            f"{game!r} is one of pettingretro's own games: use its module, e.g. "
            f"`from pettingretro.envs import {entry.name}_v0`"
        )
    return entry.path


def parallel_env(
    game: str | os.PathLike[str] | None = None,
    *,
    rom: str | os.PathLike[str] | None = None,
    players: int | None = None,
    scenario: str = "scenario",
    reward_fn: RewardFn | None = None,
    **kwargs: Any,
) -> RetroParallelEnv:
    """A parallel env for a stable-retro integration or for a bare ROM.

    Args:
        game: an integration's name (``"NHL941on1-Genesis-v0"``) or folder.
        rom: a ROM file: with ``game``, overrides the integration's ROM; alone, plays a ROM no
            integration knows (the core is chosen by extension, or pass ``core=``).
        players: how many agents (one per controller port).
        scenario: the scenario file's stem in the integration folder.
        reward_fn: for a bare ROM, ``reward_fn(ram, previous_ram)`` returns each player's
            reward (0 for everyone when omitted).
        **kwargs: as :class:`~pettingretro.parallel.env.RetroParallelEnv` (``obs_type``,
            ``state``, ``frameskip``, ``render_mode``, ``core``, ...).

    Example:
        >>> import pettingretro
        >>> env = pettingretro.parallel_env("Airstriker-Genesis-v0")  # doctest: +SKIP
        >>> obs, infos = env.reset(seed=0)  # doctest: +SKIP
    """
    if game is None and rom is None:
        raise ValueError("give a game (an integration's name) or rom=PATH")
    if game is not None:
        folder = find_integration(os.fspath(game))
        gdef = GameDef(folder.name, path=str(folder), scenario=scenario, reward_fn=reward_fn)
        return RetroParallelEnv(gdef, num_players=players, rom=rom, **kwargs)
    rom_path = Path(os.fspath(rom))  # type: ignore[arg-type]
    gdef = GameDef(rom_path.stem, rom=str(rom_path), reward_fn=reward_fn)
    return RetroParallelEnv(gdef, num_players=players, **kwargs)


def env(game: str | os.PathLike[str] | None = None, **kwargs: Any) -> RetroAECEnv:
    """The AEC version of :func:`parallel_env` (same arguments)."""
    return RetroAECEnv(parallel_env(game, **kwargs))
