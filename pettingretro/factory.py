"""Envs by name: any own env, stable-retro integration or bare ROM (``pettingretro.parallel_env``)."""

from __future__ import annotations

import dataclasses
import importlib
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from pettingretro.aec.env import RetroAECEnv
from pettingretro.errors import MovieError, RomNotFoundError
from pettingretro.integration.roms import sha1_of
from pettingretro.movie import Movie
from pettingretro.movie.playback import STABLE_RETRO_CORE_OPTIONS
from pettingretro.parallel.env import RetroParallelEnv
from pettingretro.parallel.game import GameDef
from pettingretro.registry import resolve, twin_for

__all__ = ["RewardFn", "env", "env_for_movie", "parallel_env"]

RewardFn = Callable[[npt.NDArray[np.uint8], npt.NDArray[np.uint8]], Sequence[float]]


def parallel_env(
    game: str | os.PathLike[str] | None = None,
    *,
    rom: str | os.PathLike[str] | None = None,
    players: int | None = None,
    scenario: str = "scenario",
    reward_fn: RewardFn | None = None,
    info: str | os.PathLike[str] | None = None,
    inttype: Any = None,
    **kwargs: Any,
) -> RetroParallelEnv:
    """A parallel env for an own game, a stable-retro integration or a bare ROM.

    Args:
        game: an own env (``"pong_v0"``), an integration's name (``"NHL941on1-Genesis-v0"``)
            or an integration folder; see :func:`pettingretro.registry.resolve`.
        rom: a ROM file: with ``game``, overrides its ROM; alone, plays a ROM no integration
            knows (the core is chosen by extension, or pass ``core=``).
        players: how many agents (one per controller port); default: what the game declares.
        scenario: the scenario file's stem in the integration folder.
        reward_fn: ``reward_fn(ram, previous_ram)`` returns each player's reward, added to the
            scenario's (a bare ROM has no other reward).
        info: a data.json file whose variables replace the integration's (stable-retro's
            ``info=``): what ``infos`` report and what the scenario reads.
        inttype: stable-retro's ``Integrations`` value, accepted for its code: every kind
            (stable, experimental, contrib, custom) is searched, and names are unique across them.
        **kwargs: as :class:`~pettingretro.parallel.env.RetroParallelEnv` (``obs_type``,
            ``state``, ``frameskip``, ``render_mode``, ``core``, ...).

    Raises:
        UnknownEnvError: no env, integration or folder has the name ``game``.

    Example:
        >>> import pettingretro
        >>> env = pettingretro.parallel_env("Airstriker-Genesis-v0")  # doctest: +SKIP
        >>> obs, infos = env.reset(seed=0)  # doctest: +SKIP
    """
    if players is not None and "num_players" in kwargs:
        raise TypeError("give players= or num_players=, not both")
    players = kwargs.pop("num_players", players)
    if game is not None:
        gdef = resolve(game, scenario=scenario)
    elif rom is not None:
        rom_path = Path(os.fspath(rom))
        gdef = GameDef(rom_path.stem, rom=str(rom_path), twin=twin_for(_rom_sha1s(rom_path)))
    else:
        raise ValueError("give a game (an env or integration name) or rom=PATH")
    if inttype is not None and type(inttype).__name__ != "Integrations":
        raise TypeError(f"inttype must be a stable_retro.data.Integrations value, got {inttype!r}")
    if info is not None:
        if game is None:
            raise ValueError("info= replaces an integration's data.json: give the game too")
        gdef = dataclasses.replace(gdef, info=os.fspath(info))
        gdef.spec.check()  # the scenario's variables must all be there
    if reward_fn is not None:
        if not callable(reward_fn):
            raise TypeError(
                f"reward_fn must be a function (ram, previous_ram) -> rewards, got {reward_fn!r}"
            )
        gdef = dataclasses.replace(gdef, reward_fn=reward_fn)
    if game is not None and rom is not None:
        kwargs["rom"] = rom
    return RetroParallelEnv(gdef, num_players=players, **kwargs)


def _rom_sha1s(rom: Path) -> list[str]:
    if not rom.is_file():
        return []  # the env says what is wrong with the path
    try:
        return [sha1_of(rom, strip_ines=rom.suffix.lower() == ".nes")]
    except OSError as err:
        raise RomNotFoundError(f"ROM file '{rom}' cannot be read: {err.strerror}") from None


def env(game: str | os.PathLike[str] | None = None, **kwargs: Any) -> RetroAECEnv:
    """The AEC version of :func:`parallel_env` (same arguments)."""
    return RetroAECEnv(parallel_env(game, **kwargs))


# a game or scenario a movie names: a registered name, never a path (a folder's Lua is code)
_MOVIE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]{0,127}")


def env_for_movie(movie: Movie, **kwargs: Any) -> RetroParallelEnv:
    """The env a movie was recorded with (an own env or an installed integration).

    Only what the header may name is taken from it: the game's registered name and the
    allow-listed arguments of :data:`pettingretro.movie.bk2.REPLAYED_ARGS`; a core, a ROM
    or a folder comes from ``kwargs`` or from this installation, never from the file.

    Args:
        movie: the movie.
        **kwargs: override the recorded keyword arguments (default ``render_mode="rgb_array"``),
            e.g. ``core=`` or ``rom=`` to replay on files of your choosing.

    Raises:
        MovieError: the movie does not name its game, names a path instead of a game, or its
            header carries arguments a movie may not choose.
        UnknownEnvError: the movie's game is not known here.

    Example:
        >>> from pettingretro.factory import env_for_movie
        >>> from pettingretro.movie import Movie, playback
        >>> movie = Movie("pong_v0-000000.bk2")  # doctest: +SKIP
        >>> env = env_for_movie(movie)  # doctest: +SKIP
        >>> screens = list(playback(movie, env))  # doctest: +SKIP
    """
    from pettingretro.envs import ENV_MODULES

    name = movie.env_name
    scenario = movie.header.get("pettingretroScenario", "scenario")
    if name == "?" or not name:
        raise MovieError(
            f"{movie.path} does not name its game: build the env yourself and pass it to playback()"
        )
    for what, value in (("game", name), ("scenario", scenario)):
        if not _MOVIE_NAME.fullmatch(value) or Path(value).is_dir():
            raise MovieError(
                f"{movie.path} names its {what} {value[:80]!r}, which is not a registered name: "
                f"a movie may not point at files; build the env yourself and pass it to playback()"
            )
    args = {"render_mode": "rgb_array", **movie.env_kwargs, **kwargs}
    if name in ENV_MODULES:
        module = importlib.import_module(f"pettingretro.envs.{name}")
        made: RetroParallelEnv = module.parallel_env(**args)
        return made
    players = args.pop("num_players", None) or movie.players
    if movie.header.get("MovieVersion") == "Retro" and movie.system is not None:
        compat = STABLE_RETRO_CORE_OPTIONS.get(movie.system.core, {})
        args["core_options"] = {**compat, **(args.get("core_options") or {})}
    return parallel_env(name, players=players, scenario=scenario, **args)
