"""stable-retro's scenario language: per-player rewards and done conditions over RAM variables."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

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


class ScenarioError(ValueError):
    """A scenario that cannot be evaluated; the message names the file and the key."""


def _number(spec: Mapping[str, Any], key: str, where: str, kind: type = float) -> Any:
    value = spec.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ScenarioError(f"{where}: {key!r} must be a number, got {value!r}")
    return kind(value)


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
        if not isinstance(spec, Mapping):
            raise ScenarioError(f"{where}: variable {name!r} must map to an object, got {spec!r}")
        measurement = spec.get("measurement", default_measurement)
        if measurement not in MEASUREMENTS:
            raise ScenarioError(
                f"{where}: unknown measurement {measurement!r} for {name!r} (use absolute or delta)"
            )
        op = spec.get("op")
        if op is not None and op not in OPS:
            raise ScenarioError(
                f"{where}: unknown op {op!r} for {name!r} (one of {', '.join(OPS)})"
            )
        return cls(
            variable=name,
            measurement=measurement,
            op=op,
            reference=_number(spec, "reference", f"{where} {name!r}", int),
            reward=_number(spec, "reward", f"{where} {name!r}") if rewarded else 0.0,
            penalty=_number(spec, "penalty", f"{where} {name!r}") if rewarded else 0.0,
        )

    def measure(self, values: Mapping[str, int], deltas: Mapping[str, int]) -> int:
        """The measured value, after the op when there is one."""
        v = deltas[self.variable] if self.measurement == "delta" else values[self.variable]
        return OPS[self.op](v, self.reference) if self.op else v

    def reward_for(self, values: Mapping[str, int], deltas: Mapping[str, int]) -> float:
        """The measured value times ``reward`` (when positive) or ``penalty`` (when negative)."""
        m = self.measure(values, deltas)
        return m * self.penalty if m < 0 else m * self.reward if m > 0 else 0.0


@dataclass(frozen=True)
class RewardSpec:
    """One player's reward: a sum of measured variables (and a per-frame time term)."""

    terms: tuple[Term, ...]
    time: Term | None = None
    script: str | None = None

    def __call__(self, values: Mapping[str, int], deltas: Mapping[str, int]) -> float:
        """The player's reward for one step."""
        total = 0.0
        if self.time is not None:
            m = OPS[self.time.op](1, self.time.reference) if self.time.op else 1
            total += m * self.time.penalty if m < 0 else m * self.time.reward if m > 0 else 0.0
        for t in self.terms:
            total += t.reward_for(values, deltas)
        return total


@dataclass(frozen=True)
class DoneNode:
    """A done condition: variables and nested nodes combined with ``any`` (default) or ``all``."""

    terms: tuple[Term, ...] = ()
    nodes: tuple[DoneNode, ...] = ()
    condition: str = "any"
    script: str | None = None

    def __call__(self, values: Mapping[str, int], deltas: Mapping[str, int]) -> bool:
        """Whether the condition holds."""
        results = [t.measure(values, deltas) > 0 for t in self.terms]
        results += [n(values, deltas) for n in self.nodes]
        if self.condition == "all":
            return all(results)
        return any(results)

    @property
    def empty(self) -> bool:
        """True when the node checks nothing (stable-retro's 'never done')."""
        return not self.terms and not self.nodes and self.script is None


def _parse_done(spec: Any, where: str) -> DoneNode:
    if not isinstance(spec, Mapping):
        raise ScenarioError(f"{where}: 'done' must be an object, got {spec!r}")
    condition = spec.get("condition", "any")
    if condition not in ("any", "all"):
        raise ScenarioError(f"{where}: done condition must be 'any' or 'all', got {condition!r}")
    variables = spec.get("variables", {})
    nodes = spec.get("nodes", {})
    if not isinstance(variables, Mapping) or not isinstance(nodes, Mapping):
        raise ScenarioError(f"{where}: done 'variables' and 'nodes' must be objects")
    return DoneNode(
        terms=tuple(
            Term.parse(k, v, f"{where} done", "absolute", False) for k, v in variables.items()
        ),
        nodes=tuple(_parse_done(v, f"{where} done node {k!r}") for k, v in nodes.items()),
        condition=condition,
        script=spec.get("script"),
    )


def _parse_reward(spec: Any, where: str) -> RewardSpec:
    if not isinstance(spec, Mapping):
        raise ScenarioError(f"{where}: a reward must be an object, got {spec!r}")
    variables = spec.get("variables", {})
    if not isinstance(variables, Mapping):
        raise ScenarioError(f"{where}: reward 'variables' must be an object")
    time = spec.get("time")
    return RewardSpec(
        terms=tuple(
            Term.parse(k, v, f"{where} reward", "delta", True) for k, v in variables.items()
        ),
        time=Term.parse("<time>", time, f"{where} reward time", "delta", True)
        if time is not None
        else None,
        script=spec.get("script"),
    )


@dataclass(frozen=True)
class Scenario:
    """A parsed scenario.json: per-player rewards, a shared done condition, actions, crop.

    ``rewards[i]`` is player i's reward; a scenario with a single ``reward`` has one entry.
    """

    rewards: tuple[RewardSpec, ...]
    done: DoneNode
    actions: tuple[tuple[tuple[str, ...], ...], ...] | None = None
    crop: tuple[int, int, int, int] | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def parse(cls, data: Mapping[str, Any], where: str = "scenario.json") -> Scenario:
        """Parse and validate scenario JSON (already loaded)."""
        if not isinstance(data, Mapping):
            raise ScenarioError(f"{where}: must hold a JSON object")
        if "rewards" in data:
            rw = data["rewards"]
            if not isinstance(rw, Sequence) or isinstance(rw, (str, bytes)):
                raise ScenarioError(f"{where}: 'rewards' must be a list (one entry per player)")
            rewards = tuple(_parse_reward(r, f"{where} rewards[{i}]") for i, r in enumerate(rw))
        elif "reward" in data:
            rewards = (_parse_reward(data["reward"], where),)
        else:
            rewards = (RewardSpec(terms=()),)
        done = _parse_done(data.get("done", {}), where)
        actions = data.get("actions")
        crop = data.get("crop")
        if crop is not None and (not isinstance(crop, Sequence) or len(crop) != 4):
            raise ScenarioError(f"{where}: 'crop' must be [x, y, width, height], got {crop!r}")
        return cls(
            rewards=rewards,
            done=done,
            actions=tuple(tuple(tuple(c) for c in group) for group in actions) if actions else None,
            crop=tuple(int(c) for c in crop) if crop else None,  # type: ignore[arg-type]
            raw=data,
        )

    def variables(self) -> set[str]:
        """Every variable the rewards and done conditions read."""
        names: set[str] = set()
        for r in self.rewards:
            names.update(t.variable for t in r.terms)

        def walk(n: DoneNode) -> None:
            names.update(t.variable for t in n.terms)
            for c in n.nodes:
                walk(c)

        walk(self.done)
        return names
