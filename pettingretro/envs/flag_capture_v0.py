"""Flag Capture (Atari 2600): two players search a hidden grid for the flag, one agent per joystick."""

from pettingretro.envs._factory import game_env_fns

env, parallel_env, raw_env = game_env_fns("flag_capture", version=0)
