"""Othello (Atari 2600): white (first_0) against black (second_0), one agent per joystick."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from pettingretro.envs._factory import env_fns, project_game
from pettingretro.parallel.game import Rules


class OthelloRules(Rules):
    """Othello as PettingZoo plays it: a turn timer and the end of the game.

    The data rewards the change of (white - black) disc counts. A player who lets 600 frames
    pass without the disc difference changing gets -1 (the player to move: white when
    ``turn`` is 0xFF, else black) and the count restarts. The game is over once ``turn`` has
    been 0 (no player to move) for more than 75 frames.
    """

    TURN_FRAMES = 600
    END_FRAMES = 75

    def reset(self, values: Mapping[str, int]) -> None:
        """Restart both counts."""
        self.same = 0
        self.inactive = 0

    def step(
        self,
        values: Mapping[str, int],
        deltas: Mapping[str, int],
        rewards: npt.NDArray[np.float64],
        frames: int,
    ) -> bool:
        """Apply the turn timer; True when the game is over."""
        if values["turn"] == 0:
            self.inactive += frames
        else:
            self.inactive = 0
        if rewards[0] != 0:
            self.same = 0
        self.same += frames
        if self.same >= self.TURN_FRAMES:
            rewards[0 if values["turn"] == 0xFF else 1] -= 1.0
            self.same = 0
        return self.inactive > self.END_FRAMES


GAME = project_game("othello", version=0, rules=OthelloRules)
env, parallel_env, raw_env = env_fns(GAME)
