"""Surround: a crash pays the other player; the crossed port wiring gives each agent its own snake."""

from __future__ import annotations

from _play import first_reward, play

from pettingretro.envs import surround_v0

NOOP, UP, RIGHT, LEFT, DOWN = range(5)
P1_SCORE, P2_SCORE = 0xF7 - 0x80, 0xF6 - 0x80  # BCD, ALE's player A (first_0) / player B


def _first_reward(env, acts, steps=400):
    t, (obs, rew, *_) = first_reward(play(env, lambda t: acts, steps), "nobody scored")
    return t, rew, obs["first_0"]


def test_first_agent_crashing_pays_the_second() -> None:
    # real play: first_0 turns UP into the wall (or its own trail), second_0 goes straight
    env = surround_v0.parallel_env(obs_type="ram")
    env.reset(seed=0)
    _, rew, ram = _first_reward(env, {"first_0": UP, "second_0": NOOP})
    assert rew == {"first_0": -1.0, "second_0": 1.0}
    assert (ram[P1_SCORE], ram[P2_SCORE]) == (0, 1)


def test_second_agent_crashing_pays_the_first() -> None:
    env = surround_v0.parallel_env(obs_type="ram")
    env.reset(seed=0)
    _, rew, ram = _first_reward(env, {"first_0": NOOP, "second_0": UP})
    assert rew == {"first_0": 1.0, "second_0": -1.0}
    assert (ram[P1_SCORE], ram[P2_SCORE]) == (1, 0)


def test_game_ends_when_a_score_reaches_ten() -> None:
    env = surround_v0.parallel_env(obs_type="ram")
    env.reset(seed=0)
    totals = {"first_0": 0.0, "second_0": 0.0}
    for _ in range(5000):
        obs, rew, term, _, _ = env.step({"first_0": UP, "second_0": NOOP})
        for a, r in rew.items():
            totals[a] += r
        if all(term.values()):
            break
    assert all(term.values()) and not env.agents
    assert totals == {"first_0": -10.0, "second_0": 10.0}
    assert obs["first_0"][P2_SCORE] == 0x10  # BCD 10
