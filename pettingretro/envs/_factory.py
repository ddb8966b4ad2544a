"""Making a versioned env module's ``env``, ``parallel_env`` and ``raw_env`` from a game's data."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pettingretro.aec.env import RetroAECEnv
from pettingretro.parallel.env import RetroParallelEnv
from pettingretro.parallel.game import GameDef, Rules


def game_env_fns(
    folder: str,
    version: int,
    *,
    name: str | None = None,
    rules: type[Rules] | None = None,
    mode_for: Callable[..., int | None] | None = None,
    defaults: Mapping[str, Any] | None = None,
) -> tuple[Callable[..., RetroAECEnv], Callable[..., RetroParallelEnv], Callable[..., RetroAECEnv]]:
    """The three constructors of a game module.

    Args:
        folder: the game's data folder under ``pettingretro/envs``.
        version: the env's version; bump it whenever observations, actions, rewards or
            done conditions change.
        name: the env's name without version (default: ``folder``).
        rules: game logic beyond the data (a :class:`Rules` subclass).
        mode_for: maps the env's own keyword arguments to a game mode.
        defaults: keyword arguments this env fixes by default (e.g. ``num_players``).

    Returns:
        ``(env, parallel_env, raw_env)``: ``env`` and ``raw_env`` make the AEC env (it checks
        its own inputs, so no wrapper is needed), ``parallel_env`` the native parallel env.
    """
    game = GameDef(f"{name or folder}_v{version}", folder, rules, mode_for, dict(defaults or {}))

    def parallel_env(**kwargs: Any) -> RetroParallelEnv:
        return RetroParallelEnv(game, **kwargs)

    def raw_env(**kwargs: Any) -> RetroAECEnv:
        return RetroAECEnv(parallel_env(**kwargs))

    parallel_env.__doc__ = (
        f"The {game.env_name} parallel env; keyword arguments as RetroParallelEnv."
    )
    raw_env.__doc__ = f"The {game.env_name} AEC env; keyword arguments as RetroParallelEnv."
    return raw_env, parallel_env, raw_env
