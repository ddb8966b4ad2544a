"""PettingZoo's rollout utilities for our envs: average_total_reward, random_demo, save_observation.

The signatures are PettingZoo's (``pettingzoo.utils``), so code calling those runs unchanged;
the differences: results are returned, never printed; parallel envs are accepted as well as
AEC ones; a ``seed`` makes the random policy repeatable; long runs draw a progress bar on a
terminal's stderr.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from pettingretro.errors import PettingRetroError
from pettingretro.utils.progress import Progress

__all__ = ["average_total_reward", "random_demo", "save_observation"]


# one progress bar for every long job (utils.progress); the old private name stays for its tests
_Progress = Progress


def _is_parallel(env: Any) -> bool:
    return not hasattr(env, "agent_iter")


def _random_action(env: Any, agent: str, obs: Any, rng: np.random.Generator) -> Any:
    if isinstance(obs, dict) and "action_mask" in obs:
        return int(rng.choice(np.flatnonzero(obs["action_mask"])))
    space = env.action_space(agent)
    if hasattr(space, "n"):
        return int(space.start + rng.integers(space.n))
    return space.sample()


def average_total_reward(
    env: Any,
    max_episodes: int = 100,
    max_steps: int = 10000000000,
    *,
    seed: int | None = None,
    progress: bool | None = None,
) -> float:
    """The random policy's total reward (all agents, whole episode), averaged over episodes.

    As PettingZoo's: ``max_steps`` counts agent steps (each agent's action is one), and is
    checked between episodes, so the last episode always runs to its end.

    Args:
        env: an AEC or parallel env.
        max_episodes: episodes to play at most.
        max_steps: stop starting new episodes once this many agent steps were taken.
        seed: seeds the env's first reset and the random policy.
        progress: draw a progress bar (default: when stderr is a terminal).

    Returns:
        The average over the episodes played of the sum of every agent's rewards.

    Example:
        >>> from pettingretro.envs import pong_v0
        >>> from pettingretro.utils.rollouts import average_total_reward
        >>> average_total_reward(pong_v0.env(max_cycles=100), max_episodes=2, seed=0)
        0.0
    """
    rng = np.random.default_rng(seed)
    total_reward = 0.0
    total_steps = 0
    num_episodes = 0
    with Progress(max_episodes, "episodes", progress) as bar:
        for episode in range(max_episodes):
            if total_steps >= max_steps:
                break
            first_seed = seed if episode == 0 else None
            if _is_parallel(env):
                obs, _ = env.reset(seed=first_seed)
                while env.agents:
                    total_steps += len(env.agents)
                    actions = {a: _random_action(env, a, obs[a], rng) for a in env.agents}
                    obs, rewards, *_ = env.step(actions)
                    total_reward += float(sum(rewards.values()))
            else:
                env.reset(seed=first_seed)
                for agent in env.agent_iter():
                    obs, reward, termination, truncation, _ = env.last(observe=False)
                    total_reward += float(reward)
                    total_steps += 1
                    if termination or truncation:
                        action = None
                    else:
                        action = _random_action(env, agent, obs, rng)
                    env.step(action)
            num_episodes = episode + 1
            bar.update()
    if num_episodes == 0:
        raise ValueError("no episode was played: max_episodes and max_steps must be positive")
    return total_reward / num_episodes


def random_demo(
    env: Any,
    render: bool = True,
    episodes: int = 1,
    *,
    seed: int | None = None,
    progress: bool | None = None,
) -> float:
    """Play ``episodes`` episodes with random actions, rendering each step.

    As PettingZoo's: the env is rendered before every action when ``render`` (build it with
    ``render_mode="human"`` to see a window) and closed at the end when ``render``.

    Args:
        env: an AEC or parallel env.
        render: call ``env.render()`` every step, and close the env at the end.
        episodes: episodes to play.
        seed: seeds the env's first reset and the random policy.
        progress: draw a progress bar counting steps (default: when stderr is a terminal).

    Returns:
        The total reward of every agent over every episode (PettingZoo's return value).
    """
    rng = np.random.default_rng(seed)
    total_reward = 0.0
    with Progress(None, "steps", progress) as bar:
        for episode in range(episodes):
            first_seed = seed if episode == 0 else None
            if _is_parallel(env):
                obs, _ = env.reset(seed=first_seed)
                while env.agents:
                    if render:
                        env.render()
                    actions = {a: _random_action(env, a, obs[a], rng) for a in env.agents}
                    obs, rewards, *_ = env.step(actions)
                    total_reward += float(sum(rewards.values()))
                    bar.update()
            else:
                env.reset(seed=first_seed)
                for agent in env.agent_iter():
                    if render:
                        env.render()
                    obs, reward, termination, truncation, _ = env.last()
                    total_reward += float(reward)
                    action = (
                        None if termination or truncation else _random_action(env, agent, obs, rng)
                    )
                    env.step(action)
                    bar.update()
    if render:
        env.close()
    return total_reward


def save_observation(
    env: Any,
    agent: str | None = None,
    all_agents: bool = False,
    save_dir: str | os.PathLike[str] = os.getcwd(),  # noqa: B008 - PettingZoo's signature
) -> list[Path]:
    """Save agents' image observations as PNG files, as PettingZoo's does.

    The files go to ``save_dir/<env name>/<agent>.png``. Call ``reset()`` first.

    Args:
        env: an AEC or parallel env with image observations (``obs_type`` rgb or grayscale).
        agent: whose observation (default: the AEC env's ``agent_selection``, or a parallel
            env's first live agent).
        all_agents: save every live agent's observation instead.
        save_dir: the folder to create the env's folder in.

    Returns:
        The files written.

    Raises:
        ValueError: the observations are not images, or the agent is unknown.
    """
    import imageio.v3 as iio

    name = str(getattr(env, "metadata", {}).get("name") or type(env).__name__)
    folder = Path(save_dir) / name.replace("<", "").replace(">", "")
    live = list(env.agents)
    if all_agents:
        chosen = live
    elif agent is not None:
        chosen = [agent]
    elif hasattr(env, "agent_selection"):
        chosen = [env.agent_selection]
    else:
        if not live:
            raise ValueError("no live agent to save the observation of: call reset() first")
        chosen = live[:1]
    written = []
    for a in chosen:
        if a not in getattr(env, "possible_agents", [a]):
            raise ValueError(
                f"unknown agent {a!r}; the env's agents are {', '.join(env.possible_agents)}"
            )
        shape = env.observation_space(a).shape
        if not (len(shape) == 2 or (len(shape) == 3 and shape[2] in (1, 3))):
            raise ValueError(
                f"{name}'s observations are not images (shape {shape}): make the env with "
                f"obs_type='rgb_image' or 'grayscale_image' to save them"
            )
        obs = np.asarray(env.observe(a))
        if obs.ndim == 3 and obs.shape[2] == 1:
            obs = obs[:, :, 0]
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{a}.png"
        try:
            iio.imwrite(path, obs.astype(np.uint8))
        except OSError as e:
            raise PettingRetroError(f"could not write {path}: {e}") from e
        written.append(path)
    return written
