"""Tennis (Atari 2600): two players, one agent per joystick, with ALE's serve timer."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from pettingretro.envs._factory import env_fns, project_game
from pettingretro.parallel.game import Rules


class TennisRules(Rules):
    """Tennis as Multi-Agent-ALE scores it.

    A won game pays the difference of games (+1 to the winner, -1 to the loser) and hides the
    point reset that comes with it; otherwise a won point pays the difference of points. The
    set ends at 6 games with a lead of 2, or at 7 games. Serve timer: after 180 frames in a
    row with ``serve_stall`` nonzero, the player who must serve gets -1 (the frame's other
    rewards are dropped, as in ALE): the first player while an even number of games has been
    played, else the second.
    """

    STALL_FRAMES = 180

    def reset(self, values: Mapping[str, int]) -> None:
        """Start counting from the episode's first values."""
        self.games = values["p1_games"] - values["p2_games"]
        self.points = values["p1_points"] - values["p2_points"]
        self.turns = 0
        self.no_serve = 0

    def step(
        self,
        values: Mapping[str, int],
        deltas: Mapping[str, int],
        rewards: npt.NDArray[np.float64],
        frames: int,
    ) -> bool:
        """Set this step's rewards; True when the game is over."""
        g1, g2 = values["p1_games"], values["p2_games"]
        games = g1 - g2
        points = values["p1_points"] - values["p2_points"]
        if games != self.games:
            r = games - self.games
            self.turns += 1
        elif points != self.points:
            r = points - self.points
        else:
            r = 0
        self.games, self.points = games, points
        rewards[0] += r
        rewards[1] -= r
        if values["serve_stall"] == 0:
            self.no_serve = 0
        self.no_serve += frames
        if self.no_serve >= self.STALL_FRAMES:
            rewards[:] = 0.0
            rewards[self.turns % 2] = -1.0
            self.no_serve = 0
        return (g1 >= 6 and games >= 2) or (g2 >= 6 and games <= -2) or g1 == 7 or g2 == 7


GAME = project_game("tennis", version=0, rules=TennisRules)
env, parallel_env, raw_env = env_fns(GAME)
