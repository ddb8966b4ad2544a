"""The README's main job: two policies play Pong; average rewards and a video come out."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from pettingretro.utils.policies import pong_tracker


@dataclass(frozen=True)
class DemoResult:
    """What the demo measured."""

    average_rewards: dict[str, float]
    policies: dict[str, str]
    episodes: int
    frames: int
    video: Path | None


def run_demo(
    steps: int = 2000, episodes: int = 1, video: str | None = "pettingretro-demo.mp4", seed: int = 0
) -> DemoResult:
    """Play pong_v0: ``first_0`` follows the ball, ``second_0`` acts at random.

    Args:
        steps: steps per episode at most.
        episodes: episodes to play.
        video: where to write the first episode's video ('' or None: no video).
        seed: seeds the env and the random player.
    """
    from pettingretro.envs import pong_v0

    env = pong_v0.parallel_env(obs_type="ram", render_mode="rgb_array")
    rng = np.random.default_rng(seed)
    totals = dict.fromkeys(env.possible_agents, 0.0)
    frames: list[npt.NDArray[np.uint8]] = []
    for ep in range(episodes):
        obs, _ = env.reset(seed=seed + ep)
        for _ in range(steps):
            if ep == 0 and video:
                frames.append(env.render())  # type: ignore[arg-type]
            actions = {
                "first_0": pong_tracker(obs["first_0"], "first_0"),
                "second_0": int(rng.integers(env.action_space("second_0").n)),  # type: ignore[attr-defined]
            }
            obs, rewards, _, _, _ = env.step({a: actions[a] for a in env.agents})
            for a, r in rewards.items():
                totals[a] += r
            if not env.agents:
                break
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
