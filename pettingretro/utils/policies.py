"""Simple scripted policies for demos and tests (they read the console's RAM)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from pettingretro.errors import UnknownAgentError

#: Pong's RAM (offsets into the 128 bytes at 0x80): the ball's vertical position (0 while no
#: ball is in play) and each paddle's. 0x31 (ball x) is not a vertical position.
_PONG_BALL_Y = 0x36
_PONG_PADDLE = {"first_0": 0x33, "second_0": 0x32}
#: measured: where each paddle's value must sit, relative to the ball's, for its centre to meet
#: the ball (the two paddles' values do not count from the same point of the sprite)
_PONG_OFFSET = {"first_0": 0, "second_0": -15}


def pong_tracker(ram: npt.NDArray[np.uint8], agent: str) -> int:
    """Pong's first or second player: follow the ball vertically and always press FIRE.

    Args:
        ram: the console's 128 bytes of RAM (``obs_type="ram"``).
        agent: ``"first_0"`` or ``"second_0"``.

    Returns:
        An index into pong_v0's minimal action set (NOOP FIRE RIGHT LEFT RIGHTFIRE LEFTFIRE).

    Raises:
        UnknownAgentError: an agent Pong does not have (it is a ValueError too).

    Example:
        >>> import numpy as np
        >>> pong_tracker(np.zeros(128, np.uint8), "second_0")  # no ball in play: serve
        1
    """
    if agent not in _PONG_PADDLE:
        raise UnknownAgentError(f"pong_tracker plays 'first_0' or 'second_0', got {agent!r}")
    ball = int(ram[_PONG_BALL_Y])
    if ball == 0:
        return 1
    paddle = int(ram[_PONG_PADDLE[agent]])
    target = ball + _PONG_OFFSET[agent]
    if paddle < target - 3:
        return 5  # LEFT + FIRE raises the paddle's value (both ports)
    if paddle > target + 3:
        return 4  # RIGHT + FIRE lowers it
    return 1
