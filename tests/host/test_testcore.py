"""pettingretro.host.Emulator driven by our own libretro test core (native/testcore/testcore.c).

The core is compiled once per session with the system C compiler.  Its behaviour is chosen by the
"ROM", a text file of key=value tokens (see the comment at the top of testcore.c, which also
documents the RAM layout and the picture formula used by ``expected_rgb`` below).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

host = pytest.importorskip("pettingretro.host")
errors = pytest.importorskip("pettingretro.errors")
Emulator = host.Emulator

REPO = Path(__file__).resolve().parents[2]
TESTCORE_SRC = REPO / "native" / "testcore" / "testcore.c"

# SYSTEM_RAM layout of the test core (see testcore.c).
RAM_SIZE = 64
RAM_STYLE = 48  # option style in effect: 0 none, 1 v0, 2 v1, 3 v2
RAM_COLOR = 49  # colour index from option testcore_color
RAM_BIG = 50  # value of option testcore_big (v0 only)
RAM_UPDATES = 51  # how often GET_VARIABLE_UPDATE reported a change
RAM_PIXFMT = 52  # 0 = 0RGB1555, 1 = XRGB8888, 2 = RGB565
RAM_BITMASK = 53  # 1 if the last joypad read used RETRO_DEVICE_ID_JOYPAD_MASK
RAM_SHUTDOWN = 55
COLORS = {"red": 0, "green": 1, "blue": 2, "white": 3}
PIXFMT_ID = {None: 0, "0rgb1555": 0, "xrgb8888": 1, "rgb565": 2}


# --------------------------------------------------------------------------------------------
# fixtures and helpers


def write_rom(path: Path, **config) -> Path:
    path.write_text("".join(f"{k}={v}\n" for k, v in config.items() if v is not None))
    return path


def frame_counter(emu) -> int:
    return int.from_bytes(bytes(emu.ram[60:64]), "little")


def expand5(c):
    return (c << 3) | (c >> 2)


def expand6(c):
    return (c << 2) | (c >> 4)


def expected_rgb(fmt, width, height, frame, color=0) -> np.ndarray:
    """The picture the test core renders at frame `frame`, as the host must convert it.

    XRGB8888: R = x & 255, G = y & 255, B = (7*frame + 64*color) & 255
    RGB565:   R = x & 31,  G = y & 63,  B = (7*frame + 8*color) & 31
    0RGB1555: R = x & 31,  G = y & 31,  B = (7*frame + 8*color) & 31
    5-bit channels expand to 8 bits as (c << 3) | (c >> 2), 6-bit ones as (c << 2) | (c >> 4).
    """
    x = np.broadcast_to(np.arange(width, dtype=np.int64)[None, :], (height, width))
    y = np.broadcast_to(np.arange(height, dtype=np.int64)[:, None], (height, width))
    if fmt == "xrgb8888":
        r, g = x & 255, y & 255
        b = np.full_like(r, (7 * frame + 64 * color) & 255)
    elif fmt == "rgb565":
        r, g = expand5(x & 31), expand6(y & 63)
        b = np.full_like(r, expand5((7 * frame + 8 * color) & 31))
    else:  # 0rgb1555, also the default when the core never sets a format
        r, g = expand5(x & 31), expand5(y & 31)
        b = np.full_like(r, expand5((7 * frame + 8 * color) & 31))
    return np.stack([r, g, b], axis=-1).astype(np.uint8)


def expected_gray(rgb: np.ndarray) -> np.ndarray:
    """ITU-R 601 integer luma, as the host documents it."""
    r, g, b = (rgb[..., i].astype(np.int64) for i in range(3))
    return ((299 * r + 587 * g + 114 * b + 500) // 1000).astype(np.uint8)


def assert_picture(emu, fmt, width, height, frame, color=0):
    want = expected_rgb(fmt, width, height, frame, color)
    got = emu.screen_rgb()
    assert emu.screen_shape == (height, width)
    assert got.shape == (height, width, 3)
    assert got.dtype == np.uint8
    if not np.array_equal(got, want):
        bad = np.argwhere((got != want).any(axis=-1))
        yy, xx = bad[0]
        pytest.fail(
            f"{len(bad)} pixels differ; first at (y={yy}, x={xx}): "
            f"got {got[yy, xx].tolist()}, want {want[yy, xx].tolist()}"
        )
    gray = emu.screen_gray()
    assert gray.shape == (height, width)
    assert gray.dtype == np.uint8
    np.testing.assert_array_equal(gray, expected_gray(want))


# --------------------------------------------------------------------------------------------
# the fixture itself


def test_core_compiles_without_warnings(tmp_path):
    cc = shutil.which("cc")
    if cc is None:
        pytest.skip("no system C compiler")
    proc = subprocess.run(
        [
            cc,
            "-shared",
            "-fPIC",
            "-O1",
            "-Wall",
            "-Wextra",
            "-o",
            str(tmp_path / "t.so"),
            str(TESTCORE_SRC),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert "warning" not in proc.stderr, proc.stderr


def test_system_info_av_info_and_memory(make_emu):
    emu = make_emu(width=40, height=30)
    info = emu.system_info
    assert info.library_name == "testcore"
    assert info.library_version == "1.0"
    assert tuple(info.valid_extensions) == ("txt", "testcore")
    assert not info.need_fullpath
    av = emu.av_info
    assert av.fps == pytest.approx(60.0)
    assert (av.base_width, av.base_height) == (40, 30)
    assert av.pixel_format == "0RGB1555"
    ram = emu.ram
    assert ram.dtype == np.uint8
    assert ram.shape == (RAM_SIZE,)
    assert frame_counter(emu) == 0
    emu.step(3)
    # zero-copy: the view taken before stepping sees the core's writes
    assert int.from_bytes(bytes(ram[60:64]), "little") == 3
    assert emu.frame == 3
    assert emu.memory("system_ram").shape == (RAM_SIZE,)
    maps = emu.memory_maps
    assert len(maps) == 1
    assert maps[0].length == RAM_SIZE
    assert maps[0].start == 0
    assert maps[0].flags == 1 << 2  # RETRO_MEMDESC_SYSTEM_RAM
    np.testing.assert_array_equal(maps[0].data, ram)


# --------------------------------------------------------------------------------------------
# video


@pytest.mark.parametrize("pitch_pad", [0, 10])
@pytest.mark.parametrize("fmt", [None, "0rgb1555", "xrgb8888", "rgb565"])
def test_pixel_formats_exact(make_emu, fmt, pitch_pad):
    width, height = 37, 29  # odd sizes, x spans every 5-bit value
    emu = make_emu(pixel_format=fmt, width=width, height=height, pitch_pad=pitch_pad)
    assert emu.ram[RAM_PIXFMT] == PIXFMT_ID[fmt]
    assert emu.av_info.pixel_format == (fmt or "0rgb1555").upper()
    emu.step()
    assert_picture(emu, fmt, width, height, frame=1)
    emu.step(frames=4)  # only the last frame's picture counts
    assert frame_counter(emu) == 5
    assert_picture(emu, fmt, width, height, frame=5)


@pytest.fixture
def simd_levels():
    """Each SIMD level this CPU has (0 scalar, 1 SSSE3, 2 AVX2); the cap is lifted after."""
    from pettingretro._native import lib

    top = lib.pr_simd_level(2)
    try:
        yield [lambda level=level: lib.pr_simd_level(level) for level in range(top + 1)]
    finally:
        lib.pr_simd_level(2)


@pytest.mark.parametrize("fmt", ["0rgb1555", "rgb565", "xrgb8888"])
def test_every_16_bit_value_converts_exactly_at_every_simd_level(make_emu, simd_levels, fmt):
    """R and G run over x and y, B over the frames (7 * frame covers every 5-bit value): over 32
    frames every 16-bit value of the format is converted, at each SIMD level, by the wide loop
    and by the tail (width 101: 6 x 16 + 5 pixels per row, rows packed one after another)."""
    width, height = 101, 64
    emu = make_emu(pixel_format=fmt, width=width, height=height)
    seen = set()
    for frame in range(1, 33):
        emu.step()
        for use in simd_levels:
            use()
            assert_picture(emu, fmt, width, height, frame=frame)
        seen.add((7 * frame) & 31)
    assert len(seen) == 32


@pytest.mark.parametrize("fmt", ["0rgb1555", "xrgb8888"])
def test_unused_pixel_bits_are_ignored(make_emu, fmt):
    # dirty_x=1: X byte of XRGB8888 = 0xA5, bit 15 of 0RGB1555 set; pitch padding is 0xCD junk.
    emu = make_emu(pixel_format=fmt, width=33, height=20, pitch_pad=6, dirty_x=1)
    emu.step(2)
    assert_picture(emu, fmt, 33, 20, frame=2)


def test_screen_out_arrays_are_written_in_place(make_emu):
    emu = make_emu(pixel_format="xrgb8888", width=16, height=8)
    emu.step()
    rgb = np.zeros((8, 16, 3), np.uint8)
    gray = np.zeros((8, 16), np.uint8)
    assert emu.screen_rgb(out=rgb) is rgb
    assert emu.screen_gray(out=gray) is gray
    want = expected_rgb("xrgb8888", 16, 8, 1)
    np.testing.assert_array_equal(rgb, want)
    np.testing.assert_array_equal(gray, expected_gray(want))


def test_dupe_frames_keep_previous_picture(make_emu):
    emu = make_emu(pixel_format="rgb565", width=24, height=16, dupe_every=4)
    emu.step()
    emu.step()
    emu.step()
    assert_picture(emu, "rgb565", 24, 16, frame=3)
    emu.step()  # frame 4: video_refresh(NULL) -> frame 3 stays
    assert frame_counter(emu) == 4
    assert_picture(emu, "rgb565", 24, 16, frame=3)
    emu.step()
    assert_picture(emu, "rgb565", 24, 16, frame=5)


def test_dupe_as_last_frame_of_a_multi_frame_step(make_emu):
    # One C call runs several frames and the last one is a dupe: the picture is the frame
    # before it, not whatever the host kept from an earlier step.
    emu = make_emu(pixel_format="rgb565", width=24, height=16, dupe_every=4)
    emu.step()
    assert_picture(emu, "rgb565", 24, 16, frame=1)
    emu.step(3)  # frames 2, 3, 4; 4 is a dupe of 3
    assert frame_counter(emu) == 4
    assert_picture(emu, "rgb565", 24, 16, frame=3)
    emu.step(4)  # frames 5..8; 8 is a dupe of 7
    assert frame_counter(emu) == 8
    assert_picture(emu, "rgb565", 24, 16, frame=7)


def test_dupe_after_frames_run_without_video(make_emu):
    # Frames 1..3 run with video=False; frame 4 is a dupe, so the picture after it is the one the
    # core rendered at frame 3 (which the host was handed, even if it did not convert it then).
    emu = make_emu(pixel_format="xrgb8888", width=24, height=16, dupe_every=4)
    emu.step(3, video=False)
    emu.step(1, video=True)
    assert frame_counter(emu) == 4
    assert_picture(emu, "xrgb8888", 24, 16, frame=3)


# --------------------------------------------------------------------------------------------
# core options


def option_values(info) -> list[str]:
    return list(info.values)


@pytest.mark.parametrize("style", ["v0", "v1", "v2"])
def test_options_defaults_and_overrides(make_emu, style):
    style_id = {"v0": 1, "v1": 2, "v2": 3}[style]
    emu = make_emu(options=style, pixel_format="xrgb8888", width=8, height=4)
    assert emu.ram[RAM_STYLE] == style_id, "host refused this option style"
    opts = emu.options
    assert opts["testcore_color"] == "red"
    assert opts["testcore_mode"] == "beta"
    assert option_values(emu.option_info("testcore_color")) == ["red", "green", "blue", "white"]
    emu.step()
    assert emu.ram[RAM_COLOR] == 0
    assert_picture(emu, "xrgb8888", 8, 4, frame=1, color=0)

    updates = int(emu.ram[RAM_UPDATES])
    emu.set_option("testcore_color", "white")
    assert emu.options["testcore_color"] == "white"
    emu.step()
    assert emu.ram[RAM_COLOR] == 3
    # the core learnt of the change through GET_VARIABLE_UPDATE, exactly once
    assert emu.ram[RAM_UPDATES] == updates + 1
    assert_picture(emu, "xrgb8888", 8, 4, frame=2, color=3)
    emu.step()
    assert emu.ram[RAM_UPDATES] == updates + 1

    with pytest.raises((KeyError, ValueError), match="no_such_option"):
        emu.set_option("no_such_option", "1")


@pytest.mark.parametrize("style", ["v0", "v1", "v2"])
def test_options_given_at_construction(make_emu, style):
    # The core declares its options only in retro_load_game, so the host must hold on to the
    # user's values until then.
    emu = make_emu(
        core_options={"testcore_color": "blue"},
        options=style,
        pixel_format="rgb565",
        width=8,
        height=4,
    )
    assert emu.options["testcore_color"] == "blue"
    assert emu.options["testcore_mode"] == "beta"
    emu.step()
    assert emu.ram[RAM_COLOR] == 2
    assert_picture(emu, "rgb565", 8, 4, frame=1, color=2)


def test_v0_option_with_200_values(make_emu):
    emu = make_emu(options="v0")
    assert emu.options["testcore_big"] == "0"
    assert option_values(emu.option_info("testcore_big")) == [str(i) for i in range(200)]
    emu.set_option("testcore_big", "199")
    emu.step()
    assert emu.ram[RAM_BIG] == 199


def test_no_options_declared(make_emu):
    emu = make_emu(options="none")
    assert emu.ram[RAM_STYLE] == 0
    assert emu.options == {}
    with pytest.raises((KeyError, ValueError), match="testcore_color"):
        emu.set_option("testcore_color", "red")


# --------------------------------------------------------------------------------------------
# input


@pytest.mark.parametrize("bitmasks", [0, 1])
def test_ports_are_independent(make_emu, bitmasks):
    emu = make_emu(ports=4, bitmasks=bitmasks)
    assert emu.num_ports >= 4
    masks = [1 << b for b in range(16)] + [0xFFFF, 0x8001, 0x5A5A]
    for port in range(4):
        for mask in masks:
            for p in range(4):
                emu.set_buttons(p, mask if p == port else 0)
            emu.step()
            words = emu.ram[0:8].view("<u2").tolist()
            want = [mask if p == port else 0 for p in range(4)]
            assert words == want, f"port {port} mask {mask:#06x}"
    assert emu.ram[RAM_BITMASK] == bitmasks
    # all four at once, different values; buttons persist across steps until changed
    for p, m in enumerate([0x0001, 0x0210, 0x8000, 0x7FFE]):
        emu.set_buttons(p, m)
    emu.step()
    emu.step()
    assert emu.ram[0:8].view("<u2").tolist() == [0x0001, 0x0210, 0x8000, 0x7FFE]


def test_button_ids_match_libretro(make_emu):
    emu = make_emu(ports=1)
    B = host.Button
    emu.set_buttons(0, (1 << int(B.START)) | (1 << int(B.A)) | (1 << int(B.R3)))
    emu.step()
    assert emu.ram[0:2].view("<u2")[0] == (1 << 3) | (1 << 8) | (1 << 15)


def test_bad_port_or_mask_raises(make_emu):
    emu = make_emu(ports=1)
    with pytest.raises(ValueError, match="port"):
        emu.set_buttons(emu.num_ports, 1)
    with pytest.raises(ValueError, match="port"):
        emu.set_buttons(-1, 1)
    with pytest.raises(ValueError, match="16 bits"):
        emu.set_buttons(0, 1 << 16)


def test_eight_ports(make_emu):
    emu = make_emu(num_ports=8, ports=8, bitmasks=1)
    assert emu.num_ports == 8
    want = [0x0101 * (p + 1) for p in range(8)]
    for p, m in enumerate(want):
        emu.set_buttons(p, m)
    emu.step()
    assert emu.ram[0:16].view("<u2").tolist() == want
    with pytest.raises(ValueError, match="port 8"):
        emu.set_buttons(8, 1)


def test_ports_beyond_num_ports_read_as_zero(make_emu):
    # the core polls 4 ports, the host serves 2: the others must read as released
    emu = make_emu(num_ports=2, ports=4)
    emu.set_buttons(0, 0x00F0)
    emu.set_buttons(1, 0x0F00)
    emu.step()
    assert emu.ram[0:8].view("<u2").tolist() == [0x00F0, 0x0F00, 0, 0]


def test_analog_sticks_per_port(make_emu):
    emu = make_emu(ports=4, analog=1)
    values = {}
    for port in range(4):
        for index in range(2):
            for axis in range(2):
                v = [-32768, -1234, 1, 32767][(port + 2 * index + axis) % 4] + 0
                values[port, index, axis] = v
                emu.set_analog(port, index, axis, v)
    emu.step()
    sticks = emu.ram[16:48].view("<i2").reshape(4, 4)
    for (port, index, axis), v in values.items():
        assert sticks[port, 2 * index + axis] == v, (port, index, axis)
    # changing one axis of one port leaves every other value alone
    emu.set_analog(2, 0, 1, 777)
    emu.step()
    values[2, 0, 1] = 777
    sticks = emu.ram[16:48].view("<i2").reshape(4, 4)
    for (port, index, axis), v in values.items():
        assert sticks[port, 2 * index + axis] == v, (port, index, axis)


# --------------------------------------------------------------------------------------------
# environment robustness, lifecycle, errors


PROBE_SCRIPT = textwrap.dedent(
    """
    import sys
    from pettingretro.host import Emulator
    emu = Emulator(sys.argv[1], sys.argv[2])
    emu.step(3)
    assert int.from_bytes(bytes(emu.ram[60:64]), "little") == 3
    assert emu.screen_rgb().shape == (12, 10, 3)
    emu.close()
    print("survived")
    """
)


def test_null_data_probes_survive(testcore, tmp_path):
    # Run in a child process: a host that dereferences NULL would otherwise take pytest down.
    rom = write_rom(
        tmp_path / "probe.txt", probe_null=1, width=10, height=12, options="v2", ports=2, log=1
    )
    env = dict(os.environ, TESTCORE_PROBE_NULL="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    proc = subprocess.run(
        [sys.executable, "-X", "faulthandler", "-c", PROBE_SCRIPT, str(testcore), str(rom)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    report = f"rc={proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert proc.returncode == 0, report
    assert "survived" in proc.stdout, report


def test_refused_load_raises_rom_load_error(testcore, tmp_path, caplog):
    rom = write_rom(tmp_path / "refuse.txt", refuse_load=1)
    with (
        caplog.at_level(logging.ERROR, logger="pettingretro.core"),
        pytest.raises(errors.RomLoadError, match="refused ROM"),
    ):
        Emulator(str(testcore), str(rom))
    # the core's own explanation reaches the log before the error is raised
    assert any("testcore refusing to load" in r.getMessage() for r in caplog.records)


def test_unknown_option_at_construction_raises(testcore, tmp_path):
    rom = write_rom(tmp_path / "opts.txt", options="v1")
    with pytest.raises(ValueError, match="no_such_option"):
        Emulator(str(testcore), str(rom), options={"no_such_option": "1"})


def test_invalid_option_value_raises(make_emu):
    emu = make_emu(options="v2")
    with pytest.raises(ValueError, match="purple"):
        emu.set_option("testcore_color", "purple")
    assert emu.options["testcore_color"] == "red"


def test_failing_serialize_raises_state_error(make_emu):
    emu = make_emu(fail_serialize=1)
    emu.step()
    with pytest.raises(errors.StateError):
        emu.save_state()


def test_save_load_state_roundtrip(make_emu):
    emu = make_emu(pixel_format="xrgb8888", width=8, height=4, ports=1)
    emu.set_buttons(0, 0x1234)
    emu.step(3)
    state = emu.save_state()
    assert isinstance(state, bytes)
    assert state[:4] == b"TCS1"
    ram3 = bytes(emu.ram)
    emu.set_buttons(0, 0x4321)
    emu.step(5)
    assert frame_counter(emu) == 8
    emu.load_state(state)
    assert bytes(emu.ram) == ram3
    emu.step()
    assert frame_counter(emu) == 4
    assert_picture(emu, "xrgb8888", 8, 4, frame=4)
    with pytest.raises(errors.StateError):
        emu.load_state(b"not a state")


def test_shutdown_request(make_emu):
    emu = make_emu(shutdown_at=3)
    emu.step(2)
    with pytest.raises(errors.CoreShutdownError, match="SHUTDOWN"):
        emu.step()  # frame 3 asks the frontend to shut down
    assert emu.ram[RAM_SHUTDOWN] == 1
    assert frame_counter(emu) == 3
    with pytest.raises(errors.CoreShutdownError):  # no more frames until a reset
        emu.step()
    assert frame_counter(emu) == 3
    emu.reset()
    emu.step(2)
    assert frame_counter(emu) == 2


def test_shutdown_stops_a_multi_frame_step(make_emu):
    emu = make_emu(shutdown_at=3)
    with pytest.raises(errors.CoreShutdownError, match="frame 3"):
        emu.step(10)
    assert frame_counter(emu) == 3


def test_log_routed_to_python_logging(make_emu, caplog):
    with caplog.at_level(logging.DEBUG):
        make_emu(log=1)
    hits = [r for r in caplog.records if "testcore loaded" in r.getMessage()]
    assert len(hits) == 1, [r.getMessage() for r in caplog.records]
    rec = hits[0]
    assert rec.levelno == logging.WARNING
    assert rec.name == "pettingretro.core"
    assert not rec.getMessage().endswith("\n")


@pytest.mark.parametrize("how", ["state", "hard", "no_serialize"])
def test_reset_restarts_the_frame_counter(make_emu, how):
    # default reset restores the state saved at load; hard=True reloads the game; a core whose
    # serialize fails falls back to retro_reset.
    emu = make_emu(
        pixel_format="rgb565",
        width=8,
        height=4,
        ports=1,
        fail_serialize=1 if how == "no_serialize" else None,
    )
    emu.set_buttons(0, 0xBEEF)
    emu.step(5)
    emu.reset(hard=how == "hard")
    assert frame_counter(emu) == 0
    assert emu.frame == 0
    assert bytes(emu.ram[0:2]) == b"\0\0"
    emu.step()
    assert frame_counter(emu) == 1
    assert emu.frame == 1
    assert_picture(emu, "rgb565", 8, 4, frame=1)


def test_two_instances_are_independent(make_emu):
    a = make_emu(pixel_format="xrgb8888", width=8, height=4, ports=1)
    b = make_emu(pixel_format="rgb565", width=6, height=5, ports=1)
    a.set_buttons(0, 0x00AA)
    b.set_buttons(0, 0x5500)
    a.step(3)
    b.step(1)
    assert (frame_counter(a), frame_counter(b)) == (3, 1)
    assert a.ram[0:2].view("<u2")[0] == 0x00AA
    assert b.ram[0:2].view("<u2")[0] == 0x5500
    assert_picture(a, "xrgb8888", 8, 4, frame=3)
    assert_picture(b, "rgb565", 6, 5, frame=1)


def test_close_is_idempotent_and_later_use_raises(make_emu):
    emu = make_emu()
    emu.step()
    emu.close()
    emu.close()
    with pytest.raises(errors.EmulatorClosedError):
        emu.step()
    with pytest.raises(errors.EmulatorClosedError):
        emu.screen_rgb()
