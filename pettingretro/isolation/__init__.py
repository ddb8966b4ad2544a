"""An emulator in a worker process: a crashing core raises EmulatorCrashed here instead of killing us.

:class:`IsolatedEmulator` has the interface of :class:`pettingretro.host.Emulator`; the core runs
in a child process and every call becomes one message over a pipe. Nothing large travels over
the pipe: the worker copies the core's RAM, the screen and periodic checkpoints into a shared
memory block (an anonymous ``memfd``, so nothing is left behind on disk or in ``/dev/shm`` if
either side dies).

Crashes:
    A core that dies (SIGSEGV, SIGFPE, abort(), exit(), the OOM killer) or, with ``timeout=``,
    spends that much CPU time on a call without answering (or ``wall_timeout`` of wall time,
    blocked) raises :class:`EmulatorCrashed`, which names the game (``label``), the
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
    ``retro_serialize`` each.

RAM:
    :attr:`~IsolatedEmulator.ram` is a live uint8 view of shared memory that the worker
    refreshes after every call, so it always shows the state after the last step. Writes into
    it reach the core: before each call the worker compares the shared copy with the core's
    RAM and copies it in when they differ. The writable regions of
    :attr:`~IsolatedEmulator.memory_maps` (what integrations read variables from on cores that
    declare a map) are mirrored the same way; read-only ones (ROM) are not (their ``data`` is
    None). Each call therefore compares and copies the RAM and the mapped writable memory:
    nothing to speak of for a 2600 (128 bytes), more for a GBA (256 KiB of RAM and 260 KiB of
    other mapped memory; see ``docs/notes/isolation.md``).
    :meth:`~IsolatedEmulator.memory` returns the :attr:`ram` view for ``"system_ram"`` and a
    snapshot (a copy) for the other kinds.

Deferred input:
    :meth:`~IsolatedEmulator.set_buttons` and :meth:`~IsolatedEmulator.paddles_move` are
    checked here and sent with the next call (a step, usually), so a step of a paddle game is
    still a single round trip.

Start cost:
    Workers are forked from a fork server of our own (:mod:`~pettingretro.isolation.forkserver`),
    a helper process started on first use that has imported pettingretro once: the first
    isolated emulator pays for starting it, each later one only for a fork and loading the
    core, against the ~0.5 s import of pettingretro a ``spawn`` worker pays every time.
    Workers dump no core when they crash (a core of a big process takes seconds to write, and
    is not ours to leave behind); on Linux they are not dumpable, so a debugger of the same
    non-root user cannot attach either: run the core in process to debug it.

Throughput:
    One call is one round trip over the pipe; with ``spin=True`` (the default) the caller
    polls for answers due within a millisecond rather than sleeping (the worker never spins,
    so an idle isolated emulator costs no CPU). ``bench/isolation.py`` measures the start cost,
    the round trip and pong_v0 steps/s isolated against in process; measured figures are in
    ``docs/notes/isolation.md``.

One concept per module: :mod:`~pettingretro.isolation.protocol` (the commands and replies,
the shared memory layout), :mod:`~pettingretro.isolation.worker` (the worker process),
:mod:`~pettingretro.isolation.forkserver` (starting workers, their exit status and CPU time)
and :mod:`~pettingretro.isolation.client` (:class:`IsolatedEmulator`, :class:`IsolationOptions`).

Example:
    >>> from pettingretro.isolation import EmulatorCrashed, IsolatedEmulator
    >>> emu = IsolatedEmulator("stella", rom_path, label="pong")  # doctest: +SKIP
    >>> try:  # doctest: +SKIP
    ...     emu.step(60)
    ... except EmulatorCrashed:
    ...     emu.restart()
"""

from pettingretro.errors import EmulatorCrashed
from pettingretro.isolation.client import IsolatedEmulator, IsolationOptions

__all__ = ["EmulatorCrashed", "IsolatedEmulator", "IsolationOptions"]
