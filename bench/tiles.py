#!/usr/bin/env python3
"""What a tiles observation costs against an RGB one, measured in the same run (CPU time).

For each console with a tiles decoder (Game Boy, Game Boy Color, NES, SNES, Genesis, PC
Engine: our own test ROMs, assembled here), one emulator steps one frame at a time in four
interleaved settings:

* ``bare``: emulate only, no picture kept (the floor);
* ``rgb``: emulate and have C convert the frame into a preallocated (H, W, 3) array;
* ``state``: emulate without a picture, then serialize the state into a kept buffer
  (``save_state_into``): the floor of any decoder that reads the state;
* ``tiles``: emulate without a picture, then decode the tile grid into a preallocated array.

The observation's cost is the setting's time per step minus ``bare``'s; each setting's best
slice of CPU time counts. The observations cost a few microseconds of a 70-200 us step, so
the slices are short and many (a busy machine spoils a long slice every time, a short one only
now and then) and the settings take turns in a rotating order. Target: tiles / rgb < 1
(cheaper). The whole-step ratio is printed too, since emulation dominates a step on these
small consoles.

    python bench/tiles.py            # 150 rounds x 20 ms per setting and console
    python bench/tiles.py --quick    # 40 rounds x 10 ms
    python bench/tiles.py --callgrind  # instructions per step under valgrind instead (a few minutes)
    python bench/tiles.py --consoles snes,pce,genesis  # some consoles only

``--callgrind`` runs each setting over the same 300 frames (from one saved state) and counts
every instruction of the process between two client requests: a count the machine's load
cannot move, where CPU time on a shared machine moves by more than the observations cost.
"""

from __future__ import annotations

import argparse
import ctypes
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pettingretro.host import Emulator
from pettingretro.testing.roms import TILES_ROMS, build_tiles_rom
from pettingretro.tiles import tile_reader

CONSOLES = {
    "gb": {},
    "gb-color": {"color": True},
    "nes": {},
    "snes": {},
    "genesis": {},
    "pce": {},
}


def seconds_per_step(step: Callable[[], None], seconds: float) -> float:
    n = 0
    t0 = time.process_time()
    while time.process_time() - t0 < seconds:
        for _ in range(16):
            step()
        n += 16
    return (time.process_time() - t0) / n


def settings(emu: Emulator) -> dict[str, Callable[[], None]]:
    """The three settings' steps, each into its own preallocated observation."""
    reader = tile_reader(emu)
    buttons = np.zeros(emu.num_ports, np.uint16)
    rgb = np.empty((*emu.screen_shape, 3), np.uint8)
    grid = np.empty((reader.rows, reader.cols), np.uint16)
    state = np.empty(len(emu.save_state()) + 4096, np.uint8)

    def bare() -> None:
        emu.step_into(buttons, 1, None)

    def with_rgb() -> None:
        emu.step_into(buttons, 1, rgb)

    def with_state() -> None:
        emu.step_into(buttons, 1, None)
        emu.save_state_into(state)

    def with_tiles() -> None:
        emu.step_into(buttons, 1, None)
        reader.grid(grid)

    return {"bare": bare, "rgb": with_rgb, "state": with_state, "tiles": with_tiles}


def measure(emu: Emulator, rounds: int, seconds: float) -> dict[str, float]:
    """Best seconds per step of each setting, in interleaved rounds."""
    steps = list(settings(emu).items())
    best = dict.fromkeys(dict(steps), float("inf"))
    for n in range(rounds):
        k = n % len(steps)
        for key, fn in steps[k:] + steps[:k]:  # each goes first in turn
            best[key] = min(best[key], seconds_per_step(fn, seconds))
    return best


# --callgrind: instructions counted by valgrind between two client requests, which this tiny
# library makes (they are no-ops outside valgrind)
MARKS_C = """
#include <valgrind/callgrind.h>
void mark_begin(void) { CALLGRIND_ZERO_STATS; CALLGRIND_TOGGLE_COLLECT; }
void mark_end(const char *what) { CALLGRIND_TOGGLE_COLLECT; CALLGRIND_DUMP_STATS_AT(what); }
"""


def count(emu: Emulator, steps: int, name: str, marks: ctypes.CDLL) -> None:
    """Under callgrind: each setting runs the same ``steps`` frames (from one state), counted."""
    start = emu.save_state()
    for key, fn in settings(emu).items():
        emu.load_state(start)
        fn()  # the first call makes what later calls reuse
        emu.load_state(start)
        marks.mark_begin()
        for _ in range(steps):
            fn()
        marks.mark_end(f"{name}:{key}:{steps}".encode())


def consoles(tmp: Path, names: list[str]) -> Iterator[tuple[str, Emulator]]:
    for name in names:
        kw = CONSOLES[name]
        system = name.split("-")[0]
        rom = build_tiles_rom(system, tmp, **kw)
        with Emulator(TILES_ROMS[system].core, rom) as emu:
            emu.step(60)  # past the ROM's VRAM fill
            yield name, emu


def callgrind(steps: int, names: list[str]) -> dict[str, dict[str, float]]:
    """Run this script under callgrind (--callgrind-child) and read instructions per step."""
    valgrind, cc = shutil.which("valgrind"), shutil.which("cc")
    if not valgrind or not cc:
        sys.exit("--callgrind needs valgrind and a C compiler (cc) on PATH")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        (out / "marks.c").write_text(MARKS_C)
        subprocess.run(
            [cc, "-O2", "-shared", "-fPIC", "-o", out / "marks.so", out / "marks.c"], check=True
        )
        subprocess.run(
            [
                valgrind,
                "--tool=callgrind",
                "--collect-atstart=no",
                f"--callgrind-out-file={out / 'cg.out'}",
                sys.executable,
                __file__,
                "--callgrind-child",
                str(out / "marks.so"),
                "--steps",
                str(steps),
                "--consoles",
                ",".join(names),
            ],
            check=True,
            stderr=subprocess.DEVNULL,
        )
        found: dict[str, dict[str, float]] = {}
        for dump in out.glob("cg.out*"):
            text = dump.read_text(errors="replace")
            what = re.search(r"^desc: Trigger: Client Request: (\S+)", text, re.M)
            total = re.search(r"^(?:totals|summary): (\d+)", text, re.M)
            if what and total:
                name, key, n = what.group(1).split(":")
                found.setdefault(name, {})[key] = int(total.group(1)) / int(n)
    return {name: found[name] for name in names if name in found}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument(
        "--callgrind",
        action="store_true",
        help="count instructions under valgrind instead of timing (slow, but a busy machine "
        "cannot move it)",
    )
    ap.add_argument("--steps", type=int, default=300, help="steps per setting for --callgrind")
    ap.add_argument(
        "--consoles",
        default=",".join(CONSOLES),
        help=f"comma-separated consoles to measure (default: all of {', '.join(CONSOLES)})",
    )
    ap.add_argument("--callgrind-child", metavar="MARKS", help=argparse.SUPPRESS)
    args = ap.parse_args()
    names = [n.strip() for n in args.consoles.split(",") if n.strip()]
    unknown = [n for n in names if n not in CONSOLES]
    if unknown or not names:
        ap.error(f"unknown console(s) {', '.join(unknown)}; choose from {', '.join(CONSOLES)}")
    if args.callgrind_child:
        marks = ctypes.CDLL(args.callgrind_child)
        with tempfile.TemporaryDirectory() as tmp:
            for name, emu in consoles(Path(tmp), names):
                count(emu, args.steps, name, marks)
        return 0
    rounds, seconds = (40, 0.01) if args.quick else (150, 0.02)
    unit, scale = ("kIr", 1e-3) if args.callgrind else ("us", 1e6)
    print(
        f"{'console':<10} {'bare ' + unit:>9} {'rgb ' + unit:>9} {'state ' + unit:>10} "
        f"{'tiles ' + unit:>10}  obs cost tiles/rgb  state/rgb  step"
    )
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        if args.callgrind:
            results = callgrind(args.steps, names)
        else:
            results = {
                name: measure(emu, rounds, seconds) for name, emu in consoles(Path(tmp), names)
            }
        for name, best in results.items():
            rgb_cost = max(best["rgb"] - best["bare"], 1e-9)
            ratio = (best["tiles"] - best["bare"]) / rgb_cost
            floor = (best["state"] - best["bare"]) / rgb_cost
            worst = max(worst, ratio)
            print(
                f"{name:<10} {best['bare'] * scale:>9.1f} {best['rgb'] * scale:>9.1f} "
                f"{best['state'] * scale:>10.1f} {best['tiles'] * scale:>10.1f}  "
                f"{ratio:>17.2f}  {floor:>9.2f}  {best['tiles'] / best['rgb']:.3f}"
            )
    print(
        f"tiles observation cost / rgb observation cost (worst console): {worst:.2f} (target < 1)"
    )
    print(
        "state/rgb: serializing the state alone (save_state_into a kept buffer) against the rgb "
        "observation, the floor of a decoder that reads the state"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
