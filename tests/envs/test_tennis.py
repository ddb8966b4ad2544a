"""Tennis: points and games pay the winner, the serve timer punishes the server, the set ends."""

from __future__ import annotations

from pettingretro.envs import tennis_v0

NOOP, FIRE = 0, 1
P1_POINTS, P2_POINTS, P1_GAMES, P2_GAMES = (a - 0x80 for a in (0xC5, 0xC6, 0xC7, 0xC8))


def _events(env, acts, steps):
    out = []
    for t in range(steps):
        obs, rew, term, *_ = env.step(acts)
        if any(rew.values()) or any(term.values()):
            ram = obs["first_0"]
            out.append(
                (
                    t,
                    rew,
                    ram[P1_POINTS],
                    ram[P2_POINTS],
                    ram[P1_GAMES],
                    ram[P2_GAMES],
                    all(term.values()),
                )
            )
            if all(term.values()):
                break
    return out


def test_server_aces_win_points_then_the_game_and_the_timer_turns_to_the_receiver() -> None:
    # real play: first_0 serves (FIRE) every time, second_0 never moves and misses
    env = tennis_v0.parallel_env(obs_type="ram")
    env.reset(seed=0)
    ev = _events(env, {"first_0": FIRE, "second_0": NOOP}, 1400)
    win = {"first_0": 1.0, "second_0": -1.0}
    # three points: +1/-1 each, first_0's point byte counts them
    assert [(e[1], e[2], e[3]) for e in ev[:3]] == [(win, 1, 0), (win, 2, 0), (win, 3, 0)]
    # the fourth point wins the game: +1 for the game, the point reset to 0 is not paid
    assert ev[3][1:6] == (win, 0, 0, 1, 0)
    # now second_0 must serve and never does: -1 to second_0 alone every 180 frames
    stalls = ev[4:]
    assert len(stalls) >= 2
    assert all(e[1] == {"first_0": 0.0, "second_0": -1.0} for e in stalls)
    assert stalls[1][0] - stalls[0][0] == 180


def test_stalling_first_server_is_punished() -> None:
    env = tennis_v0.parallel_env(obs_type="ram")
    env.reset(seed=0)
    ev = _events(env, {"first_0": NOOP, "second_0": FIRE}, 400)
    assert [e[1] for e in ev] == [{"first_0": -1.0, "second_0": 0.0}] * 2
    assert ev[1][0] - ev[0][0] == 180


def test_set_ends_at_six_games_with_a_lead_of_two() -> None:
    # RAM write: make it 5 games to 1 (an even total, so first_0 serves), then first_0 wins one
    env = tennis_v0.parallel_env(obs_type="ram")
    env.reset(seed=0)
    env.emu.ram[P1_GAMES] = 5
    env.emu.ram[P2_GAMES] = 1
    _, rew, *_ = env.step({"first_0": NOOP, "second_0": NOOP})
    assert rew == {"first_0": 4.0, "second_0": -4.0}  # the written games, paid as a game difference
    ev = _events(env, {"first_0": FIRE, "second_0": NOOP}, 1000)
    assert ev[-1][4:] == (6, 1, True)
    assert ev[-1][1] == {"first_0": 1.0, "second_0": -1.0}
    assert not env.agents
