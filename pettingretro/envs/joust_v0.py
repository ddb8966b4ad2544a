"""Joust (Atari 2600): two ostrich riders, one agent per joystick, each scoring for itself.

Scores (six BCD bytes) and the game-over conditions are in the scenario: a score is
``lo + 100*mid + 10000*hi``, so rewarding each byte's delta with weights 1/100/10000 (penalty =
reward, for the carries) gives exactly the score's change. Lives are the signed RAM bytes
(-1 = out, the agent ends alone), declared in the metadata's ``lives``.
"""

from pettingretro.envs._factory import env_fns, project_game

GAME = project_game("joust", version=0)
env, parallel_env, raw_env = env_fns(GAME)
