"""Boxing (Atari 2600): two boxers, one agent per joystick; a punch landed scores a point."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from pettingretro.envs._factory import env_fns, project_game
from pettingretro.parallel.game import Rules

KO = 0xC0  # a score byte reads 0xC0 ("KO") once a boxer lands 100 punches


def _score(raw: int) -> int:
    """A score byte as ALE reads it: BCD, with the KO byte counting 100."""
    return 100 if raw == KO else (raw & 0xF) + 10 * (raw >> 4)


class BoxingRules(Rules):
    """The scenario pays the BCD score difference; this fixes the frame a knockout shows.

    The KO byte 0xC0 is not a BCD number (the scenario would read it as 20), so on frames where
    either score byte is or was 0xC0 the zero-sum reward is recomputed with KO = 100, as ALE does.
    """

    def reset(self, values: Mapping[str, int]) -> None:
        """Remember the score bytes the episode starts with."""
        self.raw = (values["p1_raw"], values["p2_raw"])

    def step(
        self,
        values: Mapping[str, int],
        deltas: Mapping[str, int],
        rewards: npt.NDArray[np.float64],
        frames: int,
    ) -> bool:
        """Recompute the rewards on a knockout frame; the game ends through the scenario."""
        raw = (values["p1_raw"], values["p2_raw"])
        if KO in raw or KO in self.raw:
            before = _score(self.raw[0]) - _score(self.raw[1])
            after = _score(raw[0]) - _score(raw[1])
            rewards[0] = after - before
            rewards[1] = before - after
        self.raw = raw
        return False


GAME = project_game("boxing", version=0, rules=BoxingRules)
env, parallel_env, raw_env = env_fns(GAME)
