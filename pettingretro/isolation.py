"""An emulator in a worker process: a crashing core raises EmulatorCrashed here instead of killing us.

:class:`IsolatedEmulator` has the interface of :class:`pettingretro.host.Emulator`; the core runs
in a child process and every call becomes one message over a pipe. Nothing large travels over
the pipe: the worker copies the core's RAM, the screen and periodic checkpoints into a shared
memory block (an anonymous ``memfd``, so nothing is left behind on disk or in ``/dev/shm`` if
either side dies).

Crashes:
    A core that dies (SIGSEGV, SIGFPE, abort(), exit(), the OOM killer) or, with ``timeout=``,
    stops answering raises :class:`EmulatorCrashed`, which names the game (``label``), the
    core, the signal and the last frame that completed. This process and every other emulator
    in it keep running. The crashed emulator raises EmulatorCrashed again on every call until
    :meth:`IsolatedEmulator.restart` (or :meth:`~IsolatedEmulator.close`).

Checkpoints and restart:
    The worker saves the core's state into shared memory (no pipe traffic) right after the
    game loads, after every :meth:`~IsolatedEmulator.reset` and
    :meth:`~IsolatedEmulator.load_state`, after every ``checkpoint_every`` calls of
    :meth:`~IsolatedEmulator.step` / :meth:`~IsolatedEmulator.step_into` (default 100; ``0``
    turns the periodic ones off), and when :meth:`~IsolatedEmulator.checkpoint` is called.
    Two slots are used in turn, so a checkpoint torn by a crash is never the one restored.
    :meth:`~IsolatedEmulator.restart` starts a fresh worker, replays the calls that configure
    the emulator (``set_option``, ``paddles_config``, ``set_analog``), loads the last
    checkpoint and restores the frame counter and the held buttons and paddle motion. A core
    without save states restarts from a freshly loaded game (frame 0). Checkpoints cost one
    ``retro_serialize`` (4-210 µs) each.

RAM:
    :attr:`~IsolatedEmulator.ram` is a live uint8 view of shared memory that the worker
    refreshes after every call, so it always shows the state after the last step. Writes into
    it reach the core: before each call the worker compares the shared copy with the core's
    RAM and copies it in when they differ. The writable regions of
    :attr:`~IsolatedEmulator.memory_maps` (what integrations read variables from on cores that
    declare a map) are mirrored the same way; read-only ones (ROM) are not (their ``data`` is
    None). Each call therefore compares and copies the RAM and the mapped writable memory:
    nothing to speak of for a 2600 (128 bytes), ~35 µs a call for a GBA (256 KiB of RAM and
    260 KiB of other mapped memory; mgba steps 394 µs isolated against 308 in process).
    :meth:`~IsolatedEmulator.memory` returns the :attr:`ram` view for ``"system_ram"`` and a
    snapshot (a copy) for the other kinds.

Deferred input:
    :meth:`~IsolatedEmulator.set_buttons` and :meth:`~IsolatedEmulator.paddles_move` are
    checked here and sent with the next call (a step, usually), so a step of a paddle game is
    still a single round trip.

Start cost:
    Workers are forked from a fork server of our own (a helper process started on first use
    that has imported pettingretro once). Measured on the 2-core VM this was written on: the
    first isolated emulator 0.2-0.3 s (the server starts), each later one 25-40 ms (fork and
    load the core; ``close()`` included), against ~0.75 s for a ``spawn`` worker, which pays
    the ~0.5 s import of pettingretro every time. multiprocessing's own fork server is not
    used: it runs the caller's ``__main__`` again in every child (a script without an
    ``if __name__ == "__main__"`` guard would recurse) and hides exit statuses. Each worker
    gets the caller's environment variables and working directory of the moment, and a
    temporary folder of its own (core copies, battery saves) removed when it ends, however.
    POSIX only (fork, SCM_RIGHTS).

Throughput:
    One call is one round trip: 75-110 µs on that VM when the caller sleeps until the answer
    (most of it is the two wake-ups of a virtual CPU), 40-65 µs with ``spin=True`` (the
    default: the caller polls for answers due within a millisecond; the worker never spins).
    ``python -m pettingretro.isolation`` measures it, and pong_v0 steps/s (random actions,
    frameskip 1, 12 interleaved slices of 0.7 s, three runs on a quiet machine):

    - ram: in-process ~4,050; isolated 2,760-3,140 best slice (0.69-0.77x), 2,000-2,650
      median (0.51-0.66x).
    - rgb_image: in-process ~3,900; isolated 2,430-2,780 best slice (0.62-0.71x),
      1,940-2,210 median (0.51-0.59x).

    With ``spin=False`` isolated Pong ran at 0.45-0.56x. The copies through shared memory
    cost little (~15 µs a step in the worker for Pong); the rest is the round trip.

Example:
    >>> from pettingretro.isolation import EmulatorCrashed, IsolatedEmulator
    >>> emu = IsolatedEmulator("stella", rom_path, label="pong")  # doctest: +SKIP
    >>> try:  # doctest: +SKIP
    ...     emu.step(60)
    ... except EmulatorCrashed:
    ...     emu.restart()
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import mmap
import os
import pickle
import select
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from multiprocessing.connection import Connection
from multiprocessing.reduction import recv_handle, send_handle
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from pettingretro import errors
from pettingretro.cores import find_core
from pettingretro.errors import PettingRetroError

__all__ = ["EmulatorCrashed", "IsolatedEmulator"]

core_log = logging.getLogger("pettingretro.core")

_MEMORY_KINDS = ("save_ram", "rtc", "system_ram", "video_ram")
_HEADER = 64  # int64 words: [0] active checkpoint slot (-1 none), [1+2k] length, [2+2k] frame
_ALIGN = 64
_SPIN = 1e-3  # seconds: calls that last took less are waited for by polling (spin=True)
_MEMDESC_CONST = 1  # RETRO_MEMDESC_CONST: read-only (ROM)
_PR_SET_DUMPABLE = 4  # prctl(2)
_WALL_FACTOR = 10  # the wall-time backstop: this many times the CPU-time timeout ...
_WALL_MIN = 60.0  # ... and never less than this many seconds
_STATUS_GRACE = 5.0  # seconds a worker that closed its pipe may take to exit before it is killed
_DOING = {
    "step": "stepping",
    "step_into": "stepping",
    "restore": "restoring the checkpoint",
    "load_state": "loading a state",
}


class EmulatorCrashed(PettingRetroError):
    """The core of an isolated emulator died (or hung); this process is unaffected.

    Attributes:
        label: the game's name as given to the emulator.
        core: the core's file name.
        frame: the last frame that completed before the crash.
        signal: the signal's name (``"SIGSEGV"``) or None when the worker exited or hung.
        exitcode: the worker's exit status (negative: killed by that signal).
    """

    def __init__(
        self,
        message: str,
        *,
        label: str | None = None,
        core: str | None = None,
        frame: int | None = None,
        signal: str | None = None,
        exitcode: int | None = None,
    ) -> None:
        super().__init__(message)
        self.label = label
        self.core = core
        self.frame = frame
        self.signal = signal
        self.exitcode = exitcode

    def __reduce__(self) -> tuple[Any, ...]:
        attrs = {k: getattr(self, k) for k in ("label", "core", "frame", "signal", "exitcode")}
        return (_rebuild_crash, (str(self), attrs))


def _rebuild_crash(message: str, attrs: dict[str, Any]) -> EmulatorCrashed:
    return EmulatorCrashed(message, **attrs)


# ---------------------------------------------------------------------------------- the worker


class _Collect(logging.Handler):
    """Keeps the core's log records in the worker; each reply carries them to the parent."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[tuple[int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.levelno, record.getMessage()))


def _safe(exc: BaseException) -> BaseException:
    """An exception that survives pickling (the original where possible)."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return errors.CoreError(f"{type(exc).__name__}: {exc}")
    return exc


def _address(arr: npt.NDArray[np.uint8]) -> int:
    return int(arr.__array_interface__["data"][0])


def _map_plan(emu: Any) -> tuple[list[tuple[dict[str, Any], Any]], list[tuple[int, int]]]:
    """Where each memory map descriptor's bytes live in shared memory.

    Returns ``(descriptors, spans)``: each descriptor's fields and its place, None (no data,
    or a read-only region such as ROM, which is not mirrored), ``("ram", offset, length)``
    (inside system RAM) or ``("span", k, offset, length)``; and the ``(address, size)`` in
    the worker of each span: the other writable regions, overlapping ones merged.
    """
    ram = emu.ram
    r0, rn = (_address(ram), len(ram)) if len(ram) else (0, 0)
    descs: list[tuple[dict[str, Any], Any]] = []
    for m in emu.memory_maps:
        fields = {
            "flags": m.flags,
            "start": m.start,
            "select": m.select,
            "disconnect": m.disconnect,
            "length": m.length,
            "offset": m.offset,
            "addrspace": m.addrspace,
        }
        d = m.data
        place: Any = None
        if d is not None and len(d) and not m.flags & _MEMDESC_CONST:
            a = _address(d)
            place = (
                ("ram", a - r0, len(d))
                if rn and r0 <= a and a + len(d) <= r0 + rn
                else ("addr", a, len(d))
            )
        descs.append((fields, place))
    spans: list[list[int]] = []
    for a, n in sorted({(p[1], p[2]) for _, p in descs if p is not None and p[0] == "addr"}):
        if spans and a < spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], a + n)
        else:
            spans.append([a, a + n])
    out = []
    for fields, place in descs:
        if place is not None and place[0] == "addr":
            k = next(i for i, (lo, hi) in enumerate(spans) if lo <= place[1] < hi)
            place = ("span", k, place[1] - spans[k][0], place[2])
        out.append((fields, place))
    return out, [(lo, hi - lo) for lo, hi in spans]


def _memory_at(address: int, size: int) -> npt.NDArray[np.uint8]:
    return np.ctypeslib.as_array((ctypes.c_uint8 * size).from_address(address))


class _Worker:
    """The worker side: one Emulator, the shared memory block and the command loop."""

    def __init__(self, emu: Any, shm: mmap.mmap, layout: dict[str, Any], every: int) -> None:
        self.emu = emu
        self.layout = layout
        self.every = every
        self.since = 0
        self.offset = 0  # frames before the restored checkpoint (restart)
        self.hdr = np.ndarray(_HEADER // 8, np.int64, buffer=shm)
        self.shm_ram = np.ndarray(layout["ram_size"], np.uint8, buffer=shm, offset=layout["ram"])
        self.screen = np.ndarray(
            layout["screen_cap"], np.uint8, buffer=shm, offset=layout["screen"]
        )
        self.slots = [
            np.ndarray(layout["slot_cap"], np.uint8, buffer=shm, offset=layout[f"slot{k}"])
            for k in (0, 1)
        ]
        self.shm_spans = [
            np.ndarray(size, np.uint8, buffer=shm, offset=offset)
            for offset, size in layout["spans"]
        ]
        self.spans: list[npt.NDArray[np.uint8]] = []
        self.find_spans()

    def find_spans(self) -> None:
        """Views of the core's writable mapped memory (again after a reload: it may move)."""
        _, spans = _map_plan(self.emu)
        if [n for _, n in spans] != [len(s) for s in self.shm_spans]:
            if self.shm_spans:
                core_log.warning("the core's memory map changed: memory_maps no longer follow it")
            self.spans = []
            return
        self.spans = [_memory_at(a, n) for a, n in spans]

    @property
    def frame(self) -> int:
        return int(self.emu.frame) + self.offset

    def view(self, shape: tuple[int, ...]) -> npt.NDArray[np.uint8]:
        """The start of the shared screen area as an array of ``shape``."""
        out: npt.NDArray[np.uint8] = self.screen[: int(np.prod(shape))].reshape(shape)
        return out

    def ram_in(self) -> None:
        """Copy the parent's writes into the core's memory (which is still between calls)."""
        if self.layout["ram_size"]:
            ram = self.emu.ram
            n = min(len(ram), len(self.shm_ram))
            if ram[:n].tobytes() != self.shm_ram[:n].tobytes():  # 0.6 µs for 128 bytes
                ram[:n] = self.shm_ram[:n]
        for core, shared in zip(self.spans, self.shm_spans, strict=False):  # [] when moved
            if core.tobytes() != shared.tobytes():
                core[:] = shared

    def ram_out(self) -> None:
        if self.emu.closed:
            return
        if self.layout["ram_size"]:
            ram = self.emu.ram
            n = min(len(ram), len(self.shm_ram))
            self.shm_ram[:n] = ram[:n]
        for core, shared in zip(self.spans, self.shm_spans, strict=False):  # [] when moved
            shared[:] = core

    def save_checkpoint(self, data: bytes | None = None) -> None:
        if self.layout["slot_cap"] == 0:
            return
        if data is None:
            try:
                data = self.emu.save_state()
            except errors.StateError:
                return
        if len(data) > self.layout["slot_cap"]:
            core_log.warning(
                "state of %d bytes does not fit the checkpoint slot (%d); keeping the last one",
                len(data),
                self.layout["slot_cap"],
            )
            return
        k = 1 - int(self.hdr[0]) if self.hdr[0] >= 0 else 0
        self.slots[k][: len(data)] = np.frombuffer(data, np.uint8)
        self.hdr[1 + 2 * k] = len(data)
        self.hdr[2 + 2 * k] = self.frame
        self.hdr[0] = k  # written last: a torn checkpoint is never the active one
        self.since = 0

    def stepped(self) -> None:
        self.since += 1
        if self.every and self.since >= self.every:
            self.save_checkpoint()

    def pending(self, ops: tuple[tuple[str, bytes], ...]) -> None:
        emu = self.emu
        for op, blob in ops:
            if op == "buttons":
                for port, mask in enumerate(np.frombuffer(blob, np.uint16).tolist()):
                    emu.set_buttons(port, mask)
            elif op == "paddles_move":
                emu.paddles_move(np.frombuffer(blob, np.int32))

    def run(self, cmd: str, args: tuple[Any, ...]) -> Any:
        emu = self.emu
        if cmd == "step_into":
            blob, frames, shape, gray, video = args
            out = self.view(shape) if shape else None
            emu.step_into(np.frombuffer(blob, np.uint16), frames, out, gray=gray, video=video)
            self.stepped()
            return None
        if cmd == "step":
            frames, video = args
            emu.step(frames, video=video)
            self.stepped()
            return None
        if cmd == "screen":
            gray, shape = args
            if shape is None:
                h, w = emu.screen_shape
                shape = (h, w) if gray else (h, w, 3)
            (emu.screen_gray if gray else emu.screen_rgb)(self.view(shape))
            return shape
        if cmd == "load_state":
            emu.load_state(args[0])
            self.save_checkpoint(bytes(args[0]))
            return None
        if cmd == "reset":
            hard, seed = args
            emu.reset(hard=hard, seed=seed)
            if hard or not emu.state_complete:  # the game was reloaded: memory may have moved
                self.find_spans()
            self.offset = 0
            self.save_checkpoint()
            return None
        if cmd == "checkpoint":
            self.save_checkpoint()
            return int(self.hdr[2 + 2 * int(self.hdr[0])]) if self.hdr[0] >= 0 else None
        if cmd == "restore":
            state, frame, replay = args
            for name, call_args in replay:
                getattr(emu, name)(*call_args)
            if state is not None:
                if not emu.state_complete:
                    # Stella replays a state loaded before its first frame differently from
                    # the same state loaded later: run one frame first, as a used one has
                    emu.step(1, video=False)
                emu.load_state(state)
                self.offset = frame - int(emu.frame)
            return None
        if cmd == "memory":
            return np.array(emu.memory(args[0]))
        if cmd == "get":
            return getattr(emu, args[0])
        if cmd == "call":
            name, call_args = args
            return getattr(emu, name)(*call_args)
        raise ValueError(f"unknown command {cmd!r}")


def _serve(conn: Any, spec: dict[str, Any]) -> None:
    """The worker process: load the game, then answer commands until told to close."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    collect = _Collect()
    core_log.addHandler(collect)
    core_log.setLevel(logging.DEBUG)
    core_log.propagate = False

    def reply(status: str, payload: Any, frame: int) -> None:
        logs, collect.records[:] = tuple(collect.records), []
        try:
            conn.send((status, payload, frame, logs))
        except (pickle.PicklingError, TypeError, AttributeError) as e:
            conn.send(("err", _safe(e), frame, logs))

    from pettingretro.host import Emulator

    try:
        emu = Emulator(
            spec["core"],
            spec["rom"],
            options=spec["options"],
            num_ports=spec["num_ports"],
            system_dir=spec["system_dir"],
            seed=spec["seed"],
        )
    except Exception as e:
        reply("err", _safe(e), 0)
        return
    try:
        state_size = len(emu.save_state())
    except errors.StateError:
        state_size = 0
    h, w = emu.screen_shape
    av = emu.av_info
    reply(
        "ok",
        {
            "system_info": emu.system_info,
            "av_info": av,
            "core_path": emu.core_path,
            "state_complete": emu.state_complete,
            "ram_size": len(emu.ram),
            "state_size": state_size,
            "pixels": max(av.max_width * av.max_height, av.base_width * av.base_height, h * w),
            "maps": _map_plan(emu),
        },
        0,
    )
    try:
        _, layout = conn.recv()  # ("attach", layout), then the memory's fd (SCM_RIGHTS)
        fd = recv_handle(conn)
    except (EOFError, OSError):
        return  # the parent is gone
    shm = mmap.mmap(fd, layout["size"])
    os.close(fd)
    worker = _Worker(emu, shm, layout, spec["checkpoint_every"])
    if worker.hdr[0] < 0:
        worker.save_checkpoint()  # the state right after loading, until a later one
    worker.ram_out()
    reply("ok", None, worker.frame)
    while True:
        try:
            ops, cmd, args = conn.recv()
        except (EOFError, OSError):
            break  # the parent is gone
        if cmd == "close":
            emu.close()
            reply("ok", None, 0)
            break
        try:
            worker.ram_in()
            if ops and cmd != "restore":
                worker.pending(ops)
            result = worker.run(cmd, args)
            if ops and cmd == "restore":  # held input needs the replayed paddles_config
                worker.pending(ops)
        except Exception as e:
            worker.ram_out()
            reply("err", _safe(e), worker.frame)
        else:
            worker.ram_out()
            reply("ok", result, worker.frame)
    conn.close()


# ---------------------------------------------------------------------------------- the parent


class _ForkServer:
    """A helper process that forks workers with pettingretro already imported.

    multiprocessing's own fork server runs the caller's ``__main__`` again in every child (so a
    script without an ``if __name__ == "__main__"`` guard would start itself recursively) and
    hides the children's exit status; this one does neither. It is started on first use, with
    this process's ``sys.path``, and ends when this process closes its end of the socket (or
    dies). Each worker gets this process's environment and working directory at the time of
    the request.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sock: socket.socket | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self.owner = -1

    def _ensure(self) -> socket.socket:
        mine = self.sock is not None and self.owner == os.getpid()
        if mine and self.proc is not None and self.proc.poll() is None:
            assert self.sock is not None
            return self.sock
        if mine and self.sock is not None:
            self.sock.close()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        code = (
            f"import sys; sys.path[:] = {sys.path!r}; "
            f"from pettingretro.isolation import _fork_server_main; "
            f"_fork_server_main({theirs.fileno()})"
        )
        # one BLAS thread: the server forks, and a thread pool does not survive a fork
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code],
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
            env=env,
        )
        theirs.close()
        self.sock, self.owner = ours, os.getpid()
        if ours.recv(1) != b"R":
            self.proc.kill()
            self.proc.wait()
            self.sock = None
            raise errors.CoreError(
                "the isolation fork server did not start (its error is on stderr above); "
                f"check that `{sys.executable} -c 'import pettingretro.host'` works"
            )
        return ours

    def spawn(self, spec: dict[str, Any]) -> _Handle:
        """Fork a worker running ``_serve(spec)``; returns its pipe, pid and status pipe."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        tmpdir = tempfile.mkdtemp(prefix="pettingretro-worker-")
        blob = pickle.dumps(dict(spec, tmpdir=tmpdir))
        try:
            with self.lock:
                sock = self._ensure()
                try:
                    socket.send_fds(sock, [struct.pack("<Q", len(blob)) + blob], [theirs.fileno()])
                    data, fds, _, _ = socket.recv_fds(sock, 8, 1)
                except OSError:
                    data, fds = b"", []
                if len(data) != 8 or len(fds) != 1:
                    for fd in fds:
                        os.close(fd)
                    self.sock = None  # a new server next time
                    raise errors.CoreError("the isolation fork server died; try again")
        except BaseException:
            ours.close()
            shutil.rmtree(tmpdir, ignore_errors=True)
            raise
        finally:
            theirs.close()
        pid = struct.unpack("<q", data)[0]
        return _Handle(Connection(ours.detach()), pid, fds[0], tmpdir)


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


def _fork_server_main(fd: int) -> None:
    """The fork server: fork a worker per request, report each worker's exit status."""
    import pettingretro.host  # noqa: F401  (what makes a fork cheap: the import is done once)

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sock = socket.socket(fileno=fd)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    status: dict[int, int] = {}  # worker pid -> write end of its status pipe

    def reap() -> None:
        while True:
            try:
                pid, st = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            w = status.pop(pid, None)
            if w is not None:
                with contextlib.suppress(OSError):
                    os.write(w, struct.pack("<i", os.waitstatus_to_exitcode(st)))
                os.close(w)

    sock.sendall(b"R")
    while True:
        ready, _, _ = select.select([fd, wake_r], [], [])
        if wake_r in ready:
            with contextlib.suppress(BlockingIOError):
                os.read(wake_r, 4096)
        reap()
        if fd not in ready:
            continue
        try:
            head, fds, _, _ = socket.recv_fds(sock, 8, 1)
            if len(head) < 8:
                break  # the client is gone
            if len(head) != 8 or len(fds) != 1:
                raise EOFError
            spec = pickle.loads(_recv_exact(sock, struct.unpack("<Q", head)[0]))
        except (EOFError, OSError):
            break
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the worker
            code = 1
            try:
                signal.set_wakeup_fd(-1)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                _no_core_dumps()
                for f in (fd, wake_r, wake_w, r, w, *status.values()):
                    os.close(f)
                os.environ.clear()
                os.environ.update(spec.pop("environ"))
                # what the host and the core write (core copies, saves) goes to a folder the
                # client removes once the worker is gone, however it ended
                tempfile.tempdir = os.environ["TMPDIR"] = spec.pop("tmpdir")
                with contextlib.suppress(OSError):
                    os.chdir(spec.pop("cwd"))
                _serve(Connection(fds[0]), spec)
                code = 0
            except BaseException:
                import traceback

                traceback.print_exc()
            finally:
                os._exit(code)
        os.close(fds[0])
        status[pid] = w
        socket.send_fds(sock, [struct.pack("<q", pid)], [r])
        os.close(r)
    # the client is gone; each worker ends when its own pipe closes
    for w in status.values():
        os.close(w)


class _Handle:
    """A worker as its client sees it: the pipe, the pid, and the status pipe the server fills."""

    def __init__(self, conn: Connection, pid: int, status_fd: int, tmpdir: str) -> None:
        self.conn: Connection | None = conn
        self.pid = pid
        self.status_fd = status_fd
        self.tmpdir = tmpdir
        self.exitcode: int | None = None
        self.ended = False
        self.clock = _cpu_clock(pid)

    def cpu_seconds(self) -> float | None:
        """CPU time the worker has used (all its threads, user and kernel); None if unknown."""
        if self.clock is None:
            return None
        try:
            return time.clock_gettime(self.clock)
        except OSError:  # it is gone
            return None

    def running(self) -> bool:
        """False once the worker has exited (a zombie the fork server is about to reap, or gone)."""
        if self.wait(0) is not None or self.ended:
            return False
        try:
            with open(f"/proc/{self.pid}/stat", "rb") as f:
                stat = f.read()
        except FileNotFoundError:
            return False
        except OSError:  # no /proc (macOS): assume it runs
            return True
        return stat[stat.rindex(b")") + 2 :][:1] not in (b"Z", b"X")

    def wait(self, timeout: float | None) -> int | None:
        """The exit status (negative: the signal), waiting up to ``timeout`` s; None if alive."""
        if not self.ended and self.status_fd >= 0:
            ready, _, _ = select.select([self.status_fd], [], [], timeout)
            if ready:
                data = os.read(self.status_fd, 4)
                self.ended = True
                self.exitcode = struct.unpack("<i", data)[0] if len(data) == 4 else None
        return self.exitcode

    def kill(self) -> None:
        if self.wait(0) is None and not self.ended:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)

    def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(OSError):
                self.conn.close()
            self.conn = None
        if self.status_fd >= 0:
            os.close(self.status_fd)
            self.status_fd = -1
        shutil.rmtree(self.tmpdir, ignore_errors=True)


_fork_server = _ForkServer()


def _cpu_clock(pid: int) -> int | None:
    """The id of ``pid``'s CPU-time clock (clock_getcpuclockid), or None where there is none."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        getcpuclockid = libc.clock_getcpuclockid
    except (OSError, AttributeError):  # macOS has no clock of another process's CPU time
        return None
    clock = ctypes.c_int()  # clockid_t
    if getcpuclockid(pid, ctypes.byref(clock)) != 0:
        return None
    return clock.value


def _no_core_dumps() -> None:
    """Make this (worker) process dump no core when it crashes.

    A crash is an outcome the client reports, not a bug to debug here; and writing a core of a
    process that has just mapped a lot of memory (Stella allocates 1.7 GB before it aborts on
    some garbage states) takes seconds, during which the dying worker keeps its pipe open and
    looks hung. RLIMIT_CORE stops core files; a core_pattern that pipes cores to a program
    (systemd-coredump, apport) ignores it, so on Linux the process also becomes non-dumpable.
    """
    import resource

    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None).prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)


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


def _round(n: int) -> int:
    return (n + _ALIGN - 1) // _ALIGN * _ALIGN


class IsolatedEmulator:
    """An :class:`~pettingretro.host.Emulator` in a worker process (see the module docstring).

    Args:
        core: a core name or a path to its library.
        rom: the ROM file.
        options: core option overrides.
        num_ports: controller ports the host serves (1 to 8).
        system_dir: the folder with BIOS files (default: the host's default, resolved here).
        seed: seeds the C library's random state the core sees while loading and resetting.
        label: the game's name for error messages (default: the ROM's file name).
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
            (this thread's CPU is busy while it waits; see the module docstring).

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
        from pettingretro.host import MAX_PORTS, default_system_dir

        self._closed = True  # until the worker is up
        self._proc: Any = None
        self._conn: Any = None
        self._fd = -1
        self._shm: mmap.mmap | None = None
        core_path = find_core(core)
        rom_path = Path(rom).absolute()  # the worker's working directory is the fork server's
        if not rom_path.is_file():
            raise errors.RomNotFoundError(f"ROM file '{rom_path}' does not exist")
        if not os.access(rom_path, os.R_OK):
            raise errors.RomNotFoundError(
                f"ROM file '{rom_path}' is not readable (check its permissions)"
            )
        if not 1 <= num_ports <= MAX_PORTS:
            raise ValueError(f"num_ports must be 1..{MAX_PORTS}, got {num_ports}")
        if not isinstance(checkpoint_every, int) or checkpoint_every < 0:
            raise ValueError(f"checkpoint_every must be an integer >= 0, got {checkpoint_every!r}")
        for name, value in (("timeout", timeout), ("wall_timeout", wall_timeout)):
            if value is not None and not (isinstance(value, (int, float)) and value > 0):
                raise ValueError(f"{name} must be a number of seconds > 0 or None, got {value!r}")
        self.label = label or rom_path.name
        self.num_ports = num_ports
        self.rom_path = rom_path
        self.timeout = timeout
        self.wall_timeout = (
            None
            if timeout is None
            else wall_timeout
            if wall_timeout is not None
            else max(_WALL_FACTOR * timeout, _WALL_MIN)
        )
        self._core_file = core_path.name
        self._spec = {
            "core": str(core_path),
            "rom": str(rom_path),
            "options": dict(options or {}),
            "num_ports": num_ports,
            # resolved here: the fork server's environment is the one it started with
            "system_dir": str(Path(system_dir) if system_dir is not None else default_system_dir()),
            "seed": seed,
            "checkpoint_every": checkpoint_every,
        }
        self._spin = _SPIN if spin else 0.0
        self._last = 1.0  # seconds the last call took
        self._busy = threading.Lock()
        self._frame = 0
        self._crash: EmulatorCrashed | None = None
        self._held = np.zeros(num_ports, np.uint16)
        self._moves: npt.NDArray[np.int32] | None = None
        self._dirty_buttons = False
        self._dirty_moves = False
        self._replay: dict[Any, tuple[str, tuple[Any, ...]]] = {}
        self._npaddles = 0
        self.restarts = 0
        info = self._start()
        self.core_path: Path = info["core_path"]
        self.system_info = info["system_info"]
        self.av_info = info["av_info"]
        self.state_complete: bool = info["state_complete"]
        layout = self._layout(info)
        self._fd = _anonymous_file(layout["size"])
        self._shm = mmap.mmap(self._fd, layout["size"])
        self._views(layout)
        self._hdr[0] = -1
        self._attach()

    # -------------------------------------------------------------- worker lifecycle

    def _layout(self, info: dict[str, Any]) -> dict[str, Any]:
        ram_size = int(info["ram_size"])
        screen_cap = max(int(info["pixels"]), 256 * 256) * 3
        slot_cap = 2 * int(info["state_size"]) + 4096 if info["state_size"] else 0
        ram = _HEADER
        screen = ram + _round(ram_size)
        slot0 = screen + _round(screen_cap)
        slot1 = slot0 + _round(slot_cap)
        end = slot1 + _round(slot_cap)
        spans = []
        for _, size in info["maps"][1]:
            spans.append((end, size))
            end += _round(size)
        return {
            "ram_size": ram_size,
            "screen_cap": screen_cap,
            "slot_cap": slot_cap,
            "ram": ram,
            "screen": screen,
            "slot0": slot0,
            "slot1": slot1,
            "spans": spans,
            "maps": info["maps"][0],
            "size": end,
        }

    def _views(self, layout: dict[str, Any]) -> None:
        shm = self._shm
        self._layout_info = layout
        self._hdr: npt.NDArray[np.int64] = np.ndarray(_HEADER // 8, np.int64, buffer=shm)
        self._ram: npt.NDArray[np.uint8] = np.ndarray(
            layout["ram_size"], np.uint8, buffer=shm, offset=layout["ram"]
        )
        self._screen: npt.NDArray[np.uint8] = np.ndarray(
            layout["screen_cap"], np.uint8, buffer=shm, offset=layout["screen"]
        )
        self._slots = [
            np.ndarray(layout["slot_cap"], np.uint8, buffer=shm, offset=layout[f"slot{k}"])
            for k in (0, 1)
        ]
        from pettingretro.host import MemoryDescriptor

        spans = [np.ndarray(n, np.uint8, buffer=shm, offset=o) for o, n in layout["spans"]]
        self._maps = []
        for fields, place in layout["maps"]:
            data = None
            if place is not None and place[0] == "ram":
                data = self._ram[place[1] : place[1] + place[2]]
            elif place is not None:
                data = spans[place[1]][place[2] : place[2] + place[3]]
            self._maps.append(MemoryDescriptor(**fields, data=data))

    def _start(self) -> dict[str, Any]:
        """Fork a worker and wait until the game is loaded; returns what the worker said."""
        spec = dict(self._spec, environ=dict(os.environ), cwd=os.getcwd())
        sent = time.monotonic()
        handle = _fork_server.spawn(spec)
        self._proc, self._conn = handle, handle.conn
        self._crash = None
        try:
            # a new process starts at 0 s of CPU time
            info: dict[str, Any] = self._receive("loading the ROM", sent, 0.0)
        except BaseException:
            self._reap()
            raise
        return info

    def _attach(self) -> None:
        """Hand the worker the shared memory block and wait for the first checkpoint."""
        try:
            sent, cpu = self._sent()
            self._conn.send(("attach", self._layout_info))
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
            status, payload, frame, logs = conn.recv()
        except (EOFError, OSError):
            raise self._crashed(doing) from None
        for level, text in logs:
            core_log.log(level, "[%s] %s", self._core_file, text)
        self._frame = frame
        if status == "err":
            raise payload
        return payload

    def _exit_status(self) -> int | None:
        """The worker's exit status, once it has ended (killing it if it lives on without a pipe).

        The fork server reports the status when it reaps the worker, which on a loaded machine
        can take a while: a worker that has exited is waited for (up to the wall-time backstop
        or a minute), one still running after a grace period is killed first.
        """
        proc: _Handle = self._proc
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
                else f"did not answer within {self.wall_timeout} s and was killed "
                "(it was blocked, using no CPU)"
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

    def _call(self, cmd: str, *args: Any) -> Any:
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
            ops: list[tuple[str, bytes]] = []
            if self._dirty_buttons:
                ops.append(("buttons", self._held.tobytes()))
                self._dirty_buttons = False
            if self._dirty_moves and self._moves is not None:
                ops.append(("paddles_move", self._moves.tobytes()))
                self._dirty_moves = False
            sent = time.perf_counter()
            since, cpu = self._sent()
            try:
                self._conn.send((tuple(ops), cmd, args))
            except (OSError, ValueError):
                raise self._crashed(f"running {cmd}") from None
            try:
                return self._receive(_DOING.get(cmd, f"running {cmd}"), since, cpu)
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
        self._call("restore", state, frame, list(self._replay.values()))
        self._frame = frame if state is not None else 0
        self.restarts += 1
        return self._frame

    def checkpoint(self) -> int:
        """Save a checkpoint now; returns its frame."""
        frame: int = self._call("checkpoint")
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
        self._call("call", "set_analog", (port, index, axis, value))
        self._replay[("set_analog", port, index, axis)] = ("set_analog", (port, index, axis, value))

    def step(self, frames: int = 1, *, video: bool = True) -> None:
        """Run ``frames`` frames with the held buttons (see Emulator.step)."""
        self._live()
        if frames < 1:
            raise ValueError(f"frames must be >= 1, got {frames}")
        self._call("step", frames, video)

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
        self._call("step_into", buttons.tobytes(), frames, shape, gray, video)
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
        self._call("call", "paddles_config", (offsets, int(low), int(high)))
        self._replay["paddles_config"] = ("paddles_config", (offsets, int(low), int(high)))
        self._npaddles = len(offsets)

    def paddles_set(self, values: Sequence[int]) -> None:
        """Place every paddle (clamped to the configured range) before the next frame."""
        self._call("call", "paddles_set", ([int(v) for v in values],))

    def paddles_move(self, deltas: npt.NDArray[np.int32]) -> None:
        """Move each paddle by ``deltas[i]`` every frame from now on (sent with the next call)."""
        self._live()
        self._moves = np.array(deltas, dtype=np.int32).reshape(-1)
        self._dirty_moves = True

    @property
    def paddles(self) -> list[int]:
        """Each host-owned paddle's position."""
        values: list[int] = self._call("get", "paddles")
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
        shape: tuple[int, int] = self._call("get", "screen_shape")
        return shape

    def _screen_into(self, out: npt.NDArray[np.uint8] | None, gray: bool) -> npt.NDArray[np.uint8]:
        self._live()
        shape = self._call("screen", gray, self._check_out(out, gray))
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
        data: npt.NDArray[np.uint8] = self._call("memory", kind)
        return data

    @property
    def memory_maps(self) -> list[Any]:
        """The memory map the core declared, as live views of shared memory like :attr:`ram`.

        Read-only regions (``flags & 1``, ROM) are not mirrored: their ``data`` is None.
        """
        self._live()
        return list(self._maps)

    # -------------------------------------------------------------- state

    def save_state(self) -> bytes:
        """The core's whole serialized state (retro_serialize)."""
        data: bytes = self._call("call", "save_state", ())
        return data

    def load_state(self, data: bytes | bytearray | memoryview) -> None:
        """Restore a state (see Emulator.load_state); it also becomes the checkpoint.

        Raises:
            StateError: wrong size, or the core rejected the bytes.
            EmulatorCrashed: the core died on them (Stella aborts on some corrupt states).
        """
        self._live()
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"state must be bytes, got {type(data).__name__}")
        self._call("load_state", bytes(data))

    def reset(self, *, hard: bool = False, seed: int = 0) -> None:
        """Return to the moment right after the game was loaded (see Emulator.reset)."""
        self._call("reset", hard, seed)

    # -------------------------------------------------------------- options

    def option_info(self, key: str) -> Any:
        """Everything known about one core option."""
        return self._call("call", "option_info", (key,))

    @property
    def options(self) -> dict[str, str]:
        """Current value of every core option, by key."""
        opts: dict[str, str] = self._call("get", "options")
        return opts

    def set_option(self, key: str, value: str) -> None:
        """Change a core option (replayed by restart())."""
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(
                f"core option key and value must be strings, got {type(key).__name__} and {type(value).__name__}"
            )
        self._call("call", "set_option", (key, value))
        self._replay[("set_option", key)] = ("set_option", (key, value))

    # -------------------------------------------------------------- lifecycle

    @property
    def closed(self) -> bool:
        """True after close() (a crashed emulator is not closed: restart() it)."""
        return self._closed and self._crash is None

    def close(self) -> None:
        """Stop the worker and free the shared memory. Idempotent."""
        if self._conn is not None and self._crash is None and not self._closed:
            with contextlib.suppress(Exception), self._busy:
                self._conn.send(((), "close", ()))
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


# ---------------------------------------------------------------------------------- measuring


def _throughput(seconds: float = 8.0, rounds: int = 12) -> None:
    """Print start cost, round-trip time and pong_v0 steps/s in-process and isolated.

    Run as ``python -m pettingretro.isolation [SECONDS]``: each configuration runs ``rounds``
    slices interleaved with the others; the best and the median slice are printed.
    """
    from pettingretro.envs import pong_v0
    from pettingretro.integration.roms import find_rom

    rom = find_rom("pong", None, files=("rom.bin",), ale_name="pong")
    times = []
    for _ in range(6):
        t0 = time.perf_counter()
        IsolatedEmulator("stella", rom).close()
        times.append(time.perf_counter() - t0)
    print(
        f"start+close: first {times[0] * 1000:.0f} ms (starts the fork server), then "
        + ", ".join(f"{t * 1000:.0f}" for t in times[1:])
        + " ms"
    )
    for spin in (False, True):
        with IsolatedEmulator("stella", rom, spin=spin) as emu:
            best = float("inf")
            for _ in range(5):
                t0 = time.perf_counter()
                for _ in range(500):
                    emu._call("get", "num_ports")
                best = min(best, (time.perf_counter() - t0) / 500)
            print(f"round trip of an empty call, spin={spin}: {best * 1e6:.0f} µs")

    results: dict[tuple[str, bool], list[float]] = {}
    envs = {
        (obs, iso): pong_v0.parallel_env(obs_type=obs, isolate=iso)
        for obs in ("ram", "rgb_image")
        for iso in (False, True)
    }
    rng = np.random.default_rng(0)
    acts = rng.integers(0, 6, size=(4096, 2))
    for _ in range(rounds):
        for key, env in envs.items():
            env.reset(seed=0)
            n = 0
            t0 = time.perf_counter()
            while time.perf_counter() - t0 < seconds / rounds:
                for _ in range(50):
                    a = acts[n % len(acts)]
                    env.step({"first_0": int(a[0]), "second_0": int(a[1])})
                    n += 1
                    if not env.agents:
                        env.reset()
            results.setdefault(key, []).append(n / (time.perf_counter() - t0))
    for obs in ("ram", "rgb_image"):
        a, b = results[(obs, False)], results[(obs, True)]
        for name, pick in (("best", max), ("median", statistics.median)):
            x, y = pick(a), pick(b)
            print(
                f"pong_v0 {obs:9s} {name:6s}: in-process {x:6.0f} steps/s, isolated {y:6.0f} "
                f"steps/s ({y / x:.2f}x)"
            )
    for env in envs.values():
        env.close()


if __name__ == "__main__":  # pragma: no cover
    # through the importable module: workers must find _serve as pettingretro.isolation._serve
    from pettingretro.isolation import _throughput as throughput

    throughput(float(sys.argv[1]) if len(sys.argv) > 1 else 6.0)
