"""Game rules shared by several env modules (serve and turn timers, team rewards)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from pettingretro.parallel.game import Rules


class PongRules(Rules):
    """Video Olympics as PettingZoo plays it: a team that holds the serve too long is penalised.

    After 120 frames in a row with the ball still (high nibble of ``ball_state`` zero), the
    serving team (``server`` 0: second and fourth players, else first and third) gets -1 and the
    count restarts, so rewards are not zero-sum.
    """

    STALL_FRAMES = 120

    def reset(self, values: Mapping[str, int]) -> None:
        self.still = 0

    def step(
        self,
        values: Mapping[str, int],
        deltas: Mapping[str, int],
        rewards: npt.NDArray[np.float64],
        frames: int,
    ) -> bool:
        if values["ball_state"] & 0xF0:
            self.still = 0
            return False
        self.still += frames
        if self.still >= self.STALL_FRAMES:
            self.still = 0
            team = (1, 3) if values["server"] == 0 else (0, 2)
            for p in team:
                if p < self.num_players:
                    rewards[p] -= 1.0
        return False
