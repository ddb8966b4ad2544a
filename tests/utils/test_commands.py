"""The `play` and `video` commands: a replay rendered to video, a game played from the shell."""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path

import numpy as np
import pytest

from pettingretro.envs import pong_v0
from pettingretro.utils.commands import add_play_parser, add_video_parser, render_video

iio = pytest.importorskip("imageio.v2")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pettingretro")
    sub = p.add_subparsers(dest="command", required=True)
    add_play_parser(sub)
    add_video_parser(sub)
    return p


def recorded_episode(folder: Path, steps: int = 40, frameskip: int = 2):
    """A pong episode with random actions; the movie and every observation (RGB)."""
    env = pong_v0.parallel_env(record=folder, frameskip=frameskip, max_cycles=steps)
    obs, _ = env.reset(seed=3)
    rng = np.random.default_rng(3)
    frames = [obs["first_0"]]
    while env.agents:
        obs, *_ = env.step({a: int(rng.integers(6)) for a in env.agents})
        frames.append(obs["first_0"])
    movie = env.recorder.written[0]
    env.close()
    return movie, frames


def decode(path: Path) -> list[np.ndarray]:
    with iio.get_reader(path, format="FFMPEG") as reader:
        return [np.asarray(f) for f in reader]


def test_lossless_video_is_the_episode_frame_for_frame(tmp_path: Path) -> None:
    # FFV1 in .mkv is lossless RGB, so decoded frames compare exactly with observations
    movie, frames = recorded_episode(tmp_path)
    out, n = render_video(movie, tmp_path / "pong.mkv", lossless=True, progress=False)
    video = decode(out)
    assert n == len(video) == len(frames) == 41  # reset()'s screen, then one per step
    assert np.array_equal(video[0], frames[0])  # the env's first screen
    assert all(np.array_equal(a, b) for a, b in zip(video, frames, strict=True))


@pytest.mark.parametrize("suffix", [".mp4", ".gif"])
def test_default_video_has_one_frame_per_step(tmp_path: Path, suffix: str) -> None:
    movie, frames = recorded_episode(tmp_path)
    out, n = render_video(movie, tmp_path / f"pong{suffix}", progress=False)
    if suffix == ".gif":
        # Pillow's GIF writer merges identical consecutive frames (adding their durations)
        video = list(iio.mimread(out))
        assert n == len(frames) and len(frames) - 5 <= len(video) <= len(frames)
        assert np.abs(np.asarray(video[0])[..., :3].astype(int) - frames[0]).mean() < 8
    else:
        video = decode(out)
        assert len(video) == n == len(frames)
        assert np.abs(video[0].astype(int) - frames[0]).mean() < 8  # lossy, but the same picture
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_video_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    movie, _ = recorded_episode(tmp_path, steps=10)
    args = parser().parse_args(
        ["video", str(movie), "--every-frame", "--lossless", "-o", str(tmp_path / "x.mp4")]
    )
    assert args.func(args) == 0
    out = capsys.readouterr()
    assert "x.mp4 (21 frames)" in out.out and out.err == ""  # no progress bar off a terminal
    assert len(decode(tmp_path / "x.mp4")) == 21  # every emulated frame
    args = parser().parse_args(["video", str(movie), "--lossless", "-o", str(tmp_path / "x.gif")])
    assert args.func(args) == 2
    assert "use .mkv or .mp4" in capsys.readouterr().err


def test_play_command_records_the_game(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    args = parser().parse_args(
        ["play", "pong_v0", "--steps", "30", "--fps", "0", "--record", str(tmp_path), "--seed", "1"]
    )
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "first_0" in out and "(you" in out and "30 steps" in out
    assert "replay:" in out and len(list(tmp_path.glob("pong_v0-*.bk2"))) == 1


def test_play_command_names_unknown_games(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    args = parser().parse_args(["play", "nosuchgame_v0"])
    assert args.func(args) == 2
    assert "pong_v0" in capsys.readouterr().err


def sound_of(path: Path) -> np.ndarray:
    """The video's sound track decoded back: (N, 2) int16 at 48 kHz."""
    import subprocess

    import imageio_ffmpeg

    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(path), "-map", "0:a"]
    cmd += ["-f", "s16le", "-ac", "2", "-ar", "48000", "-"]
    pcm = subprocess.run(cmd, capture_output=True, check=True, timeout=120).stdout
    return np.frombuffer(pcm, np.int16).reshape(-1, 2)


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_video_has_the_sound_track(tmp_path: Path, suffix: str) -> None:
    movie, _ = recorded_episode(tmp_path, steps=120)
    out, n = render_video(movie, tmp_path / f"pong{suffix}", progress=False)
    sound = sound_of(out)
    seconds = (1 + 120 * 2) / 59.92  # the replay's emulated frames at the console's rate
    assert abs(len(sound) / 48000 - seconds) < 0.1  # the whole replay, in time with the video
    assert np.abs(sound.astype(int)).max() > 1000  # Pong's serve beep, not silence
    assert len(decode(out)) == n  # the pictures are still all there
    silent, _ = render_video(movie, tmp_path / "x.mp4", progress=False, sound=False)
    with pytest.raises(subprocess.CalledProcessError):
        sound_of(silent)
