"""Combat, tank games (Atari 2600): two tanks, one agent per joystick; a hit scores a point."""

from __future__ import annotations

from pettingretro.envs._factory import env_fns, project_game

# Combat's tank game numbers (1-based, as ALE counts) without a maze, by (is_invisible, billiard_hit);
# the same game with a maze is the next number.
_TANK_MODES = {(False, False): 1, (False, True): 8, (True, False): 10, (True, True): 13}


def tank_mode(
    num_players: int = 2,
    has_maze: bool = True,
    is_invisible: bool = False,
    billiard_hit: bool = True,
) -> int:
    """PettingZoo's combat_tank arguments as a game mode (the defaults give mode 9).

    Args:
        num_players: always 2.
        has_maze: walls on the field.
        is_invisible: tanks are invisible except when firing or hitting a wall.
        billiard_hit: shots bounce off walls.
    """
    return _TANK_MODES[(bool(is_invisible), bool(billiard_hit))] + bool(has_maze)


GAME = project_game("combat", version=0, name="combat_tank", mode_for=tank_mode)
env, parallel_env, raw_env = env_fns(GAME)
