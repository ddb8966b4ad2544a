"""Pong (Video Olympics, Atari 2600): two paddles (four in team modes), one agent each."""

from pettingretro.envs._factory import env_fns, project_game

#: PettingZoo's pong_v3 ``game_version`` → game mode for 2 and 4 players.
GAME_VERSIONS = {
    "classic": {2: 4, 4: 6},
    "two_paddles": {2: 10, 4: 11},
    "soccer": {2: 14, 4: 16},
    "foozpong": {2: 19, 4: 21},
    "hockey": {2: 27, 4: 29},
    "handball": {2: 35, 4: 37},
    "volleyball": {2: 39, 4: 41},
    "basketball": {2: 45, 4: 49},
    "quadrapong": {4: 33},
}


def mode_for(num_players: int, game_version: str = "classic") -> int:
    """The mode PettingZoo's pong_v3 picks for ``game_version`` and the player count."""
    if game_version not in GAME_VERSIONS:
        raise ValueError(
            f"game_version must be one of {', '.join(GAME_VERSIONS)}, got {game_version!r}"
        )
    modes = GAME_VERSIONS[game_version]
    if num_players not in modes:
        raise ValueError(
            f"pong's {game_version!r} is played by {' or '.join(map(str, modes))} players"
        )
    return modes[num_players]


GAME = project_game("pong", version=0, mode_for=mode_for)
env, parallel_env, raw_env = env_fns(GAME)
