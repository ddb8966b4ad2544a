"""Many emulators in one process on many threads: same results as alone, and no sharing of one.

* 16 Pong emulators on 4 Python threads give, frame for frame, the RAM and screen each gives when
  run alone in a fresh process (private core copies share nothing that changes results).
* step_many on 2 C threads equals stepping the same emulators one by one.
* One emulator used from two threads at once: the second call raises EmulatorBusyError.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

import pettingretro
from pettingretro.errors import EmulatorBusyError
from pettingretro.host import MAX_PORTS, Button, Emulator, step_many

FRAMES = 300
EMULATORS = 16
THREADS = 4


def pong_rom() -> Path:
    spec = importlib.util.find_spec("ale_py")
    assert spec is not None and spec.submodule_search_locations, "ale-py is a test dependency"
    return Path(next(iter(spec.submodule_search_locations))) / "roms" / "pong.bin"


def action_stream(i: int, frames: int) -> list[tuple[int, int]]:
    """Emulator i's joypad masks for ports 0 and 1: nothing, fire or one direction per frame."""
    rng = np.random.default_rng(i)
    bits = [0] + [
        1 << b for b in (Button.B, Button.A, Button.UP, Button.DOWN, Button.LEFT, Button.RIGHT)
    ]
    choice = rng.integers(0, len(bits), size=(frames, 2))
    return [(bits[a], bits[b]) for a, b in choice]


class Run:
    """One emulator stepped one frame per call through its action stream, hashing as it goes."""

    def __init__(self, i: int, rom: Path, frames: int = FRAMES) -> None:
        self.emu = Emulator("stella", rom, seed=0)
        self.actions = action_stream(i, frames)
        self.ram: list[str] = []
        self.screen = ""

    def frame(self, f: int) -> None:
        a, b = self.actions[f]
        self.emu.set_buttons(0, a)
        self.emu.set_buttons(1, b)
        last = f == len(self.actions) - 1
        self.emu.step(1, video=last)
        self.ram.append(hashlib.sha1(self.emu.ram.tobytes()).hexdigest())
        if last:
            self.screen = hashlib.sha1(self.emu.screen_rgb().tobytes()).hexdigest()
            self.emu.close()


def solo(i: int) -> tuple[list[str], str]:
    """Emulator i run alone (called in a fresh process)."""
    run = Run(i, pong_rom())
    for f in range(FRAMES):
        run.frame(f)
    return run.ram, run.screen


def solo_in_fresh_process(i: int) -> tuple[list[str], str]:
    code = (
        "import importlib.util, json, sys\n"
        f"spec = importlib.util.spec_from_file_location('threads_solo', {str(Path(__file__))!r})\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        f"print(json.dumps(m.solo({i})))\n"
    )
    root = str(Path(pettingretro.__file__).resolve().parent.parent)
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 0, f"solo run {i} failed:\n{out.stderr}"
    ram, screen = json.loads(out.stdout.strip().splitlines()[-1])
    return [str(h) for h in ram], str(screen)


def test_16_emulators_on_4_threads_match_each_alone_in_a_fresh_process() -> None:
    rom = pong_rom()
    runs = [Run(i, rom) for i in range(EMULATORS)]
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def work(t: int) -> None:
        mine = runs[t::THREADS]
        try:
            start.wait()
            for f in range(FRAMES):
                for run in mine:
                    run.frame(f)
        except BaseException as exc:  # reported below, on the test's thread
            errors.append(exc)

    pool = [threading.Thread(target=work, args=(t,)) for t in range(THREADS)]
    for th in pool:
        th.start()
    # meanwhile, the reference: every emulator alone in its own fresh process, two at a time
    with ThreadPoolExecutor(2) as ex:
        alone = list(ex.map(solo_in_fresh_process, range(EMULATORS)))
    for th in pool:
        th.join()
    assert not errors, errors

    assert len({run.ram[-1] for run in runs}) > 1, (
        "different action streams should give different games"
    )
    for i, (run, ref) in enumerate(zip(runs, alone, strict=True)):
        if run.ram != ref[0]:
            first = next(f for f, (x, y) in enumerate(zip(run.ram, ref[0], strict=True)) if x != y)
            raise AssertionError(f"emulator {i}: RAM differs from its solo run from frame {first}")
        assert run.screen == ref[1], f"emulator {i}: final screen differs from its solo run"


def test_step_many_on_2_threads_equals_one_by_one() -> None:
    rom = pong_rom()
    n, calls = 8, 120
    batched = [Emulator("stella", rom) for _ in range(n)]
    single = [Emulator("stella", rom) for _ in range(n)]
    rng = np.random.default_rng(1234)
    bits = np.array(
        [0]
        + [1 << b for b in (Button.B, Button.A, Button.UP, Button.DOWN, Button.LEFT, Button.RIGHT)]
    )
    try:
        for c in range(calls):
            buttons = np.zeros((n, MAX_PORTS), np.uint16)
            buttons[:, :2] = bits[rng.integers(0, len(bits), size=(n, 2))]
            frames = 1 + c % 3
            video = c == calls - 1  # the last call keeps a picture
            step_many(batched, buttons, frames, video=video, num_threads=2)
            for emu, ref, row in zip(single, batched, buttons, strict=True):
                # (the size of the picture is known once one was kept: before that, screen_shape
                # is the core's base geometry, 320 wide for Stella's 160-wide frames)
                out = np.empty((*ref.screen_shape, 3), np.uint8) if video else None
                emu.step_into(np.ascontiguousarray(row[: emu.num_ports]), frames, out)
                if video:
                    assert out is not None
                    np.testing.assert_array_equal(out, emu.screen_rgb())
            for i in range(n):
                assert np.array_equal(batched[i].ram, single[i].ram), (
                    f"emulator {i} differs after call {c}"
                )
                assert batched[i].frame == single[i].frame
        for i in range(n):
            np.testing.assert_array_equal(
                batched[i].screen_rgb(), single[i].screen_rgb(), f"emulator {i}"
            )
        assert len({bytes(e.ram) for e in batched}) > 1, "the emulators should have diverged"
    finally:
        for emu in batched + single:
            emu.close()


def test_one_emulator_on_two_threads_raises_busy() -> None:
    emu = Emulator("stella", pong_rom())
    try:
        for _attempt in range(5):
            started = threading.Event()
            outcome: dict[str, BaseException | None] = {}

            def long_call(
                started: threading.Event = started,
                outcome: dict[str, BaseException | None] = outcome,
            ) -> None:
                started.set()
                try:
                    emu.step(5000, video=False)
                    outcome["a"] = None
                except BaseException as exc:
                    outcome["a"] = exc

            a = threading.Thread(target=long_call)
            frame0 = emu.frame
            a.start()
            started.wait()
            busy: BaseException | None = None
            stepped = 0
            deadline = time.monotonic() + 30
            while a.is_alive() and time.monotonic() < deadline:
                time.sleep(0.01)
                try:
                    emu.step(1, video=False)
                    stepped += 1  # ran before A's call entered C, or after it left
                except EmulatorBusyError as exc:
                    busy = exc
                    break
            a.join()
            if busy is None and isinstance(outcome.get("a"), EmulatorBusyError):
                busy = outcome["a"]  # B entered first and A was refused: the same guard
            if busy is None:
                continue  # no overlap this time (A ran out before B tried): try again
            assert "another thread" in str(busy)
            assert outcome["a"] is None or isinstance(outcome["a"], EmulatorBusyError), outcome["a"]
            if outcome["a"] is None:
                # A's call was not disturbed: all its frames ran, plus B's successful single steps
                assert emu.frame == frame0 + 5000 + stepped
            emu.step(1)  # once both are done, the emulator is usable again
            return
        raise AssertionError("two threads never overlapped on one emulator in 5 tries")
    finally:
        emu.close()
