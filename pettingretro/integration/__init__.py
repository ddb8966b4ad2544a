"""Game data in stable-retro's integration format: RAM variables, scenarios, ROM lookup."""

from pettingretro.errors import IntegrationError
from pettingretro.integration.game import GameSpec, load_game, validate_integration
from pettingretro.integration.memory import (
    AddressSpace,
    Overlay,
    Reader,
    Variable,
    VarType,
    parse_type,
)
from pettingretro.integration.scenario import ActionFilter, Crop, Scenario, ScenarioEvaluator

__all__ = [
    "ActionFilter",
    "AddressSpace",
    "Crop",
    "GameSpec",
    "IntegrationError",
    "Overlay",
    "Reader",
    "Scenario",
    "ScenarioEvaluator",
    "VarType",
    "Variable",
    "load_game",
    "parse_type",
    "validate_integration",
]
