"""ROM files: hashing them as stable-retro does, importing them, and finding a game's ROM.

ROMs are found, in order, in the user's imported ROMs (``data_dir()/roms/<Game>/``), in
ale-py's bundled Atari ROMs, and in stable-retro's integration folders. ``import_roms`` fills
the first of these from any folder of ROMs, matching files by sha1; it never writes into an
installed package.
"""

from __future__ import annotations

import array
import functools
import hashlib
import importlib.util
import io
import os
import stat
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pettingretro.errors import RomNotFoundError

#: Files up to this size are read whole (every hashing rule applies); larger ones are streamed.
MAX_ROM_SIZE = 0x2000000

_MIB = 1 << 20

#: The largest file ``import`` reads, by extension: the console's largest cartridge (or disc)
#: with room for headers, homebrew and hacks. The largest releases: Atari 2600 32 KiB (512 KiB
#: homebrew), NES 1 MiB, SNES 6 MiB, Genesis 5 MiB, 32X 4 MiB, Game Boy (Color) 8 MiB, GBA
#: 32 MiB, Master System and Game Gear 1 MiB, PC Engine 2.5 MiB, N64 64 MiB, DS 512 MiB,
#: Saturn and Sega CD a 700 MB disc, arcade sets (FBNeo zips) under 1 GiB.
MAX_ROM_SIZES: dict[str, int] = {
    ".a26": 1 * _MIB,
    ".nes": 4 * _MIB,
    **dict.fromkeys((".sfc", ".smc", ".swc", ".fig"), 16 * _MIB),
    **dict.fromkeys((".md", ".gen", ".smd"), 16 * _MIB),
    ".32x": 8 * _MIB,
    **dict.fromkeys((".gb", ".gbc"), 16 * _MIB),
    ".gba": 32 * _MIB,
    **dict.fromkeys((".sms", ".gg"), 4 * _MIB),
    ".pce": 8 * _MIB,
    **dict.fromkeys((".n64", ".z64", ".v64", ".u1", ".ndd"), 128 * _MIB),
    ".nds": 512 * _MIB,
    **dict.fromkeys((".chd", ".iso", ".scd", ".zip"), 1024 * _MIB),
}

#: The bound for other extensions (``.bin``, ``.rom``, none): N64 dumps are the largest ``.bin``.
DEFAULT_MAX_ROM_SIZE = 128 * _MIB


def max_rom_size(name: str) -> int:
    """The largest file ``import`` reads under this name (its extension picks the console)."""
    return MAX_ROM_SIZES.get(os.path.splitext(name)[1].lower(), DEFAULT_MAX_ROM_SIZE)


def _mib(n: int) -> str:
    return f"{n / _MIB:g} MiB"


_INES_MAGIC = b"NES\x1a"
_SMD_HEADER = 512
_SMD_BLOCK = 0x4000
_SNES_COPIER_EXTENSIONS = frozenset({".smc", ".sfc", ".swc", ".fig"})
_N64_MAGIC = {
    b"\x80\x37\x12\x40": "z64",  # big-endian, the form the cores and No-Intro use
    b"\x37\x80\x40\x12": "v64",  # 16-bit byte-swapped
    b"\x40\x12\x37\x80": "n64",  # 32-bit word-swapped
}


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
    if strip_ines and data[:4] == _INES_MAGIC:
        data = data[16:]
    return hashlib.sha1(data).hexdigest()


@functools.lru_cache(maxsize=256)
def _cached_sha1(path: str, strip_ines: bool, _mtime_ns: int, _size: int) -> str:
    # keyed on mtime and size too, so a replaced file is hashed again
    return sha1_of(Path(path), strip_ines=strip_ines)


def _file_sha1(path: Path) -> str:
    st = path.stat()
    return _cached_sha1(str(path), path.suffix.lower() == ".nes", st.st_mtime_ns, st.st_size)


# ---------------------------------------------------------------------------------------------
# Hashing rules
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RomForm:
    """One way to read a ROM file: the bytes a game's ``rom.sha`` may describe.

    Attributes:
        sha1: the sha1 that is compared with the games' known hashes.
        data: the bytes to store when this form matches (an iNES file keeps its header, the
            core needs it; a copier header or SMD interleaving is undone, the core wants none).
        rule: how the form was made: ``"raw"``, ``"iNES header stripped"``, ...
    """

    sha1: str
    data: bytes
    rule: str


def _deinterleave_smd(body: bytes) -> bytes:
    # each 16 KiB block holds the odd bytes in its first half, the even bytes in its second
    out = bytearray(len(body))
    half = _SMD_BLOCK // 2
    for start in range(0, len(body), _SMD_BLOCK):
        out[start + 1 : start + _SMD_BLOCK : 2] = body[start : start + half]
        out[start : start + _SMD_BLOCK : 2] = body[start + half : start + _SMD_BLOCK]
    return bytes(out)


def _is_smd(name: str, data: bytes) -> bool:
    body = data[_SMD_HEADER:]
    if len(body) < _SMD_BLOCK or len(body) % _SMD_BLOCK:
        return False
    # the "SEGA" at 0x100 of a linear ROM is split: its odd bytes "EA" land at 0x80 of block 0
    return name.lower().endswith(".smd") or (body[0x80:0x82] == b"EA" and data[8:10] == b"\xaa\xbb")


def _swap_n64(data: bytes, kind: str) -> bytes:
    words = array.array("H" if kind == "v64" else "I")
    words.frombytes(data[: len(data) - len(data) % words.itemsize])
    words.byteswap()
    return words.tobytes()


def rom_forms(name: str, data: bytes) -> list[RomForm]:
    r"""Every form a ROM file may be known by, stable-retro's own rule first.

    stable-retro hashes a file's bytes as they are, except that it drops the first 16 bytes
    of a ``.nes`` file (the iNES header). Dumps often carry more than the game, so some
    forms are added where the file shows it: an iNES header on any extension, a 512-byte
    copier header on a SNES dump, Super Magic Drive interleaving on a Genesis dump, and the
    byte-swapped N64 orders.

    Args:
        name: the file's name (its extension selects rules).
        data: the file's bytes.

    Returns:
        The forms, each with a distinct sha1.

    Example:
        >>> body = bytes(range(256)) * 64
        >>> [f.rule for f in rom_forms("game.nes", b"NES\x1a" + bytes(12) + body)]
        ['iNES header stripped', 'raw']
    """
    ext = os.path.splitext(name)[1].lower()
    forms: list[RomForm] = []

    def add(body: bytes, store: bytes, rule: str) -> None:
        sha = hashlib.sha1(body).hexdigest()
        if all(f.sha1 != sha for f in forms):
            forms.append(RomForm(sha, store, rule))

    if ext == ".nes":
        add(data[16:], data, "iNES header stripped")
    add(data, data, "raw")
    if data[:4] == _INES_MAGIC:
        add(data[16:], data, "iNES header stripped")
    if len(data) > _SMD_HEADER and _is_smd(name, data):
        linear = _deinterleave_smd(data[_SMD_HEADER:])
        add(linear, linear, "SMD de-interleaved")
    if ext in _SNES_COPIER_EXTENSIONS and len(data) % 1024 == _SMD_HEADER:
        add(data[_SMD_HEADER:], data[_SMD_HEADER:], "copier header stripped")
    kind = _N64_MAGIC.get(data[:4])
    if kind in ("v64", "n64"):
        z64 = _swap_n64(data, kind)
        add(z64, z64, f"{kind} byte order swapped")
    return forms


# ---------------------------------------------------------------------------------------------
# Importing
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RomTarget:
    """Where a ROM with a known sha1 goes: ``data_dir()/roms/<game>/<file>``.

    Attributes:
        game: the integration's name (its folder name, e.g. ``Pong-Atari2600-v0`` or ``pong``).
        file: the ROM's file name in that folder, e.g. ``rom.a26``.
    """

    game: str
    file: str


@dataclass(frozen=True)
class ImportResult:
    """What importing one file (or one member of a zip archive) did.

    Attributes:
        source: the file, as ``path`` or ``archive.zip:member``.
        sha1: the sha1 that matched, else the one stable-retro's rule gives (None if unread).
        imported: games the ROM was written for.
        present: games that had this ROM already.
        skipped: why the file was not hashed, or None.
        shipped_by: the installed package the file belongs to (``"ale-py"``,
            ``"stable-retro"``): games find it there, so it was not copied.
    """

    source: str
    sha1: str | None
    imported: tuple[str, ...] = ()
    present: tuple[str, ...] = ()
    skipped: str | None = None
    shipped_by: str | None = None

    @property
    def status(self) -> str:
        """``"imported"``, ``"already there"``, ``"no match"`` or ``"skipped"``."""
        if self.imported:
            return "imported"
        if self.present:
            return "already there"
        return "skipped" if self.skipped else "no match"


_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def rom_files_in(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Every file under some folders (recursively) or named directly, sorted per folder.

    Entries found in folders are listed whatever they are (``import_file`` skips a FIFO or a
    device, with the reason); a path named directly must be a folder or a regular file.

    Raises:
        RomNotFoundError: a path does not exist, cannot be read, or is a FIFO, device or socket.
    """
    out: list[Path] = []
    for p in map(Path, paths):
        try:
            mode = p.stat().st_mode
        except FileNotFoundError:
            raise RomNotFoundError(f"'{p}' does not exist: give a folder or file of ROMs") from None
        except OSError as e:
            raise RomNotFoundError(
                f"cannot read '{p}' ({e.strerror or e}): give a folder or file of ROMs you can read"
            ) from None
        if stat.S_ISREG(mode):
            out.append(p)
        elif stat.S_ISDIR(mode):
            for root, dirs, files in os.walk(p):
                dirs.sort()
                out.extend(Path(root) / f for f in sorted(files))
        else:
            raise RomNotFoundError(
                f"'{p}' is {_kind(mode)}, not a ROM file: give a folder or regular files"
            )
    return out


def _write(dest: Path, data: bytes) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, dest)


def _same(dest: Path, data: bytes) -> bool:
    try:
        return dest.stat().st_size == len(data) and dest.read_bytes() == data
    except OSError:
        return False


def _shipped_by(path: Path) -> str | None:
    """The installed package whose files games already search that ``path`` lies in."""
    try:
        real = path.resolve()
    except OSError:
        return None
    for package, label in (("ale_py", "ale-py"), ("stable_retro", "stable-retro")):
        folder = package_dir(package)
        if folder is not None and real.is_relative_to(folder.resolve()):
            return label
    return None


def _place(
    source: str,
    forms: list[RomForm],
    known: Mapping[str, Sequence[RomTarget]],
    root: Path,
    shipped: str | None,
) -> ImportResult:
    for form in forms:
        targets = known.get(form.sha1)
        if not targets:
            continue
        if shipped is not None:
            # find_rom looks in the package for these games: a copy would only use space
            return ImportResult(
                source, form.sha1, present=tuple(t.game for t in targets), shipped_by=shipped
            )
        imported: list[str] = []
        present: list[str] = []
        for t in targets:
            dest = root / t.game / t.file
            if _same(dest, form.data):
                present.append(t.game)
            else:
                _write(dest, form.data)
                imported.append(t.game)
        return ImportResult(source, form.sha1, tuple(imported), tuple(present))
    return ImportResult(source, forms[0].sha1 if forms else None)


def _scan_zip(
    zf: zipfile.ZipFile,
    source: str,
    known: Mapping[str, Sequence[RomTarget]],
    root: Path,
    depth: int,
) -> list[ImportResult]:
    out: list[ImportResult] = []
    for info in zf.infolist():
        if info.is_dir():
            continue
        inner = f"{source}:{info.filename}"
        limit = min(max_rom_size(info.filename), MAX_ROM_SIZE)
        if info.file_size > limit:
            out.append(ImportResult(inner, None, skipped=f"larger than {_mib(limit)}"))
            continue
        try:
            # zipfile stops at the size the member declares, so a forged header cannot make
            # this read more than ``limit``
            member = zf.read(info)
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError) as e:
            out.append(ImportResult(inner, None, skipped=f"unreadable ({e})"))
            continue
        out.extend(_import_bytes(info.filename, inner, member, known, root, depth + 1, None))
    return out


def _import_bytes(
    name: str,
    source: str,
    data: bytes,
    known: Mapping[str, Sequence[RomTarget]],
    root: Path,
    depth: int,
    shipped: str | None,
) -> list[ImportResult]:
    result = _place(source, rom_forms(name, data), known, root, shipped)
    if result.status != "no match" or not name.lower().endswith(".zip") or depth >= 4:
        return [result]
    # an archive nobody knows by its own sha1 (arcade sets are known as zips): look inside
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return _scan_zip(zf, source, known, root, depth) or [result]
    except (zipfile.BadZipFile, OSError):
        return [result]


class _TooLarge(Exception):
    """A file grew past its bound while it was read."""


def _stream_sha1(f: BinaryIO, limit: int) -> str:
    h = hashlib.sha1()
    n = 0
    while chunk := f.read(1 << 20):
        n += len(chunk)
        if n > limit:
            raise _TooLarge
        h.update(chunk)
    return h.hexdigest()


def _import_large(
    f: BinaryIO,
    source: str,
    limit: int,
    known: Mapping[str, Sequence[RomTarget]],
    root: Path,
    shipped: str | None,
) -> ImportResult:
    # too big to hold in memory: hashed and copied in chunks, its raw form only
    sha = _stream_sha1(f, limit)
    targets = known.get(sha)
    if not targets:
        return ImportResult(source, sha)
    if shipped is not None:
        return ImportResult(source, sha, present=tuple(t.game for t in targets), shipped_by=shipped)
    size = f.tell()
    imported: list[str] = []
    present: list[str] = []
    for t in targets:
        dest = root / t.game / t.file
        if dest.is_file() and dest.stat().st_size == size:
            with dest.open("rb") as old:
                if _stream_sha1(old, limit) == sha:
                    present.append(t.game)
                    continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
        f.seek(0)
        with tmp.open("wb") as dst:
            left = size  # what was hashed, even if the file grew since
            while left and (chunk := f.read(min(left, 1 << 20))):
                dst.write(chunk)
                left -= len(chunk)
        os.replace(tmp, dest)
        imported.append(t.game)
    return ImportResult(source, sha, tuple(imported), tuple(present))


def _open_regular(path: Path) -> BinaryIO | str:
    """The file opened for reading, or why it was not: FIFOs and devices are never opened."""
    mode = path.stat().st_mode
    if not stat.S_ISREG(mode):
        return f"{_kind(mode)}, not a ROM file"
    # O_NONBLOCK: had a FIFO replaced the file since stat(), open() must not wait for a writer
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        return f"{_kind(mode)}, not a ROM file"
    return os.fdopen(fd, "rb")


def import_file(
    path: Path, known: Mapping[str, Sequence[RomTarget]], root: Path | None = None
) -> list[ImportResult]:
    """Import one file (every member of a zip archive), if its sha1 is known.

    Only regular files are read (a FIFO or a device is skipped, never opened), and no more of
    them than the largest ROM of the console their extension names (see ``MAX_ROM_SIZES``).
    A file inside ale-py or stable-retro is matched but not copied: games find it there.

    Args:
        path: the file.
        known: sha1 → where a ROM with that sha1 goes (see ``catalog.rom_targets``).
        root: the ROM folder to fill (default ``data_dir()/roms``).

    Returns:
        One result for the file, or one per member of an archive.
    """
    root = root if root is not None else data_dir() / "roms"
    source = str(path)
    suffix = path.suffix.lower()
    limit = max_rom_size(path.name)
    too_large = ImportResult(
        source,
        None,
        skipped=f"larger than {_mib(limit)}, the bound for {suffix or 'extensionless'} files",
    )
    shipped = _shipped_by(path)
    try:
        f = _open_regular(path)
        if isinstance(f, str):
            return [ImportResult(source, None, skipped=f)]
        with f:
            size = os.fstat(f.fileno()).st_size
            if size > limit:
                return [too_large]
            if size <= MAX_ROM_SIZE:
                # bounded even where st_size lies (files in /proc report 0)
                data = f.read(MAX_ROM_SIZE + 1)
                if len(data) > MAX_ROM_SIZE:
                    return [too_large]
                return _import_bytes(path.name, source, data, known, root, 0, shipped)
            result = _import_large(f, source, limit, known, root, shipped)
            if result.status != "no match" or suffix != ".zip":
                return [result]
            f.seek(0)
            with zipfile.ZipFile(f) as zf:
                return _scan_zip(zf, source, known, root, 0) or [result]
    except _TooLarge:
        return [too_large]
    except zipfile.BadZipFile:
        return [ImportResult(source, None, skipped="not a zip archive")]
    except OSError as e:
        return [ImportResult(source, None, skipped=f"unreadable ({e.strerror or e})")]


def import_roms(
    paths: Iterable[str | os.PathLike[str]],
    known: Mapping[str, Sequence[RomTarget]],
    *,
    on_file: Callable[[Path], None] | None = None,
) -> Iterator[ImportResult]:
    """Copy every ROM under ``paths`` whose sha1 a game knows into ``data_dir()/roms``.

    Args:
        paths: folders (searched recursively, zip archives included) or files.
        known: sha1 → targets (every game in the catalog: ``catalog.rom_targets()``).
        on_file: called before each file is read (for progress).

    Yields:
        One result per file or archive member.

    Raises:
        RomNotFoundError: a path does not exist.

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> _ = (folder / "x.bin").write_bytes(b"not a rom")
        >>> [r.status for r in import_roms([folder], known={})]
        ['no match']
    """
    root = data_dir() / "roms"
    for path in rom_files_in(paths):
        if on_file is not None:
            on_file(path)
        yield from import_file(path, known, root)


# ---------------------------------------------------------------------------------------------
# Finding
# ---------------------------------------------------------------------------------------------


def _candidates(
    game: str, files: Sequence[str], ale_name: str | None, dirs: Iterable[Path]
) -> list[tuple[str, Path]]:
    out: list[tuple[str, Path]] = []
    user = data_dir() / "roms"
    for f in files:
        out.append(("imported", user / game / f))
    if ale_name:
        ale = package_dir("ale_py")
        if ale is not None:
            out.append(("ale-py", ale / "roms" / f"{ale_name}.bin"))
    for d in dirs:
        for f in files:
            out.append(("integration", d / f))
    sr = package_dir("stable_retro")
    if sr is not None:
        for kind in ("stable", "experimental", "contrib"):
            for f in files:
                out.append(("stable-retro", sr / "data" / kind / game / f))
    return out


def find_rom(
    game: str,
    sha1: str | Iterable[str] | None,
    *,
    files: Iterable[str] = ("rom.bin",),
    ale_name: str | None = None,
    dirs: Iterable[Path] = (),
) -> Path:
    """The first ROM file for ``game`` whose sha1 matches (any file when ``sha1`` is None).

    Args:
        game: the game's folder name: ours (``pong``) or an integration's (``Pong-Atari2600-v0``).
        sha1: the ROM's sha1, several accepted ones, or None for any.
        files: the ROM's file names (the catalog's ``Integration.rom_files``).
        ale_name: the ROM's name in ale-py, for Atari games.
        dirs: more folders to look in for ``files`` (an integration's own folder).

    Raises:
        RomNotFoundError: none found; the message says which package to install or to run
            ``pettingretro import DIR``.
    """
    files = tuple(files)
    wanted = None if sha1 is None else {sha1} if isinstance(sha1, str) else set(sha1)
    seen: list[str] = []
    tried: set[Path] = set()
    for _source, path in _candidates(game, files, ale_name, dirs):
        if path in tried or not path.is_file():
            continue
        tried.add(path)
        if wanted is None or _file_sha1(path) in wanted:
            return path
        seen.append(f"{path} (sha1 differs)")
    hint = ""
    if ale_name and package_dir("ale_py") is None:
        hint = "; this Atari ROM ships with ale-py: `pip install ale-py`"
    elif ale_name:
        hint = "; ale-py is installed but its ROM did not match (reinstall ale-py)"
    found = f" (found {', '.join(seen)})" if seen else ""
    shown = "" if wanted is None else f" with sha1 {' or '.join(sorted(wanted))}"
    raise RomNotFoundError(
        f"no ROM for {game!r}{shown}{found}{hint}; "
        f"or put yours in place with `pettingretro import DIR`, or pass rom=PATH"
    )
