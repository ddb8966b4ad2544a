"""RetroVectorEnv: many games stepped per call on its own C thread pool, one sub-env per (game, agent).

The layer above :class:`~pettingretro.parallel.env.RetroParallelEnv`: each game is a real parallel
env whose :meth:`inputs` and :meth:`outcome` decide actions, rewards and endings, while the
emulation of every game runs in one :func:`pettingretro.host.step_many` call with the GIL
released. Observations, rewards, terminations and truncations land in preallocated batches.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import gymnasium
import numpy as np
import numpy.typing as npt
from gymnasium.vector import AutoresetMode, VectorEnv

from pettingretro.checks import ArgumentTypeError, check_bool, check_int
from pettingretro.errors import VectorEnvError
from pettingretro.host import MAX_PORTS, Emulator, Pool, PreparedStep, step_many
from pettingretro.parallel.actions import InvalidActionError
from pettingretro.parallel.controls import Controls
from pettingretro.parallel.env import BatchedGame, RetroParallelEnv
from pettingretro.registry import resolve
from pettingretro.tiles.ram import GameRam
from pettingretro.vector.resize import AreaResize

__all__ = ["ATARI_PREPROCESSING", "RetroVectorEnv", "vector_env"]

#: The preprocessing PettingZoo recommends for Atari (SuperSuit's max_observation(2),
#: sticky_actions(0.25), frame_skip(4), color_reduction, resize(84, 84), frame_stack(4),
#: agent_indicator), as keyword arguments of :func:`vector_env`.
ATARI_PREPROCESSING: Mapping[str, Any] = {
    "frameskip": 4,
    "max_pool": True,
    "grayscale": True,
    "resize": (84, 84),
    "frame_stack": 4,
    "agent_indicator": True,
    "repeat_action_probability": 0.25,
}

Obs = npt.NDArray[Any]
StepResult = tuple[
    Obs, npt.NDArray[np.float32], npt.NDArray[np.bool_], npt.NDArray[np.bool_], dict[str, Any]
]


def _default_threads() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


#: Info value types gymnasium batches into plain numpy arrays (``VectorEnv._add_info``).
_SCALARS = frozenset({int, float, bool})

#: Bounds that catch a typo (num_envs=10**6) before it allocates a million emulators.
MAX_GAMES = 4096
MAX_THREADS = 1024


class RetroVectorEnv(VectorEnv[Obs, npt.NDArray[np.int64], npt.NDArray[Any]]):
    """Many games of one env, batched: every (game, agent) pair is one sub-env.

    Sub-env ``g * A + a`` is agent ``a`` of game ``g`` (``A`` agents per game), the self-play
    layout of SuperSuit's ``pettingzoo_env_to_vec_env_v1`` + ``concat_vec_envs_v1``: ``step``
    takes one action per sub-env and returns batches of ``num_envs = N * A`` rows. A game that
    ends is reset in the same step (``autoreset_mode`` SAME_STEP): its rows then hold the new
    episode's first observation and ``infos["final_obs"]`` holds the last one.

    Agents that leave before their game ends see zeros (their indicator channels stay), get
    reward 0 and ignore actions; their termination or truncation is reported when the game
    ends (SuperSuit's ``black_death``), so every row's episode ends with its game's.

    Prefer :func:`vector_env`, which builds the games from an env name.

    Args:
        envs: the games: distinct :class:`RetroParallelEnv` of one kind (same agents and
            spaces), each with its own in-process emulator.
        num_threads: C threads stepping the emulators, the calling thread included.
        max_pool: each observation is the pixel-wise max of the last two frames emulated
            (Atari sprites flicker between frames).
        resize: ``(height, width)``: resample every frame by pixel area (exact integer means).
        frame_stack: observations hold the last ``frame_stack`` frames, oldest first; at the
            start of an episode the older ones are zeros.
        agent_indicator: append one constant channel (or value, for RAM) per agent, 255 on
            the row's own agent and 0 on the others.
        channels_last: stacked image observations are ``(H, W, C)`` (SuperSuit's layout) instead of
            ``(C, H, W)`` (ALE's and EnvPool's, what convolutional policies take).
        copy: return fresh arrays; False returns the env's own buffers, overwritten by the
            next step.

    Raises:
        ValueError: envs of different kinds, an isolated emulator, or preprocessing that does
            not fit the observations (``resize`` or ``max_pool`` on RAM).
    """

    def __init__(
        self,
        envs: Sequence[RetroParallelEnv],
        *,
        num_threads: int | None = None,
        max_pool: bool = False,
        resize: tuple[int, int] | None = None,
        frame_stack: int = 1,
        agent_indicator: bool = False,
        channels_last: bool = False,
        copy: bool = True,
    ) -> None:
        if not envs:
            raise ValueError("a vector env needs at least one game")
        num_threads = check_int("num_threads", num_threads, low=1, high=MAX_THREADS, none=True)
        frame_stack = check_int("frame_stack", frame_stack, low=1, high=64)  # type: ignore[assignment]
        for name, flag in (
            ("max_pool", max_pool),
            ("agent_indicator", agent_indicator),
            ("channels_last", channels_last),
            ("copy", copy),
        ):
            check_bool(name, flag)
        if resize is not None:
            if not isinstance(resize, (tuple, list)) or len(resize) != 2:
                raise ArgumentTypeError(
                    f"resize must be (height, width), two positive integers, got {resize!r}"
                )
            resize = (
                int(check_int("resize height", resize[0], low=1, high=4096)),  # type: ignore[arg-type]
                int(check_int("resize width", resize[1], low=1, high=4096)),  # type: ignore[arg-type]
            )
        self.envs = list(envs)
        first = self.envs[0]
        self.agents_per_game = len(first.possible_agents)
        self.possible_agents = list(first.possible_agents)
        for e in self.envs:
            if e.possible_agents != first.possible_agents or e.obs_type != first.obs_type:
                raise ValueError(
                    "every game of a vector env must have the same agents and obs_type"
                )
            if e.frameskip != first.frameskip:
                raise ValueError("every game of a vector env must have the same frameskip")
            if e.crops is not None:
                raise ValueError(
                    "this game crops each player's picture (scenario 'crops'); the vector env "
                    "observes whole screens: use the parallel env, or a scenario without crops"
                )
            if e.obs_type not in ("rgb_image", "grayscale_image", "ram"):
                raise ValueError(
                    f"the vector env batches pictures and RAM; obs_type={e.obs_type!r} (tile ids) "
                    "is for the parallel and AEC envs: use obs_type='rgb_image', "
                    "'grayscale_image' or 'ram'"
                )
            if not isinstance(e.emu, Emulator):
                raise ValueError(
                    "the vector env steps emulators in this process on its C thread pool; "
                    "drop isolate=True (isolated emulators run in worker processes)"
                )
        if len({id(e.emu) for e in self.envs}) != len(self.envs):
            raise ValueError("each game needs its own env: an env appears twice")
        spaces = {repr(first.observation_space(a)) for a in first.possible_agents} | {
            repr(first.action_space(a)) for a in first.possible_agents
        }
        if len(spaces) != 2:
            raise ValueError(
                "every agent of a game must have the same observation and action spaces "
                "(sub-envs share one space)"
            )
        if not isinstance(frame_stack, int) or frame_stack < 1:
            raise ValueError(f"frame_stack must be a positive integer, got {frame_stack!r}")
        self.num_games = len(self.envs)
        self.num_envs = self.num_games * self.agents_per_game
        self.num_threads = _default_threads() if num_threads is None else int(num_threads)
        if self.num_threads < 1:
            raise ValueError(f"num_threads must be >= 1, got {num_threads}")
        self.frameskip = first.frameskip
        self.obs_type = first.obs_type
        self.max_pool = bool(max_pool)
        self.frame_stack = frame_stack
        self.agent_indicator = bool(agent_indicator)
        self.channels_last = bool(channels_last)
        self.copy = bool(copy)
        self.render_mode = first.render_mode
        self.metadata = {**first.metadata, "autoreset_mode": AutoresetMode.SAME_STEP}

        image = self.obs_type != "ram"
        if not image and (resize is not None or max_pool):
            raise ValueError("resize and max_pool need image observations; obs_type='ram' has none")
        raw_shape: tuple[int, ...] = first.observation_space(first.possible_agents[0]).shape or ()
        # grayscale frames are (H, W) inside (C writes luma so); the env's (H, W, 1) comes back out
        gray_channel = self.obs_type == "grayscale_image" and len(raw_shape) == 3
        if gray_channel:
            raw_shape = raw_shape[:2]
        self._raw_shape = raw_shape
        n, na = self.num_games, self.agents_per_game
        # raw frames straight from C: the last frame, and the one before it for max-pooling
        self._last = np.zeros((n, *raw_shape), np.uint8)
        self._before = np.zeros((n, *raw_shape), np.uint8) if max_pool else None
        self._resize = None
        frame_shape = raw_shape
        if resize is not None:
            oh, ow = (int(resize[0]), int(resize[1]))
            self._resize = AreaResize((raw_shape[0], raw_shape[1]), (oh, ow))
            frame_shape = (oh, ow, *raw_shape[2:])
            self._small = np.zeros((n, *frame_shape), np.uint8)
        self._frame_shape = frame_shape

        # one observation row = [frame_stack frames][indicators] in the layout the user gets:
        # frames as planes (C, H, W) one after another, or interleaved by pixel (channels_last,
        # and a plain RGB frame's own (H, W, 3)); C puts every step's frame straight into it
        plain = frame_stack == 1 and not agent_indicator
        ind = na if agent_indicator else 0
        if image:
            h, w = frame_shape[:2]
            c = frame_shape[2] if len(frame_shape) == 3 else 1
            channels = frame_stack * c + ind
            if plain:
                single_shape: tuple[int, ...] = (*frame_shape, 1) if gray_channel else frame_shape
                interleaved = c > 1
            else:
                single_shape = (h, w, channels) if channels_last else (channels, h, w)
                interleaved = channels_last
            ind_size = h * w * ind
        else:  # RAM: one row of bytes, frames one after another, then one value per agent
            h, w, c = 1, int(np.prod(frame_shape)), 1
            channels = frame_stack + ind
            interleaved = False
            ind_size = ind
            single_shape = frame_shape if plain else (frame_stack * w + ind,)
        self._frame_hwc = (h, w, c)
        self._interleaved = interleaved
        self._frame_size = h * w * c
        self._plain = plain
        fs = frame_stack
        row = fs * self._frame_size + ind_size
        self._rows = np.zeros((n, na, row), np.uint8)
        if interleaved:  # (games, agents, pixels, channels)
            pixels = self._rows.reshape(n, na, h * w, channels)
            # the stacked frames (games, agents, pixels, frame, channel): frames on axis -2
            self._frames = pixels[..., : fs * c].reshape(n, na, h * w, fs, c)
            for a in range(ind):
                pixels[:, a, :, fs * c + a] = 255
        else:
            # the stacked frames (games, agents, frame, bytes): frames on axis -2
            self._frames = self._rows[:, :, : fs * self._frame_size].reshape(n, na, fs, -1)
            if ind:
                marks = self._rows[:, :, fs * self._frame_size :].reshape(n, na, na, -1)
                for a in range(na):
                    marks[:, a, a] = 255
        self._single_shape = single_shape
        # a raw frame is its own row: C makes it there, no copy in between (outcome reads it)
        self._direct = plain and not max_pool and resize is None
        self._row_frames = self._rows.reshape(n, na, *raw_shape) if self._direct else self._rows

        self.single_observation_space = gymnasium.spaces.Box(0, 255, single_shape, np.uint8)
        self.single_action_space = first.action_space(first.possible_agents[0])
        self.observation_space = gymnasium.vector.utils.batch_space(
            self.single_observation_space, self.num_envs
        )
        self.action_space = gymnasium.vector.utils.batch_space(
            self.single_action_space, self.num_envs
        )

        self._buttons = np.zeros((n, MAX_PORTS), np.uint16)
        self._emus: list[Emulator] = [e.emu for e in self.envs if isinstance(e.emu, Emulator)]
        self._rewards = np.zeros((n, na), np.float32)
        self._terms = np.zeros((n, na), np.bool_)
        self._truncs = np.zeros((n, na), np.bool_)
        self._alive = np.zeros((n, na), np.bool_)
        self._noop = self._plain_actions()
        # how each agent that left early ended, reported when its game ends (black death)
        self._left_term = np.zeros((n, na), np.bool_)
        self._left_trunc = np.zeros((n, na), np.bool_)
        self._index = {a: i for i, a in enumerate(self.possible_agents)}
        self._started = False
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._pending: Future[StepResult] | None = None
        # this env's own C threads: another vector env steps at the same time on its own pool
        self._pool = Pool(self.num_threads)
        self._closed = False
        # one C call per step: stepping, observations and their final layout on the pool threads
        # (max-pooling a single frame per step needs the step before's frame: numpy does that)
        self._prepared: PreparedStep | None = None
        prepared = not image or not (max_pool and self.frameskip < 2)
        # each game's step state in rows of one batch, its outcome weighed in C (join_batch)
        self._batch = _Batch.join(self.envs) if prepared else None
        batched: dict[str, Any] = {} if self._batch is None else self._batch.step_args()
        if prepared and image:
            self._prepared = PreparedStep(
                self._pool,
                self._emus,
                self._buttons,
                self.frameskip,
                self._last,
                mode="gray" if self.obs_type == "grayscale_image" else "rgb",
                pooled=self._before,
                resize=None if self._resize is None else self._resize.taps,
                out=None if self._resize is None else self._small,
                **self._rows_layout(),
                **batched,
            )
        elif prepared:
            self._prepared = PreparedStep(
                self._pool,
                self._emus,
                self._buttons,
                self.frameskip,
                self._last,
                mode="ram",
                video=self.render_mode is not None,
                ram_regions=[(a, size) for a, _, size in GameRam(self._emus[0]).regions],
                **self._rows_layout(),
                **batched,
            )
        # each game's frame as outcome() gets it when every agent plays: fixed views, made once
        self._made: list[npt.NDArray[np.uint8]] | None = None
        if self._prepared is not None:
            self._made = list(self._row_frames[:, 0] if self._direct else self._last)

    def _rows_layout(self) -> dict[str, Any]:
        h, w, _ = self._frame_hwc
        return {
            "rows": self._rows,
            "alive": self._alive.view(np.uint8),  # read by C at every step
            "stack": self.frame_stack,
            "frame_shape": self._frame_hwc,
            "planes": not self._interleaved,
            "pixel_stride": self._rows.shape[2] // (h * w) if self._interleaved else 0,
            "direct": self._direct,
        }

    def _plain_actions(self) -> npt.NDArray[np.intp] | None:
        """Each game's NOOP rows (games, agents) where actions are plain Discrete indices, else None.

        Then a step's actions are checked as one array (each one an index into the agent's
        action rows, as :meth:`RetroParallelEnv.check_actions` gives), not game by game.
        """
        space = self.single_action_space
        if not isinstance(space, gymnasium.spaces.Discrete) or int(space.start) != 0:
            return None
        if any(e.action_scheme is not None or e.num_actions != int(space.n) for e in self.envs):
            return None
        noop = np.stack([np.asarray(e.check_actions({}), np.intp) for e in self.envs])
        if noop.shape != (self.num_games, self.agents_per_game):
            return None
        return noop

    # ------------------------------------------------------------------ observations

    def _grab(self, dst: npt.NDArray[np.uint8], games: Sequence[int]) -> None:
        """Each listed game's last kept frame (or RAM) into ``dst[g]``, converted by C."""
        kind = self.obs_type
        for g in games:
            emu = self._emus[g]
            if kind == "grayscale_image":
                emu.screen_gray(dst[g])
            elif kind == "rgb_image":
                emu.screen_rgb(dst[g])
            else:
                dst[g] = self.envs[g].state()

    def _push(self, frames: npt.NDArray[np.uint8], games: npt.NDArray[np.intp] | None) -> None:
        """Shift the stacks of ``games`` (all when None) and put ``frames`` (their new frames) last.

        What C does on the pool threads each step; numpy does it for resets.
        """
        k = len(frames)
        h, w, c = self._frame_hwc
        src: npt.NDArray[np.uint8]
        if self._interleaved:
            src = frames.reshape(k, 1, h * w, c)
        elif c > 1:  # (H, W, 3) frames become planes (3, H, W)
            src = np.ascontiguousarray(frames.transpose(0, 3, 1, 2)).reshape(k, 1, -1)
        else:
            src = frames.reshape(k, 1, -1)
        stacks = self._frames if games is None else self._frames[games]
        if self.frame_stack > 1:
            stacks[..., :-1, :] = stacks[..., 1:, :]
        stacks[..., -1, :] = src
        if games is not None:
            self._frames[games] = stacks

    def _as_obs(self, rows: npt.NDArray[np.uint8], copy: bool) -> Obs:
        """Observation rows (games, agents, row) in the single space's shape, one per sub-env."""
        obs: Obs = rows.reshape(rows.shape[0] * rows.shape[1], *self._single_shape)
        return obs.copy() if copy else obs

    def _observations(self) -> Obs:
        return self._as_obs(self._rows, self.copy)

    def _reset_frames(self, games: Sequence[int], frames: list[npt.NDArray[np.uint8]]) -> None:
        """Start the listed games' stacks from their reset frames (older frames are zeros)."""
        idx = np.asarray(games, np.intp)
        for g, f in zip(games, frames, strict=True):
            f = f.reshape(self._last.shape[1:])  # an env's (H, W, 1) luma is (H, W) here
            self._last[g] = f
            if self._before is not None:
                self._before[g] = f
        new = self._last[idx]
        if self._resize is not None:
            new = self._resize(new)
        self._frames[idx] = 0
        self._push(new, idx)

    # ------------------------------------------------------------------ reset

    def reset(
        self,
        *,
        seed: int | Sequence[int | None] | None = None,
        options: dict[str, Any] | None = None,
    ) -> tuple[Obs, dict[str, Any]]:
        """Reset every game.

        Args:
            seed: an int seeds game ``g`` with ``seed + g``; a list gives one seed (or None) per
                game. Seeds drive sticky actions; the games themselves start identically.
            options: passed to every game's reset.

        Returns:
            ``(observations, infos)``.
        """
        self._check_idle()
        if seed is None or isinstance(seed, (int, np.integer)):
            seeds: list[int | None] = [
                None if seed is None else int(seed) + g for g in range(self.num_games)
            ]
        else:
            seeds = list(seed)
            if len(seeds) != self.num_games:
                raise ValueError(
                    f"reset() needs one seed per game ({self.num_games}), got {len(seeds)}"
                )
        if seed is not None:
            super().reset(seed=None if not isinstance(seed, (int, np.integer)) else int(seed))
        frames = []
        for env, s in zip(self.envs, seeds, strict=True):
            obs, _ = env.reset(seed=s, options=options)
            frames.append(obs[env.possible_agents[0]])
        self._reset_frames(range(self.num_games), frames)
        self._show(range(self.num_games))
        self._alive[:] = True
        self._left_term[:] = False
        self._left_trunc[:] = False
        self._started = True
        return self._observations(), {}

    # ------------------------------------------------------------------ stepping

    def step(self, actions: npt.ArrayLike) -> StepResult:
        """Step every game once: one action per sub-env (``num_envs`` of them).

        Returns:
            ``(observations, rewards, terminations, truncations, infos)``, batched over sub-envs.
        """
        self._check_idle()
        return self._step(np.asarray(actions))

    def send(self, actions: npt.ArrayLike) -> None:
        """Start a step in the background; :meth:`recv` returns its result.

        The emulators run without the GIL, so the caller can compute the next batch of actions
        (a policy on another batch, say) meanwhile.
        """
        self._check_idle()
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="pettingretro-vector")
        self._pending = self._executor.submit(self._step, np.array(actions, copy=True))

    def recv(self) -> StepResult:
        """The result of the step that :meth:`send` started (waits for it)."""
        if self._pending is None:
            raise VectorEnvError("recv() without send(): call send(actions) first")
        pending, self._pending = self._pending, None
        return pending.result()

    # SB3's and gymnasium's names for send/recv
    step_async = send
    step_wait = recv

    def _check_idle(self) -> None:
        if self._closed:
            raise VectorEnvError("this vector env was closed; make a new one")
        if self._pending is not None:
            raise VectorEnvError(
                "a step is under way: call recv() before stepping or resetting again"
            )

    def _step(self, actions: npt.NDArray[Any]) -> StepResult:
        if not self._started:
            raise VectorEnvError("step() before reset(): call reset() first")
        if actions.shape != self.action_space.shape:  # MultiBinary: (num_envs, buttons)
            raise ValueError(
                f"step() takes one action per sub-env: shape {self.action_space.shape}, got {actions.shape}"
            )
        if not self._lock.acquire(blocking=False):
            raise VectorEnvError("two threads stepped this vector env at once; give each its own")
        try:
            return self._step_locked(actions)
        finally:
            self._lock.release()

    def _checked_rows(
        self, actions: npt.NDArray[Any], everyone: bool
    ) -> Sequence[npt.NDArray[np.intp]] | npt.NDArray[np.intp]:
        """Every game's action rows, checked before any game moves: a refused step changes nothing."""
        checked = self._action_rows(actions, everyone)
        if checked is not None:
            return checked
        n, na = self.num_games, self.agents_per_game
        agents = self.possible_agents
        acts = actions.reshape(n, na, *(self.single_action_space.shape or ())).tolist()
        rows = []
        for g, env in enumerate(self.envs):
            try:
                rows.append(env.check_actions(dict(zip(agents, acts[g], strict=True))))
            except InvalidActionError as err:  # say which of the num_envs actions it was
                bad = next((a for a in range(na) if not _accepts(env, agents[a], acts[g][a])), 0)
                raise InvalidActionError(
                    f"actions[{g * na + bad}] (game {g}, {agents[bad]}): {err}"
                ) from None
        return rows

    def _step_locked(self, actions: npt.NDArray[Any]) -> StepResult:
        alive = self._alive
        everyone = bool(alive.all())  # no agent left early: every game reports every agent
        batch = self._batch
        prepared = self._prepared is not None
        if batch is not None and prepared and not any(e.observers for e in self.envs):
            return self._step_batch(actions, batch, everyone)
        rows = self._checked_rows(actions, everyone)
        buttons, k = self._buttons, self.frameskip
        motion = batch.deltas if batch is not None and prepared else None
        for g, env in enumerate(self.envs):
            masks, deltas = env.inputs(rows[g])
            buttons[g] = masks
            if motion is not None:  # the prepared step sets every game's paddles from these
                motion[g] = deltas
            env.before_frames(masks, deltas, k)

        last = self._emulate(None if everyone else ~alive)
        made = self._made if self._prepared is not None else None
        frames = made if everyone and made is not None else last
        results = [env.outcome(f) for env, f in zip(self.envs, frames, strict=True)]
        if everyone:
            infos, left = self._outcomes(results)
        else:
            infos, left = self._outcomes_some_left(results)
        return self._finish(infos, left)

    def _finish(self, infos: dict[str, Any], left: bool) -> StepResult:
        """Reset the games whose agents have all left (when some left), then the step's result."""
        self._terms.fill(False)  # an agent's ending is reported when its game ends (black death)
        self._truncs.fill(False)
        if left:
            ended = np.flatnonzero(~self._alive.any(axis=1))
            if len(ended):
                infos = self._autoreset(ended.tolist(), infos)
        return (
            self._observations(),
            self._rewards.reshape(-1).copy(),
            self._terms.reshape(-1).copy(),
            self._truncs.reshape(-1).copy(),
            infos,
        )

    def _step_batch(self, actions: npt.NDArray[Any], b: _Batch, everyone: bool) -> StepResult:
        """A step with no Python per game beyond the rules: inputs, frames and outcomes in batch.

        No game has observers. The results equal those of the games' own ``inputs``,
        ``before_frames`` and ``outcome``, which the other path runs: agents that left get
        their NOOP, no reward and no info until their game ends (black death).
        """
        alive = self._alive
        playing = None if everyone else alive.copy()  # the agents this step is for
        rows = self._checked_rows(actions, everyone)
        if not isinstance(rows, np.ndarray):
            rows = np.array(rows, np.intp)
        p = b.sticky
        if p > 0.0:  # each game draws from its own generator, as its own inputs() does
            draw = np.array([g.np_random.random(self.agents_per_game) for g in b.games])
            held = b.actions
            sticky = (draw < p) & (held != b.noop)
            rows = np.where(sticky if playing is None else sticky & playing, held, rows)
        b.actions[:] = rows
        masks, deltas = b.controls.apply_many(rows)
        self._buttons[:] = masks
        b.deltas[:] = deltas
        prepared = self._prepared
        assert prepared is not None
        prepared()
        b.clock += 1
        over = b.over.astype(np.bool_)
        lives = b.lives
        k = self.frameskip
        for g in b.ruled:  # the game's Python rules: the only per-game Python of this path
            ends, life = b.games[g].after_step(k)
            if ends:
                over[g] = True
            if life is not None:
                lives[g] = life[: self.agents_per_game]
        self._rewards[:] = b.rewards
        if playing is not None:
            self._rewards[~playing] = 0.0
        truncated = b.clock[:, 0] >= b.max_cycles
        infos = self._value_infos(b, playing)
        term = over[:, None] | (lives < 0) if b.has_lives else over[:, None]
        trunc = np.broadcast_to(truncated[:, None], alive.shape)
        left = (term | trunc) & alive
        if left.any():  # (agents that left: _finish resets the games none is left in)
            term = np.broadcast_to(term, alive.shape)
            alive[left] = False
            self._left_term[left] = term[left]
            self._left_trunc[left] = trunc[left]
            agents = self.possible_agents
            for g in np.flatnonzero(left.any(axis=1) & alive.any(axis=1)).tolist():
                b.games[g].leave([a for a, on in zip(agents, alive[g], strict=True) if on])
        return self._finish(infos, bool(left.any()))

    def _value_infos(self, b: _Batch, playing: npt.NDArray[np.bool_] | None) -> dict[str, Any]:
        """The games' data.json variables (and lives) as batched infos: one int64 array per key.

        ``playing``: the agents this step is for (the others get no info), or None for all.
        """
        reports = [e.report_variables for e in self.envs]
        na = self.agents_per_game
        if any(reports) and not all(reports):  # some games report: gymnasium's way, row by row
            rows = []
            for g in range(self.num_games):
                values = dict(zip(b.names, b.values[g].tolist(), strict=True)) if reports[g] else {}
                for a in range(na):
                    if playing is None or playing[g, a]:
                        info = dict(values)
                        if b.has_lives:
                            info["lives"] = int(b.lives[g, a])
                        if info:
                            rows.append((g * na + a, info))
            return self._batch_infos(rows)
        keys = b.names if reports[0] else ()
        parts = [np.repeat(b.values, na, axis=0)] if keys else []
        if b.has_lives:
            keys = (*keys, "lives")
            parts.append(b.lives.reshape(-1, 1))
        if not keys:
            return {}
        columns = np.concatenate(parts, axis=1).T.copy() if len(parts) > 1 else parts[0].T.copy()
        masks = np.ones(columns.shape, np.bool_)  # every sub-env reports every key
        if playing is not None:
            gone = ~playing.reshape(-1)
            columns[:, gone] = 0
            masks[:, gone] = False
        infos: dict[str, Any] = {}
        for key, col, mask in zip(keys, columns, masks, strict=True):
            infos[key] = col
            infos[f"_{key}"] = mask
        return infos

    def _action_rows(
        self, actions: npt.NDArray[Any], everyone: bool
    ) -> npt.NDArray[np.intp] | None:
        """Every game's action rows (games, agents) checked as one array, or None to check per game.

        Plain Discrete indices in range are their own rows; agents that left get their NOOP.
        Anything else (other spaces, other dtypes, an index out of range) goes game by game
        through ``check_actions``, which says what is wrong.
        """
        noop = self._noop
        if noop is None or actions.dtype.kind not in "iu" or not actions.size:
            return None
        if actions.min() < 0 or actions.max() >= int(self.single_action_space.n):  # type: ignore[attr-defined]
            return None
        rows = actions.reshape(noop.shape).astype(np.intp)
        return rows if everyone else np.where(self._alive, rows, noop)

    def _outcomes(self, results: list[tuple[Any, ...]]) -> tuple[dict[str, Any], bool]:
        """Rewards and endings of a step where every agent played, as arrays; the infos batched."""
        chain = itertools.chain.from_iterable
        m = self.num_envs
        try:
            rewards = np.fromiter(chain(r[1].values() for r in results), np.float32, m)
        except ValueError:  # fewer: a game that started with fewer agents than it has
            return self._outcomes_some_left(results)
        self._rewards.reshape(-1)[:] = rewards
        term = np.fromiter(chain(r[2].values() for r in results), np.bool_, m)
        trunc = np.fromiter(chain(r[3].values() for r in results), np.bool_, m)
        info_rows = list(enumerate(chain(r[4].values() for r in results)))
        infos = self._batch_infos([row for row in info_rows if row[1]])
        left = term | trunc
        if not left.any():
            return infos, False
        left = left.reshape(self._alive.shape)
        self._alive[left] = False
        self._left_term[left] = term.reshape(left.shape)[left]
        self._left_trunc[left] = trunc.reshape(left.shape)[left]
        return infos, True

    def _outcomes_some_left(self, results: list[tuple[Any, ...]]) -> tuple[dict[str, Any], bool]:
        """:meth:`_outcomes` where some agents left earlier: their games report fewer agents."""
        na, index = self.agents_per_game, self._index
        rewards, alive = self._rewards, self._alive
        rewards.fill(0.0)
        rows: list[tuple[int, dict[str, Any]]] = []  # (sub-env, its info), in sub-env order
        left = False
        for g, (_, rew, term, trunc, info) in enumerate(results):
            for agent, r in rew.items():
                i = index[agent]
                rewards[g, i] = r
                if term[agent] or trunc[agent]:
                    alive[g, i] = False
                    self._left_term[g, i] = term[agent]
                    self._left_trunc[g, i] = trunc[agent]
                    left = True
                if info[agent]:
                    rows.append((g * na + i, info[agent]))
        return self._batch_infos(rows), left

    def _batch_infos(self, rows: list[tuple[int, dict[str, Any]]]) -> dict[str, Any]:
        """The sub-envs' infos as gymnasium's ``_add_info`` batches them, one array per key.

        Every step's infos hold the game's variables, the same keys of the same scalar types
        for every sub-env: then each key is one array built at once (typed by its first value,
        as ``_add_info`` types it) instead of one ``_add_info`` call per sub-env and key.
        """
        infos: dict[str, Any] = {}
        if not rows:
            return infos
        first = rows[0][1]
        keys = first.keys()
        types = [type(v) for v in first.values()]
        if not all(t in _SCALARS for t in types) or not all(r.keys() == keys for _, r in rows):
            for e, info in rows:
                infos = self._add_info(infos, info, e)
            return infos
        columns = list(zip(*(r.values() for _, r in rows), strict=True))
        if any(len(set(map(type, col))) > 1 for col in columns):  # mixed types: gymnasium's way
            for e, info in rows:
                infos = self._add_info(infos, info, e)
            return infos
        every = len(rows) == self.num_envs
        where = None if every else [e for e, _ in rows]
        for key, t, col in zip(keys, types, columns, strict=True):
            if where is None:
                infos[key] = np.array(col, t)
                infos[f"_{key}"] = np.ones(self.num_envs, np.bool_)
            else:
                values = np.zeros(self.num_envs, t)
                values[where] = col
                mask = np.zeros(self.num_envs, np.bool_)
                mask[where] = True
                infos[key], infos[f"_{key}"] = values, mask
        return infos

    def _emulate(self, gone: npt.NDArray[np.bool_] | None) -> npt.NDArray[np.uint8]:
        """Run every game's frames and put the new frames into the rows; return the raw last frames.

        ``gone``: the agents that left in an earlier step (their rows get zeros), or None.
        """
        if self._prepared is not None:  # one C call: frames, conversion, layout, on the pool
            self._prepared(outcomes=False)  # each game's outcome() weighs its step here
            if not self._direct:
                return self._last
            made: npt.NDArray[np.uint8]
            if gone is None:
                made = self._row_frames[:, 0]
            else:  # made in each game's first live row
                made = self._row_frames[np.arange(self.num_games), np.argmax(~gone, axis=1)]
            return made
        k, pool, buttons = self.frameskip, self._pool, self._buttons
        if self._before is not None and k > 1:
            step_many(self._emus, buttons, k - 1, video=True, pool=pool)
            self._grab(self._before, range(self.num_games))
            step_many(self._emus, buttons, 1, video=True, pool=pool)
        elif self._before is not None:
            self._before, self._last = self._last, self._before
            step_many(self._emus, buttons, 1, video=True, pool=pool)
        else:
            video = self.obs_type != "ram" or self.render_mode is not None
            step_many(self._emus, buttons, k, video=video, pool=pool)
        last = self._last
        self._grab(last, range(self.num_games))
        if self._before is not None:
            pooled = np.maximum(self._before, last, out=self._before if k > 1 else None)
        else:
            pooled = last
        self._push(self._resize(pooled, self._small) if self._resize is not None else pooled, None)
        if gone is not None:
            self._frames[gone] = 0
        return last

    def _autoreset(self, ended: list[int], infos: dict[str, Any]) -> dict[str, Any]:
        """Report how the ended games' agents finished, keep their last rows, and reset them."""
        na = self.agents_per_game
        idx = np.asarray(ended, np.intp)
        self._terms[idx] = self._left_term[idx]
        self._truncs[idx] = self._left_trunc[idx]
        final = self._as_obs(self._rows[idx], copy=True)  # before reset frames overwrite them
        for j, g in enumerate(ended):
            for a in range(na):
                infos = self._add_info(
                    infos, {"final_obs": final[j * na + a], "final_info": {}}, g * na + a
                )
        frames = []
        for g in ended:
            obs, _ = self.envs[g].reset()
            frames.append(obs[self.envs[g].possible_agents[0]])
        self._reset_frames(ended, frames)
        self._show(ended)
        self._alive[idx] = True
        self._left_term[idx] = False
        self._left_trunc[idx] = False
        return infos

    def _show(self, games: Sequence[int]) -> None:
        """Batched games observe their frame where the batch keeps it (reset frames are there)."""
        if self._batch is not None and self._made is not None:
            for g in games:
                self._batch.games[g].show(self._made[g])

    # ------------------------------------------------------------------ the rest

    def render(self) -> tuple[Any, ...] | None:
        """Every game's ``render()`` (each game's ``render_mode`` decides what that is)."""
        if self.render_mode is None:
            return None
        return tuple(env.render() for env in self.envs)

    def close_extras(self, **kwargs: Any) -> None:
        """Wait for a pending step, stop the background thread and close every game."""
        if getattr(self, "_closed", True):  # closed, or its __init__ failed
            return
        if self._pending is not None:
            with contextlib.suppress(Exception):  # closing: the step's error is of no use now
                self._pending.result()
            self._pending = None
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        self._pool.close()
        for env in self.envs:
            env.close()
        self._closed = True

    def __repr__(self) -> str:
        return (
            f"<RetroVectorEnv {self.metadata.get('name')} x{self.num_games} games "
            f"x{self.agents_per_game} agents, {self.num_threads} threads>"
        )


def _env_fn(env: str | Callable[..., RetroParallelEnv]) -> Callable[..., RetroParallelEnv]:
    if callable(env):
        return env
    game = resolve(env)  # any name: an own env, an integration, a folder
    return functools.partial(RetroParallelEnv, game)


def vector_env(
    env: str | Callable[..., RetroParallelEnv],
    num_envs: int = 1,
    *,
    num_threads: int | None = None,
    frameskip: int = 1,
    max_pool: bool = False,
    grayscale: bool = False,
    resize: tuple[int, int] | None = None,
    frame_stack: int = 1,
    agent_indicator: bool = False,
    channels_last: bool = False,
    copy: bool = True,
    **env_kwargs: Any,
) -> RetroVectorEnv:
    """``num_envs`` games of one env as a gymnasium vector env of ``num_envs * agents`` sub-envs.

    Args:
        env: an env module name (``"pong_v0"``), a PettingZoo id (``"pettingretro/pong-v0"``), or
            a function that makes a :class:`RetroParallelEnv` from keyword arguments.
        num_envs: games to run (each holds one emulator).
        num_threads: C threads stepping the games (default: the CPUs this process may use).
        frameskip: frames per step, emulated in C with the same input held.
        max_pool: observe the pixel-wise max of the last two frames.
        grayscale: observe luma (the env's ``obs_type="grayscale_image"``).
        resize: ``(height, width)`` of observed frames, resampled by pixel area.
        frame_stack: frames per observation, oldest first.
        agent_indicator: append a constant channel per agent marking the row's own agent.
        channels_last: stacked images as ``(H, W, C)`` instead of ``(C, H, W)``.
        copy: return fresh arrays (False: the env's buffers, overwritten by the next step).
        **env_kwargs: the game's own keyword arguments (``repeat_action_probability``,
            ``max_cycles``, ``obs_type``, ``full_action_space``, ...).

    Returns:
        A :class:`RetroVectorEnv`; call ``reset(seed=...)`` first.

    Example:
        >>> import numpy as np
        >>> from pettingretro.vector import ATARI_PREPROCESSING, vector_env
        >>> venv = vector_env("pong_v0", num_envs=2, num_threads=2, **ATARI_PREPROCESSING)
        >>> obs, infos = venv.reset(seed=0)
        >>> obs.shape  # 2 games x 2 agents; 4 stacked frames + 2 agent channels
        (4, 6, 84, 84)
        >>> obs, rewards, terminations, truncations, infos = venv.step(np.zeros(4, np.int64))
        >>> venv.close()
    """
    num_envs = check_int("num_envs", num_envs, low=1, high=MAX_GAMES)  # type: ignore[assignment]
    if check_bool("grayscale", grayscale):
        if env_kwargs.get("obs_type", "grayscale_image") != "grayscale_image":
            raise ValueError(f"grayscale=True conflicts with obs_type={env_kwargs['obs_type']!r}")
        env_kwargs["obs_type"] = "grayscale_image"
    make = _env_fn(env)
    games: list[RetroParallelEnv] = []
    try:
        for _ in range(num_envs):
            games.append(make(frameskip=frameskip, **env_kwargs))
        return RetroVectorEnv(
            games,
            num_threads=num_threads,
            max_pool=max_pool,
            resize=resize,
            frame_stack=frame_stack,
            agent_indicator=agent_indicator,
            channels_last=channels_last,
            copy=copy,
        )
    except BaseException:
        for g in games:
            g.close()
        raise


def _accepts(env: RetroParallelEnv, agent: str, action: Any) -> bool:
    """Whether ``agent`` of ``env`` may take ``action`` (changes nothing)."""
    if agent not in env.agents:
        return True  # the actions of agents that left are ignored
    try:
        env.check_action(agent, action)
    except InvalidActionError:
        return False
    return True


class _Batch:
    """The games' step state in one set of arrays (rows per game), for :meth:`RetroVectorEnv._step_batch`."""

    def __init__(
        self,
        games: list[BatchedGame],
        names: tuple[str, ...],
        values: npt.NDArray[np.int64],
        prev: npt.NDArray[np.int64],
        rewards: npt.NDArray[np.float64],
        actions: npt.NDArray[np.intp],
        clock: npt.NDArray[np.int64],
    ) -> None:
        self.games, self.names = games, names
        self.values, self.prev, self.rewards = values, prev, rewards
        self.actions, self.clock = actions, clock
        first = games[0]
        self.controls: Controls = first.controls
        self.sticky = float(first.repeat_action_probability)
        self.noop = first.noop_row
        self.max_cycles = np.array([g.max_cycles for g in games], np.int64)
        self.ruled = [i for i, g in enumerate(games) if g.rules]
        self.has_lives = first.lives
        self.lives = np.zeros(rewards.shape, np.int64)  # each player's, where the rules count them
        self.over = np.zeros(len(games), np.uint8)
        self.deltas = np.zeros((len(games), self.controls.deltas.shape[2]), np.int32)

    @classmethod
    def join(cls, envs: Sequence[RetroParallelEnv]) -> _Batch | None:
        """Every game joined (:meth:`RetroParallelEnv.join_batch`), or None where one cannot."""
        first = envs[0]
        names = first.variable_names
        players = len(first.possible_agents)
        if any(e.variable_names != names or len(e.possible_agents) != players for e in envs):
            return None
        n = len(envs)
        values = np.zeros((n, len(names)), np.int64)
        prev = np.zeros_like(values)
        rewards = np.zeros((n, players), np.float64)
        actions = np.zeros((n, players), np.intp)
        clock = np.zeros((n, 1), np.int64)
        games = []
        for g, e in enumerate(envs):
            if e.num_players != players:
                return None
            joined = e.join_batch(
                values=values[g],
                prev=prev[g],
                rewards=rewards[g],
                actions=actions[g],
                clock=clock[g],
            )
            if joined is None:
                return None
            games.append(joined)
        c = games[0]
        if any(
            not c.controls.same_tables(g.controls)
            or g.repeat_action_probability != c.repeat_action_probability
            or g.noop_row != c.noop_row
            or g.lives != c.lives
            for g in games
        ):
            return None
        return cls(games, names, values, prev, rewards, actions, clock)

    def step_args(self) -> dict[str, Any]:
        """What :class:`PreparedStep` takes to set paddles and weigh outcomes in C."""
        return {
            "deltas": self.deltas,
            "outcomes": [g.outcome for g in self.games],
            "over": self.over,
        }
