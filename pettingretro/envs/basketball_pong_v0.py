"""Basketball Pong (Video Olympics, Atari 2600): two paddles (four with num_players=4) throw the ball into the other side's hoop."""

from pettingretro.envs._factory import env_fns, project_game

MODES = {2: 45, 4: 49}


def mode_for(num_players: int) -> int:
    """PettingZoo's basketball_pong: mode 45 for 2 players, 49 for 4."""
    return MODES[num_players]


GAME = project_game(
    "pong",
    version=0,
    name="basketball_pong",
    mode_for=mode_for,
    defaults={"num_players": 2},
)
env, parallel_env, raw_env = env_fns(GAME)
