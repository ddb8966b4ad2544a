"""Replays: BizHawk ``.bk2`` movies of episodes, written by the env and played back into it.

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

:class:`Movie` reads these files, BizHawk's, and stable-retro's (whose writer loses the
``LogKey:`` prefix and drops unnamed buttons: their lines are read by mnemonic instead), with
stable-retro's ``retro.Movie`` API. :func:`playback` replays a movie into an env's emulator,
bit-identically, and :func:`make_env` builds the env a movie was recorded with.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import io
import json
import os
import re
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from pettingretro.errors import PettingRetroError
from pettingretro.host import MAX_PORTS, Button, Emulator

if TYPE_CHECKING:
    from pettingretro.integration.systems import System
    from pettingretro.parallel.env import RetroParallelEnv

__all__ = [
    "EpisodeRecorder",
    "Movie",
    "MovieError",
    "RecordingError",
    "make_env",
    "playback",
]

#: BizHawk's platform ids for stable-retro's systems (Header.txt's ``Platform``).
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


class MovieError(PettingRetroError, ValueError):
    """A movie file is malformed, incomplete, or does not fit the env it is played into."""


class RecordingError(PettingRetroError, OSError):
    """An episode's movie could not be written (nothing was left behind)."""


# ---------------------------------------------------------------------------------- buttons


def _generic_buttons() -> tuple[str | None, ...]:
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


def _system_named(name: str | None) -> System | None:
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
        try:
            with zipfile.ZipFile(self.path) as zf:
                names = set(zf.namelist())
                if "Input Log.txt" not in names or "Header.txt" not in names:
                    raise MovieError(
                        f"{self.path} holds no 'Input Log.txt' or 'Header.txt': it is not a .bk2 movie"
                    )
                header_text = zf.read("Header.txt").decode("utf-8", "replace")
                log_text = zf.read("Input Log.txt").decode("utf-8", "replace")
                self._state = zf.read("Core.bin") if "Core.bin" in names else b""
        except (zipfile.BadZipFile, EOFError) as e:
            raise MovieError(
                f"{self.path} is not a readable zip ({e}): the file is cut short or not a .bk2 movie"
            ) from None
        except FileNotFoundError:
            raise MovieError(f"no movie file {self.path}") from None
        self.header: dict[str, str] = {}
        for line in header_text.splitlines():
            key, _, value = line.strip().partition(" ")
            if key:
                self.header[key] = value
        self.system = _system_named(self.header.get("pettingretroSystem")) or _system_named(
            _SYSTEM_OF_PLATFORM.get(self.header.get("Platform", ""), self.header.get("Platform"))
        )
        buttons = self.system.buttons if self.system is not None else _generic_buttons()
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
        """The keyword arguments of the env that recorded the movie (empty if unknown)."""
        raw = self.header.get("pettingretroEnvArgs")
        if not raw:
            return {}
        try:
            args = json.loads(raw)
        except ValueError:
            args = None
        if not isinstance(args, dict):
            raise MovieError(
                f"{self.path}: header pettingretroEnvArgs is not a JSON object: {raw!r}"
            )
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
class _Layout:
    """The columns of one env's movies: per port, (libretro id, column name, mnemonic)."""

    ports: tuple[tuple[tuple[int, str, str], ...], ...]
    paddles: int

    @classmethod
    def make(
        cls, buttons: Sequence[str | None], ports: int, used: Sequence[int], paddles: int
    ) -> _Layout:
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
        groups = [list(COMMANDS)] + [[name for _, name, _ in port] for port in self.ports]
        if self.paddles:
            groups.append([f"{PADDLE_COLUMN} {k + 1}" for k in range(self.paddles)])
        return "LogKey:" + "".join("#" + "".join(f"{n}|" for n in g) for g in groups)

    def buttons_text(self, masks: npt.NDArray[np.uint16]) -> str:
        parts = [".."]
        for p, port in enumerate(self.ports):
            m = int(masks[p]) if p < len(masks) else 0
            parts.append("".join(c if m >> i & 1 else "." for i, _, c in port))
        return "|" + "|".join(parts) + "|"


def _log_chunks(
    layout: _Layout,
    runs: Sequence[tuple[npt.NDArray[np.uint16], int]],
    paddles: npt.NDArray[np.int32] | None,
) -> Iterator[str]:
    yield "[Input]\n" + layout.key() + "\n"
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


class EpisodeRecorder:
    """Writes each episode of an env to ``folder/<game>-<n>.bk2`` (the env's ``record=``).

    The env calls :meth:`on_reset` right after restoring an episode's start state,
    :meth:`on_frames` before every emulation, :meth:`on_episode_end` when every agent has
    finished, and :meth:`close`. An episode cut short by ``reset()`` or ``close()`` is written
    too (its header says ``pettingretroEnded reset`` or ``close``); one with no step is not.

    Args:
        folder: where movies go (created if missing).
        env: the RetroParallelEnv being recorded.

    Raises:
        RecordingError: (from on_episode_end, on_reset or close) a movie could not be written;
            no partial file is left behind.
    """

    def __init__(self, folder: Path, env: RetroParallelEnv) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.env = env
        self.name = str(env.metadata.get("name") or env.game.env_name)
        self.system = _system_of_env(env)
        self._buttons = self.system.buttons if self.system is not None else _generic_buttons()
        self._sha1 = hashlib.sha1(Path(env.rom_path).read_bytes()).hexdigest().upper()
        table = env.controls.masks.reshape(-1, env.controls.masks.shape[-1])
        reach = np.flatnonzero(np.bitwise_or.reduce(table, axis=0))
        self._ports = int(reach.max()) + 1 if reach.size else 1
        self._npaddles = env.controls.num_paddles if env.paddle_center is not None else 0
        if self._npaddles:
            lo, hi = dict(env.paddle_spec or {})["range"]
            self._range = (int(lo), int(hi))
        #: The movies written so far.
        self.written: list[Path] = []
        self._next = _first_free(self.folder, self.name)
        self._start: bytes | None = None
        self._runs: list[tuple[npt.NDArray[np.uint16], int]] = []
        self._pads: list[npt.NDArray[np.int32]] = []
        self._frames = 0
        self._predicted: npt.NDArray[np.int64] | None = None
        self._drift = 0

    # ------------------------------------------------------------------ the env's calls

    def on_reset(self) -> None:
        """An episode starts from the emulator's current state."""
        if self._start is not None:
            self._finish("reset")
        assert self.env.emu is not None
        self._start = self.env.emu.save_state()
        self._runs, self._pads, self._frames = [], [], 0
        self._predicted = None
        self._drift = 0

    def on_frames(
        self, masks: npt.NDArray[np.uint16], deltas: npt.NDArray[np.int32], frames: int
    ) -> None:
        """``frames`` frames are about to run holding ``masks``, paddles moving by ``deltas``."""
        if self._start is None:
            return
        m = np.zeros(MAX_PORTS, np.uint16)
        src = np.asarray(masks, np.uint16)[:MAX_PORTS]
        m[: len(src)] = src
        if self._runs and frames and np.array_equal(self._runs[-1][0], m):
            self._runs[-1] = (m, self._runs[-1][1] + frames)
        else:
            self._runs.append((m, frames))
        if self._npaddles:
            assert self.env.emu is not None
            cur = np.asarray(self.env.emu.paddles[: self._npaddles], np.int64)
            if self._predicted is not None and not np.array_equal(cur, self._predicted):
                self._drift += 1
            d = np.asarray(deltas, np.int64)[: self._npaddles]
            k = np.arange(1, frames + 1, dtype=np.int64)[:, None]
            # the host moves each paddle by its delta before every frame, clamped to the range
            pos = np.clip(cur[None, :] + k * d[None, :], *self._range)
            self._pads.append(pos.astype(np.int32))
            self._predicted = pos[-1]
        self._frames += frames

    def on_episode_end(self) -> None:
        """Every agent finished: write the episode."""
        if self._start is not None:
            self._finish("done")

    def close(self) -> None:
        """Write an episode still in progress."""
        if self._start is not None:
            self._finish("close")

    # ------------------------------------------------------------------ writing

    def _finish(self, ended: str) -> None:
        start, self._start = self._start, None
        if start is None or self._frames <= 1:  # reset() and no step: nothing to replay
            return
        runs, pads = self._runs, self._pads
        self._runs, self._pads = [], []
        used = np.bitwise_or.reduce(np.stack([m for m, _ in runs]), axis=0)
        ports = max(self._ports, int(np.flatnonzero(used).max()) + 1 if used.any() else 1)
        layout = _Layout.make(self._buttons, ports, [int(u) for u in used], self._npaddles)
        paddles = np.concatenate(pads) if self._npaddles else None
        header = self._header(ended)
        tmp = self.folder / f".{self.name}-{os.getpid()}-{id(self):x}.bk2.part"
        try:
            with open(tmp, "wb") as fh:
                with zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as zf:
                    zf.writestr("Header.txt", header)
                    with zf.open("Input Log.txt", "w") as log:
                        for chunk in _log_chunks(layout, runs, paddles):
                            log.write(chunk.encode())
                    zf.writestr("Core.bin", start)
                fh.flush()
                os.fsync(fh.fileno())
            final, self._next = _publish(tmp, self.folder, self.name, self._next)
        except BaseException as e:
            with contextlib.suppress(OSError):
                tmp.unlink()
            if isinstance(e, (OSError, zipfile.LargeZipFile)):
                raise RecordingError(
                    f"could not write the replay of a {self.name} episode to {self.folder} ({e}); "
                    f"nothing was left there: free some space or record elsewhere"
                ) from e
            raise
        self._next += 1
        self.written.append(final)

    def _header(self, ended: str) -> str:
        import pettingretro

        env = self.env
        assert env.emu is not None
        info = env.emu.system_info
        platform = PLATFORMS.get(self.system.name, self.system.name) if self.system else "libretro"
        lines = {
            "MovieVersion": "BizHawk v2.0.0",
            "Author": "pettingretro",
            "emuVersion": f"pettingretro {pettingretro.__version__}",
            "Platform": platform,
            "GameName": _game_name(env),
            "SHA1": self._sha1,
            "Core": info.library_name,
            "rerecordCount": "0",
            "StartsFromSavestate": "True",
            "pettingretroVersion": pettingretro.__version__,
            "pettingretroEnv": _env_id(env),
            "pettingretroEnvArgs": json.dumps(_env_args(env), sort_keys=True),
            "pettingretroSystem": self.system.name if self.system else "",
            "pettingretroCore": f"{Path(env.emu.core_path).name} {info.library_version}",
            "pettingretroRom": Path(env.rom_path).name,
            "pettingretroFps": repr(env.emu.av_info.fps),
            "pettingretroFrameskip": str(env.frameskip),
            "pettingretroFrames": str(self._frames),
            "pettingretroEnded": ended,
        }
        if env.game.path is not None:
            lines["pettingretroScenario"] = env.game.scenario
        if self._npaddles:
            lines["pettingretroPaddles"] = (
                f"{self._npaddles} positions in {self._range[0]}..{self._range[1]}, "
                f"column '{PADDLE_COLUMN} k': the value the host writes into the core's state "
                f"before each frame"
            )
        if self._drift:
            lines["pettingretroPaddleDrift"] = str(self._drift)
        return "".join(f"{k} {v}\n" for k, v in lines.items())


def _first_free(folder: Path, name: str) -> int:
    pat = re.compile(re.escape(name) + r"-(\d+)\.bk2$")
    found = [int(m.group(1)) for p in folder.iterdir() if (m := pat.match(p.name))]
    return max(found, default=-1) + 1


def _publish(tmp: Path, folder: Path, name: str, n: int) -> tuple[Path, int]:
    """Give the finished temp file its final name, never replacing another movie."""
    while True:
        final = folder / f"{name}-{n:06d}.bk2"
        try:
            os.link(tmp, final)
        except FileExistsError:
            n += 1
            continue
        except OSError:  # a file system without hard links
            if final.exists():
                n += 1
                continue
            os.replace(tmp, final)
            return final, n
        tmp.unlink()
        with contextlib.suppress(OSError):  # make the new name durable where the OS allows
            fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        return final, n


def _system_of_env(env: RetroParallelEnv) -> System | None:
    from pettingretro.integration.catalog import system_for_rom
    from pettingretro.integration.systems import system_of_game

    try:
        named = env.game.spec.extra.get("system")
        if named:
            return _system_named(str(named))
        if env.game.path is not None:
            return system_of_game(env.game.spec.name)
        return system_for_rom(Path(env.rom_path))
    except PettingRetroError:
        return None


def _game_name(env: RetroParallelEnv) -> str:
    if env.game.path is not None:
        return env.game.spec.name  # stable-retro's name, so retro.make(movie.get_game()) works
    return env.game.env_name


def _env_id(env: RetroParallelEnv) -> str:
    if env.game.folder is not None:
        return env.game.env_name
    if env.game.path is not None:
        return env.game.spec.name
    return ""


#: Core options that make a core behave as under stable-retro, which answers no core-option
#: query, so cores keep their compiled-in settings (they differ from the declared defaults the
#: host reports). Applied when replaying stable-retro's movies: without them, a Genesis game
#: that stable-retro runs through a bad read stops on "68K Address Error" here.
STABLE_RETRO_CORE_OPTIONS: dict[str, dict[str, str]] = {
    "genesis_plus_gx": {
        "genesis_plus_gx_addr_error": "disabled",
        "genesis_plus_gx_force_dtack": "disabled",
    },
}

_NOT_REPLAYED = {
    "obs_type",
    "render_mode",
    "max_cycles",
    "record",
    "isolate",
    "repeat_action_probability",
}


def _env_args(env: RetroParallelEnv) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in env.init_kwargs.items():
        if k in _NOT_REPLAYED or v is None:
            continue
        if isinstance(v, os.PathLike):
            v = os.fspath(v)
        if isinstance(v, Mapping):
            v = dict(v)
        try:
            json.dumps(v)
        except TypeError:
            continue
        out[k] = v
    out["num_players"] = env.num_players
    return out


# ---------------------------------------------------------------------------------- playback


def make_env(movie: Movie, **kwargs: Any) -> RetroParallelEnv:
    """The env a movie was recorded with (a pettingretro env module or integration).

    Args:
        movie: the movie.
        **kwargs: override the recorded keyword arguments (default ``render_mode="rgb_array"``).

    Raises:
        PettingRetroError: the movie's game is not known here.
    """
    from pettingretro.envs import ENV_MODULES

    name = movie.env_name
    args = {"render_mode": "rgb_array", **movie.env_kwargs, **kwargs}
    if name in ENV_MODULES:
        module = importlib.import_module(f"pettingretro.envs.{name}")
        env: RetroParallelEnv = module.parallel_env(**args)
        return env
    from pettingretro.factory import parallel_env

    players = args.pop("num_players", None) or movie.players
    scenario = movie.header.get("pettingretroScenario", "scenario")
    if movie.header.get("MovieVersion") == "Retro" and movie.system is not None:
        compat = STABLE_RETRO_CORE_OPTIONS.get(movie.system.core, {})
        args["core_options"] = {**compat, **(args.get("core_options") or {})}
    if name == "?" or not name:
        raise PettingRetroError(f"{movie.path} does not name its game; build the env yourself")
    return parallel_env(name, players=players, scenario=scenario, **args)


def _emulator_of(target: Any) -> tuple[Emulator, int]:
    """The emulator of an env (parallel or AEC, wrapped or not) or an Emulator, and its paddles."""
    if isinstance(target, Emulator):
        return target, len(target.paddles)
    env = getattr(target, "unwrapped", target)
    env = getattr(env, "par", env)
    emu = getattr(env, "emu", None)
    if not isinstance(emu, Emulator):
        raise TypeError(
            f"playback needs a pettingretro env or Emulator, got {type(target).__name__}"
        )
    n = env.controls.num_paddles if getattr(env, "paddle_center", None) is not None else 0
    return emu, n


def playback(
    movie: Movie, env: Any, *, every_frame: bool = False
) -> Iterator[npt.NDArray[np.uint8]]:
    """Replay a movie into an env's emulator, frame by frame; yield the screen after each step.

    Loads ``Core.bin``, then runs every frame holding the recorded port masks and paddle
    positions. Frames are grouped as the env stepped them (``reset()``'s frame, then
    ``frameskip`` frames per step), so the replay reproduces the recorded episode exactly:
    the screens and RAM after each step are the ones the env produced.

    Args:
        movie: the movie (read from its start, whatever its :meth:`Movie.step` position).
        env: the env to replay into (see :func:`make_env`), parallel or AEC, or an Emulator.
            Call ``reset()`` before using the env for anything else afterwards.
        every_frame: yield after every frame instead of every step.

    Yields:
        The (H, W, 3) RGB screen after each step (``env.emu`` holds the rest: RAM, state).

    Raises:
        MovieError: the movie starts from power-on, or it does not fit the env (ports,
            paddles, ROM).
    """
    emu, npad = _emulator_of(env)
    state = movie.get_state()
    if not state:
        raise MovieError(
            f"{movie.path} starts from power-on (no Core.bin): pettingretro replays movies that start from a state"
        )
    if "pettingretroVersion" in movie.header and movie.sha1 is not None:
        have = hashlib.sha1(Path(emu.rom_path).read_bytes()).hexdigest()
        if have != movie.sha1:
            raise MovieError(
                f"{movie.path} was recorded on a ROM with sha1 {movie.sha1}, but this env runs "
                f"{emu.rom_path} (sha1 {have}); use the env from make_env(movie)"
            )
    n = movie.num_frames
    masks = np.zeros((n, emu.num_ports), np.uint16)
    k = min(movie.players, emu.num_ports)
    masks[:, :k] = movie.masks[:, :k]
    if movie.players > k and movie.masks[:, k:].any():
        raise MovieError(
            f"{movie.path} presses buttons on {movie.players} ports; this emulator has {emu.num_ports}"
        )
    pads = movie.paddles
    if pads is None and npad:
        raise MovieError(
            f"{movie.path} holds no paddle positions, but this env's host owns {npad} paddles "
            f"(stable-retro's movies of paddle games drive Stella's own paddle model instead)"
        )
    if pads is not None and pads.shape[1] != npad:
        raise MovieError(
            f"{movie.path} moves {pads.shape[1]} paddles, the env has {npad}: build the env with "
            f"make_env(movie) (same game and num_players)"
        )
    emu.load_state(state)
    zero = np.zeros(max(npad, 1), np.int32)
    try:
        for a, b in movie.step_bounds(every_frame):
            # one C call per step, as the env ran it, where the step held one input throughout
            uniform = bool((masks[a:b] == masks[a]).all())
            if pads is not None and uniform:
                if a == 0:
                    uniform = b == 1
                else:
                    d = np.diff(pads[a - 1 : b], axis=0)
                    uniform = bool((d == d[0]).all())
            if uniform:
                _paddles_before(emu, pads, a, zero)
                emu.step_into(masks[a], b - a, None, video=True)
            else:
                for f in range(a, b):
                    _paddles_before(emu, pads, f, zero)
                    emu.step_into(masks[f], 1, None, video=f == b - 1)
            yield emu.screen_rgb()
    finally:
        if pads is not None and not emu.closed:
            emu.paddles_move(zero)


def _paddles_before(
    emu: Emulator, pads: npt.NDArray[np.int32] | None, f: int, zero: npt.NDArray[np.int32]
) -> None:
    """Make frame ``f`` (and the ones after, at the same speed) see the recorded positions."""
    if pads is None:
        return
    if f == 0:
        # reset() placed the paddles (the host patches them into the state before frame 0)
        emu.paddles_set(pads[0].tolist())
        emu.paddles_move(zero)
    else:
        emu.paddles_move((pads[f] - pads[f - 1]).astype(np.int32))


def read_text(path: str | os.PathLike[str], member: str = "Input Log.txt") -> str:
    """One text file of a movie's zip (``Header.txt``, ``Input Log.txt``), for inspection."""
    with zipfile.ZipFile(path) as zf:
        return io.TextIOWrapper(zf.open(member), encoding="utf-8").read()
