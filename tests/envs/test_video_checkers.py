"""Video Checkers: first_0 moves black, the turn timer punishes the player to move, a wipe-out ends it."""

from __future__ import annotations

from pettingretro.envs import video_checkers_v0

FIRE, UPRIGHT, UPLEFT, DOWNRIGHT, DOWNLEFT = range(5)  # no NOOP in this game's action set
CURSOR, UNDER_CURSOR, TURN = 0xAB - 0x80, 0xA3 - 0x80, 0xC0 - 0x80
SQUARES = [
    a - 0x80 for r in ((0x80, 0x88), (0x89, 0x91), (0x92, 0x9A), (0x9B, 0xA3)) for a in range(*r)
]


def test_first_agent_moves_black_then_white_is_timed() -> None:
    # real play: first_0 picks the black man under the cursor (square 0x8B), moves it up-right
    # to 0x8F; the turn passes to white, and second_0 (idle) is then timed out
    env = video_checkers_v0.parallel_env(obs_type="ram")
    env.reset(seed=0)
    ram = env.emu.ram
    assert ram[CURSOR] == 11 and ram[0x8B - 0x80] == 0x10 and ram[0x8F - 0x80] == 0
    idle = UPRIGHT  # the other agent's "nothing": a cursor move outside its turn
    for _ in range(5):
        env.step({"first_0": FIRE, "second_0": idle})
    for _ in range(100):
        env.step({"first_0": UPRIGHT, "second_0": idle})
        if ram[CURSOR] == 15:
            break
    rewards = []
    for t in range(700):
        _, rew, *_ = env.step({"first_0": FIRE if t < 5 else UPLEFT, "second_0": idle})
        if any(rew.values()):
            rewards.append((t, rew))
    assert ram[0x8B - 0x80] == 0 and ram[0x8F - 0x80] == 0x10, "the black man moved"
    assert ram[TURN] >> 4, "white to move"
    assert len(rewards) == 1 and rewards[0][1] == {"first_0": 0.0, "second_0": -1.0}


def test_turn_timer_punishes_black_first() -> None:
    env = video_checkers_v0.parallel_env(obs_type="ram")
    env.reset(seed=0)
    got = []
    for t in range(1300):
        rew = env.step({"first_0": UPRIGHT, "second_0": UPRIGHT})[1]
        if any(rew.values()):
            got.append((t, rew))
    assert got == [
        (600, {"first_0": -1.0, "second_0": 0.0}),
        (1201, {"first_0": -1.0, "second_0": 0.0}),
    ]


def test_no_white_pieces_left_wins_for_black() -> None:
    # RAM write: the end is out of reach of a short test, so white's men are removed
    env = video_checkers_v0.parallel_env(obs_type="ram")
    env.reset(seed=0)
    ram = env.emu.ram
    for i in SQUARES:
        if ram[i] in (0x90, 0xA0):
            ram[i] = 0
    _, rew, term, *_ = env.step({"first_0": UPRIGHT, "second_0": UPRIGHT})
    assert rew == {"first_0": 1.0, "second_0": -1.0}
    assert all(term.values()) and not env.agents


def test_no_black_pieces_left_wins_for_white() -> None:
    env = video_checkers_v0.parallel_env(obs_type="ram")
    env.reset(seed=0)
    ram = env.emu.ram
    for i in SQUARES:
        if ram[i] in (0x10, 0x20):
            ram[i] = 0
    ram[UNDER_CURSOR] = 0  # the game puts back the piece under the cursor (a black man) from here
    _, rew, term, *_ = env.step({"first_0": UPRIGHT, "second_0": UPRIGHT})
    assert rew == {"first_0": -1.0, "second_0": 1.0}
    assert all(term.values())
