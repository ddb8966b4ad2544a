"""Entombed, competitive (Atari 2600): two explorers in a scrolling maze; outlive the other."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from pettingretro.envs._factory import env_fns, project_game
from pettingretro.parallel.game import Rules

COMPETITIVE, COOPERATIVE = 2, 3


class EntombedRules(Rules):
    """Entombed's two reward rules (ALE's), chosen by the mode.

    Mode 2 (competitive) is the scenario's zero-sum lives difference. Mode 3 (cooperative)
    replaces it: both players get +1 on every step where the maze's substage counter rises,
    else 0. Lives (0-3, in the info dict; the metadata's ``lives``) never fall below 0: the
    game ends for both players when either has none left (the scenario's done). Both modes are
    the game's two-player game, which the metadata's ``mode_select`` reaches (SELECT until
    ``players_flag`` is 0).
    """

    def reset(self, values: Mapping[str, int]) -> None:
        """Remember the substage the episode starts in."""
        self.substage = values["substage"]

    def step(
        self,
        values: Mapping[str, int],
        deltas: Mapping[str, int],
        rewards: npt.NDArray[np.float64],
        frames: int,
    ) -> bool:
        """In the cooperative mode, pay both players when the substage rises."""
        if self.mode == COOPERATIVE:
            rewards[:] = 1.0 if values["substage"] > self.substage else 0.0
        self.substage = values["substage"]
        return False


def competitive_mode(num_players: int = 2) -> int:
    """The default mode of ``entombed_competitive``: 2, the competitive reward."""
    return COMPETITIVE


GAME = project_game(
    "entombed",
    version=0,
    name="entombed_competitive",
    rules=EntombedRules,
    mode_for=competitive_mode,
)
env, parallel_env, raw_env = env_fns(GAME)
