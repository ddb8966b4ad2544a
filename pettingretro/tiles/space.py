"""A tiles observation: a reader, an optional class table, and the space that fits them.

Sits between the decoders and the env: the env builds one ``TileObservation`` per game and
calls ``observe(out)`` every step; the space never changes size.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from gymnasium import spaces

from pettingretro import errors
from pettingretro.host import EmulatorLike
from pettingretro.tiles.classes import TileClasses
from pettingretro.tiles.reader import TileReader, tile_reader

__all__ = ["TILE_OBS_TYPES", "TileObservation"]

TILE_OBS_TYPES = ("tiles", "compressed", "minimal")


class TileObservation:
    """The tile grid of one emulator, as raw ids or as a game's classes.

    Args:
        emu: the emulator, game loaded.
        obs_type: "tiles" (raw ids), "compressed" or "minimal" (the game's classes).
        classes: the game's parsed ``tiles`` block; needed for "compressed" and "minimal".
        game: the game's name, for error messages.

    Raises:
        TilesError: the console gives no tile grid, or a class level was asked of a game
            without a ``tiles`` block.
        IntegrationError: the block has no such level or names tiles out of range.

    """

    def __init__(
        self,
        emu: EmulatorLike,
        obs_type: str,
        classes: TileClasses | None = None,
        game: str = "this game",
    ) -> None:
        if obs_type not in TILE_OBS_TYPES:
            raise errors.TilesError(
                f"obs_type {obs_type!r} is not a tiles observation; use one of "
                f"{', '.join(TILE_OBS_TYPES)}"
            )
        if obs_type != "tiles" and classes is None:
            raise errors.TilesError(
                f"obs_type={obs_type!r} needs a 'tiles' block in {game}'s data.json mapping "
                f'tile ids to classes, e.g. "tiles": {{"{obs_type}": {{"1": [66, 67]}}}}; '
                "obs_type='tiles' gives the raw ids without one"
            )
        self.reader: TileReader = tile_reader(emu)
        self.obs_type = obs_type
        self._table = (
            None
            if classes is None or obs_type == "tiles"
            else classes.table(obs_type, self.reader.num_ids)
        )
        high = self.reader.num_ids if self._table is None else int(self._table.max()) + 1
        if classes is not None and obs_type != "tiles":
            high = max(high, classes.num_classes(obs_type))
        self.shape = (self.reader.rows, self.reader.cols)
        self.space = spaces.MultiDiscrete(np.full(self.shape, high), dtype=np.uint16)
        self._ids = np.empty(self.shape, np.uint16)

    def game_area(self) -> npt.NDArray[np.uint16]:
        """The raw tile ids of the current screen, a new array."""
        return self.reader.grid()

    def observe(self, out: npt.NDArray[np.uint16] | None = None) -> npt.NDArray[np.uint16]:
        """The observation for the current screen, written into ``out`` if given."""
        if out is None:
            out = np.empty(self.shape, np.uint16)
        if self._table is None:
            return self.reader.grid(out)
        self.reader.grid(self._ids)
        np.take(self._table, self._ids, out=out)
        return out
