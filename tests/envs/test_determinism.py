"""reset(seed) gives the same trajectory whatever ran before it, in the env, the process, a thread."""

from __future__ import annotations

import hashlib
import importlib
import threading

import numpy as np
import pytest

from pettingretro.envs import ENV_MODULES, pong_v0


def rollout(env, seed: int, steps: int = 200) -> list[str]:
    obs, _ = env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    out = [hashlib.sha1(obs[env.possible_agents[0]].tobytes()).hexdigest()]
    for _ in range(steps):
        if not env.agents:
            break
        acts = {a: int(rng.integers(env.action_space(a).n)) for a in env.agents}
        obs, rew, *_ = env.step(acts)
        first = next(iter(obs.values()))
        out.append(hashlib.sha1(first.tobytes() + repr(sorted(rew.items())).encode()).hexdigest())
    return out


@pytest.mark.parametrize("name", ENV_MODULES)
def test_reset_is_history_independent(name: str) -> None:
    """Every env: the same seed gives the same screens and rewards, whatever ran before."""
    module = importlib.import_module(f"pettingretro.envs.{name}")
    env = module.parallel_env()
    first = rollout(env, 3)
    rollout(env, 99, 321)  # something else in between
    assert rollout(env, 3) == first
    other = module.parallel_env()
    assert rollout(other, 3) == first


def test_sticky_actions_follow_the_seed() -> None:
    env = pong_v0.parallel_env(obs_type="ram", repeat_action_probability=0.25)
    a = rollout(env, 5)
    b = rollout(env, 5)
    c = rollout(env, 6)
    assert a == b and a != c


def test_same_results_on_threads() -> None:
    expected = rollout(pong_v0.parallel_env(), 11, 150)
    results: list[list[str]] = [[] for _ in range(4)]

    def work(i: int) -> None:
        results[i] = rollout(pong_v0.parallel_env(), 11, 150)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == expected for r in results)
