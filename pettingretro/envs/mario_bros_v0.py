"""Mario Bros. (Atari 2600): Mario and Luigi, one agent per joystick, each scoring for itself."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pettingretro.envs._factory import env_fns, project_game
from pettingretro.parallel.game import Rules


class MarioBrosRules(Rules):
    """Per-player lives: the RAM counts remaining men, ALE reports one less (-1 = out)."""

    def lives(self, values: Mapping[str, int]) -> Sequence[int]:
        """Each player's lives byte minus one."""
        return (values["p1_lives"] - 1, values["p2_lives"] - 1)


GAME = project_game("mario_bros", version=0, rules=MarioBrosRules)
env, parallel_env, raw_env = env_fns(GAME)
