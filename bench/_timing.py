"""The benchmarks' worker processes: each configuration measured in a process of its own.

The driver starts ``python <script> --worker NAME`` (:class:`Worker`); the worker builds and warms
its configuration (:func:`warm_up`), answers one JSON line (``{"ready": true}``, ``{"skip": why}``
or a one-shot result), then one JSON line per ``seconds`` line it reads, until its input ends.
Used by bench/envs.py and bench/vector.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO, TypeVar

T = TypeVar("T")


class SkipConfig(Exception):
    """A reference cannot run here; the message says why."""


def warm_up(build: Callable[[TextIO], T | None]) -> tuple[TextIO, T | None]:
    """In a worker: build and warm a configuration, then say ready, or skip with why.

    Args:
        build: ``build(out)`` makes and warms the configuration, or writes a one-shot result
            to ``out`` (the protocol's stream) and returns None.

    Returns:
        ``(out, built)``: the protocol's stream (sys.stdout is stderr from here on, so
        libraries' chatter cannot mix with the protocol) and what ``build`` made, or None when
        there is nothing more to measure (skipped, failed or one-shot).
    """
    out = sys.stdout
    sys.stdout = sys.stderr
    try:
        built = build(out)
    except SkipConfig as e:
        print(json.dumps({"skip": str(e)}), file=out, flush=True)
        return out, None
    except Exception as e:  # reported to the driver, which goes on
        traceback.print_exc()
        print(json.dumps({"skip": f"{type(e).__name__}: {e}"}), file=out, flush=True)
        return out, None
    if built is not None:
        print(json.dumps({"ready": True}), file=out, flush=True)
    return out, built


class Worker:
    """One configuration's worker process (``script --worker name``), kept running between rounds."""

    def __init__(self, script: str | Path, name: str) -> None:
        self.name = name
        # a file, not a pipe: a pipe nobody reads could fill and block the worker
        self.err = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed in close()
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(script).resolve()), "--worker", name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.err,
            text=True,
        )
        self.skip: str | None = None

    def _stderr(self, tail: int) -> str:
        self.err.seek(0)
        return self.err.read().strip()[-tail:]

    def first(self) -> dict[str, Any]:
        """The worker's first line: ready, skipped (``skip`` then says why), or a one-shot result."""
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            self.skip = f"worker died (exit {self.proc.wait()}): {self._stderr(500)}"
            return {}
        msg: dict[str, Any] = json.loads(line)
        self.skip = msg.get("skip")
        if self.skip:
            self.proc.wait()
        return msg

    def __call__(self, seconds: float) -> dict[str, float]:
        """One measurement of ``seconds`` stepping time."""
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.write(f"{seconds}\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.name} worker died: {self._stderr(800)}")
        result: dict[str, float] = json.loads(line)
        return result

    def close(self) -> None:
        """End the worker (it closes its env) once its input ends."""
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            self.proc.wait(timeout=60)
        self.err.close()
