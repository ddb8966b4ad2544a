#!/usr/bin/env python3
"""What a tiles observation costs against an RGB one, measured in the same run (CPU time).

For each console with a tiles decoder (Game Boy, Game Boy Color, NES: our own test ROMs,
assembled here), one emulator steps one frame at a time in three interleaved settings:

* ``bare``: emulate only, no picture kept (the floor);
* ``rgb``: emulate and have C convert the frame into a preallocated (H, W, 3) array;
* ``tiles``: emulate without a picture, then decode the tile grid into a preallocated array.

The observation's cost is the setting's time per step minus ``bare``'s; the best of several
slices of CPU time counts. Target: tiles / rgb < 1 (cheaper). The whole-step ratio is printed
too, since emulation dominates a step on these small consoles.

    python bench/tiles.py            # 7 rounds x 0.4 s per setting and console
    python bench/tiles.py --quick    # 3 rounds x 0.15 s
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
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
        for _ in range(32):
            step()
        n += 32
    return (time.process_time() - t0) / n


def measure(emu: Emulator, rounds: int, seconds: float) -> dict[str, float]:
    """Best seconds per step of each setting, in interleaved rounds."""
    reader = tile_reader(emu)
    buttons = np.zeros(emu.num_ports, np.uint16)
    rgb = np.empty((*emu.screen_shape, 3), np.uint8)
    grid = np.empty((reader.rows, reader.cols), np.uint16)

    def bare() -> None:
        emu.step_into(buttons, 1, None)

    def with_rgb() -> None:
        emu.step_into(buttons, 1, rgb)

    def with_tiles() -> None:
        emu.step_into(buttons, 1, None)
        reader.grid(grid)

    settings = {"bare": bare, "rgb": with_rgb, "tiles": with_tiles}
    best = dict.fromkeys(settings, float("inf"))
    for _ in range(rounds):
        for key, fn in settings.items():
            best[key] = min(best[key], seconds_per_step(fn, seconds))
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    rounds, seconds = (3, 0.15) if args.quick else (7, 0.4)
    print(f"{'console':<10} {'bare us':>8} {'rgb us':>8} {'tiles us':>9}  obs cost tiles/rgb  step")
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for name, kw in CONSOLES.items():
            system = name.split("-")[0]
            rom = build_tiles_rom(system, Path(tmp), **kw)
            with Emulator(TILES_ROMS[system].core, rom) as emu:
                emu.step(60)  # past the ROM's VRAM fill
                best = measure(emu, rounds, seconds)
            rgb_cost = max(best["rgb"] - best["bare"], 1e-9)
            tiles_cost = best["tiles"] - best["bare"]
            ratio = tiles_cost / rgb_cost
            worst = max(worst, ratio)
            print(
                f"{name:<10} {best['bare'] * 1e6:>8.1f} {best['rgb'] * 1e6:>8.1f} "
                f"{best['tiles'] * 1e6:>9.1f}  {ratio:>17.2f}  {best['tiles'] / best['rgb']:.3f}"
            )
    print(
        f"tiles observation cost / rgb observation cost (worst console): {worst:.2f} (target < 1)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
