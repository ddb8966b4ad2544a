#!/usr/bin/env python3
"""The documentation site's generated assets: a GIF of every game, and plots of the benchmarks.

    python scripts/make_docs_assets.py                  # GIFs, then plots from docs/bench/*.txt
    python scripts/make_docs_assets.py gifs --only pong_v0,warlords_v0
    python scripts/make_docs_assets.py bench [--quick]  # rerun bench/*.py into docs/bench/*.txt
    python scripts/make_docs_assets.py plots            # docs/bench/*.txt -> docs/img/bench/*.png

GIFs (``docs/img/games/<module>.gif``): each env runs with ``frameskip=2`` and seeded random
actions (Pong's ``first_0`` follows the ball with :func:`pettingretro.utils.policies.pong_tracker`);
after ``--warmup`` unrecorded steps (so the picture shows a game under way, not a title screen),
``--frames`` steps are written at 30 frames per second, about real time, through
:func:`pettingretro.utils.video.write_video`. An Atari screen compresses to ~30 KiB per 120
frames, so every GIF keeps the full 160 x 210 picture. The same seed gives the same bytes.

Plots (``docs/img/bench/*.png``) are drawn with matplotlib from the text the benchmark scripts
print, saved under ``docs/bench/``: the parsers below read their tables and ratio lines, so the
plots show exactly the run whose output is on the benchmarks page.
"""

from __future__ import annotations

import argparse
import importlib
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GIF_DIR = ROOT / "docs" / "img" / "games"
BENCH_TXT = ROOT / "docs" / "bench"
PLOT_DIR = ROOT / "docs" / "img" / "bench"
#: bench script -> the arguments of a full run (the README's ``--quick`` is passed with --quick)
BENCH_SCRIPTS = ("host", "envs", "vector")


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


# ---------------------------------------------------------------------------------- GIFs


def game_frames(module: str, frames: int, warmup: int, seed: int = 0) -> list[Any]:
    """The pictures of ``frames`` steps of ``module`` (``pong_v0``) after ``warmup`` steps.

    Every agent acts at random from a seeded generator, except Pong's ``first_0``, which follows
    the ball (a random Pong rarely returns a serve). An episode that ends starts again.
    """
    import numpy as np

    from pettingretro.utils.policies import pong_tracker

    env = importlib.import_module(f"pettingretro.envs.{module}").parallel_env(
        obs_type="ram", render_mode="rgb_array", frameskip=2
    )
    rng = np.random.default_rng(seed)
    out = []
    try:
        obs, _ = env.reset(seed=seed)
        for i in range(warmup + frames):
            if not env.agents:
                obs, _ = env.reset()
            else:
                actions = {a: int(rng.integers(env.action_space(a).n)) for a in env.agents}
                if module == "pong_v0" and "first_0" in actions:
                    actions["first_0"] = pong_tracker(obs["first_0"], "first_0")
                obs, *_ = env.step(actions)
            if i >= warmup:
                out.append(env.render())
    finally:
        env.close()
    return out


def make_gifs(modules: Sequence[str], frames: int, warmup: int, out_dir: Path) -> None:
    """Write ``out_dir/<module>.gif`` for every module, at 30 frames per second."""
    from pettingretro.utils.video import write_video

    out_dir.mkdir(parents=True, exist_ok=True)
    total = 0
    for module in modules:
        t0 = time.perf_counter()
        path = out_dir / f"{module}.gif"
        n = write_video(game_frames(module, frames, warmup), path, fps=30)
        size = path.stat().st_size
        total += size
        print(
            f"{_shown(path)}: {n} frames, {size / 1024:.0f} KiB, {time.perf_counter() - t0:.1f} s"
        )
    print(f"{len(modules)} GIFs, {total / 1024:.0f} KiB in all")


# ---------------------------------------------------------------------------------- bench output


@dataclass
class HostCore:
    """One core's section of bench/host.py's output."""

    name: str
    #: measure -> (best wall fps, median wall fps, cpu fps, busy)
    rows: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)
    #: ratio name -> {"cpu": x, "wall": y, "target": t} (whichever the line gives)
    ratios: dict[str, dict[str, float]] = field(default_factory=dict)


_RATIO = re.compile(r"^\s+(?P<name>\S.*?)\s+(?P<rest>(?:cpu|wall) \d.*)$")
_NUM = r"(\d+(?:\.\d+)?)"


def _ratio_values(rest: str) -> dict[str, float]:
    vals = {}
    for key in ("cpu", "wall", "target"):
        m = re.search(rf"\b{key} {_NUM}", rest)
        if m:
            vals[key] = float(m.group(1))
    return vals


def parse_host(text: str) -> list[HostCore]:
    """The per-core tables and ratio lines of bench/host.py's output."""
    cores: list[HostCore] = []
    row = re.compile(rf"^(?P<name>[a-z_0-9 ]+?)\s+{_NUM}\s+{_NUM}\s+{_NUM}\s+{_NUM}\s")
    for line in text.splitlines():
        if line.startswith("== "):
            cores.append(HostCore(line[3:].split(":")[0].strip()))
            continue
        if not cores:
            continue
        m = _RATIO.match(line)
        if m:
            cores[-1].ratios[m.group("name").strip()] = _ratio_values(m.group("rest"))
            continue
        m = row.match(line)
        if m:
            cores[-1].rows[m.group("name").strip()] = tuple(float(m.group(i)) for i in range(2, 6))  # type: ignore[assignment]
    if not cores:
        raise ValueError("no '== core' section: not bench/host.py's output")
    return cores


def parse_envs(
    text: str,
) -> tuple[dict[str, tuple[float, float, float]], dict[str, dict[str, float]]]:
    """bench/envs.py's output: configuration -> (best, median, per cpu-s), and ratio lines."""
    configs: dict[str, tuple[float, float, float]] = {}
    ratios: dict[str, dict[str, float]] = {}
    row = re.compile(rf"^(?P<name>\S.*?)\s+(?:steps|cycles)/s\s+{_NUM}\s+{_NUM}\s+{_NUM}")
    ratio = re.compile(rf"^(?P<name>\S.*?)\s{{2,}}{_NUM}\s+{_NUM}(?:\s+>= {_NUM})?")
    in_ratios = False
    for line in text.splitlines():
        if line.startswith("ratio "):
            in_ratios = True
            continue
        if in_ratios:
            m = ratio.match(line)
            if m:
                vals = {"wall": float(m.group(2)), "cpu": float(m.group(3))}
                if m.group(4):
                    vals["target"] = float(m.group(4))
                ratios[m.group("name")] = vals
            continue
        m = row.match(line)
        if m:
            configs[m.group("name")] = (float(m.group(2)), float(m.group(3)), float(m.group(4)))
    if not configs:
        raise ValueError("no configuration rows: not bench/envs.py's output")
    return configs, ratios


@dataclass
class VectorRun:
    """bench/vector.py's output."""

    #: games -> (frames/s on 1 thread, on 2 threads)
    games: dict[int, tuple[float, float]] = field(default_factory=dict)
    #: reference pipeline -> frames/s ("SuperSuit pipeline, 8 games, num_cpus=2": 198)
    references: dict[str, float] = field(default_factory=dict)
    #: ratio name -> value
    ratios: dict[str, float] = field(default_factory=dict)


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def parse_vector(text: str) -> VectorRun:
    """bench/vector.py's output: the games table, the reference pipelines and the ratios."""
    run = VectorRun()
    num = r"(\d[\d,]*(?:\.\d+)?)"
    games = re.compile(rf"^\s*(\d+)\s+{num}\s+{num}\s+\d")
    # "SuperSuit pipeline, 8 games, num_cpus=2     1,484 frames/s      886 frames/cpu-s"
    reference = re.compile(
        rf"^(?P<name>\S.*?)\s{{2,}}{num} frames/s(?:\s+[\d,.]+ frames/cpu-s)?\s*$"
    )
    ratio = re.compile(rf"^\s+(?P<name>\S.*?)\s{{2,}}{num}\s")
    in_ratios = False
    for line in text.splitlines():
        if line.strip() == "ratios":
            in_ratios = True
            continue
        if in_ratios:
            m = ratio.match(line)
            if m:
                run.ratios[m.group("name")] = _number(m.group(2))
            continue
        m = games.match(line)
        if m:
            run.games[int(m.group(1))] = (_number(m.group(2)), _number(m.group(3)))
            continue
        m = reference.match(line)
        if m:
            run.references[m.group("name")] = _number(m.group(2))
    if not run.games:
        raise ValueError("no games table: not bench/vector.py's output")
    return run


# ---------------------------------------------------------------------------------- plots


def _figure(width: float = 7.0, height: float = 3.6) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "font.size": 9,
            "svg.hashsalt": "pettingretro",
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )
    return plt.subplots(figsize=(width, height), dpi=110)


def _save(fig: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    import matplotlib.pyplot as plt

    plt.close(fig)
    print(_shown(path))


def plot_host(cores: list[HostCore], out_dir: Path) -> list[Path]:
    """Two bar charts: single-thread speed against the bare core, and 2-thread scaling."""
    import numpy as np

    paths = []
    fig, ax = _figure()
    single = [
        ("ram / ceiling", "ram, per frame"),
        ("rgb / ceiling", "rgb into a buffer"),
        ("step_many 1t / ceiling", "step_many, 1 thread"),
    ]
    x = np.arange(len(single))
    width = 0.8 / max(len(cores), 1)
    for i, core in enumerate(cores):
        vals = [core.ratios.get(key, {}).get("cpu", np.nan) for key, _ in single]
        bars = ax.bar(x + i * width - 0.4 + width / 2, vals, width, label=core.name)
        ax.bar_label(bars, fmt="%.2f", fontsize=8)
    targets = [cores[0].ratios.get(key, {}).get("target") for key, _ in single]
    for xi, t in zip(x, targets, strict=True):
        if t:
            ax.hlines(t, xi - 0.45, xi + 0.45, colors="k", linestyles="--", linewidth=1)
    ax.axhline(1.0, color="grey", linewidth=0.6)
    ax.set_xticks(x, [label for _, label in single])
    ax.set_ylabel("frames per CPU-second / bare core in C")
    ax.set_title("Host overhead: the Emulator against the core in a plain C loop (dashed: target)")
    ax.set_ylim(0, 1.15)
    ax.legend(loc="lower right", fontsize=8)
    paths.append(out_dir / "host_overhead.png")
    _save(fig, paths[-1])

    fig, ax = _figure()
    multi = [
        ("C ceiling 2t / 1t", "bare core in C"),
        ("step_many 2t / 1t", "step_many pool"),
        ("threads 2t / 1t", "Python threads"),
    ]
    x = np.arange(len(multi))
    for i, core in enumerate(cores):
        vals = [core.ratios.get(key, {}).get("wall", np.nan) for key, _ in multi]
        bars = ax.bar(x + i * width - 0.4 + width / 2, vals, width, label=core.name)
        ax.bar_label(bars, fmt="%.2f", fontsize=8)
    ax.axhline(2.0, color="grey", linewidth=0.6, linestyle=":")
    ax.axhline(1.7, color="k", linewidth=1, linestyle="--")
    ax.set_xticks(x, [label for _, label in multi])
    ax.set_ylabel("wall frames/s, 2 threads / 1 thread")
    ax.set_title("Scaling on 2 threads (dashed: target 1.7; dotted: ideal 2)")
    ax.set_ylim(0, 2.2)
    ax.legend(loc="lower right", fontsize=8)
    paths.append(out_dir / "host_threads.png")
    _save(fig, paths[-1])
    return paths


def plot_envs(configs: dict[str, tuple[float, float, float]], out_dir: Path) -> list[Path]:
    """Steps per CPU-second of our Pong envs and the references, rgb and ram."""
    import numpy as np

    fig, ax = _figure()
    groups = ["rgb", "ram"]
    kinds = [
        ("ours par", "pettingretro parallel"),
        ("ours aec", "pettingretro AEC (cycles)"),
        ("pz par", "PettingZoo pong_v3"),
        ("retro", "stable-retro"),
    ]
    x = np.arange(len(groups))
    width = 0.8 / len(kinds)
    for i, (prefix, label) in enumerate(kinds):
        vals = [configs.get(f"{prefix} {g}", (np.nan,) * 3)[2] for g in groups]
        if all(np.isnan(v) for v in vals):
            continue
        bars = ax.bar(x + i * width - 0.4 + width / 2, vals, width, label=label)
        ax.bar_label(bars, fmt="%.0f", fontsize=7)
    ax.set_xticks(x, ["obs_type='rgb_image'", "obs_type='ram'"])
    ax.set_ylabel("steps per CPU-second")
    ax.set_title("Pong, 2 agents, random actions, 1 frame per step")
    ax.set_ylim(0, ax.get_ylim()[1] * 1.3)
    ax.legend(fontsize=8, loc="upper center", ncols=2)
    path = out_dir / "envs.png"
    _save(fig, path)
    return [path]


def plot_vector(run: VectorRun, out_dir: Path) -> list[Path]:
    """Frames per second of the vector env by number of games, 1 and 2 threads, and references."""
    fig, ax = _figure()
    games = sorted(run.games)
    for col, label in ((0, "1 thread"), (1, "2 threads")):
        ax.plot(
            games,
            [run.games[g][col] for g in games],
            marker="o",
            label=f"pettingretro vector_env, {label}",
        )
    for i, (name, fps) in enumerate(run.references.items()):
        ax.axhline(fps, linestyle="--", linewidth=1, color=f"C{i + 2}")
        ax.annotate(name, (games[0], fps), fontsize=7, va="bottom", color=f"C{i + 2}")
    ax.set_xscale("log", base=2)
    ax.set_xticks(games, [str(g) for g in games])
    ax.set_xlabel("games (2 agents each)")
    ax.set_ylabel("emulated frames / s (wall, best round)")
    ax.set_title("Vector env with Atari preprocessing (frameskip 4, 84x84, 4 frames stacked)")
    ax.set_ylim(0, ax.get_ylim()[1] * 1.25)
    ax.legend(fontsize=8, loc="upper right")
    path = out_dir / "vector.png"
    _save(fig, path)
    return [path]


def make_plots(bench_dir: Path, out_dir: Path) -> list[Path]:
    """Every plot whose benchmark output is in ``bench_dir``."""
    paths: list[Path] = []
    host = bench_dir / "host.txt"
    if host.is_file():
        paths += plot_host(parse_host(host.read_text()), out_dir)
    envs = bench_dir / "envs.txt"
    if envs.is_file():
        paths += plot_envs(parse_envs(envs.read_text())[0], out_dir)
    vector = bench_dir / "vector.txt"
    if vector.is_file():
        paths += plot_vector(parse_vector(vector.read_text()), out_dir)
    return paths


def run_benchmarks(quick: bool, out_dir: Path) -> None:
    """Run each bench script (in a fresh process) and keep what it prints."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in BENCH_SCRIPTS:
        script = ROOT / "bench" / f"{name}.py"
        if not script.is_file():
            continue
        cmd = [sys.executable, str(script), *(["--quick"] if quick else [])]
        print("running", " ".join(cmd[1:]), flush=True)
        res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
        if res.returncode != 0:
            raise SystemExit(f"{script.name} failed ({res.returncode}):\n{res.stderr[-2000:]}")
        (out_dir / f"{name}.txt").write_text(res.stdout)


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: see the module's docstring."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("what", nargs="?", choices=("all", "gifs", "bench", "plots"), default="all")
    ap.add_argument("--only", help="GIFs: comma-separated env modules (default: every one)")
    ap.add_argument("--frames", type=int, default=180, help="GIFs: steps recorded (frameskip 2)")
    ap.add_argument("--warmup", type=int, default=150, help="GIFs: steps played before recording")
    ap.add_argument("--quick", action="store_true", help="bench: the scripts' --quick mode")
    ap.add_argument(
        "--out", type=Path, help="write here instead of docs/img/games or docs/img/bench"
    )
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    if args.what in ("all", "gifs"):
        from pettingretro.envs import ENV_MODULES

        modules = args.only.split(",") if args.only else list(ENV_MODULES)
        make_gifs(modules, args.frames, args.warmup, args.out or GIF_DIR)
    if args.what == "bench":
        run_benchmarks(args.quick, BENCH_TXT)
    if args.what in ("all", "bench", "plots"):
        make_plots(BENCH_TXT, args.out or PLOT_DIR)
    return 0


if __name__ == "__main__":
    sys.exit(main())
