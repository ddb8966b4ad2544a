"""Scripted policies for demos, tests and evaluation (they read the console's RAM), and a scorer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from pettingretro.checks import ArgumentError, check_int
from pettingretro.errors import UnknownAgentError
from pettingretro.vector import RetroVectorEnv

#: Pong's RAM (offsets into the 128 bytes at 0x80): the ball's vertical position (0 while no
#: ball is in play) and each paddle's. 0x31 (ball x) is not a vertical position.
_PONG_BALL_Y = 0x36
_PONG_PADDLE = {"first_0": 0x33, "second_0": 0x32}
#: measured: where each paddle's value must sit, relative to the ball's, for its centre to meet
#: the ball (the two paddles' values do not count from the same point of the sprite)
_PONG_OFFSET = {"first_0": -10, "second_0": -15}


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


#: An opponent for :func:`points_against`: ``(ram, agent) -> action``, or ``"random"``.
Opponent = Callable[[npt.NDArray[np.uint8], str], int]


def points_against(
    venv: RetroVectorEnv,
    act: Callable[[Any], npt.ArrayLike],
    opponent: Opponent | str,
    *,
    side: str,
    steps: int,
    seed: int = 0,
) -> tuple[int, int]:
    """Play ``act`` as agent ``side`` of every game of ``venv`` against a fixed opponent.

    A *point* is a rally won: one agent's reward is positive and the other's its negative (in
    Pong the score changes). Rewards of one agent alone (Pong's serve-clock penalty) are not
    points. The vector env is reset first and played for ``steps`` steps.

    Args:
        venv: a two-agent vector env (any ``obs_type``; the opponent reads each game's RAM).
        act: the policy under test: the ``side`` rows' observations (one per game) to actions.
        opponent: ``"random"`` (uniform actions) or ``(ram, agent) -> action``, such as
            :func:`pong_tracker`.
        side: the agent ``act`` plays, ``"first_0"`` or ``"second_0"``.
        steps: vector steps to play.
        seed: seeds the games' resets and the random opponent.

    Returns:
        ``(won, played)``: points won by ``act`` and points played.

    Raises:
        UnknownAgentError: ``side`` is not one of the env's two agents.
        ArgumentError: an env without exactly two agents, ``steps`` below 1 or an unknown opponent
            name (a ValueError too).

    Example:
        >>> from pettingretro.vector import vector_env
        >>> venv = vector_env("pong_v0", 2, obs_type="ram", frameskip=4)
        >>> won, played = points_against(
        ...     venv, lambda obs: np.ones(len(obs), np.int64), "random", side="first_0", steps=10
        ... )
        >>> venv.close()
    """
    agents = list(venv.possible_agents)
    if len(agents) != 2:
        raise ArgumentError(f"points_against needs a two-agent env, this one has {agents}")
    if side not in agents:
        raise UnknownAgentError(f"side must be one of {agents}, got {side!r}")
    steps = int(check_int("steps", steps, low=1))  # type: ignore[arg-type]
    if isinstance(opponent, str) and opponent != "random":
        raise ArgumentError(
            f"opponent must be 'random' or a function (ram, agent) -> action, got {opponent!r}"
        )
    me_i = agents.index(side)
    other = agents[1 - me_i]
    n = venv.num_games
    me = np.arange(n) * 2 + me_i
    them = np.arange(n) * 2 + (1 - me_i)
    rng = np.random.default_rng(seed)
    n_actions = int(venv.single_action_space.n)  # type: ignore[attr-defined]
    obs, _ = venv.reset(seed=seed)
    # the opponent reads RAM from each game's emulator: the observations may be pixels
    emus = [game.emu for game in venv.envs if game.emu is not None]
    won = played = 0
    actions = np.zeros(venv.num_envs, np.int64)
    for _ in range(steps):
        actions[me] = np.asarray(act(obs[me]), np.int64).reshape(n)
        if callable(opponent):
            actions[them] = [opponent(emu.ram, other) for emu in emus]
        else:
            actions[them] = rng.integers(n_actions, size=n)
        obs, rewards, _, _, _ = venv.step(actions)
        rally = (rewards[me] != 0) & (rewards[me] == -rewards[them])
        played += int(rally.sum())
        won += int((rally & (rewards[me] > 0)).sum())
    return won, played
