"""Surround (Atari 2600): two snakes that must not crash, one agent per joystick.

This core wires the ROM without ALE's port swap, so the first agent (PettingZoo's ``first_0``,
ALE's player A) drives libretro port 1 and the second drives port 0 (see
docs/notes/stella-core.md, section 5). Rewards and the end (a score of 10) are pure data.
"""

from pettingretro.envs._factory import env_fns, project_game

GAME = project_game("surround", version=0)
env, parallel_env, raw_env = env_fns(GAME)
