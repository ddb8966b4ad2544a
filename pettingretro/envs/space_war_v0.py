"""Space War (Atari 2600): two spaceships duel, one agent per joystick (zero-sum)."""

from pettingretro.envs._factory import game_env_fns

env, parallel_env, raw_env = game_env_fns("space_war", version=0)
