"""The Video Olympics variants (basketball, foozpong, quadrapong, volleyball): modes, four live paddles, team rewards."""

from __future__ import annotations

import numpy as np
import pytest
from _play import first_reward, play

from pettingretro.envs import basketball_pong_v0, foozpong_v0, quadrapong_v0, volleyball_pong_v0

NOOP, FIRE, RIGHT, LEFT, RIGHTFIRE, LEFTFIRE = range(6)
P1_SCORE, P2_SCORE = 0x8E - 0x80, 0x8D - 0x80
TEAM_A = {"first_0": 1.0, "second_0": -1.0, "third_0": 1.0, "fourth_0": -1.0}
TEAM_B = {a: -r for a, r in TEAM_A.items()}


@pytest.mark.parametrize(
    ("module", "players", "mode"),
    [
        (basketball_pong_v0, None, 45), (basketball_pong_v0, 4, 49),
        (foozpong_v0, None, 21), (foozpong_v0, 2, 19),
        (quadrapong_v0, None, 33),
        (volleyball_pong_v0, None, 41), (volleyball_pong_v0, 2, 39),
    ],
)  # fmt: skip
def test_modes_follow_pettingzoo(module, players, mode) -> None:
    env = (
        module.parallel_env(obs_type="ram")
        if players is None
        else module.parallel_env(obs_type="ram", num_players=players)
    )
    assert env.mode == mode
    assert env.emu.ram[0x96 - 0x80] == mode - 1, "the game's own mode byte"
    assert len(env.possible_agents) == (players or (2 if module is basketball_pong_v0 else 4))


def test_quadrapong_is_four_players_only() -> None:
    with pytest.raises(ValueError, match="4 players"):
        quadrapong_v0.parallel_env(num_players=2)


# bytes that change when each agent holds LEFT for 40 frames, measured with PettingZoo's own envs
# (multi_agent_ale_py 0.1.12): identical here, so third_0 and fourth_0 really move paddles 3 and 4
ALE_MOVED = {
    quadrapong_v0: [{0x84, 0xAE, 0xBC}, {0x84, 0xAD, 0xBB}, {0x85, 0xB5, 0xBE}, {0x85, 0xB4, 0xBD}],
    foozpong_v0: [{0x84, 0xB3, 0xBC}, {0x84, 0xB2, 0xBB}, {0x85, 0xB5, 0xBE}, {0x85, 0xB4, 0xBD}],
    volleyball_pong_v0: [
        {0x84, 0xAE, 0xBC},
        {0x84, 0xAD, 0xBB},
        {0x85, 0xB0, 0xBE},
        {0x85, 0xAF, 0xBD},
    ],
    basketball_pong_v0: [
        {0x84, 0xAE, 0xBC},
        {0x84, 0xAD, 0xBB},
        {0x85, 0xB0, 0xBE},
        {0x85, 0xAF, 0xBD},
    ],
}


def _trace(env, acts_for, steps=60):
    env.reset(seed=0)
    return np.array(
        [env.step({a: acts_for(t, a) for a in env.agents})[0]["first_0"] for t in range(steps)]
    )


@pytest.mark.parametrize("module", list(ALE_MOVED), ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_four_agents_move_four_paddles_as_in_ale(module) -> None:
    env = module.parallel_env(obs_type="ram", num_players=4)
    base = _trace(env, lambda t, a: NOOP)
    for p, agent in enumerate(env.possible_agents):
        moved = _trace(env, lambda t, a, agent=agent: LEFT if a == agent and t < 40 else NOOP)
        changed = {0x80 + i for i in np.nonzero((base != moved).any(axis=0))[0]}
        assert changed == ALE_MOVED[module][p], agent


def _first_point(env, acts_for, steps=2000):
    env.reset(seed=0)

    def policy(t: int) -> dict[str, int]:
        return {a: acts_for(t, i, a) for i, a in enumerate(env.agents)}

    _, (obs, rew, *_) = first_reward(play(env, policy, steps), "no point scored")
    return rew, int(obs["first_0"][P1_SCORE]), int(obs["first_0"][P2_SCORE])


def _one_team_plays(team: int):
    """Agents of ``team`` (0: first/third, 1: second/fourth) hold FIRE, the others sweep their paddles."""
    return lambda t, i, a: FIRE if i % 2 == team else (RIGHT if t % 400 < 200 else LEFT)


@pytest.mark.parametrize(
    ("module", "players", "policy", "want", "scores"),
    [
        (quadrapong_v0, 4, lambda t, i, a: FIRE, TEAM_A, (1, 0)),
        (quadrapong_v0, 4, _one_team_plays(0), TEAM_B, (0, 1)),
        (foozpong_v0, 4, _one_team_plays(0), TEAM_B, (0, 1)),
        (foozpong_v0, 2, _one_team_plays(1), {"first_0": 1.0, "second_0": -1.0}, (1, 0)),
        (volleyball_pong_v0, 4, _one_team_plays(0), TEAM_A, (1, 0)),
        (basketball_pong_v0, 4, _one_team_plays(0), TEAM_A, (1, 0)),
        (basketball_pong_v0, 4, _one_team_plays(1), TEAM_B, (0, 1)),
    ],
)  # fmt: skip
def test_a_point_pays_the_scoring_team(module, players, policy, want, scores) -> None:
    # real play; teams are first_0 + third_0 (score byte 0x8E) against second_0 + fourth_0 (0x8D)
    env = module.parallel_env(obs_type="ram", num_players=players)
    rew, s1, s2 = _first_point(env, policy)
    assert rew == want
    assert (s1, s2) == scores
