"""Entombed, competitive (Atari 2600): two explorers in a scrolling maze; outlive the other."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import numpy.typing as npt

from pettingretro.envs._factory import env_fns, project_game
from pettingretro.host import Button
from pettingretro.integration import IntegrationError
from pettingretro.parallel.game import Rules

PLAYERS_FLAG = 0xF4 - 0x80  # RAM index: 1 in the one-player game, 0 in the two-player game
COMPETITIVE, COOPERATIVE = 2, 3


class EntombedRules(Rules):
    """Entombed's two reward rules (ALE's), chosen by the mode, and each player's lives.

    Mode 2 (competitive) is the scenario's zero-sum lives difference. Mode 3 (cooperative)
    replaces it: both players get +1 on every step where the maze's substage counter rises,
    else 0. Lives (0-3, in the info dict) never fall below 0: the game ends for both players
    when either has none left (the scenario's done).
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

    def lives(self, values: Mapping[str, int]) -> Sequence[int]:
        """Each player's lives, 0-3."""
        return (values["p1_lives"], values["p2_lives_x16"] >> 4)

    @staticmethod
    def select_mode(
        press: Callable[[Mapping[int, int] | None, int], None],
        ram: npt.NDArray[np.uint8],
        mode: int,
    ) -> None:
        """Both two-player modes are the game's two-player game: SELECT until the flag is 0."""
        for _ in range(40):
            if ram[PLAYERS_FLAG] == 0:
                return
            press({0: 1 << Button.SELECT}, 1)
            press(None, 1)
        raise IntegrationError(
            f"entombed: pressing SELECT never reached the two-player game (mode {mode})"
        )


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
