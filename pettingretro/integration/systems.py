"""Console facts per system (core, ROM extensions, RAM base, buttons), from stable-retro's core files."""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass

from pettingretro.errors import PettingRetroError
from pettingretro.integration.roms import package_dir


@dataclass(frozen=True)
class System:
    """One console as stable-retro describes it.

    Attributes:
        name: stable-retro's system name ("Genesis", "Nes", "Atari2600", ...).
        core: the libretro core that runs it.
        extensions: ROM file extensions (stable-retro stores ROMs as ``rom.<ext>``).
        rambase: the address of system RAM's first byte in integration data.
        buttons: button names by libretro joypad id (None where the system has none).
        action_groups: stable-retro's default action groups: each a list of button combos.
        overlay: how RAM's words are laid out (``["=", ">", 2]`` on Genesis), or None.
    """

    name: str
    core: str
    extensions: tuple[str, ...]
    rambase: int
    buttons: tuple[str | None, ...]
    action_groups: tuple[tuple[tuple[str, ...], ...], ...]
    overlay: tuple[str, str, int] | None

    def button_mask(self, names: tuple[str, ...] | list[str]) -> int:
        """The joypad mask of some buttons, by name.

        Raises:
            ValueError: a name this system has no button for.
        """
        mask = 0
        for n in names:
            if n not in self.buttons:
                valid = ", ".join(b for b in self.buttons if b)
                raise ValueError(f"{self.name} has no button {n!r} (its buttons: {valid})")
            mask |= 1 << self.buttons.index(n)
        return mask


@functools.lru_cache(maxsize=1)
def systems() -> dict[str, System]:
    """Every system described in the installed stable-retro wheel's core files.

    Raises:
        PettingRetroError: stable-retro is not installed.
    """
    root = package_dir("stable_retro")
    if root is None:
        raise PettingRetroError(
            "system descriptions come with stable-retro: `pip install stable-retro`"
        )
    out: dict[str, System] = {}
    for f in sorted((root / "cores").glob("*.json")):
        for name, d in json.loads(f.read_text()).items():
            overlay = d.get("overlay")
            out[name] = System(
                name=name,
                core=d["lib"],
                extensions=tuple(d.get("ext", ())),
                rambase=int(d.get("rambase") or 0),
                buttons=tuple(d.get("buttons", ())),
                action_groups=tuple(tuple(tuple(c) for c in g) for g in d.get("actions", ())),
                overlay=(str(overlay[0]), str(overlay[1]), int(overlay[2])) if overlay else None,
            )
    return out


def system_of_game(game: str) -> System:
    """The system of an integration named ``<Game>-<System>-v<N>`` or ``<Game>-<System>``.

    stable-retro ships both forms (``Airstriker-Genesis-v0``; 62 folders have no version).

    Raises:
        PettingRetroError: the name has no known system.
    """
    parts = game.split("-")
    if len(parts) >= 2 and re.fullmatch(r"v\d+", parts[-1]):
        parts = parts[:-1]
    known = systems()
    if len(parts) >= 2 and parts[-1] in known:
        return known[parts[-1]]
    raise PettingRetroError(
        f"cannot tell the system of {game!r}: integration names end in -<System>[-v<N>], "
        f"with System one of {', '.join(sorted(systems()))}"
    )


#: Players a console's core serves with its stock controllers (PC Engine: the 5-pad multitap
#: mednafen_pce_fast emulates; N64: four ports). More players than this cannot play.
CONTROLLER_PORTS = {
    "Atari2600": 2, "Nes": 2, "Snes": 2, "Genesis": 2, "Sms": 2, "GameGear": 1, "GameBoy": 1,
    "GbColor": 1, "GbAdvance": 1, "PCEngine": 5, "N64": 4, "Saturn": 2, "32x": 2, "SCD": 2,
    "NintendoDs": 1, "FBNeo": 4,
}  # fmt: skip


#: Common ROM extensions that stable-retro's core files do not list.
EXTRA_EXTENSIONS = {"smc": "Snes", "gen": "Genesis", "smd": "Genesis", "gbc": "GbColor"}


#: Extensions several consoles use: the ROM's sha1 must tell.
AMBIGUOUS_EXTENSIONS = {"bin", "rom", "zip"}
