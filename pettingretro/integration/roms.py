"""Finding a game's ROM: an explicit path, the user's imported ROMs, ale-py, stable-retro."""

from __future__ import annotations

import hashlib
import importlib.util
import os
from collections.abc import Iterable
from pathlib import Path

from pettingretro.errors import RomNotFoundError


def data_dir() -> Path:
    """The per-user data folder: $PETTINGRETRO_DATA_DIR or $XDG_DATA_HOME/pettingretro."""
    env = os.environ.get("PETTINGRETRO_DATA_DIR")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "pettingretro"


def package_dir(name: str) -> Path | None:
    """Where an installed package lives, found without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def sha1_of(path: Path, *, strip_ines: bool = False) -> str:
    """The ROM's sha1, as stable-retro computes it (the 16-byte iNES header stripped for .nes)."""
    data = path.read_bytes()
    if strip_ines and data[:4] == b"NES\x1a":
        data = data[16:]
    return hashlib.sha1(data).hexdigest()


def _candidates(game: str, files: Iterable[str], ale_name: str | None) -> list[tuple[str, Path]]:
    out: list[tuple[str, Path]] = []
    user = data_dir() / "roms"
    for f in files:
        out.append(("imported", user / game / f))
    if ale_name:
        ale = package_dir("ale_py")
        if ale is not None:
            out.append(("ale-py", ale / "roms" / f"{ale_name}.bin"))
    sr = package_dir("stable_retro")
    if sr is not None:
        for kind in ("stable", "experimental", "contrib"):
            for f in files:
                out.append(("stable-retro", sr / "data" / kind / game / f))
    return out


def find_rom(
    game: str, sha1: str | None, *, files: Iterable[str] = ("rom.bin",), ale_name: str | None = None
) -> Path:
    """The first ROM file for ``game`` whose sha1 matches (any file when ``sha1`` is None).

    Raises:
        RomNotFoundError: none found; the message says which package to install or to run
            ``pettingretro import DIR``.
    """
    files = tuple(files)
    seen: list[str] = []
    for _source, path in _candidates(game, files, ale_name):
        if not path.is_file():
            continue
        if sha1 is None or sha1_of(path, strip_ines=path.suffix == ".nes") == sha1:
            return path
        seen.append(f"{path} (sha1 differs)")
    hint = ""
    if ale_name and package_dir("ale_py") is None:
        hint = "; this Atari ROM ships with ale-py: `pip install ale-py`"
    elif ale_name:
        hint = "; ale-py is installed but its ROM did not match (reinstall ale-py)"
    found = f" (found {', '.join(seen)})" if seen else ""
    raise RomNotFoundError(
        f"no ROM for {game!r}" + (f" with sha1 {sha1}" if sha1 else "") + f"{found}{hint}; "
        f"or put yours in place with `pettingretro import DIR`, or pass rom=PATH"
    )
