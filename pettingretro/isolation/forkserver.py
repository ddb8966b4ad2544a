"""The fork server that starts workers, and a worker process as its client sees it.

multiprocessing's own fork server runs the caller's ``__main__`` again in every child (so a
script without an ``if __name__ == "__main__"`` guard would start itself recursively) and hides
the children's exit status; this one does neither. It is a helper process started on first use
with this process's ``sys.path``, that has imported pettingretro once (what makes a fork cheap);
it forks a worker per request, and reports each worker's exit status on a pipe of its own. It
ends when this process closes its end of the socket (or dies). Each worker gets this process's
environment and working directory at the time of the request, and a temporary folder of its own
(core copies, battery saves) that :meth:`WorkerProcess.close` removes. POSIX only (fork,
SCM_RIGHTS).
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import os
import pickle
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from multiprocessing.connection import Connection
from typing import NoReturn

from pettingretro import errors
from pettingretro.isolation import worker
from pettingretro.isolation.protocol import WorkerSpec


def _cpu_clock(pid: int) -> int | None:
    """The id of ``pid``'s CPU-time clock (clock_getcpuclockid), or None where there is none."""
    try:
        getcpuclockid = ctypes.CDLL(None, use_errno=True).clock_getcpuclockid
    except (OSError, AttributeError):  # macOS has no clock of another process's CPU time
        return None
    clock = ctypes.c_int()  # clockid_t
    if getcpuclockid(pid, ctypes.byref(clock)) != 0:
        return None
    return clock.value


class WorkerProcess:
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

    def wait(self, timeout: float | None) -> int | None:
        """The exit status (negative: the signal), waiting up to ``timeout`` s; None if alive."""
        if not self.ended and self.status_fd >= 0:
            ready, _, _ = select.select([self.status_fd], [], [], timeout)
            if ready:
                data = os.read(self.status_fd, 4)
                self.ended = True
                self.exitcode = struct.unpack("<i", data)[0] if len(data) == 4 else None
        return self.exitcode

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

    def kill(self) -> None:
        """SIGKILL the worker unless its exit status is in."""
        if self.wait(0) is None and not self.ended:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)

    def close(self) -> None:
        """Close the pipes and remove the worker's temporary folder."""
        if self.conn is not None:
            with contextlib.suppress(OSError):
                self.conn.close()
            self.conn = None
        if self.status_fd >= 0:
            os.close(self.status_fd)
            self.status_fd = -1
        shutil.rmtree(self.tmpdir, ignore_errors=True)


class _ForkServer:
    """The client's end of the fork server (one per process; see the module docstring)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sock: socket.socket | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self.owner = -1

    def _ensure(self) -> socket.socket:
        mine = self.sock is not None and self.owner == os.getpid()
        if mine and self.sock is not None and self.proc is not None and self.proc.poll() is None:
            return self.sock
        if mine and self.sock is not None:
            self.sock.close()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        code = (
            f"import sys; sys.path[:] = {sys.path!r}; "
            f"from pettingretro.isolation.forkserver import main; "
            f"main({theirs.fileno()})"
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

    def spawn(self, spec: WorkerSpec) -> WorkerProcess:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        tmpdir = tempfile.mkdtemp(prefix="pettingretro-worker-")
        blob = pickle.dumps(dataclasses.replace(spec, tmpdir=tmpdir))
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
        return WorkerProcess(Connection(ours.detach()), pid, fds[0], tmpdir)


_server = _ForkServer()


def spawn(spec: WorkerSpec) -> WorkerProcess:
    """Fork a worker running :func:`pettingretro.isolation.worker.serve` for ``spec``.

    Starts the fork server first if this process has none (or its server died).

    Raises:
        CoreError: the fork server cannot start or died.
    """
    return _server.spawn(spec)


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


def main(fd: int) -> None:
    """The fork server process: fork a worker per request, report each worker's exit status."""
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
            spec: WorkerSpec = pickle.loads(_recv_exact(sock, struct.unpack("<Q", head)[0]))
        except (EOFError, OSError):
            break
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            _child(spec, fds[0], (fd, wake_r, wake_w, r, w, *status.values()))
        os.close(fds[0])
        status[pid] = w
        socket.send_fds(sock, [struct.pack("<q", pid)], [r])
        os.close(r)
    # the client is gone; each worker ends when its own pipe closes
    for w in status.values():
        os.close(w)


def _child(spec: WorkerSpec, conn_fd: int, server_fds: tuple[int, ...]) -> NoReturn:
    """The forked worker: leave the server's state behind, serve, and exit (never return)."""
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        worker.no_core_dumps()
        for f in server_fds:
            os.close(f)
        os.environ.clear()
        os.environ.update(spec.environ)
        # what the host and the core write (core copies, saves) goes to a folder the client
        # removes once the worker is gone, however it ended
        tempfile.tempdir = os.environ["TMPDIR"] = spec.tmpdir
        with contextlib.suppress(OSError):
            os.chdir(spec.cwd)
        worker.serve(Connection(conn_fd), spec)
        code = 0
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        os._exit(code)
