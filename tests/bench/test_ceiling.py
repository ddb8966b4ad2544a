"""bench/ceiling.c, the bare-C reference of bench/host.py and bench/vector.py, on a real core.

Compiled here as bench/host.py compiles it, run on the Stella core with ale-py's pong.bin: the
frames it reports are the frames it ran (M emulators x N frames each, free-running and with a
barrier per step), and bad options end it with a usage error, not a crash.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pettingretro.cores import find_core

BENCH = Path(__file__).resolve().parents[2] / "bench"
LINE = re.compile(
    r"^frames=(\d+) seconds=[0-9.]+ cpu=[0-9.]+ fps=[0-9.]+ threads=(\d+) emus=(\d+)$"
)


@pytest.fixture(scope="module")
def ceiling(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cc = shutil.which("cc")
    assert cc is not None, "a C compiler (cc) is needed to build bench/ceiling.c"
    exe = tmp_path_factory.mktemp("ceiling") / "ceiling"
    proc = subprocess.run(
        [cc, "-O2", "-o", str(exe), str(BENCH / "ceiling.c"), "-ldl", "-lpthread"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, f"building bench/ceiling.c failed:\n{proc.stderr}"
    return exe


@pytest.fixture(scope="module")
def pong(ale_roms: Path) -> tuple[str, str]:
    return str(find_core("stella")), str(ale_roms / "pong.bin")


def run(exe: Path, pong: tuple[str, str], *args: str, stdin: str | None = None) -> list[str]:
    proc = subprocess.run(
        [str(exe), *pong, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, f"ceiling {' '.join(args)}: exit {proc.returncode}\n{proc.stderr}"
    return proc.stdout.splitlines()


def parse(line: str) -> tuple[int, int, int]:
    m = LINE.match(line)
    assert m, f"not a ceiling line: {line!r}"
    frames, threads, emus = (int(g) for g in m.groups())
    return frames, threads, emus


@pytest.mark.parametrize(
    "mode",
    [
        pytest.param([], id="free-running"),
        # 10 frames at 4 per step: the last step runs the 2 left
        pytest.param(["--barrier", "--frames-per-step", "4"], id="barrier"),
    ],
)
def test_frames_are_emulators_times_frames(
    ceiling: Path, pong: tuple[str, str], mode: list[str]
) -> None:
    (line,) = run(ceiling, pong, "--emus", "3", "--threads", "2", "--frames", "10", *mode)
    assert parse(line) == (3 * 10, 2, 3)


def test_emulators_default_to_one_per_thread(ceiling: Path, pong: tuple[str, str]) -> None:
    (line,) = run(ceiling, pong, "--threads", "2", "--frames", "7")
    assert parse(line) == (2 * 7, 2, 2)


def test_serve_with_a_barrier_stops_every_thread_after_the_same_step(
    ceiling: Path, pong: tuple[str, str]
) -> None:
    # 5 emulators on 2 threads (ranges of 2 and 3), 3 frames each per step
    args = ("--emus", "5", "--threads", "2", "--barrier", "--frames-per-step", "3", "--serve")
    lines = run(ceiling, pong, *args, stdin="f4\n0.05\nf2\n")
    assert [parse(x) for x in (lines[0], lines[2])] == [(5 * 4, 2, 5), (5 * 2, 2, 5)]
    frames, threads, emus = parse(lines[1])
    assert (threads, emus) == (2, 5)
    assert frames > 0
    assert frames % (5 * 3) == 0, f"{frames} frames: the threads ran different numbers of steps"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--emus", "0"], "--emus must be 1..1024 (got 0)"),
        (["--emus", "1", "--threads", "2"], "--emus 1 is fewer than --threads 2"),
        (["--emus", "3x"], "--emus takes a whole number, not '3x'"),
        (["--frames-per-step", "0", "--barrier"], "--frames-per-step must be 1.."),
        (["--emus"], "missing value for: --emus"),
    ],
)
def test_bad_options_are_a_usage_error(
    ceiling: Path, pong: tuple[str, str], args: list[str], says: str
) -> None:
    proc = subprocess.run(
        [str(ceiling), *pong, *args], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 2, f"exit {proc.returncode}: {proc.stderr}"
    assert says in proc.stderr
    assert "usage: ceiling CORE.so ROM" in proc.stderr
    assert proc.stdout == ""


def test_vector_bench_reference_rows(
    pong: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """bench/vector.py's bare C rows: built with bench/host.py's helpers, measured over --serve."""
    monkeypatch.syspath_prepend(str(BENCH))
    spec = importlib.util.spec_from_file_location("bench_vector", BENCH / "vector.py")
    assert spec is not None and spec.loader is not None
    vector = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench_vector", vector)
    spec.loader.exec_module(vector)
    found = vector.bare_c(tmp_path)
    assert isinstance(found, tuple), found
    exe, core, rom = found
    assert (str(core), str(rom)) == pong
    row = vector.BareC(exe, core, rom, 4, 2, 4)
    try:
        assert row.first() == {"ready": True}
        assert row.skip is None
        result = row(0.05)
    finally:
        row.close()
    assert result["frames"] > 0
    assert result["frames"] % (4 * 4) == 0
    assert result["wall"] > 0
    assert result["cpu"] > 0
