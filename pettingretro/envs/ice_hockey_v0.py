"""Ice Hockey (Atari 2600): two-on-two hockey, one agent per team (joystick)."""

from pettingretro.envs._factory import env_fns, project_game

GAME = project_game("ice_hockey", version=0)
env, parallel_env, raw_env = env_fns(GAME)
