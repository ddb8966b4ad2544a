"""The vector env gives, bit for bit, what stepping the same games one by one gives.

* Raw observations, rewards, terminations, truncations, autoresets and final observations
  equal those of the same RetroParallelEnvs stepped alone with the same seeds and actions.
* The preprocessing (max-pool, grayscale, area resize, frame stack, agent indicator) equals a
  plain per-game reference built from single-frame env steps.
* 1 and 2 C threads, step and send/recv, give identical results.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import gymnasium
import numpy as np
import pytest

from pettingretro.envs import pong_v0
from pettingretro.errors import VectorEnvError
from pettingretro.movie import Movie
from pettingretro.vector import ATARI_PREPROCESSING, AreaResize, vector_env

GAMES = 3
AGENTS = ("first_0", "second_0")


class Inert:
    """An observer that does nothing: a game with one steps through its own outcome()."""

    def on_reset(self) -> None: ...
    def on_frames(self, masks: Any, deltas: Any, frames: int) -> None: ...
    def on_episode_end(self) -> None: ...
    def close(self) -> None: ...


def per_game(venv: Any) -> Any:
    """Make ``venv`` step each game through its own phases (they are patched below)."""
    for env in venv.envs:
        env.add_observer(Inert())
    return venv


def action_stream(steps: int, rows: int, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 6, size=(steps, rows))


@pytest.mark.parametrize("obs_type", ["grayscale_image", "rgb_image", "ram"])
def test_raw_steps_equal_games_stepped_one_by_one(obs_type: str) -> None:
    """Every observation layout without preprocessing is the parallel env's own, bit for bit
    (plain RGB once came back as (3, H, W) planes reshaped to (H, W, 3))."""
    kw: dict[str, Any] = dict(
        obs_type=obs_type, frameskip=4, repeat_action_probability=0.25, max_cycles=150
    )
    venv = vector_env("pong_v0", GAMES, num_threads=2, **kw)
    alone = [pong_v0.parallel_env(**kw) for _ in range(GAMES)]
    obs, _ = venv.reset(seed=7)
    for g, env in enumerate(alone):
        o, _ = env.reset(seed=7 + g)
        for a, agent in enumerate(AGENTS):
            assert obs[g * 2 + a].shape == o[agent].shape
            assert np.array_equal(obs[g * 2 + a], o[agent])
    actions = action_stream(320, GAMES * 2)
    rewarded = ended = 0
    for t, act in enumerate(actions):
        obs, rew, term, trunc, infos = venv.step(act)
        for g, env in enumerate(alone):
            o, r, te, tr, inf = env.step(
                {agent: int(act[g * 2 + a]) for a, agent in enumerate(AGENTS)}
            )
            for a, agent in enumerate(AGENTS):  # the game's variables, batched as gymnasium does
                assert inf[agent], "Pong reports its data.json variables every step"
                for key, value in inf[agent].items():
                    assert infos[key].dtype == np.zeros(1, type(value)).dtype, key
                    assert infos[key][g * 2 + a] == value and infos[f"_{key}"][g * 2 + a], key
            done = not env.agents
            if done:
                o_final, (o, _) = o, env.reset()
            for a, agent in enumerate(AGENTS):
                i = g * 2 + a
                assert rew[i] == r[agent], (t, i)
                assert term[i] == te[agent] and trunc[i] == tr[agent], (t, i)
                assert np.array_equal(obs[i], o[agent]), (t, i)
                if done:
                    assert infos["_final_obs"][i]
                    assert np.array_equal(infos["final_obs"][i], o_final[agent])
            ended += done
        rewarded += int(np.count_nonzero(rew))
    assert rewarded > 0 and ended >= GAMES  # points were scored, every game truncated and reset
    venv.close()


def reference_rows(env: Any, actions: list[np.ndarray], seed: int) -> list[np.ndarray]:
    """One game by hand: single-frame env steps, max of the last two, area resize, stack, indicator."""
    resize = AreaResize((210, 160), (84, 84))
    stack = [np.zeros((84, 84), np.uint8)] * 4
    o, _ = env.reset(seed=seed)
    frame = o["first_0"]
    stack = [*stack[1:], resize(frame[None])[0]]
    out = []

    def rows() -> np.ndarray:
        ind = [np.full((84, 84), 255 * (a == b), np.uint8) for a in range(2) for b in range(2)]
        return np.stack([np.stack([*stack, ind[a * 2], ind[a * 2 + 1]]) for a in range(2)])

    out.append(rows())
    for act in actions:
        frames = []
        for _ in range(4):
            o, *_ = env.step({agent: int(act[a]) for a, agent in enumerate(AGENTS)})
            frames.append(o["first_0"].copy())
        pooled = np.maximum(frames[-2], frames[-1])
        stack = [*stack[1:], resize(pooled[None])[0]]
        out.append(rows())
    return out


def test_preprocessing_equals_a_per_game_reference() -> None:
    kw = dict(ATARI_PREPROCESSING, repeat_action_probability=0.0)
    venv = vector_env("pong_v0", 2, num_threads=2, **kw)
    assert venv.single_observation_space.shape == (6, 84, 84)
    actions = action_stream(40, 4, seed=3)
    got = [venv.reset(seed=0)[0]]
    got += [venv.step(act)[0] for act in actions]
    venv.close()
    for g in range(2):
        env = pong_v0.parallel_env(obs_type="grayscale_image", grayscale_channel=False)
        want = reference_rows(env, [a[g * 2 : g * 2 + 2] for a in actions], seed=g)
        for t, rows in enumerate(want):
            assert np.array_equal(got[t][g * 2 : g * 2 + 2], rows), t
        env.close()


def test_channels_last_rgb_is_the_transpose_of_channels_first() -> None:
    kw = dict(ATARI_PREPROCESSING, grayscale=False, repeat_action_probability=0.0)
    first = vector_env("pong_v0", 1, num_threads=1, **kw)
    last = vector_env("pong_v0", 1, num_threads=1, channels_last=True, **kw)
    assert first.single_observation_space.shape == (14, 84, 84)  # 4 RGB frames + 2 agents
    assert last.single_observation_space.shape == (84, 84, 14)
    a, _ = first.reset(seed=0)
    b, _ = last.reset(seed=0)
    for act in action_stream(10, 2):
        a = first.step(act)[0]
        b = last.step(act)[0]
    assert np.array_equal(a.transpose(0, 2, 3, 1), b)
    assert a[:, 9:12].any()  # the newest RGB frame is there
    first.close()
    last.close()


@pytest.mark.parametrize(
    "kw", [ATARI_PREPROCESSING, {"obs_type": "ram", "frame_stack": 2, "frameskip": 2}]
)
def test_threads_and_send_recv_give_identical_results(kw: dict[str, Any]) -> None:
    runs = []
    for threads, async_ in ((1, False), (2, False), (2, True)):
        venv = vector_env("pong_v0", 4, num_threads=threads, **kw)
        obs, _ = venv.reset(seed=5)
        trace = [obs]
        for act in action_stream(30, 8):
            if async_:
                venv.send(act)
                result = venv.recv()
            else:
                result = venv.step(act)
            trace += [result[0], result[1]]
            assert venv.observation_space.contains(result[0])
        runs.append(trace)
        venv.close()
    for other in runs[1:]:
        assert all(np.array_equal(x, y) for x, y in zip(runs[0], other, strict=True))


def test_observations_made_in_c_equal_those_made_in_numpy() -> None:
    from pettingretro import host

    if not hasattr(host, "step_many_into"):
        pytest.skip("this build's host has no step_many_into (observations are made in numpy)")
    runs = []
    for in_c in (True, False):
        venv = vector_env("pong_v0", 3, num_threads=2, **ATARI_PREPROCESSING)
        assert venv._prepared is not None
        if not in_c:
            venv._prepared = None
        trace = [venv.reset(seed=2)[0]]
        trace += [venv.step(act)[0] for act in action_stream(25, 6)]
        runs.append(trace)
        venv.close()
    assert all(np.array_equal(a, b) for a, b in zip(*runs, strict=True))


def test_spaces_and_layout() -> None:
    venv = vector_env("pong_v0", 3, num_threads=2, obs_type="ram", agent_indicator=True)
    assert venv.num_envs == 6 and venv.num_games == 3
    assert venv.single_action_space == gymnasium.spaces.Discrete(6)
    assert venv.action_space.shape == (6,)
    assert venv.single_observation_space.shape == (128 + 2,)
    assert venv.observation_space.shape == (6, 130)
    obs, _ = venv.reset(seed=0)
    assert obs[:, -2:].tolist() == [[255, 0], [0, 255]] * 3
    assert np.array_equal(obs[0, :128], venv.envs[0].state())
    venv.close()


def test_agents_that_leave_early_see_zeros_until_their_game_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    venv = per_game(
        vector_env("pong_v0", 2, num_threads=2, obs_type="ram", frame_stack=2, agent_indicator=True)
    )
    venv.reset(seed=0)
    game = venv.envs[1]
    real = game.outcome
    calls: dict[str, Any] = {"n": 0}

    def second_leaves_at_step_3(obs: np.ndarray) -> Any:
        o, r, te, tr, inf = real(obs)
        calls["n"] += 1
        calls["info"] = inf
        if calls["n"] == 3:
            te["second_0"] = True
            game.agents = ["first_0"]
        if calls["n"] == 6:
            te["first_0"] = True
            game.agents = []
        return o, r, te, tr, inf

    monkeypatch.setattr(game, "outcome", second_leaves_at_step_3)
    zero = np.zeros(4, np.int64)
    for step in range(1, 7):
        obs, rew, term, _, infos = venv.step(zero)
        if step == 3:  # the step it leaves: its real last observation, its end held back
            assert obs[3, :256].any() and not term[3]
        if 3 < step < 6:
            assert not obs[3, :256].any() and obs[3, -2:].tolist() == [0, 255]
            assert rew[3] == 0 and not term[3]
            assert obs[2, :256].any()
            # a gone agent has no info: its row of every variable is unset, as gymnasium batches
            variables = [k for k in infos if not k.startswith("_")]
            assert variables
            for k in variables:
                assert infos[f"_{k}"].tolist() == [True, True, True, False], k
                assert infos[k][3] == 0 and infos[k][2] == calls["info"]["first_0"][k], k
    assert term.tolist() == [False, False, True, True]
    assert infos["_final_obs"].tolist() == [False, False, True, True]
    assert not infos["final_obs"][3][:256].any()
    assert obs[3, :256].any()  # the new episode: both agents back
    assert game.agents == ["first_0", "second_0"]
    venv.close()


def test_area_resize_equals_exact_rational_means() -> None:
    rng = np.random.default_rng(0)

    def overlaps(n_in: int, n_out: int) -> np.ndarray:
        """n_out * (length of source pixel s inside output pixel j): integers that sum to n_in."""
        w = np.zeros((n_out, n_in), np.int64)
        for j in range(n_out):
            lo, hi = Fraction(j * n_in, n_out), Fraction((j + 1) * n_in, n_out)
            for s in range(n_in):
                w[j, s] = max(0, min(hi, s + 1) - max(lo, s)) * n_out
        return w

    for h, w, oh, ow, c in [
        (210, 160, 84, 84, 0),
        (7, 5, 3, 4, 3),
        (5, 7, 9, 3, 0),
        (6, 6, 6, 6, 0),
    ]:
        x = rng.integers(0, 256, (2, h, w, c) if c else (2, h, w), np.uint8)
        got = AreaResize((h, w), (oh, ow))(x)
        wy, wx = overlaps(h, oh), overlaps(w, ow)
        den = h * w  # sum of wy's row times sum of wx's row
        for i in range(2):
            planes = [x[i, ..., k] for k in range(c)] if c else [x[i]]
            sums = np.stack([wy @ p.astype(np.int64) @ wx.T for p in planes], -1)
            want = (2 * sums + den) // (2 * den)  # the exact mean, rounded half up
            assert np.array_equal(got[i], want[..., 0] if not c else want), (h, w, oh, ow, c)


def test_errors_name_the_fix() -> None:
    with pytest.raises(ValueError, match=r"no integration named 'pongg'.*own envs are"):
        vector_env("pongg", 1)
    with pytest.raises(ValueError, match="need image observations"):
        vector_env("pong_v0", 1, obs_type="ram", resize=(84, 84))
    with pytest.raises(ValueError, match="conflicts with obs_type='ram'"):
        vector_env("pong_v0", 1, grayscale=True, obs_type="ram")
    venv = vector_env("pong_v0", 2, num_threads=1, obs_type="ram")
    with pytest.raises(VectorEnvError, match="call reset"):
        venv.step(np.zeros(4, np.int64))
    venv.reset(seed=0)
    with pytest.raises(ValueError, match=r"one action per sub-env: shape \(4,\)"):
        venv.step(np.zeros(2, np.int64))
    with pytest.raises(ValueError, match="outside its Discrete"):
        venv.step(np.full(4, 9))
    with pytest.raises(VectorEnvError, match="without send"):
        venv.recv()
    venv.send(np.zeros(4, np.int64))
    with pytest.raises(VectorEnvError, match="call recv"):
        venv.step(np.zeros(4, np.int64))
    venv.recv()
    with pytest.raises(ValueError, match="one seed per game"):
        venv.reset(seed=[1, 2, 3])
    venv.close()
    with pytest.raises(VectorEnvError, match="closed"):
        venv.reset()


def test_pettingzoo_id_and_env_function_are_accepted() -> None:
    a = vector_env("pettingretro/pong-v0", 1, num_threads=1, obs_type="ram")
    b = vector_env(pong_v0.parallel_env, 1, num_threads=1, obs_type="ram")
    assert np.array_equal(a.reset(seed=0)[0], b.reset(seed=0)[0])
    a.close()
    b.close()


def test_supersuit_wrappers_still_work_on_the_parallel_env() -> None:
    ss = pytest.importorskip("supersuit")
    env = pong_v0.parallel_env()
    env = ss.max_observation_v0(env, 2)
    env = ss.sticky_actions_v0(env, repeat_action_probability=0.25)
    env = ss.frame_skip_v0(env, 4)
    env = ss.color_reduction_v0(env, mode="full")
    env = ss.resize_v1(env, 84, 84)
    env = ss.frame_stack_v1(env, 4)
    env = ss.agent_indicator_v0(env, type_only=False)
    venv = ss.pettingzoo_env_to_vec_env_v1(env)
    venv = ss.concat_vec_envs_v1(venv, 2, num_cpus=0, base_class="gymnasium")
    obs, _ = venv.reset(seed=0)
    assert obs.shape == (4, 84, 84, 6)
    for act in action_stream(5, 4):
        obs, *_ = venv.step(act)
    assert obs.shape == (4, 84, 84, 6) and obs[..., 4:].max() == 255
    venv.close()


def test_a_refused_step_changes_no_game(tmp_path) -> None:
    """A bad action for the last game is refused before any game moves: sticky-action draws,
    paddles and recordings of the earlier games go on as if the call never happened."""
    kw: dict[str, Any] = dict(frameskip=2, repeat_action_probability=0.25, obs_type="ram")
    refused = vector_env("pong_v0", GAMES, num_threads=1, record=tmp_path / "a", **kw)
    clean = vector_env("pong_v0", GAMES, num_threads=1, record=tmp_path / "b", **kw)
    for venv in (refused, clean):
        venv.reset(seed=3)
    actions = action_stream(40, GAMES * 2, seed=5)
    bad = actions[0].copy()
    bad[-1] = 99
    with pytest.raises(ValueError, match="outside its Discrete"):
        refused.step(bad)
    for act in actions:
        a, b = refused.step(act), clean.step(act)
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    refused.close()
    clean.close()
    movies_a = sorted((tmp_path / "a").iterdir())
    movies_b = sorted((tmp_path / "b").iterdir())
    assert len(movies_a) == len(movies_b) == GAMES
    for pa, pb in zip(movies_a, movies_b, strict=True):
        assert np.array_equal(Movie(pa).masks, Movie(pb).masks)


def test_two_vector_envs_step_at_once_on_their_own_pools() -> None:
    """Each vector env has its own C pool: two stepped from two threads at the same time give
    what each gives alone (a shared pool would refuse the second, or mix their games)."""
    import threading

    actions = action_stream(40, 4)

    def run(venv: Any, out: list[np.ndarray]) -> None:
        venv.reset(seed=3)
        for act in actions:
            obs, rew, *_ = venv.step(act)
            out.append(np.concatenate([obs.reshape(-1), rew.view(np.uint8)]))

    alone: list[np.ndarray] = []
    venv = vector_env("pong_v0", 2, num_threads=2, obs_type="ram")
    run(venv, alone)
    venv.close()
    venvs = [vector_env("pong_v0", 2, num_threads=2, obs_type="ram") for _ in range(2)]
    outs: list[list[np.ndarray]] = [[], []]
    threads = [threading.Thread(target=run, args=(v, o)) for v, o in zip(venvs, outs, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for v in venvs:
        v.close()
    for out in outs:
        assert len(out) == len(alone)
        assert all(np.array_equal(a, b) for a, b in zip(out, alone, strict=True))


LAYOUTS = [
    {"obs_type": "rgb_image"},  # plain: frames made straight in the rows
    {"obs_type": "grayscale_image", "frame_stack": 3},
    {"obs_type": "rgb_image", "frame_stack": 2, "agent_indicator": True},
    {"obs_type": "rgb_image", "frame_stack": 2, "agent_indicator": True, "channels_last": True},
    {"obs_type": "grayscale_image", "frame_stack": 2, "channels_last": True},
    {"obs_type": "rgb_image", "resize": (40, 30), "max_pool": True, "frame_stack": 2},
    {"obs_type": "grayscale_image", "resize": (84, 84), "agent_indicator": True},
    {"obs_type": "ram"},
    {"obs_type": "ram", "frame_stack": 3, "agent_indicator": True},
]


def leaving_trace(kw: dict[str, Any], in_c: bool, leaver: str) -> list[np.ndarray]:
    """Observations, rewards and endings of 2 Pong games where ``leaver`` of game 1 leaves at
    step 3 and its game ends at step 6; ``in_c=False`` makes every observation in numpy."""
    venv = per_game(vector_env("pong_v0", 2, num_threads=2, frameskip=2, **kw))
    assert venv._prepared is not None
    if not in_c:
        venv._prepared = None
    trace = [venv.reset(seed=4)[0]]
    game = venv.envs[1]
    real = game.outcome
    calls = {"n": 0}
    stays = next(a for a in AGENTS if a != leaver)

    def outcome(obs: np.ndarray) -> Any:
        o, r, te, tr, inf = real(obs)
        calls["n"] += 1
        if calls["n"] == 3:
            te[leaver] = True
            game.agents = [stays]
        if calls["n"] == 6:
            te[stays] = True
            game.agents = []
        return o, r, te, tr, inf

    game.outcome = outcome  # type: ignore[method-assign]
    gone = 2 + AGENTS.index(leaver)
    frames = np.prod(venv.single_observation_space.shape)
    for t, act in enumerate(action_stream(9, 4, seed=6), start=1):
        obs, rew, term, trunc, infos = venv.step(act)
        trace += [obs, rew, term, trunc]
        own = obs[gone].reshape(-1)
        if 3 < t < 6:  # a gone agent's stacked frames are zeros; its indicator stays
            if kw.get("agent_indicator"):
                assert own.max() == 255 and np.count_nonzero(own) < frames / 2
            else:
                assert not own.any()
            assert obs[5 - gone].any()
        if t == 6:
            trace.append(infos["final_obs"][gone])
    venv.close()
    return trace


@pytest.mark.parametrize("leaver", AGENTS)
@pytest.mark.parametrize("kw", LAYOUTS, ids=lambda kw: "-".join(f"{k}={v}" for k, v in kw.items()))
def test_every_layout_made_in_c_equals_numpy_with_agents_leaving(
    kw: dict[str, Any], leaver: str
) -> None:
    """C writes each frame into its final place (stack shift, planes or interleaved pixels,
    dead rows zeroed, a raw frame made in its first live row); numpy's reference gives the same."""
    c, ref = leaving_trace(kw, True, leaver), leaving_trace(kw, False, leaver)
    assert len(c) == len(ref)
    for t, (a, b) in enumerate(zip(c, ref, strict=True)):
        assert a.shape == b.shape and np.array_equal(a, b), t


@pytest.mark.parametrize("kw", LAYOUTS, ids=lambda kw: "-".join(f"{k}={v}" for k, v in kw.items()))
def test_every_layout_is_the_same_for_any_thread_count(kw: dict[str, Any]) -> None:
    runs = []
    for threads in (1, 2, 3):
        venv = vector_env("pong_v0", 3, num_threads=threads, frameskip=2, **kw)
        trace = [venv.reset(seed=1)[0]]
        for act in action_stream(12, 6, seed=2):
            trace += list(venv.step(act)[:4])
        runs.append(trace)
        venv.close()
    for other in runs[1:]:
        assert all(np.array_equal(x, y) for x, y in zip(runs[0], other, strict=True))


def gb_game(root: Path) -> str:
    """pettingretro's Game Boy input test ROM as an integration folder (a RAM region beyond
    SYSTEM_RAM: the observation holds high RAM too)."""
    import hashlib
    import json

    from pettingretro.testing.roms import TEST_ROMS, build_rom

    folder = root / "InputTest-GameBoy"
    folder.mkdir()
    rom = build_rom("gb", root)
    (folder / "rom.gb").write_bytes(rom.read_bytes())
    (folder / "rom.sha").write_text(hashlib.sha1(rom.read_bytes()).hexdigest() + "\n")
    frame = 0xC000 + TEST_ROMS["gb"].frame_offset
    (folder / "data.json").write_text(
        json.dumps({"info": {"frame": {"address": frame, "type": "|u1"}}})
    )
    (folder / "scenario.json").write_text(
        json.dumps({"done": {"variables": {}}, "reward": {"variables": {"frame": {"reward": 1}}}})
    )
    (folder / "metadata.json").write_text(json.dumps({"default_state": None}))
    return str(folder)


@pytest.mark.parametrize("obs_type", ["ram", "rgb_image"])
def test_game_boy_observations_equal_the_parallel_envs(tmp_path: Path, obs_type: str) -> None:
    """Game Boy RAM is work RAM then high RAM (a memory-map region), copied by C each step."""
    from pettingretro.parallel.env import RetroParallelEnv
    from pettingretro.registry import resolve

    name = gb_game(tmp_path)
    venv = vector_env(name, 2, num_threads=2, obs_type=obs_type)
    alone = [RetroParallelEnv(resolve(name), obs_type=obs_type) for _ in range(2)]
    agents = alone[0].possible_agents
    na = len(agents)
    obs, _ = venv.reset(seed=3)
    for g, env in enumerate(alone):
        o, _ = env.reset(seed=3 + g)
        assert np.array_equal(obs[g * na], o[agents[0]])
    k = int(venv.single_action_space.n)  # type: ignore[attr-defined]
    changed = 0
    for act in np.random.default_rng(0).integers(0, k, (30, 2 * na)):
        before = obs.copy()
        obs, rew, *_ = venv.step(act)
        changed += int(not np.array_equal(before, obs))
        for g, env in enumerate(alone):
            o, r, *_ = env.step({a: int(act[g * na + i]) for i, a in enumerate(agents)})
            for i, a in enumerate(agents):
                assert np.array_equal(obs[g * na + i], o[a]) and rew[g * na + i] == r[a]
    assert changed > 20 or obs_type != "ram"  # the frame counter in RAM moves
    venv.close()
    for env in alone:
        env.close()


def test_a_refused_action_is_named_by_its_index_among_the_sub_envs() -> None:
    venv = vector_env("pong_v0", 3, obs_type="ram")
    try:
        venv.reset(seed=0)
        with pytest.raises(
            ValueError, match=r"actions\[3\] \(game 1, second_0\): action 9 .*Discrete\(6\)"
        ):
            venv.step(np.array([0, 0, 0, 9, 0, 0]))
        with pytest.raises(ValueError, match=r"actions\[4\] \(game 2, first_0\): .* got str"):
            venv.step(np.array([0, 0, 0, 0, "x", 0], dtype=object))
    finally:
        venv.close()
