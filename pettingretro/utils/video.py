"""Writing frames to a video file (.mp4 through imageio-ffmpeg, .gif through pillow)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from pettingretro.errors import PettingRetroError


def write_video(
    frames: Iterable[npt.NDArray[np.uint8]], path: str | os.PathLike[str], fps: float = 60.0
) -> int:
    """Write RGB frames (H, W, 3) to ``path``; the suffix picks the format. Returns the frame count.

    Raises:
        PettingRetroError: imageio (or imageio-ffmpeg for .mp4) is missing, or the suffix is unknown.
    """
    out = Path(path)
    suffix = out.suffix.lower()
    if suffix not in (".mp4", ".gif", ".webm", ".mkv"):
        raise PettingRetroError(f"cannot write {out.name}: use .mp4, .gif, .webm or .mkv")
    try:
        import imageio.v2 as imageio
    except ImportError:
        raise PettingRetroError(
            "writing video needs imageio: `pip install imageio imageio-ffmpeg`"
        ) from None
    kwargs: dict[str, Any] = {"fps": fps}
    if suffix == ".gif":
        kwargs = {"duration": 1000.0 / fps, "loop": 0}
    else:
        kwargs.update(
            codec="libx264" if suffix in (".mp4", ".mkv") else "libvpx",
            quality=8,
            macro_block_size=1,
        )
    n = 0
    writer: Any = imageio.get_writer(out, **kwargs)
    with writer:
        for frame in frames:
            writer.append_data(np.ascontiguousarray(frame))
            n += 1
    return n


#: The sound codec muxed into each container (a .gif has no sound).
SOUND_CODECS = {".mp4": "aac", ".mkv": "flac", ".webm": "libopus"}


def add_sound(path: str | os.PathLike[str], samples: npt.NDArray[np.int16], rate: float) -> None:
    """Mux a sound track into a written video file, in place (the pictures are copied as they are).

    Args:
        path: a .mp4, .mkv or .webm file written by :func:`write_video`.
        samples: (N, 2) int16 stereo frames, as ``Emulator.audio()`` gives them.
        rate: samples per second (``emu.av_info.sample_rate``).

    Raises:
        PettingRetroError: the suffix holds no sound, imageio-ffmpeg is missing, or ffmpeg
            failed (its last line says why).

    Example:
        >>> import numpy as np
        >>> from pettingretro.utils.video import add_sound
        >>> add_sound("pong.mp4", np.zeros((48000, 2), np.int16), 48000.0)  # doctest: +SKIP
    """
    import subprocess
    import tempfile
    import wave

    out = Path(path)
    codec = SOUND_CODECS.get(out.suffix.lower())
    if codec is None:
        raise PettingRetroError(f"{out.name} cannot hold sound: use {', '.join(SOUND_CODECS)}")
    pcm = np.ascontiguousarray(samples, np.int16).reshape(-1, 2)
    try:
        import imageio_ffmpeg
    except ImportError:
        raise PettingRetroError(
            "muxing sound needs imageio-ffmpeg: `pip install imageio-ffmpeg`"
        ) from None
    with tempfile.TemporaryDirectory(prefix="pettingretro-sound-") as tmp:
        wav = Path(tmp) / "sound.wav"
        with wave.open(str(wav), "wb") as w:
            w.setnchannels(2)
            w.setsampwidth(2)
            w.setframerate(round(rate))
            w.writeframes(pcm.astype("<i2").tobytes())
        muxed = Path(tmp) / f"muxed{out.suffix}"
        cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-i", str(out)]
        cmd += ["-i", str(wav), "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", codec]
        run = subprocess.run([*cmd, str(muxed)], capture_output=True, text=True, timeout=600)
        if run.returncode != 0:
            last = (run.stderr.strip().splitlines() or ["no message"])[-1]
            raise PettingRetroError(f"ffmpeg could not add the sound to {out.name}: {last}")
        os.replace(muxed, out)
