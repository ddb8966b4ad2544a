"""IsolatedEmulator: a core that dies takes only its worker process with it.

Faults come from our test core (native/testcore/testcore.c: ``crash_at=F`` dereferences NULL)
wrapped in a few lines of C that abort, divide by zero, exit or hang on request, and from real
cores fed garbage. Every test also steps an in-process Pong env (``bystander``) to show that
this process and its other emulators live on.
"""

from __future__ import annotations

import gc
import os
import pickle
import random
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from pettingretro import errors
from pettingretro.cores import REQUIRED_BIOS, list_core_files
from pettingretro.envs import pong_v0
from pettingretro.host import Emulator, EmulatorLike, core_info
from pettingretro.isolation import EmulatorCrashed, IsolatedEmulator, IsolationOptions
from pettingretro.testing.roms import TEST_ROMS, ToolMissingError, build_rom

REPO = Path(__file__).resolve().parents[1]
TESTCORE = REPO / "native" / "testcore" / "testcore.c"

# the test core behind a retro_run that faults on request (environment variables, read in the
# worker: it gets this process's environment when it starts)
FAULTY = r"""
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#define retro_run testcore_retro_run
#include "testcore.c"
#undef retro_run
TC_API void retro_run(void)
{
    const char *fault = getenv("ISOLATION_TEST_FAULT");
    const char *at = getenv("ISOLATION_TEST_FAULT_AT");
    if (fault && frame + 1 == (uint32_t)(at ? atoi(at) : 1)) {
        if (!strcmp(fault, "abort")) abort();
        if (!strcmp(fault, "fpe")) { volatile int seven = 7, zero = 0; volatile int x = seven / zero; (void)x; }
        if (!strcmp(fault, "exit")) exit(3);
        if (!strcmp(fault, "hang")) for (volatile int spin = 1; spin;) {}
    }
    testcore_retro_run();
}
"""


@pytest.fixture(scope="module")
def faulty_core(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cc = shutil.which("cc")
    if cc is None:
        pytest.skip("no system C compiler (cc) to build the test core")
    out_dir = tmp_path_factory.mktemp("faulty")
    src = out_dir / "faulty.c"
    src.write_text(FAULTY)
    out = out_dir / "faulty_libretro.so"
    proc = subprocess.run(
        [cc, "-shared", "-fPIC", "-O1", "-I", str(TESTCORE.parent), "-o", str(out), str(src)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return out


def rom(tmp_path: Path, name: str = "rom.txt", **config: object) -> Path:
    path = tmp_path / name
    path.write_text("".join(f"{k}={v}\n" for k, v in config.items()))
    return path


def frame_counter(ram: np.ndarray) -> int:
    return int.from_bytes(bytes(ram[60:64]), "little")


@pytest.fixture(scope="module")
def bystander():
    """An in-process Pong env that must keep stepping, whatever its neighbours do."""
    env = pong_v0.parallel_env(obs_type="ram")
    env.reset(seed=0)
    yield env
    env.close()


def keep_stepping(env, steps: int = 5) -> None:
    for _ in range(steps):
        if not env.agents:
            env.reset()
        env.step({a: 1 for a in env.agents})


def one_frame_at_a_time(emu: IsolatedEmulator, frames: int) -> None:
    for _ in range(frames):
        emu.step(1)


def children() -> set[tuple[int, str]]:
    """(pid, state) of this process's children and grandchildren (workers are the fork server's)."""
    procs = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
            except OSError:
                continue
            state, ppid = stat.rsplit(")", 1)[1].split()[:2]
            procs.append((int(pid), int(ppid), state))
    kids = {p for p, pp, _ in procs if pp == os.getpid()}
    return {(p, s) for p, pp, s in procs if p in kids or pp in kids}


# --------------------------------------------------------------------------------------------
# crashes


def test_segfault_raises_emulator_crashed_naming_game_core_and_frame(
    faulty_core: Path, tmp_path: Path, bystander
) -> None:
    emu = IsolatedEmulator(faulty_core, rom(tmp_path, crash_at=50), label="crashy_v0")
    other = IsolatedEmulator(faulty_core, rom(tmp_path, "ok.txt"), label="fine_v0")
    try:

        def lockstep() -> None:
            for _ in range(100):
                emu.step(1)
                other.step(1)
                keep_stepping(bystander, 1)

        with pytest.raises(EmulatorCrashed) as ei:
            lockstep()
        exc = ei.value
        assert exc.signal == "SIGSEGV"
        assert exc.exitcode == -11
        assert exc.label == "crashy_v0"
        assert exc.core == "faulty_libretro.so"
        assert exc.frame == 49, "the last frame that completed"
        msg = str(exc)
        for part in ("crashy_v0", "faulty_libretro.so", "SIGSEGV", "frame 49", "restart()"):
            assert part in msg, msg
        assert isinstance(exc, errors.PettingRetroError)
        # the crashed one keeps saying so; its neighbours carry on
        with pytest.raises(EmulatorCrashed, match="crashed earlier"):
            emu.step(1)
        assert emu.crashed is exc and not emu.closed
        assert frame_counter(emu.ram) == 49, "ram shows the last good frame"
        other.step(10)
        assert other.frame == 59
        keep_stepping(bystander)
    finally:
        emu.close()
        other.close()
    assert emu.closed


@pytest.mark.parametrize(
    ("fault", "signal", "exitcode"),
    [("abort", "SIGABRT", -6), ("fpe", "SIGFPE", -8), ("exit", None, 3)],
)
def test_abort_fpe_and_exit(
    fault: str,
    signal: str | None,
    exitcode: int,
    faulty_core: Path,
    tmp_path: Path,
    monkeypatch,
    bystander,
) -> None:
    monkeypatch.setenv("ISOLATION_TEST_FAULT", fault)
    monkeypatch.setenv("ISOLATION_TEST_FAULT_AT", "7")
    with IsolatedEmulator(faulty_core, rom(tmp_path), label="faulty_v0") as emu:
        emu.step(6)
        with pytest.raises(
            EmulatorCrashed, match=r"faulty_v0: core faulty_libretro\.so .* after frame 6"
        ) as ei:
            emu.step(1)
        assert (ei.value.signal, ei.value.exitcode) == (signal, exitcode)
        keep_stepping(bystander)


def test_a_hung_core_is_killed_after_the_timeout(
    faulty_core: Path, tmp_path: Path, monkeypatch, bystander
) -> None:
    monkeypatch.setenv("ISOLATION_TEST_FAULT", "hang")
    monkeypatch.setenv("ISOLATION_TEST_FAULT_AT", "3")
    with IsolatedEmulator(faulty_core, rom(tmp_path), label="stuck_v0", timeout=1.0) as emu:
        emu.step(2)
        with pytest.raises(
            EmulatorCrashed, match=r"did not answer within 1.0 s of CPU time and was killed"
        ) as ei:
            emu.step(1)
        assert ei.value.exitcode == -9 and ei.value.signal is None
        keep_stepping(bystander)


def test_a_starved_worker_is_not_hung_but_a_blocked_one_is(
    faulty_core: Path, tmp_path: Path, monkeypatch
) -> None:
    """The timeout counts the worker's CPU time: a worker that gets no CPU for three times the
    timeout (SIGSTOP: the extreme of a loaded machine) is waited for, and its abort reported as
    the abort; one that stays stopped (blocked for good) is killed after ``wall_timeout``."""
    monkeypatch.setenv("ISOLATION_TEST_FAULT", "abort")
    monkeypatch.setenv("ISOLATION_TEST_FAULT_AT", "3")
    with IsolatedEmulator(faulty_core, rom(tmp_path), timeout=0.5, wall_timeout=30) as emu:
        emu.step(2)
        pid = emu.pid
        assert pid is not None
        os.kill(pid, signal.SIGSTOP)
        wake = threading.Timer(1.5, os.kill, (pid, signal.SIGCONT))
        wake.start()
        try:
            with pytest.raises(EmulatorCrashed, match="crashed with SIGABRT while stepping") as ei:
                emu.step(1)
        finally:
            wake.join()
        assert (ei.value.signal, ei.value.exitcode) == ("SIGABRT", -6)

    with IsolatedEmulator(faulty_core, rom(tmp_path), timeout=0.5, wall_timeout=1.5) as emu:
        emu.step(2)
        pid = emu.pid
        assert pid is not None
        os.kill(pid, signal.SIGSTOP)  # and never continued
        with pytest.raises(
            EmulatorCrashed,
            match=r"within 1\.5 s and was killed \(blocked: it used less than 0\.5 s of CPU time\)",
        ) as ei:
            emu.step(1)
        assert (ei.value.signal, ei.value.exitcode) == (None, -9)


def test_a_crashed_worker_dumps_no_core(faulty_core: Path, tmp_path: Path) -> None:
    """Writing a core of a worker takes seconds (1.7 GB for Stella on some garbage states), in
    which it looked hung, and litters the caller's folder: workers dump none, even where the
    caller's RLIMIT_CORE allows it (raised to its hard limit here, in a fresh process)."""
    script = f"""
import resource
resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY,) * 2)
from pettingretro.isolation import EmulatorCrashed, IsolatedEmulator
emu = IsolatedEmulator({str(faulty_core)!r}, {str(rom(tmp_path))!r})
try:
    emu.step(5)
except EmulatorCrashed as exc:
    print(exc.signal)
"""
    work = tmp_path / "cwd"
    work.mkdir()
    env = dict(os.environ, ISOLATION_TEST_FAULT="abort", ISOLATION_TEST_FAULT_AT="3")
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    hard = resource.getrlimit(resource.RLIMIT_CORE)[1]
    if hard != resource.RLIM_INFINITY:
        script = script.replace("(resource.RLIM_INFINITY,) * 2", f"({hard}, {hard})")
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=work, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "SIGABRT"
    assert list(work.iterdir()) == [], "no core file in the worker's working directory"


def test_fault_on_the_first_frame(faulty_core: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ISOLATION_TEST_FAULT", "abort")
    monkeypatch.setenv("ISOLATION_TEST_FAULT_AT", "1")
    with IsolatedEmulator(faulty_core, rom(tmp_path)) as emu:  # loading runs no frame
        with pytest.raises(
            EmulatorCrashed, match=r"SIGABRT .* after frame 0.*checkpoint of frame 0"
        ):
            emu.step(1)
        assert emu.restart() == 0


def test_crash_during_load_names_loading(tmp_path: Path, monkeypatch) -> None:
    """melonDS segfaults on a 64 KiB junk .nds while loading (measured with melonDS 0.9.x)."""
    if "melonds" not in {c.name for c in list_core_files()}:
        pytest.skip("no melonds core")
    junk = tmp_path / "junk.nds"
    junk.write_bytes(random.Random(1).randbytes(65536))
    try:
        emu = IsolatedEmulator("melonds", junk, label="junk_v0", timeout=30)
    except EmulatorCrashed as exc:
        # one of two outcomes, which pytest.raises cannot express
        assert "while loading the ROM" in str(exc)  # noqa: PT017
        assert "create a new emulator" in str(exc)  # noqa: PT017
    else:  # a newer melonDS may refuse it politely or run it
        emu.close()
        pytest.skip("this melonDS does not crash on the junk ROM")


def test_emulator_crashed_pickles() -> None:
    exc = EmulatorCrashed("boom", label="g", core="c.so", frame=3, signal="SIGSEGV", exitcode=-11)
    back = pickle.loads(pickle.dumps(exc))
    assert str(back) == "boom"
    assert (back.label, back.core, back.frame, back.signal, back.exitcode) == (
        "g",
        "c.so",
        3,
        "SIGSEGV",
        -11,
    )


# --------------------------------------------------------------------------------------------
# restart


def test_restart_goes_back_to_the_last_checkpoint(
    faulty_core: Path, tmp_path: Path, bystander
) -> None:
    emu = IsolatedEmulator(
        faulty_core, rom(tmp_path, crash_at=48, options="v0"), checkpoint_every=10, label="r_v0"
    )
    try:
        emu.set_option("testcore_color", "blue")
        emu.set_buttons(0, 0x0F0F)
        assert emu.checkpoint_frame == 0, "a checkpoint right after loading"
        with pytest.raises(
            EmulatorCrashed, match="restart\\(\\) brings it back to the checkpoint of frame 40"
        ):
            one_frame_at_a_time(emu, 60)
        old_pid = emu.pid
        assert old_pid is None, "the dead worker was collected"
        assert emu.restart() == 40
        assert emu.frame == 40 and frame_counter(emu.ram) == 40
        assert emu.crashed is None and emu.restarts == 1
        assert emu.options["testcore_color"] == "blue", "set_option is replayed"
        emu.step(1)
        assert emu.ram[49] == 2, "the core runs with the replayed option (blue = 2)"
        emu.step(6)
        # the same frames crash again: the checkpoint is good, the game is not
        with pytest.raises(EmulatorCrashed, match="after frame 47"):
            emu.step(1)
        emu.restart()
        emu.reset()
        assert emu.frame == 0 and emu.checkpoint_frame == 0
        emu.step(30)
        assert frame_counter(emu.ram) == 30
        keep_stepping(bystander)
    finally:
        emu.close()


def test_restart_restores_held_buttons_and_load_state_checkpoints(
    faulty_core: Path, tmp_path: Path
) -> None:
    with IsolatedEmulator(faulty_core, rom(tmp_path, ports=2), checkpoint_every=0) as emu:
        emu.step(5)
        state = emu.save_state()
        emu.step(20)
        emu.load_state(state)  # becomes the checkpoint
        assert emu.checkpoint_frame == 25, "a checkpoint carries the frame it was taken at"
        emu.set_buttons(1, 0x00F0)
        emu.restart()  # a live worker can be restarted too
        assert frame_counter(emu.ram) == 5
        emu.step(1)
        assert int.from_bytes(bytes(emu.ram[2:4]), "little") == 0x00F0


def test_restart_after_close_is_refused(faulty_core: Path, tmp_path: Path) -> None:
    emu = IsolatedEmulator(faulty_core, rom(tmp_path))
    emu.close()
    with pytest.raises(errors.EmulatorClosedError, match="was closed"):
        emu.restart()


def test_env_recovers_from_a_crashed_core(bystander) -> None:
    """Stella aborts on a corrupt state of the right size: in isolation that is an exception."""
    env = pong_v0.parallel_env(obs_type="ram", isolate=True)
    ref = pong_v0.parallel_env(obs_type="ram")
    try:
        env.reset(seed=0)
        size = len(env.emu.save_state())
        crashed = 0
        rng = random.Random(3)
        for _ in range(3):
            try:
                env.emu.load_state(rng.randbytes(size))
            except EmulatorCrashed as exc:
                assert "pong_v0" in str(exc) and "stella" in str(exc)  # noqa: PT017 (one of 3 outcomes)
                crashed += 1
                env.emu.restart()
            except errors.StateError:
                pass
        if not crashed:
            pytest.skip("this Stella rejected every corrupt state politely")
        for e in (env, ref):
            e.reset(seed=0)
        for i in range(100):
            act = {a: (i * 7 + k) % 6 for k, a in enumerate(ref.agents)}
            got, want = env.step(act), ref.step(act)
            for agent in want[0]:
                np.testing.assert_array_equal(got[0][agent], want[0][agent])
            assert got[1:4] == want[1:4]
        keep_stepping(bystander)
    finally:
        env.close()
        ref.close()


# --------------------------------------------------------------------------------------------
# the Emulator interface, through the pipe


def test_an_isolated_emulator_is_emulator_like(faulty_core: Path, tmp_path: Path) -> None:
    """The env's Protocol holds at run time too (mypy checks it structurally in client.py)."""
    with IsolatedEmulator(faulty_core, rom(tmp_path)) as emu:
        assert isinstance(emu, EmulatorLike)
        emu.ping()
    with pytest.raises(errors.EmulatorClosedError):
        emu.ping()


def test_isolate_options() -> None:
    assert IsolationOptions.parse(False) is None
    assert IsolationOptions.parse(None) is None
    assert IsolationOptions.parse(True) == IsolationOptions()
    opts = IsolationOptions.parse({"timeout": 5, "checkpoint_every": 10})
    assert opts == IsolationOptions(checkpoint_every=10, timeout=5)
    assert opts is not None
    assert opts.wall_seconds == 60.0, "the backstop: max(10 x timeout, 60 s)"
    assert IsolationOptions(timeout=30).wall_seconds == 300.0
    assert IsolationOptions(timeout=1, wall_timeout=2).wall_seconds == 2.0
    assert IsolationOptions().wall_seconds is None
    assert IsolationOptions.parse(opts) is opts
    with pytest.raises(ValueError, match=r"unknown isolate option\(s\) 'time_out'; use checkpoint"):
        IsolationOptions.parse({"time_out": 5})
    with pytest.raises(TypeError, match="isolate must be True, False, a dict"):
        IsolationOptions.parse("yes")
    for bad in ({"timeout": 0}, {"timeout": -1}, {"wall_timeout": "5"}, {"timeout": True}):
        with pytest.raises(ValueError, match="must be a number of seconds > 0 or None"):
            IsolationOptions.parse(bad)
    with pytest.raises(ValueError, match="checkpoint_every must be an integer >= 0"):
        IsolationOptions(checkpoint_every=-1)
    with pytest.raises(ValueError, match="spin must be True or False"):
        IsolationOptions(spin=1)  # type: ignore[arg-type]


def test_options_build_the_emulator(faulty_core: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ISOLATION_TEST_FAULT", "hang")
    monkeypatch.setenv("ISOLATION_TEST_FAULT_AT", "2")
    opts = IsolationOptions(checkpoint_every=0, timeout=0.5)
    with opts.emulator(faulty_core, rom(tmp_path), label="built_v0", num_ports=2) as emu:
        assert (emu.timeout, emu.wall_timeout, emu.num_ports) == (0.5, 60.0, 2)
        emu.step(1)
        with pytest.raises(EmulatorCrashed, match=r"built_v0: .* did not answer within 0\.5 s"):
            emu.step(1)
        assert emu.restart() == 0, "checkpoint_every=0: the only checkpoint is the load's"


def test_isolated_pong_env_equals_the_in_process_one() -> None:
    for obs_type in ("ram", "rgb_image", "grayscale_image"):
        a = pong_v0.parallel_env(obs_type=obs_type, render_mode="rgb_array")
        b = pong_v0.parallel_env(obs_type=obs_type, render_mode="rgb_array", isolate=True)
        try:
            for e in (a, b):
                e.reset(seed=1)
            rng = np.random.default_rng(0)
            for _ in range(150):
                act = {ag: int(rng.integers(6)) for ag in a.agents}
                ra, rb = a.step(act), b.step(act)
                for ag in ra[0]:
                    np.testing.assert_array_equal(ra[0][ag], rb[0][ag])
                assert ra[1:] == rb[1:]
            np.testing.assert_array_equal(a.render(), b.render())
            np.testing.assert_array_equal(a.state(), b.state())
            assert a.emu.frame == b.emu.frame
            assert a.emu.paddles == b.emu.paddles
        finally:
            a.close()
            b.close()


def test_interface_matches_the_in_process_emulator(
    faulty_core: Path, tmp_path: Path, caplog
) -> None:
    r = rom(tmp_path, ports=2, options="v2", log=1, width=40, height=30, pixel_format="rgb565")
    with caplog.at_level("WARNING", logger="pettingretro.core"):
        iso = IsolatedEmulator(faulty_core, r, num_ports=2)
    assert "testcore loaded" in caplog.text, "the core's log reaches this process"
    ref = Emulator(faulty_core, r, num_ports=2)
    try:
        assert iso.system_info == ref.system_info
        assert iso.av_info == ref.av_info
        assert iso.core_path == ref.core_path and iso.num_ports == 2
        assert iso.state_complete == ref.state_complete
        assert iso.options == ref.options
        assert iso.option_info("testcore_color") == ref.option_info("testcore_color")
        for e in (iso, ref):
            e.set_buttons(0, 0x1234)
            e.set_analog(1, 0, 1, -500)
            e.step(3)
            e.step_into(np.array([7, 9], np.uint16), 2, None, video=True)
        assert iso.frame == ref.frame == 5
        np.testing.assert_array_equal(iso.ram, ref.ram)
        np.testing.assert_array_equal(iso.memory("system_ram"), ref.memory("system_ram"))
        np.testing.assert_array_equal(iso.memory("save_ram"), ref.memory("save_ram"))
        assert iso.screen_shape == ref.screen_shape == (30, 40)
        np.testing.assert_array_equal(iso.screen_rgb(), ref.screen_rgb())
        np.testing.assert_array_equal(iso.screen_gray(), ref.screen_gray())
        out_i, out_r = np.zeros((30, 40, 3), np.uint8), np.zeros((30, 40, 3), np.uint8)
        iso.step_into(np.array([1, 2], np.uint16), 1, out_i)
        ref.step_into(np.array([1, 2], np.uint16), 1, out_r)
        np.testing.assert_array_equal(out_i, out_r)
        g_i, g_r = np.zeros((30, 40), np.uint8), np.zeros((30, 40), np.uint8)
        iso.step_into(np.array([1, 2], np.uint16), 1, g_i, gray=True)
        ref.step_into(np.array([1, 2], np.uint16), 1, g_r, gray=True)
        np.testing.assert_array_equal(g_i, g_r)
        assert [m.length for m in iso.memory_maps] == [m.length for m in ref.memory_maps]
        state = ref.save_state()
        iso.load_state(state)
        np.testing.assert_array_equal(iso.ram, ref.ram)
        assert iso.save_state() == state
        iso.reset()
        ref.reset()
        np.testing.assert_array_equal(iso.ram, ref.ram)
        assert iso.frame == ref.frame == 0
        assert "frame 0" in repr(iso)
    finally:
        iso.close()
        ref.close()


def test_writes_into_ram_reach_the_core(faulty_core: Path, tmp_path: Path) -> None:
    with IsolatedEmulator(faulty_core, rom(tmp_path)) as emu:
        emu.step(1)
        ram = emu.ram
        ram[57] = 99  # a byte the test core never writes
        emu.step(1)
        assert emu.ram[57] == 99
        # the state is magic (4), frame (4), then the 64 bytes of RAM
        assert emu.save_state()[8 + 57] == 99
        assert ram is emu.ram, "one live view for the emulator's life"


def test_errors_from_the_core_come_back_as_they_are(faulty_core: Path, tmp_path: Path) -> None:
    with IsolatedEmulator(faulty_core, rom(tmp_path, options="v0")) as emu:
        with pytest.raises(errors.StateError, match="state has 3 bytes"):
            emu.load_state(b"abc")
        with pytest.raises(ValueError, match="has no option 'bogus'"):
            emu.set_option("bogus", "1")
        with pytest.raises(KeyError, match="bogus"):
            emu.option_info("bogus")
        with pytest.raises(ValueError, match="port 9 does not exist"):
            emu.set_buttons(9, 1)
        with pytest.raises(ValueError, match="16 bits"):
            emu.set_buttons(0, 1 << 16)
        with pytest.raises(ValueError, match="analog index and axis must be 0 or 1"):
            emu.set_analog(0, 2, 0, 0)
        with pytest.raises(ValueError, match="frames must be >= 1"):
            emu.step(0)
        with pytest.raises(ValueError, match="uint16"):
            emu.step_into(np.zeros(4, np.int64), 1, None)
        with pytest.raises(ValueError, match="unknown memory kind"):
            emu.memory("wram")
        with pytest.raises(TypeError, match="state must be bytes"):
            emu.load_state("nope")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="out must be uint8"):
            emu.screen_rgb(np.zeros((48, 64, 3), np.float32))
        ro = np.zeros((48, 64, 3), np.uint8)
        ro.flags.writeable = False
        with pytest.raises(ValueError, match="read-only"):
            emu.screen_rgb(ro)
        emu.step(2)  # still fine


def test_constructor_errors_are_the_hosts(faulty_core: Path, tmp_path: Path) -> None:
    with pytest.raises(errors.RomNotFoundError, match="does not exist"):
        IsolatedEmulator(faulty_core, tmp_path / "missing.txt")
    with pytest.raises(errors.RomNotFoundError, match="is a directory; pass the ROM file inside"):
        IsolatedEmulator(faulty_core, tmp_path)
    with pytest.raises(errors.CoreNotFoundError):
        IsolatedEmulator("no_such_core", rom(tmp_path))
    with pytest.raises(errors.RomLoadError):
        IsolatedEmulator(faulty_core, rom(tmp_path, refuse_load=1))
    with pytest.raises(ValueError, match="num_ports"):
        IsolatedEmulator(faulty_core, rom(tmp_path), num_ports=0)
    with pytest.raises(ValueError, match="has no option"):
        IsolatedEmulator(faulty_core, rom(tmp_path), options={"bogus": "1"})


def test_two_threads_at_once_get_busy_error(faulty_core: Path, tmp_path: Path) -> None:
    with IsolatedEmulator(faulty_core, rom(tmp_path, width=512, height=512)) as emu:
        stop = threading.Event()
        seen: list[BaseException] = []

        def hammer() -> None:
            while not stop.is_set():
                try:
                    emu.step(20)
                except errors.EmulatorBusyError as e:
                    seen.append(e)

        t = threading.Thread(target=hammer)
        t.start()
        try:
            deadline = time.monotonic() + 20
            while not seen and time.monotonic() < deadline:
                try:
                    emu.step(20)
                except errors.EmulatorBusyError as e:
                    seen.append(e)
        finally:
            stop.set()
            t.join()
        assert seen, "two threads stepping at once never collided"
        assert "two threads" in str(seen[0])


@pytest.mark.parametrize(
    "call",
    [
        lambda e: e.step(1),
        lambda e: e.step_into(np.zeros(4, np.uint16), 1, None),
        lambda e: e.set_buttons(0, 1),
        lambda e: e.ram,
        lambda e: e.frame,
        lambda e: e.save_state(),
        lambda e: e.screen_rgb(),
        lambda e: e.options,
        lambda e: e.paddles_move(np.zeros(2, np.int32)),
    ],
)
def test_use_after_close(call, faulty_core: Path, tmp_path: Path) -> None:
    emu = IsolatedEmulator(faulty_core, rom(tmp_path))
    emu.close()
    emu.close()
    with pytest.raises(errors.EmulatorClosedError, match="was closed"):
        call(emu)


def test_no_processes_or_fds_left_behind(faulty_core: Path, tmp_path: Path, monkeypatch) -> None:
    r = rom(tmp_path)
    IsolatedEmulator(faulty_core, r).close()  # the fork server is up
    fds = len(os.listdir("/proc/self/fd"))
    kids = children()
    monkeypatch.setenv("ISOLATION_TEST_FAULT", "abort")
    monkeypatch.setenv("ISOLATION_TEST_FAULT_AT", "3")
    for i in range(12):
        emu = IsolatedEmulator(faulty_core, r)
        if i % 3 == 0:
            with pytest.raises(EmulatorCrashed):
                emu.step(5)
        elif i % 3 == 1:
            emu.step(1)
            ram = emu.ram  # a view held past close() keeps only the memory alive
            emu.close()
            assert ram[60] == 1
            del ram
        else:
            del emu  # garbage collection closes it
            gc.collect()
            continue
        emu.close()
    gc.collect()
    time.sleep(0.2)
    assert len(os.listdir("/proc/self/fd")) <= fds
    assert children() <= kids, "every worker was collected"


# --------------------------------------------------------------------------------------------
# bad ROMs on every core


def _bad_roms(tmp_path: Path, core: str, ext: str, real: Path | None) -> dict[str, Path]:
    rng = random.Random(core)
    blobs = {"empty": b"", "garbage": rng.randbytes(65536), "zeros": bytes(1 << 20)}
    if real is not None:
        data = real.read_bytes()
        blobs.update(half=data[: len(data) // 2], header=data[:600], short=data[:-1])
    out = {}
    for kind, data in blobs.items():
        suffix = (
            real.suffix if real is not None and kind in ("half", "header", "short") else f".{ext}"
        )
        path = tmp_path / f"{core}-{kind}{suffix}"
        path.write_bytes(data)
        out[kind] = path
    return out


def test_garbage_and_truncated_roms_on_every_core(
    tmp_path: Path, ale_roms: Path, airstriker: Path, bystander
) -> None:
    """Each core gets an empty file, 64 KiB of noise and 1 MiB of zeros (with the extension it
    takes), and, where we have a real ROM for its system, that ROM cut to a half, to its first
    600 bytes and by one byte. Each ends in RomLoadError or EmulatorCrashed, or the core
    accepts the bytes and runs 60 frames (a 2600 cartridge is any bytes at all); the Pong env
    beside them steps after every case.
    """
    real: dict[str, Path] = {
        "stella": ale_roms / "pong.bin",
        "genesis_plus_gx": airstriker,
        "picodrive": airstriker,
    }
    for system, test_rom in TEST_ROMS.items():
        try:
            built = build_rom(system, tmp_path)
        except ToolMissingError:
            continue
        real.setdefault(test_rom.core, built)
        for alt in {
            "nes": ["nestopia"],
            "snes": [
                "bsnes_mercury_performance",
                "bsnes_mercury_balanced",
                "bsnes_mercury_accuracy",
            ],
        }.get(system, []):
            real.setdefault(alt, built)
    outcomes: dict[str, dict[str, str]] = {}
    skipped: dict[str, str] = {}
    t0 = time.monotonic()
    for cf in list_core_files():
        if cf.name in REQUIRED_BIOS:
            skipped[cf.name] = (
                "needs a BIOS: the host refuses it before loading (tests/host/test_errors.py)"
            )
            continue
        try:
            exts = core_info(cf.path).valid_extensions
        except errors.PettingRetroError as exc:
            skipped[cf.name] = f"cannot be opened: {exc}"
            continue
        results = outcomes.setdefault(cf.name, {})
        for kind, path in _bad_roms(
            tmp_path, cf.name, exts[0] if exts else "bin", real.get(cf.name)
        ).items():
            try:
                emu = IsolatedEmulator(cf.path, path, label=f"{cf.name}/{kind}", timeout=30)
            except errors.RomLoadError:
                results[kind] = "RomLoadError"
            except EmulatorCrashed as exc:
                assert f"{cf.name}/{kind}" in str(exc)  # noqa: PT017 (one of 4 outcomes)
                results[kind] = f"crashed loading ({exc.signal or exc.exitcode})"
            else:
                try:
                    emu.step(60)
                    results[kind] = "ran"
                except EmulatorCrashed as exc:
                    results[kind] = f"crashed running ({exc.signal or exc.exitcode})"
                except errors.CoreShutdownError:
                    results[kind] = "core shut down"
                finally:
                    emu.close()
            keep_stepping(bystander, 2)
    elapsed = time.monotonic() - t0
    table = "\n".join(f"{core}: {r}" for core, r in outcomes.items())
    print(f"\n{table}\nskipped: {skipped}\n{elapsed:.1f} s")
    assert outcomes, "no core to try"
    allowed = ("RomLoadError", "crashed loading", "crashed running", "ran", "core shut down")
    for core, r in outcomes.items():
        for kind, what in r.items():
            assert what.startswith(allowed), (core, kind, what)
    keep_stepping(bystander, 20)


# --------------------------------------------------------------------------------------------
# memory maps: what integrations read variables from on cores that declare one


@pytest.mark.parametrize("system", ["nes", "gb", "gba"])
def test_memory_maps_are_live_views(system: str, tmp_path: Path) -> None:
    """Mapped memory follows the core like ram does, and matches an in-process emulator.

    Some mapped regions hold what is no memory of the game (fceumm maps 0x6000 on a cartridge
    without RAM, and shows whatever its pointer meets): only regions that two in-process
    emulators and a second isolated one agree on are compared.
    """
    try:
        built = build_rom(system, tmp_path)
    except ToolMissingError as exc:
        pytest.skip(str(exc))
    # a name of its own: in process, emulators share battery saves by ROM name (host note)
    path = tmp_path / f"maps-{os.getpid()}-{time.monotonic_ns()}{built.suffix}"
    built.rename(path)
    core = TEST_ROMS[system].core
    a, c = Emulator(core, path), Emulator(core, path)
    b, d = IsolatedEmulator(core, path), IsolatedEmulator(core, path)
    emus = (a, b, c, d)
    try:

        def run(steps: int, first: int = 0) -> None:
            for i in range(first, first + steps):
                for e in emus:
                    e.set_buttons(0, (i * 37) & 0xFFFF)
                    e.step(2)

        def compare() -> int:
            same = 0
            maps = [e.memory_maps for e in emus]
            for x, y, z, w in zip(*maps, strict=True):
                assert (x.flags, x.start, x.select, x.length) == (
                    y.flags,
                    y.start,
                    y.select,
                    y.length,
                )
                assert (y.data is None) == (x.data is None or bool(x.flags & 1)), (
                    "ROM is not mirrored"
                )
                if (
                    y.data is not None
                    and np.array_equal(x.data, z.data)
                    and np.array_equal(x.data, w.data)
                ):
                    np.testing.assert_array_equal(y.data, x.data)
                    same += 1
            return same

        run(30)
        assert compare() > 0
        views = b.memory_maps
        run(5, 30)
        assert compare() > 0
        assert all(v.data is w.data for v, w in zip(views, b.memory_maps, strict=True)), "live"
        for e in emus:
            e.reset(hard=True)  # the game is reloaded: the worker finds the memory again
        run(5, 100)
        assert compare() > 0
        if system == "gba":  # a write into mapped memory outside ram (IWRAM) reaches the core
            k = next(i for i, m in enumerate(b.memory_maps) if m.start == 0x3000000)
            b.memory_maps[k].data[0x4000] = 0xA5
            b.step(1)
            a.load_state(b.save_state())
            assert a.memory_maps[k].data[0x4000] == 0xA5
    finally:
        for e in emus:
            e.close()
