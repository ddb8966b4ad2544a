#!/usr/bin/env python3
"""Instructions per step under callgrind: pettingretro's parallel env, its phases, stable-retro, the bare core.

Wall time on a shared machine moves with every other job; instruction counts do not. Each
configuration runs in its own ``valgrind --tool=callgrind`` process, with instrumentation off
until the env is built and warmed up (Python's adaptive interpreter included), then each piece is
run ``--steps`` times between a zero and a dump of callgrind's counters (client requests from a
tiny C helper compiled here), so a figure is that piece's instructions per call and nothing else.

Configurations (``--only`` picks some, comma-separated):

* ``ours-pong-ram-1``, ``ours-pong-rgb-1``, ``ours-pong-ram-4``, ``ours-pong-rgb-4``: ``pong_v0``'s
  parallel env (two agents, random actions; the last number is ``frameskip``, 1 is the default),
  the whole ``step`` and each of its phases alone (``check_actions``, ``inputs``,
  ``before_frames``, the emulation, ``outcome``), and inside ``outcome`` reading the variables
  and the scenario's rewards and done; ``retro_run`` is the core's share of the whole step
  (inclusive: the host's callbacks inside it count, they are part of emulating a frame here).
* ``ours-boxing-ram-1``, ``ours-boxing-rgb-1``: the same on ``boxing_v0``, a joystick game (no
  paddles, so no per-frame paddle state patch: what the host costs on most Atari games).
* ``ours-airstriker-rgb-1``: the same on Genesis (``Airstriker-Genesis-v0``).
* ``retro-pong-rgb``, ``retro-pong-ram``, ``retro-airstriker-rgb``: stable-retro's ``env.step`` on
  the same core file and ROM, and its ``retro_run`` share: what is left is stable-retro's own
  cost per step, the most any host could save against it.
* ``vector-pong-ram-8``, ``vector-pong-rgb-8``, ``vector-airstriker-rgb-8``, ``vector-mario-ram-8``
  (``mario_bros_v0``: lives, players leave one by one): ``vector_env`` on one thread with that
  many games, random actions: the whole ``step``, the one C call it makes
  inside (``pr_pool_step_obs``: every game's frames, observation rows and outcome) and
  ``retro_run``. What is left of the step beyond that call is what runs on the caller's thread
  alone (with more threads, the part that does not scale).
* ``ceiling-pong``, ``ceiling-airstriker``: bench/ceiling.c (the core in a plain C loop with
  trivial callbacks), ``retro_run`` inclusive per frame: the bare core.

    python bench/instructions.py                 # every configuration, 300 steps: ~10 minutes
    python bench/instructions.py --only ours-pong-ram-1,ceiling-pong --steps 200

Needs valgrind and a C compiler; stable-retro (and ale-py's pong.bin) for the ``retro-`` rows.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(BENCH))

SEED = 12345
TABLE = 1024
WARMUP = 60
CONFIGS = (
    "ceiling-pong",
    "ours-pong-ram-1",
    "ours-pong-rgb-1",
    "ours-pong-ram-4",
    "ours-pong-rgb-4",
    "ours-boxing-ram-1",
    "ours-boxing-rgb-1",
    "retro-pong-rgb",
    "retro-pong-ram",
    "ceiling-airstriker",
    "ours-airstriker-rgb-1",
    "retro-airstriker-rgb",
    "vector-pong-ram-8",
    "vector-pong-rgb-8",
    "vector-airstriker-rgb-8",
    "vector-mario-ram-8",
)

_MARKER_C = r"""
#include <valgrind/callgrind.h>
void mark_start(void) { CALLGRIND_START_INSTRUMENTATION; }
void mark_zero(void) { CALLGRIND_ZERO_STATS; }
void mark_dump(const char *name) { CALLGRIND_DUMP_STATS_AT(name); }
"""


def _cc() -> str:
    cc = shutil.which(os.environ.get("CC", "cc"))
    if cc is None:
        sys.exit("needs a C compiler (cc)")
    return cc


def build_marker(tmp: Path) -> Path:
    src, lib = tmp / "marker.c", tmp / "libmarker.so"
    src.write_text(_MARKER_C)
    subprocess.run([_cc(), "-O2", "-shared", "-fPIC", "-o", str(lib), str(src)], check=True)
    return lib


# ---------------------------------------------------------------------------- inside valgrind


class Marks:
    """Zero callgrind's counters, run a piece ``n`` times, dump them under the piece's name."""

    def __init__(self, lib: str, n: int) -> None:
        self.lib = ctypes.CDLL(lib)
        self.n = n
        self.names: list[str] = []

    def start(self) -> None:
        """Turn instrumentation on (it is off from the process's start)."""
        self.lib.mark_start()

    def piece(self, name: str, fn: Callable[[int], Any]) -> None:
        """Count ``fn(i)`` for i in range(n) alone, dumped under ``name``."""
        n = self.n
        self.lib.mark_zero()
        for i in range(n):
            fn(i)
        self.lib.mark_dump(name.encode())
        self.names.append(name)


def _pong_folder(tmp: Path) -> Path:
    from envs import retro_integration

    return retro_integration(tmp) / "Pong-Atari2600-v0"


def run_ours(marks: Marks, game: str, obs: str, frameskip: int) -> None:
    import numpy as np

    from pettingretro.parallel.env import RetroParallelEnv
    from pettingretro.registry import resolve

    name = {"pong": "pong_v0", "boxing": "boxing_v0"}.get(game, "Airstriker-Genesis-v0")
    env = RetroParallelEnv(
        resolve(name), obs_type="ram" if obs == "ram" else "rgb_image", frameskip=frameskip
    )
    env.reset(seed=SEED)
    agents = env.possible_agents
    k = int(env.action_space(agents[0]).n)  # type: ignore[attr-defined]
    rows = np.random.default_rng(SEED).integers(0, k, (TABLE, len(agents))).tolist()
    table = [dict(zip(agents, r, strict=True)) for r in rows]
    mask = TABLE - 1

    def step(i: int) -> None:
        env.step(table[i & mask])
        if not env.agents:
            env.reset()

    checked = [env.check_actions(a) for a in table]
    masks, deltas = env.inputs(checked[0])
    obs_now = env._step_emulator(masks, frameskip)  # warm-up only: the pieces call public phases
    values = env._reader.read()
    dv = {k: 0 for k in values}
    for i in range(WARMUP):
        step(i)
    marks.start()
    marks.piece("loop", lambda i: None)
    marks.piece("step", step)
    marks.piece("check_actions", lambda i: env.check_actions(table[i & mask]))
    marks.piece("inputs", lambda i: env.inputs(checked[i & mask]))
    marks.piece("before_frames", lambda i: env.before_frames(masks, deltas, frameskip))
    marks.piece("emulate", lambda i: env._step_emulator(masks, frameskip))
    marks.piece("outcome", lambda i: env.outcome(obs_now))
    marks.piece("read_values", lambda i: env._reader.read())
    marks.piece("scenario", lambda i: env._evaluator.step(values, dv, frameskip))
    env.close()


def run_vector(marks: Marks, game: str, obs: str, games: int) -> None:
    import numpy as np

    from pettingretro.vector import vector_env

    name = {"pong": "pong_v0", "mario": "mario_bros_v0"}.get(game, "Airstriker-Genesis-v0")
    venv = vector_env(
        name, games, num_threads=1, obs_type="ram" if obs == "ram" else "rgb_image", copy=False
    )
    venv.reset(seed=SEED)
    k = int(venv.single_action_space.n)  # type: ignore[attr-defined]
    table = np.random.default_rng(SEED).integers(0, k, (TABLE, venv.num_envs))
    mask = TABLE - 1
    for i in range(WARMUP):
        venv.step(table[i & mask])
    marks.start()
    marks.piece("loop", lambda i: None)
    marks.piece("step", lambda i: venv.step(table[i & mask]))
    venv.close()


def run_retro(marks: Marks, game: str, obs: str, tmp: Path) -> None:
    import numpy as np
    import stable_retro

    kwargs: dict[str, Any] = {"render_mode": None}
    if obs == "ram":
        kwargs["obs_type"] = stable_retro.Observations.RAM
    if game == "pong":
        ints = stable_retro.data.Integrations
        ints.add_custom_path(str(_pong_folder(tmp).parent))
        kwargs.update(inttype=ints.CUSTOM_ONLY, players=2)
        env = stable_retro.make("Pong-Atari2600-v0", **kwargs)
        from envs import RetroRunner

        acts = RetroRunner(env).acts
    else:
        env = stable_retro.make("Airstriker-Genesis-v0", **kwargs)
        rng = np.random.default_rng(SEED)
        acts = [rng.integers(0, 2, env.action_space.shape).astype(np.int8) for _ in range(TABLE)]
    env.reset(seed=SEED)
    mask = TABLE - 1

    def step(i: int) -> None:
        _, _, term, trunc, _ = env.step(acts[i & mask])
        if term or trunc:
            env.reset()

    for i in range(WARMUP):
        step(i)
    marks.start()
    marks.piece("loop", lambda i: None)
    marks.piece("step", step)
    env.close()


def inner(args: argparse.Namespace) -> None:
    marks = Marks(args.marker, args.steps)
    who, game, *rest = str(args.inner).split("-")
    with tempfile.TemporaryDirectory(prefix="pettingretro-instr-") as tmp:
        if who == "ours":
            run_ours(marks, game, rest[0], int(rest[1]))
        elif who == "vector":
            run_vector(marks, game, rest[0], int(rest[1]))
        else:
            run_retro(marks, game, rest[0], Path(tmp))


# ---------------------------------------------------------------------------- the driver


def _core_and_rom(game: str) -> tuple[Path, Path]:
    from pettingretro.cores import find_core

    if game == "pong":
        from envs import ale_rom

        return Path(find_core("stella")), ale_rom("pong")
    import stable_retro

    rom = Path(stable_retro.__file__).parent / "data" / "stable" / "Airstriker-Genesis-v0"
    return Path(find_core("genesis_plus_gx")), rom / "rom.md"


def _totals(path: Path) -> int:
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith(("totals:", "summary:")):
            return int(line.split()[1])
    raise RuntimeError(f"no totals in {path}")


def _inclusive(path: Path, function: str) -> int:
    """``function``'s inclusive instructions in one dump (callgrind_annotate --inclusive=yes)."""
    out = subprocess.run(
        ["callgrind_annotate", "--inclusive=yes", "--threshold=100", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+)\s.*[:\s]" + re.escape(function) + r"(\s|$|\[)", line)
        if m:
            return int(m.group(1).replace(",", ""))
    return 0


def _valgrind(cmd: list[str], out: Path, extra: list[str]) -> None:
    full = [
        "valgrind",
        "--tool=callgrind",
        f"--callgrind-out-file={out}",
        *extra,
        *cmd,
    ]
    env = dict(os.environ, PYTHONHASHSEED="0")
    res = subprocess.run(full, capture_output=True, text=True, env=env)
    if res.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed under valgrind:\n{res.stderr[-3000:]}")


def measure(name: str, steps: int, tmp: Path, marker: Path) -> dict[str, Any]:
    """One configuration's figures: per piece, instructions per call; retro_run's share of step."""
    out = tmp / f"{name}.out"
    if name.startswith("ceiling-"):
        game = name.split("-")[1]
        core, rom = _core_and_rom(game)
        exe = tmp / "ceiling"
        if not exe.exists():
            subprocess.run(
                [_cc(), "-O2", "-o", str(exe), str(BENCH / "ceiling.c"), "-ldl", "-lpthread"],
                check=True,
            )
        _valgrind(
            [str(exe), str(core), str(rom), "--frames", str(steps)],
            out,
            ["--toggle-collect=retro_run"],
        )
        return {"retro_run": _totals(out) / steps}
    _valgrind(
        [sys.executable, __file__, "--inner", name, "--marker", str(marker), "--steps", str(steps)],
        out,
        ["--instr-atstart=no"],
    )
    res: dict[str, Any] = {}
    for dump in sorted(tmp.glob(f"{name}.out.*"), key=lambda p: int(p.suffix[1:])):
        text = dump.read_text(errors="replace")
        m = re.search(r"^desc: Trigger: Client Request: (\S+)", text, re.M)
        if not m:
            continue
        piece = m.group(1)
        res[piece] = _totals(dump) / steps
        if piece in ("step", "emulate"):
            res[f"{piece}.retro_run"] = _inclusive(dump, "retro_run") / steps
        if piece == "step" and name.startswith("vector-"):
            res["step.pool"] = _inclusive(dump, "pr_pool_step_obs") / steps
    loop = res.pop("loop", 0.0)
    for k in list(res):
        if "." not in k:
            res[k] -= loop
    return res


def report(results: dict[str, dict[str, Any]]) -> None:
    def m(x: float) -> str:
        return f"{x / 1e6:7.3f} M" if x >= 1e5 else f"{x / 1e3:7.1f} k"

    print(f"\n{'configuration':24} {'piece':16} {'instructions':>12}  note")
    for name, res in results.items():
        if "error" in res:
            print(f"{name:24} failed: {res['error']}")
            continue
        game = name.split("-")[1]
        ceiling = results.get(f"ceiling-{game}", {}).get("retro_run")
        for piece, v in res.items():
            note = ""
            if piece == "step" and name.startswith("vector-"):
                core = res.get("step.retro_run", 0.0)
                serial = v - res.get("step.pool", 0.0)
                note = (
                    f"retro_run {core / v:.3f} of it; outside the C call {m(serial).strip()} "
                    f"({serial / v:.1%}: the serial share)"
                )
            elif piece == "step":
                core = res.get("step.retro_run", 0.0)
                frames = int(name.split("-")[3]) if name.startswith("ours-") else 1
                note = f"retro_run {core / v:.3f} of it; own cost {m(v - core).strip()}"
                if ceiling:
                    note += f"; bare core / step {frames * ceiling / v:.3f}"
            print(f"{name:24} {piece:16} {m(v):>12}  {note}")
    print(
        "\n(bare core / step: bench/ceiling.c's retro_run per frame x frames per step, over the "
        "whole step; 1.0 is a host that costs nothing)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--inner", help=argparse.SUPPRESS)
    ap.add_argument("--marker", help=argparse.SUPPRESS)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--only", default=",".join(CONFIGS))
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()
    if args.inner:
        inner(args)
        return
    if shutil.which("valgrind") is None:
        sys.exit("needs valgrind (apt-get install valgrind)")
    names = [n for n in args.only.split(",") if n]
    bad = sorted(set(names) - set(CONFIGS))
    if bad:
        ap.error(f"unknown configuration(s) {', '.join(bad)}; choose from {', '.join(CONFIGS)}")
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="pettingretro-callgrind-") as t:
        tmp = Path(t)
        marker = build_marker(tmp)
        for name in names:
            print(f"{name} ...", file=sys.stderr, flush=True)
            try:
                results[name] = measure(name, args.steps, tmp, marker)
            except Exception as e:  # reported, the others go on
                results[name] = {"error": f"{type(e).__name__}: {str(e)[-500:]}"}
    report(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
