"""The one registry of env names: every name a user can give resolves here, and only here.

A name is one of pettingretro's own env modules (``"pong_v0"``, or PettingZoo's id
``"pettingretro/pong-v0"``), a stable-retro integration (``"Airstriker-Genesis-v0"``, any folder
stable-retro ships: stable, experimental or contrib), or an integration folder on disk.
:func:`resolve` gives the game's definition; :func:`pettingretro.factory.parallel_env`,
:func:`pettingretro.vector.vector_env`, movies and the command line all go through it.

The own env modules are declared in :data:`pettingretro.envs.ENV_MODULES`; each declares its game
as ``GAME`` (nothing is discovered by globbing or by inspecting closures).
"""

from __future__ import annotations

import functools
import importlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pettingretro.envs import ENV_MODULES
from pettingretro.errors import PettingRetroError, UnknownEnvError
from pettingretro.integration.catalog import Integration, integration
from pettingretro.parallel.game import GameDef

__all__ = ["EnvInfo", "UnknownEnvError", "env_id", "envs", "own_game", "resolve", "twin_for"]


def _module_name(name: str) -> str | None:
    """``pong_v0`` for ``pong_v0`` or ``pettingretro/pong-v0``; None for other names."""
    if name.startswith("pettingretro/"):
        base, sep, version = name.removeprefix("pettingretro/").rpartition("-v")
        name = f"{base}_v{version}" if sep else name
    return name if name in ENV_MODULES else None


def own_game(module: str) -> GameDef:
    """The game an own env module declares (``own_game("pong_v0")``)."""
    if module not in ENV_MODULES:
        raise UnknownEnvError(
            f"no pettingretro env named {module!r}; the envs are {', '.join(ENV_MODULES)}"
        )
    game = importlib.import_module(f"pettingretro.envs.{module}").GAME
    if not isinstance(game, GameDef):
        raise TypeError(f"pettingretro.envs.{module}.GAME is not a GameDef")
    return game


def resolve(name: str | os.PathLike[str], *, scenario: str = "scenario") -> GameDef:
    """The game a name stands for.

    Args:
        name: an own env (``"pong_v0"``, ``"pettingretro/pong-v0"``), an integration's name
            (``"Airstriker-Genesis-v0"``; stable-retro's names without ``-v0`` work too), or an
            integration folder (one holding ``data.json``).
        scenario: for integrations, the scenario file's stem.

    Raises:
        UnknownEnvError: nothing has that name; the message lists where to look.
    """
    text = os.fspath(name)
    if not isinstance(text, str) or not text:
        raise UnknownEnvError(f"an env name must be a non-empty string, got {name!r}")
    module = _module_name(text)
    if module is not None:
        if scenario != "scenario":
            raise ValueError(
                f"{module} has one scenario; scenario={scenario!r} is for integrations"
            )
        return own_game(module)
    folder = Path(text)
    if folder.is_dir() and (folder / "data.json").is_file():
        sha_file = folder / "rom.sha"
        shas = []
        if sha_file.is_file():
            with sha_file.open(errors="replace") as fh:
                shas = fh.read(1 << 16).split()  # sha1 lines: a bounded read
        return GameDef(folder.name, path=str(folder), scenario=scenario, twin=twin_for(shas))
    try:
        entry = integration(text)
    except PettingRetroError as e:
        raise UnknownEnvError(
            f"{e}; pettingretro's own envs are {', '.join(ENV_MODULES)} "
            "(`pettingretro list` shows every game)"
        ) from None
    if entry.source == "pettingretro":
        # the data folder of an own game: its env module knows how agents bind
        for m in ENV_MODULES:
            if own_game(m).folder == entry.name:
                return own_game(m)
    return GameDef(
        entry.path.name, path=str(entry.path), scenario=scenario, twin=twin_for(entry.sha1s)
    )


def twin_for(sha1s: Iterable[str]) -> str | None:
    """The data folder of the own game whose ROM has one of these sha1s, or None.

    An integration or bare ROM that is one of our games (Pong-Atari2600-v0 is pong) takes that
    game's agent bindings, so every player really controls something (both Pong paddles).
    """
    wanted = {s.lower() for s in sha1s}
    if not wanted:
        return None
    for sha1, data in _own_roms().items():
        if sha1 in wanted:
            return data
    return None


@functools.cache
def _own_roms() -> dict[str, str]:
    out: dict[str, str] = {}
    for m in ENV_MODULES:
        game = own_game(m)
        sha1 = game.spec.extra.get("rom", {}).get("sha1")
        if sha1 and game.data is not None:
            out.setdefault(str(sha1).lower(), game.data)
    return out


def env_id(game: GameDef) -> str:
    """The name :func:`resolve` turns back into ``game`` (for movies and logs)."""
    if game.folder is not None:
        return game.env_name
    if game.path is not None:
        return Path(game.path).name
    return ""


@dataclass(frozen=True)
class EnvInfo:
    """One of pettingretro's versioned env modules.

    Attributes:
        module: its name in ``pettingretro.envs`` (``pong_v0``).
        integration: its data folder's entry (``pong``).
        players: the ``num_players`` values it accepts, ascending.
    """

    module: str
    integration: Integration
    players: tuple[int, ...]


def envs() -> list[EnvInfo]:
    """The own env modules, with their data folders and accepted player counts.

    A player count is accepted when the data offers it and the module's ``mode_for`` takes it.
    """
    out: list[EnvInfo] = []
    for name in ENV_MODULES:
        game = own_game(name)
        entry = integration(str(game.folder))
        players = []
        for n in entry.players:
            try:
                if game.mode_for is not None:
                    game.mode_for(num_players=n)
            except (ValueError, LookupError, TypeError):
                continue
            players.append(n)
        out.append(EnvInfo(name, entry, tuple(players)))
    return out
