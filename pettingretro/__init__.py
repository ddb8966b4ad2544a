"""pettingretro: emulated console games as multi-agent PettingZoo environments."""

from __future__ import annotations

__version__ = "0.1.0"


def _register() -> None:
    from pettingretro.envs import register_all

    register_all()


_register()


def parallel_env(*args: object, **kwargs: object) -> object:
    """A parallel env for any stable-retro integration or ROM; see :func:`pettingretro.make.parallel_env`."""
    from pettingretro.make import parallel_env as make

    return make(*args, **kwargs)  # type: ignore[arg-type]


def env(*args: object, **kwargs: object) -> object:
    """An AEC env for any stable-retro integration or ROM; see :func:`pettingretro.make.env`."""
    from pettingretro.make import env as make

    return make(*args, **kwargs)  # type: ignore[arg-type]


def vector_env(*args: object, **kwargs: object) -> object:
    """Many games stepped per call on C threads; see :func:`pettingretro.vector.vector_env`."""
    from pettingretro.vector import vector_env as make

    return make(*args, **kwargs)  # type: ignore[arg-type]
