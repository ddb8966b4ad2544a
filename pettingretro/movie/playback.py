"""Playback: a ``.bk2`` movie replayed into any emulator (``host.EmulatorLike``), bit-identically.

The emulator may be an env's (parallel or AEC, isolated or not) or one given directly; the env
a movie was recorded with is built a layer above, by ``pettingretro.factory.env_for_movie``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from pettingretro.errors import MovieError
from pettingretro.host import Emulator, EmulatorLike
from pettingretro.movie.bk2 import Movie

__all__ = ["STABLE_RETRO_CORE_OPTIONS", "playback"]

#: Core options that make a core behave as under stable-retro, which answers no core-option
#: query, so cores keep their compiled-in settings (they differ from the declared defaults the
#: host reports). Applied when replaying stable-retro's movies: without them, a Genesis game
#: that stable-retro runs through a bad read stops on "68K Address Error" here.
STABLE_RETRO_CORE_OPTIONS: dict[str, dict[str, str]] = {
    "genesis_plus_gx": {
        "genesis_plus_gx_addr_error": "disabled",
        "genesis_plus_gx_force_dtack": "disabled",
    },
}


def _emulator_of(target: Any) -> tuple[EmulatorLike, int]:
    """The emulator of an env (parallel or AEC, wrapped or not) or an emulator, and its paddles."""
    if isinstance(target, EmulatorLike):
        return target, len(target.paddles)
    env = getattr(target, "unwrapped", target)
    env = getattr(env, "par", env)
    emu = getattr(env, "emu", None)
    if not isinstance(emu, EmulatorLike):
        raise TypeError(
            f"playback needs a pettingretro env or emulator (host.EmulatorLike), got "
            f"{type(target).__name__}"
        )
    n = env.controls.num_paddles if getattr(env, "paddle_center", None) is not None else 0
    return emu, n


def playback(
    movie: Movie,
    env: Any,
    *,
    every_frame: bool = False,
    sound: list[npt.NDArray[np.int16]] | None = None,
) -> Iterator[npt.NDArray[np.uint8]]:
    """Replay a movie into an env's emulator, frame by frame; yield the screen after each step.

    Loads ``Core.bin``, then runs every frame holding the recorded port masks and paddle
    positions. Frames are grouped as the env stepped them (``reset()``'s frame, then
    ``frameskip`` frames per step), so the replay reproduces the recorded episode exactly:
    the screens and RAM after each step are the ones the env produced.

    Args:
        movie: the movie (read from its start, whatever its :meth:`Movie.step` position).
        env: the env to replay into (see :func:`pettingretro.factory.env_for_movie`), parallel or AEC,
            or an emulator: an in-process ``Emulator`` or an isolated one.
            Call ``reset()`` before using the env for anything else afterwards.
        every_frame: yield after every frame instead of every step.
        sound: a list that gets the (N, 2) int16 samples of every emulation, in order, by the
            time each screen is yielded; the emulator must be an in-process one with audio on
            (``emu.enable_audio()``).

    Yields:
        The (H, W, 3) RGB screen after each step (``env.emu`` holds the rest: RAM, state).

    Raises:
        MovieError: the movie starts from power-on, or it does not fit the env (ports,
            paddles, ROM).
        MovieError: ``sound`` was given for an emulator whose audio is off.
    """
    emu, npad = _emulator_of(env)
    if sound is not None and not (isinstance(emu, Emulator) and emu.audio_enabled):
        raise MovieError(
            "playback(sound=[]) needs an in-process emulator with audio on: call "
            "env.emu.enable_audio() first (an isolated emulator sends no sound)"
        )
    state = movie.get_state()
    if not state:
        raise MovieError(
            f"{movie.path} starts from power-on (no Core.bin): pettingretro replays movies that start from a state"
        )
    if "pettingretroVersion" in movie.header and movie.sha1 is not None:
        have = hashlib.sha1(Path(emu.rom_path).read_bytes()).hexdigest()
        if have != movie.sha1:
            raise MovieError(
                f"{movie.path} was recorded on a ROM with sha1 {movie.sha1}, but this env runs "
                f"{emu.rom_path} (sha1 {have}); use the env from pettingretro.factory.env_for_movie(movie)"
            )
    n = movie.num_frames
    masks = np.zeros((n, emu.num_ports), np.uint16)
    k = min(movie.players, emu.num_ports)
    masks[:, :k] = movie.masks[:, :k]
    if movie.players > k and movie.masks[:, k:].any():
        raise MovieError(
            f"{movie.path} presses buttons on {movie.players} ports; this emulator has {emu.num_ports}"
        )
    pads = movie.paddles
    if pads is None and npad:
        raise MovieError(
            f"{movie.path} holds no paddle positions, but this env's host owns {npad} paddles "
            f"(stable-retro's movies of paddle games drive Stella's own paddle model instead)"
        )
    if pads is not None and pads.shape[1] != npad:
        raise MovieError(
            f"{movie.path} moves {pads.shape[1]} paddles, the env has {npad}: build the env with "
            f"pettingretro.factory.env_for_movie(movie) (same game and num_players)"
        )
    emu.load_state(state)
    zero = np.zeros(max(npad, 1), np.int32)
    try:
        for a, b in movie.step_bounds(every_frame):
            # one C call per step, as the env ran it, where the step held one input throughout
            uniform = bool((masks[a:b] == masks[a]).all())
            if pads is not None and uniform:
                if a == 0:
                    uniform = b == 1
                else:
                    d = np.diff(pads[a - 1 : b], axis=0)
                    uniform = bool((d == d[0]).all())
            if uniform:
                _paddles_before(emu, pads, a, zero)
                emu.step_into(masks[a], b - a, None, video=True)
                if sound is not None:
                    sound.append(_audio(emu))
            else:
                for f in range(a, b):
                    _paddles_before(emu, pads, f, zero)
                    emu.step_into(masks[f], 1, None, video=f == b - 1)
                    if sound is not None:
                        sound.append(_audio(emu))
            yield emu.screen_rgb()
    finally:
        if pads is not None and not emu.closed:
            emu.paddles_move(zero)


def _audio(emu: EmulatorLike) -> npt.NDArray[np.int16]:
    """A copy of the last emulation's samples (the buffer is rewritten by the next)."""
    assert isinstance(emu, Emulator)  # checked on entry
    out: npt.NDArray[np.int16] = emu.audio().copy()
    return out


def _paddles_before(
    emu: EmulatorLike, pads: npt.NDArray[np.int32] | None, f: int, zero: npt.NDArray[np.int32]
) -> None:
    """Make frame ``f`` (and the ones after, at the same speed) see the recorded positions."""
    if pads is None:
        return
    if f == 0:
        # reset() placed the paddles (the host patches them into the state before frame 0)
        emu.paddles_set(pads[0].tolist())
        emu.paddles_move(zero)
    else:
        emu.paddles_move((pads[f] - pads[f - 1]).astype(np.int32))
