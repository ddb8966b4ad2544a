"""Stable-Baselines3's VecEnv over a RetroVectorEnv (imports stable_baselines3: the `train` extra)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import gymnasium
import numpy as np
import numpy.typing as npt
from stable_baselines3.common.vec_env.base_vec_env import (
    VecEnv,
    VecEnvIndices,
    VecEnvObs,
    VecEnvStepReturn,
)

from pettingretro.vector.env import RetroVectorEnv

__all__ = ["SB3VecEnv"]


class SB3VecEnv(VecEnv):
    """A :class:`RetroVectorEnv` as SB3 expects it: ``reset() -> obs``, 4-tuple steps, list infos.

    Every (game, agent) row is one SB3 env, so one PPO policy plays every side (self-play).
    An ended row's ``info`` holds ``terminal_observation`` and ``TimeLimit.truncated``, as
    SB3's own vector envs do; wrap in ``VecMonitor`` for episode statistics.

    Args:
        venv: the vector env (it is closed with this one).

    Example:
        >>> from stable_baselines3 import PPO  # doctest: +SKIP
        >>> from stable_baselines3.common.vec_env import VecMonitor  # doctest: +SKIP
        >>> from pettingretro.vector import ATARI_PREPROCESSING, vector_env  # doctest: +SKIP
        >>> venv = VecMonitor(SB3VecEnv(vector_env("pong_v0", 8, **ATARI_PREPROCESSING)))  # doctest: +SKIP
        >>> PPO("CnnPolicy", venv).learn(100_000)  # doctest: +SKIP
    """

    def __init__(self, venv: RetroVectorEnv) -> None:
        self.venv = venv
        super().__init__(venv.num_envs, venv.single_observation_space, venv.single_action_space)

    # ------------------------------------------------------------------ stepping

    def reset(self) -> VecEnvObs:
        """Reset every game, with the seeds and options given to seed() / set_options()."""
        per_game = self._seeds[:: self.venv.agents_per_game]
        seeds = None if all(s is None for s in per_game) else per_game
        options = self._options[0] or None
        obs, _ = self.venv.reset(seed=seeds, options=options)
        self._reset_seeds()
        self._reset_options()
        return obs

    def step_async(self, actions: npt.NDArray[Any]) -> None:
        """Start stepping every game (the emulators run without the GIL)."""
        self.venv.send(actions)

    def step_wait(self) -> VecEnvStepReturn:
        """Observations, rewards, dones and one info dict per row."""
        obs, rewards, terms, truncs, infos = self.venv.recv()
        dones = terms | truncs
        rows: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        for key, value in infos.items():
            if key.startswith("_") or key in ("final_obs", "final_info"):
                continue
            mask = infos.get(f"_{key}")
            for i in np.flatnonzero(mask) if mask is not None else range(self.num_envs):
                rows[i][key] = value[i]
        if dones.any():
            final = infos["final_obs"]
            for i in np.flatnonzero(dones):
                rows[i]["terminal_observation"] = final[i]
                rows[i]["TimeLimit.truncated"] = bool(truncs[i] and not terms[i])
        return obs, rewards, dones, rows

    def close(self) -> None:
        """Close the vector env and every game."""
        self.venv.close()

    # ------------------------------------------------------------------ per-row access

    def _games(self, indices: VecEnvIndices) -> list[Any]:
        return [self.venv.envs[i // self.venv.agents_per_game] for i in self._get_indices(indices)]

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        """An attribute of each row's game (rows of one game share it)."""
        return [getattr(g, attr_name) for g in self._games(indices)]

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        """Set an attribute on each row's game."""
        for g in self._games(indices):
            setattr(g, attr_name, value)

    def env_method(
        self,
        method_name: str,
        *method_args: Any,
        indices: VecEnvIndices = None,
        **method_kwargs: Any,
    ) -> list[Any]:
        """Call a method of each row's game."""
        return [
            getattr(g, method_name)(*method_args, **method_kwargs) for g in self._games(indices)
        ]

    def env_is_wrapped(
        self,
        wrapper_class: type[gymnasium.Wrapper[Any, Any, Any, Any]],
        indices: VecEnvIndices = None,
    ) -> list[bool]:
        """Games are PettingZoo envs, never gymnasium wrappers."""
        return [False for _ in self._get_indices(indices)]

    def get_images(self) -> Sequence[npt.NDArray[np.uint8] | None]:
        """Each row's game screen as RGB (rows of one game share it)."""
        return [g.emu.screen_rgb() for g in self._games(None)]

    def _get_indices(self, indices: VecEnvIndices) -> Iterable[int]:
        if indices is None:
            return range(self.num_envs)
        if isinstance(indices, int):
            return [indices]
        return indices
