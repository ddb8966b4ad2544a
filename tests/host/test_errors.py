"""Bad input to the host ends in a Python exception whose message names the fix.

Never a crash, a hang, or a silently wrong result. Real cores from the stable-retro wheel,
real ROMs from ale-py and stable-retro.

Two things must never happen in-process, so no test here does them: feeding snes9x a junk
ROM (it aborts the process), feeding Stella a corrupt same-size state (std::length_error,
uncaught: the process aborts), and loading mednafen_saturn without a BIOS (SIGFPE). The
Saturn check runs in a subprocess so that a regression kills only that child.
"""

from __future__ import annotations

import ctypes.util
import gc
import os
import random
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import pettingretro
from pettingretro import errors
from pettingretro.cores import REQUIRED_BIOS
from pettingretro.host import MAX_FRAMES, MAX_PORTS, Emulator, TileLayout, step_many

REPO_ROOT = Path(pettingretro.__file__).resolve().parents[1]

# every libretro entry point the host looks up (native/core.c, pr_open_core)
RETRO_SYMBOLS = [
    "retro_init",
    "retro_deinit",
    "retro_api_version",
    "retro_get_system_info",
    "retro_get_system_av_info",
    "retro_set_environment",
    "retro_set_video_refresh",
    "retro_set_audio_sample",
    "retro_set_audio_sample_batch",
    "retro_set_input_poll",
    "retro_set_input_state",
    "retro_set_controller_port_device",
    "retro_reset",
    "retro_run",
    "retro_serialize_size",
    "retro_serialize",
    "retro_unserialize",
    "retro_load_game",
    "retro_unload_game",
    "retro_get_memory_data",
    "retro_get_memory_size",
]


@pytest.fixture(scope="module")
def pong(ale_roms: Path) -> Path:
    return ale_roms / "pong.bin"


@pytest.fixture
def stella(pong: Path):
    with Emulator("stella", pong) as emu:
        emu.step(2)
        yield emu


@pytest.fixture
def genesis(airstriker: Path):
    with Emulator("genesis_plus_gx", airstriker) as emu:
        emu.step(30)
        yield emu


def cc_or_skip() -> str:
    cc = shutil.which("cc")
    if cc is None:
        pytest.skip("no system C compiler (cc) to build a fake core")
    return cc


def build_so(tmp_path: Path, name: str, source: str) -> Path:
    src = tmp_path / f"{name}.c"
    src.write_text(source)
    out = tmp_path / f"{name}_libretro.so"
    proc = subprocess.run(
        [cc_or_skip(), "-shared", "-fPIC", "-o", str(out), str(src)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return out


def run_python(code: str, **kwargs) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh interpreter that imports this checkout's pettingretro."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.update(kwargs.pop("env", {}))
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
        **kwargs,
    )


# --------------------------------------------------------------------------------------------
# cores


def test_unknown_core_name_lists_what_was_searched_and_how_to_install(pong: Path) -> None:
    with pytest.raises(
        errors.CoreNotFoundError, match="no libretro core named 'no_such_core'"
    ) as ei:
        Emulator("no_such_core", pong)
    msg = str(ei.value)
    assert "pip install stable-retro" in msg
    assert "searched" in msg and "stable_retro" in msg, "the message lists the folders searched"
    assert "found:" in msg and "stella" in msg, "the message lists the cores that do exist"
    assert "PETTINGRETRO_CORE_PATH" in msg
    assert isinstance(ei.value, FileNotFoundError)


def test_missing_core_path(tmp_path: Path, pong: Path) -> None:
    with pytest.raises(errors.CoreNotFoundError, match="does not exist"):
        Emulator(tmp_path / "nothing_libretro.so", pong)
    with pytest.raises(errors.CoreNotFoundError, match="does not exist"):
        Emulator("nothing_libretro.so", pong)  # a bare file name ending .so is a path too


def test_core_path_that_is_a_directory(tmp_path: Path, pong: Path) -> None:
    with pytest.raises(errors.CoreNotFoundError, match=re.escape(str(tmp_path))):
        Emulator(tmp_path, pong)


def test_core_that_is_not_a_shared_library(tmp_path: Path, pong: Path) -> None:
    fake = tmp_path / "text_libretro.so"
    fake.write_text("not an ELF file\n")
    with pytest.raises(errors.CoreError, match=r"cannot load core '.*text_libretro\.so'"):
        Emulator(fake, pong)


def test_shared_library_without_libretro_symbols(tmp_path: Path, pong: Path) -> None:
    empty = build_so(tmp_path, "empty", "int pettingretro_test_dummy;\n")
    with pytest.raises(
        errors.CoreError, match="is not a libretro core: it has no 'retro_init' symbol"
    ):
        Emulator(empty, pong)


def test_real_library_that_is_not_a_core(tmp_path: Path, pong: Path) -> None:
    # a real, harmless system library (zlib), loaded from a copy like any core
    name = ctypes.util.find_library("z")
    candidates = [
        Path(p) for p in ("/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib/x86_64-linux-gnu/libz.so.1")
    ]
    found = next((p for p in candidates if p.is_file()), None)
    if found is None:
        pytest.skip(f"no zlib shared library to try (find_library says {name!r})")
    core = tmp_path / "zlib_libretro.so"
    shutil.copy(found, core)
    with pytest.raises(errors.CoreError, match="is not a libretro core"):
        Emulator(core, pong)


def test_core_with_another_api_version(tmp_path: Path, pong: Path) -> None:
    body = "\n".join(
        f"unsigned {s}(void) {{ return 2; }}"
        if s == "retro_api_version"
        else f"void {s}(void) {{}}"
        for s in RETRO_SYMBOLS
    )
    core = build_so(tmp_path, "apiv2", body + "\n")
    with pytest.raises(errors.CoreError, match="API version 2; pettingretro hosts version 1"):
        Emulator(core, pong)


# --------------------------------------------------------------------------------------------
# ROMs


def test_missing_rom(tmp_path: Path) -> None:
    with pytest.raises(errors.RomNotFoundError, match="does not exist"):
        Emulator("stella", tmp_path / "no_such_rom.bin")


def test_rom_whose_parent_is_not_a_directory(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"x")
    with pytest.raises(errors.RomNotFoundError, match=r"file/x\.bin"):
        Emulator("stella", tmp_path / "file" / "x.bin")


def test_rom_path_that_is_a_directory(tmp_path: Path) -> None:
    with pytest.raises(errors.RomNotFoundError, match=re.escape(str(tmp_path))):
        Emulator("stella", tmp_path)


def test_rom_directory_message_says_it_is_a_directory(tmp_path: Path) -> None:
    (tmp_path / "roms").mkdir()
    with pytest.raises(errors.RomNotFoundError, match=r"is a directory|not a file"):
        Emulator("stella", tmp_path / "roms")


def test_rom_that_cannot_be_read(tmp_path: Path) -> None:
    """A file the host may open but not read: the read error surfaces, never a crash.

    /proc/self/mem is a regular file that opens fine and fails every read at offset 0 (EIO).
    """
    with pytest.raises(
        (errors.RomNotFoundError, errors.RomLoadError), match="cannot read ROM '/proc/self/mem'"
    ):
        Emulator("stella", "/proc/self/mem")


def test_rom_read_error_is_rom_not_found() -> None:
    # the Emulator docstring: "RomNotFoundError: the ROM is missing or unreadable"
    with pytest.raises(errors.RomNotFoundError, match="cannot read ROM"):
        Emulator("stella", "/proc/self/mem")


_AS_NOBODY = """
    import os, sys
    from pettingretro import errors
    from pettingretro.host import Emulator
    import pettingretro.host as host
    from pettingretro.cores import find_core
    find_core('stella')  # warm lazy imports (sysconfig) while the interpreter's files are readable
    if os.geteuid() == 0:
        os.setgid(65534)
        os.setgroups([])
        os.setuid(65534)
    def attempt(label, rom):
        try:
            Emulator('stella', rom)
        except Exception as exc:
            print(label, type(exc).__name__, str(exc).replace(chr(10), ' '))
        else:
            print(label, 'loaded')
    try:
        open(sys.argv[1], 'rb')
    except PermissionError:
        pass
    else:
        print('SKIP the ROM is still readable'); sys.exit(0)
    attempt('python', sys.argv[1])
    attempt('locked', sys.argv[2])
    host.os.access = lambda *a, **k: True   # get past the Python check to the C one
    attempt('c', sys.argv[1])
"""


@pytest.fixture
def unreadable(pong: Path):
    """(a chmod 000 ROM, a ROM inside a chmod 700 folder of root's), for a child run as nobody.

    Made under /tmp: pytest's own temp folders are 0700, which nobody cannot enter."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="pr-test-") as d:
        top = Path(d)
        top.chmod(0o755)
        rom = top / "pong.bin"
        shutil.copy(pong, rom)
        rom.chmod(0)
        locked = top / "locked"
        locked.mkdir(mode=0o700)
        shutil.copy(pong, locked / "pong.bin")
        scratch = top / "scratch"
        scratch.mkdir()
        scratch.chmod(0o777)
        yield rom, locked / "pong.bin", scratch


def _nobody_results(unreadable) -> dict[str, str]:
    rom, locked, scratch = unreadable
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_AS_NOBODY), str(rom), str(locked)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "TMPDIR": str(scratch), "PYTHONPATH": str(REPO_ROOT)},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    if proc.stdout.startswith("SKIP"):
        pytest.skip(proc.stdout.strip())
    return dict(line.split(" ", 1) for line in proc.stdout.splitlines())


def test_rom_without_read_permission(unreadable) -> None:
    """A chmod 000 ROM. Root reads anything, so as root the check runs in a child that drops to
    nobody after importing. Both the Python-side check and the C side (os.access faked to say
    yes, as when permissions change between the check and the open) name the problem."""
    got = _nobody_results(unreadable)
    assert got["python"].startswith("RomNotFoundError"), got
    assert "is not readable (check its permissions)" in got["python"]
    assert got["c"].startswith("RomNotFoundError"), got
    assert "cannot open ROM" in got["c"] and "Permission denied" in got["c"]


def test_rom_in_a_folder_without_permission(unreadable) -> None:
    got = _nobody_results(unreadable)
    assert got["locked"].startswith("RomNotFoundError"), got
    assert "ermission" in got["locked"]


@pytest.mark.parametrize(
    ("core", "ext"),
    [("gambatte", "gb"), ("mgba", "gba"), ("fceumm", "nes")],
)
def test_core_refuses_junk_rom(core: str, ext: str, tmp_path: Path) -> None:
    # never snes9x: it aborts the process on junk
    junk = tmp_path / f"junk.{ext}"
    junk.write_bytes(random.Random(1).randbytes(4096))
    with pytest.raises(
        errors.RomLoadError, match=rf"refused ROM .*junk\.{ext}.*\(wrong system, corrupt file"
    ):
        Emulator(core, junk)


def test_refused_rom_with_wrong_extension_names_the_right_ones(tmp_path: Path) -> None:
    junk = tmp_path / "junk.txt"
    junk.write_bytes(b"")
    with pytest.raises(errors.RomLoadError, match=r"'Gambatte' takes \.gb, \.gbc, \.dmg files"):
        Emulator("gambatte", junk)


def test_refused_rom_leaves_nothing_open(tmp_path: Path) -> None:
    junk = tmp_path / "junk.gb"
    junk.write_bytes(bytes(4096))
    gc.collect()  # earlier tests' emulators, kept alive by tracebacks until now
    fds = len(os.listdir("/proc/self/fd"))
    maps = _core_mappings()
    for _ in range(5):
        with pytest.raises(errors.RomLoadError):
            Emulator("gambatte", junk)
    gc.collect()
    assert len(os.listdir("/proc/self/fd")) == fds
    assert _core_mappings() <= maps, "a refused ROM left its core copy mapped"


def _core_mappings() -> set[str]:
    with open("/proc/self/maps") as f:
        return {
            line.split()[5] for line in f if "pettingretro-core-" in line and len(line.split()) > 5
        }


# --------------------------------------------------------------------------------------------
# BIOS


def test_missing_bios_is_reported_before_the_core_loads(tmp_path: Path, pong: Path) -> None:
    """mednafen_saturn dies of SIGFPE if loaded without a BIOS: the host must refuse first.

    In a child process, so that a regression kills the child, not the test run. The child also
    checks that no copy of the core was ever mapped.
    """
    empty = tmp_path / "system"
    empty.mkdir()
    code = f"""
        from pettingretro import errors
        from pettingretro.host import Emulator
        def mapped():
            return [l for l in open('/proc/self/maps') if 'pettingretro-core-' in l]
        for core, kwargs in [('mednafen_saturn', dict(system_dir={str(empty)!r})),
                             ('saturn', dict(system_dir={str(empty)!r})),
                             ('mednafen_saturn', dict())]:   # default dir from the environment
            try:
                Emulator(core, {str(pong)!r}, **kwargs)
            except errors.BiosMissingError as exc:
                assert isinstance(exc, FileNotFoundError)
                print('BIOS', exc)
            assert not mapped(), 'the Saturn core was loaded'
    """
    proc = run_python(code, env={"PETTINGRETRO_SYSTEM_DIR": str(empty)})
    assert proc.returncode == 0, f"exit status {proc.returncode} (-8 is SIGFPE): {proc.stderr}"
    lines = [line for line in proc.stdout.splitlines() if line.startswith("BIOS")]
    assert len(lines) == 3, proc.stdout
    for line in lines:
        for name in REQUIRED_BIOS["mednafen_saturn"][0]:
            assert name in line
        assert str(empty) in line
        assert "system_dir=" in line


# --------------------------------------------------------------------------------------------
# constructor arguments


@pytest.mark.parametrize("num_ports", [0, -1, MAX_PORTS + 1, 100])
def test_bad_num_ports(num_ports: int, pong: Path) -> None:
    with pytest.raises(ValueError, match=rf"num_ports must be 1\.\.{MAX_PORTS}, got {num_ports}"):
        Emulator("stella", pong, num_ports=num_ports)


def test_unknown_option_lists_the_cores_options(airstriker: Path, pong: Path) -> None:
    with pytest.raises(
        ValueError, match=r"has no option 'bogus' \(its options: .*genesis_plus_gx_region_detect"
    ):
        Emulator("genesis_plus_gx", airstriker, options={"bogus": "1"})
    with pytest.raises(
        ValueError, match=r"core 'stella' has no option 'bogus' \(its options: none\)"
    ):
        Emulator("stella", pong, options={"bogus": "1"})


def test_bad_option_value_at_construction(airstriker: Path) -> None:
    with pytest.raises(
        ValueError,
        match="'mars' is not a valid value for core option 'genesis_plus_gx_region_detect'",
    ):
        Emulator("genesis_plus_gx", airstriker, options={"genesis_plus_gx_region_detect": "mars"})


def test_bad_option_value_lists_allowed_values(genesis: Emulator) -> None:
    with pytest.raises(ValueError, match=r"auto.*ntsc-u.*pal.*ntsc-j"):
        genesis.set_option("genesis_plus_gx_region_detect", "mars")


def test_option_errors_on_a_running_emulator(genesis: Emulator) -> None:
    key = "genesis_plus_gx_region_detect"
    before = genesis.options[key]
    with pytest.raises(ValueError, match="has no option 'bogus'"):
        genesis.set_option("bogus", "1")
    with pytest.raises(ValueError, match=f"'mars' is not a valid value for core option '{key}'"):
        genesis.set_option(key, "mars")
    with pytest.raises(KeyError, match="no option 'bogus'"):
        genesis.option_info("bogus")
    assert genesis.options[key] == before, "a refused value changes nothing"
    genesis.step(1)


def test_set_option_with_a_non_string(genesis: Emulator) -> None:
    # the constructor takes str(value); set_option should too, or raise TypeError
    with pytest.raises((TypeError, ValueError)):
        genesis.set_option("genesis_plus_gx_region_detect", 3)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# input and stepping


@pytest.mark.parametrize("port", [-1, 4, MAX_PORTS, 2**40])
def test_buttons_for_a_port_that_does_not_exist(stella: Emulator, port: int) -> None:
    with pytest.raises(
        ValueError, match=rf"port {port} does not exist: this emulator has ports 0..3"
    ):
        stella.set_buttons(port, 1)


@pytest.mark.parametrize("mask", [-1, 1 << 16, 2**64])
def test_button_mask_wider_than_16_bits(stella: Emulator, mask: int) -> None:
    with pytest.raises(ValueError, match=f"button mask must fit 16 bits, got {mask}"):
        stella.set_buttons(0, mask)


def test_ports_follow_num_ports(pong: Path) -> None:
    with Emulator("stella", pong, num_ports=2) as emu:
        emu.set_buttons(1, 0xFFFF)
        with pytest.raises(ValueError, match=r"ports 0\.\.1"):
            emu.set_buttons(2, 1)


def test_bad_analog_arguments(stella: Emulator) -> None:
    with pytest.raises(ValueError, match="port 9 does not exist"):
        stella.set_analog(9, 0, 0, 0)
    with pytest.raises(ValueError, match="analog index and axis must be 0 or 1"):
        stella.set_analog(0, 2, 0, 0)
    with pytest.raises(ValueError, match="analog index and axis must be 0 or 1"):
        stella.set_analog(0, 0, 2, 0)
    with pytest.raises(ValueError, match=r"analog value must be -32768\.\.32767, got 32768"):
        stella.set_analog(0, 0, 0, 32768)
    with pytest.raises(ValueError, match="got -32769"):
        stella.set_analog(0, 0, 0, -32769)


@pytest.mark.parametrize("frames", [0, -5])
def test_step_needs_a_positive_frame_count(stella: Emulator, frames: int) -> None:
    with pytest.raises(ValueError, match=f"frames must be 1..{MAX_FRAMES} per step, got {frames}"):
        stella.step(frames)


def test_step_with_absurd_arguments_raises_not_crashes(stella: Emulator) -> None:
    frame = stella.frame
    with pytest.raises(ValueError, match="got 8589934592; step several times"):
        stella.step(2**33)
    with pytest.raises(TypeError, match=r"frames must be an integer, got float 1\.5"):
        stella.step(1.5)  # type: ignore[arg-type]
    assert stella.frame == frame, "a refused step runs nothing"
    stella.step(1)


def test_unknown_memory_kind(stella: Emulator) -> None:
    with pytest.raises(
        ValueError,
        match="unknown memory kind 'wram'; use one of save_ram, rtc, system_ram, video_ram",
    ):
        stella.memory("wram")


def test_screen_buffer_too_small(stella: Emulator) -> None:
    h, w = stella.screen_shape
    with pytest.raises(
        ValueError, match=rf"screen buffer holds 300 bytes, the frame needs {h * w * 3} \({w}x{h}\)"
    ):
        stella.screen_rgb(np.zeros((10, 10, 3), np.uint8))
    with pytest.raises(ValueError, match=f"the frame needs {h * w}"):
        stella.screen_gray(np.zeros((10, 10), np.uint8))
    with pytest.raises(ValueError, match="needs"):
        stella.step_into(np.zeros(4, np.uint16), 1, np.zeros((10, 10, 3), np.uint8))


def test_screen_buffer_read_only_or_not_contiguous(stella: Emulator) -> None:
    h, w = stella.screen_shape
    ro = np.zeros((h, w, 3), np.uint8)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        stella.screen_rgb(ro)
    with pytest.raises(ValueError, match="read-only"):
        stella.step_into(np.zeros(4, np.uint16), 1, ro)
    strided = np.zeros((h, 2 * w, 3), np.uint8)[:, ::2]
    with pytest.raises(ValueError, match="not C-contiguous"):
        stella.screen_rgb(strided)


@pytest.mark.parametrize(
    "make",
    [
        lambda h, w: np.zeros((h, w, 3), np.float32),  # 4x the bytes: garbage floats
        lambda h, w: np.zeros((h + 10, w + 10, 3), np.uint8),  # big enough, wrong layout
        lambda h, w: np.zeros((h, w), np.uint8).repeat(3),  # flat
    ],
)
def test_screen_out_of_the_wrong_dtype_or_shape(stella: Emulator, make) -> None:
    h, w = stella.screen_shape
    with pytest.raises((ValueError, TypeError), match=r"must be uint8|the frame needs"):
        stella.screen_rgb(make(h, w))


def test_step_into_buttons_must_be_uint16(stella: Emulator) -> None:
    with pytest.raises((ValueError, TypeError), match="uint16"):
        stella.step_into(np.zeros(4, np.int64), 1, None)


def test_step_many_bad_arguments(stella: Emulator, pong: Path) -> None:
    with pytest.raises(
        ValueError,
        match=rf"buttons must be uint16 of shape \(1, {MAX_PORTS}\), got uint16 \(1, 4\)",
    ):
        step_many([stella], np.zeros((1, 4), np.uint16), 1)
    with pytest.raises(ValueError, match="got int64"):
        step_many([stella], np.zeros((1, MAX_PORTS), np.int64), 1)
    with pytest.raises(ValueError, match="an emulator appears twice"):
        step_many([stella, stella], np.zeros((2, MAX_PORTS), np.uint16), 1)


@pytest.mark.parametrize("call", ["set", "move"])
def test_paddle_values_must_match_the_configured_count(stella: Emulator, call: str) -> None:
    stella.paddles_config([-22, -26], 0, 1000)
    few = [500] if call == "set" else np.array([1], np.int32)
    method = stella.paddles_set if call == "set" else stella.paddles_move
    with pytest.raises(ValueError, match="2 paddles"):
        method(few)


# --------------------------------------------------------------------------------------------
# states


def test_state_of_the_wrong_size(stella: Emulator) -> None:
    state = stella.save_state()
    n = len(state)
    for bad in (state[:-1], state + b"\x01", b"", state * 2, state + bytes(31) + b"\x01"):
        with pytest.raises(
            errors.StateError,
            match=rf"state has {len(bad)} bytes but core 'Stella' .* saves {n}: it was saved by another core, core version or game",
        ):
            stella.load_state(bad)
    stella.load_state(state)  # still usable


def test_state_padded_with_zeros_is_accepted(stella: Emulator) -> None:
    # stable-retro's Stella states are the core's 481 bytes padded with zeros to 512
    state = stella.save_state()
    stella.step(30)
    stella.load_state(state + bytes(512 - len(state)))
    assert stella.save_state() == state


def test_state_from_another_core(genesis: Emulator, airstriker: Path) -> None:
    with Emulator("picodrive", airstriker) as pico:
        pico.step(10)
        foreign = pico.save_state()
    with pytest.raises(errors.StateError, match="saved by another core"):
        genesis.load_state(foreign)


@pytest.mark.parametrize("core", ["genesis_plus_gx", "picodrive"])
def test_corrupt_state_of_the_right_size(core: str, airstriker: Path) -> None:
    """The core rejects random bytes; the emulator keeps working and good states still load.

    Only cores that validate states: Stella aborts the process on random bytes.
    """
    with Emulator(core, airstriker) as emu:
        emu.step(60)
        good = emu.save_state()
        ram = emu.ram.copy()
        rng = random.Random(7)
        for junk in (rng.randbytes(len(good)), bytes(len(good)), b"\xff" * len(good)):
            with pytest.raises(errors.StateError, match="rejected the state"):
                emu.load_state(junk)
        emu.step(5)
        emu.load_state(good)
        np.testing.assert_array_equal(emu.ram, ram)


@pytest.mark.parametrize(
    "bad", ["a string", [1, 2, 3], None, 481, np.zeros(481, np.uint8).tolist()]
)
def test_state_that_is_not_bytes(stella: Emulator, bad: object) -> None:
    with pytest.raises(TypeError, match="state must be bytes, got"):
        stella.load_state(bad)  # type: ignore[arg-type]


def test_state_as_bytearray_or_memoryview_is_fine(stella: Emulator) -> None:
    state = stella.save_state()
    stella.load_state(bytearray(state))
    stella.load_state(memoryview(state))


# --------------------------------------------------------------------------------------------
# use after close

# Every public name of Emulator, and how to call it. A new public method or property must be
# added here (test_every_public_name_is_covered fails otherwise).
CALLS = {
    "set_buttons": lambda e: e.set_buttons(0, 0),
    "set_analog": lambda e: e.set_analog(0, 0, 0, 0),
    "step": lambda e: e.step(1),
    "step_into": lambda e: e.step_into(np.zeros(4, np.uint16), 1, None),
    "frame": lambda e: e.frame,
    "screen_shape": lambda e: e.screen_shape,
    "screen_rgb": lambda e: e.screen_rgb(),
    "screen_gray": lambda e: e.screen_gray(),
    "ram": lambda e: e.ram,
    "memory": lambda e: e.memory("system_ram"),
    "memory_maps": lambda e: e.memory_maps,
    "save_state": lambda e: e.save_state(),
    "save_state_into": lambda e: e.save_state_into(bytearray(481)),
    "tiles_into": lambda e: e.tiles_into(
        TileLayout("gameboy", 0x4200, (0, 0x4000), rows=18, cols=20),
        np.zeros((18, 20), np.uint16),
    ),
    "load_state": lambda e: e.load_state(b"\0" * 481),
    "reset": lambda e: e.reset(),
    "options": lambda e: e.options,
    "option_info": lambda e: e.option_info("stella_anything"),
    "set_option": lambda e: e.set_option("stella_anything", "1"),
    "paddles_config": lambda e: e.paddles_config([], 0, 1),
    "paddles_set": lambda e: e.paddles_set([]),
    "paddles_move": lambda e: e.paddles_move(np.zeros(0, np.int32)),
    "paddles": lambda e: e.paddles,
    "enable_audio": lambda e: e.enable_audio(),
    "disable_audio": lambda e: e.disable_audio(),
    "audio": lambda e: e.audio(),
}
# names that stay usable after close: plain data and the lifecycle itself
AFTER_CLOSE_OK = {
    "close",
    "closed",
    "state_complete",
    "system_info",
    "av_info",
    "core_path",
    "rom_path",
    "num_ports",
    "audio_enabled",
}


def test_every_public_name_is_covered(stella: Emulator) -> None:
    public = {n for n in dir(stella) if not n.startswith("_")}
    missing = public - set(CALLS) - AFTER_CLOSE_OK
    assert not missing, f"add these to CALLS or AFTER_CLOSE_OK in {__file__}: {sorted(missing)}"


@pytest.mark.parametrize("name", sorted(CALLS))
def test_use_after_close(name: str, pong: Path) -> None:
    emu = Emulator("stella", pong)
    emu.step(1)
    emu.close()
    with pytest.raises(errors.EmulatorClosedError, match=r"was closed; create a new Emulator"):
        CALLS[name](emu)


def test_close_twice_and_what_still_works_after_close(pong: Path) -> None:
    emu = Emulator("stella", pong)
    ram = emu.ram
    emu.close()
    emu.close()
    assert emu.closed
    assert "closed" in repr(emu)
    assert emu.system_info.library_name == "Stella"
    assert emu.av_info.fps > 0
    assert emu.state_complete is False
    with emu:  # a context manager on a closed emulator closes nothing twice
        pass
    del ram


def test_context_manager_closes_on_error(pong: Path) -> None:
    with pytest.raises(RuntimeError), Emulator("stella", pong) as emu:
        raise RuntimeError("boom")
    assert emu.closed
    with pytest.raises(errors.EmulatorClosedError):
        emu.step()


def test_step_many_with_a_closed_emulator(pong: Path) -> None:
    a = Emulator("stella", pong)
    b = Emulator("stella", pong)
    b.close()
    try:
        with pytest.raises(errors.EmulatorClosedError):
            step_many([a, b], np.zeros((2, MAX_PORTS), np.uint16), 1)
    finally:
        a.close()


def test_errors_share_one_base_class() -> None:
    for cls in (
        errors.CoreNotFoundError,
        errors.RomNotFoundError,
        errors.RomLoadError,
        errors.BiosMissingError,
        errors.StateError,
        errors.EmulatorClosedError,
        errors.EmulatorBusyError,
        errors.CoreShutdownError,
        errors.CoreError,
    ):
        assert issubclass(cls, errors.PettingRetroError)
