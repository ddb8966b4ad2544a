"""A playable game: integration data plus how agents bind to controls, modes and setup."""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from pettingretro.checks import ArgumentError, check_int
from pettingretro.integration import GameSpec, IntegrationError, Scenario, load_game
from pettingretro.integration.catalog import declared_players
from pettingretro.integration.game import load_variables
from pettingretro.parallel.controls import Binding
from pettingretro.parallel.rules import DeclaredData, DeclaredRules, Rules

__all__ = ["AGENT_NAMES", "GameDef", "Rules"]

AGENT_NAMES = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")


@dataclass(frozen=True)
class GameDef:
    """How to build one env: its data, its rules and its keyword arguments.

    A game comes from one of three places: a project game (``folder``, its data in ``data``,
    with a ``pettingretro`` block in its metadata), any stable-retro
    integration folder (``path``), or a bare ROM with no data at all (``rom``).

    Attributes:
        env_name: the env's name with version, e.g. ``"pong_v0"``.
        folder: a project game's data folder name (``"pong"``).
        rules: a Rules subclass, or None when the data says everything.
        mode_for: maps the env's own keyword arguments (e.g. ``num_players``) to a game mode.
        defaults: keyword arguments this env fixes (e.g. ``{"num_players": 4}``).
        path: an integration folder anywhere (stable-retro's or the user's).
        rom: a ROM file played without integration data.
        scenario: the scenario file's stem in the integration folder.
        reward_fn: for games without data: ``reward_fn(ram, previous_ram) -> rewards per player``.
        data: a project game's data folder (the path of ``folder``).
        info: a data.json file whose variables replace the integration's (stable-retro's
            ``info=``).
        twin: for an integration or ROM, the data folder of a project game on the same ROM:
            its agent bindings are used, so every player really controls something.
    """

    env_name: str
    folder: str | None = None
    rules: type[Rules] | None = None
    mode_for: Callable[..., int | None] | None = None
    defaults: Mapping[str, Any] = field(default_factory=dict)
    path: str | None = None
    rom: str | None = None
    scenario: str = "scenario"
    reward_fn: Callable[[npt.NDArray[np.uint8], npt.NDArray[np.uint8]], Sequence[float]] | None = (
        None
    )
    data: str | None = None
    twin: str | None = None
    info: str | None = None

    @property
    def spec(self) -> GameSpec:
        """The integration data (loaded once per process)."""
        if self.data is not None:
            return _load(self.data, "scenario")
        if self.path is not None:
            if self.info is not None:
                try:  # the file's identity is in the key: an edited file is read again
                    st = os.stat(self.info)
                    stamp = (st.st_mtime_ns, st.st_size)
                except OSError:
                    stamp = (0, 0)
                return _load_with_info(self.path, self.scenario, self.info, stamp)
            return _load(self.path, self.scenario)
        name = Path(self.rom).stem if self.rom else self.env_name
        return GameSpec(name, Path(self.rom or ".").parent, {}, Scenario.parse({}), {})

    @property
    def native(self) -> bool:
        """True for the project's own games (ALE-style actions, modes, setup)."""
        return bool(self.spec.extra)

    def players(self, requested: Any, ports: int | None = None) -> int:
        """The player count to use: ``requested``, or the game's default, checked.

        Args:
            requested: the ``num_players``/``players`` argument (None: the default).
            ports: how many controllers the console serves (a cap for integrations and ROMs).

        The choices are what the data declares: a project game's ``players`` block, the twin
        project game's agent bindings, an integration's states, scenario and metadata (the
        largest is the default); a bare ROM plays with 1 to ``ports`` players (default 1).

        Raises:
            ArgumentError: a count the game cannot play; the message lists those it can.
        """
        n = check_int("num_players", requested, low=1, none=True)
        info = self.spec.extra.get("players", {})
        if info:
            choices = [int(x) for x in info.get("choices", [2])]
            default = int(info.get("default", choices[0]))
        elif self.twin is not None:
            twin = _load(self.twin, "scenario").extra
            choices = sorted(int(k) for k in twin.get("agents", {}))
            default = int(twin.get("players", {}).get("default", choices[0]))
        elif self.path is not None:
            spec = self.spec
            choices = list(declared_players(spec.path, spec.metadata, {}))
            default = max(choices)
        else:
            choices = list(range(1, (ports or len(AGENT_NAMES)) + 1))
            default = 1
        if ports is not None and self.twin is None and not info:
            choices = [c for c in choices if c <= ports] or [1]
            default = min(default, max(choices))
        if n is None:
            return default
        if n not in choices:
            where = f" (its console serves {ports} controllers)" if ports and n > ports else ""
            raise ArgumentError(
                f"num_players={n}: {self.env_name} plays with {' or '.join(map(str, choices))} "
                f"players{where}"
            )
        return n

    def bindings(self, num_players: int) -> list[Binding]:
        """Each agent's controls for this player count."""
        agents = self.spec.extra.get("agents", {})
        spec = agents.get(str(num_players))
        if spec is None:
            raise IntegrationError(
                f"{self.spec.path / 'metadata.json'}: no 'agents' entry for {num_players} players"
            )
        return [
            Binding.parse(b, f"{self.spec.path / 'metadata.json'} agents[{num_players}][{i}]")
            for i, b in enumerate(spec)
        ]

    def make_rules(self, num_players: int, mode: int | None) -> Rules:
        """The rules of one env: what the metadata declares (``lives``, ``stall``), then ``rules``.

        Raises:
            IntegrationError: the metadata's ``lives`` or ``stall`` block is malformed.
        """
        custom = (self.rules or Rules)(num_players, mode)
        if self.data is None:
            return custom
        declared = _declared(self.data)
        if not declared:
            return custom
        if declared.lives is not None and type(custom).lives is not Rules.lives:
            raise IntegrationError(
                f"{self.spec.path / 'metadata.json'}: lives are declared in the metadata and in "
                f"{type(custom).__name__}.lives; keep one"
            )
        return DeclaredRules(declared, custom)

    def agent_names(self, num_players: int) -> list[str]:
        """PettingZoo Atari's agent names: first_0, second_0, ..."""
        return [f"{AGENT_NAMES[i]}_0" for i in range(num_players)]


@functools.cache
def _load(path: str, scenario: str) -> GameSpec:
    return load_game(path, scenario)


@functools.cache
def _load_with_info(path: str, scenario: str, info: str, _stamp: tuple[int, int]) -> GameSpec:
    return dataclasses.replace(_load(path, scenario), variables=load_variables(info))


@functools.cache
def _declared(path: str) -> DeclaredData:
    spec = _load(path, "scenario")
    players = max((int(n) for n in spec.extra.get("players", {}).get("choices", [2])), default=2)
    return DeclaredData.parse(spec.extra, str(spec.path / "metadata.json"), spec.variables, players)
