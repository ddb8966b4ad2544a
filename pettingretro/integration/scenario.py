"""stable-retro's scenario language: per-player rewards, done conditions, action filters, crops.

A scenario (``scenario.json`` or any other ``*.json`` beside ``data.json``) is parsed once into
plain objects; evaluating it every step reads a dict of variable values and does no parsing.
It means what it means in stable-retro (``src/data.cpp``), with these rules spelled out:

Rewards
    ``"reward": {...}`` is player 0's reward. ``"rewards": [{...}, {...}, ...]`` gives player
    ``i`` entry ``i``; entries beyond the player count are ignored. A scenario may not have both.

    **Several players and a single ``"reward"``: player 0 (``first_0``) gets it and every other
    player gets 0.** This is stable-retro's own rule (its ``current_reward(1)`` is 0), and the
    only safe one: a single reward is written from player 1's point of view (P1's score, P1's
    health), so sharing it would pay the other players for their opponent's success in a
    competitive game. To give every player a reward, write ``"rewards"``; to share one reward,
    repeat it in each entry.

    A reward is the sum over its ``variables`` of the measured value (``"measurement"``:
    ``"delta"`` by default, or ``"absolute"``), passed through ``"op"`` with ``"reference"`` when
    an op is given; a result ``v > 0`` adds ``v * reward``, ``v < 0`` adds ``v * penalty``.
    ``reward`` and ``penalty`` both default to 0, so a variable that can fall needs a ``penalty``
    to be penalised. ``"time": {"reward": r}`` adds ``r`` every emulated frame (the measured
    value of time is 1 per frame, so a per-frame cost is ``{"reward": -0.01}``; its ``penalty``
    only applies after an op that yields a negative value). ``"script": "lua:fn"`` replaces the
    variables and the time term with the value of the Lua function ``fn`` (a number, or a
    boolean read as 1/0; anything else is 0).

Done
    ``"done"`` is a node: its ``variables`` (``"measurement"`` ``"absolute"`` by default; a term
    holds when its op result is ``> 0``, and with no op when the value itself is ``> 0``) and
    its nested ``nodes``, combined with ``"condition"``: ``"any"`` (default) or ``"all"``.
    A node with nothing to check is never done under ``"any"`` and always done under ``"all"``.
    ``"script": "lua:fn"`` on the top node replaces the whole condition (the function's result
    is read as a boolean; a number is true when nonzero); nested nodes cannot have scripts.
    One done condition ends the episode for every player.

Ops
    equal, negative-equal (value == -reference), not-equal, less-than, greater-than,
    less-or-equal, greater-or-equal, nonzero, zero, positive, negative (each 1 or 0), and sign
    (-1, 0 or 1).

Order and timing
    Each step evaluates the done condition first, then player 0's reward, player 1's, ...
    (the order stable-retro uses, which scripts that share state can observe). stable-retro
    evaluates once per emulated frame; an env that runs several frames per step evaluates once
    per step, so deltas span the step and the time term is multiplied by the frames run.
    Lua scripts are described in :mod:`pettingretro.integration.lua`.

Actions and crops
    ``"actions"``: groups of allowed button combos (see :class:`ActionFilter`; without it the
    system's own groups from its core json apply). ``"crop": [x, y, w, h]`` crops every player's
    screen, ``"crops"`` gives one per player (see :class:`Crop`).

Unlike stable-retro, which ignores what it does not understand, parsing rejects unknown keys,
ops and measurements, and non-numeric values, with a :class:`ScenarioError` naming the file
and the key. Rewards are computed in float64 (stable-retro uses float32).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pettingretro.errors import ScenarioError, ScriptError
from pettingretro.host import MAX_DONE_NODES, TERM_OPS, TermProgram

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from pettingretro.integration.lua import LuaScripts
    from pettingretro.integration.memory import AddressSpace

OPS: dict[str, Callable[[int, int], int]] = {
    "equal": lambda v, r: int(v == r),
    "negative-equal": lambda v, r: int(v == -r),
    "not-equal": lambda v, r: int(v != r),
    "less-than": lambda v, r: int(v < r),
    "greater-than": lambda v, r: int(v > r),
    "less-or-equal": lambda v, r: int(v <= r),
    "greater-or-equal": lambda v, r: int(v >= r),
    "nonzero": lambda v, r: int(v != 0),
    "zero": lambda v, r: int(v == 0),
    "positive": lambda v, r: int(v > 0),
    "negative": lambda v, r: int(v < 0),
    "sign": lambda v, r: -1 if v < 0 else 1 if v > 0 else 0,
}
MEASUREMENTS = ("absolute", "delta")
CONDITIONS = ("any", "all")

_TOP_KEYS = ("reward", "rewards", "done", "actions", "crop", "crops", "scripts")
_REWARD_KEYS = ("variables", "time", "script")
_REWARD_TERM_KEYS = ("measurement", "op", "reference", "reward", "penalty")
_DONE_KEYS = ("variables", "nodes", "condition", "script")
_DONE_TERM_KEYS = ("measurement", "op", "reference")


def _check_keys(spec: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
    for k in spec:
        if k not in allowed:
            raise ScenarioError(f"{where}: unknown key {k!r} (allowed: {', '.join(allowed)})")


def _number(spec: Mapping[str, Any], key: str, where: str) -> float:
    value = spec.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ScenarioError(f"{where}.{key}: must be a number, got {value!r}")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise ScenarioError(f"{where}.{key}: must be a finite number, got {value!r}")
    return number


def _integer(spec: Mapping[str, Any], key: str, where: str) -> int:
    value = spec.get(key, 0)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScenarioError(f"{where}.{key}: must be an integer, got {value!r}")
    return value


def _object(spec: Any, where: str, what: str) -> Mapping[str, Any]:
    if not isinstance(spec, Mapping):
        raise ScenarioError(f"{where}: {what} must be a JSON object, got {spec!r}")
    return spec


@dataclass(frozen=True)
class ScriptRef:
    """A script function named by ``"script": "lua:fn"`` (``"fn"`` alone also means Lua)."""

    function: str
    scope: str = "lua"

    @classmethod
    def parse(cls, text: Any, where: str) -> ScriptRef:
        """Parse ``"lua:fn"``.

        Raises:
            ScenarioError: not a string naming a Lua function.
        """
        if not isinstance(text, str) or not text:
            raise ScenarioError(f"{where}: must be a string like 'lua:function_name', got {text!r}")
        scope, _, fn = text.rpartition(":")
        scope = scope or "lua"
        if not fn:
            raise ScenarioError(f"{where}: names no function, got {text!r}")
        if scope != "lua":
            raise ScenarioError(
                f"{where}: only Lua scripts are supported ('lua:{fn}'), got {text!r}"
            )
        if not fn.replace("_", "a").isalnum() or fn[0].isdigit():
            raise ScenarioError(f"{where}: {fn!r} is not a Lua function name")
        return cls(fn, scope)

    def __str__(self) -> str:
        return f"{self.scope}:{self.function}"


@dataclass(frozen=True)
class Term:
    """One measured variable: ``measurement`` (absolute/delta), optional ``op`` and ``reference``."""

    variable: str
    measurement: str
    op: str | None
    reference: int
    reward: float = 0.0
    penalty: float = 0.0

    @classmethod
    def parse(
        cls, name: str, spec: Any, where: str, default_measurement: str, rewarded: bool
    ) -> Term:
        """Parse one variable's spec; ``where`` names the file and key for errors."""
        spec = _object(spec, where, f"variable {name!r}")
        _check_keys(spec, _REWARD_TERM_KEYS if rewarded else _DONE_TERM_KEYS, where)
        measurement = spec.get("measurement", default_measurement)
        if measurement not in MEASUREMENTS:
            raise ScenarioError(
                f"{where}.measurement: unknown measurement {measurement!r} (use absolute or delta)"
            )
        op = spec.get("op")
        if op is not None and (not isinstance(op, str) or op not in OPS):
            raise ScenarioError(f"{where}.op: unknown op {op!r} (one of {', '.join(OPS)})")
        return cls(
            variable=name,
            measurement=measurement,
            op=op,
            reference=_integer(spec, "reference", where),
            reward=_number(spec, "reward", where) if rewarded else 0.0,
            penalty=_number(spec, "penalty", where) if rewarded else 0.0,
        )

    def measure(self, values: Mapping[str, int], deltas: Mapping[str, int]) -> int:
        """The measured value, after the op when there is one."""
        v = deltas[self.variable] if self.measurement == "delta" else values[self.variable]
        return OPS[self.op](v, self.reference) if self.op else v

    def weigh(self, measured: float) -> float:
        """``measured`` times ``reward`` when positive, times ``penalty`` when negative."""
        return (
            measured * self.penalty
            if measured < 0
            else measured * self.reward
            if measured > 0
            else 0.0
        )

    def reward_for(self, values: Mapping[str, int], deltas: Mapping[str, int]) -> float:
        """The measured value times ``reward`` (when positive) or ``penalty`` (when negative)."""
        return self.weigh(self.measure(values, deltas))


_Compiled = tuple[str, bool, Callable[[int, int], int] | None, int, float, float]


def _compile(terms: Sequence[Term]) -> tuple[_Compiled, ...]:
    return tuple(
        (
            t.variable,
            t.measurement == "delta",
            OPS[t.op] if t.op else None,
            t.reference,
            t.reward,
            t.penalty,
        )
        for t in terms
    )


@dataclass(frozen=True)
class RewardSpec:
    """One player's reward: a sum of measured variables and a per-frame time term, or a script."""

    terms: tuple[Term, ...]
    time: Term | None = None
    script: ScriptRef | None = None
    _compiled: tuple[_Compiled, ...] = field(init=False, repr=False, compare=False)
    _per_frame: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_compiled", _compile(self.terms))
        t = self.time
        # time is measured as 1 per frame (stable-retro: calculate(value=1, delta=1))
        per_frame = t.weigh(OPS[t.op](1, t.reference) if t.op else 1) if t is not None else 0.0
        object.__setattr__(self, "_per_frame", per_frame)

    @property
    def per_frame(self) -> float:
        """The time term's reward per emulated frame (0 without one)."""
        return self._per_frame

    def __call__(
        self, values: Mapping[str, int], deltas: Mapping[str, int], frames: int = 1
    ) -> float:
        """The player's reward for one step of ``frames`` frames.

        Raises:
            ScenarioError: the reward is a script (evaluate it with :meth:`Scenario.evaluator`).
        """
        if self.script is not None:
            raise ScenarioError(
                f"this reward is the Lua function {self.script}: evaluate it with Scenario.evaluator()"
            )
        total = self._per_frame * frames
        for name, delta, op, ref, reward, penalty in self._compiled:
            v = deltas[name] if delta else values[name]
            if op is not None:
                v = op(v, ref)
            if v > 0:
                total += v * reward
            elif v < 0:
                total += v * penalty
        return total


@dataclass(frozen=True)
class DoneNode:
    """A done condition: variables and nested nodes combined with ``any`` (default) or ``all``."""

    terms: tuple[Term, ...] = ()
    nodes: tuple[DoneNode, ...] = ()
    condition: str = "any"
    script: ScriptRef | None = None
    node_names: tuple[str, ...] = ()
    _compiled: tuple[_Compiled, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_compiled", _compile(self.terms))
        if len(self.node_names) != len(self.nodes):
            object.__setattr__(self, "node_names", tuple(str(i) for i in range(len(self.nodes))))

    def __call__(self, values: Mapping[str, int], deltas: Mapping[str, int]) -> bool:
        """Whether the condition holds.

        Raises:
            ScenarioError: the condition is a script (evaluate it with :meth:`Scenario.evaluator`).
        """
        if self.script is not None:
            raise ScenarioError(
                f"this done condition is the Lua function {self.script}: evaluate it with Scenario.evaluator()"
            )
        want_any = self.condition == "any"
        for name, delta, op, ref, _r, _p in self._compiled:
            v = deltas[name] if delta else values[name]
            if op is not None:
                v = op(v, ref)
            if (v > 0) == want_any:
                return want_any
        for node in self.nodes:
            if node(values, deltas) == want_any:
                return want_any
        return not want_any

    @property
    def empty(self) -> bool:
        """True when the node can never hold (nothing to check under ``any``)."""
        return not self.terms and not self.nodes and self.script is None and self.condition == "any"

    def variables(self) -> set[str]:
        """Every variable this node and its children read."""
        names = {t.variable for t in self.terms}
        for n in self.nodes:
            names |= n.variables()
        return names


def _parse_done(spec: Any, where: str, top: bool) -> DoneNode:
    spec = _object(spec, where, "a done node")
    _check_keys(spec, _DONE_KEYS if top else _DONE_KEYS[:3], where)
    condition = spec.get("condition", "any")
    if condition not in CONDITIONS:
        raise ScenarioError(f"{where}.condition: must be 'any' or 'all', got {condition!r}")
    variables = _object(spec.get("variables", {}), f"{where}.variables", "'variables'")
    nodes = _object(spec.get("nodes", {}), f"{where}.nodes", "'nodes'")
    script = spec.get("script")
    return DoneNode(
        terms=tuple(
            Term.parse(str(k), v, f"{where}.variables.{k}", "absolute", False)
            for k, v in variables.items()
        ),
        nodes=tuple(_parse_done(v, f"{where}.nodes.{k}", False) for k, v in nodes.items()),
        node_names=tuple(str(k) for k in nodes),
        condition=condition,
        script=ScriptRef.parse(script, f"{where}.script") if script is not None else None,
    )


def _parse_reward(spec: Any, where: str) -> RewardSpec:
    spec = _object(spec, where, "a reward")
    _check_keys(spec, _REWARD_KEYS, where)
    variables = _object(spec.get("variables", {}), f"{where}.variables", "'variables'")
    time = spec.get("time")
    script = spec.get("script")
    return RewardSpec(
        terms=tuple(
            Term.parse(str(k), v, f"{where}.variables.{k}", "delta", True)
            for k, v in variables.items()
        ),
        time=Term.parse("<time>", time, f"{where}.time", "delta", True)
        if time is not None
        else None,
        script=ScriptRef.parse(script, f"{where}.script") if script is not None else None,
    )


@dataclass(frozen=True)
class Crop:
    """A screen crop ``[x, y, width, height]``, applied as stable-retro's ``get_screen``.

    A width of 0, or one reaching past the right edge, keeps everything right of ``x``;
    likewise for the height.
    """

    x: int
    y: int
    width: int
    height: int

    @classmethod
    def parse(cls, spec: Any, where: str) -> Crop:
        """Parse ``[x, y, width, height]``.

        Raises:
            ScenarioError: not four non-negative integers.
        """
        if (
            not isinstance(spec, Sequence)
            or isinstance(spec, str)
            or len(spec) != 4
            or any(isinstance(c, bool) or not isinstance(c, int) or c < 0 for c in spec)
        ):
            raise ScenarioError(
                f"{where}: must be [x, y, width, height] (non-negative integers), got {spec!r}"
            )
        return cls(*(int(c) for c in spec))

    def slices(self, height: int, width: int) -> tuple[slice, slice]:
        """The row and column slices of a ``height`` x ``width`` screen."""
        right = width if not self.width or self.x + self.width > width else self.x + self.width
        bottom = (
            height if not self.height or self.y + self.height > height else self.y + self.height
        )
        return slice(self.y, bottom), slice(self.x, right)

    def shape(self, height: int, width: int) -> tuple[int, int]:
        """The cropped size of a ``height`` x ``width`` screen."""
        rows, cols = self.slices(height, width)
        return len(range(height)[rows]), len(range(width)[cols])

    def apply(self, screen: Any) -> Any:
        """A view of ``screen`` (H x W or H x W x C) cropped."""
        rows, cols = self.slices(screen.shape[0], screen.shape[1])
        return screen[rows, cols]


class ActionFilter:
    """Allowed button combos, as stable-retro's ``setActions``/``filterAction``.

    Each group is a list of combos (lists of button names). A group's mask is the union of
    its buttons; an action (a joypad bitmask, bit ``i`` = ``buttons[i]``) keeps, for each group,
    its bits within the group's mask only when they form one of the group's combos, and loses
    them otherwise. Buttons in no group are dropped.

    Args:
        groups: the scenario's (or the system's) ``"actions"``.
        buttons: the system's button names by bit (core json ``buttons``; None for unused bits).
        where: the file and key, for errors.

    Raises:
        ScenarioError: a button name the system does not have.

    Example:
        >>> f = ActionFilter([[[], ["UP"], ["DOWN"]], [[], ["A"], ["B"]]],
        ...                  ["B", None, "SELECT", "START", "UP", "DOWN", "LEFT", "RIGHT", "A"])
        >>> bin(f.filter(0b1_0011_0001))  # UP+DOWN+A+B: UP+DOWN is no combo, A+B is none either
        '0b0'
        >>> bin(f.filter(0b1_0001_0000))  # UP+A
        '0b100010000'
    """

    def __init__(
        self,
        groups: Sequence[Sequence[Sequence[str]]],
        buttons: Sequence[str | None],
        where: str = "actions",
    ) -> None:
        self.buttons = tuple(buttons)
        bit = {b: i for i, b in reversed(list(enumerate(self.buttons))) if b is not None}
        by_mask: dict[int, frozenset[int]] = {}
        for g, group in enumerate(groups):
            combos = set()
            mask = 0
            for c, combo in enumerate(group):
                m = 0
                for name in combo:
                    if name not in bit:
                        raise ScenarioError(
                            f"{where}[{g}][{c}]: no button {name!r} on this system "
                            f"(buttons: {', '.join(b for b in self.buttons if b)})"
                        )
                    m |= 1 << bit[name]
                mask |= m
                combos.add(m)
            by_mask.setdefault(
                mask, frozenset(combos)
            )  # stable-retro keeps the first group of a mask
        #: ``(group mask, allowed combos ascending)`` by ascending mask, as stable-retro orders them.
        self.groups: tuple[tuple[int, tuple[int, ...]], ...] = tuple(
            (m, tuple(sorted(by_mask[m]))) for m in sorted(by_mask)
        )

    def filter(self, action: int) -> int:
        """The action with every disallowed group's bits cleared."""
        out = 0
        for mask, combos in self.groups:
            part = action & mask
            if part in combos:
                out |= part
        return out

    def valid_actions(self) -> list[list[int]]:
        """Each group's allowed combos (stable-retro's ``data.valid_actions()``)."""
        return [list(c) for _m, c in self.groups]

    def combos(self) -> list[int]:
        """Every allowed action, in stable-retro's ``Actions.DISCRETE`` order (first group fastest)."""
        out = []
        for picks in itertools.product(*(c for _m, c in reversed(self.groups))):
            a = 0
            for p in picks:
                a |= p
            out.append(a)
        return out


def _parse_actions(spec: Any, where: str) -> tuple[tuple[tuple[str, ...], ...], ...]:
    def is_list(x: Any) -> bool:
        return isinstance(x, Sequence) and not isinstance(x, str)

    if not is_list(spec):
        raise ScenarioError(f"{where}: must be a list of groups, each a list of button combos")
    out = []
    for g, group in enumerate(spec):
        if not is_list(group):
            raise ScenarioError(
                f"{where}[{g}]: a group must be a list of button combos, got {group!r}"
            )
        combos = []
        for c, combo in enumerate(group):
            if not is_list(combo) or not all(isinstance(b, str) for b in combo):
                raise ScenarioError(
                    f"{where}[{g}][{c}]: a combo must be a list of button names, got {combo!r}"
                )
            combos.append(tuple(combo))
        out.append(tuple(combos))
    return tuple(out)


@dataclass(frozen=True)
class Scenario:
    """A parsed scenario: per-player rewards, a shared done condition, actions, crops, scripts.

    Attributes:
        rewards: ``rewards[i]`` is player i's reward (a single ``"reward"`` gives one entry:
            player 0's; see the module docstring for the other players).
        done: the done condition.
        actions: the ``"actions"`` groups as button names, or None.
        crop: the crop every player's screen gets, or None.
        crops: per-player crops from ``"crops"`` (empty when not given).
        scripts: the Lua script files, as named in ``"scripts"``.
        script_sources: ``(file name, Lua source)`` of each script, read when parsed.
        where: the file the scenario came from (for messages).
    """

    rewards: tuple[RewardSpec, ...]
    done: DoneNode
    actions: tuple[tuple[tuple[str, ...], ...], ...] | None = None
    crop: tuple[int, int, int, int] | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    crops: tuple[Crop | None, ...] = ()
    scripts: tuple[str, ...] = ()
    script_sources: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    where: str = "scenario.json"

    @classmethod
    def parse(
        cls,
        data: Any,
        where: str = "scenario.json",
        *,
        folder: str | Path | None = None,
        sources: Mapping[str, str] | None = None,
    ) -> Scenario:
        """Parse and validate scenario JSON (already loaded).

        Args:
            data: the JSON object.
            where: the file it came from (for messages).
            folder: where ``"scripts"`` files are (default: ``where``'s folder).
            sources: script sources by file name, instead of reading them from ``folder``.

        Raises:
            ScenarioError: malformed; the message names the file and the key. Scripts are
                compiled, and a script function the scenario names must be defined by them.
        """
        data = _object(data, where, "a scenario")
        _check_keys(data, _TOP_KEYS, where)
        if "reward" in data and "rewards" in data:
            raise ScenarioError(
                f"{where}: has both 'reward' and 'rewards'; use 'rewards' (one entry per player)"
            )
        if "rewards" in data:
            rw = data["rewards"]
            if not isinstance(rw, Sequence) or isinstance(rw, str) or not rw:
                raise ScenarioError(
                    f"{where}: 'rewards' must be a non-empty list (one entry per player)"
                )
            rewards = tuple(_parse_reward(r, f"{where}: rewards[{i}]") for i, r in enumerate(rw))
        elif "reward" in data:
            rewards = (_parse_reward(data["reward"], f"{where}: reward"),)
        else:
            rewards = (RewardSpec(terms=()),)
        done = _parse_done(data.get("done", {}), f"{where}: done", True)
        actions = (
            _parse_actions(data["actions"], f"{where}: actions") if "actions" in data else None
        )
        crop = Crop.parse(data["crop"], f"{where}: crop") if "crop" in data else None
        crops: tuple[Crop | None, ...] = ()
        if "crops" in data:
            cs = data["crops"]
            if not isinstance(cs, Sequence) or isinstance(cs, str):
                raise ScenarioError(
                    f"{where}: 'crops' must be a list of [x, y, width, height] (one per player)"
                )
            crops = tuple(
                None if c is None else Crop.parse(c, f"{where}: crops[{i}]")
                for i, c in enumerate(cs)
            )
        scripts = data.get("scripts", [])
        if (
            not isinstance(scripts, Sequence)
            or isinstance(scripts, str)
            or not all(isinstance(s, str) for s in scripts)
        ):
            raise ScenarioError(f"{where}: 'scripts' must be a list of file names, got {scripts!r}")
        texts = _read_scripts(scripts, where, folder, sources)
        scen = cls(
            rewards=rewards,
            done=done,
            actions=actions,
            crop=(crop.x, crop.y, crop.width, crop.height) if crop else None,
            raw=data,
            crops=crops,
            scripts=tuple(scripts),
            script_sources=texts,
            where=where,
        )
        scen._check_scripts()
        return scen

    def script_refs(self) -> list[tuple[str, ScriptRef]]:
        """``(key, function)`` of every script the rewards and the done condition call."""
        single = "reward" in self.raw
        refs = [
            ("reward.script" if single else f"rewards[{i}].script", r.script)
            for i, r in enumerate(self.rewards)
            if r.script
        ]
        if self.done.script:
            refs.append(("done.script", self.done.script))
        return refs

    def _check_scripts(self) -> None:
        refs = self.script_refs()
        if not refs and not self.script_sources:
            return
        if refs and not self.script_sources:
            key, ref = refs[0]
            raise ScenarioError(
                f"{self.where}: {key} calls {ref} but the scenario lists no 'scripts' to define it"
            )
        from pettingretro.integration.lua import defined_functions

        try:
            defined = defined_functions(self.script_sources)
        except ScriptError as e:
            raise ScenarioError(f"{self.where}: {e}") from None
        for key, ref in refs:
            if ref.function not in defined:
                names = ", ".join(sorted(defined)) or "none"
                raise ScenarioError(
                    f"{self.where}: {key} calls {ref}, which {', '.join(self.scripts)} does not define "
                    f"(functions: {names})"
                )

    def variables(self) -> set[str]:
        """Every variable the rewards' and the done condition's terms read."""
        names: set[str] = set()
        for r in self.rewards:
            names.update(t.variable for t in r.terms)
        return names | self.done.variables()

    def reward_for(self, player: int) -> RewardSpec | None:
        """Player ``player``'s reward spec (None: that player's reward is always 0)."""
        return self.rewards[player] if player < len(self.rewards) else None

    def crop_for(self, player: int = 0) -> Crop | None:
        """The crop of player ``player``'s screen (``"crops"`` first, then ``"crop"``), or None."""
        if self.crops:
            return self.crops[player] if player < len(self.crops) else None
        return Crop(*self.crop) if self.crop else None

    def action_filter(
        self,
        buttons: Sequence[str | None],
        default: Sequence[Sequence[Sequence[str]]] | None = None,
    ) -> ActionFilter | None:
        """The allowed actions: the scenario's ``"actions"``, else ``default`` (the system's).

        Args:
            buttons: the system's button names by bit (core json ``buttons``).
            default: the system's action groups (core json ``actions``).

        Raises:
            ScenarioError: a button name the system does not have.
        """
        groups = self.actions if self.actions is not None else default
        if groups is None:
            return None
        return ActionFilter(
            groups,
            buttons,
            f"{self.where}: actions" if self.actions is not None else "core actions",
        )

    def evaluator(self, num_players: int, space: AddressSpace | None = None) -> ScenarioEvaluator:
        """A stateful evaluator for an env with ``num_players`` players (see :class:`ScenarioEvaluator`)."""
        return ScenarioEvaluator(self, num_players, space)


def _read_scripts(
    names: Sequence[str], where: str, folder: str | Path | None, sources: Mapping[str, str] | None
) -> tuple[tuple[str, str], ...]:
    out = []
    base = Path(folder) if folder is not None else Path(where).parent
    for i, name in enumerate(names):
        if not name.endswith(".lua"):
            raise ScenarioError(
                f"{where}: scripts[{i}]: {name!r} is not a Lua file (*.lua); only Lua is supported"
            )
        if sources is not None and name in sources:
            out.append((name, sources[name]))
            continue
        path = base / name
        try:
            out.append((name, path.read_text(encoding="utf-8", errors="replace")))
        except OSError as e:
            raise ScenarioError(
                f"{where}: scripts[{i}]: cannot read {path}: {e.strerror or e}"
            ) from None
    return tuple(out)


class ScenarioEvaluator:
    """Evaluates a scenario each step: the done condition, then each player's reward.

    Holds what stable-retro keeps between steps: the Lua state of the scenario's scripts
    (reloaded at every :meth:`reset`, as stable-retro reloads them) and the frame counter
    scripts read as ``scenario.frame``.

    Args:
        scenario: the scenario.
        num_players: players in the env; player ``i`` gets ``rewards[i]``, or 0 without one.
        space: the address space, for scripts that read raw addresses (``data[0xFF1234]``).

    Example:
        >>> scen = Scenario.parse({"reward": {"variables": {"score": {"reward": 1}}},
        ...                        "done": {"variables": {"lives": {"op": "zero"}}}})
        >>> ev = scen.evaluator(2)
        >>> ev.reset({"score": 0, "lives": 3})
        >>> ev.step({"score": 5, "lives": 0}, {"score": 5, "lives": -3})
        ([5.0, 0.0], True)
    """

    def __init__(
        self, scenario: Scenario, num_players: int, space: AddressSpace | None = None
    ) -> None:
        self.scenario = scenario
        self.num_players = num_players
        self.frame = 0
        specs = scenario.rewards
        self._specs = specs
        self._lua: LuaScripts | None = None
        if scenario.script_sources:
            from pettingretro.integration.lua import LuaScripts

            self._lua = LuaScripts(scenario.script_sources, space=space, where=scenario.where)
        self._done = scenario.done
        self._never_done = scenario.done.empty
        self._zeros = [0.0] * num_players

    def program(
        self,
        names: Sequence[str],
        values: npt.NDArray[np.int64],
        prev: npt.NDArray[np.int64],
        rewards: npt.NDArray[np.float64],
    ) -> TermProgram | None:
        """The scenario as a C program over value arrays, or None where it needs Python.

        Plain scenarios (no scripts, at most 64 done nodes, references that fit 64 bits) compile to one :class:`~pettingretro.host.TermProgram`: ``run(frames)`` writes
        what :meth:`step` returns into ``rewards`` and returns the done flag.

        Args:
            names: the variables, in the order of ``values`` and ``prev``.
            values: this step's values (read live at each run).
            prev: the previous step's values.
            rewards: one float64 per player, written by each run.
        """
        scen = self.scenario
        if self._lua is not None or self._done.script is not None:
            return None
        if any(spec.script is not None for spec in self._specs):
            return None
        index = {n: i for i, n in enumerate(names)}
        terms: list[tuple[int, int, bool, int, int, float, float]] = []

        def add(term: Term, target: int) -> bool:
            if term.variable not in index or not -(1 << 63) <= term.reference < 1 << 63:
                return False
            op = TERM_OPS[term.op] if term.op else -1
            terms.append(
                (
                    index[term.variable],
                    target,
                    term.measurement == "delta",
                    op,
                    term.reference,
                    term.reward,
                    term.penalty,
                )
            )
            return True

        # the done tree, parents first: node k's terms have target -1 - k (node 0 the top one)
        nodes: list[tuple[int, bool]] = []
        pending = [(self._done, 0)]
        while pending:
            node, k = pending.pop()
            if not all(add(t, -1 - k) for t in node.terms):
                return None
            for child in node.nodes:
                nodes.append((k, child.condition == "all"))
                pending.append((child, len(nodes)))
            if len(nodes) > MAX_DONE_NODES:
                return None
        per_frame = [0.0] * self.num_players
        for p, spec in enumerate(self._specs[: self.num_players]):
            if not all(add(t, p) for t in spec.terms):
                return None
            per_frame[p] = spec.per_frame
        return TermProgram(
            terms, values, prev, per_frame, scen.done.condition == "all", rewards, nodes
        )

    def _evaluate(
        self, values: Mapping[str, int], deltas: Mapping[str, int], frames: int
    ) -> tuple[list[float], bool]:
        lua = self._lua
        done_node = self._done
        if done_node.script is not None:
            assert lua is not None  # parse() checked that scripts define it
            done = lua.call_bool(done_node.script.function)
        else:
            done = False if self._never_done else done_node(values, deltas)
        rewards = self._zeros.copy()
        n = self.num_players
        for p, spec in enumerate(self._specs):
            if p >= n and spec.script is None:
                continue  # nobody gets it; scripts still run, for their side effects
            if spec.script is not None:
                assert lua is not None
                r = lua.call_number(spec.script.function)
            else:
                r = spec(values, deltas, frames)
            if p < n:
                rewards[p] = r
        return rewards, done

    def reset(self, values: Mapping[str, int]) -> None:
        """A new episode starts: reload the scripts and run them once on ``values``.

        stable-retro evaluates the scenario once when an episode starts (frame 0) and throws
        the result away; scripts that remember earlier values start from there.
        """
        self.frame = 0
        if self._lua is not None:
            self._lua.reset(values)
            self._lua.update(values, 0)
            zero = dict.fromkeys(values, 0)
            self._evaluate(values, zero, 0)

    def step(
        self, values: Mapping[str, int], deltas: Mapping[str, int], frames: int = 1
    ) -> tuple[list[float], bool]:
        """Rewards per player and whether the episode is done, after ``frames`` more frames.

        Raises:
            ScriptError: a Lua function failed (the message names it and the error).
        """
        self.frame += frames
        if self._lua is not None:
            self._lua.update(values, self.frame)
        return self._evaluate(values, deltas, frames)
