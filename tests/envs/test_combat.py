"""Combat (tank and plane): a hit pays +1 to the shooter and -1 to the target; 99 or the timer ends it."""

from __future__ import annotations

import pytest
from _play import first_reward, play

from pettingretro.envs import combat_plane_v0, combat_tank_v0

P1_SCORE, P2_SCORE, TIMER, MODE = 0xA1 - 0x80, 0xA2 - 0x80, 0x88 - 0x80, 0x80 - 0x80
AGENTS = ("first_0", "second_0")

# Fixed scripts found by trying a few: the shooter holds ``action`` for 20 frames, rests 20,
# again and again; the other player idles. Each hits within (steps) frames.
HITS = [
    (combat_tank_v0, 0, 12, 124),  # first_0 turns left and fires
    (combat_tank_v0, 1, 12, 907),  # second_0 turns left and fires
    (combat_plane_v0, 0, 13, 172),  # first_0 dives (DOWNFIRE)
    (combat_plane_v0, 1, 10, 70),  # second_0 climbs (UPFIRE)
]


def shoot(env, me: int, action: int, limit: int):
    return first_reward(
        play(env, lambda t: {AGENTS[me]: action if t % 40 < 20 else 0, AGENTS[1 - me]: 0}, limit),
        f"{AGENTS[me]} hit nothing in {limit} steps",
    )


def test_default_modes_and_kwargs():
    assert combat_tank_v0.parallel_env().mode == 9
    assert combat_plane_v0.parallel_env().mode == 15
    assert (
        combat_tank_v0.parallel_env(has_maze=False, is_invisible=True, billiard_hit=False).mode
        == 10
    )
    assert (
        combat_tank_v0.parallel_env(has_maze=True, is_invisible=True, billiard_hit=True).mode == 14
    )
    assert combat_plane_v0.parallel_env(game_version="jet", guided_missile=False).mode == 22
    with pytest.raises(ValueError, match="game_version"):
        combat_plane_v0.parallel_env(game_version="glider")
    with pytest.raises(TypeError, match="game_version"):
        combat_tank_v0.parallel_env(game_version="jet")


@pytest.mark.parametrize(("module", "me", "action", "steps"), HITS)
def test_hit_is_zero_sum(module, me, action, steps):
    env = module.parallel_env(obs_type="ram")
    env.reset(seed=0)
    assert env.emu.ram[MODE] == env.mode - 1  # the game shows the mode selected
    mine, theirs = (P1_SCORE, P2_SCORE) if me == 0 else (P2_SCORE, P1_SCORE)
    _, (_, rew, term, _, _) = shoot(env, me, action, steps + 50)
    assert rew == {AGENTS[me]: 1.0, AGENTS[1 - me]: -1.0}
    assert env.emu.ram[mine] == 1 and env.emu.ram[theirs] == 0
    assert not any(term.values())
    env.close()


def test_99_ends_the_game():
    # RAM set-up: first_0 already has 98 (BCD 0x98); the 99th point is a real hit.
    env = combat_tank_v0.parallel_env(obs_type="ram")
    env.reset(seed=0)
    env.emu.ram[P1_SCORE] = 0x98
    env.step({"first_0": 0, "second_0": 0})  # the write itself shows up as a +98 jump: ignore it
    _, (_, rew, term, _, _) = shoot(env, 0, 12, 200)
    assert env.emu.ram[P1_SCORE] == 0x99
    assert rew == {"first_0": 1.0, "second_0": -1.0}
    assert term == {"first_0": True, "second_0": True}
    env.close()


def test_game_timer_ends_the_game():
    # Idle players: the game timer (0x88) reaches 0 after about 8185 frames (ALE: 8181).
    env = combat_tank_v0.parallel_env(obs_type="ram", frameskip=4)
    env.reset(seed=0)
    assert env.emu.ram[TIMER] != 0
    steps = 0
    while env.agents and steps < 2500:
        _, rew, term, _, _ = env.step({"first_0": 0, "second_0": 0})
        steps += 1
        assert rew == {"first_0": 0.0, "second_0": 0.0}
    assert term == {"first_0": True, "second_0": True}
    assert env.emu.ram[TIMER] == 0
    assert 8170 <= steps * 4 <= 8200
    env.close()
