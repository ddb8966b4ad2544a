"""Soak test: memory and file descriptors stay flat over millions of frames and thousands of envs.

Three phases, each measured after a warm-up (allocators and caches grow at first):

1. **frames**: 64 emulators in one process (Stella Pong by default) stepped with
   ``pettingretro.host.step_many`` on 2 C threads, many frames per call, random buttons each
   call; every 16th call (4th with ``--short``) also keeps the picture, reads it, and saves and reloads a state.
   10 million frames in all. Pass: RSS grows < 2% and the fd count does not grow.
2. **env cycles**: 10,000 ``pong_v0.parallel_env`` create / reset / step / close cycles.
   Pass: RSS grows < 2%, no fd growth, no core copy left mapped or on disk.
3. **isolated cycles**: ``IsolatedEmulator`` start / step / close (and some crashes and
   restarts, with the test core when a C compiler is there). Pass: no fd or process growth.

``--short`` (what ``tests/test_soak.py`` runs, ~30 s): 64 emulators x 300 frames, 150 env
cycles, 20 isolated cycles; the same checks with a 10% RSS bound (short runs amortise less).

Usage::

    PYTHONPATH=. python bench/soak.py            # the full soak (about an hour on 2 cores)
    PYTHONPATH=. python bench/soak.py --short
    PYTHONPATH=. python bench/soak.py --frames 1e6 --cycles 1000

Prints one line per checkpoint and a summary; exits 1 when a check fails.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pettingretro.host import MAX_PORTS, Emulator, step_many  # noqa: E402


def rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def core_maps() -> int:
    """Mappings of private core copies (each Emulator loads its own; close() must unmap it)."""
    with open("/proc/self/maps") as f:
        return sum("pettingretro-core-" in line for line in f)


def core_copies() -> int:
    """Files left in this process's folder of core copies (the host deletes each after dlopen)."""
    from pettingretro import host

    folder = host._scratch.get("cores")  # private, but a soak test may look
    return len(os.listdir(folder)) if folder and os.path.isdir(folder) else 0


def descendants() -> int:
    me = os.getpid()
    procs = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
            except OSError:
                continue
            procs.append((int(pid), int(stat.rsplit(")", 1)[1].split()[1])))
    kids = {p for p, pp in procs if pp == me}
    return len(kids) + sum(1 for _, pp in procs if pp in kids)


def pong_rom() -> Path:
    spec = importlib.util.find_spec("ale_py")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("soak: needs ale-py (its pong.bin)")
    return Path(next(iter(spec.submodule_search_locations))) / "roms" / "pong.bin"


class Check:
    """Collects pass/fail lines for the summary."""

    def __init__(self) -> None:
        self.failed: list[str] = []
        self.lines: list[str] = []

    def __call__(self, ok: bool, text: str) -> None:
        """Record one check and print it."""
        line = f"{'PASS' if ok else 'FAIL'}  {text}"
        self.lines.append(line)
        print(line, flush=True)
        if not ok:
            self.failed.append(text)


def growth(before: int, after: int) -> float:
    return (after - before) / before * 100 if before else 0.0


# --------------------------------------------------------------------------------------------


def phase_frames(args: argparse.Namespace, check: Check) -> None:
    rom = pong_rom()
    n = args.emulators
    t0 = time.perf_counter()
    emus = [Emulator("stella", rom, seed=i) for i in range(n)]
    print(f"frames: {n} emulators created in {time.perf_counter() - t0:.1f} s", flush=True)
    rng = np.random.default_rng(0)
    buttons = np.zeros((n, MAX_PORTS), np.uint16)
    step_many(emus, buttons, 1, video=True, num_threads=args.threads)  # a picture to size by
    screen = np.empty((*emus[0].screen_shape, 3), np.uint8)
    every = 4 if args.short else 16
    per_call = args.frames_per_call
    calls = max(1, -(-int(args.frames) // (n * per_call)))  # at least --frames
    warm = max(1, calls // 20) if not args.short else 2
    states = [e.save_state() for e in emus]
    base_rss = base_fd = 0
    peak = 0
    t_start = time.perf_counter()
    frames = 0
    last_print = 0.0
    for call in range(warm + calls):
        if call == warm:
            gc.collect()
            base_rss, base_fd = rss_kib(), fds()
            t_start, frames = time.perf_counter(), 0
            print(
                f"frames: baseline after {warm} warm-up calls: RSS {base_rss} KiB, {base_fd} fds",
                flush=True,
            )
        buttons[:, :2] = rng.integers(0, 1 << 16, size=(n, 2), dtype=np.uint16)
        video = call % every == every - 1
        step_many(emus, buttons, per_call, video=video, num_threads=args.threads)
        if video:
            i = int(rng.integers(n))
            emus[i].screen_rgb(screen)
            states[i] = emus[i].save_state()
            emus[(i + 1) % n].load_state(states[i])
        if call >= warm:
            frames += n * per_call
            rss = rss_kib()
            peak = max(peak, rss)
            now = time.perf_counter()
            if now - last_print > args.report_every or call == warm + calls - 1:
                last_print = now
                rate = frames / (now - t_start)
                print(
                    f"frames: {frames:>11,} run, {rate:7.0f} frames/s, RSS {rss} KiB "
                    f"({growth(base_rss, rss):+.2f}%), {fds()} fds",
                    flush=True,
                )
    elapsed = time.perf_counter() - t_start
    gc.collect()
    end_rss, end_fd = rss_kib(), fds()
    for e in emus:
        e.close()
    limit = 10.0 if args.short else 2.0
    print(
        f"frames: {frames:,} frames on {n} emulators, {args.threads} threads, {per_call} frames a "
        f"call, in {elapsed:.0f} s ({frames / elapsed:.0f} frames/s); RSS {base_rss} -> {end_rss} "
        f"KiB (peak {peak}); fds {base_fd} -> {end_fd}",
        flush=True,
    )
    check(
        growth(base_rss, end_rss) < limit,
        f"frames: RSS growth {growth(base_rss, end_rss):+.2f}% < {limit}%",
    )
    check(end_fd <= base_fd, f"frames: fds {base_fd} -> {end_fd}")


def phase_cycles(args: argparse.Namespace, check: Check) -> None:
    from pettingretro.envs import pong_v0

    cycles = int(args.cycles)
    warm = min(100, max(10, cycles // 20))

    def one(i: int) -> None:
        env = pong_v0.parallel_env(obs_type="ram" if i % 2 else "rgb_image")
        env.reset(seed=i)
        for _ in range(3):
            env.step({a: i % 6 for a in env.agents})
        env.close()

    for i in range(warm):
        one(i)
    gc.collect()
    base = (rss_kib(), fds(), core_maps(), core_copies())
    print(
        f"cycles: baseline after {warm} warm-up cycles: RSS {base[0]} KiB, {base[1]} fds, {base[2]} core maps, {base[3]} core copies",
        flush=True,
    )
    t0 = time.perf_counter()
    last = t0
    for i in range(cycles):
        one(warm + i)
        now = time.perf_counter()
        if now - last > args.report_every or i == cycles - 1:
            last = now
            print(
                f"cycles: {i + 1:>6} done, {(i + 1) / (now - t0):5.1f}/s, RSS {rss_kib()} KiB "
                f"({growth(base[0], rss_kib()):+.2f}%), {fds()} fds, {core_maps()} core maps",
                flush=True,
            )
    gc.collect()
    end = (rss_kib(), fds(), core_maps(), core_copies())
    elapsed = time.perf_counter() - t0
    limit = 10.0 if args.short else 2.0
    print(
        f"cycles: {cycles} env create/reset/step/close cycles in {elapsed:.0f} s "
        f"({elapsed / cycles * 1000:.1f} ms each); RSS {base[0]} -> {end[0]} KiB; fds {base[1]} -> "
        f"{end[1]}; core maps {base[2]} -> {end[2]}; core copies on disk {base[3]} -> {end[3]}",
        flush=True,
    )
    check(
        growth(base[0], end[0]) < limit,
        f"cycles: RSS growth {growth(base[0], end[0]):+.2f}% < {limit}%",
    )
    check(end[1] <= base[1], f"cycles: fds {base[1]} -> {end[1]}")
    check(end[2] <= base[2], f"cycles: core libraries mapped {base[2]} -> {end[2]}")
    check(end[3] <= base[3], f"cycles: core copies on disk {base[3]} -> {end[3]}")


def _faulty_core(tmp: Path) -> Path | None:
    cc = shutil.which("cc")
    if cc is None:
        return None
    src = REPO / "native" / "testcore" / "testcore.c"
    out = tmp / "testcore_libretro.so"
    proc = subprocess.run(
        [cc, "-shared", "-fPIC", "-O1", "-o", str(out), str(src)], capture_output=True
    )
    return out if proc.returncode == 0 else None


def phase_isolated(args: argparse.Namespace, check: Check) -> None:
    from pettingretro.isolation import EmulatorCrashed, IsolatedEmulator

    rom = pong_rom()
    cycles = int(args.isolated_cycles)
    with tempfile.TemporaryDirectory() as tmp:
        core = _faulty_core(Path(tmp))
        crash_rom = Path(tmp) / "crash.txt"
        crash_rom.write_text("crash_at=20\n")

        def one(i: int) -> None:
            if core is not None and i % 4 == 3:
                emu = IsolatedEmulator(core, crash_rom, checkpoint_every=5)
                try:
                    emu.step(30)
                except EmulatorCrashed:
                    emu.restart()
                    emu.reset()
                emu.step(2)
            else:
                emu = IsolatedEmulator("stella", rom)
                out = np.empty((210, 160, 3), np.uint8)
                emu.step_into(np.zeros(MAX_PORTS, np.uint16), 4, out)
            emu.close()

        for i in range(4):
            one(i)
        gc.collect()
        time.sleep(0.2)
        base = (fds(), descendants(), rss_kib())
        t0 = time.perf_counter()
        for i in range(cycles):
            one(i)
        gc.collect()
        time.sleep(0.2)
        end = (fds(), descendants(), rss_kib())
    elapsed = time.perf_counter() - t0
    print(
        f"isolated: {cycles} start/step/close cycles ({'a crash and restart in every 4th' if core else 'no C compiler: no crashes'}) "
        f"in {elapsed:.1f} s ({elapsed / cycles * 1000:.0f} ms each); fds {base[0]} -> {end[0]}; "
        f"processes {base[1]} -> {end[1]}; RSS {base[2]} -> {end[2]} KiB",
        flush=True,
    )
    check(end[0] <= base[0], f"isolated: fds {base[0]} -> {end[0]}")
    check(end[1] <= base[1], f"isolated: child processes {base[1]} -> {end[1]}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--short", action="store_true", help="the ~30 s version the tests run")
    p.add_argument("--frames", type=float, default=None, help="frames in all (default 1e7)")
    p.add_argument("--emulators", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument(
        "--frames-per-call", type=int, default=None, help="default 600 (100 with --short)"
    )
    p.add_argument("--cycles", type=float, default=None, help="env cycles (default 10000)")
    p.add_argument("--isolated-cycles", type=float, default=None, help="default 200")
    p.add_argument("--only", default="frames,cycles,isolated", help="phases to run")
    p.add_argument(
        "--report-every", type=float, default=None, help="seconds between progress lines"
    )
    args = p.parse_args(argv)
    short = args.short
    args.frames = args.frames if args.frames is not None else (64 * 300 if short else 1e7)
    args.frames_per_call = args.frames_per_call or (100 if short else 600)
    args.cycles = args.cycles if args.cycles is not None else (150 if short else 10000)
    args.isolated_cycles = (
        args.isolated_cycles if args.isolated_cycles is not None else (20 if short else 200)
    )
    args.report_every = (
        args.report_every if args.report_every is not None else (1e9 if short else 60.0)
    )
    check = Check()
    t0 = time.perf_counter()
    phases = {"frames": phase_frames, "cycles": phase_cycles, "isolated": phase_isolated}
    for name in args.only.split(","):
        phases[name](args, check)
    print(f"\nsoak: {time.perf_counter() - t0:.0f} s")
    for line in check.lines:
        print(line)
    return 1 if check.failed else 0


if __name__ == "__main__":
    sys.exit(main())
