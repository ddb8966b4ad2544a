"""Game rules beyond the scenario: declared data (lives, stall timers) and Python ``Rules``.

A project game's metadata ``pettingretro`` block may declare what is data:

``"lives"``
    Each player's lives read from a variable: ``{"variables": ["p1_lives", "p2_lives"],
    "offset": -1, "shift": [0, 4]}`` gives player ``i`` ``(value_i >> shift_i) + offset_i``
    (``offset`` and ``shift`` are one integer for all players or one per player; default 0).
    An agent whose lives fall below 0 ends alone; lives are reported in its info.

``"stall"``
    A timer that penalises whoever holds up the game: ``{"while": condition or [conditions],
    "frames": 120, "penalty": -1, "teams": [{"when": condition, "players": [1, 3]},
    {"players": [0, 2]}]}``. A step is stalled while any ``while`` condition holds; otherwise
    the count restarts at 0 (and, with ``"moving_step_counts": true``, that step's frames
    still count, as ALE's double_dunk counts). Once the count reaches ``frames`` it restarts and
    the first team whose ``when`` holds (a team without one always does) gets ``penalty``
    each: added to the step's rewards, or with ``"replace": true`` replacing them (every other
    player gets 0). Players beyond the player count are skipped.

A condition is ``{"variable": name, "mask": m, "op": op, "reference": r}`` in the scenario's
vocabulary (``mask`` optional, the ops of :data:`pettingretro.integration.scenario.OPS`): it holds
when ``op(value & mask, reference) > 0``.

Logic that is not data (a knockout at 100 points, a menu walked through) is a :class:`Rules`
subclass in the game's module; the declared rules run first, then the subclass's ``step``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from pettingretro.errors import IntegrationError
from pettingretro.integration.scenario import OPS


class Rules:
    """Game logic the scenario language cannot say: timers, lives, special endings.

    A game module subclasses this when its data is not enough; the env makes one per episode
    run (``reset`` at each episode start) and calls ``step`` after every env step.

    Args:
        num_players: active players.
        mode: the game mode selected.
    """

    def __init__(self, num_players: int, mode: int | None) -> None:
        self.num_players = num_players
        self.mode = mode

    def reset(self, values: Mapping[str, int]) -> None:
        """A new episode starts with these variable values."""

    def step(
        self,
        values: Mapping[str, int],
        deltas: Mapping[str, int],
        rewards: npt.NDArray[np.float64],
        frames: int,
    ) -> bool:
        """Adjust ``rewards`` in place after ``frames`` frames; return True if the game is over."""
        return False

    @staticmethod
    def select_mode(
        press: Callable[[Mapping[int, int] | None, int], None],
        ram: npt.NDArray[np.uint8],
        mode: int,
    ) -> None:
        """Select ``mode`` where pressing SELECT until a RAM byte matches is not enough.

        Args:
            press: ``press({port: button_mask}, frames)`` holds buttons for some frames
                (``press(None, n)`` waits n frames).
            ram: the live RAM view.
            mode: the mode to reach.
        """
        raise NotImplementedError

    def lives(self, values: Mapping[str, int]) -> Sequence[int] | None:
        """Each player's lives (an agent whose lives fall below 0 ends alone), or None."""
        return None


def _integer(value: Any, where: str, low: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        need = "is required: an integer" if value is None else f"must be an integer, got {value!r}"
        raise IntegrationError(f"{where} {need}")
    if low is not None and value < low:
        raise IntegrationError(f"{where} must be at least {low}, got {value}")
    return value


def _variable(name: Any, where: str, variables: Mapping[str, Any]) -> str:
    if not isinstance(name, str) or name not in variables:
        known = ", ".join(sorted(variables)) or "none"
        raise IntegrationError(f"{where}: {name!r} is not a data.json variable (there: {known})")
    return name


class _Block:
    """Reads one JSON object of the block, with errors naming the file and the key."""

    def __init__(self, spec: Any, where: str, allowed: tuple[str, ...]) -> None:
        if not isinstance(spec, Mapping):
            raise IntegrationError(f"{where}: must be a JSON object, got {spec!r}")
        for key in spec:
            if key not in allowed:
                raise IntegrationError(
                    f"{where}: unknown key {key!r} (allowed: {', '.join(allowed)})"
                )
        self.spec = spec
        self.where = where

    def integer(self, key: str, default: int | None = None, low: int | None = None) -> int:
        return _integer(self.spec.get(key, default), f"{self.where}.{key}", low)

    def flag(self, key: str) -> bool:
        value = self.spec.get(key, False)
        if not isinstance(value, bool):
            raise IntegrationError(f"{self.where}.{key} must be true or false, got {value!r}")
        return value

    def players(self, key: str, count: int) -> tuple[int, ...]:
        value = self.spec.get(key)
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(p, int) and not isinstance(p, bool) for p in value)
            or not all(0 <= p < count for p in value)
        ):
            raise IntegrationError(
                f"{self.where}.{key} must be a list of player indices 0 to {count - 1}, got {value!r}"
            )
        return tuple(value)

    def variable(self, key: str, variables: Mapping[str, Any]) -> str:
        return _variable(self.spec.get(key), f"{self.where}.{key}", variables)


@dataclass(frozen=True)
class Condition:
    """``op(values[variable] & mask, reference) > 0``."""

    variable: str
    mask: int | None
    op: str
    reference: int
    _fn: Callable[[int, int], int] = field(init=False, repr=False, compare=False)

    @classmethod
    def parse(cls, spec: Any, where: str, variables: Mapping[str, Any]) -> Condition:
        """One condition object; ``where`` names its place in the file."""
        block = _Block(spec, where, ("variable", "mask", "op", "reference"))
        op = spec.get("op")
        if op not in OPS:
            raise IntegrationError(f"{where}.op: unknown op {op!r} (one of {', '.join(OPS)})")
        mask = block.integer("mask", low=0) if "mask" in spec else None
        return cls(block.variable("variable", variables), mask, op, block.integer("reference", 0))

    def __post_init__(self) -> None:
        object.__setattr__(self, "_fn", OPS[self.op])  # looked up once, not every step

    def holds(self, values: Mapping[str, int]) -> bool:
        """Whether the condition is true for these values."""
        v = values[self.variable]
        if self.mask is not None:
            v &= self.mask
        return self._fn(v, self.reference) > 0


@dataclass(frozen=True)
class Lives:
    """Each player's lives: ``(values[variable] >> shift) + offset``."""

    variables: tuple[str, ...]
    offsets: tuple[int, ...]
    shifts: tuple[int, ...]

    @classmethod
    def parse(cls, spec: Any, where: str, variables: Mapping[str, Any], players: int) -> Lives:
        """The ``lives`` block for a game of up to ``players`` players."""
        _Block(spec, where, ("variables", "offset", "shift"))
        names = spec.get("variables")
        if not isinstance(names, list) or len(names) < players:
            raise IntegrationError(
                f"{where}.variables must list one variable per player ({players}), got {names!r}"
            )
        checked = tuple(
            _variable(n, f"{where}.variables[{i}]", variables) for i, n in enumerate(names)
        )

        def per_player(key: str, low: int | None) -> tuple[int, ...]:
            value = spec.get(key, 0)
            items = value if isinstance(value, list) else [value] * len(names)
            if len(items) != len(names):
                raise IntegrationError(
                    f"{where}.{key} must be one integer or one per variable ({len(names)}), "
                    f"got {value!r}"
                )
            return tuple(_integer(x, f"{where}.{key}", low) for x in items)

        return cls(checked, per_player("offset", None), per_player("shift", 0))

    def read(self, values: Mapping[str, int]) -> list[int]:
        """Each player's lives."""
        return [
            (values[v] >> s) + o
            for v, s, o in zip(self.variables, self.shifts, self.offsets, strict=True)
        ]


@dataclass(frozen=True)
class Team:
    """The players a stall penalises, when ``when`` holds (always without one)."""

    when: Condition | None
    players: tuple[int, ...]


@dataclass(frozen=True)
class Stall:
    """A stall timer (see the module docstring)."""

    stalled: tuple[Condition, ...]
    frames: int
    penalty: float
    teams: tuple[Team, ...]
    replace: bool
    moving_step_counts: bool

    @classmethod
    def parse(cls, spec: Any, where: str, variables: Mapping[str, Any], players: int) -> Stall:
        """The ``stall`` block for a game of up to ``players`` players."""
        block = _Block(
            spec, where, ("while", "frames", "penalty", "teams", "replace", "moving_step_counts")
        )
        cond = spec.get("while")
        conds = cond if isinstance(cond, list) else [cond]
        if not conds:
            raise IntegrationError(f"{where}.while: needs at least one condition")
        stalled = tuple(
            Condition.parse(
                c, f"{where}.while[{i}]" if isinstance(cond, list) else f"{where}.while", variables
            )
            for i, c in enumerate(conds)
        )
        teams_spec = spec.get("teams")
        if not isinstance(teams_spec, list) or not teams_spec:
            raise IntegrationError(
                f'{where}.teams must be a list of {{"when": condition, "players": [...]}}, got {teams_spec!r}'
            )
        teams = []
        for i, t in enumerate(teams_spec):
            team = _Block(t, f"{where}.teams[{i}]", ("when", "players"))
            when = t.get("when")
            teams.append(
                Team(
                    None
                    if when is None
                    else Condition.parse(when, f"{team.where}.when", variables),
                    team.players("players", players),
                )
            )
        if teams[-1].when is not None:
            raise IntegrationError(
                f"{where}.teams: the last team needs no 'when' (it is penalised when no other is)"
            )
        return cls(
            stalled,
            block.integer("frames", low=1),
            float(block.integer("penalty")),
            tuple(teams),
            block.flag("replace"),
            block.flag("moving_step_counts"),
        )


@dataclass(frozen=True)
class DeclaredData:
    """What a game's metadata declares of its rules: ``lives`` and ``stall`` (each optional)."""

    lives: Lives | None = None
    stall: Stall | None = None

    @classmethod
    def parse(
        cls, block: Mapping[str, Any], where: str, variables: Mapping[str, Any], players: int
    ) -> DeclaredData:
        """Read ``lives`` and ``stall`` from a ``pettingretro`` block.

        Args:
            block: the metadata's ``pettingretro`` block.
            where: the metadata file, for messages.
            variables: the game's data.json variables.
            players: the largest player count the game plays.

        Raises:
            IntegrationError: a malformed block; the message names the file and the key.
        """
        lives = block.get("lives")
        stall = block.get("stall")
        return cls(
            None if lives is None else Lives.parse(lives, f"{where}: lives", variables, players),
            None if stall is None else Stall.parse(stall, f"{where}: stall", variables, players),
        )

    def __bool__(self) -> bool:
        return self.lives is not None or self.stall is not None


class DeclaredRules(Rules):
    """The declared rules of a game, then its Python :class:`Rules` (``custom``).

    Args:
        data: what the metadata declares.
        custom: the game's Python rules (a plain :class:`Rules` when it has none).
    """

    def __init__(self, data: DeclaredData, custom: Rules) -> None:
        super().__init__(custom.num_players, custom.mode)
        self.data = data
        self.custom = custom
        self.count = 0
        self._custom_step = type(custom).step is not Rules.step  # a plain Rules.step does nothing

    def reset(self, values: Mapping[str, int]) -> None:
        """Restart the stall count and the Python rules."""
        self.count = 0
        self.custom.reset(values)

    def step(
        self,
        values: Mapping[str, int],
        deltas: Mapping[str, int],
        rewards: npt.NDArray[np.float64],
        frames: int,
    ) -> bool:
        """The stall timer, then the Python rules' step."""
        stall = self.data.stall
        if stall is not None:
            self._stall(stall, values, rewards, frames)
        return self._custom_step and self.custom.step(values, deltas, rewards, frames)

    def _stall(
        self,
        stall: Stall,
        values: Mapping[str, int],
        rewards: npt.NDArray[np.float64],
        frames: int,
    ) -> None:
        for c in stall.stalled:
            if c.holds(values):
                break
        else:
            self.count = 0
            if not stall.moving_step_counts:
                return
        self.count += frames
        if self.count < stall.frames:
            return
        self.count = 0
        team = next(t for t in stall.teams if t.when is None or t.when.holds(values))
        if stall.replace:
            rewards[:] = 0.0
        for p in team.players:
            if p < self.num_players:
                if stall.replace:
                    rewards[p] = stall.penalty
                else:
                    rewards[p] += stall.penalty

    def lives(self, values: Mapping[str, int]) -> Sequence[int] | None:
        """The declared lives, else the Python rules' lives."""
        if self.data.lives is not None:
            return self.data.lives.read(values)
        return self.custom.lives(values)
