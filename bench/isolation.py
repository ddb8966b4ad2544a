#!/usr/bin/env python3
"""What running an emulator in a worker process costs: isolated against in process, one run.

Prints:

* start+close  seconds to create and close an IsolatedEmulator (Stella, pong.bin): the first
               starts the fork server, the later ones fork a worker and load the core;
* round trip   the best mean time of ``IsolatedEmulator.ping()`` (a call that does nothing),
               with ``spin=False`` (the caller sleeps until the answer) and ``spin=True``;
* pong_v0      steps/s (random actions, frameskip 1) of ``parallel_env(isolate=False)`` and
               ``isolate=True``, for ``ram`` and ``rgb_image`` observations: the best and the
               median of ``--rounds`` slices interleaved with each other, and steps per
               CPU-second (this process, plus the worker's CPU time for the isolated env, from
               ``/proc/<pid>/stat``), each with its isolated/in-process ratio.

Wall figures move with whatever else the machine runs; CPU figures much less. Compare the
ratios of one run, not figures across runs.

    python bench/isolation.py             # ~20 s
    python bench/isolation.py --seconds 2 --rounds 6
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pettingretro.envs import pong_v0  # noqa: E402
from pettingretro.integration.roms import find_rom  # noqa: E402
from pettingretro.isolation import IsolatedEmulator  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def worker_cpu(pid: int | None) -> float:
    """CPU seconds a worker has used (user + system), 0 where there is none or no /proc."""
    if pid is None:
        return 0.0
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(b")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def start_cost(rom: Path, n: int = 6) -> None:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        IsolatedEmulator("stella", rom).close()
        times.append(time.perf_counter() - t0)
    later = ", ".join(f"{t * 1000:.0f}" for t in times[1:])
    print(f"start+close: first {times[0] * 1000:.0f} ms (starts the fork server), then {later} ms")


def round_trip(rom: Path) -> None:
    for spin in (False, True):
        with IsolatedEmulator("stella", rom, spin=spin) as emu:
            best = float("inf")
            for _ in range(5):
                t0 = time.perf_counter()
                for _ in range(500):
                    emu.ping()
                best = min(best, (time.perf_counter() - t0) / 500)
            print(f"round trip of an empty call, spin={spin}: {best * 1e6:.0f} µs")


def steps(seconds: float, rounds: int) -> None:
    envs: dict[tuple[str, bool], Any] = {
        (obs, iso): pong_v0.parallel_env(obs_type=obs, isolate=iso)
        for obs in ("ram", "rgb_image")
        for iso in (False, True)
    }
    acts = np.random.default_rng(0).integers(0, 6, size=(4096, 2))
    wall: dict[tuple[str, bool], list[float]] = {k: [] for k in envs}
    cpu_steps = dict.fromkeys(envs, 0)
    cpu_time = dict.fromkeys(envs, 0.0)
    try:
        for _ in range(rounds):
            for key, env in envs.items():
                env.reset(seed=0)
                pid = getattr(env.emu, "pid", None)  # an isolated env's worker
                n = 0
                c0, w0 = time.process_time(), worker_cpu(pid)
                t0 = time.perf_counter()
                while time.perf_counter() - t0 < seconds / rounds:
                    for _ in range(50):
                        a = acts[n % len(acts)]
                        env.step({"first_0": int(a[0]), "second_0": int(a[1])})
                        n += 1
                        if not env.agents:
                            env.reset()
                wall[key].append(n / (time.perf_counter() - t0))
                cpu_time[key] += time.process_time() - c0 + worker_cpu(pid) - w0
                cpu_steps[key] += n
    finally:
        for env in envs.values():
            env.close()
    for obs in ("ram", "rgb_image"):
        a, b = wall[(obs, False)], wall[(obs, True)]
        for name, pick in (("best", max), ("median", statistics.median)):
            x, y = pick(a), pick(b)
            print(
                f"pong_v0 {obs:9s} {name:6s}: in-process {x:6.0f} steps/s, isolated {y:6.0f} "
                f"steps/s ({y / x:.2f}x)"
            )
        x = cpu_steps[(obs, False)] / cpu_time[(obs, False)]
        y = cpu_steps[(obs, True)] / cpu_time[(obs, True)]
        print(
            f"pong_v0 {obs:9s} per cpu-s: in-process {x:6.0f}, isolated {y:6.0f} "
            f"(both processes; {y / x:.2f}x)"
        )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--seconds", type=float, default=8.0, help="per configuration, in total")
    ap.add_argument("--rounds", type=int, default=12, help="interleaved slices")
    args = ap.parse_args()
    rom = find_rom("pong", None, files=("rom.bin",), ale_name="pong")
    start_cost(rom)
    round_trip(rom)
    steps(args.seconds, args.rounds)


if __name__ == "__main__":
    main()
