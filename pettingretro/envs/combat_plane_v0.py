"""Combat, plane games (Atari 2600): two planes, one agent per joystick; a hit scores a point."""

from __future__ import annotations

from pettingretro.envs._factory import env_fns, project_game

_PLANE_MODES = {"bi-plane": 15, "jet": 21}


def plane_mode(
    num_players: int = 2, game_version: str = "bi-plane", guided_missile: bool = True
) -> int:
    """PettingZoo's combat_plane arguments as a game mode (the defaults give mode 15).

    Args:
        num_players: always 2.
        game_version: ``"bi-plane"`` or ``"jet"`` (jets are faster).
        guided_missile: shots can be steered after firing (else they fly straight).

    Raises:
        ValueError: an unknown ``game_version``.
    """
    if game_version not in _PLANE_MODES:
        raise ValueError(f"game_version must be 'jet' or 'bi-plane', got {game_version!r}")
    return _PLANE_MODES[game_version] + (0 if guided_missile else 1)


GAME = project_game("combat", version=0, name="combat_plane", mode_for=plane_mode)
env, parallel_env, raw_env = env_fns(GAME)
