"""Mario Bros. (Atari 2600): Mario and Luigi, one agent per joystick, each scoring for itself.

Lives: the RAM counts remaining men, ALE reports one less (-1 = out), declared in the
metadata's ``lives``.
"""

from pettingretro.envs._factory import env_fns, project_game

GAME = project_game("mario_bros", version=0)
env, parallel_env, raw_env = env_fns(GAME)
