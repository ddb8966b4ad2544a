"""Double Dunk: baskets pay zero-sum score differences; the stall timer penalises a stalling side."""

from __future__ import annotations

import pytest
from _play import first_reward, held_random

from pettingretro.envs import double_dunk_v0

P1_SCORE, P2_SCORE, STALL, OPTIONS = 0xF6 - 0x80, 0xF7 - 0x80, 0x89 - 0x80, 0x80 - 0x80
AGENTS = ("first_0", "second_0")


@pytest.mark.parametrize(
    ("mode", "bits"), [(16, 0x40), (31, 0x40 | 0x08 | 0x10 | 0x04 | 0x20), (21, 0x40 | 0x08 | 0x04)]
)
def test_option_menu_sets_the_mode_bits(mode, bits):
    env = double_dunk_v0.parallel_env(obs_type="ram", mode=mode)
    env.reset()
    assert env.emu.ram[OPTIONS] & 0x7C == bits
    env.close()


@pytest.mark.parametrize(("seed", "scorer", "by"), [(1, 0, 130), (8, 1, 128)])
def test_basket_is_zero_sum(seed, scorer, by):
    env = double_dunk_v0.parallel_env(obs_type="ram")
    env.reset(seed=0)
    mine, theirs = (P1_SCORE, P2_SCORE) if scorer == 0 else (P2_SCORE, P1_SCORE)
    t, (_, rew, term, _, _) = first_reward(held_random(env, seed, by + 1))
    assert t == by
    assert rew == {AGENTS[scorer]: 1.0, AGENTS[1 - scorer]: -1.0}
    assert env.emu.ram[mine] == 1 and env.emu.ram[theirs] == 0  # BCD: a basket counts up 1, then 2
    assert not any(term.values())
    env.close()


def test_stall_penalty():
    # Seed 12: the count restarts at 1 on a frame where the play byte is nonzero without bit
    # 0x80/0x40, and the penalty comes when it passes 120; bit 0x80 means the first player
    # stalls: first_0 -1, second_0 0, no score change.
    env = double_dunk_v0.parallel_env(obs_type="ram")
    env.reset(seed=0)
    stall_bytes = []

    def recorded(steps):
        for t, out in steps:
            stall_bytes.append(int(env.emu.ram[STALL]))
            yield t, out

    t, (_, rew, _, _, _) = first_reward(recorded(held_random(env, 12, 400)))
    assert t == 349
    assert rew == {"first_0": -1.0, "second_0": 0.0}
    assert env.emu.ram[P1_SCORE] == 0 and env.emu.ram[P2_SCORE] == 0
    assert stall_bytes[-1] & 0x80
    stalled = [b == 0 or bool(b & 0xC0) for b in stall_bytes]
    assert all(stalled[-120:]) and not stalled[-121]  # the 120 frames before, not 121
    env.close()


def test_done_needs_24_points_and_the_end_flag():
    done = double_dunk_v0.parallel_env(obs_type="ram")._scenario.done
    base = {"p1_score": 0, "p2_score": 0, "end_flag": 0, "stall": 0, "options": 0, "menu_row": 0}
    zero = dict.fromkeys(base, 0)
    assert not done({**base, "p1_score": 24}, zero)
    assert not done({**base, "end_flag": 0xE7, "p2_score": 23}, zero)
    assert done({**base, "end_flag": 0xE7, "p2_score": 24}, zero)
    assert done({**base, "end_flag": 0xE7, "p1_score": 25}, zero)
