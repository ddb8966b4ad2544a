"""pettingretro: emulated console games as multi-agent PettingZoo environments.

Importing registers the envs with PettingZoo (``pettingzoo.make("parallel", "pettingretro/pong-v0")``)
and nothing else: the factories below load their modules on first use.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what IDEs and type checkers see: the real signatures
    from pettingretro.factory import env, parallel_env
    from pettingretro.factory import parallel_env as make
    from pettingretro.movie import Movie
    from pettingretro.registry import resolve
    from pettingretro.vector import vector_env

__all__ = ["Movie", "__version__", "env", "make", "parallel_env", "resolve", "vector_env"]

try:
    __version__ = importlib.metadata.version("pettingretro")
except importlib.metadata.PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"

_LAZY = {
    "env": "pettingretro.factory",
    "parallel_env": "pettingretro.factory",
    "make": "pettingretro.factory",
    "vector_env": "pettingretro.vector",
    "Movie": "pettingretro.movie",
    "resolve": "pettingretro.registry",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        # make: stable-retro's name (retro.make) for the parallel env of any game
        value = getattr(
            importlib.import_module(_LAZY[name]), "parallel_env" if name == "make" else name
        )
        globals()[name] = value
        return value
    raise AttributeError(f"module 'pettingretro' has no attribute {name!r}")


def _register() -> None:
    from pettingretro.envs import register_all

    register_all()


_register()
