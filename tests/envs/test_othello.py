"""Othello rewards and the turn timer on the Stella core (real play)."""

from __future__ import annotations

import numpy as np

from pettingretro.envs import othello_v0
from pettingretro.envs.othello_v0 import OthelloRules


def bcd(b: int) -> int:
    b = int(b)
    return (b >> 4) * 10 + (b & 0xF)


def test_white_move_is_zero_sum_and_stalling_costs_the_player_to_move() -> None:
    env = othello_v0.parallel_env(obs_type="ram")
    env.reset(seed=0)
    ram = env.emu.ram
    assert env.emu.ram[0xC0 - 128] == 0xFF  # white (first_0) to move
    assert (bcd(ram[0xCE - 128]), bcd(ram[0xD0 - 128])) == (2, 2)
    rng = np.random.default_rng(0)
    events = []
    for step in range(1100):
        _, rew, term, _, _ = env.step({"first_0": int(rng.integers(10))})  # black idles
        if any(rew.values()):
            events.append(
                (step, rew, bcd(ram[0xCE - 128]), bcd(ram[0xD0 - 128]), int(ram[0xC0 - 128]))
            )
        assert not any(term.values())
    # white places a disc (the counters update over two frames): +3 for white, -3 for black
    assert events[0][1] == {"first_0": 1.0, "second_0": -1.0} and events[0][2:4] == (3, 2)
    assert events[1][1] == {"first_0": 2.0, "second_0": -2.0} and events[1][2:4] == (4, 1)
    assert events[1][4] == 1  # black to move now
    # black does not move for 600 frames: only black is penalised
    step, rew = events[2][0], events[2][1]
    assert rew == {"first_0": 0.0, "second_0": -1.0}
    assert step - events[1][0] == 599  # the count restarts on the frame the disc difference changed
    env.close()


def test_first_stall_penalises_white_after_600_frames() -> None:
    env = othello_v0.parallel_env(obs_type="ram")
    env.reset(seed=0)
    got = []
    for step in range(1250):
        _, rew, *_ = env.step({})
        if any(rew.values()):
            got.append((step, rew))
    assert got == [
        (599, {"first_0": -1.0, "second_0": 0.0}),
        (1199, {"first_0": -1.0, "second_0": 0.0}),
    ]
    env.close()


def test_game_over_after_75_frames_without_a_player_to_move() -> None:
    rules = OthelloRules(2, 4)
    rules.reset({"white": 30, "black": 34, "turn": 0})
    r = np.zeros(2)
    ended = [rules.step({"white": 30, "black": 34, "turn": 0}, {}, r, 1) for _ in range(76)]
    assert ended[:75] == [False] * 75 and ended[75] is True
