"""What the screen means: tile grids decoded from a console's video memory (issue 14).

Sits above the host and integration data, below the env: ``tile_reader(emu)`` gives a
console's decoder, ``TileClasses`` parses a game's ``tiles`` block, ``tile_space`` the
observation space. See docs/concepts/tiles.md for which consoles give a grid and why others
do not.
"""

from __future__ import annotations

from pettingretro.tiles.classes import LEVELS, TileClasses
from pettingretro.tiles.reader import UNSUPPORTED, TileReader, tile_reader
from pettingretro.tiles.space import TILE_OBS_TYPES, TileObservation
from pettingretro.tiles.wrapper import GameWrapper

__all__ = [
    "LEVELS",
    "TILE_OBS_TYPES",
    "UNSUPPORTED",
    "GameWrapper",
    "TileClasses",
    "TileObservation",
    "TileReader",
    "tile_reader",
]
