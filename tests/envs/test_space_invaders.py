"""Space Invaders rewards, shared lives and modes on the Stella core (real play)."""

from __future__ import annotations

import numpy as np
import pytest

from pettingretro.envs import space_invaders_v0
from pettingretro.envs.space_invaders_v0 import SpaceInvadersRules, mode_for

NOOP, FIRE = (
    0,
    1,
)  # action indexes of the minimal set [NOOP, FIRE, RIGHT, LEFT, RIGHTFIRE, LEFTFIRE]


def bcd(b: int) -> int:
    b = int(b)
    return (b >> 4) * 10 + (b & 0xF)


def scores(ram: np.ndarray) -> tuple[int, int]:
    return (
        bcd(ram[0xE8 - 128]) + 100 * bcd(ram[0xE6 - 128]),
        bcd(ram[0xE9 - 128]) + 100 * bcd(ram[0xE7 - 128]),
    )


def test_each_cannon_scores_for_itself_and_lives_are_shared() -> None:
    env = space_invaders_v0.parallel_env(obs_type="ram")
    env.reset(seed=0)
    assert env.mode == 34 and env.emu.ram[0xDC - 128] == 33  # PettingZoo's default: moving shields
    prev = scores(env.emu.ram)
    assert prev == (0, 0)
    first = None
    bonus_for_second = False
    for step in range(4000):
        _, rew, term, _, info = env.step({"first_0": FIRE, "second_0": NOOP})
        now = scores(env.emu.ram)
        assert rew == {"first_0": float(now[0] - prev[0]), "second_0": float(now[1] - prev[1])}
        if first is None and now[0]:
            first = step
            assert rew == {"first_0": 25.0, "second_0": 0.0}  # the firing cannon hit an invader
            assert env.emu.ram[0xE8 - 128] == 0x25
        if rew["second_0"] == 200.0:
            bonus_for_second = True  # the idle player's bonus when the other cannon is hit
        assert (
            info["first_0"]["lives"]
            == info["second_0"]["lives"]
            == int(env.emu.ram[0xC9 - 128]) - 1
        )
        prev = now
        if any(term.values()):
            break
    assert first is not None and bonus_for_second
    # shared lives: both players end together when the counter passes 0
    assert term == {"first_0": True, "second_0": True} and env.agents == []
    assert info["first_0"]["lives"] == -1 or env.emu.ram[0x98 - 128] & 0x80
    env.close()


def test_second_cannon_scores_for_itself() -> None:
    env = space_invaders_v0.parallel_env(obs_type="ram")
    env.reset(seed=0)
    for _ in range(1000):
        _, rew, _, _, _ = env.step({"first_0": NOOP, "second_0": FIRE})
        if any(rew.values()):
            break
    assert rew == {"first_0": 0.0, "second_0": 20.0}
    assert env.emu.ram[0xE9 - 128] == 0x20
    env.close()


def test_score_wrap_at_10000_counts_as_a_gain() -> None:
    rules = SpaceInvadersRules(2, 34)
    v = {"p1_score_lo": 90, "p1_score_hi": 99, "p2_score_lo": 0, "p2_score_hi": 0}
    rules.reset(v)
    rewards = np.zeros(2)
    rules.step({**v, "p1_score_lo": 20, "p1_score_hi": 0}, {}, rewards, 1)
    assert list(rewards) == [30.0, 0.0]  # 9990 -> 20 is +30, as ALE counts it


@pytest.mark.parametrize(
    ("kwargs", "mode"),
    [
        ({}, 34),
        ({"moving_shields": False}, 33),
        ({"zigzaging_bombs": True}, 36),
        ({"fast_bomb": True, "invisible_invaders": True}, 46),
        ({"alternating_control": True, "moving_shields": False}, 49),
    ],
)
def test_mode_for_matches_pettingzoo(kwargs: dict, mode: int) -> None:
    assert mode_for(num_players=2, **kwargs) == mode


def test_mode_selection_reaches_an_option_mode() -> None:
    env = space_invaders_v0.parallel_env(obs_type="ram", alternating_control=True, fast_bomb=True)
    env.reset(seed=0)
    assert env.mode == 54 and env.emu.ram[0xDC - 128] == 53
    env.close()
