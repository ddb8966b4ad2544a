"""Wizard of Wor (Atari 2600): two worriors in the dungeon, one agent per joystick, with lives."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from pettingretro.envs._factory import env_fns, project_game
from pettingretro.parallel.game import Rules


def _score(lo: int, hi: int) -> int:
    """A player's points from its two BCD score bytes (the 8000 flag removed), as ALE counts."""
    s = lo + 100 * hi
    if s >= 8000:
        s -= 8000
    return s * 100


class WizardOfWorRules(Rules):
    """Wizard of Wor as Multi-Agent-ALE scores it.

    Each player is paid its own score change (independent, not zero-sum). Lives are the low
    nibble of the lives byte minus 1, refreshed only while the player is waiting (the
    ``*_active`` bit clear), so an agent ends alone once its lives fall below 0. The game is
    over when the first player's lives byte shows -1, ``game_state`` is 0xF8 and the second
    player's lives byte shows -1.
    """

    def reset(self, values: Mapping[str, int]) -> None:
        """Start counting from the episode's first values."""
        self.scores = [
            _score(values["p1_score_lo"], values["p1_score_hi"]),
            _score(values["p2_score_lo"], values["p2_score_hi"]),
        ]
        self._lives = [2, 2]

    def step(
        self,
        values: Mapping[str, int],
        deltas: Mapping[str, int],
        rewards: npt.NDArray[np.float64],
        frames: int,
    ) -> bool:
        """Set this step's rewards; True when the game is over."""
        for p, tag in enumerate(("p1", "p2")):
            s = _score(values[f"{tag}_score_lo"], values[f"{tag}_score_hi"])
            rewards[p] = s - self.scores[p]
            self.scores[p] = s
            if values[f"{tag}_active"] == 0:
                self._lives[p] = values[f"{tag}_lives"] - 1
        return values["p1_lives"] == 0 and values["game_state"] == 0xF8 and values["p2_lives"] == 0

    def lives(self, values: Mapping[str, int]) -> Sequence[int]:
        """Each player's lives as ALE reports them."""
        return self._lives


GAME = project_game("wizard_of_wor", version=0, rules=WizardOfWorRules)
env, parallel_env, raw_env = env_fns(GAME)
