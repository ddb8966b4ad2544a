"""Maze Craze: capture by a robber (real play) and the race's end (exit flag set by a RAM write)."""

from __future__ import annotations

import pytest
from _play import held_random

from pettingretro.envs import maze_craze_v0
from pettingretro.envs.maze_craze_v0 import mode_for


def test_caught_player_gets_minus_one_and_ends_alone() -> None:
    env = maze_craze_v0.parallel_env(obs_type="ram")  # robbers, full visibility (mode 4)
    env.reset(seed=0)
    assert env.mode == 4 and env.emu.ram[0xBD - 128] == 4
    caught = []
    for step, (_, rew, term, _, info) in held_random(env, 0, 3000, hold=1, agents=None):
        if any(rew.values()):
            caught.append((step, rew, term, info))
        if not env.agents:
            break
    # the second player is caught first: -1 to it alone, it ends, the first plays on
    step, rew, term, info = caught[0]
    assert rew == {"first_0": 0.0, "second_0": -1.0}
    assert term == {"first_0": False, "second_0": True} and info["second_0"]["lives"] == -1
    # then the first is caught too: -1 and the game is over
    step2, rew2, term2, _ = caught[1]
    assert step2 > step and rew2 == {"first_0": -1.0} and term2 == {"first_0": True}
    assert env.agents == []
    env.close()


def test_survivor_leaving_after_the_other_was_caught_gets_plus_one() -> None:
    env = maze_craze_v0.parallel_env(obs_type="ram")
    env.reset(seed=0)
    for _, (_, _, term, _, _) in held_random(env, 0, 3000, hold=1, agents=None):
        if term.get("second_0"):
            break
    assert env.agents == ["first_0"]
    env.emu.ram[0xEC - 128] = 0xFF  # RAM write: the first player has left the maze
    _, rew, term, _, _ = env.step({"first_0": 0})
    assert rew == {"first_0": 1.0} and term == {"first_0": True}
    env.close()


@pytest.mark.parametrize(("exit_addr", "expected"), [(0xEC, (1.0, -1.0)), (0xED, (-1.0, 1.0))])
def test_first_out_of_the_race_wins(exit_addr: int, expected: tuple[float, float]) -> None:
    env = maze_craze_v0.parallel_env(obs_type="ram", game_version="race")
    env.reset(seed=0)
    assert env.mode == 0
    for _ in range(60):
        _, rew, term, _, _ = env.step({})
        assert not any(rew.values()) and not any(term.values())
    env.emu.ram[exit_addr - 128] = 0xFF  # RAM write: that player reached the exit
    _, rew, term, _, _ = env.step({})
    assert (rew["first_0"], rew["second_0"]) == expected
    assert term == {"first_0": True, "second_0": True}
    env.close()


def test_mode_for_matches_pettingzoo() -> None:
    assert mode_for() == 4
    assert mode_for(game_version="race", visibilty_level=3) == 3
    assert mode_for(game_version="capture", visibilty_level=1) == 45
    assert mode_for(game_version="robbers", visibility_level=2) == 6
    with pytest.raises(ValueError, match="game_version"):
        mode_for(game_version="chase")
    with pytest.raises(ValueError, match="visibilty_level"):
        mode_for(visibilty_level=4)


def test_capture_mode_is_selected() -> None:
    env = maze_craze_v0.parallel_env(obs_type="ram", game_version="capture", visibilty_level=2)
    env.reset(seed=0)
    assert env.mode == 46 and env.emu.ram[0xBD - 128] == 46
    env.close()
