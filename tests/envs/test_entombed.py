"""Entombed: competitive pays the zero-sum lives difference, cooperative pays both for depth."""

from __future__ import annotations

from _play import held_random

from pettingretro.envs import entombed_competitive_v0, entombed_cooperative_v0

LIVES, SUBSTAGE, PLAYERS = 0xC7 - 0x80, 0xEF - 0x80, 0xF4 - 0x80
AGENTS = ("first_0", "second_0")


def lives(ram) -> tuple[int, int]:
    return int(ram[LIVES]) & 3, (int(ram[LIVES]) & 0x30) >> 4


def test_competitive_lives_difference_and_end():
    # Seed 0: second_0 loses lives at steps 337 and 689, first_0 at 1124, 1391 and 1788,
    # when first_0 has none left and the game ends for both.
    env = entombed_competitive_v0.parallel_env(obs_type="ram")
    env.reset(seed=0)
    assert env.mode == 2 and env.emu.ram[PLAYERS] == 0
    assert lives(env.emu.ram) == (3, 3)
    events = []
    for t, (_, rew, term, _, info) in held_random(env, 0, 2000):
        if any(rew.values()):
            events.append(
                (
                    t,
                    rew["first_0"],
                    rew["second_0"],
                    lives(env.emu.ram),
                    info["first_0"]["lives"],
                    info["second_0"]["lives"],
                )
            )
        if any(term.values()):
            break
    assert events == [
        (337, 1.0, -1.0, (3, 2), 3, 2),
        (689, 1.0, -1.0, (3, 1), 3, 1),
        (1124, -1.0, 1.0, (2, 1), 2, 1),
        (1391, -1.0, 1.0, (1, 1), 1, 1),
        (1788, -1.0, 1.0, (0, 1), 0, 1),
    ]
    assert term == {"first_0": True, "second_0": True}
    assert env.agents == []
    env.close()


def test_cooperative_pays_both_when_the_substage_rises():
    env = entombed_cooperative_v0.parallel_env(obs_type="ram")
    env.reset(seed=0)
    assert env.mode == 3 and env.emu.ram[PLAYERS] == 0
    prev = int(env.emu.ram[SUBSTAGE])
    paid = 0
    for t, (_, rew, _, _, _) in held_random(env, 0, 900):
        now = int(env.emu.ram[SUBSTAGE])
        expected = 1.0 if now > prev else 0.0
        assert rew == {"first_0": expected, "second_0": expected}, t
        paid += expected > 0
        prev = now
    assert paid >= 2  # seed 0 rises at steps 463 and 815; lives lost on the way cost nothing
    env.close()


def test_mode_kwarg_picks_the_reward_rule():
    assert entombed_competitive_v0.parallel_env(mode=3).mode == 3
    assert entombed_cooperative_v0.parallel_env(mode_num=2).mode == 2
