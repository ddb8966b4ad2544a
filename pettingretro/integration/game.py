"""Loading and validating one game's integration folder: data.json, scenarios, metadata.json, scripts.

Everything is checked when the folder loads, without the ROM: variable types, scenario ops,
variables the scenarios read, Lua scripts (compiled, and the functions named defined), and
the button names of action filters when the system is known. Errors are
:class:`IntegrationError` naming the file and the key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pettingretro.errors import IntegrationError, PettingRetroError, ScenarioError
from pettingretro.integration.memory import Variable, parse_type
from pettingretro.integration.scenario import DoneNode, Scenario

_VARIABLE_KEYS = ("address", "type", "mask")
#: Files beside a scenario that are not scenarios.
NOT_SCENARIOS = frozenset({"data.json", "metadata.json"})


#: The largest integration JSON file read (stable-retro's largest is ~40 KiB).
MAX_JSON_BYTES = 16 << 20


def _read_json(path: Path) -> Any:
    try:
        if path.exists() and not path.is_file():
            raise IntegrationError(f"{path} is not a regular file")
        with path.open("rb") as fh:
            raw = fh.read(MAX_JSON_BYTES + 1)
        if len(raw) > MAX_JSON_BYTES:
            raise IntegrationError(f"{path} is larger than {MAX_JSON_BYTES >> 20} MiB")
        return json.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        raise IntegrationError(f"{path} is missing") from None
    except json.JSONDecodeError as e:
        raise IntegrationError(f"{path} is not valid JSON: {e}") from None
    except RecursionError:
        raise IntegrationError(f"{path} is nested too deeply to be integration data") from None
    except (OSError, UnicodeDecodeError) as e:
        raise IntegrationError(f"{path} cannot be read: {e}") from None


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def load_variables(path: str | Path) -> dict[str, Variable]:
    """The variables of a data.json file anywhere (stable-retro's ``info=`` argument)."""
    p = Path(path)
    return parse_variables(_read_json(p), str(p))


def parse_variables(data: Any, where: str) -> dict[str, Variable]:
    """Parse data.json (``{"info": {name: {"address", "type", "mask"}}}``) into variables.

    Args:
        data: the loaded JSON.
        where: the file, for messages.

    Raises:
        IntegrationError: malformed; the message names the file and the key.
    """
    if not isinstance(data, Mapping):
        raise IntegrationError(f"{where}: must hold a JSON object")
    info = data.get("info")
    if not isinstance(info, Mapping):
        raise IntegrationError(
            f"{where}: needs an 'info' object of variables, e.g. "
            '{"info": {"score": {"address": 128, "type": "|u1"}}}'
        )
    out = {}
    for name, spec in info.items():
        key = f"{where}: info.{name}"
        if not isinstance(spec, Mapping):
            raise IntegrationError(f"{key}: must be an object with 'address' and 'type'")
        for k in spec:
            if k not in _VARIABLE_KEYS:
                raise IntegrationError(
                    f"{key}: unknown key {k!r} (allowed: {', '.join(_VARIABLE_KEYS)})"
                )
        address = spec.get("address")
        if not isinstance(address, int) or isinstance(address, bool) or address < 0:
            raise IntegrationError(
                f"{key}.address: must be a non-negative integer, got {address!r}"
            )
        if "type" not in spec:
            raise IntegrationError(f'{key}.type: missing (e.g. "|u1", ">u2", ">d3")')
        if not isinstance(spec["type"], str):
            raise IntegrationError(
                f'{key}.type: must be a string such as "|u1", got {spec["type"]!r}'
            )
        try:
            vtype = parse_type(spec["type"])
        except ValueError as e:
            raise IntegrationError(f"{key}.type: {e}") from None
        mask = spec.get("mask")
        if mask is not None and not _is_int(mask):
            raise IntegrationError(f"{key}.mask: must be an integer, got {mask!r}")
        out[str(name)] = Variable(str(name), address, vtype, mask)
    return out


def _check_metadata(meta: Any, where: str) -> None:
    if not isinstance(meta, Mapping):
        raise IntegrationError(f"{where}: must hold a JSON object")
    state = meta.get("default_state")
    if state is not None and not isinstance(state, str):
        raise IntegrationError(f"{where}: default_state: must be a state name, got {state!r}")
    per = meta.get("default_player_state")
    if per is not None and (
        not isinstance(per, Sequence)
        or isinstance(per, str)
        or not all(isinstance(s, str) for s in per)
    ):
        raise IntegrationError(
            f"{where}: default_player_state: must be a list of state names (for 1 player, 2, ...), got {per!r}"
        )


def _system_facts(name: str, metadata: Mapping[str, Any]) -> Any:
    """The system's core facts, when the folder name or metadata tells the system (else None)."""
    try:
        from pettingretro.integration.systems import systems
    except ImportError:
        return None
    try:
        known = systems()
    except PettingRetroError:
        return None
    extra = metadata.get("pettingretro")
    system = extra.get("system") if isinstance(extra, Mapping) else None
    system = system or metadata.get("system")
    if not system:
        parts = name.split("-")
        if len(parts) >= 3 and parts[-1].startswith("v") and parts[-1][1:].isdigit():
            parts = parts[:-1]
        system = parts[-1] if len(parts) >= 2 else None
    if system == "Arcade":  # stable-retro names FBNeo games <Game>-Arcade
        system = "FBNeo"
    return known.get(system) if isinstance(system, str) else None


@dataclass(frozen=True)
class GameSpec:
    """One game's integration data.

    Attributes:
        name: the folder name (``Pong-Atari2600-v0``, or ``pong`` for a pettingretro game).
        path: the folder.
        variables: data.json's variables by name.
        scenario: the scenario loaded (``scenario.json`` unless another was asked for).
        metadata: metadata.json (stable-retro keys plus a ``pettingretro`` block for our games).
    """

    name: str
    path: Path
    variables: dict[str, Variable]
    scenario: Scenario
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def extra(self) -> Mapping[str, Any]:
        """The ``pettingretro`` block of metadata.json (empty for plain stable-retro games)."""
        block = self.metadata.get("pettingretro", {})
        return block if isinstance(block, Mapping) else {}

    def states(self) -> dict[str, Path]:
        """The ``.state`` files beside the data, by name."""
        return {p.stem: p for p in sorted(self.path.glob("*.state"))}

    def scenarios(self) -> list[str]:
        """The stems of the scenario files in the folder (``scenario``, ``contest``, ...)."""
        return scenario_names(self.path)

    def check(self) -> None:
        """Every variable the scenario reads is defined in data.json.

        Raises:
            IntegrationError: one is not; the message names the scenario file and the key.
        """
        check_scenario_variables(self.scenario, self.variables, self.path / "data.json")


def scenario_names(folder: str | Path) -> list[str]:
    """The stems of an integration folder's scenario files: every ``*.json`` but data and metadata."""
    return sorted(p.stem for p in Path(folder).glob("*.json") if p.name not in NOT_SCENARIOS)


def check_scenario_variables(
    scenario: Scenario, variables: Mapping[str, Variable], data_path: Path | str
) -> None:
    """Every variable ``scenario``'s terms read is in ``variables``.

    Raises:
        IntegrationError: one is missing; the message names the scenario file and the key.
    """
    where = scenario.where
    for i, r in enumerate(scenario.rewards):
        for t in r.terms:
            if t.variable not in variables:
                key = (
                    "reward"
                    if len(scenario.rewards) == 1 and "reward" in scenario.raw
                    else f"rewards[{i}]"
                )
                raise IntegrationError(
                    f"{where}: {key}.variables.{t.variable}: no variable {t.variable!r} in {data_path}"
                )

    def walk(node: DoneNode, key: str) -> None:
        for t in node.terms:
            if t.variable not in variables:
                raise IntegrationError(
                    f"{where}: {key}.variables.{t.variable}: no variable {t.variable!r} in {data_path}"
                )
        for name, child in zip(node.node_names, node.nodes, strict=True):
            walk(child, f"{key}.nodes.{name}")

    walk(scenario.done, "done")


def load_scenario(folder: str | Path, scenario: str = "scenario") -> Scenario:
    """Parse one scenario file of an integration folder.

    A folder without ``scenario.json`` has an empty scenario (no reward, never done); any other
    scenario asked for must exist.

    Raises:
        IntegrationError: malformed, or its scripts fail to load.
    """
    path = Path(folder) / f"{scenario}.json"
    if not path.exists() and scenario != "scenario":
        have = ", ".join(scenario_names(folder)) or "none"
        raise IntegrationError(f"{path} is missing (scenarios in {folder}: {have})")
    data = _read_json(path) if path.exists() else {}
    try:
        return Scenario.parse(data, str(path), folder=path.parent)
    except ScenarioError as e:
        raise IntegrationError(str(e)) from None


def load_game(path: str | Path, scenario: str = "scenario") -> GameSpec:
    """Load and validate an integration folder.

    Args:
        path: the folder holding data.json (and scenario files, metadata.json, scripts).
        scenario: the scenario file's stem (``scenario`` by default).

    Raises:
        IntegrationError: a file is missing or malformed; the message names it and the key.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise IntegrationError(f"integration folder {folder} does not exist")
    data_path = folder / "data.json"
    variables = parse_variables(_read_json(data_path), str(data_path))
    meta_path = folder / "metadata.json"
    metadata = _read_json(meta_path) if meta_path.exists() else {}
    _check_metadata(metadata, str(meta_path))
    scen = load_scenario(folder, scenario)
    spec = GameSpec(folder.name, folder, variables, scen, metadata)
    spec.check()
    if scen.actions is not None:
        facts = _system_facts(folder.name, metadata)
        if facts is not None:
            try:
                scen.action_filter(facts.buttons)
            except ScenarioError as e:
                raise IntegrationError(str(e)) from None
    return spec


def validate_integration(path: str | Path) -> list[str]:
    """Load a folder with each of its scenario files, as stable-retro could be asked to.

    Returns:
        The scenario stems validated (empty for a folder with data.json only).

    Raises:
        IntegrationError: the first problem found.
    """
    names = scenario_names(path)
    for name in names or ["scenario"]:
        load_game(path, name)
    return names
