"""Pong (Video Olympics, Atari 2600): two paddles (four in team modes), one agent each."""

from pettingretro.envs._factory import game_env_fns
from pettingretro.envs._rules import PongRules

env, parallel_env, raw_env = game_env_fns("pong", version=0, rules=PongRules)
