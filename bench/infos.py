#!/usr/bin/env python3
"""What the data.json variables in ``infos`` cost: a step with them over a step without them.

One env per game, stepped with random actions (drawn ahead of time), ``report_variables`` on and
off in interleaved slices of CPU time; the best slice of each counts. Target: with / without
<= 1.05 (the variables are read once per step by numpy, whatever the frameskip).

    python bench/infos.py            # 8 rounds x 0.5 s per setting and game
    python bench/infos.py --quick    # 3 rounds x 0.2 s
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pettingretro

GAMES = {
    "Airstriker-Genesis-v0": {"obs_type": "ram"},
    "pong_v0": {"obs_type": "ram"},
}


def steps_per_cpu_second(env: object, picks: np.ndarray, seconds: float, on: bool) -> float:
    env.report_variables = on  # type: ignore[attr-defined]
    agents = list(env.possible_agents)  # type: ignore[attr-defined]
    n = 0
    t0 = time.process_time()
    while time.process_time() - t0 < seconds:
        for row in picks[n % len(picks) : n % len(picks) + 16]:
            env.step(dict(zip(agents, row.tolist(), strict=True)))  # type: ignore[attr-defined]
            if not env.agents:  # type: ignore[attr-defined]
                env.reset()  # type: ignore[attr-defined]
        n += 16
    return n / (time.process_time() - t0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    rounds, seconds = (3, 0.2) if args.quick else (8, 0.5)
    print(f"{'game':<24} {'vars':>5} {'with':>10} {'without':>10}  steps per CPU-second")
    worst = 0.0
    for game, kw in GAMES.items():
        env = pettingretro.parallel_env(game, **kw)
        env.reset(seed=0)
        nvars = len(env.game.spec.variables)
        rng = np.random.default_rng(0)
        picks = rng.integers(
            0, env.action_space(env.possible_agents[0]).n, (4096, len(env.possible_agents))
        )
        best = {True: 0.0, False: 0.0}
        for _ in range(rounds):
            for on in (True, False):
                best[on] = max(best[on], steps_per_cpu_second(env, picks, seconds, on))
        env.close()
        ratio = best[False] / best[True]  # time with / time without
        worst = max(worst, ratio)
        print(
            f"{game:<24} {nvars:>5} {best[True]:>10,.0f} {best[False]:>10,.0f}  cost ratio {ratio:.3f}"
        )
    print(f"infos cost (time per step with variables / without): {worst:.3f} (target <= 1.05)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
