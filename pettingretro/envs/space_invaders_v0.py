"""Space Invaders (Atari 2600): two cannons, one agent per joystick, each scoring for itself."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from pettingretro.envs._factory import env_fns, project_game
from pettingretro.parallel.game import Rules


def mode_for(
    num_players: int = 2,
    alternating_control: bool = False,
    moving_shields: bool = True,
    zigzaging_bombs: bool = False,
    fast_bomb: bool = False,
    invisible_invaders: bool = False,
) -> int:
    """PettingZoo's mode: 33 plus one bit per game option."""
    return 33 + (
        bool(moving_shields) * 1
        + bool(zigzaging_bombs) * 2
        + bool(fast_bomb) * 4
        + bool(invisible_invaders) * 8
        + bool(alternating_control) * 16
    )


class SpaceInvadersRules(Rules):
    """Scores and the shared lives of Space Invaders.

    Each score is BCD over two bytes that are not next to each other (``lo + 100*hi``); the
    reward is its change, and a drop means the score wrapped at 10000 (as ALE counts it).
    Both players share one lives counter (RAM minus one: the metadata's ``lives``): when it
    reaches -1 both end.
    """

    WRAP = 10000

    def reset(self, values: Mapping[str, int]) -> None:
        """Remember the starting scores."""
        self.scores = [self._score(values, p) for p in range(2)]

    @staticmethod
    def _score(values: Mapping[str, int], p: int) -> int:
        return values[f"p{p + 1}_score_lo"] + 100 * values[f"p{p + 1}_score_hi"]

    def step(
        self,
        values: Mapping[str, int],
        deltas: Mapping[str, int],
        rewards: npt.NDArray[np.float64],
        frames: int,
    ) -> bool:
        """Reward each player's score change (wrapping at 10000)."""
        for p in range(2):
            new = self._score(values, p)
            d = new - self.scores[p]
            if d < 0:
                d = (self.WRAP - self.scores[p]) + new
            rewards[p] += d
            self.scores[p] = new
        return False


GAME = project_game("space_invaders", version=0, rules=SpaceInvadersRules, mode_for=mode_for)
env, parallel_env, raw_env = env_fns(GAME)
