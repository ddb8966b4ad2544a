"""Sound: each step's samples kept by C in a buffer the caller owns (Emulator.enable_audio/audio).

* Real cores make real sound: Airstriker's music on genesis_plus_gx, Pong's blips on stella.
* A step of n frames gives about n x sample_rate / fps stereo frames, within a frame's rounding.
* The same inputs from the same start give the same samples, whether the frames are stepped one
  at a time, in one long (sliced) step, or on a pool.
* The test core's sawtooth arrives exactly, by either libretro audio callback, and a buffer too
  small for a step is reported, not overrun.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pettingretro import errors
from pettingretro.host import MAX_PORTS, Button, Emulator, Pool, step_many

# testcore.c: 48000 Hz at 60 fps; frame f's sample i is ((f * 800 + i) % 200) * 100 - 10000
TC_PER_FRAME = 800


def tc_sawtooth(first_frame: int, frames: int) -> np.ndarray:
    """The test core's sound for frames first_frame, first_frame + 1, ... (left, right)."""
    i = np.arange(first_frame * TC_PER_FRAME, (first_frame + frames) * TC_PER_FRAME)
    left = ((i % 200) * 100 - 10000).astype(np.int16)
    return np.stack([left, -left], axis=1)


def loud(sound: np.ndarray) -> int:
    """Peak-to-peak of the left channel (in int32: int16's can overflow)."""
    return int(np.ptp(sound[:, 0].astype(np.int32)))


def airstriker_playing(airstriker: Path) -> Emulator:
    """Airstriker once its title music plays (from frame 361 on)."""
    emu = Emulator("genesis_plus_gx", airstriker)
    emu.step(400, video=False)
    return emu


def pong_started(ale_roms: Path) -> Emulator:
    """Pong with its game started (the console's RESET switch is libretro START on Stella)."""
    emu = Emulator("stella", ale_roms / "pong.bin")
    emu.set_buttons(0, 1 << Button.START)
    emu.step(5)
    emu.set_buttons(0, 0)
    return emu


def record(emu: Emulator, steps: int, frames: int = 1) -> list[np.ndarray]:
    """Each step's sound, copied, with port 0 moving up and down."""
    out = []
    for s in range(steps):
        emu.set_buttons(0, 1 << (Button.UP if (s // 20) % 2 else Button.DOWN))
        emu.step(frames, video=False)
        out.append(emu.audio().copy())
    return out


@pytest.mark.parametrize("game", ["airstriker", "pong"])
def test_real_cores_make_sound_at_their_rate(game: str, airstriker: Path, ale_roms: Path) -> None:
    emu = airstriker_playing(airstriker) if game == "airstriker" else pong_started(ale_roms)
    with emu:
        emu.enable_audio()
        steps = record(emu, 300)
        per_frame = emu.av_info.sample_rate / emu.av_info.fps
        counts = np.array([len(a) for a in steps])
        assert np.all(np.abs(counts - per_frame) < 1), (per_frame, sorted(set(counts.tolist())))
        assert abs(counts.mean() - per_frame) / per_frame < 1e-3
        sound = np.concatenate(steps)
        assert sound.dtype == np.int16 and sound.shape[1] == 2
        assert loud(sound) > 1000, f"{game} should not be silent"
        # a step of many frames holds that many frames' worth
        emu.step(40, video=False)
        assert abs(len(emu.audio()) - 40 * per_frame) < 40


@pytest.mark.parametrize("game", ["airstriker", "pong"])
def test_same_inputs_give_the_same_samples(game: str, airstriker: Path, ale_roms: Path) -> None:
    def run() -> np.ndarray:
        emu = airstriker_playing(airstriker) if game == "airstriker" else pong_started(ale_roms)
        with emu:
            emu.enable_audio()
            return np.concatenate(record(emu, 200))

    first, second = run(), run()
    assert loud(first) > 1000
    np.testing.assert_array_equal(first, second)


def test_long_steps_and_pools_give_the_samples_of_single_frames(airstriker: Path) -> None:
    emus = [airstriker_playing(airstriker) for _ in range(3)]
    try:
        for emu in emus:
            emu.enable_audio()
        single = np.concatenate([(emus[0].step(1), emus[0].audio().copy())[1] for _ in range(90)])
        emus[1].step(90)  # one step of more frames than one C call runs: sliced
        sliced = emus[1].audio().copy()
        with Pool(1) as pool:
            step_many([emus[2]], np.zeros((1, MAX_PORTS), np.uint16), 90, pool=pool)
        pooled = emus[2].audio()
        assert loud(single) > 1000
        np.testing.assert_array_equal(sliced, single)
        np.testing.assert_array_equal(pooled, single)
    finally:
        for emu in emus:
            emu.close()


@pytest.mark.parametrize("how", ["batch", "sample"])
def test_testcore_sawtooth_arrives_exactly(make_emu, how: str) -> None:
    emu = make_emu(audio=how)
    buf = np.zeros((4 * TC_PER_FRAME, 2), np.int16)
    assert emu.enable_audio(buf) is buf
    assert emu.audio_enabled
    emu.step(3)
    got = emu.audio()
    np.testing.assert_array_equal(got, tc_sawtooth(1, 3))
    assert np.shares_memory(got, buf), "audio() is a view of the caller's buffer"
    emu.step(1)
    np.testing.assert_array_equal(emu.audio(), tc_sawtooth(4, 1))  # each step starts over


def test_a_buffer_too_small_is_reported_and_not_overrun(make_emu) -> None:
    emu = make_emu()
    backing = np.full((TC_PER_FRAME + 10, 2), 7, np.int16)
    buf = backing[:TC_PER_FRAME]  # C must not write the 10 frames after it
    emu.enable_audio(buf)
    emu.step(2)
    with pytest.raises(ValueError, match="made 1600 sample frames but the audio buffer holds 800"):
        emu.audio()
    assert np.all(backing[TC_PER_FRAME:] == 7)
    np.testing.assert_array_equal(buf, tc_sawtooth(1, 1))
    emu.step(1)  # a step that fits is fine again
    np.testing.assert_array_equal(emu.audio(), tc_sawtooth(3, 1))


def test_own_buffer_grows_for_long_steps(make_emu) -> None:
    emu = make_emu()
    emu.enable_audio()
    emu.step(500)
    np.testing.assert_array_equal(emu.audio(), tc_sawtooth(1, 500))


def test_audio_is_off_until_enabled_and_after_disable(make_emu) -> None:
    emu = make_emu()
    assert not emu.audio_enabled
    emu.step(1)
    with pytest.raises(errors.PettingRetroError, match=r"audio is off: call enable_audio\(\)"):
        emu.audio()
    emu.enable_audio()
    emu.step(1)
    assert len(emu.audio()) == TC_PER_FRAME
    emu.disable_audio()
    assert not emu.audio_enabled
    with pytest.raises(errors.PettingRetroError, match="audio is off"):
        emu.audio()


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((10, 2), np.float32),
        np.zeros((10, 1), np.int16),
        np.zeros(20, np.int16),
        np.zeros((0, 2), np.int16),
        np.zeros((2, 10), np.int16).T,
        [[0, 0]],
    ],
)
def test_bad_audio_buffers_are_refused(make_emu, bad: object) -> None:
    emu = make_emu()
    with pytest.raises(ValueError, match=r"int16 array of shape \(N, 2\)"):
        emu.enable_audio(bad)  # type: ignore[arg-type]
    assert not emu.audio_enabled
    ro = np.zeros((10, 2), np.int16)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="writable"):
        emu.enable_audio(ro)
