"""Joust (Atari 2600): two ostrich riders, one agent per joystick, each scoring for itself."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pettingretro.envs._factory import env_fns, project_game
from pettingretro.parallel.game import Rules


class JoustRules(Rules):
    """Per-player lives (signed RAM bytes; -1 = out): an agent that is out ends alone.

    Scores (six BCD bytes) and the game-over conditions are in the data: a score is
    ``lo + 100*mid + 10000*hi``, so rewarding each byte's delta with weights 1/100/10000
    (penalty = reward, for the carries) gives exactly the score's change.
    """

    def lives(self, values: Mapping[str, int]) -> Sequence[int]:
        """Each player's signed lives byte (-1 = out)."""
        return (values["p1_lives"], values["p2_lives"])


GAME = project_game("joust", version=0, rules=JoustRules)
env, parallel_env, raw_env = env_fns(GAME)
