#!/usr/bin/env python3
"""How close pettingretro's host comes to a core's own speed, and how it scales on 2 threads.

One run prints, per core (stella with ale-py's pong.bin; genesis_plus_gx with stable-retro's
Airstriker unless ``--cores stella``):

* ceiling   frames/s of the core in a plain C loop with trivial callbacks (bench/ceiling.c,
            compiled here with ``cc -O2``), on 1 thread and, as the machine's own scaling, on 2;
* ram       Emulator.set_buttons x2 + step(1, video=False) + a copy of emu.ram, per frame;
* rgb       Emulator.step_into(buttons, 1, out) into a preallocated (H, W, 3) array, per frame;
* step_many 8 emulators, 1 frame per call, num_threads=1 vs 2 (a C thread pool);
* threads   8 emulators on 1 vs 2 Python threads, each thread stepping its own emulators
            1 frame per call with step_into (the GIL is released inside the C call).

Every step draws a random action (nothing, B, A or a direction) for ports 0 and 1. The machine
this runs on is shared and noisy, so each figure is measured ``--rounds`` times, interleaved with
all the others, and the best round is reported; the 2-thread ratios are best/best.

Targets: ram >= 0.95 x ceiling, rgb >= 0.90 x ceiling, 2 threads >= 1.7 x 1 thread.

    python bench/host.py            # ~1.5 minutes
    python bench/host.py --quick    # ~15 s
    python bench/host.py --frames 3000 --cores stella
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pettingretro.cores import find_core  # noqa: E402
from pettingretro.host import MAX_PORTS, Button, Emulator, step_many  # noqa: E402

TARGETS = {"ram": 0.95, "rgb": 0.90, "threads": 1.7}
ACTIONS = [0] + [1 << b for b in (Button.B, Button.A, Button.UP, Button.DOWN, Button.LEFT, Button.RIGHT)]
TABLE = 4096  # random actions are drawn ahead of time, then cycled (a power of two)
CHUNK = 32  # steps between two looks at the clock


def package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        sys.exit(f"bench/host.py needs the '{name}' package (pip install {name.replace('_', '-')})")
    return Path(next(iter(spec.submodule_search_locations)))


def content(core: str) -> Path:
    if core == "stella":
        return package_dir("ale_py") / "roms" / "pong.bin"
    return package_dir("stable_retro") / "data" / "stable" / "Airstriker-Genesis-v0" / "rom.md"


def random_actions(seed: int, shape: tuple[int, ...]) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.array(ACTIONS, np.uint16)[rng.integers(0, len(ACTIONS), size=shape)]


class Budget:
    """Either a fixed number of frames or a wall-clock time per measurement."""

    def __init__(self, frames: int | None, seconds: float) -> None:
        self.frames = frames
        self.seconds = seconds

    def steps(self, frames_per_step: int) -> int | None:
        return None if self.frames is None else max(1, self.frames // frames_per_step)


def timed_loop(step: Callable[[int], None], budget: Budget, frames_per_step: int) -> float:
    """Call step(i) for i = 0, 1, ... within the budget; return frames per second."""
    n = budget.steps(frames_per_step)
    i = 0
    t0 = time.perf_counter()
    while True:
        stop = CHUNK if n is None else n - i
        for _ in range(min(stop, CHUNK)):
            step(i)
            i += 1
        el = time.perf_counter() - t0
        if (n is not None and i >= n) or (n is None and el >= budget.seconds):
            return i * frames_per_step / el


# ---------------------------------------------------------------------------- the ceiling


def build_ceiling(tmp: Path) -> Path | None:
    cc = shutil.which(os.environ.get("CC", "cc"))
    if cc is None:
        print("no C compiler (cc): the ceiling is skipped", file=sys.stderr)
        return None
    exe = tmp / "ceiling"
    subprocess.run(
        [cc, "-O2", "-o", str(exe), str(ROOT / "bench" / "ceiling.c"), "-ldl", "-lpthread"],
        check=True,
    )
    return exe


def ceiling(exe: Path, core: Path, rom: Path, budget: Budget, threads: int) -> float:
    cmd = [str(exe), str(core), str(rom), "--threads", str(threads)]
    if budget.frames is not None:
        cmd += ["--frames", str(max(1, budget.frames // threads))]
    else:
        cmd += ["--seconds", str(budget.seconds)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    m = re.search(r"fps=([0-9.]+)", out)
    if not m:
        raise RuntimeError(f"ceiling printed no fps: {out!r}")
    return float(m.group(1))


# ---------------------------------------------------------------------------- the host


def bench_ram(emu: Emulator, budget: Budget) -> float:
    acts = random_actions(1, (TABLE, 2)).tolist()
    obs = np.empty_like(emu.ram)
    set_buttons, step = emu.set_buttons, emu.step

    def one(i: int) -> None:
        a, b = acts[i & (TABLE - 1)]
        set_buttons(0, a)
        set_buttons(1, b)
        step(1, video=False)
        np.copyto(obs, emu.ram)

    return timed_loop(one, budget, 1)


def bench_rgb(emu: Emulator, budget: Budget) -> float:
    acts = random_actions(2, (TABLE, 2)).tolist()
    buttons = np.zeros(emu.num_ports, np.uint16)
    emu.step(1)
    out = np.empty((*emu.screen_shape, 3), np.uint8)
    step_into = emu.step_into

    def one(i: int) -> None:
        a, b = acts[i & (TABLE - 1)]
        buttons[0] = a
        buttons[1] = b
        step_into(buttons, 1, out)

    return timed_loop(one, budget, 1)


def bench_step_many(emus: list[Emulator], budget: Budget, threads: int, frames: int) -> float:
    n = len(emus)
    table = np.zeros((TABLE, n, MAX_PORTS), np.uint16)
    table[:, :, :2] = random_actions(3, (TABLE, n, 2))

    def one(i: int) -> None:
        step_many(emus, table[i & (TABLE - 1)], frames, num_threads=threads)

    return timed_loop(one, budget, n * frames)


def bench_py_threads(emus: list[Emulator], budget: Budget, threads: int, frames: int) -> float:
    """`threads` Python threads, each stepping its own share of `emus` in turn."""
    shares = [emus[t::threads] for t in range(threads)]
    counts = [0] * threads
    stop = threading.Event()
    start = threading.Barrier(threads + 1)
    per_thread = None if budget.frames is None else budget.frames // (threads * frames)

    def work(t: int) -> None:
        mine = shares[t]
        acts = random_actions(10 + t, (TABLE, len(mine), emus[0].num_ports))
        acts[:, :, 2:] = 0
        rows = [[np.ascontiguousarray(acts[k, j]) for j in range(len(mine))] for k in range(TABLE)]
        start.wait()
        k = 0
        while not stop.is_set():
            row = rows[k & (TABLE - 1)]
            for j, emu in enumerate(mine):
                emu.step_into(row[j], frames, None)
            k += 1
            if per_thread is not None and k * len(mine) >= per_thread:
                break
        counts[t] = k * len(mine) * frames

    pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for th in pool:
        th.start()
    start.wait()
    t0 = time.perf_counter()
    if budget.frames is None:
        time.sleep(budget.seconds)
        stop.set()
    for th in pool:
        th.join()
    return sum(counts) / (time.perf_counter() - t0)


# ---------------------------------------------------------------------------- driver


def run_core(core: str, args: argparse.Namespace, exe: Path | None) -> dict[str, float]:
    core_path = find_core(core)
    rom = content(core)
    budget = Budget(args.frames, args.seconds)
    emus = [Emulator(core, rom, seed=0) for _ in range(args.emulators)]
    for e in emus:
        e.step(30, video=False)
    solo = emus[0]

    measures: dict[str, Callable[[], float]] = {}
    if exe is not None:
        measures["ceiling"] = lambda: ceiling(exe, core_path, rom, budget, 1)
        measures["ceiling x2"] = lambda: ceiling(exe, core_path, rom, budget, 2)
    measures["ram"] = lambda: bench_ram(solo, budget)
    measures["rgb"] = lambda: bench_rgb(solo, budget)
    for t in (1, 2):
        measures[f"step_many {t}t"] = lambda t=t: bench_step_many(emus, budget, t, args.batch_frames)
    for t in (1, 2):
        measures[f"threads {t}t"] = lambda t=t: bench_py_threads(emus, budget, t, args.batch_frames)

    rounds: dict[str, list[float]] = {k: [] for k in measures}
    for _ in range(args.rounds):
        for name, fn in measures.items():
            rounds[name].append(fn())
    for e in emus:
        e.close()

    best = {k: max(v) for k, v in rounds.items()}
    print(f"\n== {core} / {rom.name}  ({args.rounds} rounds, {len(emus)} emulators for the thread figures, "
          f"{args.batch_frames} frame(s) per call)")
    print(f"{'measure':<14}{'best fps':>10}   rounds")
    for k, v in rounds.items():
        print(f"{k:<14}{best[k]:>10.0f}   " + " ".join(f"{x:.0f}" for x in v))

    def verdict(value: float, target: float) -> str:
        return "ok" if value >= target else "MISS"

    ratios: dict[str, float] = {}
    if "ceiling" in best:
        c = best["ceiling"]
        ratios["ram/ceiling"] = best["ram"] / c
        ratios["rgb/ceiling"] = best["rgb"] / c
        ratios["C 2t/1t (machine)"] = best["ceiling x2"] / c
        print(f"ram / ceiling        {ratios['ram/ceiling']:.3f}   (target {TARGETS['ram']}: "
              f"{verdict(ratios['ram/ceiling'], TARGETS['ram'])})")
        print(f"rgb / ceiling        {ratios['rgb/ceiling']:.3f}   (target {TARGETS['rgb']}: "
              f"{verdict(ratios['rgb/ceiling'], TARGETS['rgb'])})")
        print(f"step_many 1t/ceiling {best['step_many 1t'] / c:.3f}")
    for kind in ("step_many", "threads"):
        r = best[f"{kind} 2t"] / best[f"{kind} 1t"]
        ratios[f"{kind} 2t/1t"] = r
        print(f"{kind + ' 2t / 1t':<20} {r:.3f}   (target {TARGETS['threads']}: {verdict(r, TARGETS['threads'])})")
    if "ceiling" in best:
        print(f"C ceiling 2t / 1t    {ratios['C 2t/1t (machine)']:.3f}   (what this machine gives two "
              "bare copies of the core right now)")
    return best | ratios


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cores", default="stella,genesis_plus_gx", help="comma-separated: stella, genesis_plus_gx")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved repetitions of every figure (best is kept)")
    ap.add_argument("--seconds", type=float, default=1.2, help="wall time per figure per round")
    ap.add_argument("--frames", type=int, default=None, help="fixed frames per figure per round instead of a time")
    ap.add_argument("--emulators", type=int, default=8, help="emulators for the 2-thread figures")
    ap.add_argument("--batch-frames", type=int, default=1, help="frames per call in the 2-thread figures")
    ap.add_argument("--quick", action="store_true", help="one core, 2 short rounds (~15 s)")
    args = ap.parse_args()
    if args.quick:
        args.rounds = min(args.rounds, 2)
        args.seconds = min(args.seconds, 0.5)
        args.cores = args.cores.split(",")[0]
    if args.emulators < 2:
        ap.error("--emulators must be at least 2")

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="pettingretro-bench-") as tmp:
        exe = build_ceiling(Path(tmp))
        print(f"pettingretro host benchmark: {os.cpu_count()} CPUs, python {sys.version.split()[0]}, "
              f"{'fixed ' + str(args.frames) + ' frames' if args.frames else f'{args.seconds:g} s'} per figure")
        for core in args.cores.split(","):
            run_core(core.strip(), args, exe)
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
