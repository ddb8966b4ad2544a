"""The README's main job: two policies play Pong; average rewards and a video come out."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from pettingretro.errors import PettingRetroError
from pettingretro.utils.arguments import VIDEO_SUFFIXES, check_output_file
from pettingretro.utils.policies import pong_tracker
from pettingretro.utils.progress import Progress

#: seconds of play before the progress bar shows
PROGRESS_DELAY = 0.5


@dataclass(frozen=True)
class DemoResult:
    """What the demo measured."""

    average_rewards: dict[str, float]
    policies: dict[str, str]
    episodes: int
    frames: int
    video: Path | None


def run_demo(
    steps: int = 2000,
    episodes: int = 1,
    video: str | os.PathLike[str] | None = "pettingretro-demo.mp4",
    seed: int = 0,
    progress: bool | None = None,
) -> DemoResult:
    """Play pong_v0: ``first_0`` follows the ball, ``second_0`` acts at random.

    Args:
        steps: steps per episode at most.
        episodes: episodes to play.
        video: where to write the first episode's video ('' or None: no video).
        seed: seeds the env and the random player.
        progress: draw a progress bar (default: when stderr is a terminal).

    Raises:
        PettingRetroError: ``steps`` or ``episodes`` below 1, or ``video`` cannot be written
            (checked before the game is played).
    """
    from pettingretro.envs import pong_v0

    for name, value in (("steps", steps), ("episodes", episodes)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise PettingRetroError(
                f"run_demo: {name} must be a whole number of at least 1, not {value!r}"
            )
    if video:
        check_output_file(video, VIDEO_SUFFIXES)
    env = pong_v0.parallel_env(obs_type="ram", render_mode="rgb_array")
    rng = np.random.default_rng(seed)
    totals = dict.fromkeys(env.possible_agents, 0.0)
    frames: list[npt.NDArray[np.uint8]] = []
    try:
        with Progress(steps * episodes, "steps", progress, delay=PROGRESS_DELAY) as bar:
            for ep in range(episodes):
                _play_episode(
                    env, ep, steps, seed, rng, totals, frames if ep == 0 and video else None, bar
                )
    finally:
        env.close()
    written = None
    if video:
        from pettingretro.utils.video import write_video

        write_video(frames, video, fps=60)
        written = Path(video)
    return DemoResult(
        average_rewards={a: t / episodes for a, t in totals.items()},
        policies={"first_0": "ball-tracking policy", "second_0": "random policy"},
        episodes=episodes,
        frames=len(frames),
        video=written,
    )


def _play_episode(
    env: Any,
    ep: int,
    steps: int,
    seed: int,
    rng: np.random.Generator,
    totals: dict[str, float],
    frames: list[npt.NDArray[np.uint8]] | None,
    bar: Progress,
) -> None:
    obs, _ = env.reset(seed=seed + ep)
    for i in range(steps):
        if frames is not None:
            frames.append(env.render())
        actions = {
            "first_0": pong_tracker(obs["first_0"], "first_0"),
            "second_0": int(rng.integers(env.action_space("second_0").n)),
        }
        obs, rewards, _, _, _ = env.step({a: actions[a] for a in env.agents})
        for a, r in rewards.items():
            totals[a] += r
        bar.update()
        if not env.agents:
            bar.update(steps - i - 1)  # the episode's unplayed steps count as done
            break
