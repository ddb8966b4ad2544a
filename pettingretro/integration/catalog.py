"""Every game integration on this machine: ours, stable-retro's, the user's, with ROM status.

Sources, first name wins: the folders in ``$PETTINGRETRO_INTEGRATIONS_PATH``, the user's
``data_dir()/integrations/``, pettingretro's own ``pettingretro/envs/*/``, then stable-retro's
``data/{stable,experimental,contrib}/``. Listing reads only small JSON and ``rom.sha`` files,
never a ROM; what stable-retro ships (and the sha1s of ale-py's ROMs) is cached in
``data_dir()/cache/`` keyed on the installed versions.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from pettingretro.errors import PettingRetroError
from pettingretro.integration.roms import (
    ImportResult,
    RomTarget,
    data_dir,
    find_rom,
    import_roms,
    package_dir,
    sha1_of,
)
from pettingretro.integration.systems import AMBIGUOUS_EXTENSIONS, EXTRA_EXTENSIONS, System, systems

#: Extra integration folders, separated like $PATH; each holds integration folders or is one.
INTEGRATIONS_PATH_ENV = "PETTINGRETRO_INTEGRATIONS_PATH"

#: stable-retro's integration kinds, in the order its importer prefers them.
STABLE_RETRO_KINDS = ("stable", "experimental", "contrib")

ENVS_DIR = Path(__file__).resolve().parent.parent / "envs"

_CACHE_VERSION = 2
_SHA1 = re.compile(r"^[0-9a-f]{40}$")
_VERSION_SUFFIX = re.compile(r"-v\d+$")
_TWO_PLAYER_STATE = re.compile(r"(?:^|[._-])(?:2p|2players?)(?:[._-]|$)", re.IGNORECASE)

#: ROM extensions of systems whose core description stable-retro ships without one.
_EXTRA_EXTENSIONS = {"Arcade": ("zip",)}


@dataclass(frozen=True)
class Integration:
    """One game's data folder.

    Attributes:
        name: its folder name: ``Pong-Atari2600-v0`` (stable-retro), ``pong`` (ours).
        system: stable-retro's system name (``Atari2600``, ``Genesis``, ``Nes``, ...).
        players: the player counts its data offers, ascending.
        sha1s: the sha1s a ROM for it may have (stable-retro's hashing: see ``rom_forms``).
        path: the folder.
        source: ``pettingretro``, ``stable``, ``experimental``, ``contrib``, ``user`` or ``env``
            (a folder in ``$PETTINGRETRO_INTEGRATIONS_PATH``).
        rom_files: names a ROM for it takes; ``pettingretro import`` writes the first.
        ale_name: the name of its ROM in ale-py, for Atari games ale-py ships.
    """

    name: str
    system: str
    players: tuple[int, ...]
    sha1s: tuple[str, ...]
    path: Path
    source: str
    rom_files: tuple[str, ...]
    ale_name: str | None = None


def split_name(name: str) -> tuple[str, str | None]:
    """A folder name's game and system: ``Pong-Atari2600-v0`` → ``("Pong", "Atari2600")``."""
    game, sep, system = _VERSION_SUFFIX.sub("", name).rpartition("-")
    return (game, system) if sep and game else (name, None)


def _extensions() -> dict[str, tuple[str, ...]]:
    try:
        found = {name: s.extensions for name, s in systems().items()}
    except PettingRetroError:
        found = {}
    return {**_EXTRA_EXTENSIONS, **found}


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _plain_name(name: object) -> str | None:
    # a file name from JSON must not lead out of the game's folder
    if isinstance(name, str) and name and Path(name).name == name and name not in (".", ".."):
        return name
    return None


def declared_players(
    folder: Path, metadata: Mapping[str, Any], own: Mapping[str, Any]
) -> tuple[int, ...]:
    """The player counts an integration folder's data declares (1 at least), ascending."""
    if isinstance(own.get("players"), Mapping):
        choices = own["players"].get("choices") or [own["players"].get("default", 1)]
        return tuple(sorted({int(c) for c in choices}))
    counts = {1}
    if isinstance(metadata.get("players"), int):
        counts.update(range(1, metadata["players"] + 1))
    per_count = metadata.get("default_player_state")
    if isinstance(per_count, list):
        counts.update(range(1, len(per_count) + 1))
    scenario = _read_json(folder / "scenario.json")
    if isinstance(scenario.get("rewards"), list):
        counts.update(range(1, len(scenario["rewards"]) + 1))
    try:
        if any(_TWO_PLAYER_STATE.search(f.name[: -len(".state")]) for f in folder.glob("*.state")):
            counts.add(2)
    except OSError:
        pass
    return tuple(sorted(counts))


def read_integration(folder: Path, source: str) -> Integration | None:
    """One integration folder's entry, or None if it is none (no ``rom.sha``, sha1 or ``data.json``).

    stable-retro ships folders holding only a ``data.json`` (no ``rom.sha``, no scenario): they
    are integrations too, whose ROM is found by file name (or given with ``rom=``).

    Args:
        folder: the folder, holding ``rom.sha`` (stable-retro) or a ``metadata.json`` whose
            ``"pettingretro"`` block has ``rom.sha1`` (ours).
        source: the label to give it.
    """
    metadata = _read_json(folder / "metadata.json")
    block = metadata.get("pettingretro")
    own: dict[str, Any] = block if isinstance(block, dict) else {}
    rom: dict[str, Any] = own["rom"] if isinstance(own.get("rom"), dict) else {}
    sha1s: list[str] = []
    try:
        sha1s.extend((folder / "rom.sha").read_text().split())
        has_sha_file = True  # stable-retro lists a game by its rom.sha, even an empty one
    except (OSError, UnicodeDecodeError):
        has_sha_file = False
    if isinstance(rom.get("sha1"), str):
        sha1s.append(rom["sha1"])
    sha1s = list(dict.fromkeys(s.lower() for s in sha1s if _SHA1.match(s.lower())))
    if not sha1s and not has_sha_file and not (folder / "data.json").is_file():
        return None
    _game, suffix = split_name(folder.name)
    exts = _extensions()
    system = own.get("system") or (suffix if suffix in exts else None) or metadata.get("system")
    system = str(system or suffix or "?")
    files = [f for f in map(_plain_name, rom.get("files", ())) if f]
    original = _plain_name(metadata.get("original_rom_name"))
    if original:  # arcade cores know a set by its zip's name
        files.append(original)
    files.extend(f"rom.{e}" for e in exts.get(system, exts.get(str(metadata.get("system")), ())))
    if not files:
        files.append("rom.bin")
    return Integration(
        name=folder.name,
        system=system,
        players=declared_players(folder, metadata, own),
        sha1s=tuple(sha1s),
        path=folder,
        source=source,
        rom_files=tuple(dict.fromkeys(files)),
        ale_name=rom.get("ale") if isinstance(rom.get("ale"), str) else None,
    )


def _scan(folder: Path, source: str) -> list[Integration]:
    try:
        children = sorted(p for p in folder.iterdir() if p.is_dir())
    except OSError:
        return []
    return [e for e in (read_integration(p, source) for p in children) if e is not None]


# ---------------------------------------------------------------------------------------------
# The cache of what installed packages ship
# ---------------------------------------------------------------------------------------------


def _cache_file() -> Path:
    return data_dir() / "cache" / f"catalog-v{_CACHE_VERSION}.json"


def _load_cache() -> dict[str, Any]:
    return _read_json(_cache_file())


def _save_cache(section: str, key: list[Any], value: Any) -> None:
    cache = _load_cache()
    cache[section] = {"key": key, "value": value}
    path = _cache_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(cache))
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only home: every listing scans again, no harm done


def _cached(section: str, key: list[Any]) -> Any:
    entry = _load_cache().get(section)
    if isinstance(entry, dict) and entry.get("key") == key:
        return entry.get("value")
    return None


def _dir_key(path: Path) -> list[Any]:
    try:
        st = path.stat()
    except OSError:
        return [str(path), None]
    return [str(path), st.st_mtime_ns]


@functools.lru_cache(maxsize=4)
def _stable_retro_from(key: tuple[Any, ...], root: str) -> tuple[Integration, ...]:
    jkey = json.loads(json.dumps(list(key)))
    hit = _cached("stable-retro", jkey)
    if isinstance(hit, list):
        try:
            return tuple(
                Integration(
                    **{
                        **e,
                        "path": Path(e["path"]),
                        "players": tuple(e["players"]),
                        "sha1s": tuple(e["sha1s"]),
                        "rom_files": tuple(e["rom_files"]),
                    }
                )
                for e in hit
            )
        except (TypeError, KeyError):
            pass
    found: list[Integration] = []
    for kind in STABLE_RETRO_KINDS:
        found.extend(_scan(Path(root) / kind, kind))
    _save_cache("stable-retro", jkey, [{**asdict(e), "path": str(e.path)} for e in found])
    return tuple(found)


def stable_retro_integrations() -> tuple[Integration, ...]:
    """The integrations in the installed stable-retro wheel (none without it)."""
    sr = package_dir("stable_retro")
    if sr is None:
        return ()
    data = sr / "data"
    try:
        version = (sr / "VERSION.txt").read_text().strip()
    except OSError:
        version = None
    key = (version, *(tuple(_dir_key(data / k)) for k in STABLE_RETRO_KINDS))
    return _stable_retro_from(key, str(data))


@functools.lru_cache(maxsize=4)
def _ale_from(key: tuple[Any, ...], roms: str) -> dict[str, str]:
    jkey = json.loads(json.dumps(list(key)))
    hit = _cached("ale-py", jkey)
    if isinstance(hit, dict):
        return {str(k): str(v) for k, v in hit.items()}
    index: dict[str, str] = {}
    for f in sorted(Path(roms).glob("*.bin")):
        try:
            index[hashlib.sha1(f.read_bytes()).hexdigest()] = f.stem
        except OSError:
            continue
    _save_cache("ale-py", jkey, index)
    return index


def ale_roms() -> dict[str, str]:
    """sha1 → name (``pong``) of every ROM ale-py ships (empty without ale-py)."""
    ale = package_dir("ale_py")
    if ale is None:
        return {}
    return _ale_from(tuple(_dir_key(ale / "roms")), str(ale / "roms"))


# ---------------------------------------------------------------------------------------------
# The catalog
# ---------------------------------------------------------------------------------------------


def _extra_paths() -> list[Path]:
    return [Path(p) for p in os.environ.get(INTEGRATIONS_PATH_ENV, "").split(os.pathsep) if p]


def integrations() -> list[Integration]:
    """Every integration, first name wins (see the module's docstring for the order)."""
    found: list[Integration] = []
    for p in _extra_paths():
        one = read_integration(p, "env")
        found.extend([one] if one is not None else _scan(p, "env"))
    found.extend(_scan(data_dir() / "integrations", "user"))
    found.extend(_scan(ENVS_DIR, "pettingretro"))
    found.extend(stable_retro_integrations())
    ale = ale_roms()
    out: dict[str, Integration] = {}
    for e in found:
        if e.name in out:
            continue
        if e.ale_name is None and e.system == "Atari2600":
            names = [ale[s] for s in e.sha1s if s in ale]
            if names:
                e = replace(e, ale_name=names[0])
        out[e.name] = e
    return list(out.values())


def lookup(name: str) -> Integration | None:
    """The integration named ``name`` (exactly, else ignoring case and a ``-vN`` suffix)."""
    found = integrations()
    for e in found:
        if e.name == name:
            return e
    bare = _VERSION_SUFFIX.sub("", name).lower()
    for e in found:
        if _VERSION_SUFFIX.sub("", e.name).lower() == bare:
            return e
    return None


def integration(name: str) -> Integration:
    """The integration named ``name``.

    Raises:
        PettingRetroError: none has that name.
    """
    e = lookup(name)
    if e is None:
        raise PettingRetroError(
            f"no integration named {name!r}; `pettingretro list` shows them all "
            f"(user integrations go in {data_dir() / 'integrations'} or ${INTEGRATIONS_PATH_ENV})"
        )
    return e


def import_known_roms(
    paths: Iterable[str | os.PathLike[str]], *, on_file: Callable[[Path], None] | None = None
) -> Iterator[ImportResult]:
    """:func:`~pettingretro.integration.roms.import_roms` for every game in the catalog."""
    return import_roms(paths, rom_targets(), on_file=on_file)


def rom_targets(entries: Iterable[Integration] | None = None) -> dict[str, list[RomTarget]]:
    """sha1 → where ``pettingretro import`` puts a ROM with it (``data_dir()/roms/<name>/``)."""
    out: dict[str, list[RomTarget]] = {}
    for e in integrations() if entries is None else entries:
        for sha in e.sha1s:
            out.setdefault(sha, []).append(RomTarget(e.name, e.rom_files[0]))
    return out


def rom_status(e: Integration) -> str:
    """Where the ROM would come from, without hashing anything.

    Returns:
        ``"imported"``, ``"installed (ale-py)"``, ``"ships with stable-retro"``,
        ``"in its folder"`` (a user integration holding its ROM) or ``"missing"``.
    """
    user = data_dir() / "roms" / e.name
    if any((user / f).is_file() for f in e.rom_files):
        return "imported"
    if e.ale_name:
        ale = package_dir("ale_py")
        if ale is not None and (ale / "roms" / f"{e.ale_name}.bin").is_file():
            return "installed (ale-py)"
    if e.source != "pettingretro" and any((e.path / f).is_file() for f in e.rom_files):
        return "ships with stable-retro" if e.source in STABLE_RETRO_KINDS else "in its folder"
    return "missing"


def system_for_rom(path: Path) -> System | None:
    """The system of a ROM: a known game's by sha1, else the one its extension names."""
    known = systems()
    try:
        sha = sha1_of(path, strip_ines=path.suffix.lower() == ".nes")
        for entry in integrations():
            if sha in entry.sha1s and entry.system in known:
                return known[entry.system]
    except OSError:
        pass
    ext = path.suffix.lower().lstrip(".")
    if ext in AMBIGUOUS_EXTENSIONS:
        return None
    if ext in EXTRA_EXTENSIONS and EXTRA_EXTENSIONS[ext] in known:
        return known[EXTRA_EXTENSIONS[ext]]
    found = [s for s in known.values() if ext in s.extensions]
    return found[0] if len(found) == 1 else None


def find_integration_rom(name: str) -> Path:
    """The ROM of the integration ``name``, its sha1 checked.

    Raises:
        PettingRetroError: no integration has that name.
        RomNotFoundError: no ROM matches; the message says how to import one.
    """
    e = integration(name)
    dirs = [e.path] if e.source != "pettingretro" else []
    return find_rom(e.name, e.sha1s, files=e.rom_files, ale_name=e.ale_name, dirs=dirs)


__all__ = [
    "INTEGRATIONS_PATH_ENV",
    "Integration",
    "ale_roms",
    "declared_players",
    "find_integration_rom",
    "import_known_roms",
    "integration",
    "integrations",
    "lookup",
    "read_integration",
    "rom_status",
    "rom_targets",
    "split_name",
    "stable_retro_integrations",
    "system_for_rom",
]
