"""Long steps: bounded, interruptible, and the same as the frames stepped one at a time.

* A step of many frames is cut into C calls of bounded time: Ctrl-C (SIGINT) during it raises
  KeyboardInterrupt after part of the frames, and the emulator carries on from there.
* Cut or not, a step gives what its frames one at a time give: RAM, picture, sound, frame count.
* frames is an integer (numpy ones too) from 1 to MAX_FRAMES; anything else is refused with a
  message, and a refused step runs nothing.
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import numpy as np
import pytest

from pettingretro.host import MAX_FRAMES, Button, Emulator

FRAME_MS = 2  # the slow test core's frame
LONG = 2000  # frames: 4 s of the slow test core, far more than one C call runs


def frame_counter(emu: Emulator) -> int:
    return int.from_bytes(bytes(emu.ram[60:64]), "little")


@pytest.mark.parametrize("how", ["step", "step_into"])
def test_sigint_during_a_long_step_raises_keyboard_interrupt(make_emu, how: str) -> None:
    emu = make_emu(frame_ms=FRAME_MS)
    emu.enable_audio()
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT))
    try:
        timer.start()
        step = (
            (lambda: emu.step(LONG))
            if how == "step"
            else (lambda: emu.step_into(np.zeros(emu.num_ports, np.uint16), LONG, None))
        )
        with pytest.raises(KeyboardInterrupt):
            step()
    finally:
        timer.cancel()
        timer.join()
        signal.signal(signal.SIGINT, previous)
    ran = emu.frame
    assert 0 < ran < LONG, f"the step should stop partway, it ran {ran} of {LONG} frames"
    assert frame_counter(emu) == ran, "whole frames only"
    emu.step(3)  # still usable, and it carries on where the interrupt left it
    assert emu.frame == frame_counter(emu) == ran + 3
    assert len(emu.audio()) == 3 * 800


def test_a_sliced_step_equals_its_frames_one_by_one(make_emu) -> None:
    a, b = make_emu(frame_ms=1, audio="sample"), make_emu(frame_ms=1, audio="sample")
    a.enable_audio()
    b.enable_audio()
    frames = 150  # 150 ms: at least three calls of the 50 ms slices
    a.step(frames, video=True)
    sound = []
    for f in range(frames):
        b.step(1, video=f == frames - 1)
        sound.append(b.audio().copy())
    assert a.frame == b.frame == frames
    np.testing.assert_array_equal(a.ram, b.ram)
    np.testing.assert_array_equal(a.screen_rgb(), b.screen_rgb())  # the step's last frame
    np.testing.assert_array_equal(a.audio(), np.concatenate(sound))


def test_a_long_pong_step_equals_its_frames_one_by_one(ale_roms: Path) -> None:
    with (
        Emulator("stella", ale_roms / "pong.bin") as a,
        Emulator("stella", ale_roms / "pong.bin") as b,
    ):
        buttons = np.zeros(a.num_ports, np.uint16)
        buttons[0] = 1 << Button.UP
        out = np.empty((210, 160, 3), np.uint8)
        a.step_into(buttons, 1000, out)
        b.set_buttons(0, 1 << Button.UP)
        for _ in range(999):
            b.step(1, video=False)
        b.step(1)
        assert a.frame == b.frame == 1000
        np.testing.assert_array_equal(a.ram, b.ram)
        np.testing.assert_array_equal(out, b.screen_rgb())


@pytest.mark.parametrize("frames", [np.int64(3), np.uint16(3), np.int32(3)])
def test_numpy_integers_are_frame_counts(make_emu, frames: object) -> None:
    emu = make_emu()
    emu.step(frames)  # type: ignore[arg-type]
    emu.step_into(np.zeros(emu.num_ports, np.uint16), frames, None)  # type: ignore[arg-type]
    assert emu.frame == 6


@pytest.mark.parametrize(
    ("frames", "error", "match"),
    [
        (1.5, TypeError, r"frames must be an integer, got float 1\.5 \(round it first"),
        (2.0, TypeError, "got float 2.0"),
        (True, TypeError, "got bool True"),
        (np.bool_(True), TypeError, "got bool"),
        ("3", TypeError, "got str '3'"),
        (None, TypeError, "got NoneType"),
        (0, ValueError, f"frames must be 1..{MAX_FRAMES} per step, got 0"),
        (-1, ValueError, "got -1"),
        (MAX_FRAMES + 1, ValueError, f"got {MAX_FRAMES + 1}; step several times"),
        (10**9, ValueError, "got 1000000000; step several times"),
        (np.int64(10**12), ValueError, "got 1000000000000"),
    ],
)
def test_bad_frame_counts_are_refused_and_run_nothing(
    make_emu, frames: object, error: type[Exception], match: str
) -> None:
    emu = make_emu()
    with pytest.raises(error, match=match):
        emu.step(frames)  # type: ignore[arg-type]
    with pytest.raises(error, match=match):
        emu.step_into(np.zeros(emu.num_ports, np.uint16), frames, None)  # type: ignore[arg-type]
    assert emu.frame == 0 and frame_counter(emu) == 0


def test_max_frames_itself_is_accepted(make_emu) -> None:
    emu = make_emu(audio="none")
    emu.step(MAX_FRAMES, video=False)
    assert emu.frame == frame_counter(emu) == MAX_FRAMES
