"""Warlords (Atari 2600): four castles, one agent per paddle (paddles owned by the host)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from pettingretro.envs._factory import env_fns, project_game
from pettingretro.parallel.game import Rules

FALLEN = (0x80, 0x40, 0x20, 0x10)  # bit of ``castles`` set once player p's castle has fallen


class WarlordsRules(Rules):
    """Warlords as Multi-Agent-ALE scores it: -1 when your castle falls, +1 for the last one up.

    A fallen player's lives become -1, so its agent ends alone; the game is over when at most
    one castle stands, and every survivor then gets +1 instead of that frame's reward.
    """

    def reset(self, values: Mapping[str, int]) -> None:
        """Start counting from the episode's first values."""
        self._lives = [-1 if values["castles"] & bit else 0 for bit in FALLEN]

    def step(
        self,
        values: Mapping[str, int],
        deltas: Mapping[str, int],
        rewards: npt.NDArray[np.float64],
        frames: int,
    ) -> bool:
        """Set this step's rewards; True when the game is over."""
        lives = [-1 if values["castles"] & bit else 0 for bit in FALLEN]
        for p in range(4):
            rewards[p] = -1.0 if lives[p] < self._lives[p] else 0.0
        self._lives = lives
        if sum(1 for x in lives if x == 0) > 1:
            return False
        for p in range(4):
            if lives[p] == 0:
                rewards[p] = 1.0
        return True

    def lives(self, values: Mapping[str, int]) -> Sequence[int]:
        """Each player's lives as ALE reports them."""
        return self._lives


GAME = project_game("warlords", version=0, rules=WarlordsRules)
env, parallel_env, raw_env = env_fns(GAME)
