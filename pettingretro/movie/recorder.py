"""Recording episodes as ``.bk2`` movies: :class:`EpisodeRecorder`, a frame observer of an env.

The env knows nothing of movies: ``record=DIR`` builds an :class:`EpisodeRecorder` and adds it
with ``env.add_observer()`` (see :mod:`pettingretro.observers`). The recorder reads only the
env's public attributes (``emu``, ``controls``, ``paddle_spec``, ``paddle_center``,
``init_kwargs``, ``game``, ``rom_path``, ``frameskip``, ``metadata``, ``num_players``).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import os
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from pettingretro.errors import PettingRetroError, RecordingError
from pettingretro.host import MAX_PORTS
from pettingretro.movie.bk2 import (
    PADDLE_COLUMN,
    PLATFORMS,
    REPLAYED_ARGS,
    Layout,
    generic_buttons,
    log_chunks,
    system_named,
)

if TYPE_CHECKING:
    from pettingretro.integration.systems import System
    from pettingretro.parallel.env import RetroParallelEnv

__all__ = ["EpisodeRecorder", "system_of_env"]


class EpisodeRecorder:
    """Writes each episode of an env to ``folder/<game>-<n>.bk2`` (the env's ``record=``).

    The env calls :meth:`on_reset` right after restoring an episode's start state,
    :meth:`on_frames` before every emulation, :meth:`on_episode_end` when every agent has
    finished, and :meth:`close`. An episode cut short by ``reset()`` or ``close()`` is written
    too (its header says ``pettingretroEnded reset`` or ``close``); one with no step is not.

    Args:
        folder: where movies go (created if missing).
        env: the env being recorded (only its public attributes are read).

    Raises:
        RecordingError: (from on_episode_end, on_reset or close) a movie could not be written;
            no partial file is left behind.
    """

    def __init__(self, folder: Path, env: RetroParallelEnv) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.env = env
        self.name = str(env.metadata.get("name") or env.game.env_name)
        self.system = system_of_env(env)
        self._buttons = self.system.buttons if self.system is not None else generic_buttons()
        self._sha1 = hashlib.sha1(Path(env.rom_path).read_bytes()).hexdigest().upper()
        table = env.controls.masks.reshape(-1, env.controls.masks.shape[-1])
        reach = np.flatnonzero(np.bitwise_or.reduce(table, axis=0))
        self._ports = int(reach.max()) + 1 if reach.size else 1
        self._npaddles = env.controls.num_paddles if env.paddle_center is not None else 0
        if self._npaddles:
            lo, hi = dict(env.paddle_spec or {})["range"]
            self._range = (int(lo), int(hi))
        #: The movies written so far.
        self.written: list[Path] = []
        self._next = _first_free(self.folder, self.name)
        self._start: bytes | None = None
        self._runs: list[tuple[npt.NDArray[np.uint16], int]] = []
        self._pads: list[npt.NDArray[np.int32]] = []
        self._frames = 0
        self._predicted: npt.NDArray[np.int64] | None = None
        self._drift = 0

    # ------------------------------------------------------------------ the env's calls

    def on_reset(self) -> None:
        """An episode starts from the emulator's current state."""
        if self._start is not None:
            self._finish("reset")
        assert self.env.emu is not None
        self._start = self.env.emu.save_state()
        self._runs, self._pads, self._frames = [], [], 0
        self._predicted = None
        self._drift = 0

    def on_frames(
        self, masks: npt.NDArray[np.uint16], deltas: npt.NDArray[np.int32], frames: int
    ) -> None:
        """``frames`` frames are about to run holding ``masks``, paddles moving by ``deltas``."""
        if self._start is None:
            return
        m = np.zeros(MAX_PORTS, np.uint16)
        src = np.asarray(masks, np.uint16)[:MAX_PORTS]
        m[: len(src)] = src
        if self._runs and frames and np.array_equal(self._runs[-1][0], m):
            self._runs[-1] = (m, self._runs[-1][1] + frames)
        else:
            self._runs.append((m, frames))
        if self._npaddles:
            assert self.env.emu is not None
            cur = np.asarray(self.env.emu.paddles[: self._npaddles], np.int64)
            if self._predicted is not None and not np.array_equal(cur, self._predicted):
                self._drift += 1
            d = np.asarray(deltas, np.int64)[: self._npaddles]
            k = np.arange(1, frames + 1, dtype=np.int64)[:, None]
            # the host moves each paddle by its delta before every frame, clamped to the range
            pos = np.clip(cur[None, :] + k * d[None, :], *self._range)
            self._pads.append(pos.astype(np.int32))
            self._predicted = pos[-1]
        self._frames += frames

    def on_episode_end(self) -> None:
        """Every agent finished: write the episode."""
        if self._start is not None:
            self._finish("done")

    def close(self) -> None:
        """Write an episode still in progress."""
        if self._start is not None:
            self._finish("close")

    # ------------------------------------------------------------------ writing

    def _finish(self, ended: str) -> None:
        start, self._start = self._start, None
        if start is None or self._frames <= 1:  # reset() and no step: nothing to replay
            return
        runs, pads = self._runs, self._pads
        self._runs, self._pads = [], []
        used = np.bitwise_or.reduce(np.stack([m for m, _ in runs]), axis=0)
        ports = max(self._ports, int(np.flatnonzero(used).max()) + 1 if used.any() else 1)
        layout = Layout.make(self._buttons, ports, [int(u) for u in used], self._npaddles)
        paddles = np.concatenate(pads) if self._npaddles else None
        header = self._header(ended)
        tmp = self.folder / f".{self.name}-{os.getpid()}-{id(self):x}.bk2.part"
        try:
            with open(tmp, "wb") as fh:
                with zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as zf:
                    zf.writestr("Header.txt", header)
                    with zf.open("Input Log.txt", "w") as log:
                        for chunk in log_chunks(layout, runs, paddles):
                            log.write(chunk.encode())
                    zf.writestr("Core.bin", start)
                fh.flush()
                os.fsync(fh.fileno())
            final, self._next = _publish(tmp, self.folder, self.name, self._next)
        except BaseException as e:
            with contextlib.suppress(OSError):
                tmp.unlink()
            if isinstance(e, (OSError, zipfile.LargeZipFile)):
                raise RecordingError(
                    f"could not write the replay of a {self.name} episode to {self.folder} ({e}); "
                    f"nothing was left there: free some space or record elsewhere"
                ) from e
            raise
        self._next += 1
        self.written.append(final)

    def _header(self, ended: str) -> str:
        env = self.env
        assert env.emu is not None
        info = env.emu.system_info
        platform = PLATFORMS.get(self.system.name, self.system.name) if self.system else "libretro"
        lines = {
            "MovieVersion": "BizHawk v2.0.0",
            "Author": "pettingretro",
            "emuVersion": f"pettingretro {_version()}",
            "Platform": platform,
            "GameName": _game_name(env),
            "SHA1": self._sha1,
            "Core": info.library_name,
            "rerecordCount": "0",
            "StartsFromSavestate": "True",
            "pettingretroVersion": _version(),
            "pettingretroEnv": _env_id(env),
            "pettingretroEnvArgs": json.dumps(_env_args(env), sort_keys=True),
            "pettingretroSystem": self.system.name if self.system else "",
            "pettingretroCore": f"{Path(env.emu.core_path).name} {info.library_version}",
            "pettingretroRom": Path(env.rom_path).name,
            "pettingretroFps": repr(env.emu.av_info.fps),
            "pettingretroFrameskip": str(env.frameskip),
            "pettingretroFrames": str(self._frames),
            "pettingretroEnded": ended,
        }
        if env.game.path is not None:
            lines["pettingretroScenario"] = env.game.scenario
        if self._npaddles:
            lines["pettingretroPaddles"] = (
                f"{self._npaddles} positions in {self._range[0]}..{self._range[1]}, "
                f"column '{PADDLE_COLUMN} k': the value the host writes into the core's state "
                f"before each frame"
            )
        if self._drift:
            lines["pettingretroPaddleDrift"] = str(self._drift)
        return "".join(f"{k} {v}\n" for k, v in lines.items())


def _version() -> str:
    try:
        return importlib.metadata.version("pettingretro")
    except importlib.metadata.PackageNotFoundError:  # a source tree that was never installed
        return "0+unknown"


def _first_free(folder: Path, name: str) -> int:
    pat = re.compile(re.escape(name) + r"-(\d+)\.bk2$")
    found = [int(m.group(1)) for p in folder.iterdir() if (m := pat.match(p.name))]
    return max(found, default=-1) + 1


def _publish(tmp: Path, folder: Path, name: str, n: int) -> tuple[Path, int]:
    """Give the finished temp file its final name, never replacing another movie."""
    while True:
        final = folder / f"{name}-{n:06d}.bk2"
        try:
            os.link(tmp, final)
        except FileExistsError:
            n += 1
            continue
        except OSError:  # a file system without hard links
            if final.exists():
                n += 1
                continue
            os.replace(tmp, final)
            return final, n
        tmp.unlink()
        with contextlib.suppress(OSError):  # make the new name durable where the OS allows
            fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        return final, n


def system_of_env(env: RetroParallelEnv) -> System | None:
    """The console an env's game runs on, as stable-retro names it (None when unknown)."""
    from pettingretro.integration.catalog import system_for_rom
    from pettingretro.integration.systems import system_of_game

    try:
        named = env.game.spec.extra.get("system")
        if named:
            return system_named(str(named))
        if env.game.path is not None:
            return system_of_game(env.game.spec.name)
        return system_for_rom(Path(env.rom_path))
    except PettingRetroError:
        return None


def _game_name(env: RetroParallelEnv) -> str:
    if env.game.path is not None:
        return env.game.spec.name  # stable-retro's name, so retro.make(movie.get_game()) works
    return env.game.env_name


def _env_id(env: RetroParallelEnv) -> str:
    if env.game.folder is not None:
        return env.game.env_name
    if env.game.path is not None:
        return env.game.spec.name
    return ""


def _env_args(env: RetroParallelEnv) -> dict[str, Any]:
    """The env's arguments a movie may carry (:data:`~pettingretro.movie.bk2.REPLAYED_ARGS`).

    A core, a ROM or a state *file* stays out: the reader refuses movies that name code or
    files to load, so a replay names its own with ``env_for_movie(movie, core=...)``.
    """
    out: dict[str, Any] = {}
    for k, v in env.init_kwargs.items():
        if v is None:
            continue
        if isinstance(v, Mapping):
            v = dict(v)
        types = REPLAYED_ARGS.get(k)
        if types is None:  # a game option: kept where it is a plain number or boolean
            if isinstance(v, (bool, int, float)) and k not in _ENV_ONLY:
                out[k] = v
        elif isinstance(v, types) and not (k == "state" and ("/" in str(v) or os.sep in str(v))):
            out[k] = v
    out["num_players"] = env.num_players
    return out


#: The env's own arguments that say how this run is observed, not what the game does.
_ENV_ONLY = frozenset({"max_cycles", "repeat_action_probability", "isolate", "record"})
