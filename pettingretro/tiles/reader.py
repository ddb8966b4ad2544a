"""Which consoles give a tile grid: the reader for an emulator's core, or why there is none.

Sits above the per-console decoders (``gameboy``, ``nes``, ``snes``, ``genesis``, ``pce``) and
below the env: the env asks ``tile_reader(emu)`` once per game and ``reader.grid(out)`` every
step.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import numpy.typing as npt

from pettingretro import errors
from pettingretro.host import EmulatorLike
from pettingretro.tiles.gameboy import GameBoyTiles
from pettingretro.tiles.genesis import GenesisTiles
from pettingretro.tiles.nes import NesTiles
from pettingretro.tiles.snes import SnesTiles
from pettingretro.tiles.pce import PceTiles

__all__ = ["UNSUPPORTED", "TileReader", "tile_reader"]


class TileReader(Protocol):
    """What the env needs from a console's tile decoder."""

    rows: int
    cols: int
    num_ids: int

    def grid(self, out: npt.NDArray[np.uint16] | None = None) -> npt.NDArray[np.uint16]:
        """The current screen's (rows, cols) tile ids."""


# libretro library_name -> why that core gives no tile grid (docs/concepts/tiles.md)
UNSUPPORTED = {
    "Nestopia": (
        "nestopia exposes no PPU memory or scroll registers and its state is not decoded; "
        "run NES games on fceumm (stable-retro's core) for tiles"
    ),
    "Stella": "the Atari 2600 has no tile hardware: its screen is drawn line by line",
    "mGBA": "mgba is not decoded yet (Game Boy Advance modes 0-2 have tile maps)",
}

_READERS: dict[
    str,
    type[GameBoyTiles] | type[NesTiles] | type[SnesTiles] | type[GenesisTiles] | type[PceTiles],
] = {
    "Gambatte": GameBoyTiles,
    "FCEUmm": NesTiles,
    "Snes9x": SnesTiles,
    "Genesis Plus GX": GenesisTiles,
    "Mednafen PCE Fast": PceTiles,  # the stable-retro wheel's and Debian's mednafen_pce_fast
}


def tile_reader(emu: EmulatorLike) -> TileReader:
    """Return the tile decoder for ``emu``'s core.

    Args:
        emu: an emulator with a game loaded.

    Returns:
        A reader whose ``grid()`` gives the screen's tile ids.

    Raises:
        TilesError: the core gives no tile grid; the message says why and which consoles do.

    """
    name = emu.system_info.library_name
    reader = _READERS.get(name)
    if reader is None:
        why = UNSUPPORTED.get(name, f"core '{name}' is not one the tiles observation decodes")
        raise errors.TilesError(
            f"obs_type='tiles' is not available for this game: {why}. Tiles work on Game Boy "
            "and Game Boy Color (gambatte), the NES (fceumm), the SNES (snes9x), the "
            "Genesis / Mega Drive (genesis_plus_gx) and the PC Engine (mednafen_pce_fast); use "
            "obs_type='rgb_image' here"
        )
    return reader(emu)
