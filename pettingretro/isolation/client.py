"""The client: IsolatedEmulator, an Emulator whose core runs in a worker process.

It checks its arguments as :class:`~pettingretro.host.Emulator` does, turns each call into one
:class:`~pettingretro.isolation.protocol.Request`, and reads RAM, screens and checkpoints out of
the memory block it shares with the worker. When the worker dies or hangs it raises
:class:`~pettingretro.errors.EmulatorCrashed` and can :meth:`~IsolatedEmulator.restart` it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import mmap
import os
import select
import signal
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from multiprocessing.reduction import send_handle
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from pettingretro import errors
from pettingretro.cores import find_core
from pettingretro.errors import EmulatorCrashed
from pettingretro.host import AVInfo, MemoryDescriptor, SystemInfo, default_system_dir
from pettingretro.isolation import forkserver
from pettingretro.isolation import protocol as p

__all__ = ["IsolatedEmulator", "IsolationOptions"]

core_log = logging.getLogger("pettingretro.core")

_MEMORY_KINDS = ("save_ram", "rtc", "system_ram", "video_ram")
_SPIN = 1e-3  # seconds: calls that last took less are waited for by polling (spin=True)
_WALL_FACTOR = 10  # the wall-time backstop: this many times the CPU-time timeout ...
_WALL_MIN = 60.0  # ... and never less than this many seconds
_STATUS_GRACE = 5.0  # seconds a worker that closed its pipe may take to exit before it is killed


@dataclasses.dataclass(frozen=True)
class IsolationOptions:
    """How an isolated emulator checkpoints and when it counts as hung.

    Args:
        checkpoint_every: save a checkpoint after this many steps (0: only at load, reset and
            load_state).
        timeout: seconds of CPU time the worker may spend on one call (or on loading) without
            answering before it counts as hung, is killed and EmulatorCrashed is raised; None
            waits for ever. CPU time, not wall time: a worker starved of CPU on a loaded
            machine is slow, not hung.
        wall_timeout: seconds of wall time after which a call counts as hung however little
            CPU the worker used (one blocked for good); default ``max(10 * timeout, 60)``.
            Ignored without ``timeout``.
        spin: wait for answers due within a millisecond by polling instead of sleeping
            (this thread's CPU is busy while it waits; see :mod:`pettingretro.isolation`).

    Raises:
        ValueError: a count or a number of seconds out of range.

    Example:
        >>> IsolationOptions.parse({"timeout": 5}).wall_seconds
        60.0
    """

    checkpoint_every: int = 100
    timeout: float | None = None
    wall_timeout: float | None = None
    spin: bool = True

    def __post_init__(self) -> None:
        every = self.checkpoint_every
        if not isinstance(every, int) or isinstance(every, bool) or every < 0:
            raise ValueError(f"checkpoint_every must be an integer >= 0, got {every!r}")
        for name in ("timeout", "wall_timeout"):
            value = getattr(self, name)
            if value is not None and (
                not isinstance(value, (int, float)) or isinstance(value, bool) or not value > 0
            ):
                raise ValueError(f"{name} must be a number of seconds > 0 or None, got {value!r}")
        if not isinstance(self.spin, bool):
            raise ValueError(f"spin must be True or False, got {self.spin!r}")

    @property
    def wall_seconds(self) -> float | None:
        """The wall-time backstop in effect (None without a timeout)."""
        if self.timeout is None:
            return None
        if self.wall_timeout is not None:
            return float(self.wall_timeout)
        return max(_WALL_FACTOR * float(self.timeout), _WALL_MIN)

    @classmethod
    def parse(cls, isolate: object) -> IsolationOptions | None:
        """What an ``isolate=`` argument asks for: None (in process) or the options.

        Args:
            isolate: False or None (in process), True (the defaults), a mapping of these
                options' names to values, or an IsolationOptions.

        Raises:
            ValueError: an unknown option name, or a value out of range.
            TypeError: anything else.
        """
        if isolate is None or isolate is False:
            return None
        if isolate is True:
            return cls()
        if isinstance(isolate, IsolationOptions):
            return isolate
        if isinstance(isolate, Mapping):
            known = {f.name for f in dataclasses.fields(cls)}
            unknown = sorted(str(k) for k in isolate if k not in known)
            if unknown:
                raise ValueError(
                    f"unknown isolate option(s) {', '.join(map(repr, unknown))}; "
                    f"use {', '.join(sorted(known))}"
                )
            return cls(**isolate)
        raise TypeError(
            "isolate must be True, False, a dict of options or IsolationOptions, "
            f"got {type(isolate).__name__}"
        )

    def emulator(
        self,
        core: str | os.PathLike[str],
        rom: str | os.PathLike[str],
        **kwargs: Any,
    ) -> IsolatedEmulator:
        """An IsolatedEmulator with these options; ``kwargs`` are its other arguments."""
        return IsolatedEmulator(
            core,
            rom,
            checkpoint_every=self.checkpoint_every,
            timeout=self.timeout,
            wall_timeout=self.wall_timeout,
            spin=self.spin,
            **kwargs,
        )


def _signal_name(exitcode: int | None) -> str | None:
    if exitcode is None or exitcode >= 0:
        return None
    try:
        return signal.Signals(-exitcode).name
    except ValueError:
        return f"signal {-exitcode}"


def _anonymous_file(size: int) -> int:
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("pettingretro-isolation", os.MFD_CLOEXEC)
    else:  # macOS: an unlinked temporary file
        with tempfile.TemporaryFile() as f:
            fd = os.dup(f.fileno())
    os.ftruncate(fd, size)
    return fd


class IsolatedEmulator:
    """An :class:`~pettingretro.host.Emulator` in a worker process (see :mod:`pettingretro.isolation`).

    Args:
        core: a core name or a path to its library.
        rom: the ROM file.
        options: core option overrides.
        num_ports: controller ports the host serves (1 to 8).
        system_dir: the folder with BIOS files (default: the host's default, resolved here).
        seed: seeds the C library's random state the core sees while loading and resetting.
        label: the game's name for error messages (default: the ROM's file name).
        checkpoint_every: see :class:`IsolationOptions` (:meth:`IsolationOptions.emulator`
            passes all four from one).
        timeout: CPU seconds a call may take; see :class:`IsolationOptions`.
        wall_timeout: wall seconds a call may take; see :class:`IsolationOptions`.
        spin: poll for quick answers; see :class:`IsolationOptions`.

    Raises:
        CoreNotFoundError, RomNotFoundError, BiosMissingError, RomLoadError, ValueError: as
            :class:`~pettingretro.host.Emulator`.
        EmulatorCrashed: the core died while loading the ROM.
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
        label: str | None = None,
        checkpoint_every: int = 100,
        timeout: float | None = None,
        wall_timeout: float | None = None,
        spin: bool = True,
    ) -> None:
        self._closed = True  # until the worker is up
        self._proc: Any = None
        self._conn: Any = None
        self._fd = -1
        self._shm: mmap.mmap | None = None
        # the ROM, the ports and the options are checked by the Emulator in the worker, whose
        # errors come back as they are; the core is found here to name it in crash messages
        core_path = find_core(core)
        rom_path = Path(rom).absolute()
        self.isolation = IsolationOptions(checkpoint_every, timeout, wall_timeout, spin)
        self.label = label or rom_path.name
        self.num_ports = num_ports
        self.rom_path = rom_path
        self.timeout = timeout
        self.wall_timeout = self.isolation.wall_seconds
        self._core_file = core_path.name
        self._spec = p.WorkerSpec(
            core=str(core_path),
            rom=str(rom_path),
            options=dict(options or {}),
            num_ports=num_ports,
            # resolved here: the fork server's environment is the one it started with
            system_dir=str(Path(system_dir) if system_dir is not None else default_system_dir()),
            seed=seed,
            checkpoint_every=checkpoint_every,
            environ={},
            cwd="",
        )
        self._spin = _SPIN if spin else 0.0
        self._last = 1.0  # seconds the last call took
        self._busy = threading.Lock()
        self._frame = 0
        self._crash: EmulatorCrashed | None = None
        loaded = self._start()  # raises the Emulator's errors for bad arguments
        self._held = np.zeros(num_ports, np.uint16)
        self._moves: npt.NDArray[np.int32] | None = None
        self._dirty_buttons = False
        self._dirty_moves = False
        self._replay: dict[tuple[Any, ...], p.Setting] = {}
        self._npaddles = 0
        self.restarts = 0
        self.core_path: Path = loaded.core_path
        self.system_info: SystemInfo = loaded.system_info
        self.av_info: AVInfo = loaded.av_info
        self.state_complete: bool = loaded.state_complete
        layout = p.Layout.plan(loaded)
        self._fd = _anonymous_file(layout.size)
        self._shm = mmap.mmap(self._fd, layout.size)
        self._views(layout)
        self._hdr[0] = -1
        self._attach()

    # -------------------------------------------------------------- worker lifecycle

    def _views(self, layout: p.Layout) -> None:
        shm = self._shm
        self._layout_info = layout
        self._hdr: npt.NDArray[np.int64] = np.ndarray(p.HEADER // 8, np.int64, buffer=shm)
        self._ram: npt.NDArray[np.uint8] = np.ndarray(
            layout.ram_size, np.uint8, buffer=shm, offset=layout.ram
        )
        self._screen: npt.NDArray[np.uint8] = np.ndarray(
            layout.screen_cap, np.uint8, buffer=shm, offset=layout.screen
        )
        self._slots = [
            np.ndarray(layout.slot_cap, np.uint8, buffer=shm, offset=o) for o in layout.slots
        ]
        spans = [np.ndarray(n, np.uint8, buffer=shm, offset=o) for o, n in layout.spans]
        self._maps: list[MemoryDescriptor] = []
        for fields, place in layout.maps:
            data = None
            if place is not None and place[0] == "ram":
                data = self._ram[place[1] : place[1] + place[2]]
            elif place is not None:
                data = spans[place[1]][place[2] : place[2] + place[3]]
            self._maps.append(MemoryDescriptor(**fields, data=data))

    def _start(self) -> p.Loaded:
        """Fork a worker and wait until the game is loaded; returns what the worker said."""
        spec = dataclasses.replace(self._spec, environ=dict(os.environ), cwd=os.getcwd())
        sent = time.monotonic()
        handle = forkserver.spawn(spec)
        self._proc, self._conn = handle, handle.conn
        self._crash = None
        try:
            # a new process starts at 0 s of CPU time
            loaded: p.Loaded = self._receive("loading the ROM", sent, 0.0)
        except BaseException:
            self._reap()
            raise
        return loaded

    def _attach(self) -> None:
        """Hand the worker the shared memory block and wait for the first checkpoint."""
        try:
            sent, cpu = self._sent()
            self._conn.send(p.Attach(self._layout_info))
            send_handle(self._conn, self._fd, self._proc.pid)
            self._receive("saving the first checkpoint", sent, cpu)
        except BaseException:
            self._reap()
            raise
        self._closed = False

    def _sent(self) -> tuple[float, float | None]:
        """The time and the worker's CPU time as a call is sent (what a timeout counts from)."""
        if self.timeout is None:
            return 0.0, None
        return time.monotonic(), self._proc.cpu_seconds()

    def _await(self, doing: str, sent: float, cpu0: float | None) -> None:
        """Wait for the worker's answer (or its end); kill it once it counts as hung.

        Hung means ``timeout`` seconds of CPU time spent on this call, or ``wall_timeout``
        seconds of wall time. Where the worker's CPU time cannot be read, wall time stands in.
        """
        conn, timeout, wall = self._conn, self.timeout, self.wall_timeout
        assert timeout is not None
        assert wall is not None
        wait = timeout  # a call can use no more CPU time than the wall time it took (one thread)
        while not conn.poll(wait):
            elapsed = time.monotonic() - sent
            cpu = self._proc.cpu_seconds()
            used = elapsed if cpu is None or cpu0 is None else cpu - cpu0
            if used >= timeout or elapsed >= wall:
                if conn.poll(0):
                    return  # it answered (or died) just now
                self._proc.kill()
                raise self._crashed(doing, hung="cpu" if used >= timeout else "wall")
            wait = max(0.01, min(timeout - used, wall - elapsed))

    def _receive(self, doing: str, sent: float, cpu0: float | None) -> Any:
        conn = self._conn
        try:
            if self._last < self._spin:
                # the answer is due within a millisecond: poll for it rather than sleep, which
                # saves the ~40 µs a sleeping process takes to wake on a small VM. Yielding
                # lets the worker run first should both share this CPU. The worker never
                # spins, so an idle isolated emulator costs no CPU.
                fd = [conn.fileno()]
                end = time.perf_counter() + self._spin
                while not select.select(fd, (), (), 0)[0] and time.perf_counter() < end:
                    os.sched_yield()
            if self.timeout is not None:
                self._await(doing, sent, cpu0)
            reply = p.unpack_reply(conn.recv())
        except (EOFError, OSError):
            raise self._crashed(doing) from None
        for level, text in reply.logs:
            core_log.log(level, "[%s] %s", self._core_file, text)
        self._frame = reply.frame
        if isinstance(reply, p.Failed):
            raise reply.error
        return reply.value

    def _exit_status(self) -> int | None:
        """The worker's exit status, once it has ended (killing it if it lives on without a pipe).

        The fork server reports the status when it reaps the worker, which on a loaded machine
        can take a while: a worker that has exited is waited for (up to the wall-time backstop
        or a minute), one still running after a grace period is killed first.
        """
        proc: forkserver.WorkerProcess = self._proc
        start = time.monotonic()
        give_up = start + max(self.wall_timeout or 0.0, _WALL_MIN)
        killed = False
        while True:
            code = proc.wait(0.1)
            if proc.ended or time.monotonic() > give_up:
                return code
            if not killed and time.monotonic() - start > _STATUS_GRACE and proc.running():
                proc.kill()  # it closed its pipe but goes on: no use to anyone
                killed = True

    def _crashed(self, doing: str, *, hung: str | None = None) -> EmulatorCrashed:
        code = self._exit_status()
        sig = _signal_name(code)
        if hung is not None and code == -signal.SIGKILL:
            # killed by us (a worker that died by itself meanwhile is reported as what it was)
            sig = None
            of_cpu = " of CPU time" if self._proc.clock is not None else ""
            how = (
                f"did not answer within {self.timeout} s{of_cpu} and was killed"
                if hung == "cpu"
                else f"did not answer within {self.wall_timeout} s and was killed (blocked: "
                f"it used less than {self.timeout} s of CPU time)"
            )
        elif sig is not None:
            how = f"crashed with {sig}"
        elif code is not None:
            how = f"exited with status {code}"
        else:
            how = "closed its pipe"
        ckpt = self._checkpoint_frame()
        again = (
            f"restart() brings it back to the checkpoint of frame {ckpt}"
            if ckpt is not None
            else "create a new emulator"
        )
        exc = EmulatorCrashed(
            f"{self.label}: core {self._core_file} {how} while {doing}, after frame "
            f"{self._frame}; this process and its other emulators are unaffected; {again}",
            label=self.label,
            core=self._core_file,
            frame=self._frame,
            signal=sig,
            exitcode=code,
        )
        self._crash = exc
        self._reap()
        return exc

    def _reap(self) -> None:
        """Close the pipe and collect the worker process (killing it if it still runs)."""
        proc = self._proc
        self._conn = None
        if proc is not None:
            if proc.conn is not None:
                with contextlib.suppress(OSError):
                    proc.conn.close()
                proc.conn = None
            if proc.wait(0.5) is None:  # it ends by itself when its pipe closes
                proc.kill()
                proc.wait(5.0)
            proc.close()
            self._proc = None

    def _checkpoint_frame(self) -> int | None:
        if self._shm is None or self._hdr[0] < 0:
            return None
        return int(self._hdr[2 + 2 * int(self._hdr[0])])

    def _live(self) -> None:
        if self._closed and self._crash is None:
            raise errors.EmulatorClosedError(
                f"this emulator ({self._core_file}) was closed; create a new Emulator"
            )

    def _call(self, command: p.Command) -> Any:
        self._live()
        if self._crash is not None:
            raise EmulatorCrashed(
                f"{self._crash} (it crashed earlier: call restart() or close())",
                label=self._crash.label,
                core=self._crash.core,
                frame=self._crash.frame,
                signal=self._crash.signal,
                exitcode=self._crash.exitcode,
            )
        if not self._busy.acquire(blocking=False):
            raise errors.EmulatorBusyError(
                f"two threads used this {self.label} emulator at once; give each thread its own"
            )
        try:
            given: list[p.Input] = []
            if self._dirty_buttons:
                given.append(p.Buttons(self._held.tobytes()))
                self._dirty_buttons = False
            if self._dirty_moves and self._moves is not None:
                given.append(p.PaddleMotion(self._moves.tobytes()))
                self._dirty_moves = False
            sent = time.perf_counter()
            since, cpu = self._sent()
            try:
                self._conn.send(p.pack(p.Request(tuple(given), command)))
            except (OSError, ValueError):
                raise self._crashed(p.doing(command)) from None
            try:
                return self._receive(p.doing(command), since, cpu)
            finally:
                self._last = time.perf_counter() - sent
        finally:
            self._busy.release()

    def restart(self) -> int:
        """Start a fresh worker and bring it back to the last checkpoint.

        Works after a crash, and on a live worker too (it is killed first).

        Returns:
            The frame of the checkpoint restored (0 for a core without save states).

        Raises:
            EmulatorClosedError: after close().
            EmulatorCrashed: the new worker crashed too.
        """
        if self._closed and self._crash is None:
            self._live()
        with self._busy:
            self._reap()
            self._crash = None
            k = int(self._hdr[0])
            state = bytes(self._slots[k][: int(self._hdr[1 + 2 * k])]) if k >= 0 else None
            frame = int(self._hdr[2 + 2 * k]) if k >= 0 else 0
            self._closed = True
            self._start()
            self._attach()
            self._dirty_buttons = True
            self._dirty_moves = self._moves is not None
        self._call(p.Restore(state, frame, tuple(self._replay.values())))
        self._frame = frame if state is not None else 0
        self.restarts += 1
        return self._frame

    def ping(self) -> None:
        """One round trip that does nothing: the worker is alive and answering.

        Raises:
            EmulatorCrashed: it is not.
        """
        self._call(p.Ping())

    def checkpoint(self) -> int:
        """Save a checkpoint now; returns its frame."""
        frame: int = self._call(p.Checkpoint())
        return frame

    @property
    def checkpoint_frame(self) -> int | None:
        """The frame restart() would bring the emulator back to (None: a fresh load)."""
        return self._checkpoint_frame()

    @property
    def pid(self) -> int | None:
        """The worker's process id (None while none runs)."""
        return None if self._proc is None else self._proc.pid

    @property
    def crashed(self) -> EmulatorCrashed | None:
        """The crash that stopped the worker, until restart()."""
        return self._crash

    # -------------------------------------------------------------- input and stepping

    def set_buttons(self, port: int, mask: int) -> None:
        """Hold ``mask`` on ``port`` from the next step on (sent with the next call)."""
        self._live()
        if not 0 <= mask <= 0xFFFF:
            raise ValueError(f"button mask must fit 16 bits, got {mask}")
        if not 0 <= port < self.num_ports:
            raise ValueError(
                f"port {port} does not exist: this emulator has ports 0..{self.num_ports - 1}"
            )
        self._held[port] = mask
        self._dirty_buttons = True

    def set_analog(self, port: int, index: int, axis: int, value: int) -> None:
        """Set an analog axis (index 0 left / 1 right stick; axis 0 x / 1 y) to -32768..32767."""
        self._live()
        if not -32768 <= value <= 32767:
            raise ValueError(f"analog value must be -32768..32767, got {value}")
        command = p.SetAnalog(port, index, axis, value)
        self._call(command)
        self._replay[("set_analog", port, index, axis)] = command

    def step(self, frames: int = 1, *, video: bool = True) -> None:
        """Run ``frames`` frames with the held buttons (see Emulator.step)."""
        self._live()
        if frames < 1:
            raise ValueError(f"frames must be >= 1, got {frames}")
        self._call(p.Step(frames, video))

    def step_into(
        self,
        buttons: npt.NDArray[np.uint16],
        frames: int,
        out: npt.NDArray[np.uint8] | None = None,
        *,
        gray: bool = False,
        video: bool = False,
    ) -> None:
        """Set every port's buttons, run, and write the last frame into ``out`` (see Emulator)."""
        self._live()
        buttons = np.asarray(buttons)
        if buttons.dtype != np.uint16 or buttons.ndim != 1:
            raise ValueError(
                f"buttons must be a 1-d uint16 array, got {buttons.dtype} {buttons.shape}"
            )
        n = min(len(buttons), self.num_ports)
        self._held[:n] = buttons[:n]
        shape = self._check_out(out, gray)
        self._call(p.StepInto(buttons.tobytes(), frames, shape, gray, video))
        if out is not None:
            self._copy_out(out)

    def _check_out(self, out: npt.NDArray[np.uint8] | None, gray: bool) -> tuple[int, ...] | None:
        """Check ``out`` as the host would; the worker writes into shared memory of its shape."""
        if out is None:
            return None
        if out.dtype != np.uint8 or out.ndim != (2 if gray else 3):
            raise ValueError(
                f"out must be uint8 of shape (H, W{'' if gray else ', 3'}), got {out.dtype} {out.shape}"
            )
        if not out.flags.writeable:
            raise ValueError("the screen buffer is read-only")
        if not out.flags.c_contiguous:
            raise ValueError("the screen buffer is not C-contiguous")
        if out.size > len(self._screen):
            raise ValueError(
                f"out of shape {out.shape} is larger than any frame of this core "
                f"({self.av_info.max_width}x{self.av_info.max_height})"
            )
        return tuple(out.shape)

    def _copy_out(self, out: npt.NDArray[np.uint8]) -> None:
        # the worker wrote the frame into the start of the screen area, in out's shape
        out.reshape(-1)[:] = self._screen[: out.size]

    # -------------------------------------------------------------- paddles

    def paddles_config(self, state_offsets: Sequence[int], low: int, high: int) -> None:
        """Let the host own paddle positions stored in the core's state (see Emulator)."""
        offsets = [int(x) for x in state_offsets]
        command = p.PaddlesConfig(tuple(offsets), int(low), int(high))
        self._call(command)
        self._replay[("paddles_config",)] = command
        self._npaddles = len(offsets)

    def paddles_set(self, values: Sequence[int]) -> None:
        """Place every paddle (clamped to the configured range) before the next frame."""
        self._call(p.PaddlesSet(tuple(int(v) for v in values)))

    def paddles_move(self, deltas: npt.NDArray[np.int32]) -> None:
        """Move each paddle by ``deltas[i]`` every frame from now on (sent with the next call)."""
        self._live()
        self._moves = np.array(deltas, dtype=np.int32).reshape(-1)
        self._dirty_moves = True

    @property
    def paddles(self) -> list[int]:
        """Each host-owned paddle's position."""
        values: list[int] = self._call(p.Paddles())
        return values

    @property
    def frame(self) -> int:
        """Frames run since the game was loaded or last reset (counted on across restarts)."""
        self._live()
        return self._frame

    # -------------------------------------------------------------- screen

    @property
    def screen_shape(self) -> tuple[int, int]:
        """(height, width) of the last kept frame."""
        shape: tuple[int, int] = self._call(p.ScreenShape())
        return shape

    def _screen_into(self, out: npt.NDArray[np.uint8] | None, gray: bool) -> npt.NDArray[np.uint8]:
        self._live()
        shape = self._call(p.Screen(gray, self._check_out(out, gray)))
        if out is None:
            out = np.empty(shape, np.uint8)
        self._copy_out(out)
        return out

    def screen_rgb(self, out: npt.NDArray[np.uint8] | None = None) -> npt.NDArray[np.uint8]:
        """The last kept frame as uint8 RGB (H, W, 3), copied into ``out`` if given."""
        return self._screen_into(out, False)

    def screen_gray(self, out: npt.NDArray[np.uint8] | None = None) -> npt.NDArray[np.uint8]:
        """The last kept frame as uint8 luma (H, W), copied into ``out`` if given."""
        return self._screen_into(out, True)

    # -------------------------------------------------------------- memory

    @property
    def ram(self) -> npt.NDArray[np.uint8]:
        """System RAM as a live uint8 view of shared memory, refreshed after every call.

        Writes reach the core before the next call. After a crash it still shows the RAM as it
        was after the last call that completed.
        """
        self._live()
        return self._ram

    def memory(self, kind: str) -> npt.NDArray[np.uint8]:
        """``system_ram``: the live :attr:`ram` view; other kinds: a snapshot (a copy)."""
        self._live()
        if kind not in _MEMORY_KINDS:
            raise ValueError(f"unknown memory kind {kind!r}; use one of {', '.join(_MEMORY_KINDS)}")
        if kind == "system_ram":
            return self._ram
        data: npt.NDArray[np.uint8] = self._call(p.Memory(kind))
        return data

    @property
    def memory_maps(self) -> list[MemoryDescriptor]:
        """The memory map the core declared, as live views of shared memory like :attr:`ram`.

        Read-only regions (``flags & 1``, ROM) are not mirrored: their ``data`` is None.
        """
        self._live()
        return list(self._maps)

    # -------------------------------------------------------------- state

    def save_state(self) -> bytes:
        """The core's whole serialized state (retro_serialize)."""
        data: bytes = self._call(p.SaveState())
        return data

    def save_state_into(self, buffer: bytearray | memoryview | npt.NDArray[Any]) -> int:
        """Copy the core's state into the caller's buffer (see Emulator.save_state_into).

        The state still crosses the pipe as bytes: this saves the caller an allocation, not a copy.
        """
        try:
            view = (buffer.data if isinstance(buffer, np.ndarray) else memoryview(buffer)).cast("B")
        except TypeError as exc:
            raise TypeError(
                "save_state_into needs a writable, contiguous buffer (a bytearray or a numpy "
                f"array), got {type(buffer).__name__}: {exc}"
            ) from None
        if view.readonly:
            raise TypeError(
                "save_state_into needs a writable buffer (a bytearray or a numpy array)"
            )
        data = self.save_state()
        target = np.frombuffer(view, np.uint8)
        if target.size < len(data):
            raise errors.StateError(
                f"a {target.size}-byte buffer cannot hold this core's {len(data)}-byte state: "
                f"allocate bytearray({len(data)})"
            )
        target[: len(data)] = np.frombuffer(data, np.uint8)
        return len(data)

    def load_state(self, data: bytes | bytearray | memoryview) -> None:
        """Restore a state (see Emulator.load_state); it also becomes the checkpoint.

        Raises:
            StateError: wrong size, or the core rejected the bytes.
            EmulatorCrashed: the core died on them (Stella aborts on some corrupt states).
        """
        self._live()
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"state must be bytes, got {type(data).__name__}")
        self._call(p.LoadState(bytes(data)))

    def reset(self, *, hard: bool = False, seed: int = 0) -> None:
        """Return to the moment right after the game was loaded (see Emulator.reset)."""
        self._call(p.Reset(hard, seed))

    # -------------------------------------------------------------- options

    def option_info(self, key: str) -> Any:
        """Everything known about one core option."""
        return self._call(p.OptionInfo(key))

    @property
    def options(self) -> dict[str, str]:
        """Current value of every core option, by key."""
        opts: dict[str, str] = self._call(p.Options())
        return opts

    def set_option(self, key: str, value: str) -> None:
        """Change a core option (replayed by restart())."""
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(
                f"core option key and value must be strings, got {type(key).__name__} and {type(value).__name__}"
            )
        command = p.SetOption(key, value)
        self._call(command)
        self._replay[("set_option", key)] = command

    # -------------------------------------------------------------- lifecycle

    @property
    def closed(self) -> bool:
        """True after close() (a crashed emulator is not closed: restart() it)."""
        return self._closed and self._crash is None

    def close(self) -> None:
        """Stop the worker and free the shared memory. Idempotent."""
        if self._conn is not None and self._crash is None and not self._closed:
            with contextlib.suppress(Exception), self._busy:
                self._conn.send(p.pack(p.Request((), p.Close())))
                if self._conn.poll(5.0):
                    self._conn.recv()
        self._reap()
        self._closed = True
        self._crash = None
        if self._shm is not None:
            # never mmap.close(): numpy views keep the mmap object, not a buffer export, so
            # closing would unmap memory under a view the caller still holds. Dropping our
            # references unmaps it once the last view is gone.
            self._hdr = self._ram = self._screen = None  # type: ignore[assignment]
            self._slots = []
            self._maps = []
            self._shm = None
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> IsolatedEmulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()

    def __repr__(self) -> str:
        name = self.system_info.library_name if hasattr(self, "system_info") else "?"
        state = (
            "crashed"
            if self._crash is not None
            else "closed"
            if self._closed
            else f"frame {self._frame}"
        )
        return f"<IsolatedEmulator {name} {self.rom_path.name} pid {self.pid} {state}>"


if TYPE_CHECKING:
    from pettingretro.host import EmulatorLike

    # mypy checks structurally that the env can take an isolated emulator without a cast
    _IS_EMULATOR_LIKE: type[EmulatorLike] = IsolatedEmulator
