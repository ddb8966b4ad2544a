"""Flag Capture: finding the flag pays its finder +1 (independent rewards); 99 ends the game."""

from __future__ import annotations

import pytest
from _play import first_reward, play

from pettingretro.envs import flag_capture_v0

UP, RIGHT, LEFT, DOWN, FIRE = 2, 3, 4, 5, 1
COL, ROW = 0x80 - 0x80, 0x82 - 0x80  # player p's cell: COL+p, ROW+p
FLAG_COL, FLAG_ROW = 0x90 - 0x80, 0x91 - 0x80
P1_SCORE, P2_SCORE, P1_DIGITS, MODE = 0xEA - 0x80, 0xEB - 0x80, 0xAB - 0x80, 0xD6 - 0x80
AGENTS = ("first_0", "second_0")


def seek(ram, me: int, t: int) -> int:
    """Walk to the flag's cell (read from RAM), then probe it with FIRE now and then."""
    col, row = int(ram[COL + me]), int(ram[ROW + me])
    fcol, frow = int(ram[FLAG_COL]), int(ram[FLAG_ROW])
    if (col, row) != (fcol, frow):
        return RIGHT if col < fcol else LEFT if col > fcol else DOWN if row < frow else UP
    return FIRE if t % 40 >= 30 else 0


def capture(env, me: int, limit: int = 600):
    return first_reward(
        play(env, lambda t: {AGENTS[me]: seek(env.emu.ram, me, t), AGENTS[1 - me]: 0}, limit),
        f"{AGENTS[me]} found no flag in {limit} steps",
    )


@pytest.mark.parametrize("me", [0, 1])
def test_capture_pays_the_finder_only(me):
    env = flag_capture_v0.parallel_env(obs_type="ram")
    env.reset(seed=0)
    assert env.emu.ram[MODE] == 1
    mine, theirs = (P1_SCORE, P2_SCORE) if me == 0 else (P2_SCORE, P1_SCORE)
    _, (_, rew, term, _, _) = capture(env, me)
    assert rew == {AGENTS[me]: 1.0, AGENTS[1 - me]: 0.0}  # no penalty for the other player
    assert env.emu.ram[mine] == 1 and env.emu.ram[theirs] == 0
    assert not any(term.values())
    env.close()


def test_first_players_real_score_not_ales_digit_offset():
    # ALE/PettingZoo read first_0's score at 0xAB, which holds the score's digit-graphics
    # offset, (score + 1) * 5: their first_0 would get +5 for this capture. We read 0xEA.
    env = flag_capture_v0.parallel_env(obs_type="ram")
    env.reset(seed=0)
    assert env.emu.ram[P1_DIGITS] == 5
    _, (_, rew, _, _, _) = capture(env, 0)
    for _ in range(60):
        env.step({"first_0": 0, "second_0": 0})
    assert env.emu.ram[P1_SCORE] == 1 and env.emu.ram[P1_DIGITS] == 10
    assert rew["first_0"] == 1.0
    env.close()


def test_99_ends_the_game():
    # RAM set-up: second_0 already has 98 (BCD 0x98); the 99th flag is a real capture.
    env = flag_capture_v0.parallel_env(obs_type="ram")
    env.reset(seed=0)
    env.emu.ram[P2_SCORE] = 0x98
    env.step({"first_0": 0, "second_0": 0})  # the write itself shows up as a +98 jump: ignore it
    _, (_, rew, term, _, _) = capture(env, 1)
    assert env.emu.ram[P2_SCORE] == 0x99
    assert rew == {"first_0": 0.0, "second_0": 1.0}
    assert term == {"first_0": True, "second_0": True}
    env.close()


def test_modes():
    for mode in (2, 3, 4):
        env = flag_capture_v0.parallel_env(obs_type="ram", mode=mode)
        env.reset()
        assert env.emu.ram[MODE] == mode
        env.close()
    with pytest.raises(ValueError, match="no such 2-player mode"):
        flag_capture_v0.parallel_env(mode=8)  # one-player modes are not offered
