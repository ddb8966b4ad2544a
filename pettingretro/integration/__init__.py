"""Game data in stable-retro's integration format: RAM variables, scenarios, ROM lookup."""

from pettingretro.integration.game import GameSpec, IntegrationError, load_game
from pettingretro.integration.memory import Variable, VarType, parse_type
from pettingretro.integration.scenario import Scenario

__all__ = [
    "GameSpec",
    "IntegrationError",
    "Scenario",
    "VarType",
    "Variable",
    "load_game",
    "parse_type",
]
