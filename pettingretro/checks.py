"""Argument checks shared by every public constructor: each failure names the argument and the fix.

Numpy scalars count as the Python numbers they hold (``np.int64(100)`` is an integer); ``True``
and ``False`` are not numbers here, though Python lets them be (``max_cycles=True`` is a mistake,
not one cycle).
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pettingretro.errors import PettingRetroError

__all__ = [
    "ArgumentError",
    "check_bool",
    "check_choice",
    "check_int",
    "check_options",
    "check_path",
    "check_probability",
    "check_seed",
]


class ArgumentError(PettingRetroError, ValueError):
    """An argument of the wrong type or out of range; the message names it and what it takes."""


class ArgumentTypeError(ArgumentError, TypeError):
    """An argument of the wrong type (also a TypeError, as Python's own are)."""


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_int(
    name: str, value: Any, *, low: int | None = None, high: int | None = None, none: bool = False
) -> int | None:
    """``value`` as an int in ``[low, high]`` (None allowed if ``none``)."""
    if value is None and none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ArgumentTypeError(
            f"{name} must be an integer{_range(low, high)}, got {type(value).__name__} {_shown(value)}"
        )
    v = int(value)
    if (low is not None and v < low) or (high is not None and v > high):
        raise ArgumentError(f"{name} must be an integer{_range(low, high)}, got {v}")
    return v


def _range(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f" from {low} to {high}"
    if low is not None:
        return f" >= {low}"
    if high is not None:
        return f" <= {high}"
    return ""


def check_bool(name: str, value: Any) -> bool:
    """``value`` as a bool: only True, False (or numpy's)."""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return bool(value)
    raise ArgumentTypeError(
        f"{name} must be True or False, got {type(value).__name__} {_shown(value)}"
    )


def check_probability(name: str, value: Any) -> float:
    """``value`` as a float in [0, 1]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ArgumentTypeError(
            f"{name} must be a number from 0 to 1, got {type(value).__name__} {_shown(value)}"
        )
    v = float(value)
    if not (math.isfinite(v) and 0.0 <= v <= 1.0):
        raise ArgumentError(f"{name} must be a number from 0 to 1, got {v}")
    return v


def check_choice(name: str, value: Any, choices: tuple[Any, ...], *, none: bool = False) -> Any:
    """``value`` if it is one of ``choices`` (or None if ``none``)."""
    if value is None and none:
        return None
    if isinstance(value, str) and value in choices:
        return value
    if not isinstance(value, str) and any(value is c for c in choices):
        return value
    shown = ", ".join(repr(c) for c in choices)
    extra = " or None" if none else ""
    raise ArgumentError(f"{name} must be one of {shown}{extra}, got {_shown(value)}")


def check_seed(value: Any) -> int | None:
    """A seed: None or an integer from 0 to 2**63 - 1."""
    return check_int("seed", value, low=0, high=2**63 - 1, none=True)


def check_options(name: str, value: Any) -> dict[str, str] | None:
    """Core options: None or a mapping of option key to value, both strings."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ArgumentTypeError(
            f"{name} must be a dict of option key -> value (strings), got {type(value).__name__} {_shown(value)}"
        )
    out = {}
    for k, v in value.items():
        if not isinstance(k, str) or not isinstance(v, (str, int, float)) or isinstance(v, bool):
            raise ArgumentTypeError(
                f"{name}: keys and values must be strings, got {_shown(k)}: {_shown(v)}"
            )
        out[k] = str(v)
    return out


def check_path(name: str, value: Any, *, none: bool = True) -> Path | None:
    """A path argument: None (if ``none``), a str or an os.PathLike."""
    if value is None and none:
        return None
    if isinstance(value, (str, os.PathLike)) and os.fspath(value):
        return Path(value)
    raise ArgumentTypeError(
        f"{name} must be a path (str or os.PathLike), got {type(value).__name__} {_shown(value)}"
    )
