"""``env.game_wrapper``: a game's data.json variables as attributes, and its tile grid.

Sits beside the env's public API: PyBoy users read ``pyboy.game_wrapper().score`` and call
``game_wrapper().game_area()``; the same two things are here, drawn from the env's own
per-step variables and its tiles reader, so nothing game-specific is written in Python.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import numpy.typing as npt

__all__ = ["GameWrapper"]


class GameWrapper:
    """The current values of a game's variables by name, and its tile grid.

    Args:
        values: returns the variables' current values (the env's last read).
        game_area: returns the current screen's tile ids.
        game: the game's name, for error messages.

    Example:
        >>> wrapper = GameWrapper(lambda: {"score": 3}, lambda: np.zeros((1, 1), np.uint16))
        >>> wrapper.score
        3
        >>> wrapper.variables
        {'score': 3}
    """

    def __init__(
        self,
        values: Callable[[], Mapping[str, int]],
        game_area: Callable[[], npt.NDArray[np.uint16]],
        game: str = "this game",
    ) -> None:
        self._values = values
        self._game_area = game_area
        self._game = game

    @property
    def variables(self) -> dict[str, int]:
        """Every variable's current value."""
        return dict(self._values())

    def game_area(self) -> npt.NDArray[np.uint16]:
        """The current screen as tile ids (see ``env.game_area``)."""
        return self._game_area()

    def __getattr__(self, name: str) -> int:
        if name.startswith("_"):
            raise AttributeError(name)
        values = self._values()
        if name not in values:
            known = ", ".join(sorted(values)) or "none"
            raise AttributeError(
                f"{self._game} has no data.json variable {name!r} (its variables: {known}); "
                'add it to data.json\'s "info" block to read it here'
            )
        return int(values[name])

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *self._values()})
