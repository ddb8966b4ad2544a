"""Entombed, cooperative (Atari 2600): two explorers in a scrolling maze, rewarded for depth together."""

from __future__ import annotations

from pettingretro.envs._factory import env_fns, project_game
from pettingretro.envs.entombed_competitive_v0 import COOPERATIVE, EntombedRules


def cooperative_mode(num_players: int = 2) -> int:
    """The default mode of ``entombed_cooperative``: 3, the cooperative reward."""
    return COOPERATIVE


GAME = project_game(
    "entombed",
    version=0,
    name="entombed_cooperative",
    rules=EntombedRules,
    mode_for=cooperative_mode,
)
env, parallel_env, raw_env = env_fns(GAME)
