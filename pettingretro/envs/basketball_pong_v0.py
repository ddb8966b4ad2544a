"""Basketball Pong (Video Olympics, Atari 2600): two paddles (four with num_players=4) throw the ball into the other side's hoop."""

from pettingretro.envs._factory import game_env_fns
from pettingretro.envs._rules import PongRules

MODES = {2: 45, 4: 49}


def mode_for(num_players: int) -> int:
    """PettingZoo's basketball_pong: mode 45 for 2 players, 49 for 4."""
    return MODES[num_players]


env, parallel_env, raw_env = game_env_fns(
    "pong",
    version=0,
    name="basketball_pong",
    rules=PongRules,
    mode_for=mode_for,
    defaults={"num_players": 2},
)
