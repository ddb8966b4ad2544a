"""Space War rewards and termination on the Stella core (real play; the timer end by a RAM write)."""

from __future__ import annotations

import numpy as np

from pettingretro.envs import space_war_v0


def play_one_side(who: str, steps: int = 1000) -> list[tuple[int, dict[str, float], int, int]]:
    """``who`` plays seeded random actions, the other player idles; returns each scoring step."""
    env = space_war_v0.parallel_env(obs_type="ram")
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    events = []
    for step in range(steps):
        _, rew, term, _, _ = env.step({who: int(rng.integers(18))})
        if any(rew.values()):
            events.append((step, rew, int(env.emu.ram[0xA7 - 128]), int(env.emu.ram[0xA8 - 128])))
        assert not any(term.values())
    env.close()
    return events


def test_first_player_hit_scores_plus_one_minus_one() -> None:
    events = play_one_side("first_0")
    assert events, "the first player should hit the idle second ship"
    _, rew, p1, p2 = events[0]
    assert rew == {"first_0": 1.0, "second_0": -1.0}
    assert (p1, p2) == (0x01, 0x00)  # BCD score bytes 0xA7 / 0xA8
    assert all(e[1] == {"first_0": 1.0, "second_0": -1.0} for e in events)


def test_second_player_hit_scores_plus_one_minus_one() -> None:
    events = play_one_side("second_0")
    assert len(events) >= 2
    for k, (_, rew, p1, p2) in enumerate(events):
        assert rew == {"first_0": -1.0, "second_0": 1.0}
        assert (p1, p2) == (0x00, k + 1)


def test_game_timer_wrap_ends_the_game() -> None:
    env = space_war_v0.parallel_env(obs_type="ram")
    env.reset(seed=0)
    # the 10-minute timer starts at 0x74 and counts up every 256 frames
    assert env.emu.ram[0] == 0x74
    env.emu.ram[0] = 0xFF  # RAM write: skip to the timer's last tick
    for _ in range(300):
        _, _, term, _, _ = env.step({})
        if any(term.values()):
            break
    assert term == {"first_0": True, "second_0": True}
    assert env.emu.ram[0] == 0 and env.agents == []
    env.close()
