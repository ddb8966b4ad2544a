"""Scripted play for the env tests: a policy stepped for a while, held random actions, first rewards."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

#: What ``env.step`` returns: observations, rewards, terminations, truncations, infos.
Step = tuple[dict[str, Any], dict[str, float], dict[str, bool], dict[str, bool], dict[str, Any]]


def play(
    env: Any, policy: Callable[[int], Mapping[str, int]], steps: int
) -> Iterator[tuple[int, Step]]:
    """Step ``env`` with ``policy(t)``'s actions at steps ``t = 0 .. steps - 1``, yielding ``(t, step)``."""
    for t in range(steps):
        yield t, env.step(policy(t))


def held_random(
    env: Any,
    seed: int,
    steps: int,
    hold: int = 10,
    agents: Sequence[str] | None = ("first_0", "second_0"),
    actions: int = 18,
) -> Iterator[tuple[int, Step]]:
    """Random actions from ``seed``, each held for ``hold`` steps (a searched, fixed sequence).

    Args:
        env: a parallel env, reset.
        seed: the generator's seed.
        steps: how many steps.
        hold: steps each draw is held.
        agents: who gets a draw, in this order (None: the live agents at each draw).
        actions: draws are ``0 .. actions - 1``.
    """
    rng = np.random.default_rng(seed)
    acts: dict[str, int] = {}

    def policy(t: int) -> dict[str, int]:
        nonlocal acts
        if t % hold == 0:
            acts = {
                a: int(rng.integers(actions)) for a in (env.agents if agents is None else agents)
            }
        return acts

    return play(env, policy, steps)


def first_reward(steps: Iterable[tuple[int, Step]], failure: str = "no reward") -> tuple[int, Step]:
    """The first ``(t, step)`` with a nonzero reward; ``failure`` is the message when none comes."""
    for t, out in steps:
        if any(out[1].values()):
            return t, out
    raise AssertionError(failure)
