"""A progress bar for long work (import, video, demo, rollouts): on a terminal's stderr only.

tqdm draws it when installed, else a plain ``done/total unit`` counter; off a terminal (a pipe,
a log file, a test) nothing is drawn, so output that is parsed stays clean.
"""

from __future__ import annotations

import importlib
import sys
import time
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import Any, TypeVar

__all__ = ["Progress"]

T = TypeVar("T")


class Progress:
    """A progress bar on stderr that lines of output (``write``) print around.

    Nothing shows for the first ``delay`` seconds, so short runs stay quiet.

    Args:
        total: the count that means done, or None when unknown.
        unit: what is counted (``"files"``, ``"frames"``).
        enabled: draw the bar; default: when stderr is a terminal.
        delay: seconds before the bar first shows.

    Example:
        >>> with Progress(3, "frames", enabled=False) as bar:
        ...     frames = list(bar.wrap(iter("abc")))
        >>> bar.count
        3
    """

    def __init__(
        self, total: int | None, unit: str, enabled: bool | None = None, delay: float = 1.0
    ) -> None:
        self.total = total
        self.unit = unit
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.delay = delay
        self.count = 0
        self._start = time.monotonic()
        self._drawn = 0.0
        self._bar: Any = None
        if self.enabled:
            try:
                # imported by name: tqdm is optional and ships no type information
                tqdm = importlib.import_module("tqdm").tqdm
            except ImportError:
                pass
            else:
                self._bar = tqdm(total=total, unit=unit, file=sys.stderr, delay=delay, leave=False)

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _erase(self) -> None:
        if self._drawn:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
            self._drawn = 0.0

    def update(self, n: int = 1) -> None:
        """Count ``n`` more done."""
        self.count += n
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.update(n)
            return
        now = time.monotonic()
        done = self.total is not None and self.count >= self.total
        if now - self._start >= self.delay and (now - self._drawn >= 0.1 or done):
            of = f"/{self.total}" if self.total is not None else ""
            sys.stderr.write(f"\r{self.count}{of} {self.unit}")
            sys.stderr.flush()
            self._drawn = now

    def write(self, line: str) -> None:
        """Print a line on stdout without breaking the bar."""
        if self._bar is not None:
            self._bar.write(line, file=sys.stdout)
            return
        self._erase()
        sys.stdout.write(line + "\n")
        if self.enabled:
            sys.stdout.flush()

    def close(self) -> None:
        """Remove the bar."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        else:
            self._erase()

    def wrap(self, items: Iterable[T]) -> Iterator[T]:
        """Yield ``items``, counting each."""
        for item in items:
            yield item
            self.update()
