"""pettingretro: emulated console games as multi-agent PettingZoo environments."""

from __future__ import annotations

__version__ = "0.1.0"


def _register() -> None:
    from pettingretro.envs import register_all

    register_all()


_register()
