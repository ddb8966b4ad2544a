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
