"""Space War (Atari 2600): two spaceships duel, one agent per joystick (zero-sum)."""

from pettingretro.envs._factory import env_fns, project_game

GAME = project_game("space_war", version=0)
env, parallel_env, raw_env = env_fns(GAME)
