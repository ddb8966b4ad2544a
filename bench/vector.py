#!/usr/bin/env python3
"""The vector env on the C thread pool against the Atari training pipelines users run today.

Every figure is emulated Pong frames per second (steps x games x frameskip), random actions,
with PettingZoo's recommended Atari preprocessing: frameskip 4 with a max over the last two
frames, grayscale, 84x84, 4 stacked frames, agent indicator, sticky actions 0.25.

* ours N games, T threads   ``pettingretro.vector.vector_env("pong_v0", N, num_threads=T,
                            **ATARI_PREPROCESSING)``, N in 1, 2, 4, 8, 16 and T in 1, 2
* supersuit 8 games         ``pettingzoo.atari.pong_v3`` + SuperSuit (max_observation, sticky_actions,
                            frame_skip, color_reduction, resize, frame_stack, agent_indicator),
                            ``pettingzoo_env_to_vec_env_v1`` + ``concat_vec_envs_v1(num_cpus=2)``
                            (needs ``supersuit`` and ``multi-agent-ale-py``; skipped without them)
* ale 8 envs, 2 threads     ale-py's ``AtariVectorEnv("pong")`` (single-agent; its own preprocessing,
                            the same frameskip 4, max-pool, 84x84 grayscale, stack 4): a reference
                            for what a C++ vector env gets from the same machine
* memory                    resident memory per extra game: 1 game, then 16 more, each stepped
* bare C M emus, T threads  the machine's own reference for the vector env's scaling:
                            bench/ceiling.c (compiled here with ``cc -O2``) on the same Stella
                            core and pong.bin, M = 8 and 16 private copies of the core split over
                            T = 1 and 2 threads as the C pool splits games, the vector env's
                            frameskip per emulator per step, then a barrier: what ``vector_env``
                            would get if the env cost nothing and the core's callbacks did nothing

Each configuration lives in its own worker process, built once and warmed up, then measured
``--rounds`` times for ``--seconds``, the rounds interleaved over all configurations; the best
round counts (the bare C rows: one ``--serve`` process each, in the same rounds, each measured
right after ours with as many games). Actions are drawn ahead of time and cycled. Resets happen
inside the clock (the vector envs reset games themselves). Shared machines are noisy: read the
ratios, and the load averages printed before and after the run. Ratios are best round over best
round; those next to the bare C reference also give the median of each round's own ratio (its
two figures measured seconds apart), which one busy spell moves less.

Targets: ours 2 threads / 1 thread >= 1.8 (8 and 16 games, issue 16); ours 8 games 2 threads / SuperSuit
8 games 2 CPUs >= 5; <= 8 MiB per extra game. The bare C 2 threads / 1 thread printed next to
ours says what the machine allowed in the same run; ours / bare C per (M, T) is the env's share
of the bare core's speed.

    python bench/vector.py            # 3 rounds x 1.5 s per configuration, ~1.5 minutes
    python bench/vector.py --quick    # 2 rounds x 0.6 s, ~40 s
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from _timing import SkipConfig, Worker, warm_up

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TABLE = 1024  # pre-drawn random actions, cycled
SEED = 12345
WARMUP_STEPS = 20
GAMES = (1, 2, 4, 8, 16)
THREADS = (1, 2)
REF_GAMES = 8
BARE_GAMES = (8, 16)  # the bare C reference's emulator counts (on each of THREADS)


_last_venv: list[Any] = []  # the vector env make_ours built last (for serial_share)


def ale_roms() -> Path:
    spec = importlib.util.find_spec("ale_py")
    if spec is None or not spec.submodule_search_locations:
        raise SkipConfig("ale-py is not installed (pip install ale-py)")
    return Path(next(iter(spec.submodule_search_locations))) / "roms"


class Runner:
    """A built, reset vector env: ``step(i)`` runs one batched step; ``frames`` per step."""

    frames: int
    step: Callable[[int], None]
    close: Callable[[], None]


class BareC:
    """bench/ceiling.c ``--serve``: M emulators on T threads, K frames each per step, a barrier.

    Measured in the driver's rounds like a :class:`~_timing.Worker` (same calls, same result).
    """

    def __init__(self, exe: Path, core: Path, rom: Path, emus: int, threads: int, k: int) -> None:
        self.name = f"bare-{emus}-{threads}"
        self.err: TextIO | None = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed in close()
        self.proc: subprocess.Popen[str] | None = subprocess.Popen(
            [str(exe), str(core), str(rom), "--emus", str(emus), "--threads", str(threads),
             "--barrier", "--frames-per-step", str(k), "--serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.err,
            text=True,
        )  # fmt: skip
        self.skip: str | None = None

    @classmethod
    def skipped(cls, name: str, why: str) -> BareC:
        """A row that cannot run here (no compiler, no core): ``skip`` says why."""
        self = cls.__new__(cls)
        self.name, self.skip, self.proc, self.err = name, why, None, None
        return self

    def _ask(self, request: str) -> dict[str, float]:
        assert self.proc is not None
        assert self.err is not None
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.write(request + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        m = re.match(r"frames=(\d+) seconds=([0-9.]+) cpu=([0-9.]+)", line)
        if not m:
            self.err.seek(0)
            raise RuntimeError(
                f"{self.name}: bench/ceiling.c printed {line!r} (exit {self.proc.poll()}): "
                + self.err.read().strip()[-500:]
            )
        return {"frames": int(m.group(1)), "wall": float(m.group(2)), "cpu": float(m.group(3))}

    def first(self) -> dict[str, Any]:
        """Wait until every copy is loaded and warm (one frame each); ``skip`` says if it failed."""
        if self.skip:
            return {}
        try:
            self._ask("f1")
        except (RuntimeError, OSError) as e:
            self.skip = str(e)
            return {}
        return {"ready": True}

    def __call__(self, seconds: float) -> dict[str, float]:
        """One measurement of ``seconds``."""
        return self._ask(f"{seconds}")

    def close(self) -> None:
        """End the program."""
        if self.proc is None or self.err is None:
            return
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            with contextlib.suppress(BrokenPipeError):  # the program may have died
                self.proc.stdin.close()
        self.proc.wait(timeout=60)
        self.err.close()


def bare_c(tmp: Path) -> tuple[Path, Path, Path] | str:
    """The ceiling program, core and ROM the vector env's Pong uses, or why there are none."""
    # bench/host.py's: where the Pong ROM is, and how the ceiling program is compiled
    from host import build_ceiling, content

    from pettingretro.cores import find_core

    try:
        rom = content("stella")
        core = find_core("stella")
        exe = build_ceiling(tmp)
    except SystemExit as e:  # host.py's helpers exit with why when a package is missing
        return str(e)
    except Exception as e:
        return f"{type(e).__name__}: {e}"
    if exe is None:
        return "no C compiler (cc)"
    return exe, Path(core), rom


def make_ours(games: int, threads: int) -> Runner:
    import numpy as np

    from pettingretro.vector import ATARI_PREPROCESSING, vector_env

    venv = vector_env("pong_v0", games, num_threads=threads, copy=False, **ATARI_PREPROCESSING)
    _last_venv[:] = [venv]
    venv.reset(seed=SEED)
    table = np.random.default_rng(SEED).integers(0, 6, (TABLE, venv.num_envs))
    r = Runner()
    r.frames = games * venv.frameskip
    r.step = lambda i: venv.step(table[i % TABLE]) and None
    r.close = venv.close
    return r


def make_supersuit(games: int) -> Runner:
    for module, package in (
        ("supersuit", "supersuit"),
        ("multi_agent_ale_py", "multi-agent-ale-py"),
    ):
        if importlib.util.find_spec(module) is None:
            raise SkipConfig(f"the SuperSuit pipeline needs '{package}' (pip install {package})")
    import warnings

    import numpy as np
    import supersuit as ss
    from pettingzoo.atari import pong_v3

    roms = str(ale_roms())

    def make_env() -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            env = pong_v3.parallel_env(auto_rom_install_path=roms)
        env = ss.max_observation_v0(env, 2)
        env = ss.sticky_actions_v0(env, repeat_action_probability=0.25)
        env = ss.frame_skip_v0(env, 4)
        env = ss.color_reduction_v0(env, mode="full")
        env = ss.resize_v1(env, 84, 84)
        env = ss.frame_stack_v1(env, 4)
        return ss.agent_indicator_v0(env, type_only=False)

    venv = ss.pettingzoo_env_to_vec_env_v1(make_env())
    venv = ss.concat_vec_envs_v1(venv, games, num_cpus=2, base_class="gymnasium")
    venv.reset(seed=SEED)
    table = np.random.default_rng(SEED).integers(0, 6, (TABLE, games * 2))
    r = Runner()
    r.frames = games * 4
    r.step = lambda i: venv.step(table[i % TABLE]) and None
    r.close = venv.close
    return r


def make_ale(games: int, threads: int) -> Runner:
    try:
        from ale_py.vector_env import AtariVectorEnv
    except ImportError as e:
        raise SkipConfig(
            f"ale-py has no AtariVectorEnv here ({e}); pip install 'ale-py>=0.10'"
        ) from None
    import numpy as np

    venv = AtariVectorEnv(
        "pong", games, num_threads=threads, repeat_action_probability=0.25, frameskip=4
    )
    venv.reset(seed=SEED)
    n = int(venv.single_action_space.n)
    table = np.random.default_rng(SEED).integers(0, n, (TABLE, games))
    r = Runner()
    r.frames = games * 4
    r.step = lambda i: venv.step(table[i % TABLE]) and None
    r.close = venv.close
    return r


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status (Linux only)")


def memory(kind: str) -> dict[str, Any]:
    """Resident MiB per extra game: one game, then 16 more, each stepped 30 times."""
    extra = 16
    runners = []
    marks = []
    for games in (1, extra):
        r = make_ours(games, 2) if kind == "ours" else make_ale(games, 2)
        for i in range(30):
            r.step(i)
        runners.append(r)
        marks.append(rss_mib())
    for r in runners:
        r.close()
    return {"first": marks[0], "per_game": (marks[1] - marks[0]) / extra}


def serial_share(games: int, seconds: float) -> dict[str, Any]:
    """On 1 thread: the share of wall time outside the C pool calls (they are what threads split).

    Amdahl's bound for 2 threads is then 1 / (s + (1 - s) / 2): what an idle 2-core machine
    gives at best, which a loaded machine cannot show.
    """
    import pettingretro.vector.env as vector_module

    inside = [0.0]

    def timed(fn: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                inside[0] += time.perf_counter() - t0

        return call

    vector_module.step_many = timed(vector_module.step_many)  # type: ignore[assignment]
    r = make_ours(games, 1)
    for i in range(WARMUP_STEPS):
        r.step(i)
    env = _last_venv[0]
    if env._prepared is not None:  # one prepared C call: frames, observations, their layout
        env._prepared = timed(env._prepared)
    inside[0] = 0.0
    m = measure(r, seconds, WARMUP_STEPS)
    r.close()
    s = 1 - inside[0] / m["wall"]
    return {"serial": s, "bound": 1 / (s + (1 - s) / 2), "c_obs": env._prepared is not None}


def build_runner(name: str) -> Runner:
    kind, *args = name.split("-")
    if kind == "ours":
        return make_ours(int(args[0]), int(args[1]))
    if kind == "supersuit":
        return make_supersuit(int(args[0]))
    if kind == "ale":
        return make_ale(int(args[0]), int(args[1]))
    raise SkipConfig(f"unknown configuration {name!r}")


def tree_cpu() -> float:
    """CPU seconds of this process and its children so far (SuperSuit steps games in children)."""
    total = time.process_time()
    me = os.getpid()
    tick = os.sysconf("SC_CLK_TCK")
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == me:  # ppid; utime and stime follow at 11 and 12
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def measure(runner: Runner, seconds: float, start: int) -> dict[str, float]:
    t0 = time.perf_counter()
    c0 = tree_cpu()
    i = start
    while True:
        for _ in range(4):
            runner.step(i)
            i += 1
        wall = time.perf_counter() - t0
        if wall >= seconds:
            break
    return {"frames": (i - start) * runner.frames, "wall": wall, "cpu": tree_cpu() - c0}


def worker(name: str, make: Callable[[str], Runner] | None = None) -> None:
    """Serve configuration ``name`` on stdin/stdout; ``make`` builds it (default: this script's)."""

    def build(out: TextIO) -> Runner | None:
        if name.startswith("memory-"):
            print(json.dumps(memory(name.split("-")[1])), file=out, flush=True)
            return None
        if name.startswith("serial-"):
            _, games, seconds = name.split("-")
            print(json.dumps(serial_share(int(games), float(seconds))), file=out, flush=True)
            return None
        runner = (make or build_runner)(name)
        for i in range(WARMUP_STEPS):
            runner.step(i)
        return runner

    out, runner = warm_up(build)
    if runner is None:
        return
    i = WARMUP_STEPS
    for line in sys.stdin:
        if line.strip():
            result = measure(runner, float(line), i)
            i += int(result["frames"] // runner.frames)
            print(json.dumps(result), file=out, flush=True)
    runner.close()


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=1.5)
    ap.add_argument("--quick", action="store_true", help="2 rounds of 0.6 s")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker)
        return
    if args.quick:
        args.rounds, args.seconds = 2, 0.6
    began = time.perf_counter()
    print(f"cpus {len(os.sched_getaffinity(0))}, load average {loadavg()} (before)")

    mem: dict[str, dict[str, Any]] = {}
    for kind in ("ours", "ale"):  # alone, before the speed workers exist
        w = Worker(__file__, f"memory-{kind}")
        mem[kind] = w.first()
        if w.skip:
            mem[kind] = {"skip": w.skip}
        w.close()

    serial: dict[int, dict[str, Any]] = {}
    for g in (8, 16):
        w = Worker(__file__, f"serial-{g}-{args.seconds}")
        serial[g] = w.first()
        if w.skip:
            serial[g] = {"skip": w.skip}
        w.close()

    from pettingretro.vector import ATARI_PREPROCESSING

    k = int(ATARI_PREPROCESSING["frameskip"])  # the vector env's frames per game per step
    tmp = tempfile.TemporaryDirectory(prefix="pr-vector-bench-")
    bare = bare_c(Path(tmp.name))
    names = []
    for g in GAMES:  # each bare C row measured next to ours with as many games
        names += [f"ours-{g}-{t}" for t in THREADS]
        names += [f"bare-{g}-{t}" for t in THREADS if g in BARE_GAMES]
    names += [f"supersuit-{REF_GAMES}", f"ale-{REF_GAMES}-2"]
    workers: dict[str, Worker | BareC] = {}
    for name in names:  # built one at a time: building is not measured
        w: Worker | BareC
        if name.startswith("bare-"):
            _, emus, threads = name.split("-")
            if isinstance(bare, str):
                w = BareC.skipped(name, bare)
            else:
                w = BareC(*bare, int(emus), int(threads), k)
        else:
            w = Worker(__file__, name)
        w.first()
        workers[name] = w
    best: dict[str, float] = {}
    cpu: dict[str, float] = {}
    busy: dict[str, float] = {}
    every: dict[str, list[float]] = {}  # wall fps of each round, in order
    for _ in range(args.rounds):
        for name, w in workers.items():
            if w.skip:
                continue
            r = w(args.seconds)
            fps = r["frames"] / r["wall"]
            every.setdefault(name, []).append(fps)
            if fps > best.get(name, 0.0):
                best[name] = fps
                cpu[name] = r["frames"] / r["cpu"] if r["cpu"] > 0 else float("nan")
                busy[name] = r["cpu"] / r["wall"]
    for w in workers.values():
        w.close()
    tmp.cleanup()

    print(
        f"\nPong frames/s, Atari preprocessing ({args.rounds} rounds x {args.seconds} s, best round)"
    )
    print(
        f"{'games':>6} {'1 thread':>10} {'2 threads':>10} {'2/1':>6}   {'frames/cpu-s (1t, 2t)':>22}"
    )
    for g in GAMES:
        one, two = best.get(f"ours-{g}-1"), best.get(f"ours-{g}-2")
        if one and two:
            print(
                f"{g:>6} {one:>10,.0f} {two:>10,.0f} {two / one:>6.2f}   "
                f"{cpu[f'ours-{g}-1']:>10,.0f} {cpu[f'ours-{g}-2']:>10,.0f}"
            )
    print()
    for name, label in ((f"supersuit-{REF_GAMES}", f"SuperSuit pipeline, {REF_GAMES} games, num_cpus=2"),
                        (f"ale-{REF_GAMES}-2", f"ALE AtariVectorEnv, {REF_GAMES} envs, 2 threads")):  # fmt: skip
        w = workers[name]
        if w.skip:
            print(f"{label:<48} skipped: {w.skip}")
        else:
            print(f"{label:<48} {best[name]:>10,.0f} frames/s {cpu[name]:>8,.0f} frames/cpu-s")
    for kind, label in (("ours", "ours"), ("ale", "ALE AtariVectorEnv")):
        m = mem[kind]
        if "skip" in m:
            print(f"memory per extra game, {label:<25} skipped: {m['skip']}")
        else:
            print(
                f"memory per extra game, {label:<25} {m['per_game']:>6.2f} MiB (first game: {m['first']:.0f} MiB RSS)"
            )
    print(
        f"\nbare C (bench/ceiling.c, Stella + pong.bin, a private core copy per emulator): "
        f"{k} frames per emulator per step, then a barrier"
    )
    for g in BARE_GAMES:
        for t in THREADS:
            name, label = f"bare-{g}-{t}", f"bare C {g} emus {t} thread{'s' if t > 1 else ''}"
            w = workers[name]
            if w.skip:
                print(f"{label:<48} skipped: {w.skip}")
            else:
                print(
                    f"{label:<48} {best[name]:>10,.0f} frames/s {cpu[name]:>8,.0f} frames/cpu-s"
                    f"  busy {busy[name]:.2f}"
                )

    print("\nratios")
    ours8 = best.get(f"ours-{REF_GAMES}-2")

    def line(
        text: str,
        value: float | None,
        target: float | None = None,
        below: bool = False,
        rounds: float | None = None,
    ) -> None:
        if value is None:
            print(f"  {text:<52} n/a")
            return
        verdict = ""
        if target is not None:
            ok = value <= target if below else value >= target
            verdict = (
                f"  (target {'<=' if below else '>='} {target:g}: {'met' if ok else 'MISSED'})"
            )
        if rounds is not None:
            verdict += f"  (median of each round's: {rounds:.2f})"
        print(f"  {text:<52} {value:6.2f}{verdict}")

    def paired(a: str, b: str) -> float | None:
        """Median over rounds of a's fps / b's fps in the same round (measured seconds apart)."""
        if len(every.get(a, ())) != len(every.get(b, ())) or not every.get(a):
            return None
        return statistics.median(x / y for x, y in zip(every[a], every[b], strict=True))

    for g in (8, 16):
        one, two = best.get(f"ours-{g}-1"), best.get(f"ours-{g}-2")
        line(
            f"ours {g} games: 2 threads / 1 thread",
            two / one if one and two else None,
            1.8,
            rounds=paired(f"ours-{g}-2", f"ours-{g}-1"),
        )
        sh = serial[g]
        if "bound" in sh:
            line(f"  bound on an idle machine (serial share {sh['serial']:.0%})", sh["bound"], 1.8)
        b1, b2 = best.get(f"bare-{g}-1"), best.get(f"bare-{g}-2")
        bare_ratio = b2 / b1 if b1 and b2 else None
        line(
            f"bare C {g} emus: 2 threads / 1 thread",
            bare_ratio,
            rounds=paired(f"bare-{g}-2", f"bare-{g}-1"),
        )
        bare_busy = busy.get(f"bare-{g}-2")
        if bare_busy is not None and bare_busy < 1.6:
            print(
                f"    note: the bare C on 2 threads kept only {bare_busy:.2f} cores busy: other work"
                " held a core, so 2 threads / 1 thread here is the machine's, not the env's"
            )
        line(
            "  ours 2t/1t as a share of it",
            two / one / bare_ratio if one and two and bare_ratio else None,
        )
        for t, ours_t, bare_t in ((1, one, b1), (2, two, b2)):
            line(
                f"  ours / bare C, {g} games, {t} thread{'s' if t > 1 else ''}",
                ours_t / bare_t if ours_t and bare_t else None,
                rounds=paired(f"ours-{g}-{t}", f"bare-{g}-{t}"),
            )
    ss_fps = best.get(f"supersuit-{REF_GAMES}")
    line(
        f"ours / SuperSuit pipeline ({REF_GAMES} games, 2 cpus)",
        ours8 / ss_fps if ours8 and ss_fps else None,
        5,
    )
    ours_cpu, ss_cpu = cpu.get(f"ours-{REF_GAMES}-2"), cpu.get(f"supersuit-{REF_GAMES}")
    line(
        "  the same in frames per CPU-second (load moves it less)",
        ours_cpu / ss_cpu if ours_cpu and ss_cpu else None,
    )
    ale_fps = best.get(f"ale-{REF_GAMES}-2")
    line(
        f"ours / ALE AtariVectorEnv ({REF_GAMES} games, 2 threads)",
        ours8 / ale_fps if ours8 and ale_fps else None,
    )
    line("ours MiB per extra game", mem["ours"].get("per_game"), 8, below=True)
    c_obs = any(sh.get("c_obs") for sh in serial.values())
    print(
        "\nobservations made "
        + (
            "on the C threads, in their final layout (host.PreparedStep)"
            if c_obs
            else "in numpy after the C step"
        )
    )
    print(f"load average {loadavg()} (after); {time.perf_counter() - began:.0f} s in all")


if __name__ == "__main__":
    main()
