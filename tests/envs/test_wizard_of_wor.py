"""Wizard of Wor: each agent is paid its own kills (port 0 = first_0); lives count down while waiting."""

from __future__ import annotations

import numpy as np

from pettingretro.envs import wizard_of_wor_v0

FIRE = 0  # no NOOP in this game's action set: index 0 is FIRE
P1_LO, P2_LO = 0x86 - 0x80, 0x85 - 0x80  # BCD hundreds of first_0 / second_0


def _script(steps: int) -> list[int]:
    rng = np.random.default_rng(0)
    return [int(a) for a in np.repeat(rng.integers(9, size=steps // 8 + 1), 8)]


def test_each_agent_is_paid_its_own_kills_and_loses_a_life() -> None:
    # real play: first_0 wanders at random (a fixed seed), second_0 fires from its cage
    env = wizard_of_wor_v0.parallel_env(obs_type="ram")
    env.reset(seed=0)
    moves = _script(2200)
    events = []
    lives_seen = []
    for t in range(2200):
        obs, rew, _, _, info = env.step({"first_0": moves[t], "second_0": FIRE})
        ram = obs["first_0"]
        if any(rew.values()):
            events.append((t, rew, ram[P1_LO], ram[P2_LO]))
        lives_seen.append((info["first_0"]["lives"], info["second_0"]["lives"]))
    kills1 = [e for e in events if e[1]["first_0"]]
    kills2 = [e for e in events if e[1]["second_0"]]
    assert kills1 and kills2
    assert kills1[0][1] == {"first_0": 100.0, "second_0": 0.0} and kills1[0][2] == 1
    assert all(e[1]["first_0"] == 0.0 for e in kills2), "independent rewards"
    assert sum(e[1]["second_0"] for e in kills2) == 100.0 * kills2[-1][3]
    assert lives_seen[0] == (2, 2)
    assert (1, 2) in lives_seen, "first_0 lost a life"


def test_scripted_first_agent_is_port_zero() -> None:
    # the same first_0 script with second_0 idle scores into 0x86 only, and FIRE-only first_0 does not
    env = wizard_of_wor_v0.parallel_env(obs_type="ram")
    env.reset(seed=0)
    moves = _script(700)
    first = None
    for t in range(700):
        obs, rew, *_ = env.step({"first_0": moves[t], "second_0": FIRE})
        if rew["first_0"]:
            first = t
            break
    assert first is not None and obs["first_0"][P1_LO] == 1
    env.reset(seed=0)
    for _ in range(first + 1):
        obs, rew, *_ = env.step({"first_0": FIRE, "second_0": FIRE})
        assert rew["first_0"] == 0.0
    assert obs["first_0"][P1_LO] == 0
