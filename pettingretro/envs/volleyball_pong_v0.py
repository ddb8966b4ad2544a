"""Volleyball Pong (Video Olympics, Atari 2600): four paddles (two with num_players=2) bump the ball over a net."""

from pettingretro.envs._factory import game_env_fns
from pettingretro.envs._rules import PongRules

MODES = {2: 39, 4: 41}


def mode_for(num_players: int) -> int:
    """PettingZoo's volleyball_pong: mode 39 for 2 players, 41 for 4."""
    return MODES[num_players]


env, parallel_env, raw_env = game_env_fns(
    "pong",
    version=0,
    name="volleyball_pong",
    rules=PongRules,
    mode_for=mode_for,
    defaults={"num_players": 4},
)
