"""Scripted policies beat a random opponent from each side of every game they are offered for."""

from __future__ import annotations

import numpy as np
import pytest

from pettingretro.errors import PettingRetroError
from pettingretro.utils.policies import points_against, pong_tracker
from pettingretro.vector import vector_env


@pytest.mark.parametrize("side", ["first_0", "second_0"])
def test_pong_tracker_beats_random_from_each_side(side: str) -> None:
    # pong_tracker as the opponent of a random `act` is pong_tracker playing the other side
    venv = vector_env(
        "pong_v0", 3, num_threads=2, obs_type="ram", frameskip=4, repeat_action_probability=0.25
    )
    rng = np.random.default_rng(0)
    other = "second_0" if side == "first_0" else "first_0"
    lost, played = points_against(
        venv, lambda obs: rng.integers(6, size=len(obs)), pong_tracker, side=other, steps=1250
    )
    venv.close()
    assert played >= 30  # 3 games x 5,000 frames
    assert (played - lost) / played >= 0.8, f"tracker as {side} won {played - lost} of {played}"


def test_points_against_counts_rallies_of_a_paddle_that_never_moves() -> None:
    # a paddle that only serves loses every rally to the tracker, and rallies do get played
    venv = vector_env("pong_v0", 1, num_threads=1, obs_type="ram", frameskip=4)
    won, played = points_against(
        venv, lambda obs: np.ones(len(obs)), pong_tracker, side="second_0", steps=600
    )
    venv.close()
    assert played >= 5
    assert won == 0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"side": "third_0"}, "side must be one of"),
        ({"side": "first_0", "steps": 0}, "steps must be an integer"),
        ({"side": "first_0", "opponent": "randmo"}, "opponent must be 'random'"),
    ],
)
def test_points_against_refuses_bad_arguments(kwargs: dict[str, object], match: str) -> None:
    venv = vector_env("pong_v0", 1, num_threads=1, obs_type="ram")
    args: dict[str, object] = {"opponent": "random", "steps": 1, **kwargs}
    with pytest.raises(PettingRetroError, match=match):
        points_against(venv, lambda obs: np.zeros(len(obs)), **args)  # type: ignore[arg-type]
    venv.close()


def test_pong_tracker_names_the_agents_it_plays() -> None:
    with pytest.raises(PettingRetroError, match="'first_0' or 'second_0'"):
        pong_tracker(np.zeros(128, np.uint8), "player_1")
