"""The ``.bk2`` movie format: reading (:class:`Movie`) and the writer's log layout; no env, no emulator.

A ``.bk2`` file is a zip holding ``Header.txt`` (``key value`` lines), ``Input Log.txt`` and
``Core.bin`` (the emulator state the movie starts from). The input log is::

    [Input]
    LogKey:#Reset|Power|#P1 Up|P1 Down|P1 Left|P1 Right|P1 Button|P1 Select|P1 Reset|#P2 Up|...|
    |..|U....r.|.......|
    ...
    [/Input]

one line per emulated frame (with ``frameskip=4`` every step writes four lines). The first group
holds the console commands (soft reset, power), which an env never uses; then one group per
controller port, one column per button the console has (Atari's RESET and SELECT included,
which stable-retro's writer drops). A pressed button shows its mnemonic, a released one ``.``.

Host-owned paddles (Atari paddle games) have no exact BizHawk column: BizHawk's Atari
``P1 Paddle X 1`` axis holds -127..127 for its own paddle model, while the host writes Stella's
resistance (an int32, e.g. 27450..790196 in Pong) into the core's state before every frame.
Our movies therefore end each line with one more group, ``#pettingretro Paddle 1|...|``: each
paddle's position during that frame, written as BizHawk writes axes (right-aligned in 5
characters, then a comma). Readers that do not know the group ignore it.

``Header.txt`` carries BizHawk's keys (``MovieVersion``, ``Platform``, ``GameName``, ``SHA1``,
``Core``, ...) and ours, prefixed ``pettingretro``: the env that recorded it and its arguments,
the frameskip, the frame count (checked on reading) and why the episode ended. Files are
written under a temporary name and renamed only once complete, so a full disk or a crash never
leaves a cut movie behind.

The line right after ``[Input]`` is stable-retro's key line (``P1 Up|P1 Down|...|P2 ...|``,
the port columns without the ``LogKey:`` prefix), then BizHawk's ``LogKey:`` line: stable-retro's
reader counts players from the line after ``[Input]`` by parsing a number out of every column
(``stoul``), so a ``LogKey:#Reset|...`` there fails with ``ValueError: stoul``; BizHawk and our
reader take the ``LogKey:`` line wherever it is.

:class:`Movie` reads these files, BizHawk's, and stable-retro's (whose writer loses the
``LogKey:`` prefix and drops unnamed buttons: their lines are read by mnemonic instead), with
stable-retro's ``retro.Movie`` API. Movies are files people share, so reading is bounded (every
member's size, the header's) and a damaged file of any kind raises :class:`MovieError` naming
the file; the env arguments a header may carry come from an allow-list and never name code or
files to load (see :data:`REPLAYED_ARGS`).
"""

from __future__ import annotations

import json
import os
import re
import stat
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from pettingretro.errors import MovieError, PettingRetroError
from pettingretro.host import MAX_PORTS, Button

if TYPE_CHECKING:
    from pettingretro.integration.systems import System

__all__ = [
    "COMMANDS",
    "PADDLE_COLUMN",
    "PLATFORMS",
    "REPLAYED_ARGS",
    "Layout",
    "Movie",
    "generic_buttons",
    "log_chunks",
    "read_text",
    "system_named",
]

PLATFORMS: dict[str, str] = {
    "Atari2600": "A26",
    "Nes": "NES",
    "Snes": "SNES",
    "Genesis": "GEN",
    "SCD": "GEN",  # BizHawk runs Sega CD on its Genesis core, under the Genesis id
    "32x": "32X",
    "GameBoy": "GB",
    "GbColor": "GBC",
    "GbAdvance": "GBA",
    "Sms": "SMS",
    "GameGear": "GG",
    "PCEngine": "PCE",
    "Saturn": "SAT",
    "N64": "N64",
    "NintendoDs": "NDS",
}
_SYSTEM_OF_PLATFORM = {v: k for k, v in PLATFORMS.items() if k != "SCD"}

#: The console-command group every line starts with (``|..|``): soft reset and power.
COMMANDS = ("Reset", "Power")
#: Name prefix of the paddle-position columns (our extension, see the module docstring).
PADDLE_COLUMN = "pettingretro Paddle"

# Mnemonics: stable-retro's (so its reader understands our lines), then BizHawk's for the rest.
_MNEMONICS = {
    "A": "A", "B": "B", "C": "C", "X": "X", "Y": "Y", "Z": "Z", "START": "S", "SELECT": "s",
    "MODE": "M", "UP": "U", "DOWN": "D", "LEFT": "L", "RIGHT": "R", "L": "l", "R": "r",
    "BUTTON": "B", "RESET": "r", "PAUSE": "p", "RUN": "R", "L2": "L", "R2": "R", "L3": "<",
    "R3": ">", "I": "1", "II": "2", "III": "3", "IV": "4", "V": "5", "VI": "6", "C-UP": "u",
    "C-RIGHT": "r", "C-MODE": "m",
}  # fmt: skip
# stable-retro's reader: mnemonic -> button name (its s_keyNames, inverted per console)
_STABLE_RETRO_KEYS = {
    "A": "A", "B": "B", "C": "C", "X": "X", "Y": "Y", "Z": "Z", "START": "S", "SELECT": "s",
    "MODE": "M", "UP": "U", "DOWN": "D", "LEFT": "L", "RIGHT": "R", "L": "l", "R": "r",
    "BUTTON": "B",
}  # fmt: skip
# BizHawk axis names (without the "P1 " prefix): their values are numbers, not mnemonics
_AXES = frozenset({
    "Paddle X 1", "Paddle X 2", "Wheel X 1", "Wheel X 2", "Paddle", "Zapper X", "Zapper Y",
    "Pen", "Mouse X", "Mouse Y", "Lightgun X", "Lightgun Y", "X Axis", "Y Axis", "LStick X",
    "LStick Y", "RStick X", "RStick Y", "Disc Select", "Stick X", "Stick Y",
})  # fmt: skip
_ROMAN = frozenset({"I", "II", "III", "IV", "V", "VI"})
_DPAD = ("UP", "DOWN", "LEFT", "RIGHT")
_PLAYER = re.compile(r"^P(\d+) (.+)$")

# ---------------------------------------------------------------------------------- buttons


def generic_buttons() -> tuple[str | None, ...]:
    """Button names by libretro id where no console is known: the RetroPad's."""
    return tuple(b.name for b in Button)


def _display(name: str) -> str:
    """A button's column name as BizHawk spells it: ``Up``, ``Button``, ``A``, ``II``."""
    if name in _ROMAN or len(name) == 1 or not name.replace("-", "").isalpha():
        return name
    return name.replace("-", " ").title()


def _norm(name: str) -> str:
    return name.upper().replace(" ", "").replace("-", "")


def _mnemonic(name: str) -> str:
    return _MNEMONICS.get(name, name[:1])


def _button_ids(buttons: Sequence[str | None]) -> dict[str, int]:
    """Normalized button name -> libretro id."""
    return {_norm(n): i for i, n in enumerate(buttons) if n}


def system_named(name: str | None) -> System | None:
    """The console stable-retro calls ``name`` (None when unknown or stable-retro is missing)."""
    if not name:
        return None
    from pettingretro.integration.systems import systems

    try:
        return systems().get(name)
    except PettingRetroError:  # stable-retro (which describes the consoles) is missing
        return None


# ---------------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class _Column:
    name: str
    axis: bool


class Movie:
    """A ``.bk2`` replay, read with stable-retro's ``retro.Movie`` API.

    The movie starts before its first frame: each :meth:`step` moves to the next frame, and
    :meth:`get_key` says which buttons that frame holds.

    Args:
        path: a ``.bk2`` file written by pettingretro, BizHawk or stable-retro.

    Attributes:
        players: controller ports the log has a group for.
        num_frames: frames (log lines) in the movie.
        header: ``Header.txt`` as a dict.
        system: the console, as stable-retro names it (None when unknown).
        columns: each LogKey column's value per frame (0/1 for buttons, numbers for axes);
            empty for stable-retro's files, which have no LogKey.

    Raises:
        MovieError: the file is not a complete movie (the message says what is wrong).

    Example:
        >>> from pettingretro.movie import Movie
        >>> movie = Movie("pong_v0-000000.bk2")  # doctest: +SKIP
        >>> movie.get_game(), movie.players  # doctest: +SKIP
        ('pong_v0', 2)
        >>> while movie.step():  # doctest: +SKIP
        ...     fire = movie.get_key(0, 0)
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        members = read_members(self.path)
        if "Input Log.txt" not in members or "Header.txt" not in members:
            raise MovieError(
                f"{self.path} holds no 'Input Log.txt' or 'Header.txt': it is not a .bk2 movie"
            )
        header_text = members["Header.txt"].decode("utf-8", "replace")
        log_text = members["Input Log.txt"].decode("utf-8", "replace")
        self._state = members.get("Core.bin", b"")
        self.header: dict[str, str] = {}
        for line in header_text.splitlines():
            key, _, value = line.strip().partition(" ")
            if key:
                self.header[key] = value
        self.system = system_named(self.header.get("pettingretroSystem")) or system_named(
            _SYSTEM_OF_PLATFORM.get(self.header.get("Platform", ""), self.header.get("Platform"))
        )
        buttons = self.system.buttons if self.system is not None else generic_buttons()
        self._frame = -1
        self.columns: dict[str, npt.NDArray[Any]] = {}
        self._parse_log(log_text, buttons)
        expected = self.header.get("pettingretroFrames")
        if expected is not None and not expected.strip().isdigit():
            raise MovieError(
                f"{self.path}: header pettingretroFrames is not a number: {expected!r}"
            )
        if expected is not None and int(expected) != self.num_frames:
            raise MovieError(
                f"{self.path} is cut short: its header says {expected} frames, its log has {self.num_frames}"
            )

    # ------------------------------------------------------------------ parsing

    def _parse_log(self, text: str, buttons: Sequence[str | None]) -> None:
        key: str | None = None
        lines: list[str] = []
        started = False
        for raw in text.splitlines():
            line = raw.rstrip("\r")
            if line.startswith("LogKey:"):
                key = line[len("LogKey:") :]
            elif line.startswith("|"):
                lines.append(line)
            elif line.strip() == "[Input]":
                started = True
        if not started and not lines:
            raise MovieError(f"{self.path}: 'Input Log.txt' has no [Input] section")
        n = len(lines)
        if key is None:
            self._parse_mnemonics(lines, buttons)
        else:
            self._parse_keyed(key, lines, buttons)
        self.num_frames = n

    def _parse_mnemonics(self, lines: list[str], buttons: Sequence[str | None]) -> None:
        """stable-retro's files: no LogKey, so each character is looked up as its reader does."""
        keymap = {
            _STABLE_RETRO_KEYS[b]: i for i, b in enumerate(buttons) if b in _STABLE_RETRO_KEYS
        }
        groups = max((line.count("|") - 2 for line in lines), default=1)
        self.players = max(groups, 1)
        masks = np.zeros((len(lines), self.players), np.uint16)
        for f, line in enumerate(lines):
            parts = line.split("|")[2:-1]
            for p, seg in enumerate(parts[: self.players]):
                m = 0
                for c in seg:
                    if c != "." and c in keymap:
                        m |= 1 << keymap[c]
                masks[f, p] = m
        self._masks = masks
        self._paddles: npt.NDArray[np.int32] | None = None

    def _parse_keyed(self, key: str, lines: list[str], buttons: Sequence[str | None]) -> None:
        groups = _split_key(key)
        cols = [[_Column(n, _is_axis(n)) for n in g] for g in groups]
        values: list[list[int]] = [[] for g in cols for _ in g]
        flat = [c for g in cols for c in g]
        for f, line in enumerate(lines):
            segs = line.split("|")[1:-1]
            if len(segs) != len(cols):
                raise MovieError(
                    f"{self.path}: frame {f} has {len(segs)} groups but the LogKey lists {len(cols)}"
                )
            k = 0
            for seg, group in zip(segs, cols, strict=True):
                pos = 0
                for col in group:
                    if col.axis:
                        end = seg.find(",", pos)
                        if end < 0:
                            raise MovieError(f"{self.path}: frame {f}: no value for {col.name!r}")
                        try:
                            values[k].append(int(seg[pos:end]))
                        except ValueError:
                            raise MovieError(
                                f"{self.path}: frame {f}: {col.name!r} is not a number: {seg[pos:end]!r}"
                            ) from None
                        pos = end + 1
                    else:
                        if pos >= len(seg):
                            raise MovieError(
                                f"{self.path}: frame {f}: no mnemonic for {col.name!r}"
                            )
                        values[k].append(0 if seg[pos] == "." else 1)
                        pos += 1
                    k += 1
        n = len(lines)
        for col, vals in zip(flat, values, strict=True):
            self.columns[col.name] = np.asarray(vals, np.int32 if col.axis else np.uint8).reshape(n)
        ids = _button_ids(buttons)
        mapped: list[tuple[str, int, int]] = []
        players = 1
        for col in flat:
            if col.axis:
                continue
            m = _PLAYER.match(col.name)
            # console-level buttons (BizHawk's Atari "Reset", "Select") live on the first port
            port, button = (int(m.group(1)) - 1, m.group(2)) if m else (0, col.name)
            extra = re.fullmatch(r"Id(\d+)", button)
            bit = int(extra.group(1)) if extra else ids.get(_norm(button))
            if bit is None or not 0 <= port < MAX_PORTS or bit > 15:
                continue  # a control no libretro port has (Power, difficulty switches, ...)
            mapped.append((col.name, port, bit))
            if m:
                players = max(players, port + 1)
        self.players = players
        masks = np.zeros((n, players), np.uint16)
        for name, port, bit in mapped:
            if port < players:
                masks[:, port] |= self.columns[name].astype(np.uint16) << np.uint16(bit)
        self._masks = masks
        pads = sorted(
            (int(c.name.rsplit(" ", 1)[1]), c.name)
            for c in flat
            if c.name.startswith(PADDLE_COLUMN)
        )
        self._paddles = (
            np.stack([self.columns[name] for _, name in pads], axis=1).astype(np.int32)
            if pads
            else None
        )

    # ------------------------------------------------------------------ stable-retro's API

    def get_game(self) -> str:
        """The game's name (``GameName``): an env module or a stable-retro integration."""
        return self.header.get("GameName", "?")

    def get_state(self) -> bytes:
        """The emulator state the movie starts from (``Core.bin``; empty for power-on movies)."""
        return self._state

    def step(self) -> bool:
        """Move to the next frame; False once past the last one."""
        if self._frame < self.num_frames:
            self._frame += 1
        return self._frame < self.num_frames

    def get_key(self, i: int, p: int = 0) -> bool:
        """Whether the current frame holds button ``i`` (a libretro id) on port ``p``."""
        if not 0 <= self._frame < self.num_frames or not 0 <= p < self.players:
            return False
        return bool(int(self._masks[self._frame, p]) >> i & 1)

    def close(self) -> None:
        """Nothing to release (the file was read whole); kept for stable-retro's API."""

    # ------------------------------------------------------------------ beyond it

    @property
    def frame(self) -> int:
        """The current frame's index (-1 before the first :meth:`step`)."""
        return self._frame

    @property
    def masks(self) -> npt.NDArray[np.uint16]:
        """Every frame's port masks: (frames, players) uint16, bit ``1 << id`` per button."""
        return self._masks

    @property
    def paddles(self) -> npt.NDArray[np.int32] | None:
        """Every frame's host-owned paddle positions, (frames, paddles) int32, or None."""
        return self._paddles

    def get_mask(self, p: int = 0) -> int:
        """The current frame's button mask on port ``p``."""
        if not 0 <= self._frame < self.num_frames or not 0 <= p < self.players:
            return 0
        return int(self._masks[self._frame, p])

    def get_paddles(self) -> list[int]:
        """The current frame's paddle positions (empty when the movie has none)."""
        if self._paddles is None or not 0 <= self._frame < self.num_frames:
            return []
        return [int(v) for v in self._paddles[self._frame]]

    @property
    def frameskip(self) -> int:
        """Frames per env step when recorded (1 for movies from elsewhere)."""
        raw = self.header.get("pettingretroFrameskip", "1").strip()
        if not raw.isdigit() or int(raw) < 1:
            raise MovieError(
                f"{self.path}: header pettingretroFrameskip is not a positive number: {raw!r}"
            )
        return int(raw)

    @property
    def env_name(self) -> str:
        """The env (module or integration) the movie was recorded with; else its GameName."""
        return self.header.get("pettingretroEnv") or self.get_game()

    @property
    def env_kwargs(self) -> dict[str, Any]:
        """The keyword arguments of the env that recorded the movie (empty if unknown).

        Raises:
            MovieError: the header's arguments are not a JSON object, or name something a
                movie may not choose (a core, a ROM, a path: see :data:`REPLAYED_ARGS`).
        """
        raw = self.header.get("pettingretroEnvArgs")
        if not raw:
            return {}
        try:
            args = json.loads(raw)
        except ValueError:
            args = None
        if not isinstance(args, dict):
            raise MovieError(
                f"{self.path}: header pettingretroEnvArgs is not a JSON object: {raw[:80]!r}"
            )
        for key, value in args.items():
            _check_replayed_arg(self.path, key, value)
        return args

    @property
    def sha1(self) -> str | None:
        """The ROM's sha1 from the header (None when it says ``?`` or nothing)."""
        s = self.header.get("SHA1", "?").strip()
        return None if s in ("", "?") else s.lower()

    def step_bounds(self, every_frame: bool = False) -> list[tuple[int, int]]:
        """The frames of each env step as ``(first, end)``: reset()'s frame, then frameskip each."""
        n = self.num_frames
        fs = self.frameskip
        if every_frame or fs == 1:
            return [(i, i + 1) for i in range(n)]
        if n == 0:
            return []
        return [(0, 1)] + [(s, min(s + fs, n)) for s in range(1, n, fs)]

    def __len__(self) -> int:
        return self.num_frames

    def __enter__(self) -> Movie:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"<Movie {self.path.name}: {self.get_game()}, {self.players} players, "
            f"{self.num_frames} frames>"
        )


def _split_key(key: str) -> list[list[str]]:
    """LogKey groups: ``#A|B|#C|`` -> [[A, B], [C]] (a '#' inside a name, as in "P1 #", stays)."""
    groups: list[list[str]] = []
    name = ""
    for i, ch in enumerate(key):
        if ch == "#" and (i == 0 or key[i - 1] == "|") and not name:
            groups.append([])
        elif ch == "|":
            if not groups:
                groups.append([])
            groups[-1].append(name)
            name = ""
        else:
            name += ch
    return [g for g in groups if g]


def _is_axis(name: str) -> bool:
    if name.startswith(PADDLE_COLUMN):
        return True
    m = _PLAYER.match(name)
    return (m.group(2) if m else name) in _AXES


# ---------------------------------------------------------------------------------- writing


@dataclass(frozen=True)
class Layout:
    """The columns of one env's movies: per port, (libretro id, column name, mnemonic)."""

    ports: tuple[tuple[tuple[int, str, str], ...], ...]
    paddles: int

    @classmethod
    def make(
        cls, buttons: Sequence[str | None], ports: int, used: Sequence[int], paddles: int
    ) -> Layout:
        """The columns for ``ports`` ports of a console with ``buttons`` (by libretro id)."""
        named = [(i, n) for i, n in enumerate(buttons) if n]
        order = sorted(
            named, key=lambda x: (x[1] not in _DPAD, _DPAD.index(x[1]) if x[1] in _DPAD else x[0])
        )
        out = []
        for p in range(ports):
            cols = [(i, f"P{p + 1} {_display(n)}", _mnemonic(n)) for i, n in order]
            # bits the console has no name for still get a column, so nothing is lost
            have = {i for i, _ in named}
            cols += [
                (b, f"P{p + 1} Id{b}", "*") for b in range(16) if used[p] >> b & 1 and b not in have
            ]
            out.append(tuple(cols))
        return cls(tuple(out), paddles)

    def key(self) -> str:
        """BizHawk's ``LogKey:`` line: console commands, one group per port, the paddles."""
        groups = [list(COMMANDS)] + [[name for _, name, _ in port] for port in self.ports]
        if self.paddles:
            groups.append([f"{PADDLE_COLUMN} {k + 1}" for k in range(self.paddles)])
        return "LogKey:" + "".join("#" + "".join(f"{n}|" for n in g) for g in groups)

    def stable_retro_key(self) -> str:
        """stable-retro's key line: the port columns only, each starting ``P<n>``.

        Its reader takes the player count from the line after ``[Input]`` by parsing the
        number after each column's first letter; a console command or paddle column there
        would fail it (``ValueError: stoul``).
        """
        return "".join(f"{name}|" for port in self.ports for _, name, _ in port)

    def buttons_text(self, masks: npt.NDArray[np.uint16]) -> str:
        """One log line's button groups (``|..|U...B|.....|``) for the ports' masks."""
        parts = [".."]
        for p, port in enumerate(self.ports):
            m = int(masks[p]) if p < len(masks) else 0
            parts.append("".join(c if m >> i & 1 else "." for i, _, c in port))
        return "|" + "|".join(parts) + "|"


def log_chunks(
    layout: Layout,
    runs: Sequence[tuple[npt.NDArray[np.uint16], int]],
    paddles: npt.NDArray[np.int32] | None,
) -> Iterator[str]:
    """``Input Log.txt`` in pieces: runs of (masks, frames) and each frame's paddle positions."""
    yield "[Input]\n" + layout.stable_retro_key() + "\n" + layout.key() + "\n"
    cache: dict[bytes, str] = {}
    f = 0
    for masks, count in runs:
        k = masks.tobytes()
        text = cache.get(k)
        if text is None:
            text = cache[k] = layout.buttons_text(masks)
        if paddles is None:
            yield (text + "\n") * count
        else:
            yield "".join(
                text + "".join(f"{v:>5}," for v in row) + "|\n"
                for row in paddles[f : f + count].tolist()
            )
        f += count
    yield "[/Input]\n"


def read_text(path: str | os.PathLike[str], member: str = "Input Log.txt") -> str:
    """One text file of a movie's zip (``Header.txt``, ``Input Log.txt``), for inspection.

    Raises:
        MovieError: the file is not a readable movie, or has no such member.
    """
    members = read_members(Path(path))
    if member not in members:
        raise MovieError(f"{path} holds no {member!r}; it holds {', '.join(sorted(members))}")
    return members[member].decode("utf-8", "replace")


# ---------------------------------------------------------------------------------- bounds

#: The most bytes read of each member (more is refused: a movie is a file people share, and a
#: zip bomb's few KiB can inflate to any size). A Saturn or N64 state is a few MiB; an input
#: log of a day at 60 fps with four ports and paddles is about 300 MiB.
MEMBER_LIMITS: dict[str, int] = {
    "Header.txt": 1 << 16,
    "Input Log.txt": 512 << 20,
    "Core.bin": 64 << 20,
}
#: Members a movie may hold, at most (BizHawk adds a few: comments, subtitles, sync settings).
MAX_MEMBERS = 64
_OTHER_LIMIT = 1 << 20


def read_members(path: Path) -> dict[str, bytes]:
    """The members of a ``.bk2`` zip that we read, each read with a bound.

    Args:
        path: the movie file.

    Returns:
        ``Header.txt``, ``Input Log.txt`` and ``Core.bin`` (those present) by name.

    Raises:
        MovieError: the path is missing, not a regular file, not a zip, damaged (a bad CRC,
            deflate garbage, cut short), or a member is larger than :data:`MEMBER_LIMITS`.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise MovieError(f"no movie file {path}") from None
    except OSError as e:
        raise MovieError(f"cannot read movie {path}: {e.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        # a FIFO or device would block or never end: refused before it is opened
        kind = "a folder" if stat.S_ISDIR(st.st_mode) else "not a regular file"
        raise MovieError(f"{path} is {kind}: give the path of a .bk2 movie file")
    out: dict[str, bytes] = {}
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_MEMBERS:
                raise MovieError(
                    f"{path} holds {len(infos)} files; a .bk2 movie holds a few: it is not a movie"
                )
            for info in infos:
                if info.filename not in MEMBER_LIMITS:
                    continue
                limit = MEMBER_LIMITS[info.filename]
                if info.file_size > limit:
                    raise MovieError(
                        f"{path}: {info.filename} would unpack to {info.file_size} bytes, more "
                        f"than the {limit} a movie may hold: the file is not a movie we replay"
                    )
                with zf.open(info) as fh:
                    # the declared size may lie: read one byte past the bound to know
                    data = fh.read(limit + 1)
                if len(data) > limit:
                    raise MovieError(
                        f"{path}: {info.filename} unpacks to more than the {limit} bytes a "
                        f"movie may hold: the file is not a movie we replay"
                    )
                out[info.filename] = data
    except MovieError:
        raise
    except (zipfile.BadZipFile, EOFError, zlib.error) as e:
        raise MovieError(
            f"{path} is not a readable zip ({e}): the file is cut short, damaged, or not a "
            f".bk2 movie"
        ) from None
    except (NotImplementedError, RuntimeError) as e:  # an unknown compression, encryption
        raise MovieError(f"{path} cannot be unpacked ({e}): write it as a plain zip") from None
    except OSError as e:
        raise MovieError(f"cannot read movie {path}: {e}") from None
    return out


#: The env arguments a movie's header may carry, with the types they may have. Anything else
#: (``core``, ``rom``, ``auto_rom_install_path``, a state *path*) is refused: a movie that
#: could name a core would make ``pettingretro video movie.bk2`` load that library and run its
#: constructors. Game options (a game's own keyword arguments) may be plain numbers or booleans.
REPLAYED_ARGS: dict[str, tuple[type, ...]] = {
    "num_players": (int,),
    "mode": (int,),
    "mode_num": (int,),
    "frameskip": (int,),
    "full_action_space": (bool,),
    "grayscale_channel": (bool,),
    "throttle": (bool,),
    "core_options": (dict,),
    "state": (str,),
}
_UNSAFE_ARGS = frozenset({"core", "rom", "auto_rom_install_path", "record", "isolate", "game"})
_STATE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+ -]{0,127}")


def _check_replayed_arg(path: Path, key: object, value: object) -> None:
    """Refuse an env argument from a header that is not on the allow-list or has a wrong type."""
    fix = "build the env yourself and pass it to playback()"
    if not isinstance(key, str) or key in _UNSAFE_ARGS or key.startswith("_"):
        raise MovieError(
            f"{path}: header pettingretroEnvArgs names {key!r}: a movie may not choose code or "
            f"files to load; {fix} (pettingretro.parallel_env(game, {key}=...))"
        )
    types = REPLAYED_ARGS.get(key, (bool, int, float))
    if isinstance(value, bool):  # a bool is an int to isinstance: told apart first
        ok = bool in types
    else:
        ok = isinstance(value, tuple(t for t in types if t is not bool))
    if ok and key == "state":
        ok = bool(_STATE_NAME.fullmatch(str(value)))  # a state's name, never a path
    if ok and key == "core_options":
        assert isinstance(value, dict)
        ok = all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
    if not ok:
        want = (
            "a state's name (no path)"
            if key == "state"
            else " or ".join("a str->str object" if t is dict else t.__name__ for t in types)
        )
        raise MovieError(
            f"{path}: header pettingretroEnvArgs gives {key}={str(value)[:80]!r}, which is not "
            f"{want}; fix the header or {fix}"
        )
