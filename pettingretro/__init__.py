"""pettingretro: emulated console games as multi-agent PettingZoo environments."""

from __future__ import annotations

__version__ = "0.1.0"
