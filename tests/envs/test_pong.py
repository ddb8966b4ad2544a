"""Pong's rewards go to the right agent; each agent moves its own paddle and nobody else's."""

from __future__ import annotations

import numpy as np

from pettingretro.envs import pong_v0
from pettingretro.utils.policies import pong_tracker

NOOP, FIRE, RIGHT, LEFT, RIGHTFIRE, LEFTFIRE = range(6)


def test_scorer_gets_plus_one_and_opponent_minus_one() -> None:
    env = pong_v0.parallel_env(obs_type="ram")
    env.reset(seed=0)
    events = []
    for t in range(700):
        obs, rew, *_ = env.step({"first_0": FIRE, "second_0": RIGHT})  # second_0 parks its paddle
        if any(rew.values()):
            events.append((t, rew["first_0"], rew["second_0"], int(obs["first_0"][14])))
    assert len(events) >= 3
    for i, (_, r1, r2, score) in enumerate(events):
        assert (r1, r2) == (1.0, -1.0)
        assert score == i + 1, "first_0's score byte (0x8E) counts its points"


def test_second_player_scores_for_itself() -> None:
    env = pong_v0.parallel_env(obs_type="ram")
    obs, _ = env.reset(seed=0)
    got = None
    for _ in range(3000):
        act = {"first_0": LEFTFIRE, "second_0": pong_tracker(obs["second_0"], "second_0")}
        obs, rew, *_ = env.step(act)
        if rew["second_0"] > 0:
            got = rew
            break
    assert got == {"first_0": -1.0, "second_0": 1.0}
    assert obs["first_0"][13] >= 1, "second_0's score byte (0x8D) counts its points"


def test_stalling_server_is_penalised_alone() -> None:
    env = pong_v0.parallel_env(obs_type="ram")
    env.reset(seed=0)
    totals = {"first_0": 0.0, "second_0": 0.0}
    for _ in range(300):  # first point: first_0 serves and scores
        for a, r in env.step({"first_0": FIRE, "second_0": RIGHT})[1].items():
            totals[a] += r
        if any(totals.values()):
            break
    assert totals == {"first_0": 1.0, "second_0": -1.0}
    penalties = []
    for _ in range(400):  # now first_0 holds the ball without serving
        rew = env.step({"first_0": RIGHT, "second_0": NOOP})[1]
        if any(rew.values()):
            penalties.append(rew)
    assert penalties and all(p == {"first_0": -1.0, "second_0": 0.0} for p in penalties)
    assert len(penalties) in (2, 3), "one penalty per 120 frames of stalling"


def test_each_agent_moves_only_its_own_paddle() -> None:
    for num_players in (2, 4):
        env = pong_v0.parallel_env(obs_type="ram", num_players=num_players)
        for mover in env.possible_agents:
            env.reset(seed=0)
            before = list(env.emu.paddles)
            for _ in range(5):
                env.step({a: (RIGHT if a == mover else NOOP) for a in env.agents})
            after = env.emu.paddles
            i = env.possible_agents.index(mover)
            assert after[i] == before[i] - 5 * 23000, (
                "RIGHT lowers resistance by ALE's 23000 a frame"
            )
            assert [v for j, v in enumerate(after) if j != i] == [
                v for j, v in enumerate(before) if j != i
            ]


def test_four_player_paddles_reach_the_game() -> None:
    env = pong_v0.parallel_env(obs_type="ram", num_players=4)
    ram_after = {}
    for mover in env.possible_agents:
        obs, _ = env.reset(seed=0)
        start = obs["first_0"].copy()
        for _ in range(20):
            obs = env.step({a: (LEFT if a == mover else NOOP) for a in env.agents})[0]
        ram_after[mover] = set(np.flatnonzero(obs["first_0"] != start).tolist())
    changed = [ram_after[a] for a in env.possible_agents]
    assert all(changed), "every paddle moves something on screen"
    assert len({frozenset(c) for c in changed}) == 4, "each paddle moves different RAM"
