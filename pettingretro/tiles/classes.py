"""A game's ``tiles`` block: tile ids mapped to classes for the compressed and minimal grids.

Sits between a game's data.json (integration data, parsed here) and the env's observation.
The block is an optional key of data.json, in stable-retro's vocabulary of plain JSON objects::

    "tiles": {
        "compressed": {"1": [0, 1, 2], "2": [66, 67]},
        "minimal": {"1": [66, 67]}
    }

Each level maps a class id (a decimal string, as stable-retro's keys are strings) to the tile
ids of that class. A tile listed nowhere is class 0, so a block names only what matters, as
PyBoy's game wrappers do: ``compressed`` keeps each kind of thing apart, ``minimal`` lumps
them (all enemies one class).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

from pettingretro.errors import IntegrationError

__all__ = ["LEVELS", "TileClasses"]

LEVELS = ("compressed", "minimal")


@dataclass(frozen=True)
class TileClasses:
    """The parsed ``tiles`` block: for each level, class id -> tile ids.

    Example:
        >>> classes = TileClasses.parse({"minimal": {"1": [3, 4]}}, "data.json")
        >>> classes.table("minimal", 6).tolist()
        [0, 0, 0, 1, 1, 0]
        >>> classes.num_classes("minimal")
        2
    """

    levels: Mapping[str, Mapping[int, tuple[int, ...]]]
    where: str = "data.json"

    @classmethod
    def parse(cls, block: Any, where: str = "data.json") -> TileClasses:
        """Validate a data.json ``tiles`` block.

        Args:
            block: the value of the ``tiles`` key.
            where: the file it came from, for error messages.

        Raises:
            IntegrationError: the block is not an object of levels, a level is unknown, a class
                id is not a non-negative integer, a tile id is not one, or a tile is in two
                classes of one level.

        """
        if not isinstance(block, Mapping):
            raise IntegrationError(
                f'{where}: tiles: must be an object such as {{"minimal": {{"1": [66, 67]}}}}, '
                f"got {type(block).__name__}"
            )
        unknown = sorted(set(block) - set(LEVELS))
        if unknown:
            raise IntegrationError(
                f"{where}: tiles: unknown level {unknown[0]!r}; use {' or '.join(LEVELS)}"
            )
        levels: dict[str, Mapping[int, tuple[int, ...]]] = {}
        for level, classes in block.items():
            key = f"{where}: tiles.{level}"
            if not isinstance(classes, Mapping):
                raise IntegrationError(f"{key}: must map class ids to lists of tile ids")
            seen: dict[int, int] = {}
            parsed: dict[int, tuple[int, ...]] = {}
            for name, tiles in classes.items():
                if not (isinstance(name, str) and name.isdecimal()):
                    raise IntegrationError(
                        f"{key}: class id {name!r} must be a non-negative integer string like "
                        '"1" (class 0 is every tile not listed)'
                    )
                if not isinstance(tiles, list) or not all(
                    isinstance(t, int) and not isinstance(t, bool) and t >= 0 for t in tiles
                ):
                    raise IntegrationError(
                        f'{key}."{name}": must be a list of tile ids (non-negative integers), '
                        f"got {tiles!r}"
                    )
                for tile in tiles:
                    if tile in seen and seen[tile] != int(name):
                        raise IntegrationError(
                            f"{key}: tile {tile} is in class {seen[tile]} and class {name}; "
                            "a tile belongs to one class per level"
                        )
                    seen[tile] = int(name)
                parsed[int(name)] = tuple(tiles)
            levels[level] = MappingProxyType(parsed)
        return cls(MappingProxyType(levels), where)

    @classmethod
    def load(cls, folder: Path) -> TileClasses | None:
        """The ``tiles`` block of ``folder``'s data.json, or None when there is none.

        Raises:
            IntegrationError: data.json is not JSON, or its block is malformed.

        """
        path = Path(folder) / "data.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise IntegrationError(f"{path}: cannot be read as JSON: {exc}") from None
        if not isinstance(data, Mapping) or "tiles" not in data:
            return None
        return cls.parse(data["tiles"], str(path))

    def has(self, level: str) -> bool:
        """Whether the block defines ``level``."""
        return level in self.levels

    def num_classes(self, level: str) -> int:
        """How many class ids ``level`` can give (the highest id + 1; at least 1)."""
        return max(self.levels[level], default=0) + 1

    def table(self, level: str, num_ids: int) -> npt.NDArray[np.uint16]:
        """A lookup array: ``table[tile id]`` is the tile's class at ``level``.

        Args:
            level: "compressed" or "minimal".
            num_ids: how many tile ids the console gives (``TileReader.num_ids``).

        Raises:
            IntegrationError: ``level`` is not in the block, or a tile id is out of range.

        """
        if level not in self.levels:
            raise IntegrationError(
                f"{self.where}: tiles: no {level!r} level; add "
                f'"tiles": {{"{level}": {{"1": [tile ids]}}}} to use obs_type={level!r}'
            )
        out = np.zeros(num_ids, np.uint16)
        for name, tiles in self.levels[level].items():
            for tile in tiles:
                if tile >= num_ids:
                    raise IntegrationError(
                        f'{self.where}: tiles.{level}."{name}": tile {tile} is out of range; '
                        f"this console's tile ids are 0-{num_ids - 1}"
                    )
                out[tile] = name
        return out
