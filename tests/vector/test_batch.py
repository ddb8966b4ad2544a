"""The vector env's batch: every game's inputs, frames and outcome in one C call.

Games whose steps need no Python beyond their rules join a batch (``join_batch``); their steps
must give exactly what each game's own ``inputs`` / ``before_frames`` / ``outcome`` give, which
the vector env runs instead when a game has an observer. Each test runs both and compares
every array the step returns, infos included, across episode ends.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import pettingretro
from pettingretro.envs import pong_v0
from pettingretro.parallel.env import RetroParallelEnv
from pettingretro.registry import resolve
from pettingretro.vector import ATARI_PREPROCESSING, vector_env

ENVS = Path(pettingretro.__file__).parent / "envs"


class Inert:
    """An observer that does nothing: its game steps through its own phases."""

    def on_reset(self) -> None: ...
    def on_frames(self, masks: Any, deltas: Any, frames: int) -> None: ...
    def on_episode_end(self) -> None: ...
    def close(self) -> None: ...


def flatten(result: tuple[Any, ...]) -> list[tuple[str, Any]]:
    obs, rew, term, trunc, infos = result
    out = [("obs", obs), ("rew", rew), ("term", term), ("trunc", trunc)]
    for key in sorted(infos):
        value = infos[key]
        if key == "final_obs":
            value = np.stack([v if v is not None else np.zeros_like(obs[0]) for v in value])
        elif key == "final_info":
            value = np.array([v is not None for v in value])
        out.append((key, value))
    return out


def trace(
    make: Any, steps: int, batched: bool, seed: int = 3, noop: bool = False
) -> list[list[tuple[str, Any]]]:
    venv = make()
    try:
        if batched:
            assert venv._batch is not None, "this game should join the batch"
        else:
            for env in venv.envs:
                env.add_observer(Inert())
        rng = np.random.default_rng(seed)
        n = int(venv.single_action_space.n)
        out = [[("obs", venv.reset(seed=seed)[0])]]
        for _ in range(steps):
            acts = rng.integers(0, n, venv.num_envs)
            out.append(flatten(venv.step(acts * 0 if noop else acts)))
            # the games' own idea of who plays on (their check_actions and observe() use it)
            playing = [[a in e.agents for a in e.possible_agents] for e in venv.envs]
            out[-1].append(("agents", np.array(playing)))
            out[-1].append(("buttons", venv._buttons.copy()))  # what the emulators were given
        return out
    finally:
        venv.close()


def assert_same(a: list[Any], b: list[Any]) -> None:
    assert len(a) == len(b)
    for t, (x, y) in enumerate(zip(a, b, strict=True)):
        assert [k for k, _ in x] == [k for k, _ in y], t
        for (key, u), (_, v) in zip(x, y, strict=True):
            assert u.dtype == v.dtype and u.shape == v.shape, (t, key)
            assert np.array_equal(u, v), (t, key)


CASES = {
    # paddles, a stall rule (Python rules per game), sticky actions, preprocessing, truncation
    "pong-preprocessed": dict(
        env="pong_v0", num_envs=3, num_threads=2, max_cycles=40, **ATARI_PREPROCESSING
    ),
    "pong-ram-stack": dict(
        env="pong_v0", num_envs=2, num_threads=1, obs_type="ram", frame_stack=2, max_cycles=25
    ),
    # joysticks, no rules at all: no per-game Python in a step
    "combat-tank-rgb": dict(env="combat_tank_v0", num_envs=2, num_threads=2, max_cycles=30),
    "space-war-gray": dict(
        env="space_war_v0", num_envs=2, num_threads=2, grayscale=True, frameskip=3, max_cycles=20
    ),
    # four players on paddles
    "quadrapong-ram": dict(env="quadrapong_v0", num_envs=2, obs_type="ram", max_cycles=30),
    # nested done nodes (a knockout, or the clock at 0:00) and rules that read deltas
    "boxing-ram": dict(env="boxing_v0", num_envs=2, obs_type="ram", frameskip=4, max_cycles=50),
}

# lives: players leave one by one (their rows zeros, no reward, no info) until the game ends
LIVES = {
    "mario-bros-gray": dict(
        env="mario_bros_v0", num_envs=2, num_threads=2, frameskip=4, grayscale=True,
        resize=(42, 42), frame_stack=2, agent_indicator=True, repeat_action_probability=0.25,
    ),
    "maze-craze-ram": dict(env="maze_craze_v0", num_envs=2, frameskip=4, obs_type="ram"),
    # sticky actions often enough that a player who left would keep its last action
    "mario-bros-sticky": dict(
        env="mario_bros_v0", num_envs=2, frameskip=4, obs_type="ram", repeat_action_probability=0.9
    ),
    "warlords-ram": dict(env="warlords_v0", num_envs=2, frameskip=4, obs_type="ram"),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_a_batched_step_equals_each_games_own_step(case: str) -> None:
    kw = dict(CASES[case])
    name = kw.pop("env")

    def make() -> Any:
        return vector_env(name, **kw)

    assert_same(trace(make, 70, batched=True), trace(make, 70, batched=False))


@pytest.mark.parametrize("case", LIVES, ids=list(LIVES))
def test_players_that_lose_their_last_life_leave_the_same_way_in_the_batch(case: str) -> None:
    kw = dict(LIVES[case])
    name = kw.pop("env")

    def make() -> Any:
        return vector_env(name, **kw)

    batched = trace(make, 900, batched=True, seed=0)
    gone = [t for t, step in enumerate(batched[1:]) if not dict(step)["_lives"].all()]
    assert gone, "no player lost their last life: the case shows nothing"
    assert_same(batched, trace(make, 900, batched=False, seed=0))


def test_the_games_python_rules_run_in_the_batch() -> None:
    """Pong's stall rule (no serve for 120 frames: -1 to the server) is Python per game."""

    def make() -> Any:
        return vector_env("pong_v0", 2, num_threads=2, frameskip=4, obs_type="ram")

    batched = trace(make, 80, batched=True, noop=True)
    assert any((dict(step)["rew"] == -1).any() for step in batched[1:]), "no stall penalty"
    assert_same(batched, trace(make, 80, batched=False, noop=True))


def ticking_mario_bros(root: Path) -> Path:
    """Mario Bros. (lives declared as data) as a folder whose players are rewarded by a RAM
    byte that moves on most steps, found here: rewards keep coming after a player left, and
    must not reach it."""
    from pettingretro.envs import mario_bros_v0

    env = mario_bros_v0.parallel_env(obs_type="ram", frameskip=4)
    rams = [env.reset(seed=0)[0]["first_0"]]
    rams += [env.step({"first_0": 1, "second_0": 1})[0]["first_0"] for _ in range(30)]
    env.close()
    moves = (np.diff(np.array(rams, np.int64), axis=0) != 0).sum(axis=0)
    index = int(np.argmax(moves))
    assert moves[index] >= 20, "no RAM byte moves on most steps"
    folder = root / "TickingMarioBros"
    shutil.copytree(ENVS / "mario_bros", folder)
    data = json.loads((folder / "data.json").read_text())
    data["info"]["tick"] = {"address": 128 + index, "type": "|u1"}
    (folder / "data.json").write_text(json.dumps(data))
    scenario = {"rewards": [{"variables": {"tick": {"reward": 1.0}}}] * 2}
    (folder / "scenario.json").write_text(json.dumps(scenario))
    return folder


def test_players_that_left_get_no_reward_in_the_batch(tmp_path: Path) -> None:
    game = dataclasses.replace(resolve("mario_bros_v0"), data=str(ticking_mario_bros(tmp_path)))

    def make() -> Any:
        return vector_env(lambda **kw: RetroParallelEnv(game, **kw), 2, frameskip=4, obs_type="ram")

    batched = trace(make, 900, batched=True, seed=0)
    gone_and_paid = [
        t
        for t, step in enumerate(batched[1:])
        if not dict(step)["_lives"].all() and dict(step)["rew"].any()
    ]
    assert gone_and_paid, "no step where a player had left while the others were rewarded"
    assert_same(batched, trace(make, 900, batched=False, seed=0))


def quick_ending_pong(root: Path) -> Path:
    """Pong as an integration folder whose episode ends at the first point (so episodes end
    within a few hundred frames, through the C done terms)."""
    folder = root / "QuickPong"
    shutil.copytree(ENVS / "pong", folder)
    scenario = json.loads((folder / "scenario.json").read_text())
    scenario["done"] = {
        "variables": {
            "p1_score": {"op": "equal", "reference": 1},
            "p2_score": {"op": "equal", "reference": 1},
        }
    }
    (folder / "scenario.json").write_text(json.dumps(scenario))
    return folder


def test_games_that_end_reset_the_same_way_in_the_batch(tmp_path: Path) -> None:
    folder = quick_ending_pong(tmp_path)

    def make() -> Any:
        return vector_env(
            lambda **kw: pettingretro.parallel_env(str(folder), **kw),
            3,
            num_threads=2,
            frameskip=4,
            obs_type="ram",
        )

    batched = trace(make, 400, batched=True, seed=5)
    ended = sum(int(dict(step)["term"].any()) for step in batched[1:])
    assert ended >= 2, "the quick scenario should end episodes within 400 steps"
    assert_same(batched, trace(make, 400, batched=False, seed=5))


def test_the_games_own_state_follows_the_batch() -> None:
    """A game's observe(), game_wrapper and its next own step see what the batch did."""
    venv = vector_env("pong_v0", 2, num_threads=2, obs_type="ram")
    ref = pong_v0.parallel_env(obs_type="ram")
    try:
        venv.reset(seed=1)
        ref.reset(seed=2)  # game 1 of the vector env is seeded 1 + 1
        rng = np.random.default_rng(0)
        for _ in range(30):
            acts = rng.integers(0, 6, 4)
            venv.step(acts)
            out = ref.step({"first_0": int(acts[2]), "second_0": int(acts[3])})
        game = venv.envs[1]
        assert np.array_equal(game.observe("first_0"), out[0]["first_0"])
        assert game.game_wrapper.variables == ref.game_wrapper.variables
        # the game's own step goes on from where the batch left it
        mine = game.step({"first_0": 3, "second_0": 4})
        theirs = ref.step({"first_0": 3, "second_0": 4})
        assert np.array_equal(mine[0]["first_0"], theirs[0]["first_0"])
        assert mine[1:] == theirs[1:]
    finally:
        venv.close()
        ref.close()


def test_games_that_need_python_per_step_stay_out_of_the_batch() -> None:
    """A reward_fn keeps a game's own outcome()."""
    venv = vector_env(
        lambda **kw: pettingretro.parallel_env(
            "pong_v0", reward_fn=lambda ram, prev: [0.5, -0.5], **kw
        ),
        2,
        obs_type="ram",
    )
    try:
        assert venv._batch is None
        venv.reset(seed=0)
        _, rew, *_ = venv.step(np.zeros(4, np.int64))
        assert rew[0] >= 0.5 - 1 and rew[1] <= -0.5 + 1  # the reward_fn's part is there
    finally:
        venv.close()
