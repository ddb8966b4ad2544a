"""Exceptions pettingretro raises; each message says how to fix the problem."""

from __future__ import annotations


class PettingRetroError(Exception):
    """Base class of every pettingretro error."""


class CoreNotFoundError(PettingRetroError, FileNotFoundError):
    """No libretro core matches the requested name or path."""


class RomNotFoundError(PettingRetroError, FileNotFoundError):
    """A ROM is missing, unreadable, or no ROM matches a game's hash."""


class RomLoadError(PettingRetroError):
    """The core refused the ROM."""


class BiosMissingError(PettingRetroError, FileNotFoundError):
    """A core needs BIOS files that are not in the system directory."""


class StateError(PettingRetroError, ValueError):
    """A save state could not be made or does not fit this core and game."""


class EmulatorClosedError(PettingRetroError):
    """The emulator was used after close()."""


class EmulatorBusyError(PettingRetroError):
    """Two threads used one emulator at the same time."""


class CoreShutdownError(PettingRetroError):
    """The core asked the frontend to shut down (RETRO_ENVIRONMENT_SHUTDOWN)."""


class CoreError(PettingRetroError):
    """The core failed in a way no other error describes."""


class EnvStateError(PettingRetroError, RuntimeError):
    """The env was used out of order: stepped before reset(), after every agent finished, or after close()."""


class ScenarioError(PettingRetroError, ValueError):
    """A scenario that cannot be evaluated; the message names the file and the key."""


class ScriptError(PettingRetroError, RuntimeError):
    """A Lua script failed to load or a script function raised an error."""


class IntegrationError(PettingRetroError, ValueError):
    """A game's data files are missing or malformed; the message names the file and key."""


class VectorEnvError(PettingRetroError, RuntimeError):
    """The vector env was used out of order (recv() without send(), step() while a send is pending)."""


class UnknownEnvError(PettingRetroError, ValueError):
    """No env, integration or folder has the name given."""


class UnknownAgentError(PettingRetroError, KeyError, ValueError):
    """An agent name the env does not have; the message lists the agents it has."""

    def __str__(self) -> str:  # KeyError would show the message quoted
        return str(self.args[0]) if self.args else ""


class EmulatorCrashed(PettingRetroError):
    """The core of an isolated emulator died (or hung); this process is unaffected.

    Raised by ``pettingretro.isolation.IsolatedEmulator``; ``restart()`` brings it back.

    Attributes:
        label: the game's name as given to the emulator.
        core: the core's file name.
        frame: the last frame that completed before the crash.
        signal: the signal's name (``"SIGSEGV"``) or None when the worker exited or hung.
        exitcode: the worker's exit status (negative: killed by that signal).
    """

    def __init__(
        self,
        message: str,
        *,
        label: str | None = None,
        core: str | None = None,
        frame: int | None = None,
        signal: str | None = None,
        exitcode: int | None = None,
    ) -> None:
        super().__init__(message)
        self.label = label
        self.core = core
        self.frame = frame
        self.signal = signal
        self.exitcode = exitcode

    def __reduce__(self) -> tuple[object, ...]:
        attrs = {k: getattr(self, k) for k in ("label", "core", "frame", "signal", "exitcode")}
        return (_rebuild_crash, (str(self), attrs))


def _rebuild_crash(message: str, attrs: dict[str, object]) -> EmulatorCrashed:
    # keyword arguments do not survive Exception's default pickling
    return EmulatorCrashed(message, **attrs)  # type: ignore[arg-type]


class TilesError(PettingRetroError, ValueError):
    """A tiles observation was asked of a console, core or game that cannot give it."""


class MovieError(PettingRetroError, ValueError):
    """A movie file is malformed, incomplete, unsafe, or does not fit the env it is played into."""


class RecordingError(PettingRetroError, OSError):
    """An episode's movie could not be written (nothing was left behind)."""
