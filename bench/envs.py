#!/usr/bin/env python3
"""pettingretro's Pong envs against the references users would otherwise run, in one run.

Every figure is Pong (ale-py's ``pong.bin``), two agents, random actions, one frame per step:

* ours par rgb / ram   ``pettingretro.envs.pong_v0.parallel_env(obs_type=...)`` steps/s
* pz par rgb / ram     ``pettingzoo.atari.pong_v3.parallel_env(obs_type=...)`` steps/s (needs the
                       ``multi-agent-ale-py`` package; skipped, with the reason, without it)
* retro rgb / ram      ``stable_retro.make("Pong-Atari2600-v0", players=2)`` steps/s, on ale-py's
                       ``pong.bin`` (same sha1 as stable-retro's rom.sha; copied into a temporary
                       custom integration, nothing is written into site-packages)
* ours aec rgb         ``pettingretro.envs.pong_v0.env(obs_type="rgb_image")`` cycles/s, one
                       cycle = every agent stepped once with the usual
                       ``agent_iter`` / ``last()`` / ``step()`` loop

Fairness: each configuration lives in its own worker process (stable-retro allows one emulator
per process), built once and warmed up, then measured ``--rounds`` times in slices of
``--seconds``, the rounds interleaved over all configurations; the best round counts. Random
action indices are drawn ahead of time from the same seed for every env (stable-retro gets the
same minimal-set actions as button arrays) and cycled, so no RNG runs inside the timed loop.
Resets at episode end happen outside the clock. Two clocks: wall steps/s (the figure) and steps
per CPU-second of the worker, which other load on a shared machine moves far less; every ratio
is given on both, and when they disagree the machine was busy.

Targets: ours/pz >= 0.95 (rgb and ram), ours/retro >= 1.3 (rgb), aec/parallel >= 0.9 (rgb).

    python bench/envs.py              # 3 rounds x 2.5 s per configuration, ~1 minute
    python bench/envs.py --quick      # 2 rounds x 0.7 s, ~20 s
    python bench/envs.py --profile    # also: where one parallel step's time goes (~50 s more)
    python bench/envs.py --only ours-rgb,pz-rgb
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any, TextIO

from _timing import SkipConfig, Worker, warm_up

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TABLE = 4096  # pre-drawn random actions, cycled (a power of two)
CHUNK = 16  # steps between two looks at the clock
SEED = 12345
WARMUP_STEPS = 300

# name -> (label, unit)
CONFIGS: dict[str, tuple[str, str]] = {  # measured in this order: compared pairs side by side
    "ours-rgb": ("ours par rgb", "steps/s"),
    "aec-rgb": ("ours aec rgb", "cycles/s"),
    "pz-rgb": ("pz par rgb", "steps/s"),
    "retro-rgb": ("retro rgb", "steps/s"),
    "ours-ram": ("ours par ram", "steps/s"),
    "pz-ram": ("pz par ram", "steps/s"),
    "retro-ram": ("retro ram", "steps/s"),
}
# (numerator, denominator, target, description)
RATIOS = [
    ("ours-rgb", "pz-rgb", 0.95, "ours / PettingZoo, rgb"),
    ("ours-ram", "pz-ram", 0.95, "ours / PettingZoo, ram"),
    ("ours-rgb", "retro-rgb", 1.3, "ours / stable-retro, rgb"),
    ("ours-ram", "retro-ram", None, "ours / stable-retro, ram"),
    ("aec-rgb", "ours-rgb", 0.9, "AEC / parallel, rgb"),
]


def package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def ale_rom(name: str = "pong") -> Path:
    d = package_dir("ale_py")
    if d is None:
        raise RuntimeError("needs ale-py (pip install ale-py) for its ROMs")
    return d / "roms" / f"{name}.bin"


def action_indices(n: int = 6) -> list[list[int]]:
    """TABLE rows of one action index per agent (2 agents), the same for every env."""
    import numpy as np

    rng = np.random.default_rng(SEED)
    rows: list[list[int]] = rng.integers(0, n, size=(TABLE, 2)).tolist()
    return rows


# ---------------------------------------------------------------------------- workers
#
# A worker builds one env, then answers each line "SECONDS" on stdin with one JSON line
# {"steps": .., "wall": .., "cpu": .., "resets": ..}. Its first line is {"ready": true} or
# {"skip": "why"}.


class Runner:
    """Drives an env: ``step(i) -> bool`` (True when the episode ended) and ``reset()``."""

    steps_per_unit = 1  # AEC: agent steps per cycle

    def step(self, i: int) -> bool:
        """One step (an agent's turn for AEC) with the i-th pre-drawn action; True at episode end."""
        raise NotImplementedError

    def reset(self) -> None:
        """Start a new episode."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the env."""


class ParallelRunner(Runner):
    """A PettingZoo ParallelEnv (ours or PettingZoo's own), dicts of Python ints as actions."""

    def __init__(self, env: Any) -> None:
        self.env = env
        agents = env.possible_agents
        self.acts = [
            dict(zip(agents, row, strict=True))
            for row in action_indices(env.action_space(agents[0]).n)
        ]
        env.reset(seed=SEED)

    def step(self, i: int) -> bool:
        """See Runner.step."""
        env = self.env
        env.step(self.acts[i & (TABLE - 1)])
        return not env.agents

    def reset(self) -> None:
        """See Runner.reset."""
        self.env.reset()

    def close(self) -> None:
        """See Runner.close."""
        self.env.close()


class AECRunner(Runner):
    """The usual AEC loop; a unit is one cycle (every agent stepped once)."""

    def __init__(self, env: Any) -> None:
        self.env = env
        self.steps_per_unit = len(env.possible_agents)
        self.acts = [
            a for row in action_indices(env.action_space(env.possible_agents[0]).n) for a in row
        ]
        self.reset()

    def reset(self) -> None:
        """See Runner.reset."""
        self.env.reset(seed=SEED)
        self.it = iter(self.env.agent_iter())

    def step(self, i: int) -> bool:
        """See Runner.step."""
        env = self.env
        try:
            next(self.it)
        except StopIteration:
            return True
        _, _, term, trunc, _ = env.last()
        env.step(None if term or trunc else self.acts[i & (2 * TABLE - 1)])
        return False

    def close(self) -> None:
        """See Runner.close."""
        self.env.close()


class RetroRunner(Runner):
    """stable-retro's gymnasium env; the minimal-set indices become button arrays."""

    # ALE's minimal Pong set NOOP, FIRE, RIGHT, LEFT, RIGHTFIRE, LEFTFIRE as stable-retro buttons
    COMBOS: tuple[tuple[str, ...], ...] = (
        (),
        ("BUTTON",),
        ("RIGHT",),
        ("LEFT",),
        ("RIGHT", "BUTTON"),
        ("LEFT", "BUTTON"),
    )

    def __init__(self, env: Any) -> None:
        import numpy as np

        self.env = env
        buttons = env.buttons  # one player's buttons; the action is players x that
        nb = len(buttons)
        rows = []
        for a, b in action_indices(len(self.COMBOS)):
            v = np.zeros(env.action_space.shape, np.int8)
            for p, idx in enumerate((a, b)):
                for name in self.COMBOS[idx]:
                    v[p * nb + buttons.index(name)] = 1
            rows.append(v)
        self.acts = rows
        env.reset(seed=SEED)

    def step(self, i: int) -> bool:
        """See Runner.step."""
        _, _, term, trunc, _ = self.env.step(self.acts[i & (TABLE - 1)])
        return bool(term or trunc)

    def reset(self) -> None:
        """See Runner.reset."""
        self.env.reset()

    def close(self) -> None:
        """See Runner.close."""
        self.env.close()


def make_ours(obs_type: str, aec: bool = False) -> Runner:
    from pettingretro.envs import pong_v0

    if aec:
        return AECRunner(pong_v0.env(obs_type=obs_type))
    return ParallelRunner(pong_v0.parallel_env(obs_type=obs_type))


def make_pz(obs_type: str) -> Runner:
    if importlib.util.find_spec("multi_agent_ale_py") is None:
        raise SkipConfig(
            "PettingZoo's Atari envs need the 'multi-agent-ale-py' package "
            "(pip install multi-agent-ale-py)"
        )
    import warnings

    from pettingzoo.atari import pong_v3

    roms = ale_rom().parent
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        env = pong_v3.parallel_env(obs_type=obs_type, auto_rom_install_path=str(roms))
    return ParallelRunner(env)


def retro_integration(tmp: Path) -> Path:
    """A custom integration folder: stable-retro's Pong data plus ale-py's pong.bin as rom.a26."""
    import stable_retro

    src = Path(stable_retro.__file__).parent / "data" / "stable" / "Pong-Atari2600-v0"
    if not src.is_dir():
        raise SkipConfig(f"stable-retro has no Pong-Atari2600-v0 integration at {src}")
    rom = ale_rom()
    want = (src / "rom.sha").read_text().split()[0].strip()
    got = hashlib.sha1(rom.read_bytes()).hexdigest()
    if got != want:
        raise SkipConfig(f"{rom} has sha1 {got}, stable-retro wants {want}")
    dst = tmp / "Pong-Atari2600-v0"
    shutil.copytree(src, dst)
    shutil.copyfile(rom, dst / "rom.a26")
    return tmp


def make_retro(obs_type: str, tmp: Path) -> Runner:
    if importlib.util.find_spec("stable_retro") is None:
        raise SkipConfig("needs the 'stable-retro' package (pip install stable-retro)")
    import stable_retro

    ints = stable_retro.data.Integrations
    ints.add_custom_path(str(retro_integration(tmp)))
    obs = stable_retro.Observations.RAM if obs_type == "ram" else stable_retro.Observations.IMAGE
    env = stable_retro.make(
        "Pong-Atari2600-v0", players=2, inttype=ints.CUSTOM_ONLY, obs_type=obs, render_mode=None
    )
    return RetroRunner(env)


def measure(runner: Runner, seconds: float) -> dict[str, float]:
    """Step for ``seconds`` of stepping time; resets are done with the clock stopped."""
    step = runner.step
    i = 0
    resets = 0
    wall = cpu = 0.0
    done = False
    while wall < seconds:
        c0 = time.process_time()
        t0 = time.perf_counter()
        for _ in range(CHUNK):
            done = step(i)
            i += 1
            if done:
                break
        wall += time.perf_counter() - t0
        cpu += time.process_time() - c0
        if done:
            runner.reset()
            resets += 1
            done = False
    units = i / runner.steps_per_unit
    return {"steps": units, "wall": wall, "cpu": cpu, "resets": resets}


def worker(name: str) -> None:
    with tempfile.TemporaryDirectory(prefix="pettingretro-bench-") as tmp:

        def build(out: TextIO) -> Runner:
            kind, obs = name.split("-")
            obs_type = "ram" if obs == "ram" else "rgb_image"
            if kind == "ours":
                runner = make_ours(obs_type)
            elif kind == "aec":
                runner = make_ours(obs_type, aec=True)
            elif kind == "pz":
                runner = make_pz(obs_type)
            elif kind == "retro":
                runner = make_retro(obs_type, Path(tmp))
            else:
                raise SkipConfig(f"unknown configuration {name!r}")
            for i in range(WARMUP_STEPS):
                if runner.step(i):
                    runner.reset()
            return runner

        out, runner = warm_up(build)
        if runner is None:
            return
        for line in sys.stdin:
            if not line.strip():
                continue
            print(json.dumps(measure(runner, float(line))), file=out, flush=True)
        runner.close()


# ---------------------------------------------------------------------------- the profile


def _cpu_us(fn: Callable[[int], Any], secs: float, rounds: int = 3) -> float:
    """CPU microseconds per call of fn(i): best of ``rounds`` slices of ``secs / rounds`` CPU-seconds.

    CPU time, not wall time: other processes on a shared machine barely move it.
    """
    best = float("inf")
    n = 0
    for _ in range(rounds):
        k = 0
        c0 = time.process_time()
        while True:
            for _ in range(32):
                fn(n)
                n += 1
                k += 1
            el = time.process_time() - c0
            if el >= secs / rounds:
                break
        best = min(best, el / k)
    return best * 1e6


def _row(name: str, us: float, whole: float, indent: int = 2) -> None:
    print(f"{' ' * indent}{name:<{64 - indent}}{us:8.1f} us {100 * us / whole:6.1f}%")


def _profile_ours(obs_type: str, seconds: float) -> None:
    import cProfile
    import pstats
    import statistics

    import numpy as np

    from pettingretro.envs import pong_v0

    env = pong_v0.parallel_env(obs_type=obs_type)
    runner = ParallelRunner(env)
    emu = env.emu
    assert emu is not None
    acts = runner.acts
    n_actions = int(env.action_spaces["first_0"].n)
    idx_rows = [np.array(r, np.intp) for r in action_indices(n_actions)]
    inputs = [env.controls.apply(r) for r in idx_rows]
    shape = tuple(env.observation_spaces["first_0"].shape or ())
    ram_obs = obs_type == "ram"
    step_into, paddles_move = emu.step_into, emu.paddles_move

    def emulate(m: Any, d: Any) -> Any:
        """What the env's emulation does, through the public host API."""
        paddles_move(d)
        if ram_obs:
            step_into(m, 1, None)
            return emu.ram.copy()
        out = np.empty(shape, np.uint8)
        step_into(m, 1, out)
        return out

    def whole(i: int) -> None:
        if runner.step(i):
            runner.reset()

    done_check = hasattr(env, "_read_values") and hasattr(env, "_scenario")

    def floor(i: int) -> None:
        m, d = inputs[i & (TABLE - 1)]
        emulate(m, d)
        if not i & 63:  # a finished game runs cheaper frames: start a new one
            if done_check:
                values = env._read_values()
                if env._scenario.done(values, values):
                    env.reset()
            elif not i & 1023:
                env.reset()

    def python_alone(i: int) -> None:
        emu.step_into = emu.paddles_move = lambda *a, **k: None  # type: ignore[method-assign,assignment]
        try:
            env.step(acts[i & (TABLE - 1)])
        finally:
            del emu.step_into, emu.paddles_move
        if not env.agents:
            env.reset()

    # 1. CPU time per step, interleaved so that a change in the machine's load hits all alike
    w = f = py = float("inf")
    for _ in range(3):
        w = min(w, _cpu_us(whole, seconds / 3))
        f = min(f, _cpu_us(floor, seconds / 3))
        py = min(py, _cpu_us(python_alone, seconds / 9))
    env.reset()
    print(f"-- ours, obs_type={obs_type}: CPU time per step")
    _row("whole env.step", w, w)
    what = " + ram.copy()" if ram_obs else " (frame + RGB)"
    _row(f"emulator: paddles_move + step_into{what}", f, w)
    _row("Python alone: env.step with those 2 calls stubbed out", py, w)
    _row("=> whole - emulator", w - f, w)
    _row("=> whole - emulator - Python alone (cache effects, noise)", w - f - py, w)

    # 2. sections of real steps, by the env's public inputs() / outcome() split
    if hasattr(env, "inputs") and hasattr(env, "outcome"):
        clock = time.perf_counter_ns
        n = max(2000, int(seconds * 1500))
        sec: dict[str, list[int]] = {
            "inputs()": [],
            "emulator": [],
            "outcome()": [],
            "whole step()": [],
        }
        for i in range(n):
            t0 = clock()
            m, d = env.inputs(acts[i & (TABLE - 1)])
            t1 = clock()
            obs = emulate(m, d)
            t2 = clock()
            env.outcome(obs)
            t3 = clock()
            if not env.agents:
                env.reset()
            t4 = clock()
            env.step(acts[(i + 7) & (TABLE - 1)])
            t5 = clock()
            if not env.agents:
                env.reset()
            for times, t in zip(sec.values(), (t1 - t0, t2 - t1, t3 - t2, t5 - t4), strict=True):
                times.append(t)
        med = {k: statistics.median(v) / 1000 for k, v in sec.items()}
        total = med["whole step()"]
        print(f"-- ours, obs_type={obs_type}: sections of {n} real steps, wall clock, median")
        for k, v in med.items():
            _row(k, v, total)
        rest = total - med["inputs()"] - med["emulator"] - med["outcome()"]
        _row("step() beyond its three parts (checks, lock)", rest, total)

    # pieces of the Python part, each alone (they read private parts: n/a once those change)
    short = seconds / 12
    values = env._read_values() if hasattr(env, "_read_values") else {}
    rew = np.zeros(2)

    def rewards_piece(i: int) -> Any:
        return [np.zeros(2)] + [env._scenario.rewards[p](values, values) for p in range(2)]

    def rules_piece(i: int) -> Any:
        return env._rules.step(values, values, rew, 1), env._rules.lives(values)

    parts: dict[str, Callable[[int], Any]] = {
        "env.inputs(actions)": lambda i: env.inputs(acts[i & (TABLE - 1)]),
        "  controls.apply(idx)": lambda i: env.controls.apply(idx_rows[i & (TABLE - 1)]),
        "np.empty(obs)": lambda i: np.empty(shape, np.uint8),
        "_read_values()": lambda i: env._read_values(),
        "deltas dict comprehension": lambda i: {k: values[k] - values[k] for k in values},
        "np.zeros + scenario rewards x2": rewards_piece,
        "scenario done": lambda i: env._scenario.done(values, values),
        "rules.step + rules.lives": rules_piece,
    }
    print("  pieces of the Python part, each timed alone in a loop (CPU):")
    for k, fn in parts.items():
        try:
            _row(k, _cpu_us(fn, short), w, indent=4)
        except (AttributeError, TypeError, KeyError):
            print(f"    {k:<60}     n/a (the env's private parts changed)")
    env.reset()

    # 3. cProfile
    prof = cProfile.Profile()
    n = 2000
    prof.enable()
    for i in range(n):
        whole(i)
    prof.disable()
    stats = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    total_t = sum(v[2] for v in stats.values())
    print(f"  cProfile of {n} steps, own time per function (it inflates Python calls):")
    for (file, line, fn_name), (_, nc, tt, _, _) in sorted(stats.items(), key=lambda kv: -kv[1][2])[
        :12
    ]:
        where = f"{Path(file).name}:{line}({fn_name})" if file != "~" else fn_name
        print(
            f"    {1e6 * tt / n:7.1f} us {100 * tt / total_t:5.1f}%  {nc / n:4.1f} calls/step  {where}"
        )
    runner.close()


def _profile_pz(obs_type: str, seconds: float) -> None:
    import warnings

    import numpy as np
    from pettingzoo.atari import pong_v3

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pz = pong_v3.parallel_env(obs_type=obs_type, auto_rom_install_path=str(ale_rom().parent))
    runner = ParallelRunner(pz)
    raw = pz.unwrapped
    while not hasattr(raw, "ale"):
        raw = getattr(raw, "aec_env", None) or raw.env
    ale = raw.ale
    mapped = [raw.action_mapping[np.array(r, np.int32)] for r in action_indices(6)]
    get = ale.getRAM if obs_type == "ram" else ale.getScreenRGB

    def whole(i: int) -> None:
        if runner.step(i):
            runner.reset()

    def floor(i: int) -> None:
        ale.act(mapped[i & (TABLE - 1)])
        get()
        if not i & 63 and ale.game_over():  # a finished game runs far cheaper frames
            ale.reset_game()

    w = f = float("inf")
    for _ in range(3):
        w = min(w, _cpu_us(whole, seconds / 3))
        f = min(f, _cpu_us(floor, seconds / 3))
    print(f"-- PettingZoo pong_v3, obs_type={obs_type}: CPU time per step")
    _row("whole parallel step", w, w)
    _row(f"emulator: ale.act(actions) + {get.__name__}()", f, w)
    _row("=> its Python wrappers (whole - emulator)", w - f, w)
    runner.close()


def profile(seconds: float) -> None:
    """Where one parallel step's time goes, three ways.

    1. CPU time per step of the whole ``env.step``, of the emulator work alone (the same
       random inputs through ``Emulator.paddles_move`` + ``step_into``, as the env calls them),
       and of the Python alone (``env.step`` with those two calls stubbed out).
    2. Sections inside real steps, wall clock, median per step: ``inputs()``, the emulator,
       ``outcome()`` (the env's public three parts); then each piece of Python timed alone.
    3. cProfile's own time per function.
    Then the same whole-versus-emulator split for PettingZoo's pong_v3 over ALE.
    """
    print(
        f"\n== profile: microseconds per step, 1 frame, the benchmark's random actions "
        f"({seconds:g} CPU-s per CPU figure, best of 3 interleaved slices)"
    )
    for obs_type in ("rgb_image", "ram"):
        _profile_ours(obs_type, seconds)
    if importlib.util.find_spec("multi_agent_ale_py") is not None:
        for obs_type in ("rgb_image", "ram"):
            _profile_pz(obs_type, seconds)


# ---------------------------------------------------------------------------- driver


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--rounds", type=int, default=3, help="interleaved repetitions per configuration"
    )
    ap.add_argument("--seconds", type=float, default=2.5, help="stepping time of one round")
    ap.add_argument(
        "--only", default="", help="comma-separated configurations: " + ", ".join(CONFIGS)
    )
    ap.add_argument("--quick", action="store_true", help="2 rounds x 0.7 s (~20 s)")
    ap.add_argument("--profile", action="store_true", help="also profile our parallel step")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker)
        return
    if args.quick:
        args.rounds, args.seconds = 2, 0.7
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(CONFIGS)
    for n in names:
        if n not in CONFIGS:
            ap.error(f"unknown configuration {n!r}; choose from {', '.join(CONFIGS)}")

    t0 = time.perf_counter()
    import numpy
    import pettingzoo

    vers = [
        f"python {sys.version.split()[0]}",
        f"numpy {numpy.__version__}",
        f"pettingzoo {pettingzoo.__version__}",
    ]
    for pkg in ("stable-retro", "ale-py", "multi-agent-ale-py"):
        try:
            vers.append(f"{pkg} {metadata.version(pkg)}")
        except metadata.PackageNotFoundError:
            vers.append(f"{pkg} missing")
    print(
        f"pettingretro env benchmark: Pong, 2 agents, random actions, 1 frame per step; "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}"
    )
    print("  " + ", ".join(vers))
    print(
        f"  {args.rounds} interleaved rounds x {args.seconds:g} s per configuration, best round counts"
    )

    workers: dict[str, Worker] = {}
    for n in names:  # one at a time: start-ups would disturb each other's warm-up
        w = Worker(__file__, n)
        w.first()
        if w.skip:
            print(f"  skipped {CONFIGS[n][0]}: {w.skip}")
        else:
            workers[n] = w

    samples: dict[str, list[dict[str, float]]] = {n: [] for n in workers}
    try:
        for k in range(args.rounds):  # every other round backwards, so drifts cancel
            for n in list(workers)[:: 1 if k % 2 == 0 else -1]:
                samples[n].append(workers[n](args.seconds))
    finally:
        for w in workers.values():
            w.close()

    best: dict[str, float] = {}
    best_cpu: dict[str, float] = {}
    print(
        f"\n{'configuration':<16}{'unit':>9}{'best':>9}{'median':>9}{'per cpu-s':>11}  every round"
    )
    for n, ss in samples.items():
        rates = [s["steps"] / s["wall"] for s in ss]
        cpus = [s["steps"] / s["cpu"] for s in ss if s["cpu"] > 0]
        best[n] = max(rates)
        best_cpu[n] = max(cpus) if cpus else float("nan")
        med = sorted(rates)[len(rates) // 2]
        label, unit = CONFIGS[n]
        print(
            f"{label:<16}{unit:>9}{best[n]:>9.0f}{med:>9.0f}{best_cpu[n]:>11.0f}  "
            + " ".join(f"{r:.0f}" for r in rates)
        )

    print(f"\n{'ratio':<28}{'wall':>7}{'cpu':>7}   target (wall: best / best; cpu: per CPU-second)")
    for num, den, target, what in RATIOS:
        if num not in best or den not in best:
            missing = den if den not in best else num
            print(f"{what:<28}    n/a   (no {CONFIGS[missing][0]} figure)")
            continue
        r = best[num] / best[den]
        rc = best_cpu[num] / best_cpu[den]
        verdict = ""
        if target is not None:
            ok_w = "ok" if r >= target else "MISS"
            ok_c = "ok" if rc >= target else "MISS"
            verdict = f"   >= {target}: wall {ok_w}, cpu {ok_c}"
        print(f"{what:<28}{r:7.3f}{rc:7.3f}{verdict}")

    if args.profile:
        profile(3.0 if not args.quick else 1.0)
    print(f"\ntotal {time.perf_counter() - t0:.0f} s; load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
