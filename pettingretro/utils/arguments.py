"""Checks for command-line arguments: numbers in range, and paths that can be read or written.

Each ``*_arg`` function is an ``argparse`` ``type=``: it returns the parsed value or raises
``argparse.ArgumentTypeError`` with a message saying what to give instead, so a bad argument
stops the command before any work. ``check_output_file`` is the same check for library code.
"""

from __future__ import annotations

import argparse
import math
import os
import stat
from collections.abc import Callable, Sequence
from pathlib import Path

from pettingretro.errors import PettingRetroError

__all__ = [
    "VIDEO_SUFFIXES",
    "check_output_file",
    "input_file_arg",
    "int_arg",
    "output_file_arg",
    "positive_float_arg",
    "record_folder_arg",
]

#: The video formats ``write_video`` and ``pettingretro video`` write.
VIDEO_SUFFIXES = (".mp4", ".gif", ".webm", ".mkv")


def int_arg(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high`` (no bound when None)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < low or (high is not None and value > high):
            wanted = f"from {low} to {high}" if high is not None else f"of at least {low}"
            raise argparse.ArgumentTypeError(f"expected a whole number {wanted}, got {value}")
        return value

    parse.__name__ = "whole number"  # argparse names the type in its own messages
    return parse


def positive_float_arg(high: float, *, zero: str | None = None) -> Callable[[str], float]:
    """An argparse type: a number above 0 (or 0 where ``zero`` says what it means) up to ``high``."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not math.isfinite(value) or value < 0 or (value == 0 and zero is None) or value > high:
            low = "from 0" if zero is not None else "above 0"
            also = f" (0: {zero})" if zero is not None else ""
            raise argparse.ArgumentTypeError(
                f"expected a number {low} to {high:g}{also}, got {text!r}"
            )
        return value

    parse.__name__ = "number"
    return parse


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISREG(mode):
        return "a file"
    return "not a regular file"


def check_output_file(path: str | os.PathLike[str], suffixes: Sequence[str]) -> Path:
    """Check, before any work, that a file with one of ``suffixes`` can be written at ``path``.

    Args:
        path: the file to write (it may exist: it is replaced).
        suffixes: the accepted extensions, lower case with their dot (``.mp4``).

    Returns:
        The path.

    Raises:
        PettingRetroError: the extension is not accepted, the folder is missing or not
            writable, or the path is a folder, FIFO or device.
    """
    out = Path(path)
    if out.suffix.lower() not in suffixes:
        raise PettingRetroError(
            f"cannot write {out.name!r}: its extension must be {', '.join(suffixes)}"
        )
    folder = out.parent
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise PettingRetroError(f"cannot write {out}: {folder} {what}; create it or pick another")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PettingRetroError(f"cannot write {out}: no permission to write in {folder}")
    try:
        mode = out.stat().st_mode
    except OSError:
        return out
    if not stat.S_ISREG(mode):
        raise PettingRetroError(f"cannot write {out}: it is {_kind(mode)}; give a file name")
    if not os.access(out, os.W_OK):
        raise PettingRetroError(f"cannot write {out}: the file is read-only")
    return out


def output_file_arg(
    suffixes: Sequence[str], *, empty_means_none: bool = False
) -> Callable[[str], Path | None]:
    """An argparse type: a writable file path with one of ``suffixes`` (see ``check_output_file``)."""

    def parse(text: str) -> Path | None:
        if empty_means_none and text == "":
            return None
        try:
            return check_output_file(text, suffixes)
        except PettingRetroError as e:
            raise argparse.ArgumentTypeError(str(e)) from None

    parse.__name__ = "file name"
    return parse


def input_file_arg(what: str) -> Callable[[str], Path]:
    """An argparse type: a regular file that can be read (never a FIFO, which would block)."""

    def parse(text: str) -> Path:
        path = Path(text)
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            raise argparse.ArgumentTypeError(f"{text!r} does not exist: give {what}") from None
        except OSError as e:
            raise argparse.ArgumentTypeError(f"cannot read {text!r} ({e.strerror or e})") from None
        if not stat.S_ISREG(mode):
            raise argparse.ArgumentTypeError(f"{text!r} is {_kind(mode)}: give {what}")
        if not os.access(path, os.R_OK):
            raise argparse.ArgumentTypeError(f"{text!r} is not readable: check its permissions")
        return path

    parse.__name__ = "file"
    return parse


def record_folder_arg(text: str) -> Path:
    """An argparse type: a folder to write replays in (created if missing)."""
    path = Path(text)
    if text == "":
        raise argparse.ArgumentTypeError("expected a folder, got ''")
    existing = path
    while not existing.exists() and existing != existing.parent:
        if existing.is_symlink():
            raise argparse.ArgumentTypeError(f"{str(existing)!r} is a broken link: give a folder")
        existing = existing.parent
    if not existing.is_dir():
        raise argparse.ArgumentTypeError(
            f"{str(existing)!r} is {_kind(existing.stat().st_mode)}, not a folder: give a folder for the replays"
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"no permission to write in {str(existing)!r}")
    return path
