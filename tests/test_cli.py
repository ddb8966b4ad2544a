"""The command line: listing cores and the README's demo."""

from __future__ import annotations

from pathlib import Path

import pytest

from pettingretro.cli import main


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
