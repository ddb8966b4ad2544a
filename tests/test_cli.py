"""The command line: listing cores, the README's demo, `python -m pettingretro`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pettingretro.cli import main
from pettingretro.utils import demo


def test_cores_lists_stella_with_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cores"]) == 0
    out = capsys.readouterr().out
    line = next(row for row in out.splitlines() if row.startswith("stella "))
    assert "3.9.3" in line and "Atari2600" in line and "stable-retro" in line


def test_demo_prints_rewards_and_writes_video(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    video = tmp_path / "demo.mp4"
    assert main(["demo", "--steps", "300", "--video", str(video)]) == 0
    out = capsys.readouterr().out
    assert "first_0" in out and "second_0" in out and "average reward" in out
    assert video.stat().st_size > 1000


def test_demo_shows_progress_on_a_terminal(monkeypatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)  # the plain counter: its text is known
    monkeypatch.setattr(demo, "PROGRESS_DELAY", 0.0)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main(["demo", "--steps", "50", "--video", ""]) == 0
    err = capsys.readouterr().err
    assert "50/50 steps" in err and err.endswith("\r\033[K")  # drawn, then erased
    assert main(["demo", "--steps", "50", "--video", "", "--quiet"]) == 0
    assert capsys.readouterr().err == ""


def test_python_m_pettingretro_runs_the_command(tmp_path: Path) -> None:
    # in a pipe: the output people read, and no progress bar
    video = tmp_path / "d.gif"
    res = subprocess.run(
        [sys.executable, "-m", "pettingretro", "demo", "--steps", "30", "--video", str(video)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PETTINGRETRO_DATA_DIR": str(tmp_path / "data")},
        check=False,
    )
    assert res.returncode == 0, res.stderr
    assert res.stderr == "" and f"video: {video} (30 frames)" in res.stdout
    assert video.stat().st_size > 100
