"""Finding libretro cores on this machine: by name or path, across the known core folders."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path

from pettingretro.errors import CoreNotFoundError

CORE_PATH_ENV = "PETTINGRETRO_CORE_PATH"

#: Short names people use for cores whose file name says more.
ALIASES = {
    "pce_fast": "mednafen_pce_fast",
    "beetle_pce_fast": "mednafen_pce_fast",
    "saturn": "mednafen_saturn",
    "genesis": "genesis_plus_gx",
    "gpgx": "genesis_plus_gx",
}

#: BIOS files a core cannot start without (any one of each group), checked before loading:
#: mednafen_saturn dies of SIGFPE without one.
REQUIRED_BIOS: dict[str, list[tuple[str, ...]]] = {
    "mednafen_saturn": [("sega_101.bin", "mpr-17933.bin", "mpr-18100.bin")],
}

#: Video RAM that a core exposes only as an unflagged region of its memory map
#: (RETRO_ENVIRONMENT_SET_MEMORY_MAPS), not through retro_get_memory_data(VIDEO_RAM): the
#: region's (start address, length), by the core's library_name. gambatte's libretro.cpp maps
#: gb.vram_ptr() at 0x8000 with 0x2000 bytes and no RETRO_MEMDESC_VIDEO_RAM flag.
MAPPED_VIDEO_RAM: dict[str, tuple[int, int]] = {
    "Gambatte": (0x8000, 0x2000),
}


@dataclass(frozen=True)
class CoreFile:
    """A core library found on disk.

    Attributes:
        name: the core's name, the file name without ``_libretro.so``.
        path: the library's path.
        source: where it was found: ``env``, ``stable-retro``, ``retroarch``, ``debian``.
        systems: system names the core serves, where a description beside it says so.
    """

    name: str
    path: Path
    source: str
    systems: tuple[str, ...] = field(default=())


def _stable_retro_dir() -> Path | None:
    # find_spec does not import stable_retro (importing it has side effects we don't need)
    spec = importlib.util.find_spec("stable_retro")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def search_dirs() -> list[tuple[str, Path]]:
    """The folders searched for cores, in order, each with its source label."""
    dirs: list[tuple[str, Path]] = []
    for entry in os.environ.get(CORE_PATH_ENV, "").split(os.pathsep):
        if entry:
            dirs.append(("env", Path(entry)))
    sr = _stable_retro_dir()
    if sr is not None:
        dirs.append(("stable-retro", sr / "cores"))
    dirs.append(("retroarch", Path.home() / ".config" / "retroarch" / "cores"))
    multiarch = sysconfig.get_config_var("MULTIARCH") or f"{os.uname().machine}-linux-gnu"
    dirs.append(("debian", Path("/usr/lib") / multiarch / "libretro"))
    dirs.append(("debian", Path("/usr/lib/libretro")))
    return dirs


def _systems(path: Path, name: str, source: str) -> tuple[str, ...]:
    if source == "stable-retro":
        desc = path.parent / f"{name}.json"
        try:
            return tuple(json.loads(desc.read_text()))
        except (OSError, ValueError):
            return ()
    info = path.parent / f"{name}.libretro"
    try:
        text = info.read_text(errors="replace")
    except OSError:
        return ()
    systems = []
    for line in text.splitlines():
        line = line.strip()
        key, _, value = line.partition("=")
        if key.strip() in ("systemname", "system_name"):
            systems.append(value.strip().strip('"'))
        elif line.startswith("[Platform:") and line.endswith("]"):
            systems.append(line[len("[Platform:") : -1])
    return tuple(systems)


def list_core_files() -> list[CoreFile]:
    """Every core found, first occurrence of each name winning (the search order)."""
    suffix = "_libretro.so" if sys.platform != "darwin" else "_libretro.dylib"
    seen: dict[str, CoreFile] = {}
    for source, d in search_dirs():
        try:
            files = sorted(d.iterdir())
        except OSError:
            continue
        for f in files:
            if f.name.endswith(suffix) and f.is_file():
                name = f.name[: -len(suffix)]
                if name not in seen:
                    seen[name] = CoreFile(name, f, source, _systems(f, name, source))
    return list(seen.values())


def find_core(core: str | os.PathLike[str]) -> Path:
    """Resolve a core name ("stella", "genesis_plus_gx", ...) or a path to a library file.

    Raises:
        CoreNotFoundError: nothing matches; the message lists what was searched and found.
    """
    text = os.fspath(core)
    if os.sep in text or text.endswith((".so", ".dylib")):
        p = Path(text).expanduser()
        if p.is_dir():
            raise CoreNotFoundError(
                f"core path '{p}' is a directory: pass the *_libretro.so file inside it, "
                f"or add the folder to ${CORE_PATH_ENV} and pass the core's name"
            )
        if not p.is_file():
            raise CoreNotFoundError(f"core file '{p}' does not exist")
        return p
    name = ALIASES.get(text, text)
    for cf in list_core_files():
        if cf.name == name:
            return cf.path
    found = ", ".join(sorted(cf.name for cf in list_core_files())) or "none"
    searched = ", ".join(str(d) for _, d in search_dirs())
    raise CoreNotFoundError(
        f"no libretro core named '{text}' (searched {searched}; found: {found}). "
        f"Install it with `pip install stable-retro`, a Debian `libretro-*` package, "
        f"or put its folder in ${CORE_PATH_ENV}"
    )
