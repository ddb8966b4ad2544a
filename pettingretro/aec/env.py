"""RetroAECEnv: agents act in turn; once every live agent has acted, the parallel env steps once."""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy as np
import numpy.typing as npt
from pettingzoo.utils.env import AECEnv

from pettingretro.errors import EnvStateError
from pettingretro.parallel.env import RetroParallelEnv


class RetroAECEnv(AECEnv[str, npt.NDArray[np.uint8], int | None]):
    """PettingZoo's AEC API over a :class:`RetroParallelEnv`.

    Each agent's action is collected in turn; the emulator steps once per cycle, after the
    last live agent acts, so an AEC cycle costs what a parallel step costs. Rewards from that
    step accumulate for every agent, as PettingZoo's contract asks.

    Args:
        parallel: the env to drive (this adapter owns it and closes it).
    """

    def __init__(self, parallel: RetroParallelEnv) -> None:
        super().__init__()
        self.par = parallel
        self.metadata = parallel.metadata
        self.possible_agents = parallel.possible_agents[:]
        self.observation_spaces = parallel.observation_spaces
        self.action_spaces = parallel.action_spaces
        self.state_space = parallel.state_space
        self.render_mode = parallel.render_mode
        self.agents: list[str] = []
        self._actions: dict[str, Any] = {}
        self._order: list[str] = []
        self._turn = 0
        self._was_reset = False

    @property
    def unwrapped(self) -> RetroAECEnv:
        """The env itself: there is no wrapper to look through."""
        return self

    def observation_space(self, agent: str) -> gymnasium.spaces.Space[Any]:
        """The same Box object on every call."""
        return self.par.observation_space(agent)

    def action_space(self, agent: str) -> gymnasium.spaces.Space[Any]:
        """The same space object on every call."""
        return self.par.action_space(agent)

    def last(
        self, observe: bool = True
    ) -> tuple[npt.NDArray[np.uint8] | None, float, bool, bool, dict[str, Any]]:
        """``agent_selection``'s observation, accumulated reward, termination, truncation, info."""
        self.par.check_open()
        if not self._was_reset:
            raise EnvStateError("last() before reset(): call reset() first")
        agent = self.agent_selection
        obs = self.observe(agent) if observe else None
        return (
            obs,
            self._cumulative_rewards[agent],
            self.terminations[agent],
            self.truncations[agent],
            self.infos[agent],
        )

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> None:
        """Start an episode (see :meth:`RetroParallelEnv.reset`)."""
        _, infos = self.par.reset(seed=seed, options=options)
        self.agents = self.par.agents[:]
        self.rewards = {a: 0.0 for a in self.agents}
        self._cumulative_rewards = {a: 0.0 for a in self.agents}
        self.terminations = {a: False for a in self.agents}
        self.truncations = {a: False for a in self.agents}
        self.infos = infos
        self._actions = {}
        self._order = self.agents[:]
        self._turn = 0
        self._was_reset = True
        self.agent_selection = self._order[0]

    def observe(self, agent: str) -> npt.NDArray[np.uint8]:
        """The current observation (shared by every agent)."""
        return self.par.observe(agent)

    def state(self) -> npt.NDArray[np.uint8]:
        """The global state: a copy of the console's RAM."""
        return self.par.state()

    def step(self, action: Any) -> None:
        """Act for ``agent_selection``; a finished agent must be stepped once with None."""
        self.par.check_open()
        if not self.agents:
            raise EnvStateError(
                "every agent has finished: call reset() to start a new episode"
                if self._was_reset
                else "step() before reset(): call reset() first"
            )
        agent = self.agent_selection
        if self.terminations[agent] or self.truncations[agent]:
            if action is not None:
                raise ValueError(f"{agent!r} has finished: step it with None (got {action!r})")
            self._remove(agent)
            return
        self.par.check_action(agent, action)  # the parallel env's step checks it again
        self._actions[agent] = action
        self._cumulative_rewards[agent] = 0.0
        self._turn += 1
        if self._turn < len(self._order):
            # only collecting actions: no reward is paid on this call
            for a in self.rewards:
                self.rewards[a] = 0.0
            self.agent_selection = self._order[self._turn]
            return
        _, rew, term, trunc, infos = self.par.step(self._actions)
        self._actions = {}
        for a in self.agents:
            self.rewards[a] = rew.get(a, 0.0)
            self._cumulative_rewards[a] += self.rewards[a]
            self.terminations[a] = term.get(a, False)
            self.truncations[a] = trunc.get(a, False)
            self.infos[a] = infos.get(a, {})
        finished = [a for a in self.agents if self.terminations[a] or self.truncations[a]]
        self._order = [a for a in self.agents if a not in finished]
        self._turn = 0
        # finished agents come first: each must be stepped with None before it leaves
        self._dead = finished
        self.agent_selection = finished[0] if finished else self._order[0]

    def _remove(self, agent: str) -> None:
        self.agents.remove(agent)
        for d in (
            self.rewards,
            self._cumulative_rewards,
            self.terminations,
            self.truncations,
            self.infos,
        ):
            d.pop(agent, None)
        for a in self.rewards:
            self.rewards[a] = 0.0
        self._dead = [a for a in getattr(self, "_dead", []) if a != agent]
        if self._dead:
            self.agent_selection = self._dead[0]
        elif self._order:
            self.agent_selection = self._order[self._turn]
        else:
            self.agent_selection = agent if not self.agents else self.agents[0]

    def render(self) -> npt.NDArray[np.uint8] | None:
        """See :meth:`RetroParallelEnv.render`."""
        return self.par.render()

    def close(self) -> None:
        """Close the underlying parallel env."""
        self.par.close()

    def __reduce__(self) -> tuple[Any, ...]:
        return (RetroAECEnv, (self.par,))

    def __str__(self) -> str:
        return str(self.metadata.get("name", "RetroAECEnv"))
