"""Joust rewards, lives and termination, checked by real play on the Stella core."""

from __future__ import annotations

import numpy as np

from pettingretro.envs import joust_v0

FIRE, NOOP = 1, 0


def bcd(b: int) -> int:
    b = int(b)
    return (b >> 4) * 10 + (b & 0xF)


def scores(ram: np.ndarray) -> tuple[int, int]:
    """ALE's getDecimalScore(lo, mid, hi) for both players."""
    p1 = bcd(ram[0x87 - 128]) + 100 * bcd(ram[0x85 - 128]) + 10000 * bcd(ram[0x83 - 128])
    p2 = bcd(ram[0x88 - 128]) + 100 * bcd(ram[0x86 - 128]) + 10000 * bcd(ram[0x84 - 128])
    return p1, p2


def test_rewards_follow_each_players_score_and_lives_end_agents_alone() -> None:
    env = joust_v0.parallel_env(obs_type="ram")
    env.reset(seed=0)
    assert env.mode == 1
    prev = scores(env.emu.ram)
    assert prev == (0, 0)
    first_score_step = None
    carry_seen = False
    first_out = None
    for step in range(6000):
        acts = {a: (FIRE if a == "first_0" else NOOP) for a in env.agents}
        _, rew, term, _, info = env.step(acts)
        now = scores(env.emu.ram)
        for i, a in enumerate(env.possible_agents):
            if a in rew:
                # each agent's reward is exactly its own score's change (independent rewards)
                assert rew[a] == now[i] - prev[i], (step, a, rew, prev, now)
        if first_score_step is None and now[0] > 0:
            first_score_step = step
            # the flapping first player scores first; the idle second gets nothing
            assert rew == {"first_0": 50.0, "second_0": 0.0}
            assert env.emu.ram[0x87 - 128] == 0x50
        if now[1] == 100 and prev[1] == 50:
            carry_seen = True  # 0x88 went 0x50 -> 0x00 and 0x86 0x00 -> 0x01: still +50
            assert rew["second_0"] == 50.0
        if term.get("first_0") and first_out is None:
            first_out = step
            # out of lives: first_0 ends alone, second_0 plays on
            assert info["first_0"]["lives"] == -1 and np.int8(env.emu.ram[0x81 - 128]) == -1
            assert term["second_0"] is False and env.agents == ["second_0"]
        prev = now
        if not env.agents:
            break
    assert first_score_step is not None and carry_seen
    assert first_out is not None and step > first_out
    # the game ends when both players are out
    assert np.int8(env.emu.ram[0x82 - 128]) == -1
    env.close()
