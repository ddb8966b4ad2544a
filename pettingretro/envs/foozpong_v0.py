"""Foozpong (Video Olympics, Atari 2600): four paddles (two with num_players=2) in foosball rows."""

from pettingretro.envs._factory import env_fns, project_game

MODES = {2: 19, 4: 21}


def mode_for(num_players: int) -> int:
    """PettingZoo's foozpong: mode 19 for 2 players, 21 for 4."""
    return MODES[num_players]


GAME = project_game(
    "pong",
    version=0,
    name="foozpong",
    mode_for=mode_for,
    defaults={"num_players": 4},
)
env, parallel_env, raw_env = env_fns(GAME)
