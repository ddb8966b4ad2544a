"""The worker process: one Emulator, the shared memory block, and the loop that answers commands.

:func:`serve` runs in a process the fork server forked; it loads the game, answers
:class:`~pettingretro.isolation.protocol.Loaded`, maps the block the client sends, then answers
one :class:`~pettingretro.isolation.protocol.Request` at a time until told to close or its pipe
closes. Errors the host raises go back as they are (pickled); a crash of the core ends the
process, which is the client's to notice.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import mmap
import os
import pickle
import signal
import sys
from multiprocessing.connection import Connection
from multiprocessing.reduction import recv_handle
from typing import Any, NoReturn

import numpy as np
import numpy.typing as npt

from pettingretro import errors
from pettingretro.host import Emulator
from pettingretro.isolation import protocol as p

core_log = logging.getLogger("pettingretro.core")

_PR_SET_DUMPABLE = 4  # prctl(2)


def _unknown(value: NoReturn) -> NoReturn:
    # mypy proves this unreachable: every command and input type has its case
    raise TypeError(f"the worker does not know {value!r}")


class _Collect(logging.Handler):
    """Keeps the core's log records in the worker; each reply carries them to the client."""

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


def map_plan(emu: Emulator) -> p.MapPlan:
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
        if d is not None and len(d) and not m.flags & p.MEMDESC_CONST:
            a = _address(d)
            place = (
                ("ram", a - r0, len(d))
                if rn and r0 <= a and a + len(d) <= r0 + rn
                else ("addr", a, len(d))
            )
        descs.append((fields, place))
    spans: list[list[int]] = []
    for a, n in sorted({(q[1], q[2]) for _, q in descs if q is not None and q[0] == "addr"}):
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


class Worker:
    """The worker side: one Emulator, the shared memory block and what each command does."""

    def __init__(self, emu: Emulator, shm: mmap.mmap, layout: p.Layout, every: int) -> None:
        self.emu = emu
        self.layout = layout
        self.every = every
        self.since = 0
        self.offset = 0  # frames before the restored checkpoint (restart)
        self.hdr = np.ndarray(p.HEADER // 8, np.int64, buffer=shm)
        self.shm_ram = np.ndarray(layout.ram_size, np.uint8, buffer=shm, offset=layout.ram)
        self.screen = np.ndarray(layout.screen_cap, np.uint8, buffer=shm, offset=layout.screen)
        self.slots = [
            np.ndarray(layout.slot_cap, np.uint8, buffer=shm, offset=o) for o in layout.slots
        ]
        self.shm_spans = [
            np.ndarray(size, np.uint8, buffer=shm, offset=offset) for offset, size in layout.spans
        ]
        self.spans: list[npt.NDArray[np.uint8]] = []
        self.find_spans()

    def find_spans(self) -> None:
        """Views of the core's writable mapped memory (again after a reload: it may move)."""
        _, spans = map_plan(self.emu)
        if [n for _, n in spans] != [len(s) for s in self.shm_spans]:
            if self.shm_spans:
                core_log.warning("the core's memory map changed: memory_maps no longer follow it")
            self.spans = []
            return
        self.spans = [_memory_at(a, n) for a, n in spans]

    @property
    def frame(self) -> int:
        """The frame counter, counted on across restarts."""
        return int(self.emu.frame) + self.offset

    def view(self, shape: tuple[int, ...]) -> npt.NDArray[np.uint8]:
        """The start of the shared screen area as an array of ``shape``."""
        out: npt.NDArray[np.uint8] = self.screen[: int(np.prod(shape))].reshape(shape)
        return out

    def ram_in(self) -> None:
        """Copy the client's writes into the core's memory (which is still between calls)."""
        if self.layout.ram_size:
            ram = self.emu.ram
            n = min(len(ram), len(self.shm_ram))
            if ram[:n].tobytes() != self.shm_ram[:n].tobytes():  # 0.6 µs for 128 bytes
                ram[:n] = self.shm_ram[:n]
        for core, shared in zip(self.spans, self.shm_spans, strict=False):  # [] when moved
            if core.tobytes() != shared.tobytes():
                core[:] = shared

    def ram_out(self) -> None:
        """Copy the core's memory into the shared block for the client."""
        if self.emu.closed:
            return
        if self.layout.ram_size:
            ram = self.emu.ram
            n = min(len(ram), len(self.shm_ram))
            self.shm_ram[:n] = ram[:n]
        for core, shared in zip(self.spans, self.shm_spans, strict=False):  # [] when moved
            shared[:] = core

    def save_checkpoint(self, data: bytes | None = None) -> None:
        """Save ``data`` (default: the core's state now) into the slot not in use."""
        if self.layout.slot_cap == 0:
            return
        if data is None:
            try:
                data = self.emu.save_state()
            except errors.StateError:
                return
        if len(data) > self.layout.slot_cap:
            core_log.warning(
                "state of %d bytes does not fit the checkpoint slot (%d); keeping the last one",
                len(data),
                self.layout.slot_cap,
            )
            return
        k = 1 - int(self.hdr[0]) if self.hdr[0] >= 0 else 0
        self.slots[k][: len(data)] = np.frombuffer(data, np.uint8)
        self.hdr[1 + 2 * k] = len(data)
        self.hdr[2 + 2 * k] = self.frame
        self.hdr[0] = k  # written last: a torn checkpoint is never the active one
        self.since = 0

    def stepped(self) -> None:
        """Count a step; save the periodic checkpoint when it is due."""
        self.since += 1
        if self.every and self.since >= self.every:
            self.save_checkpoint()

    def take_input(self, inputs: tuple[p.Input, ...]) -> None:
        """Apply the input the client deferred to this call."""
        emu = self.emu
        for given in inputs:
            match given:
                case p.Buttons(masks):
                    for port, mask in enumerate(np.frombuffer(masks, np.uint16).tolist()):
                        emu.set_buttons(port, mask)
                case p.PaddleMotion(deltas):
                    emu.paddles_move(np.frombuffer(deltas, np.int32))
                case _:
                    _unknown(given)

    def setting(self, command: p.Setting) -> None:
        """Apply a command that configures the emulator (restart() replays these)."""
        emu = self.emu
        match command:
            case p.SetOption(key, value):
                emu.set_option(key, value)
            case p.SetAnalog(port, index, axis, value):
                emu.set_analog(port, index, axis, value)
            case p.PaddlesConfig(offsets, low, high):
                emu.paddles_config(offsets, low, high)
            case _:
                _unknown(command)

    def run(self, command: p.Command) -> Any:
        """Carry out one command; returns what the client's call returns."""
        emu = self.emu
        match command:
            case p.StepInto(buttons, frames, shape, gray, video):
                out = self.view(shape) if shape else None
                emu.step_into(
                    np.frombuffer(buttons, np.uint16), frames, out, gray=gray, video=video
                )
                self.stepped()
            case p.Step(frames, video):
                emu.step(frames, video=video)
                self.stepped()
            case p.Screen(gray, shape):
                if shape is None:
                    h, w = emu.screen_shape
                    shape = (h, w) if gray else (h, w, 3)
                (emu.screen_gray if gray else emu.screen_rgb)(self.view(shape))
                return shape
            case p.LoadState(data):
                emu.load_state(data)
                self.save_checkpoint(data)
            case p.Reset(hard, seed):
                emu.reset(hard=hard, seed=seed)
                if hard or not emu.state_complete:  # the game was reloaded: memory may have moved
                    self.find_spans()
                self.offset = 0
                self.save_checkpoint()
            case p.Checkpoint():
                self.save_checkpoint()
                return int(self.hdr[2 + 2 * int(self.hdr[0])]) if self.hdr[0] >= 0 else None
            case p.Restore(state, frame, replay):
                for setting in replay:
                    self.setting(setting)
                if state is not None:
                    if not emu.state_complete:
                        # Stella replays a state loaded before its first frame differently from
                        # the same state loaded later: run one frame first, as a used one has
                        emu.step(1, video=False)
                    emu.load_state(state)
                    self.offset = frame - int(emu.frame)
            case p.Memory(kind):
                return np.array(emu.memory(kind))
            case p.SaveState():
                return emu.save_state()
            case p.ScreenShape():
                return emu.screen_shape
            case p.Paddles():
                return emu.paddles
            case p.Options():
                return emu.options
            case p.OptionInfo(key):
                return emu.option_info(key)
            case p.SetOption() | p.SetAnalog() | p.PaddlesConfig():
                self.setting(command)
            case p.PaddlesSet(values):
                emu.paddles_set(values)
            case p.Ping():
                pass
            case p.Close():
                emu.close()
            case _:
                _unknown(command)
        return None


def no_core_dumps() -> None:
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


def serve(conn: Connection, spec: p.WorkerSpec) -> None:
    """The worker process: load the game, then answer commands until told to close."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the client's to handle
    collect = _Collect()
    core_log.addHandler(collect)
    core_log.setLevel(logging.DEBUG)
    core_log.propagate = False

    def reply(kind: type[p.Done] | type[p.Failed], value: Any, frame: int) -> None:
        logs = tuple(collect.records)
        collect.records.clear()
        try:
            conn.send(p.pack_reply(kind(value, frame, logs)))
        except (pickle.PicklingError, TypeError, AttributeError) as e:
            conn.send(p.pack_reply(p.Failed(_safe(e), frame, logs)))

    try:
        emu = Emulator(
            spec.core,
            spec.rom,
            options=spec.options,
            num_ports=spec.num_ports,
            system_dir=spec.system_dir,
            seed=spec.seed,
        )
    except Exception as e:
        reply(p.Failed, _safe(e), 0)
        return
    try:
        state_size = len(emu.save_state())
    except errors.StateError:
        state_size = 0
    h, w = emu.screen_shape
    av = emu.av_info
    loaded = p.Loaded(
        system_info=emu.system_info,
        av_info=av,
        core_path=emu.core_path,
        state_complete=emu.state_complete,
        ram_size=len(emu.ram),
        state_size=state_size,
        pixels=max(av.max_width * av.max_height, av.base_width * av.base_height, h * w),
        maps=map_plan(emu),
    )
    reply(p.Done, loaded, 0)
    try:
        attach: p.Attach = conn.recv()  # then the memory's fd (SCM_RIGHTS)
        fd = recv_handle(conn)
    except (EOFError, OSError):
        return  # the client is gone
    shm = mmap.mmap(fd, attach.layout.size)
    os.close(fd)
    worker = Worker(emu, shm, attach.layout, spec.checkpoint_every)
    if worker.hdr[0] < 0:
        worker.save_checkpoint()  # the state right after loading, until a later one
    worker.ram_out()
    reply(p.Done, None, worker.frame)
    while True:
        try:
            request = p.unpack(conn.recv())
        except (EOFError, OSError):
            break  # the client is gone
        command = request.command
        if isinstance(command, p.Close):
            emu.close()
            reply(p.Done, None, 0)
            break
        try:
            worker.ram_in()
            restore = isinstance(command, p.Restore)
            if request.input and not restore:
                worker.take_input(request.input)
            result = worker.run(command)
            if request.input and restore:  # held input needs the replayed paddles_config
                worker.take_input(request.input)
        except Exception as e:
            worker.ram_out()
            reply(p.Failed, _safe(e), worker.frame)
        else:
            worker.ram_out()
            reply(p.Done, result, worker.frame)
    conn.close()
