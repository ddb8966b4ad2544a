"""The ``pettingretro play`` and ``pettingretro video`` commands: their parsers and what they run.

``cli.py`` calls :func:`add_play_parser` and :func:`add_video_parser` on its subparsers; each
sets ``func`` to the function that runs the command and returns its exit status.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from pettingretro.errors import PettingRetroError
from pettingretro.utils.arguments import (
    VIDEO_SUFFIXES,
    check_output_file,
    input_file_arg,
    int_arg,
    output_file_arg,
    positive_float_arg,
    record_folder_arg,
)

__all__ = ["add_play_parser", "add_video_parser", "make_named_env", "play", "render_video", "video"]

#: Suffixes :func:`render_video` writes pixel-exact with ``lossless=True``, and the codec used.
LOSSLESS: dict[str, dict[str, Any]] = {
    ".mkv": {"codec": "ffv1", "pixelformat": "bgr0"},
    ".mp4": {"codec": "libx264rgb", "pixelformat": "rgb24", "ffmpeg_params": ["-qp", "0"]},
}


def make_named_env(name: str, **kwargs: Any) -> Any:
    """A parallel env by name: a pettingretro env module (``pong_v0``) or an integration.

    Args:
        name: ``pong_v0`` and the other modules of ``pettingretro.envs``, or a stable-retro
            integration's name (``Airstriker-Genesis-v0``) or folder.
        **kwargs: as RetroParallelEnv; ``num_players=None`` keeps the game's default.

    Raises:
        PettingRetroError: no env or integration has that name.
    """
    from pettingretro.factory import parallel_env

    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    return parallel_env(name, **kwargs)


# ---------------------------------------------------------------------------------- play


def add_play_parser(sub: Any) -> argparse.ArgumentParser:
    """Add ``play GAME`` to a subparsers object (``parser.add_subparsers()``)."""
    p: argparse.ArgumentParser = sub.add_parser(
        "play",
        help="play a game yourself in a window (keyboard or gamepad); other agents act at random",
        description="Play a game in a window; every agent you do not play acts at random. Arrows "
        "and space/ctrl play the first human (WASD and left shift a second); ESC quits, "
        "BACKSPACE starts a new episode. Needs a display (set SDL_VIDEODRIVER=dummy to run "
        "with no window).",
    )
    p.add_argument(
        "game", help="an env (pong_v0, space_invaders_v0, ...) or a stable-retro integration"
    )
    p.add_argument(
        "--human",
        action="append",
        metavar="AGENT",
        help="the agent you play (default first_0); repeat for a second human",
    )
    p.add_argument(
        "--players", type=int_arg(1, 8), metavar="N", help="number of agents (default: the game's)"
    )
    p.add_argument("--mode", type=int_arg(0), metavar="N", help="game mode (default: the game's)")
    p.add_argument(
        "--frameskip",
        type=int_arg(1, 1000),
        default=1,
        metavar="N",
        help="frames per step (default 1)",
    )
    p.add_argument(
        "--zoom", type=int_arg(1, 16), default=3, metavar="N", help="window scale (default 3)"
    )
    p.add_argument(
        "--fps",
        type=positive_float_arg(10000, zero="as fast as possible"),
        help="steps per second (default: the console's speed; 0: as fast as possible)",
    )
    p.add_argument("--steps", type=int_arg(1), metavar="N", help="stop after N steps")
    p.add_argument("--episodes", type=int_arg(1), metavar="N", help="stop after N episodes")
    p.add_argument(
        "--record",
        type=record_folder_arg,
        metavar="DIR",
        help="write each episode to DIR as a .bk2 replay (created if missing)",
    )
    p.add_argument(
        "--seed", type=int_arg(0), metavar="N", help="seed of the game and the random players"
    )
    p.add_argument("--no-joystick", action="store_true", help="ignore gamepads")
    p.set_defaults(func=play)
    return p


def play(args: argparse.Namespace) -> int:
    """Run ``pettingretro play``: returns the exit status."""
    from pettingretro.utils.manual_control import manual_control
    from pettingretro.window import check_display

    # before the game loads: with no display the window would be invisible or fail late
    check_display()
    try:
        env = make_named_env(
            args.game,
            num_players=args.players,
            mode=args.mode,
            frameskip=args.frameskip,
            record=args.record,
        )
    except (PettingRetroError, ValueError, TypeError) as e:
        print(f"pettingretro play: {e}", file=sys.stderr)
        return 2
    recorder = env.recorder
    humans = args.human or ["first_0"]
    try:
        result = manual_control(
            env,
            human=humans,
            zoom=args.zoom,
            fps=args.fps,
            max_steps=args.steps,
            max_episodes=args.episodes,
            seed=args.seed,
            joystick=not args.no_joystick,
        )
    except (PettingRetroError, ValueError) as e:
        print(f"pettingretro play: {e}", file=sys.stderr)
        return 2
    finally:
        env.close()
    for agent, total in result.rewards.items():
        who = "you" if agent in humans else "random"
        print(f"{agent:<10} ({who:<6}) total reward {total:+.1f}")
    print(f"{result.steps} steps, {result.episodes} finished episode(s)")
    if recorder is not None:
        for path in recorder.written:
            print(f"replay: {path}")
    return 0


# ---------------------------------------------------------------------------------- video


def add_video_parser(sub: Any) -> argparse.ArgumentParser:
    """Add ``video FILE.bk2 -o OUT`` to a subparsers object."""
    p: argparse.ArgumentParser = sub.add_parser(
        "video",
        help="render a .bk2 replay to a video file (.mp4, .gif, .webm, .mkv)",
        description="Replay a .bk2 movie in the game it was recorded in and write what the "
        "screen shows: the screen after reset, then one frame per step (or per emulated frame).",
    )
    p.add_argument(
        "movie",
        type=input_file_arg("a .bk2 replay"),
        help="a .bk2 replay (pettingretro's, BizHawk's or stable-retro's)",
    )
    p.add_argument(
        "-o",
        "--output",
        type=output_file_arg(VIDEO_SUFFIXES),
        metavar="FILE",
        help="the video file, .mp4, .gif, .webm or .mkv (default: the movie's name with .mp4)",
    )
    p.add_argument(
        "--fps",
        type=positive_float_arg(1000),
        help="video frames per second (default: real time, the console's rate / frameskip)",
    )
    p.add_argument(
        "--every-frame",
        action="store_true",
        help="one video frame per emulated frame, not per step",
    )
    p.add_argument(
        "--lossless",
        action="store_true",
        help="pixel-exact video: .mkv (FFV1) or .mp4 (H.264 RGB, -qp 0)",
    )
    p.add_argument(
        "--no-sound", action="store_true", help="no sound track (default: one, at real time)"
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=video)
    return p


def video(args: argparse.Namespace) -> int:
    """Run ``pettingretro video``: returns the exit status."""
    try:
        # the default output is checked here, as -o is by its parser: before the replay runs
        output = args.output or check_output_file(
            Path(args.movie).with_suffix(".mp4"), VIDEO_SUFFIXES
        )
        if args.lossless and output.suffix.lower() not in LOSSLESS:
            raise PettingRetroError(
                f"cannot write {output.name} losslessly: use {' or '.join(LOSSLESS)}"
            )
        out, n = render_video(
            args.movie,
            output,
            fps=args.fps,
            every_frame=args.every_frame,
            lossless=args.lossless,
            progress=False if args.quiet else None,
            sound=False if args.no_sound else None,
        )
    except (PettingRetroError, ValueError, OSError) as e:
        print(f"pettingretro video: {e}", file=sys.stderr)
        return 2
    print(f"{out} ({n} frames)")
    return 0


def render_video(
    movie: str | os.PathLike[str],
    output: str | os.PathLike[str] | None = None,
    *,
    fps: float | None = None,
    every_frame: bool = False,
    lossless: bool = False,
    progress: bool | None = None,
    sound: bool | None = None,
) -> tuple[Path, int]:
    """Replay a movie in the env it was recorded with and write what the screen shows.

    The video holds the screen after ``reset()`` and then one frame per env step (with
    ``every_frame``, one per emulated frame), so its first frame is the episode's first
    observation.

    Args:
        movie: a ``.bk2`` file.
        output: the video file; its suffix picks the format (default: ``movie`` with .mp4).
        fps: frames per second (default: real time, the core's rate over the frameskip).
        every_frame: write every emulated frame.
        lossless: write pixel-exact video (.mkv with FFV1, or .mp4 with H.264 RGB ``-qp 0``;
            the default .mp4 and .gif are lossy).
        progress: draw a progress bar (default: when stderr is a terminal).
        sound: mux the console's sound track (default: for .mp4, .mkv and .webm played at
            real time; a .gif or a changed ``fps`` has none).

    Returns:
        The video's path and its frame count.

    Raises:
        MovieError: the movie cannot be read or replayed.
        PettingRetroError: no video writer for the suffix, or imageio is missing.

    Example:
        >>> from pettingretro.utils.commands import render_video
        >>> render_video("pong_v0-000000.bk2", "pong.mp4")  # doctest: +SKIP
        (PosixPath('pong.mp4'), 1201)
    """
    from pettingretro.factory import env_for_movie
    from pettingretro.host import Emulator
    from pettingretro.movie import Movie, playback
    from pettingretro.utils.progress import Progress
    from pettingretro.utils.video import SOUND_CODECS, add_sound

    m = Movie(movie)
    out = Path(output) if output is not None else Path(movie).with_suffix(".mp4")
    if lossless and out.suffix.lower() not in LOSSLESS:
        raise PettingRetroError(f"cannot write {out.name} losslessly: use {' or '.join(LOSSLESS)}")
    env = env_for_movie(m)
    # written under a temporary name (same suffix: it picks the format), renamed when complete
    tmp = out.with_name(f".{out.stem}.{os.getpid()}.partial{out.suffix}")
    if sound is None:
        sound = fps is None and out.suffix.lower() in SOUND_CODECS
    try:
        emu = env.emu
        assert emu is not None  # built, not closed
        core_fps = emu.av_info.fps
        rate = fps if fps is not None else core_fps / (1 if every_frame else m.frameskip)
        total = len(m.step_bounds(every_frame))
        samples: list[npt.NDArray[np.int16]] | None = None
        if sound and isinstance(emu, Emulator):
            emu.enable_audio()
            samples = []
        with Progress(total, "frames", progress, delay=0.5) as bar:
            frames = bar.wrap(playback(m, env, every_frame=every_frame, sound=samples))
            n = _write_lossless(frames, tmp, rate) if lossless else _write(frames, tmp, rate)
        if samples:
            add_sound(tmp, np.concatenate(samples), emu.av_info.sample_rate)
        os.replace(tmp, out)
    finally:
        env.close()
        if tmp.exists():
            tmp.unlink()
    return out, n


def _write(frames: Iterator[npt.NDArray[np.uint8]], out: Path, fps: float) -> int:
    from pettingretro.utils.video import write_video

    return write_video(frames, out, fps=fps)


def _write_lossless(frames: Iterator[npt.NDArray[np.uint8]], out: Path, fps: float) -> int:
    try:
        import imageio.v2 as imageio
    except ImportError:
        raise PettingRetroError(
            "writing video needs imageio: `pip install imageio imageio-ffmpeg`"
        ) from None
    writer: Any = imageio.get_writer(
        out, format="FFMPEG", fps=fps, macro_block_size=1, **LOSSLESS[out.suffix.lower()]
    )
    n = 0
    with writer:
        for frame in frames:
            writer.append_data(np.ascontiguousarray(frame))
            n += 1
    return n
