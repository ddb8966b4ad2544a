"""Video Checkers (Atari 2600): black (first agent) against white (second), turn by turn."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from pettingretro.envs._factory import env_fns, project_game
from pettingretro.parallel.game import Rules

SQUARES = tuple(f"square_{i:02d}" for i in range(32))
BLACK = (0x10, 0x20)  # man, king of the first player
WHITE = (0x90, 0xA0)  # man, king of the second player


class VideoCheckersRules(Rules):
    """Video Checkers as Multi-Agent-ALE scores it: only the end pays, plus a turn timer.

    The player left without pieces gets -1 and the other +1 (the other way round in the
    "reverse" modes 11-19, which are one-player only in ALE), and the game ends. The player to
    move (white while the high nibble of ``turn`` is nonzero) gets -1 every time its turn has
    lasted more than 600 frames.
    """

    TURN_FRAMES = 600

    def reset(self, values: Mapping[str, int]) -> None:
        """Start counting from the episode's first values."""
        self.white_turn = bool(values["turn"] >> 4)
        self.same = 0

    def step(
        self,
        values: Mapping[str, int],
        deltas: Mapping[str, int],
        rewards: npt.NDArray[np.float64],
        frames: int,
    ) -> bool:
        """Set this step's rewards; True when the game is over."""
        board = [values[s] for s in SQUARES]
        black = sum(v in BLACK for v in board)
        white = sum(v in WHITE for v in board)
        white_turn = bool(values["turn"] >> 4)
        if white_turn != self.white_turn:
            self.same = 0
        self.same += frames
        self.white_turn = white_turn
        rewards[:] = 0.0
        if self.same > self.TURN_FRAMES:
            rewards[1 if white_turn else 0] = -1.0
            self.same = 0
        if black and white:
            return False
        r1 = -1.0 if black == 0 else 1.0
        if self.mode is not None and self.mode >= 11:
            r1 = -r1
        rewards[0], rewards[1] = r1, -r1
        return True


GAME = project_game("video_checkers", version=0, rules=VideoCheckersRules)
env, parallel_env, raw_env = env_fns(GAME)
