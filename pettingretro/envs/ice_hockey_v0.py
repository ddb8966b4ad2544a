"""Ice Hockey (Atari 2600): two-on-two hockey, one agent per team (joystick)."""

from pettingretro.envs._factory import game_env_fns

env, parallel_env, raw_env = game_env_fns("ice_hockey", version=0)
