"""Warlords: each agent turns its own paddle (as in ALE), a fallen castle costs -1, the last one +1."""

from __future__ import annotations

import numpy as np
import pytest

from pettingretro.envs import warlords_v0

NOOP, FIRE, RIGHT, LEFT, RIGHTFIRE, LEFTFIRE = range(6)
CASTLES = 0xEE - 0x80
AGENTS = ("first_0", "second_0", "third_0", "fourth_0")


def _ram_trace(env, acts_for, steps):
    env.reset(seed=0)
    out = []
    for t in range(steps):
        obs = env.step({a: acts_for(t, a) for a in env.agents})[0]
        out.append(obs["first_0"].copy())
    return np.array(out)


@pytest.mark.parametrize("p", range(4))
def test_each_agent_turns_its_own_paddle(p: int) -> None:
    # 0xDB + p is player p's paddle reading; ALE (multi_agent_ale_py) shows the same byte sets
    env = warlords_v0.parallel_env(obs_type="ram")
    base = _ram_trace(env, lambda t, a: NOOP, 40)
    moved = _ram_trace(env, lambda t, a: LEFT if a == AGENTS[p] and t < 30 else NOOP, 40)
    changed = {0x80 + i for i in np.nonzero((base != moved).any(axis=0))[0]}
    assert changed & {0xDB, 0xDC, 0xDD, 0xDE} == {0xDB + p}


def test_fallen_castles_pay_minus_one_and_the_survivor_wins() -> None:
    # real play: nobody moves; castles fall one by one (third, first, second), fourth_0 wins
    env = warlords_v0.parallel_env(obs_type="ram")
    env.reset(seed=0)
    falls = []
    for _ in range(5000):
        _, rew, term, _, _ = env.step({a: NOOP for a in env.agents})
        if any(rew.values()):
            falls.append((rew, dict(term), int(env.emu.ram[CASTLES]) & 0xF0))
        if not env.agents:
            break
    assert not env.agents
    assert falls[0] == (
        {a: (-1.0 if a == "third_0" else 0.0) for a in AGENTS},
        {a: a == "third_0" for a in AGENTS},
        0x20,
    )
    assert falls[1] == (
        {"first_0": -1.0, "second_0": 0.0, "fourth_0": 0.0},
        {"first_0": True, "second_0": False, "fourth_0": False},
        0xA0,
    )
    assert falls[2] == (
        {"second_0": -1.0, "fourth_0": 1.0},
        {"second_0": True, "fourth_0": True},
        0xE0,
    )


def test_fire_reaches_only_paddles_zero_and_two() -> None:
    # this core wires no button to the second paddle of each jack (see docs/games/warlords.md)
    env = warlords_v0.parallel_env(obs_type="ram")
    assert [b.fire is not None for b in env.controls.bindings] == [True, False, True, False]
