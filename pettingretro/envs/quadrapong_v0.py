"""Quadrapong (Video Olympics, Atari 2600): four paddles, one per wall, in two teams of two."""

from pettingretro.envs._factory import env_fns, project_game


def mode_for(num_players: int) -> int:
    """PettingZoo's quadrapong: mode 33, four players only."""
    if num_players != 4:
        raise ValueError(f"quadrapong is played by 4 players, not {num_players}")
    return 33


GAME = project_game(
    "pong",
    version=0,
    name="quadrapong",
    mode_for=mode_for,
    defaults={"num_players": 4},
)
env, parallel_env, raw_env = env_fns(GAME)
