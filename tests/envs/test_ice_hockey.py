"""Ice Hockey: a goal pays +1 to the scorer and -1 to the other; the 3-minute clock ends the game."""

from __future__ import annotations

import pytest
from _play import first_reward, held_random

from pettingretro.envs import ice_hockey_v0

P1_SCORE, P2_SCORE, SECONDS, MINUTES, MODE = (
    0x8A - 0x80,
    0x8B - 0x80,
    0x86 - 0x80,
    0x87 - 0x80,
    0x80 - 0x80,
)
AGENTS = ("first_0", "second_0")


@pytest.mark.parametrize(("seed", "scorer", "at"), [(6, 0, 625), (2, 1, 1735)])
def test_goal_is_zero_sum(seed, scorer, at):
    env = ice_hockey_v0.parallel_env(obs_type="ram")
    env.reset(seed=0)
    mine, theirs = (P1_SCORE, P2_SCORE) if scorer == 0 else (P2_SCORE, P1_SCORE)
    t, (_, rew, term, _, _) = first_reward(held_random(env, seed, at + 1))
    assert t == at
    assert rew == {AGENTS[scorer]: 1.0, AGENTS[1 - scorer]: -1.0}
    assert env.emu.ram[mine] == 1 and env.emu.ram[theirs] == 0
    assert not any(term.values())
    env.close()


def test_clock_ends_the_game():
    # RAM set-up: the clock (minutes 0x87, seconds 0x86) is set to 0:03 at the start of a game
    # that otherwise runs 3:00 (11018 frames in ALE's play); idle players then wait it out.
    env = ice_hockey_v0.parallel_env(obs_type="ram")
    env.reset(seed=0)
    assert env.emu.ram[MINUTES] == 3 and env.emu.ram[SECONDS] == 0
    env.emu.ram[MINUTES], env.emu.ram[SECONDS] = 0, 3
    steps = 0
    while env.agents and steps < 600:
        _, rew, term, _, _ = env.step({"first_0": 0, "second_0": 0})
        steps += 1
        assert rew == {"first_0": 0.0, "second_0": 0.0}
    assert term == {"first_0": True, "second_0": True}
    assert env.emu.ram[MINUTES] == 0 and env.emu.ram[SECONDS] == 0
    assert 150 <= steps <= 300  # about three clock seconds (measured 242 frames)
    env.close()


def test_modes():
    env = ice_hockey_v0.parallel_env(obs_type="ram", mode=3)
    env.reset()
    assert env.emu.ram[MODE] == 3
    env.close()
    with pytest.raises(ValueError, match="no such 2-player mode"):
        ice_hockey_v0.parallel_env(mode=0)  # one-player modes are not offered
