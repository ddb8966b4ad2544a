"""Mario Bros.: lives and per-agent termination by real play; score attribution by RAM writes."""

from __future__ import annotations

import numpy as np

from pettingretro.envs import mario_bros_v0


def test_players_lose_lives_and_end_one_at_a_time() -> None:
    env = mario_bros_v0.parallel_env(obs_type="ram")
    env.reset(seed=0)
    assert env.mode == 2 and env.emu.ram[0x80 - 128] == 1
    ram = env.emu.ram
    assert (ram[0x87 - 128], ram[0x88 - 128]) == (5, 5)
    rng = np.random.default_rng(1)
    seen_drop = False
    ended: dict[str, int] = {}
    for step in range(3000):
        _, _, term, _, info = env.step({a: int(rng.integers(18)) for a in env.agents})
        for a in info:
            k = 0x87 if a == "first_0" else 0x88
            assert info[a]["lives"] == int(ram[k - 128]) - 1
            seen_drop |= info[a]["lives"] < 4
        for a, t in term.items():
            if t:
                ended[a] = step
        if not env.agents:
            break
    assert seen_drop
    # the second player runs out first and leaves alone; the game ends when both are out
    assert ended["second_0"] < ended["first_0"]
    assert (ram[0x87 - 128], ram[0x88 - 128]) == (0, 0)
    env.close()


def test_score_bytes_reward_their_own_player_times_100() -> None:
    env = mario_bros_v0.parallel_env(obs_type="ram")
    env.reset(seed=0)
    for _ in range(50):
        env.step({})
    ram = env.emu.ram
    # RAM write: first player's BCD score (hi 0x89, lo 0x8A) goes 0000 -> 0008, i.e. 800 points
    ram[0x8A - 128] = 0x08
    _, rew, *_ = env.step({})
    assert rew == {"first_0": 800.0, "second_0": 0.0}
    # second player's score (hi 0x8B, lo 0x8C) 0000 -> 0199: 19900 points, carried over two bytes
    ram[0x8B - 128], ram[0x8C - 128] = 0x01, 0x99
    _, rew, *_ = env.step({})
    assert rew == {"first_0": 0.0, "second_0": 19900.0}
    ram[0x8B - 128], ram[0x8C - 128] = 0x02, 0x07
    _, rew, *_ = env.step({})
    assert rew == {"first_0": 0.0, "second_0": 800.0}
    _, rew, *_ = env.step({})
    assert rew == {"first_0": 0.0, "second_0": 0.0}  # the game keeps the written scores
    env.close()
