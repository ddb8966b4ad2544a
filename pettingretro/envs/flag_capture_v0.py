"""Flag Capture (Atari 2600): two players search a hidden grid for the flag, one agent per joystick."""

from pettingretro.envs._factory import env_fns, project_game

GAME = project_game("flag_capture", version=0)
env, parallel_env, raw_env = env_fns(GAME)
