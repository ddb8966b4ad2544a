"""Volleyball Pong (Video Olympics, Atari 2600): four paddles (two with num_players=2) bump the ball over a net."""

from pettingretro.envs._factory import env_fns, project_game

MODES = {2: 39, 4: 41}


def mode_for(num_players: int) -> int:
    """PettingZoo's volleyball_pong: mode 39 for 2 players, 41 for 4."""
    return MODES[num_players]


GAME = project_game(
    "pong",
    version=0,
    name="volleyball_pong",
    mode_for=mode_for,
    defaults={"num_players": 4},
)
env, parallel_env, raw_env = env_fns(GAME)
