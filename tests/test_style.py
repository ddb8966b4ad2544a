"""The code stays as clean as the configuration in pyproject.toml asks: ruff and strict mypy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PATHS = ["pettingretro", "tests", "bench", "native", "examples", "scripts"]


def run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)


def existing() -> list[str]:
    return [p for p in PATHS if (ROOT / p).exists()]


def test_ruff_lint() -> None:
    r = run(sys.executable, "-m", "ruff", "check", *existing())
    assert r.returncode == 0, r.stdout + r.stderr


def test_ruff_format() -> None:
    r = run(sys.executable, "-m", "ruff", "format", "--check", *existing())
    assert r.returncode == 0, r.stdout + r.stderr


def test_mypy_strict() -> None:
    r = run(sys.executable, "-m", "mypy")
    assert r.returncode == 0, r.stdout + r.stderr
