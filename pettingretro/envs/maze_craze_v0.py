"""Maze Craze (Atari 2600, PAL): a race out of a maze, one agent per joystick."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from pettingretro.envs._factory import env_fns, project_game
from pettingretro.parallel.game import Rules

#: PettingZoo's ``game_version`` names and the game numbers they stand for.
GAME_VERSIONS = {"robbers": 2, "race": 1, "capture": 12}


def mode_for(
    num_players: int = 2, game_version: str = "robbers", visibilty_level: int = 0, **kwargs: int
) -> int:
    """PettingZoo's mode: ``(game - 1) * 4 + visibilty_level`` (its spelling; ``visibility_level`` also works)."""
    if "visibility_level" in kwargs:
        visibilty_level = kwargs.pop("visibility_level")
    if kwargs:
        raise TypeError(f"maze_craze_v0 got unexpected keyword arguments: {', '.join(kwargs)}")
    if game_version not in GAME_VERSIONS:
        raise ValueError(
            f"game_version must be one of {', '.join(GAME_VERSIONS)}, got {game_version!r}"
        )
    if (
        isinstance(visibilty_level, bool)
        or not isinstance(visibilty_level, int)
        or not 0 <= visibilty_level < 4
    ):
        raise ValueError(
            f"visibilty_level must be 0 (all visible) to 3 (invisible), got {visibilty_level!r}"
        )
    return (GAME_VERSIONS[game_version] - 1) * 4 + visibilty_level


class MazeCrazeRules(Rules):
    """Maze Craze as PettingZoo plays it (all rewards come from here).

    A player caught by a robber (bit 0x40 of its ``stuck`` byte) gets -1 once and is out
    (lives -1). When exactly one player has exited (exit byte 0xFF): if a player is out, the
    other gets +1; otherwise the exiting player gets +1 and the other -1. The game is over
    when someone has exited (alone) or both are out.
    """

    def reset(self, values: Mapping[str, int]) -> None:
        """Both players start in the maze."""
        self.alive = [True, True]

    def step(
        self,
        values: Mapping[str, int],
        deltas: Mapping[str, int],
        rewards: npt.NDArray[np.float64],
        frames: int,
    ) -> bool:
        """Set this frame's rewards; True when the game is over."""
        r = [0.0, 0.0]
        for p, key in enumerate(("p1_stuck", "p2_stuck")):
            if self.alive[p] and values[key]:
                self.alive[p] = False
                r[p] = -1.0
        c = int(values["p1_exit"] == 0xFF) - int(values["p2_exit"] == 0xFF)
        if c != 0:
            if not self.alive[0]:
                r[1] = 1.0
            elif not self.alive[1]:
                r[0] = 1.0
            else:
                r = [float(c), float(-c)]
        rewards[:2] = r
        return c != 0 or not (self.alive[0] or self.alive[1])

    def lives(self, values: Mapping[str, int]) -> Sequence[int]:
        """0 while a player is in the game, -1 once caught."""
        return tuple(0 if a else -1 for a in self.alive)


GAME = project_game("maze_craze", version=0, rules=MazeCrazeRules, mode_for=mode_for)
env, parallel_env, raw_env = env_fns(GAME)
