"""One emulated console: a libretro core and a ROM, driven through the C shim (the only importer of _native)."""

from __future__ import annotations

import atexit
import enum
import logging
import operator
import os
import shutil
import stat
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, SupportsIndex, runtime_checkable

import numpy as np
import numpy.typing as npt

from pettingretro import errors
from pettingretro._native import ffi, lib
from pettingretro.cores import MAPPED_VIDEO_RAM, REQUIRED_BIOS, find_core

__all__ = [
    "AVInfo",
    "Button",
    "Emulator",
    "EmulatorLike",
    "MemoryDescriptor",
    "OptionInfo",
    "Pool",
    "PreparedStep",
    "SystemInfo",
    "TermProgram",
    "TileLayout",
    "VariableProgram",
    "core_info",
    "step_many",
    "step_many_into",
    "tiles_from_state",
]

core_log = logging.getLogger("pettingretro.core")

# libretro's numbers come from native/host.h (checked there against libretro's own header)
_LOG_LEVELS = {
    lib.PR_LOG_DEBUG: logging.DEBUG,
    lib.PR_LOG_INFO: logging.INFO,
    lib.PR_LOG_WARN: logging.WARNING,
    lib.PR_LOG_ERROR: logging.ERROR,
}
_MEMORY_IDS = {
    "save_ram": lib.PR_MEMORY_SAVE_RAM,
    "rtc": lib.PR_MEMORY_RTC,
    "system_ram": lib.PR_MEMORY_SYSTEM_RAM,
    "video_ram": lib.PR_MEMORY_VIDEO_RAM,
}
_PIXEL_FORMATS = {
    lib.PR_PIXEL_0RGB1555: "0RGB1555",
    lib.PR_PIXEL_XRGB8888: "XRGB8888",
    lib.PR_PIXEL_RGB565: "RGB565",
}
#: Controller ports one emulator can serve.
MAX_PORTS: int = lib.PR_MAX_PORTS
#: The most frames one step may run (about 28 minutes of play at 60 fps); more is a ValueError.
MAX_FRAMES: int = lib.PR_MAX_FRAMES
#: The most threads one :class:`Pool` may have.
MAX_THREADS: int = lib.PR_MAX_THREADS
# Steps of more frames than this run as C calls of at most _SLICE_MS of wall time each, so a
# KeyboardInterrupt lands between two of them; shorter steps are one call (the hot path).
_SLICE_FRAMES = 16
_SLICE_MS = 50

#: Cores whose save states do not hold everything that shapes what comes next. reset() never
#: relies on a state alone for these games (see Emulator.reset).
INCOMPLETE_STATES: dict[str, str] = {
    "Stella": "paddle positions live outside the saved state (Pong, Warlords, other paddle games)",
}


class Button(enum.IntEnum):
    """libretro joypad button ids: bit ``1 << Button.X`` of a port's button mask."""

    B = 0
    Y = 1
    SELECT = 2
    START = 3
    UP = 4
    DOWN = 5
    LEFT = 6
    RIGHT = 7
    A = 8
    X = 9
    L = 10
    R = 11
    L2 = 12
    R2 = 13
    L3 = 14
    R3 = 15


@dataclass(frozen=True)
class SystemInfo:
    """What the core says about itself (retro_get_system_info)."""

    library_name: str
    library_version: str
    valid_extensions: tuple[str, ...]
    need_fullpath: bool


@dataclass(frozen=True)
class AVInfo:
    """Timing and geometry the core reports after loading a game."""

    fps: float
    sample_rate: float
    base_width: int
    base_height: int
    max_width: int
    max_height: int
    aspect_ratio: float
    pixel_format: str


@dataclass(frozen=True)
class OptionInfo:
    """A core option: its key, description, allowed values, default and current value."""

    key: str
    description: str
    values: tuple[str, ...]
    default: str
    value: str


@dataclass(frozen=True)
class MemoryDescriptor:
    """One region of the core's memory map (RETRO_ENVIRONMENT_SET_MEMORY_MAPS)."""

    flags: int
    start: int
    select: int
    disconnect: int
    length: int
    offset: int
    addrspace: str
    data: npt.NDArray[np.uint8] | None


def _text(p: Any) -> str:
    return ffi.string(p).decode("utf-8", "replace") if p != ffi.NULL else ""


def _integer(value: object, name: str) -> int:
    """``value`` as an int: Python and numpy integers are, bools and floats are not."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, SupportsIndex):
        raise TypeError(
            f"{name} must be an integer, got {type(value).__name__} {value!r}"
            + (f" (round it first: int({name}))" if isinstance(value, float) else "")
        )
    return operator.index(value)


def _frame_count(frames: object, least: int = 1) -> int:
    """``frames`` as an int in least..MAX_FRAMES."""
    n = _integer(frames, "frames")
    if not least <= n <= MAX_FRAMES:
        raise ValueError(
            f"frames must be {least}..{MAX_FRAMES} per step, got {n}"
            + ("; step several times for more" if n > MAX_FRAMES else "")
        )
    return n


_scratch_lock = threading.Lock()
_scratch: dict[str, str] = {}


def _scratch_dir(kind: str) -> str:
    """A per-process folder (removed at exit) for what cores write: saves, copies of cores."""
    with _scratch_lock:
        if kind not in _scratch:
            path = tempfile.mkdtemp(prefix=f"pettingretro-{kind}-")
            _scratch[kind] = path
            atexit.register(shutil.rmtree, path, True)
        return _scratch[kind]


def default_system_dir() -> Path:
    """Where BIOS files are looked for: $PETTINGRETRO_SYSTEM_DIR or the per-user data folder."""
    env = os.environ.get("PETTINGRETRO_SYSTEM_DIR")
    if env:
        return Path(env)
    base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    return base / "pettingretro" / "system"


def _check_bios(core_name: str, system_dir: Path) -> None:
    for group in REQUIRED_BIOS.get(core_name, []):
        if not any((system_dir / f).is_file() for f in group):
            raise errors.BiosMissingError(
                f"core '{core_name}' needs a BIOS file ({' or '.join(group)}) in {system_dir}; "
                f"copy your console's BIOS there or pass system_dir="
            )


class Emulator:
    """One console: a private copy of a libretro core running one ROM.

    Any number of emulators, of one core or many, can live in one process, and each can run on
    its own thread (the C calls release the GIL). One emulator must not be used by two threads
    at once: the second gets :class:`~pettingretro.errors.EmulatorBusyError`.

    Args:
        core: a core name (``"stella"``, ``"genesis_plus_gx"``, ...) or a path to its library.
        rom: the ROM file.
        options: core option overrides by key; other options keep the core's defaults.
        num_ports: how many controller ports the host serves (1 to 8).
        system_dir: the folder with BIOS files (default: :func:`default_system_dir`).
        seed: seeds the C library's random state the core sees while loading and resetting.

    Raises:
        CoreNotFoundError: no such core.
        RomNotFoundError: the ROM is missing or unreadable.
        BiosMissingError: the core needs a BIOS file that is not there.
        RomLoadError: the core refused the ROM.
        ValueError: an option key the core does not have, or a value it does not allow.

    Example:
        >>> from pettingretro.host import Button, Emulator
        >>> emu = Emulator("stella", rom_path)  # doctest: +SKIP
        >>> emu.set_buttons(0, 1 << Button.UP)  # doctest: +SKIP
        >>> emu.step(4)  # doctest: +SKIP
        >>> emu.screen_rgb().shape  # doctest: +SKIP
        (210, 160, 3)
    """

    def __init__(
        self,
        core: str | os.PathLike[str],
        rom: str | os.PathLike[str],
        *,
        options: Mapping[str, str] | None = None,
        num_ports: int = 4,
        system_dir: str | os.PathLike[str] | None = None,
        seed: int = 0,
    ) -> None:
        self._handle: Any = None
        core_path = find_core(core)
        rom_path = Path(rom)
        try:
            st = rom_path.stat()
        except FileNotFoundError:
            raise errors.RomNotFoundError(f"ROM file '{rom_path}' does not exist") from None
        except OSError as exc:  # EACCES on a parent folder, ENOTDIR, ELOOP...
            raise errors.RomNotFoundError(
                f"cannot reach ROM file '{rom_path}': {exc.strerror} (check the folders' permissions)"
            ) from None
        if stat.S_ISDIR(st.st_mode):
            raise errors.RomNotFoundError(
                f"ROM path '{rom_path}' is a directory; pass the ROM file inside it"
            )
        if not stat.S_ISREG(st.st_mode):
            raise errors.RomNotFoundError(f"ROM path '{rom_path}' is not a regular file")
        if not os.access(rom_path, os.R_OK):
            raise errors.RomNotFoundError(
                f"ROM file '{rom_path}' is not readable (check its permissions)"
            )
        if not 1 <= num_ports <= MAX_PORTS:
            raise ValueError(f"num_ports must be 1..{MAX_PORTS}, got {num_ports}")
        core_name = core_path.name.removesuffix(".so").removesuffix("_libretro")
        sysdir = Path(system_dir) if system_dir is not None else default_system_dir()
        _check_bios(core_name, sysdir)

        raw = lib.pr_create()
        if raw == ffi.NULL:
            raise MemoryError("cannot allocate an emulator")
        self._handle = ffi.gc(raw, lib.pr_destroy)
        self._e = raw
        self._closed = False
        self.core_path = core_path
        self.rom_path = rom_path
        self.num_ports = num_ports
        self._ram: npt.NDArray[np.uint8] | None = None
        self._initial_state: bytes | None = None
        self._ran = ffi.new("unsigned *")
        # audio: the buffer C writes into (None = off), whether we made it, its frames per step
        self._audio: npt.NDArray[np.int16] | None = None
        self._audio_owned = False
        self._audio_counts = ffi.new("size_t[2]")

        self._check(
            lib.pr_open_core(
                raw,
                os.fsencode(core_path),
                os.fsencode(_scratch_dir("cores")),
                os.fsencode(sysdir),
                os.fsencode(_scratch_dir("saves")),
                num_ports,
            )
        )
        info = ffi.new("struct pr_info *")
        lib.pr_get_info(raw, info)
        self.system_info = SystemInfo(
            library_name=_text(info.library_name),
            library_version=_text(info.library_version),
            valid_extensions=tuple(x for x in _text(info.valid_extensions).split("|") if x),
            need_fullpath=bool(info.need_fullpath),
        )
        overrides = dict(options or {})
        for key, value in overrides.items():
            self._check(lib.pr_option_set(raw, key.encode(), str(value).encode()))
        rc = lib.pr_load_game(raw, os.fsencode(rom_path), seed)
        if rc < 0:
            self._drain_log()
            msg = _text(lib.pr_error(raw))
            unreadable = rc == lib.PR_ENOROM
            exts = ", ".join(self.system_info.valid_extensions) or "?"
            if (
                not unreadable
                and rom_path.suffix.lstrip(".").lower() not in self.system_info.valid_extensions
            ):
                msg += (
                    f"; '{self.system_info.library_name}' takes .{exts.replace(', ', ', .')} files"
                )
            lib.pr_close(raw)
            self._closed = True
            raise (errors.RomNotFoundError if unreadable else errors.RomLoadError)(msg)
        self._drain_log()
        unknown = [k for k in overrides if k not in self._option_index()]
        if unknown:
            known = ", ".join(sorted(self._option_index())) or "none"
            self.close()
            raise ValueError(
                f"core '{core_name}' has no option {unknown[0]!r} (its options: {known})"
            )
        self.av_info = self._av_info()
        if lib.pr_state_size(raw) > 0:
            try:
                self._initial_state = self.save_state()
            except errors.StateError:
                self._initial_state = None

    # ------------------------------------------------------------------ plumbing

    def _check(self, rc: int) -> int:
        if rc == lib.PR_LOG_PENDING:
            self._drain_log()
            return rc
        if rc >= 0:
            return rc
        self._drain_log()
        msg = _text(lib.pr_error(self._e))
        if rc == lib.PR_ECORE:
            raise errors.CoreError(msg)
        if rc == lib.PR_EROM:
            raise errors.RomLoadError(msg)
        if rc == lib.PR_ENOROM:
            raise errors.RomNotFoundError(msg)
        if rc == lib.PR_ESTATE:
            raise errors.StateError(msg)
        if rc == lib.PR_ECLOSED:
            raise errors.EmulatorClosedError(msg)
        if rc == lib.PR_EBUSY:
            raise errors.EmulatorBusyError(msg)
        if rc == lib.PR_ESHUTDOWN:
            raise errors.CoreShutdownError(msg)
        if rc == lib.PR_EINVAL:
            raise ValueError(msg)
        if rc == lib.PR_EUNSUPPORTED:
            raise errors.StateError(msg)
        if rc == lib.PR_ENOMEM:
            raise MemoryError(msg)
        if rc == lib.PR_EIO:
            raise OSError(msg)
        raise errors.CoreError(msg or f"error code {rc}")

    def _drain_log(self) -> None:
        level = ffi.new("int *")
        buf = ffi.new("char[]", 1024)
        name = self.core_path.name if hasattr(self, "core_path") else "core"
        while lib.pr_log_pop(self._e, level, buf, 1024):
            core_log.log(_LOG_LEVELS.get(level[0], logging.INFO), "[%s] %s", name, _text(buf))

    def _live(self) -> Any:
        if self._closed:
            raise errors.EmulatorClosedError(
                f"this emulator ({self.core_path.name}) was closed; create a new Emulator"
            )
        return self._e

    def _av_info(self) -> AVInfo:
        info = ffi.new("struct pr_info *")
        lib.pr_get_info(self._e, info)
        return AVInfo(
            fps=float(info.fps),
            sample_rate=float(info.sample_rate),
            base_width=int(info.base_width),
            base_height=int(info.base_height),
            max_width=int(info.max_width),
            max_height=int(info.max_height),
            aspect_ratio=float(info.aspect_ratio),
            pixel_format=_PIXEL_FORMATS.get(int(info.pixel_format), "?"),
        )

    def _view(self, ptr: Any, size: int) -> npt.NDArray[np.uint8]:
        # The view keeps the emulator handle alive, so the core library stays mapped while any
        # view exists (pr_destroy runs only after the last one is gone).
        keep = ffi.gc(ptr, lambda _p, _h=self._handle: None)
        return np.frombuffer(ffi.buffer(keep, size), dtype=np.uint8)

    # ------------------------------------------------------------------ input and stepping

    def set_buttons(self, port: int, mask: int) -> None:
        """Hold the buttons of ``mask`` (bits ``1 << Button.X``) on ``port`` until changed."""
        e = self._live()
        if not 0 <= mask <= 0xFFFF:
            raise ValueError(f"button mask must fit 16 bits, got {mask}")
        if not 0 <= port < self.num_ports:
            raise ValueError(
                f"port {port} does not exist: this emulator has ports 0..{self.num_ports - 1}"
            )
        lib.pr_set_buttons(e, port, mask)

    def set_analog(self, port: int, index: int, axis: int, value: int) -> None:
        """Set an analog axis (index 0 left / 1 right stick; axis 0 x / 1 y) to -32768..32767."""
        e = self._live()
        if not -32768 <= value <= 32767:
            raise ValueError(f"analog value must be -32768..32767, got {value}")
        self._check(lib.pr_set_analog(e, port, index, axis, value))

    def step(self, frames: int = 1, *, video: bool = True) -> None:
        """Run ``frames`` frames with the held buttons; keep the last frame's picture if ``video``.

        Frames before the last are run with video off (where the core supports it). A long step
        returns to Python every few hundredths of a second, so Ctrl-C (KeyboardInterrupt) stops
        it between two frames; the emulator stays usable, with the frames run so far.

        Args:
            frames: 1 to :data:`MAX_FRAMES` (an int or a numpy integer).
            video: keep the last frame's picture for :meth:`screen_rgb` and friends.

        Raises:
            TypeError: ``frames`` is not an integer.
            ValueError: ``frames`` is out of range.
            CoreShutdownError: the core asked to stop; call reset().
        """
        e = self._live()
        flags = lib.PR_RUN_VIDEO if video else 0
        if type(frames) is not int or not 0 < frames <= _SLICE_FRAMES:
            frames = _frame_count(frames)
            if frames > _SLICE_FRAMES:
                self._run_long(frames, flags)
                return
        rc = lib.pr_run(e, frames, flags)
        if rc:
            self._check(rc)

    def _run_long(self, frames: int, flags: int) -> None:
        """Run a step of many frames as C calls of bounded time (signals land in between)."""
        e, ran = self._e, self._ran
        if self._audio_owned:
            self._audio_reserve(frames)
        left = frames
        while left:
            rc = lib.pr_run_for(e, left, flags, _SLICE_MS, ran)
            left -= ran[0]
            if rc:
                self._check(rc)
            flags |= lib.PR_RUN_CONTINUE

    def step_into(
        self,
        buttons: npt.NDArray[np.uint16],
        frames: int,
        out: npt.NDArray[np.uint8] | None = None,
        *,
        gray: bool = False,
        video: bool = False,
    ) -> None:
        """Hot path: set every port's buttons, run, and write the last frame into ``out``.

        Args:
            buttons: uint16 masks, one per port (C-contiguous).
            frames: frames to run.
            out: a C-contiguous uint8 array of the screen's shape (H, W, 3), or (H, W) when
                ``gray``, or None to skip the picture.
            gray: write grayscale instead of RGB.
            video: keep the last frame's picture even when ``out`` is None (for render()).

        Raises:
            TypeError: ``frames`` is not an integer.
            ValueError: bad ``buttons``, ``frames`` or ``out``.
        """
        e = self._live()
        if buttons.dtype != np.uint16:
            raise ValueError(f"buttons must be a uint16 array, got {buttons.dtype}")
        b = ffi.from_buffer("uint16_t[]", buttons)
        if out is not None and (out.dtype != np.uint8 or out.ndim != (2 if gray else 3)):
            raise ValueError(
                f"out must be uint8 of shape (H, W{'' if gray else ', 3'}), got {out.dtype} {out.shape}"
            )
        if type(frames) is not int or not 0 < frames <= _SLICE_FRAMES:
            frames = _frame_count(frames)
            if frames > _SLICE_FRAMES:
                self._step_into_long(b, len(buttons), frames, out, gray, video)
                return
        if out is None:
            rc = lib.pr_step(
                e, b, len(buttons), frames, lib.PR_RUN_VIDEO if video else 0, ffi.NULL, 0, 0
            )
        else:
            rc = lib.pr_step(
                e,
                b,
                len(buttons),
                frames,
                lib.PR_RUN_VIDEO,
                ffi.from_buffer("uint8_t[]", out, require_writable=True),
                out.nbytes,
                lib.PR_SCREEN_GRAY if gray else lib.PR_SCREEN_RGB,
            )
        if rc:
            self._check(rc)

    def _step_into_long(
        self,
        b: Any,
        nports: int,
        frames: int,
        out: npt.NDArray[np.uint8] | None,
        gray: bool,
        video: bool,
    ) -> None:
        # a 0-frame pr_step sets the buttons and begins the step; the frames follow in slices
        rc = lib.pr_step(self._e, b, nports, 0, 0, ffi.NULL, 0, 0)
        if rc:
            self._check(rc)
        keep = out is not None or video
        self._run_long(frames, (lib.PR_RUN_VIDEO if keep else 0) | lib.PR_RUN_CONTINUE)
        if out is not None:
            self._check(
                lib.pr_screen(
                    self._e,
                    ffi.from_buffer("uint8_t[]", out, require_writable=True),
                    out.nbytes,
                    lib.PR_SCREEN_GRAY if gray else lib.PR_SCREEN_RGB,
                )
            )

    # ------------------------------------------------------------------ paddles

    def paddles_config(self, state_offsets: Sequence[int], low: int, high: int) -> None:
        """Let the host own paddle positions stored in the core's state (see native/host.h).

        Args:
            state_offsets: each paddle's int32 position, as an offset back from the state's end.
            low: the smallest position.
            high: the largest position.
        """
        e = self._live()
        offs = ffi.new("int32_t[]", list(state_offsets))
        self._check(lib.pr_paddles_config(e, len(state_offsets), offs, low, high))
        self._npaddles = len(state_offsets)

    def _paddle_count(self, n: int) -> None:
        want = getattr(self, "_npaddles", 0)
        if n != want:
            raise ValueError(f"{want} paddles are configured (paddles_config); got {n} values")

    def paddles_set(self, values: Sequence[int]) -> None:
        """Place every paddle (clamped to the configured range) before the next frame."""
        e = self._live()
        self._paddle_count(len(values))
        self._check(lib.pr_paddles_set(e, ffi.new("int32_t[]", [int(v) for v in values])))

    def paddles_move(self, deltas: npt.NDArray[np.int32]) -> None:
        """Move each paddle by ``deltas[i]`` every frame from now on (0 holds it still)."""
        e = self._live()
        arr = np.ascontiguousarray(deltas, dtype=np.int32)
        self._paddle_count(arr.size)
        lib.pr_paddles_move(e, ffi.from_buffer("int32_t[]", arr))

    @property
    def paddles(self) -> list[int]:
        """Each host-owned paddle's position."""
        e = self._live()
        n = getattr(self, "_npaddles", 0)
        out = ffi.new("int32_t[]", max(n, 1))
        lib.pr_paddles_get(e, out)
        return [int(out[i]) for i in range(n)]

    @property
    def frame(self) -> int:
        """Frames run since the game was loaded or last reset."""
        return int(lib.pr_frame(self._live()))

    # ------------------------------------------------------------------ screen

    @property
    def screen_shape(self) -> tuple[int, int]:
        """(height, width) of the last kept frame (the base geometry before any frame)."""
        w = ffi.new("unsigned *")
        h = ffi.new("unsigned *")
        lib.pr_screen_size(self._live(), w, h)
        return int(h[0]), int(w[0])

    def screen_rgb(self, out: npt.NDArray[np.uint8] | None = None) -> npt.NDArray[np.uint8]:
        """The last kept frame as uint8 RGB (H, W, 3), written by C into ``out`` if given."""
        h, w = self.screen_shape
        if out is None:
            out = np.empty((h, w, 3), np.uint8)
        elif out.dtype != np.uint8 or out.ndim != 3:
            raise ValueError(f"out must be uint8 of shape (H, W, 3), got {out.dtype} {out.shape}")
        self._check(
            lib.pr_screen(
                self._live(),
                ffi.from_buffer("uint8_t[]", out, require_writable=True),
                out.nbytes,
                lib.PR_SCREEN_RGB,
            )
        )
        return out

    def screen_gray(self, out: npt.NDArray[np.uint8] | None = None) -> npt.NDArray[np.uint8]:
        """The last kept frame as uint8 luma (H, W): (299 R + 587 G + 114 B + 500) // 1000."""
        h, w = self.screen_shape
        if out is None:
            out = np.empty((h, w), np.uint8)
        elif out.dtype != np.uint8 or out.ndim != 2:
            raise ValueError(f"out must be uint8 of shape (H, W), got {out.dtype} {out.shape}")
        self._check(
            lib.pr_screen(
                self._live(),
                ffi.from_buffer("uint8_t[]", out, require_writable=True),
                out.nbytes,
                lib.PR_SCREEN_GRAY,
            )
        )
        return out

    # ------------------------------------------------------------------ sound

    def enable_audio(self, buffer: npt.NDArray[np.int16] | None = None) -> npt.NDArray[np.int16]:
        """Keep the sound of every step from now on (off by default, and free while off).

        The core's samples are int16 stereo frames at ``av_info.sample_rate`` per second. C
        writes each step's frames into ``buffer``, starting it over at every step; read them
        with :meth:`audio`.

        Args:
            buffer: a C-contiguous, writable int16 array of shape (N, 2) (left, right) that you
                own: it must hold a whole step's sample frames. Omitted, the emulator makes one
                and enlarges it before any step that needs more room.

        Returns:
            The buffer the samples go to.

        Raises:
            ValueError: ``buffer`` has the wrong type, shape or layout.

        Example:
            >>> emu.enable_audio()  # doctest: +SKIP
            >>> emu.step(4)  # doctest: +SKIP
            >>> emu.audio().shape  # doctest: +SKIP
            (2100, 2)
        """
        e = self._live()
        owned = buffer is None
        if buffer is None:
            buffer = np.zeros((self._audio_frames_for(_SLICE_FRAMES), 2), np.int16)
        elif (
            not isinstance(buffer, np.ndarray)
            or buffer.dtype != np.int16
            or buffer.ndim != 2
            or buffer.shape[1] != 2
            or len(buffer) == 0
            or not buffer.flags.c_contiguous
            or not buffer.flags.writeable
        ):
            desc = (
                f"{buffer.dtype} {buffer.shape}"
                if isinstance(buffer, np.ndarray)
                else type(buffer).__name__
            )
            raise ValueError(
                f"the audio buffer must be a writable, C-contiguous int16 array of shape (N, 2) "
                f"with N >= 1, got {desc}; e.g. np.zeros((4096, 2), np.int16)"
            )
        self._check(
            lib.pr_audio_set(
                e, ffi.from_buffer("int16_t[]", buffer, require_writable=True), len(buffer)
            )
        )
        self._audio, self._audio_owned = buffer, owned
        return buffer

    def disable_audio(self) -> None:
        """Stop keeping sound (the buffer is let go)."""
        self._check(lib.pr_audio_set(self._live(), ffi.NULL, 0))
        self._audio, self._audio_owned = None, False

    @property
    def audio_enabled(self) -> bool:
        """True between :meth:`enable_audio` and :meth:`disable_audio`."""
        return self._audio is not None

    def audio(self) -> npt.NDArray[np.int16]:
        """The sound of the last step: int16 sample frames of shape (n, 2), left and right.

        A view of the audio buffer, rewritten by the next step: copy it to keep it. There are
        about ``av_info.sample_rate / av_info.fps`` frames per emulated frame.

        Raises:
            PettingRetroError: audio is off (call :meth:`enable_audio` first).
            ValueError: the last step made more sample frames than your buffer holds.
        """
        e = self._live()
        if self._audio is None:
            raise errors.PettingRetroError(
                "audio is off: call enable_audio() before the steps whose sound you want"
            )
        lib.pr_audio_count(e, self._audio_counts, self._audio_counts + 1)
        kept, lost = int(self._audio_counts[0]), int(self._audio_counts[1])
        if lost:
            raise ValueError(
                f"the last step made {kept + lost} sample frames but the audio buffer holds "
                f"{len(self._audio)}: pass enable_audio() a bigger one (or none, and the "
                "emulator sizes its own)"
            )
        return self._audio[:kept]

    def _audio_frames_for(self, frames: int) -> int:
        """Room for ``frames`` emulated frames of sound, with slack for uneven cores."""
        fps = self.av_info.fps if self.av_info.fps > 0 else 60.0
        rate = self.av_info.sample_rate if self.av_info.sample_rate > 0 else 48000.0
        return int(frames * (2 * rate / fps + 64))

    def _audio_reserve(self, frames: int) -> None:
        """Enlarge the emulator's own audio buffer before a step of ``frames`` frames."""
        if self._audio is not None and self._audio_owned:
            need = self._audio_frames_for(frames)
            if need > len(self._audio):
                self._audio = np.zeros((need, 2), np.int16)
                self._check(
                    lib.pr_audio_set(
                        self._e,
                        ffi.from_buffer("int16_t[]", self._audio, require_writable=True),
                        need,
                    )
                )

    # ------------------------------------------------------------------ memory

    @property
    def ram(self) -> npt.NDArray[np.uint8]:
        """The core's system RAM as a live, zero-copy, writable uint8 view.

        Do not read a view after close(): it is only valid while the game is loaded.
        """
        e = self._live()
        if self._ram is None:
            size = ffi.new("size_t *")
            ptr = lib.pr_memory(e, _MEMORY_IDS["system_ram"], size)
            if ptr == ffi.NULL or size[0] == 0:
                self._ram = np.zeros(0, np.uint8)
            else:
                self._ram = self._view(ptr, int(size[0]))
        return self._ram

    def memory(self, kind: str) -> npt.NDArray[np.uint8]:
        """A live, writable view of one memory region (empty where the core exposes none).

        Args:
            kind: ``system_ram``, ``save_ram``, ``video_ram`` or ``rtc``.

        ``video_ram`` is the core's RETRO_MEMORY_VIDEO_RAM where it has one; otherwise the
        region of its memory map flagged as video RAM, or the one at the console's video RAM
        address for the cores listed in :data:`pettingretro.cores.MAPPED_VIDEO_RAM` (gambatte:
        the 8 KiB at 0x8000, tile data then the two tile maps; on a Game Boy Color, bank 0).
        """
        e = self._live()
        if kind not in _MEMORY_IDS:
            raise ValueError(f"unknown memory kind {kind!r}; use one of {', '.join(_MEMORY_IDS)}")
        size = ffi.new("size_t *")
        ptr = lib.pr_memory(e, _MEMORY_IDS[kind], size)
        if ptr != ffi.NULL and size[0] != 0:
            return self._view(ptr, int(size[0]))
        if kind == "video_ram":
            return self._mapped_video_ram()
        return np.zeros(0, np.uint8)

    def _mapped_video_ram(self) -> npt.NDArray[np.uint8]:
        """Video RAM that a core shows only in its memory map."""
        maps = [m for m in self.memory_maps if m.data is not None]
        for m in maps:
            if m.flags & lib.PR_MEMDESC_VIDEO_RAM:
                return m.data  # type: ignore[return-value]
        where = MAPPED_VIDEO_RAM.get(self.system_info.library_name)
        if where is not None:
            start, length = where
            for m in maps:
                if m.start == start and m.data is not None and len(m.data) >= length:
                    return m.data[:length]
        return np.zeros(0, np.uint8)

    @property
    def memory_maps(self) -> list[MemoryDescriptor]:
        """The memory map the core declared (empty when it declared none)."""
        e = self._live()
        out = []
        d = ffi.new("struct pr_memdesc *")
        for i in range(lib.pr_memory_map_count(e)):
            lib.pr_memory_map_get(e, i, d)
            data = self._view(d.ptr + d.offset, int(d.len)) if d.ptr != ffi.NULL and d.len else None
            out.append(
                MemoryDescriptor(
                    flags=int(d.flags),
                    start=int(d.start),
                    select=int(d.select),
                    disconnect=int(d.disconnect),
                    length=int(d.len),
                    offset=int(d.offset),
                    addrspace=_text(d.addrspace),
                    data=data,
                )
            )
        return out

    # ------------------------------------------------------------------ state

    @property
    def state_complete(self) -> bool:
        """False where this core's save states miss part of the machine (see INCOMPLETE_STATES)."""
        return self.system_info.library_name not in INCOMPLETE_STATES

    def save_state(self) -> bytes:
        """The core's whole serialized state (retro_serialize)."""
        e = self._live()
        size = int(lib.pr_state_size(e))
        if size == 0:
            raise errors.StateError(
                f"core '{self.system_info.library_name}' does not support save states"
            )
        buf = ffi.new("uint8_t[]", size)
        written = ffi.new("size_t *")
        self._check(lib.pr_save_state(e, buf, size, written))
        return bytes(ffi.buffer(buf, written[0]))

    def save_state_into(self, buffer: bytearray | memoryview | npt.NDArray[Any]) -> int:
        """Serialize the core's state into a buffer the caller owns, allocating nothing.

        Args:
            buffer: a writable, contiguous buffer (a ``bytearray``, a numpy array) of at least
                the state's size: ``len(emu.save_state())``, which changes only when a game's
                cartridge RAM does.

        Returns:
            The number of bytes written, from the buffer's start.

        Raises:
            StateError: the buffer is smaller than the state (the message gives the size; a
                ValueError too), or the core does not save states, or failed to.
            TypeError: the buffer is read-only or not contiguous.
        """
        e = self._live()
        try:
            dst = ffi.from_buffer("uint8_t[]", buffer, require_writable=True)
        except (TypeError, ValueError, BufferError) as exc:
            raise TypeError(
                "save_state_into needs a writable, contiguous buffer (a bytearray or a numpy "
                f"array), got {type(buffer).__name__}: {exc}"
            ) from None
        # pr_save_state asks the core for the size once (snes9x's answer is a whole
        # serialization into nothing): no second query here
        written = ffi.new("size_t *")
        written[0] = 0
        rc = lib.pr_save_state(e, dst, len(dst), written)
        if rc == lib.PR_EINVAL and written[0] > len(dst):
            size = int(written[0])
            raise errors.StateError(
                f"a {len(dst)}-byte buffer cannot hold this core's {size}-byte state "
                f"('{self.system_info.library_name}'): allocate bytearray({size})"
            )
        if rc == lib.PR_EUNSUPPORTED:
            raise errors.StateError(
                f"core '{self.system_info.library_name}' does not support save states"
            )
        self._check(rc)
        return int(written[0])

    def tiles_into(self, layout: TileLayout, out: npt.NDArray[np.uint16]) -> bool:
        """Decode a tile grid from the core's state, in C, into ``out`` (``pettingretro.tiles``).

        The state is serialized into a buffer the host keeps, so nothing is allocated.

        Args:
            layout: where the decoder finds its fields, found in a state of this emulator.
            out: a (rows, cols) C-contiguous uint16 array that receives the tile ids.

        Returns:
            False, writing nothing, when the state's size is no longer ``layout.state_size``:
            find the fields again in a fresh :meth:`save_state` and make a new layout.

        Raises:
            TilesError: ``out`` or the layout does not fit (the message says how).
        """
        e = self._e if not self._closed else self._live()
        rc = lib.pr_tiles(e, layout.spec, layout.grid_buffer(out), layout.cells)
        if rc == 0:
            return True
        if rc == lib.PR_TILES_RELAYOUT:
            return False
        if rc == lib.PR_EINVAL:
            raise errors.TilesError(f"{_text(lib.pr_error(e))}; {layout.fix}")
        self._check(rc)
        return True

    def load_state(self, data: bytes | bytearray | memoryview) -> None:
        """Restore a state from :meth:`save_state` (same core, core version and game).

        Raises:
            StateError: wrong size, or the core rejected the bytes.
        """
        e = self._live()
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"state must be bytes, got {type(data).__name__}")
        self._check(lib.pr_load_state(e, ffi.from_buffer(data), len(data)))

    def reset(self, *, hard: bool = False, seed: int = 0) -> None:
        """Return to the moment right after the game was loaded, whatever happened since.

        The default restores the state saved right after loading, which makes every episode
        start identically. ``hard=True`` unloads and reloads the game instead (slower; also
        clears what a core keeps outside its save state), and is what reset() does on cores
        whose states are incomplete (:attr:`state_complete`).
        """
        e = self._live()
        hard = hard or not self.state_complete
        if hard or self._initial_state is None:
            self._check(lib.pr_reload(e, seed) if hard else lib.pr_reset(e, seed))
            self._ram = None
            if hard and lib.pr_state_size(e) > 0:
                self._initial_state = self.save_state()
        else:
            self._check(lib.pr_load_state(e, self._initial_state, len(self._initial_state)))
        lib.pr_set_frame(e, 0)

    # ------------------------------------------------------------------ options

    def _option_index(self) -> dict[str, int]:
        return {
            _text(lib.pr_option_key(self._e, i)): i for i in range(lib.pr_option_count(self._e))
        }

    def option_info(self, key: str) -> OptionInfo:
        """Everything known about one core option."""
        self._live()
        idx = self._option_index()
        if key not in idx:
            raise KeyError(f"the core has no option {key!r}")
        i = idx[key]
        return OptionInfo(
            key=key,
            description=_text(lib.pr_option_desc(self._e, i)),
            values=tuple(
                _text(lib.pr_option_value_at(self._e, i, j))
                for j in range(lib.pr_option_nvalues(self._e, i))
            ),
            default=_text(lib.pr_option_default(self._e, i)),
            value=_text(lib.pr_option_value(self._e, i)),
        )

    @property
    def options(self) -> dict[str, str]:
        """Current value of every core option, by key."""
        self._live()
        return {k: _text(lib.pr_option_value(self._e, i)) for k, i in self._option_index().items()}

    def set_option(self, key: str, value: str) -> None:
        """Change a core option; the core sees it at its next GET_VARIABLE_UPDATE."""
        self._check(lib.pr_option_set(self._live(), str(key).encode(), str(value).encode()))

    # ------------------------------------------------------------------ lifecycle

    @property
    def closed(self) -> bool:
        """True after close()."""
        return self._closed

    def close(self) -> None:
        """Unload the game and the core. Idempotent; any later use raises EmulatorClosedError."""
        if self._handle is None or self._closed:
            self._closed = True
            return
        self._check(lib.pr_close(self._e))
        self._drain_log()
        self._closed = True
        self._ram = None
        self._audio, self._audio_owned = None, False  # C let go of the buffer in pr_close

    def __enter__(self) -> Emulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            if self._handle is not None and not self._closed:
                lib.pr_close(self._e)
        except Exception:
            pass

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"frame {lib.pr_frame(self._e)}"
        return f"<Emulator {self.system_info.library_name} {self.rom_path.name} {state}>"


@runtime_checkable
class EmulatorLike(Protocol):
    """What an env needs from an emulator: :class:`Emulator` in process, or an isolated one.

    ``pettingretro.isolation.IsolatedEmulator`` (a worker process) satisfies it as well, so the
    env, the recorder and playback take either without a cast.
    """

    core_path: Path
    rom_path: Path
    num_ports: int
    system_info: SystemInfo
    av_info: AVInfo

    @property
    def closed(self) -> bool:
        """True once close() ran."""

    @property
    def ram(self) -> npt.NDArray[np.uint8]:
        """The console's system RAM, a live uint8 view."""

    @property
    def memory_maps(self) -> list[MemoryDescriptor]:
        """The memory map the core declared."""

    @property
    def screen_shape(self) -> tuple[int, int]:
        """(height, width) of the last kept frame."""

    @property
    def paddles(self) -> list[int]:
        """Each host-owned paddle's position."""

    @property
    def frame(self) -> int:
        """Frames run since the game was loaded or reset."""

    @property
    def state_complete(self) -> bool:
        """False where the core's states miss part of the machine."""

    def memory(self, kind: str) -> npt.NDArray[np.uint8]:
        """A view of one memory region by kind."""

    def set_buttons(self, port: int, mask: int) -> None:
        """Hold a port's buttons from the next frame on."""

    def step(self, frames: int = 1, *, video: bool = True) -> None:
        """Run frames with the held buttons."""

    def step_into(
        self,
        buttons: npt.NDArray[np.uint16],
        frames: int,
        out: npt.NDArray[np.uint8] | None = None,
        *,
        gray: bool = False,
        video: bool = False,
    ) -> None:
        """Set every port's buttons, run, and write the last frame into ``out``."""

    def paddles_config(self, state_offsets: Sequence[int], low: int, high: int) -> None:
        """Let the host own paddle positions stored in the core's state."""

    def paddles_set(self, values: Sequence[int]) -> None:
        """Place every paddle before the next frame."""

    def paddles_move(self, deltas: npt.NDArray[np.int32]) -> None:
        """Move each paddle by a delta every frame."""

    def screen_rgb(self, out: npt.NDArray[np.uint8] | None = None) -> npt.NDArray[np.uint8]:
        """The last kept frame as RGB."""

    def screen_gray(self, out: npt.NDArray[np.uint8] | None = None) -> npt.NDArray[np.uint8]:
        """The last kept frame as luma."""

    def save_state(self) -> bytes:
        """The core's serialized state."""

    def save_state_into(self, buffer: bytearray | memoryview | npt.NDArray[Any]) -> int:
        """Serialize the core's state into the caller's buffer; returns the bytes written."""

    def load_state(self, data: bytes | bytearray | memoryview) -> None:
        """Restore a state from save_state()."""

    def reset(self, *, hard: bool = False, seed: int = 0) -> None:
        """Reset the console."""

    def close(self) -> None:
        """Unload the game and the core."""


_TILE_DECODERS = {"gameboy": lib.PR_TILES_GAMEBOY, "nes": lib.PR_TILES_NES}
_UINT16 = np.dtype(np.uint16)


class TileLayout:
    """Where a tile decoder in C finds its fields in one core's save state.

    ``pettingretro.tiles`` finds the fields (once per state layout) and reads grids with
    :meth:`Emulator.tiles_into` in process, or :func:`tiles_from_state` from a state it holds
    (an isolated emulator's). Decoders: ``"gameboy"`` (gambatte; offsets: VRAM, $FE00-$FFFF;
    ``color`` for Game Boy Color mode) and ``"nes"`` (fceumm; offsets: NTAR, SPRA, PPUR, TADD,
    XOFF; ``vertical`` mirroring, ``crop`` = the (top, left) pixels the core crops).

    Args:
        decoder: ``"gameboy"`` or ``"nes"``.
        state_size: the size of the state the offsets were found in.
        offsets: where each field's data starts in that state.
        rows: the grid's rows.
        cols: the grid's columns.
        color: Game Boy Color mode (VRAM bank 1).
        vertical: the NES cartridge's vertical mirroring.
        crop: (top, left) pixels of the NES picture the core does not show.

    Raises:
        TilesError: an unknown decoder, or fields or a grid that do not fit the state.
    """

    def __init__(
        self,
        decoder: str,
        state_size: int,
        offsets: Sequence[int],
        *,
        rows: int,
        cols: int,
        color: bool = False,
        vertical: bool = False,
        crop: tuple[int, int] = (0, 0),
    ) -> None:
        if decoder not in _TILE_DECODERS:
            raise errors.TilesError(
                f"no tile decoder {decoder!r} in C: choose one of {', '.join(_TILE_DECODERS)}"
            )
        if len(offsets) > lib.PR_TILES_FIELDS or min((state_size, rows, cols, *crop)) < 0:
            raise errors.TilesError(
                f"a tiles layout takes at most {lib.PR_TILES_FIELDS} offsets and sizes >= 0, "
                f"got {len(offsets)} offsets, size {state_size}, {rows} x {cols}, crop {crop}"
            )
        self.decoder = decoder
        self.state_size = state_size
        self.offsets = tuple(offsets)
        self.rows, self.cols, self.cells = rows, cols, rows * cols
        self._shape = (rows, cols)
        self.fix = f"this layout was found for a {state_size}-byte {decoder} state"
        spec = ffi.new("struct pr_tiles_spec *")
        spec.kind = _TILE_DECODERS[decoder]
        spec.flags = (lib.PR_TILES_COLOR if color else 0) | (
            lib.PR_TILES_VERTICAL if vertical else 0
        )
        spec.state_size = state_size
        spec.at[0 : len(offsets)] = list(offsets)
        spec.rows, spec.cols = rows, cols
        spec.crop_y, spec.crop_x = crop
        why = ffi.new("char[]", 256)
        if lib.pr_tiles_check(spec, state_size, self.cells, why, 256):
            raise errors.TilesError(f"bad {decoder} tiles layout: {_text(why)}")
        #: the C struct, passed as is on every read
        self.spec: Any = spec
        self._out: npt.NDArray[np.uint16] | None = None
        self._out_c: Any = None

    def grid_buffer(self, out: npt.NDArray[np.uint16]) -> Any:
        """``out`` as the C pointer decoders write to, after checking its shape and type."""
        if out is self._out and out.shape == self._shape and out.dtype is _UINT16:
            return self._out_c  # the hot path: the env hands the same array every step
        if (
            not isinstance(out, np.ndarray)
            or out.shape != (self.rows, self.cols)
            or out.dtype != np.uint16
            or not out.flags.c_contiguous
            or not out.flags.writeable
        ):
            got = f"{out.dtype} {out.shape}" if isinstance(out, np.ndarray) else type(out).__name__
            raise errors.TilesError(
                f"the grid must be a writable C-contiguous uint16 array of shape "
                f"({self.rows}, {self.cols}), got {got}: use "
                f"np.empty(({self.rows}, {self.cols}), np.uint16)"
            )
        self._out, self._out_c = out, ffi.from_buffer("uint16_t[]", out, require_writable=True)
        return self._out_c


def tiles_from_state(
    state: bytes | bytearray | memoryview, layout: TileLayout, out: npt.NDArray[np.uint16]
) -> bool:
    """Decode a tile grid, in C, from a save state the caller holds (see :class:`TileLayout`).

    Returns:
        False, writing nothing, when ``state`` is not ``layout.state_size`` bytes: find the
        fields again in it and make a new layout.

    Raises:
        TilesError: ``out`` does not fit the layout.
    """
    src = ffi.from_buffer("uint8_t[]", state)
    rc = lib.pr_tiles_decode(src, len(src), layout.spec, layout.grid_buffer(out), layout.cells)
    if rc == lib.PR_TILES_RELAYOUT:
        return False
    if rc:
        raise errors.TilesError(
            f"the {layout.decoder} tile decoder refused the state; {layout.fix}"
        )
    return True


def core_info(core: str | os.PathLike[str]) -> SystemInfo:
    """What a core says about itself, without loading a game (loads a private copy briefly)."""
    path = find_core(core)
    e = lib.pr_create()
    if e == ffi.NULL:
        raise MemoryError("cannot allocate an emulator")
    try:
        rc = lib.pr_open_core(
            e,
            os.fsencode(path),
            os.fsencode(_scratch_dir("cores")),
            b"",
            os.fsencode(_scratch_dir("saves")),
            1,
        )
        if rc < 0:
            raise errors.CoreError(_text(lib.pr_error(e)))
        info = ffi.new("struct pr_info *")
        lib.pr_get_info(e, info)
        return SystemInfo(
            library_name=_text(info.library_name),
            library_version=_text(info.library_version),
            valid_extensions=tuple(x for x in _text(info.valid_extensions).split("|") if x),
            need_fullpath=bool(info.need_fullpath),
        )
    finally:
        lib.pr_destroy(e)


class Pool:
    """C worker threads that step many emulators in one call: one per caller (a vector env).

    Two pools step at the same time on two Python threads (the GIL is released in C); one pool
    takes one call at a time (a second thread gets EmulatorBusyError). Each thread keeps
    stepping the same share of the emulators from call to call, and every buffer a step needs
    is made when the pool is, so stepping allocates nothing.

    Args:
        num_threads: threads that step, the calling thread included (1 to :data:`MAX_THREADS`).

    Raises:
        TypeError: ``num_threads`` is not an integer.
        ValueError: ``num_threads`` is out of range.
        MemoryError: the threads could not be started.

    Example:
        >>> with Pool(2) as pool:  # doctest: +SKIP
        ...     step_many(emulators, buttons, 4, pool=pool)
    """

    def __init__(self, num_threads: int = 2) -> None:
        self._p: Any = None
        n = _integer(num_threads, "num_threads")
        if not 1 <= n <= MAX_THREADS:
            raise ValueError(f"num_threads must be 1..{MAX_THREADS}, got {n}")
        out = ffi.new("pr_pool **")
        if lib.pr_pool_create(n, out) != lib.PR_OK:
            raise MemoryError(f"cannot start a pool of {n} threads (out of memory or threads)")
        self._p = ffi.gc(out[0], lib.pr_pool_destroy)
        self.num_threads: int = n

    @property
    def closed(self) -> bool:
        """True after close()."""
        return self._p is None

    def _live(self) -> Any:
        if self._p is None:
            raise ValueError("this Pool was closed; create a new one")
        return self._p

    def close(self) -> None:
        """Stop the threads. Idempotent; a step on a closed pool raises ValueError.

        Raises:
            EmulatorBusyError: another thread is stepping on this pool right now.
        """
        if self._p is None:
            return
        rc = lib.pr_pool_close(self._p)
        if rc != lib.PR_OK:
            raise _pool_failure(self._p, rc)
        self._p = None  # the threads are gone; the struct is freed with its last reference

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Pool {self.num_threads} threads{' closed' if self.closed else ''}>"


def _pool_failure(p: Any, rc: int) -> Exception:
    """The exception for a call a pool (the cdata ``p``) refused as a whole."""
    msg = _text(lib.pr_pool_error(p))
    if rc == lib.PR_EBUSY:
        return errors.EmulatorBusyError(msg)
    return ValueError(msg or f"the pool refused the call (error code {rc})")


def _batch_args(
    emulators: Sequence[Emulator],
    buttons: npt.NDArray[np.uint16],
    frames: object,
    pool: Pool | None,
    num_threads: int | None,
) -> tuple[int, Any, int, Any, Any]:
    """Checks what step_many and step_many_into share; returns their C arguments."""
    n = len(emulators)
    if buttons.shape != (n, MAX_PORTS) or buttons.dtype != np.uint16:
        raise ValueError(
            f"buttons must be uint16 of shape ({n}, {MAX_PORTS}), got {buttons.dtype} {buttons.shape}"
        )
    if len({id(x) for x in emulators}) != n:
        raise ValueError("an emulator appears twice: each must step once per call")
    count = _frame_count(frames)
    if pool is not None and num_threads is not None:
        raise ValueError("pass pool= or num_threads=, not both: a Pool has its own threads")
    if pool is not None and not isinstance(pool, Pool):
        raise TypeError(f"pool must be a pettingretro.host.Pool, got {type(pool).__name__}")
    if num_threads is not None and not 1 <= _integer(num_threads, "num_threads") <= MAX_THREADS:
        raise ValueError(f"num_threads must be 1..{MAX_THREADS}, got {num_threads}")
    p = pool._live() if pool is not None else None
    handles = ffi.new("pr_emu *[]", [em._live() for em in emulators])
    for em in emulators:
        if em._audio_owned and count > _SLICE_FRAMES:
            em._audio_reserve(count)
    buf = np.ascontiguousarray(buttons)
    return count, handles, 2 if num_threads is None else num_threads, p, buf


def _batch_result(emulators: Sequence[Emulator], rc: int, rcs: Any, p: Any, what: str) -> None:
    n = len(emulators)
    if rc < 0 and not any(rcs[i] for i in range(n)):  # refused before any emulator ran
        if p is not None:
            raise _pool_failure(p, rc)
        raise ValueError(_text(lib.pr_step_many_error()) or f"{what} refused its arguments")
    for i, em in enumerate(emulators):
        if rcs[i]:
            em._check(rcs[i])


_OBS_MODES = {"rgb": lib.PR_SCREEN_RGB, "gray": lib.PR_SCREEN_GRAY, "ram": lib.PR_OBS_RAM}


def _fill_obs_spec(
    spec: Any,
    keep: list[Any],
    n: int,
    last: npt.NDArray[np.uint8],
    pooled: npt.NDArray[np.uint8] | None,
    resize: Any,
    out: npt.NDArray[np.uint8] | None,
) -> None:
    """Point ``spec`` (a ``struct pr_obs_spec``) at the frame buffers, the max-pool and the resize.

    What the struct points into is appended to ``keep``, which must live as long as ``spec``.
    Shared by :func:`step_many_into` and :class:`PreparedStep`, which check the arguments first.
    """
    keep.append(ffi.from_buffer("uint8_t[]", last, require_writable=True))
    spec.last = keep[-1]
    spec.frame_stride = last[0].nbytes if n else 0
    if pooled is not None:
        spec.max_pool = 1
        keep.append(ffi.from_buffer("uint8_t[]", pooled, require_writable=True))
        spec.pooled = keep[-1]
    if resize is not None and out is not None:
        h_index, h_weight, w_index, w_weight, divisor = resize
        taps = [
            ffi.from_buffer("int32_t[]", np.ascontiguousarray(h_index, np.int32)),
            ffi.from_buffer("uint32_t[]", np.ascontiguousarray(h_weight, np.uint32)),
            ffi.from_buffer("int32_t[]", np.ascontiguousarray(w_index, np.int32)),
            ffi.from_buffer("uint32_t[]", np.ascontiguousarray(w_weight, np.uint32)),
        ]
        keep += taps
        spec.h_index, spec.h_weight, spec.w_index, spec.w_weight = taps
        spec.src_h, spec.src_w = last.shape[1], last.shape[2]
        spec.out_h, spec.h_taps = np.shape(h_index)
        spec.out_w, spec.w_taps = np.shape(w_index)
        spec.divisor = int(divisor)
        keep.append(ffi.from_buffer("uint8_t[]", out, require_writable=True))
        spec.dst = keep[-1]
        spec.dst_stride = out[0].nbytes if n else 0


class PreparedStep:
    """:func:`step_many_into` turned into C's form once: each call is one C call, no Python per emulator.

    For a caller that steps the same emulators into the same arrays every time (a vector env):
    the handles, the buttons and every buffer are fixed here; write each step's masks into
    ``buttons`` (and the rows' liveness into ``alive``) in place, then call. With ``rows`` each
    new frame also goes, on the pool threads, into its final place in the observation rows
    (``native/host.h``, ``struct pr_rows_spec``): stacked, as planes or interleaved, copied into
    every live agent's row, zeros in the others.

    Args:
        pool: the :class:`Pool` that steps.
        emulators: distinct emulators.
        buttons: uint16 (n, MAX_PORTS), C-contiguous, read at every call.
        frames: frames per call (>= 2 with ``pooled``).
        last: uint8 (n, ...) C-contiguous: each one's last frame ((H, W, 3); (H, W) for gray) or
            its RAM (``mode="ram"``).
        mode: ``"rgb"``, ``"gray"`` or ``"ram"``.
        pooled, resize, out: as for :func:`step_many_into`.
        video: with ``mode="ram"``, keep each one's picture too (for render()).
        ram_regions: with ``mode="ram"``, ``(start address, length)`` of each memory-map region
            that follows SYSTEM_RAM in ``last``; looked up at every call (a reload may move it).
        rows: uint8 (n, agents, row) C-contiguous observation rows.
        alive: uint8 (n, agents) C-contiguous, read at every call: 0 gives that row zeros.
        stack: frames per row, oldest first.
        frame_shape: ``(height, width, channels)`` of the frame a row takes (after ``resize``).
        planes: frames as (channels, height, width) planes; else interleaved by pixel.
        pixel_stride: interleaved: bytes from one pixel to the next in a row.
        direct: make each frame straight in its first live row and copy it to the others
            (``stack`` 1, a row laid out as the frame itself, no ``pooled``, no ``resize``);
            ``last`` is then not written.
        deltas: int32 (n, paddles) C-contiguous, read at every call: each emulator's paddle
            motion (:meth:`Emulator.paddles_move`) before its frames.
        outcomes: per emulator ``(variables, terms)``: its :class:`VariableProgram` (with
            ``prev``) and :class:`TermProgram` (or None), run on the pool thread right after
            its frames; ``over`` (uint8, n) gets each one's done flag.

    Raises:
        ValueError: buffers of the wrong type, shape or size.
    """

    def __init__(
        self,
        pool: Pool,
        emulators: Sequence[Emulator],
        buttons: npt.NDArray[np.uint16],
        frames: int,
        last: npt.NDArray[np.uint8],
        *,
        mode: str = "rgb",
        pooled: npt.NDArray[np.uint8] | None = None,
        resize: tuple[Any, ...] | None = None,
        out: npt.NDArray[np.uint8] | None = None,
        video: bool = False,
        ram_regions: Sequence[tuple[int, int]] = (),
        rows: npt.NDArray[np.uint8] | None = None,
        alive: npt.NDArray[np.uint8] | None = None,
        stack: int = 1,
        frame_shape: tuple[int, int, int] | None = None,
        planes: bool = True,
        pixel_stride: int = 0,
        direct: bool = False,
        deltas: npt.NDArray[np.int32] | None = None,
        outcomes: Sequence[tuple[VariableProgram, TermProgram | None]] | None = None,
        over: npt.NDArray[np.uint8] | None = None,
    ) -> None:
        if mode not in _OBS_MODES:
            raise ValueError(f"mode must be 'rgb', 'gray' or 'ram', got {mode!r}")
        n = len(emulators)
        if not buttons.flags.c_contiguous:
            raise ValueError("buttons must be C-contiguous: the call reads it in place")
        for name, arr in (("last", last), ("pooled", pooled), ("out", out), ("rows", rows)):
            if arr is not None and (
                arr.dtype != np.uint8 or not arr.flags.c_contiguous or len(arr) != n
            ):
                raise ValueError(
                    f"{name} must be a C-contiguous uint8 array, one entry per emulator"
                )
        self._count, self._handles, _, self._p, _ = _batch_args(
            emulators, buttons, frames, pool, None
        )
        if pooled is not None and (pooled.shape != last.shape or self._count < 2):
            raise ValueError("pooled needs last's shape and at least 2 frames per step")
        if mode == "ram" and (pooled is not None or resize is not None):
            raise ValueError("max-pooling and resizing need pictures, not RAM")
        if (resize is None) != (out is None):
            raise ValueError("resize and out go together")
        self._pool, self._emus = pool, list(emulators)
        self._buttons = buttons  # the C side reads it in place: keep it alive
        spec = ffi.new("struct pr_obs_spec *")
        keep: list[Any] = [spec]  # everything the struct points into lives as long as self
        spec.mode = _OBS_MODES[mode]
        spec.video = int(bool(video))
        _fill_obs_spec(spec, keep, n, last, pooled, resize, out)
        if ram_regions:
            if mode != "ram":
                raise ValueError("ram_regions go with mode='ram'")
            starts = ffi.new("uint64_t[]", [int(a) for a, _ in ram_regions])
            lens = ffi.new("uint64_t[]", [int(b) for _, b in ram_regions])
            keep += [starts, lens]
            spec.nregions, spec.region_start, spec.region_len = len(ram_regions), starts, lens
        if rows is not None:
            if frame_shape is None or len(frame_shape) != 3:
                raise ValueError("rows need frame_shape (height, width, channels)")
            h, w, c = (int(x) for x in frame_shape)
            row_bytes = rows[0, 0].nbytes if n else 0
            span = stack * c
            if (
                rows.ndim != 3
                or stack < 1
                or (
                    n
                    and (
                        span * h * w > row_bytes
                        or (not planes and pixel_stride * h * w > row_bytes)
                    )
                )
            ):
                raise ValueError(
                    f"rows {rows.shape} cannot hold {stack} frames of {frame_shape} per row"
                )
            if not planes and pixel_stride < span:
                raise ValueError(
                    f"interleaved rows need pixel_stride >= {span}, got {pixel_stride}"
                )
            if alive is not None and (
                alive.dtype != np.uint8
                or alive.shape != rows.shape[:2]
                or not alive.flags.c_contiguous
            ):
                raise ValueError(f"alive must be C-contiguous uint8 of shape {rows.shape[:2]}")
            r = ffi.new("struct pr_rows_spec *")
            keep.append(r)
            keep.append(ffi.from_buffer("uint8_t[]", rows, require_writable=True))
            r.rows = keep[-1]
            r.game_stride = rows[0].nbytes if n else 0
            r.row_stride = row_bytes
            r.agents = rows.shape[1]
            if alive is not None:
                keep.append(ffi.from_buffer("uint8_t[]", alive))
                r.alive = keep[-1]
            r.stack, r.height, r.width, r.channels = stack, h, w, c
            r.planes, r.pixel_stride = int(bool(planes)), int(pixel_stride)
            if direct and (stack != 1 or pooled is not None or resize is not None):
                raise ValueError("direct rows take one frame, without pooled or resize")
            r.direct = int(bool(direct))
            spec.rows = r
        if deltas is not None:
            if (
                deltas.dtype != np.int32
                or deltas.ndim != 2
                or len(deltas) != n
                or not deltas.flags.c_contiguous
            ):
                raise ValueError("deltas must be C-contiguous int32 (emulators, paddles)")
            keep.append(ffi.from_buffer("int32_t[]", deltas))
            spec.deltas, spec.ndeltas = keep[-1], deltas.shape[1]
        if (outcomes is None) != (over is None):
            raise ValueError("outcomes and over go together")
        if outcomes is not None and over is not None:
            if len(outcomes) != n or over.dtype != np.uint8 or over.shape != (n,):
                raise ValueError(f"outcomes and over need one entry per emulator ({n})")
            progs = ffi.new("struct pr_outcome[]", max(n, 1))
            keep += [progs, outcomes]
            for o, (variables, terms) in zip(progs, outcomes, strict=False):
                variables._fill_outcome(o, terms)
            keep.append(ffi.from_buffer("uint8_t[]", over, require_writable=True))
            spec.outcomes, spec.over = progs, keep[-1]
        self._outcomes = None if outcomes is None else spec.outcomes
        self._spec, self._keep = spec, keep
        self._b = ffi.from_buffer("uint16_t[]", buttons)
        self._rcs = ffi.new("int[]", max(n, 1))
        self._n = n
        self._reserve = self._count > _SLICE_FRAMES  # long steps keep audio in slices

    def __call__(self, outcomes: bool = True) -> None:
        """Step every emulator once; the observations are in the buffers when it returns.

        Args:
            outcomes: run the ``outcomes`` given at construction (False: this call leaves
                them to the caller, who weighs the step its own way).

        Raises:
            ValueError: the pool was closed, or a frame no longer fits the buffers.
            EmulatorClosedError: an emulator was closed.
        """
        p = self._pool._live()
        spec = self._spec
        if self._outcomes is not None:
            spec.outcomes = self._outcomes if outcomes else ffi.NULL
        if self._reserve:
            for em in self._emus:
                if em._audio_owned:
                    em._audio_reserve(self._count)
        rc = lib.pr_pool_step_obs(
            p, self._handles, self._n, self._b, self._count, self._rcs, self._spec
        )
        if rc:
            _batch_result(self._emus, rc, self._rcs, p, "PreparedStep")


def step_many(
    emulators: Sequence[Emulator],
    buttons: npt.NDArray[np.uint16],
    frames: int,
    *,
    video: bool = False,
    num_threads: int | None = None,
    pool: Pool | None = None,
) -> None:
    """Step many emulators at once on C threads, without the GIL.

    Args:
        emulators: distinct emulators.
        buttons: uint16 array of shape (len(emulators), MAX_PORTS): each one's port masks.
        frames: frames each runs (1 to :data:`MAX_FRAMES`).
        video: keep each one's last frame.
        num_threads: threads of the process-wide pool to use, the calling thread included
            (default 2); that pool serves one caller at a time.
        pool: a :class:`Pool` of your own instead (two pools step at the same time).
    """
    count, handles, nthreads, p, buf = _batch_args(emulators, buttons, frames, pool, num_threads)
    n = len(emulators)
    rcs = ffi.new("int[]", max(n, 1))
    b = ffi.from_buffer("uint16_t[]", buf)
    flags = lib.PR_RUN_VIDEO if video else 0
    if p is not None:
        rc = lib.pr_pool_step(p, handles, n, b, count, flags, rcs)
    else:
        rc = lib.pr_step_many(handles, n, b, count, flags, nthreads, rcs)
    _batch_result(emulators, rc, rcs, p, "step_many")


def step_many_into(
    emulators: Sequence[Emulator],
    buttons: npt.NDArray[np.uint16],
    frames: int,
    last: npt.NDArray[np.uint8],
    *,
    gray: bool = False,
    pooled: npt.NDArray[np.uint8] | None = None,
    resize: tuple[npt.NDArray[Any], ...] | None = None,
    out: npt.NDArray[np.uint8] | None = None,
    num_threads: int | None = None,
    pool: Pool | None = None,
) -> None:
    """:func:`step_many`, and each emulator's observation made on the same C threads.

    Args:
        emulators: distinct emulators.
        buttons: uint16 (len(emulators), MAX_PORTS): each one's port masks.
        frames: frames each runs (>= 2 with ``pooled``).
        last: uint8 (n, H, W, 3), or (n, H, W) when ``gray``: receives each one's last frame.
        gray: convert to luma instead of RGB.
        pooled: like ``last``: receives the pixel-wise max of each one's last two frames.
        resize: ``(h_index, h_weight, w_index, w_weight, divisor)``, the taps of
            ``pettingretro.vector.AreaResize``: the pooled (or last) frame is resampled into ``out``.
        out: uint8 (n, height, width[, 3]) for ``resize``.
        num_threads: threads of the process-wide pool to use (default 2), as in step_many.
        pool: a :class:`Pool` of your own instead.
    """
    n = len(emulators)
    for name, arr in (("last", last), ("pooled", pooled), ("out", out)):
        if arr is not None and (
            arr.dtype != np.uint8 or not arr.flags.c_contiguous or len(arr) != n
        ):
            raise ValueError(
                f"{name} must be a C-contiguous uint8 array with one frame per emulator"
            )
    if pooled is not None and (pooled.shape != last.shape or _frame_count(frames) < 2):
        raise ValueError("pooled needs last's shape and at least 2 frames per step")
    if resize is not None and out is None:
        raise ValueError("resize needs out")
    count, handles, nthreads, p, buf = _batch_args(emulators, buttons, frames, pool, num_threads)
    spec = ffi.new("struct pr_obs_spec *")
    keep: list[Any] = []  # the buffers the struct points into live until the call returns
    spec.mode = lib.PR_SCREEN_GRAY if gray else lib.PR_SCREEN_RGB
    _fill_obs_spec(spec, keep, n, last, pooled, resize, out)
    rcs = ffi.new("int[]", max(n, 1))
    b = ffi.from_buffer("uint16_t[]", buf)
    if p is not None:
        rc = lib.pr_pool_step_obs(p, handles, n, b, count, rcs, spec)
    else:
        rc = lib.pr_step_many_obs(handles, n, b, count, nthreads, rcs, spec)
    _batch_result(emulators, rc, rcs, p, "step_many_into")


# ---------------------------------------------------------------------------- integration variables

#: The scenario ops C evaluates, by name (host.h's PR_OP_*).
TERM_OPS = {
    "equal": lib.PR_OP_EQUAL,
    "negative-equal": lib.PR_OP_NEGATIVE_EQUAL,
    "not-equal": lib.PR_OP_NOT_EQUAL,
    "less-than": lib.PR_OP_LESS_THAN,
    "greater-than": lib.PR_OP_GREATER_THAN,
    "less-or-equal": lib.PR_OP_LESS_OR_EQUAL,
    "greater-or-equal": lib.PR_OP_GREATER_OR_EQUAL,
    "nonzero": lib.PR_OP_NONZERO,
    "zero": lib.PR_OP_ZERO,
    "positive": lib.PR_OP_POSITIVE,
    "negative": lib.PR_OP_NEGATIVE,
    "sign": lib.PR_OP_SIGN,
}

_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1
#: the most nested done nodes a :class:`TermProgram` weighs
MAX_DONE_NODES: int = lib.PR_MAX_DONE_NODES


class VariableProgram:
    """Typed variables decoded from live memory blocks in one C call (``pr_read_vars``).

    Args:
        blocks: the memory blocks (1-D uint8 arrays, kept alive and read live).
        rows: per variable ``(block, indices, shifts, kind, sext, mask)``: the RAM index of each
            byte position, what one unit of that byte is worth (as a 64-bit pattern), kind 0 raw,
            1 BCD, 2 low-nibble BCD, ``sext`` 64 - 8 * width for signed types, ``mask`` as int64.
        out: where :meth:`run` writes the values (int64, one per row).
        prev: where :meth:`run` first moves the previous values (int64), or None.

    Raises:
        ValueError: a row lies outside its block, or the arrays do not fit.
    """

    def __init__(
        self,
        blocks: Sequence[npt.NDArray[np.uint8]],
        rows: Sequence[tuple[int, Sequence[int], Sequence[int], int, int, int]],
        out: npt.NDArray[np.int64],
        prev: npt.NDArray[np.int64] | None = None,
    ) -> None:
        n = len(rows)
        for arr in (out,) if prev is None else (out, prev):
            if arr.dtype != np.int64 or arr.shape != (n,) or not arr.flags.c_contiguous:
                raise ValueError(f"out and prev must be contiguous int64 arrays of {n} values")
        self._keep = [np.ascontiguousarray(b).reshape(-1).view(np.uint8) for b in blocks]
        self._blocks = ffi.new("uint8_t *[]", max(1, len(self._keep)))
        self._bufs = [ffi.from_buffer("uint8_t[]", b) for b in self._keep]
        for i, buf in enumerate(self._bufs):
            self._blocks[i] = buf
        self._vars = ffi.new("struct pr_var[]", max(1, n))
        for i, (block, index, shift, kind, sext, mask) in enumerate(rows):
            if not 0 <= block < len(self._keep) or not 1 <= len(index) <= 8:
                raise ValueError(f"variable {i}: block {block} or width {len(index)} out of range")
            size = len(self._keep[block])
            if len(shift) != len(index) or any(not 0 <= j < size for j in index):
                raise ValueError(f"variable {i}: indices {list(index)} outside a block of {size}")
            if kind not in (0, 1, 2) or not 0 <= sext < 64 or not _INT64_MIN <= mask <= _INT64_MAX:
                raise ValueError(f"variable {i}: kind {kind}, sext {sext} or mask out of range")
            v = self._vars[i]
            v.block, v.width, v.kind, v.sext, v.mask = block, len(index), kind, sext, mask
            for j, (at, unit) in enumerate(zip(index, shift, strict=True)):
                v.index[j] = at
                v.shift[j] = unit & ((1 << 64) - 1)
        self._n = n
        self._out = ffi.from_buffer("int64_t[]", out, require_writable=True)
        self._prev = (
            ffi.NULL if prev is None else ffi.from_buffer("int64_t[]", prev, require_writable=True)
        )
        self.out, self.prev = out, prev

    def run(self) -> None:
        """Move ``out`` to ``prev`` (when given), then decode every variable into ``out``."""
        lib.pr_read_vars(self._vars, self._n, self._blocks, self._out, self._prev)

    def _fill_outcome(self, o: Any, terms: TermProgram | None) -> None:
        """Point ``o`` (a ``struct pr_outcome``) at this program and ``terms`` over its arrays."""
        if self.prev is None:
            raise ValueError("an outcome's variables need prev (program(prev=True))")
        o.vars, o.nvars, o.blocks, o.values, o.prev = (
            self._vars,
            self._n,
            self._blocks,
            self._out,
            self._prev,
        )
        if terms is not None:
            if terms._keep[0] is not self.out or terms._keep[1] is not self.prev:
                raise ValueError("the terms must weigh this program's out and prev arrays")
            terms._fill_outcome(o)


class TermProgram:
    """A scenario's plain reward and done terms weighed in one C call (``pr_weigh_terms``).

    Args:
        terms: per term ``(variable, target, delta, op, reference, reward, penalty)``: the
            index into ``values``, a player (or -1 for a done term), the measurement, a
            :data:`TERM_OPS` value or -1, and the weights.
        values: the current values (int64), read live at each :meth:`run`.
        prev: the previous step's values (int64).
        per_frame: each player's reward per frame.
        done_all: the done terms must all hold (else any).
        rewards: where :meth:`run` writes each player's reward (float64, one per player).
        nodes: the done condition's nested nodes ``(parent, all)``, parents first: entry i is
            node i + 1 (node 0 is the top one); a done term of node k has target ``-1 - k``.

    Raises:
        ValueError: a term names a variable, player or op out of range.
    """

    def __init__(
        self,
        terms: Sequence[tuple[int, int, bool, int, int, float, float]],
        values: npt.NDArray[np.int64],
        prev: npt.NDArray[np.int64],
        per_frame: Sequence[float],
        done_all: bool,
        rewards: npt.NDArray[np.float64],
        nodes: Sequence[tuple[int, bool]] = (),
    ) -> None:
        players = len(rewards)
        if len(nodes) > MAX_DONE_NODES or any(
            not 0 <= parent <= i for i, (parent, _) in enumerate(nodes)
        ):
            raise ValueError(
                f"at most {MAX_DONE_NODES} done nodes, each after its parent: got {list(nodes)}"
            )
        self._nodes = ffi.new("struct pr_done_node[]", max(1, len(nodes)))
        for i, (parent, every) in enumerate(nodes):
            self._nodes[i].parent, self._nodes[i].all = parent, int(bool(every))
        self._nnodes = len(nodes)
        if len(per_frame) != players or rewards.dtype != np.float64:
            raise ValueError("rewards must be float64, one per player, as per_frame is")
        self._terms = ffi.new("struct pr_term[]", max(1, len(terms)))
        ops = set(TERM_OPS.values())
        for i, (var, target, delta, op, ref, reward, penalty) in enumerate(terms):
            if (
                not 0 <= var < len(values)
                or target < -1 - len(nodes)
                or (op != -1 and op not in ops)
            ):
                raise ValueError(
                    f"term {i}: variable {var}, target {target} or op {op} out of range"
                )
            if not _INT64_MIN <= ref <= _INT64_MAX:
                raise ValueError(f"term {i}: reference {ref} does not fit 64 bits")
            t = self._terms[i]
            t.var, t.target, t.delta, t.op = var, target, int(delta), op
            t.reference, t.reward, t.penalty = ref, reward, penalty
        self._n = len(terms)
        self._keep = (values, prev, rewards)
        self._values = ffi.from_buffer("int64_t[]", values)
        self._prevp = ffi.from_buffer("int64_t[]", prev)
        self._rewards = ffi.from_buffer("double[]", rewards, require_writable=True)
        self._per_frame = ffi.new("double[]", [float(x) for x in per_frame] or [0.0])
        self._done_all = int(bool(done_all))
        self._players = players

    def _fill_outcome(self, o: Any) -> None:
        """Point ``o``'s terms (a ``struct pr_outcome``) at these, as :meth:`run` passes them."""
        o.terms, o.nterms, o.done_all = self._terms, self._n, self._done_all
        o.nodes, o.nnodes = self._nodes, self._nnodes
        o.per_frame, o.players, o.rewards = self._per_frame, self._players, self._rewards

    def run(self, frames: int) -> bool:
        """Each player's reward into ``rewards`` for ``frames`` frames; whether the done terms hold."""
        return bool(
            lib.pr_weigh_terms(
                self._terms,
                self._n,
                self._values,
                self._prevp,
                self._done_all,
                self._nodes,
                self._nnodes,
                self._per_frame,
                self._players,
                frames,
                self._rewards,
            )
        )
