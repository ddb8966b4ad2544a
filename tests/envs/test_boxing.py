"""Boxing: a landed punch pays +1 to the puncher and -1 to the other; KO and the clock end the bout."""

from __future__ import annotations

import numpy as np
from _play import first_reward, play

from pettingretro.envs import boxing_v0

UP, RIGHT, LEFT, DOWN, FIRE = 2, 3, 4, 5, 1  # action index == ALE id (full minimal set)
P1_SCORE, P2_SCORE = 0x92 - 0x80, 0x93 - 0x80
X, Y = 0xA0 - 0x80, 0xA2 - 0x80  # x of player p at X+p, y at Y+p


def chase(ram: np.ndarray, me: int, t: int) -> int:
    """Line up a little above (P1) / below (P2) the opponent, close in, and jab."""
    off = -14 if me == 0 else 14
    dy = int(ram[Y + 1 - me]) + off - int(ram[Y + me])
    dx = int(ram[X + 1 - me]) - int(ram[X + me])
    if abs(dy) > 1:
        return DOWN if dy > 0 else UP
    if abs(dx) > 24:
        return RIGHT if dx > 0 else LEFT
    return FIRE if t % 8 < 4 else 0


def punch(env, me: int, limit: int = 400):
    """Step with player ``me`` chasing (the other idle) until someone is rewarded."""
    agents = ("first_0", "second_0")
    return first_reward(
        play(env, lambda t: {agents[me]: chase(env.emu.ram, me, t), agents[1 - me]: 0}, limit),
        f"player {me} landed no punch in {limit} steps",
    )


def test_each_player_scores_zero_sum():
    env = boxing_v0.parallel_env(obs_type="ram")
    for me, (mine, theirs) in enumerate(((P1_SCORE, P2_SCORE), (P2_SCORE, P1_SCORE))):
        env.reset(seed=0)
        assert env.emu.ram[mine] == 0 and env.emu.ram[theirs] == 0
        _, (_, rew, term, trunc, _) = punch(env, me)
        winner, loser = ("first_0", "second_0") if me == 0 else ("second_0", "first_0")
        assert rew == {winner: 1.0, loser: -1.0}
        assert env.emu.ram[mine] == 1 and env.emu.ram[theirs] == 0
        assert not any(term.values()) and not any(trunc.values())
    env.close()


def test_knockout_pays_one_and_ends_the_bout():
    # RAM set-up: P1 already has 99 punches (BCD 0x99); the 100th is a real punch, and the game
    # itself writes the KO byte 0xC0, which ALE (and we) count as 100, not as BCD "C0".
    env = boxing_v0.parallel_env(obs_type="ram")
    env.reset(seed=0)
    env.emu.ram[P1_SCORE] = 0x99
    env.step({"first_0": 0, "second_0": 0})  # the write itself shows up as a +99 jump: ignore it
    _, (_, rew, term, _, _) = punch(env, 0)
    assert env.emu.ram[P1_SCORE] == 0xC0
    assert rew == {"first_0": 1.0, "second_0": -1.0}
    assert term == {"first_0": True, "second_0": True}
    assert env.agents == []
    env.close()


def test_clock_runs_out():
    # Two minutes of idle boxing: 7139 frames on ALE too. frameskip=4 keeps the test short.
    env = boxing_v0.parallel_env(obs_type="ram", frameskip=4)
    env.reset(seed=0)
    total = {"first_0": 0.0, "second_0": 0.0}
    steps = 0
    while env.agents and steps < 2000:
        _, rew, term, _, _ = env.step({"first_0": 0, "second_0": 0})
        steps += 1
        for a in rew:
            total[a] += rew[a]
    assert term == {"first_0": True, "second_0": True}
    assert 7136 <= steps * 4 <= 7143
    assert env.emu.ram[0x90 - 0x80] >> 4 == 0 and env.emu.ram[0x91 - 0x80] == 0
    assert total == {"first_0": 0.0, "second_0": 0.0}
    env.close()
