"""Making a versioned env module's ``GAME``, ``env``, ``parallel_env`` and ``raw_env``."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Concatenate, Generic, ParamSpec

from pettingretro.aec.env import RetroAECEnv
from pettingretro.parallel.env import RetroParallelEnv
from pettingretro.parallel.game import GameDef, Rules

P = ParamSpec("P")
ENVS_DIR = Path(__file__).resolve().parent


def project_game(
    folder: str,
    version: int,
    *,
    name: str | None = None,
    rules: type[Rules] | None = None,
    mode_for: Callable[..., int | None] | None = None,
    defaults: Mapping[str, Any] | None = None,
) -> GameDef:
    """One of pettingretro's own games: its data folder and what the data cannot say.

    Args:
        folder: the game's data folder under ``pettingretro/envs``.
        version: the env's version; bump it whenever observations, actions, rewards or
            done conditions change.
        name: the env's name without version (default: ``folder``).
        rules: game logic beyond the data (a :class:`Rules` subclass).
        mode_for: maps the env's own keyword arguments to a game mode.
        defaults: keyword arguments this env fixes by default (e.g. ``num_players``).
    """
    return GameDef(
        f"{name or folder}_v{version}",
        folder,
        rules,
        mode_for,
        dict(defaults or {}),
        data=str(ENVS_DIR / folder),
    )


def _signature_without_game() -> inspect.Signature:
    sig = inspect.signature(RetroParallelEnv)
    return sig.replace(parameters=[p for n, p in sig.parameters.items() if n != "game"])


class _EnvFns(Generic[P]):
    """Binds a game into env constructors that keep ``cls``'s keyword arguments as their types.

    Held once, at module level, so that type checkers (and IDEs) see ``pong_v0.parallel_env``
    with RetroParallelEnv's real signature; ``help()`` sees it through ``__signature__``.
    """

    def __init__(self, cls: Callable[Concatenate[GameDef, P], RetroParallelEnv]) -> None:
        self.cls = cls

    def fns(
        self, game: GameDef
    ) -> tuple[Callable[P, RetroAECEnv], Callable[P, RetroParallelEnv], Callable[P, RetroAECEnv]]:
        """``(env, parallel_env, raw_env)`` for ``game``.

        ``env`` and ``raw_env`` make the AEC env (it checks its own inputs, so no wrapper is
        needed), ``parallel_env`` the native parallel env.
        """
        cls = self.cls

        def parallel_env(*args: P.args, **kwargs: P.kwargs) -> RetroParallelEnv:
            return cls(game, *args, **kwargs)

        def env(*args: P.args, **kwargs: P.kwargs) -> RetroAECEnv:
            return RetroAECEnv(cls(game, *args, **kwargs))

        sig = _signature_without_game()
        for fn, kind in ((parallel_env, "parallel"), (env, "AEC")):
            fn.__doc__ = f"The {game.env_name} {kind} env (keyword arguments: RetroParallelEnv's)."
            returns = RetroParallelEnv if fn is parallel_env else RetroAECEnv
            setattr(fn, "__signature__", sig.replace(return_annotation=returns))  # noqa: B010 (help() reads it; mypy has no such attribute)
            fn.__qualname__ = fn.__name__
        return env, parallel_env, env


#: ``env, parallel_env, raw_env = env_fns(GAME)`` in a game module.
env_fns = _EnvFns(RetroParallelEnv).fns
