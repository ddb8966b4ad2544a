"""Loading one game's integration folder: data.json, scenario.json, metadata.json."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pettingretro.errors import PettingRetroError
from pettingretro.integration.memory import Variable, parse_type
from pettingretro.integration.scenario import Scenario, ScenarioError


class IntegrationError(PettingRetroError, ValueError):
    """A game's data files are missing or malformed; the message names the file and key."""


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise IntegrationError(f"{path} is missing") from None
    except json.JSONDecodeError as e:
        raise IntegrationError(f"{path} is not valid JSON: {e}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise IntegrationError(f"{path} cannot be read: {e}") from None


def parse_variables(data: Any, where: str) -> dict[str, Variable]:
    """Parse data.json's ``info`` object into variables."""
    if not isinstance(data, Mapping):
        raise IntegrationError(f"{where}: must hold a JSON object")
    info = data.get("info", {})
    if not isinstance(info, Mapping):
        raise IntegrationError(f"{where}: 'info' must be an object of variables")
    out = {}
    for name, spec in info.items():
        if not isinstance(spec, Mapping):
            raise IntegrationError(f"{where}: variable {name!r} must be an object")
        if (
            "address" not in spec
            or isinstance(spec["address"], bool)
            or not isinstance(spec["address"], int)
        ):
            raise IntegrationError(f"{where}: variable {name!r} needs an integer 'address'")
        try:
            vtype = parse_type(spec.get("type", "|u1"))
        except ValueError as e:
            raise IntegrationError(f"{where}: variable {name!r}: {e}") from None
        mask = spec.get("mask")
        if mask is not None and (isinstance(mask, bool) or not isinstance(mask, int)):
            raise IntegrationError(f"{where}: variable {name!r}: 'mask' must be an integer")
        out[str(name)] = Variable(str(name), int(spec["address"]), vtype, mask)
    return out


@dataclass(frozen=True)
class GameSpec:
    """One game's integration data.

    Attributes:
        name: the folder name (``Pong-Atari2600-v0``, or ``pong`` for a pettingretro game).
        path: the folder.
        variables: data.json's variables by name.
        scenario: the default scenario.
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

    def check(self) -> None:
        """Every variable the scenario reads is defined in data.json."""
        missing = sorted(self.scenario.variables() - set(self.variables))
        if missing:
            raise IntegrationError(
                f"{self.path / 'scenario.json'}: variable {missing[0]!r} is not defined in "
                f"{self.path / 'data.json'}"
            )


def load_game(path: str | Path, scenario: str = "scenario") -> GameSpec:
    """Load and validate an integration folder.

    Args:
        path: the folder holding data.json (and scenario.json, metadata.json).
        scenario: the scenario file's stem (``scenario`` by default).

    Raises:
        IntegrationError: a file is missing or malformed; the message names it and the key.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise IntegrationError(f"integration folder {folder} does not exist")
    variables = parse_variables(_read_json(folder / "data.json"), str(folder / "data.json"))
    scen_path = folder / f"{scenario}.json"
    try:
        scen = Scenario.parse(_read_json(scen_path) if scen_path.exists() else {}, str(scen_path))
    except ScenarioError as e:
        raise IntegrationError(str(e)) from None
    meta_path = folder / "metadata.json"
    metadata = _read_json(meta_path) if meta_path.exists() else {}
    if not isinstance(metadata, Mapping):
        raise IntegrationError(f"{meta_path}: must hold a JSON object")
    spec = GameSpec(folder.name, folder, variables, scen, metadata)
    spec.check()
    return spec
