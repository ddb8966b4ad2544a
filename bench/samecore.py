#!/usr/bin/env python3
"""pettingretro against stable-retro on the same core and ROM: one env, and N envs, in one run.

Three consoles, each run by the very same libretro core file (stable-retro's wheel ships it,
pettingretro finds it there first):

* ``pong``       Atari 2600, stella: ale-py's ``pong.bin`` (the sha1 stable-retro's Pong wants),
                 two players, ALE's minimal Pong actions (stable-retro gets the same buttons)
* ``airstriker`` Genesis, genesis_plus_gx: ``Airstriker-Genesis-v0`` (the ROM in stable-retro)
* ``gb``         Game Boy, gambatte: pettingretro's input test ROM (assembled here by
                 ``pettingretro.testing.roms``; a small loop, so the host's share shows most),
                 given to both as one custom integration folder ``InputTest-GameBoy``

For each game, RGB observations, random actions, one frame per step:

* ``ours-1``   ``RetroParallelEnv`` (one env)
* ``retro-1``  ``stable_retro.make`` (one env)
* ``ours-N``   ``vector_env(game, N, num_threads=T)``: N emulators on T C threads, one process
* ``retro-N``  gymnasium's ``AsyncVectorEnv`` of N ``stable_retro.make``: stable-retro allows one
               emulator per process, so this is the only way it runs N at once

Every configuration runs in its own worker process, is warmed up, then measured in ``--rounds``
slices of ``--seconds`` interleaved with the others; the best slice counts. Figures are frames
per second (wall) and frames per CPU-second of the worker and its children (the
``AsyncVectorEnv`` workers count): on a shared machine the CPU figure moves less. One env is
compared per CPU-second, N envs by wall time (both sides use every core they can).

    python bench/samecore.py                  # 3 rounds x 2 s, N=8 on 2 threads: ~2 minutes
    python bench/samecore.py --quick          # 2 rounds x 0.7 s
    python bench/samecore.py --games pong --num-envs 16 --threads 2
    python bench/samecore.py --vector         # + vector_env 1 thread vs N parallel envs, 2t / 1t
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(1, str(BENCH))

from _timing import SkipConfig, Worker  # noqa: E402
from envs import RetroRunner, action_indices, retro_integration  # noqa: E402
from vector import Runner  # noqa: E402
from vector import worker as serve  # noqa: E402

SEED = 12345
TABLE = 1024  # pre-drawn random actions, cycled (a power of two)
GAMES = ("pong", "airstriker", "gb")
# targets from issue 16 (ratios of one run): one env per CPU-second, N envs by wall
TARGETS = {("pong", "1"): 1.1, ("airstriker", "1"): 1.3, ("airstriker", "N"): 2.2}


# ---------------------------------------------------------------------------- the games


def gb_folder(root: Path) -> Path:
    """One custom integration folder for the Game Boy test ROM, read by both libraries."""
    from pettingretro.testing.roms import TEST_ROMS, build_rom

    folder = root / "InputTest-GameBoy"
    folder.mkdir()
    rom = build_rom("gb", root)
    shutil.move(rom, folder / "rom.gb")
    sha = hashlib.sha1((folder / "rom.gb").read_bytes()).hexdigest()
    (folder / "rom.sha").write_text(sha + "\n")
    frame = 0xC000 + TEST_ROMS["gb"].frame_offset
    (folder / "data.json").write_text(
        json.dumps({"info": {"frame": {"address": frame, "type": "|u1"}}})
    )
    (folder / "scenario.json").write_text(
        json.dumps({"done": {"variables": {}}, "reward": {"variables": {"frame": {"reward": 1}}}})
    )
    (folder / "metadata.json").write_text(json.dumps({"default_state": None}))
    return folder


def pong_folder(root: Path) -> Path:
    """stable-retro's Pong integration with ale-py's pong.bin beside it (nothing in site-packages)."""
    return retro_integration(root) / "Pong-Atari2600-v0"


def game_source(game: str, root: Path) -> tuple[str, str, Path | None]:
    """(our env name, stable-retro's game name, a custom integration folder or None)."""
    if game == "pong":
        return "pong_v0", "Pong-Atari2600-v0", pong_folder(root)
    if game == "airstriker":
        return "Airstriker-Genesis-v0", "Airstriker-Genesis-v0", None
    if game == "gb":
        folder = gb_folder(root)
        return str(folder), "InputTest-GameBoy", folder
    raise SkipConfig(f"unknown game {game!r}")


def make_retro_env(game: str, folder: Path | None) -> Any:
    import stable_retro

    kwargs: dict[str, Any] = {"render_mode": None}
    if folder is not None:
        stable_retro.data.Integrations.add_custom_path(str(folder.parent))
        kwargs["inttype"] = stable_retro.data.Integrations.CUSTOM_ONLY
    if game == "Pong-Atari2600-v0":
        kwargs["players"] = 2
    return stable_retro.make(game, **kwargs)


def retro_actions(env: Any, game: str, seed: int) -> list[Any]:
    """Pre-drawn actions for one stable-retro env: Pong's minimal set as buttons, else random."""
    import numpy as np

    if game == "Pong-Atari2600-v0":
        acts: list[Any] = RetroRunner(env).acts[:TABLE]  # bench/envs.py's table; resets env
        return acts
    rng = np.random.default_rng(seed)
    shape = env.action_space.shape
    return [rng.integers(0, 2, shape).astype(np.int8) for _ in range(TABLE)]


def build(name: str, root: Path) -> Runner:
    import numpy as np

    game, kind, count, *rest = name.split("-")
    n = int(count)
    ours, retro_game, folder = game_source(game, root)
    r = Runner()
    r.frames = 1  # frames per step; the N-env runners set N
    if kind == "ours" and n == 1:
        from pettingretro.parallel.env import RetroParallelEnv
        from pettingretro.registry import resolve

        env = RetroParallelEnv(resolve(ours))
        env.reset(seed=SEED)
        agents = env.possible_agents
        k = int(env.action_space(agents[0]).n)
        rows = action_indices(k) if len(agents) == 2 else None
        if rows is None:
            draw = np.random.default_rng(SEED).integers(0, k, (TABLE, len(agents))).tolist()
            rows = draw
        table = [dict(zip(agents, row, strict=True)) for row in rows[:TABLE]]

        def step(i: int) -> None:
            env.step(table[i & (TABLE - 1)])
            if not env.agents:
                env.reset()

        r.step, r.close = step, env.close
    elif kind == "plain":  # N parallel envs stepped one after another: the vector env's reference
        from pettingretro.parallel.env import RetroParallelEnv
        from pettingretro.registry import resolve

        envs = [RetroParallelEnv(resolve(ours)) for _ in range(n)]
        for e in envs:
            e.reset(seed=SEED)
        agents = envs[0].possible_agents
        k = int(envs[0].action_space(agents[0]).n)
        draw = np.random.default_rng(SEED).integers(0, k, (TABLE, n, len(agents))).tolist()
        ptable = [[dict(zip(agents, a, strict=True)) for a in row] for row in draw]

        def pstep(i: int) -> None:
            for e, act in zip(envs, ptable[i & (TABLE - 1)], strict=True):
                e.step(act)
                if not e.agents:
                    e.reset()

        def pclose() -> None:
            for e in envs:
                e.close()

        r.frames, r.step, r.close = n, pstep, pclose
    elif kind == "ours":
        from pettingretro.vector import vector_env

        venv = vector_env(ours, n, num_threads=int(rest[0]), copy=False)
        venv.reset(seed=SEED)
        k = int(venv.single_action_space.n)  # type: ignore[attr-defined]
        vtable = np.random.default_rng(SEED).integers(0, k, (TABLE, venv.num_envs))
        r.frames = n
        r.step = lambda i: venv.step(vtable[i & (TABLE - 1)]) and None
        r.close = venv.close
    elif kind == "retro" and n == 1:
        env = make_retro_env(retro_game, folder)
        env.reset(seed=SEED)
        acts = retro_actions(env, retro_game, SEED)

        def rstep(i: int) -> None:
            _, _, term, trunc, _ = env.step(acts[i & (TABLE - 1)])
            if term or trunc:
                env.reset()

        r.step, r.close = rstep, env.close
    elif kind == "retro":
        import gymnasium

        def one(seed: int) -> Callable[[], Any]:
            return lambda: make_retro_env(retro_game, folder)

        venv = gymnasium.vector.AsyncVectorEnv([one(g) for g in range(n)])
        venv.reset(seed=SEED)
        probe = make_retro_env(retro_game, folder)
        per_env = [retro_actions(probe, retro_game, SEED + g) for g in range(n)]
        probe.close()
        batches = [np.stack([per_env[g][i] for g in range(n)]) for i in range(TABLE)]
        r.frames = n
        r.step = lambda i: venv.step(batches[i & (TABLE - 1)]) and None  # autoresets itself
        r.close = venv.close
    else:
        raise SkipConfig(f"unknown configuration {name!r}")
    return r


# ---------------------------------------------------------------------------- workers


def worker(name: str) -> None:
    with tempfile.TemporaryDirectory(prefix="pettingretro-samecore-") as tmp:
        serve(name, lambda n: build(n, Path(tmp)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--quick", action="store_true", help="2 rounds x 0.7 s")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--games", default=",".join(GAMES), help="comma-separated: " + ",".join(GAMES))
    ap.add_argument("--num-envs", type=int, default=8, help="N of the N-env figures")
    ap.add_argument("--threads", type=int, default=2, help="our C threads for N envs")
    ap.add_argument(
        "--vector",
        action="store_true",
        help="also: vector_env on 1 thread against N parallel envs stepped one by one",
    )
    args = ap.parse_args()
    if args.worker:
        worker(args.worker)
        return
    if args.quick:
        args.rounds, args.seconds = 2, 0.7
    games = [g for g in args.games.split(",") if g]
    bad = sorted(set(games) - set(GAMES))
    if bad:
        ap.error(f"unknown game(s) {', '.join(bad)}; choose from {', '.join(GAMES)}")
    n, t = args.num_envs, args.threads
    names = []
    for g in games:
        names += [f"{g}-ours-1", f"{g}-retro-1", f"{g}-ours-{n}-{t}", f"{g}-retro-{n}"]
        if args.vector:
            names += [f"{g}-plain-{n}", f"{g}-ours-{n}-1"]
    start = time.time()
    print(
        f"pettingretro vs stable-retro, same core and ROM: rgb, random actions, 1 frame per step; "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}"
    )
    print(f"  {args.rounds} interleaved rounds x {args.seconds} s; N = {n}, ours on {t} threads")
    workers = {}
    for name in names:
        w = Worker(__file__, name)
        w.first()
        workers[name] = w
    best: dict[str, dict[str, float]] = {}
    for _ in range(args.rounds):
        for name, w in workers.items():
            if w.skip:
                continue
            res = w(args.seconds)
            fps, cps = res["frames"] / res["wall"], res["frames"] / max(res["cpu"], 1e-9)
            b = best.setdefault(name, {"fps": 0.0, "cps": 0.0})
            b["fps"], b["cps"] = max(b["fps"], fps), max(b["cps"], cps)
    for w in workers.values():
        w.close()

    print(f"\n{'configuration':28} {'frames/s':>10} {'frames/cpu-s':>13}")
    for name, w in workers.items():
        if w.skip:
            print(f"{name:28} skipped: {w.skip}")
        else:
            print(f"{name:28} {best[name]['fps']:10.0f} {best[name]['cps']:13.0f}")
    print("\nratio (ours / stable-retro)          wall    cpu   target")
    for g in games:
        for count, label in ((1, "1"), (n, "N")):
            ours = f"{g}-ours-{count}" + (f"-{t}" if count > 1 else "")
            retro = f"{g}-retro-{count}"
            if ours not in best or retro not in best:
                continue
            wall = best[ours]["fps"] / best[retro]["fps"]
            cpu = best[ours]["cps"] / best[retro]["cps"]
            target = TARGETS.get((g, label))
            verdict = ""
            if target is not None:
                got = cpu if count == 1 else wall
                verdict = f">= {target} ({'cpu' if count == 1 else 'wall'}): "
                verdict += "ok" if got >= target else "MISS"
            what = "1 env" if count == 1 else f"{n} envs ({t} threads / AsyncVectorEnv)"
            print(f"  {g:10} {what:24} {wall:6.2f} {cpu:6.2f}   {verdict}")
    if args.vector:
        print(f"\nvector_env ({n} games)                        wall    cpu   target")
        for g in games:
            one, plain, many = f"{g}-ours-{n}-1", f"{g}-plain-{n}", f"{g}-ours-{n}-{t}"
            if one in best and plain in best:
                wall = best[one]["fps"] / best[plain]["fps"]
                cpu = best[one]["cps"] / best[plain]["cps"]
                ok = "ok" if cpu >= 0.95 else "MISS"
                print(
                    f"  {g:10} 1 thread / parallel envs   {wall:6.2f} {cpu:6.2f}   >= 0.95 (cpu): {ok}"
                )
            if one in best and many in best:
                wall = best[many]["fps"] / best[one]["fps"]
                ok = "ok" if wall >= 1.8 else "MISS"
                print(
                    f"  {g:10} {t} threads / 1 thread       {wall:6.2f}      -   >= 1.8 (wall): {ok}"
                )
    print(f"\ntotal {time.time() - start:.0f} s; load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
