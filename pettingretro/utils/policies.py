"""Simple scripted policies for demos and tests (they read the console's RAM)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def pong_tracker(ram: npt.NDArray[np.uint8], agent: str) -> int:
    """Pong's first or second player: follow the ball vertically and always press FIRE.

    Returns an index into pong_v0's minimal action set (NOOP FIRE RIGHT LEFT RIGHTFIRE LEFTFIRE).
    """
    ball = int(ram[0x31])  # 0xB1: ball's vertical position (0 while no ball is in play)
    left = agent == "first_0"
    paddle = int(ram[0x33] if left else ram[0x32])  # 0xB3 / 0xB2
    if ball == 0:
        return 1
    target = ball - 20 if left else ball + 20  # measured: the paddles' centres sit apart
    if paddle < target - 3:
        return 5  # LEFT + FIRE raises the paddle's value
    if paddle > target + 3:
        return 4  # RIGHT + FIRE lowers it
    return 1
