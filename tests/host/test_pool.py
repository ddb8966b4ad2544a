"""Pools: C threads that step many emulators, one pool per caller.

* Two pools stepped from two Python threads give, call for call, what stepping each emulator
  alone gives, and they run at the same time: test-core emulators on two pools meet at a
  rendezvous that only frames running at once can pass (the process-wide pool, which serves
  one caller at a time, cannot: the control case).
* One pool used by two threads at once, or closed, says so; bad arguments are refused.
* step_many_into on a pool makes the same observations as on the process-wide pool.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from pettingretro import errors
from pettingretro.host import (
    MAX_PORTS,
    MAX_THREADS,
    Button,
    Emulator,
    Pool,
    PreparedStep,
    TermProgram,
    VariableProgram,
    step_many,
    step_many_into,
)
from pettingretro.vector.resize import AreaResize

RAM_RENDEZVOUS = 56  # testcore.c: 1 = all arrived, 2 = gave up waiting

BITS = np.array(
    [0] + [1 << b for b in (Button.B, Button.UP, Button.DOWN, Button.LEFT, Button.RIGHT)]
)


def random_buttons(rng: np.random.Generator, n: int) -> np.ndarray:
    buttons = np.zeros((n, MAX_PORTS), np.uint16)
    buttons[:, :2] = BITS[rng.integers(0, len(BITS), size=(n, 2))]
    return buttons


def run_on_threads(*calls) -> None:
    """Run each call on its own thread, all released at once; re-raise the first error."""
    start = threading.Barrier(len(calls))
    failures: list[BaseException] = []

    def body(call) -> None:
        try:
            start.wait()
            call()
        except BaseException as exc:  # reported on the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=body, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise failures[0]


def rendezvous_emu(make_emu, counter: np.ndarray, n: int, wait_ms: int | None = None) -> Emulator:
    return make_emu(
        rendezvous=counter.ctypes.data, rendezvous_n=n, rendezvous_ms=wait_ms, audio="none"
    )


def test_two_pools_on_two_threads_equal_each_emulator_alone(ale_roms: Path) -> None:
    rom = ale_roms / "pong.bin"
    n, calls = 4, 60
    groups = [[Emulator("stella", rom) for _ in range(n)] for _ in range(2)]
    alone = [[Emulator("stella", rom) for _ in range(n)] for _ in range(2)]
    plans = [[random_buttons(np.random.default_rng(g), n) for _ in range(calls)] for g in range(2)]
    pools = [Pool(2), Pool(2)]
    ram: list[list[bytes]] = [[], []]

    def drive(g: int) -> None:
        for c, buttons in enumerate(plans[g]):
            step_many(groups[g], buttons, 1 + c % 3, pool=pools[g])
            ram[g].append(b"".join(bytes(e.ram) for e in groups[g]))

    try:
        run_on_threads(lambda: drive(0), lambda: drive(1))
        for g in range(2):
            for c, buttons in enumerate(plans[g]):
                for emu, row in zip(alone[g], buttons, strict=True):
                    emu.step_into(np.ascontiguousarray(row[: emu.num_ports]), 1 + c % 3, None)
                assert ram[g][c] == b"".join(bytes(e.ram) for e in alone[g]), (g, c)
        assert ram[0][-1] != ram[1][-1], "the two groups' inputs should give different games"
    finally:
        for pool in pools:
            pool.close()
        for emu in [e for group in groups + alone for e in group]:
            emu.close()


def test_two_pools_step_at_the_same_time(make_emu) -> None:
    counter = np.zeros(1, np.int32)
    a, b = rendezvous_emu(make_emu, counter, 2), rendezvous_emu(make_emu, counter, 2)
    buttons = np.zeros((1, MAX_PORTS), np.uint16)
    with Pool(1) as pa, Pool(1) as pb:
        run_on_threads(
            lambda: step_many([a], buttons, 3, pool=pa),
            lambda: step_many([b], buttons, 3, pool=pb),
        )
    assert counter[0] == 2
    assert (a.ram[RAM_RENDEZVOUS], b.ram[RAM_RENDEZVOUS]) == (1, 1), "both frames ran at once"
    assert a.frame == b.frame == 3


def test_control_the_shared_pool_takes_one_caller_at_a_time(make_emu) -> None:
    counter = np.zeros(1, np.int32)
    a = rendezvous_emu(make_emu, counter, 2, wait_ms=300)
    b = rendezvous_emu(make_emu, counter, 2, wait_ms=300)
    buttons = np.zeros((1, MAX_PORTS), np.uint16)
    run_on_threads(
        lambda: step_many([a], buttons, 1, num_threads=1),
        lambda: step_many([b], buttons, 1, num_threads=1),
    )
    # the first caller waited alone and gave up; the second found the count already reached
    assert sorted([int(a.ram[RAM_RENDEZVOUS]), int(b.ram[RAM_RENDEZVOUS])]) == [1, 2]


def test_one_pool_on_two_threads_is_busy_and_cannot_close(make_emu) -> None:
    counter = np.zeros(1, np.int32)
    held = rendezvous_emu(make_emu, counter, 2)  # waits inside its frame until counter is 2
    other = make_emu()
    buttons = np.zeros((1, MAX_PORTS), np.uint16)
    with Pool(2) as pool:
        worker = threading.Thread(
            target=step_many, args=([held], buttons, 1), kwargs={"pool": pool}
        )
        worker.start()
        deadline = time.monotonic() + 30
        while counter[0] < 1 and time.monotonic() < deadline:  # the held frame is running
            time.sleep(0.001)
        try:
            with pytest.raises(
                errors.EmulatorBusyError, match="already stepping on another thread"
            ):
                step_many([other], buttons, 1, pool=pool)
            with pytest.raises(errors.EmulatorBusyError, match="stepping on another thread"):
                pool.close()
            assert other.frame == 0, "a refused call runs nothing"
        finally:
            counter[0] = 2  # let the held frame finish
            worker.join()
        assert held.ram[RAM_RENDEZVOUS] == 1 and held.frame == 1
        step_many([other], buttons, 1, pool=pool)  # free again
        assert other.frame == 1


def test_a_closed_pool_refuses_to_step(make_emu) -> None:
    emu = make_emu()
    pool = Pool(3)
    assert pool.num_threads == 3 and not pool.closed
    pool.close()
    pool.close()  # idempotent
    assert pool.closed and "closed" in repr(pool)
    with pytest.raises(ValueError, match="this Pool was closed; create a new one"):
        step_many([emu], np.zeros((1, MAX_PORTS), np.uint16), 1, pool=pool)
    assert emu.frame == 0


@pytest.mark.parametrize(
    ("threads", "error", "match"),
    [
        (0, ValueError, f"num_threads must be 1..{MAX_THREADS}, got 0"),
        (MAX_THREADS + 1, ValueError, f"got {MAX_THREADS + 1}"),
        (1.5, TypeError, "num_threads must be an integer, got float"),
        (True, TypeError, "got bool"),
    ],
)
def test_bad_thread_counts(threads: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        Pool(threads)  # type: ignore[arg-type]


def test_bad_pool_arguments(make_emu) -> None:
    emu = make_emu()
    buttons = np.zeros((1, MAX_PORTS), np.uint16)
    with Pool(1) as pool:
        with pytest.raises(ValueError, match="pass pool= or num_threads=, not both"):
            step_many([emu], buttons, 1, pool=pool, num_threads=2)
        with pytest.raises(TypeError, match=r"pool must be a pettingretro\.host\.Pool, got int"):
            step_many([emu], buttons, 1, pool=3)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match=r"frames must be 1\.\."):
            step_many([emu], buttons, 0, pool=pool)
        with pytest.raises(TypeError, match="frames must be an integer"):
            step_many([emu], buttons, 2.5, pool=pool)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=f"num_threads must be 1..{MAX_THREADS}, got 0"):
        step_many([emu], buttons, 1, num_threads=0)
    with pytest.raises(TypeError, match="num_threads must be an integer, got float"):
        step_many([emu], buttons, 1, num_threads=1.5)  # type: ignore[arg-type]
    assert emu.frame == 0


def test_more_threads_than_emulators_and_none_at_all(make_emu) -> None:
    emus = [make_emu() for _ in range(3)]
    with Pool(8) as pool:
        step_many(emus, np.zeros((3, MAX_PORTS), np.uint16), 5, pool=pool)
        step_many([], np.zeros((0, MAX_PORTS), np.uint16), 5, pool=pool)
    assert [e.frame for e in emus] == [5, 5, 5]


@pytest.mark.parametrize("gray", [False, True])
def test_step_many_into_on_a_pool_equals_the_shared_pool(ale_roms: Path, gray: bool) -> None:
    rom = ale_roms / "pong.bin"
    n = 5
    mine = [Emulator("stella", rom) for _ in range(n)]
    shared = [Emulator("stella", rom) for _ in range(n)]
    shape = (n, 210, 160) if gray else (n, 210, 160, 3)
    bufs = {k: [np.zeros(shape, np.uint8) for _ in range(3)] for k in ("mine", "shared")}
    resize = AreaResize((210, 160), (84, 84))
    out_shape = (n, 84, 84) if gray else (n, 84, 84, 3)
    outs = {k: np.zeros(out_shape, np.uint8) for k in ("mine", "shared")}
    rng = np.random.default_rng(5)
    try:
        with Pool(2) as pool:
            for _ in range(20):
                buttons = random_buttons(rng, n)
                last, pooled, _ = bufs["mine"]
                step_many_into(
                    mine, buttons, 4, last, gray=gray, pooled=pooled,
                    resize=resize.taps, out=outs["mine"], pool=pool,
                )  # fmt: skip
                last, pooled, _ = bufs["shared"]
                step_many_into(
                    shared, buttons, 4, last, gray=gray, pooled=pooled,
                    resize=resize.taps, out=outs["shared"], num_threads=2,
                )  # fmt: skip
                for a, b in zip(bufs["mine"][:2], bufs["shared"][:2], strict=True):
                    np.testing.assert_array_equal(a, b)
                np.testing.assert_array_equal(outs["mine"], outs["shared"])
        np.testing.assert_array_equal(outs["mine"], resize(bufs["mine"][1]))
        assert outs["mine"].any()
    finally:
        for emu in mine + shared:
            emu.close()


def pong_programs(ram: np.ndarray) -> tuple[VariableProgram, TermProgram, np.ndarray]:
    """A variable program over two RAM bytes and a term rewarding the first one's rise."""
    out, prev = np.zeros(2, np.int64), np.zeros(2, np.int64)
    variables = VariableProgram(
        [ram], [(0, [13], [1], 0, 0, -1), (0, [14], [1], 0, 0, -1)], out, prev
    )
    rewards = np.zeros(1, np.float64)
    terms = TermProgram([(0, 0, True, -1, 0, 1.0, 1.0)], out, prev, [0.0], False, rewards)
    return variables, terms, rewards


def test_a_prepared_step_weighs_each_games_outcome_after_its_frames(ale_roms: Path) -> None:
    """outcomes= runs each emulator's variables and terms in C right after its frames; the
    values and rewards equal the programs run by hand after the same frames."""
    rom = ale_roms / "pong.bin"
    n = 3
    mine = [Emulator("stella", rom) for _ in range(n)]
    theirs = [Emulator("stella", rom) for _ in range(n)]
    progs = [pong_programs(e.ram) for e in mine]
    refs = [pong_programs(e.ram) for e in theirs]
    over = np.zeros(n, np.uint8)
    buttons = np.zeros((n, MAX_PORTS), np.uint16)
    last = np.zeros((n, 128), np.uint8)
    rng = np.random.default_rng(3)
    try:
        with Pool(2) as pool:
            step = PreparedStep(
                pool, mine, buttons, 2, last, mode="ram",
                outcomes=[(v, t) for v, t, _ in progs], over=over,
            )  # fmt: skip
            moved = 0
            for _ in range(40):
                buttons[:] = random_buttons(rng, n)
                step()
                step_many(theirs, buttons, 2, pool=pool)
                for (v, _, r), (rv, rt, rr) in zip(progs, refs, strict=True):
                    rv.run()
                    done = rt.run(2)
                    np.testing.assert_array_equal(v.out, rv.out)
                    np.testing.assert_array_equal(v.prev, rv.prev)
                    assert r.tolist() == rr.tolist() and not done
                    moved += int(v.out[0] != v.prev[0])
            assert moved, "the RAM byte never changed: the check saw nothing"
            before = [v.out.copy() for v, _, _ in progs]
            step(outcomes=False)  # the caller weighs this one: nothing is decoded
            assert all(np.array_equal(b, v.out) for b, (v, _, _) in zip(before, progs, strict=True))
            assert not over.any()
    finally:
        for e in mine + theirs:
            e.close()


def test_bad_prepared_step_extras(ale_roms: Path) -> None:
    emu = Emulator("stella", ale_roms / "pong.bin")
    buttons = np.zeros((1, MAX_PORTS), np.uint16)
    last = np.zeros((1, 128), np.uint8)
    v, t, _ = pong_programs(emu.ram)
    over = np.zeros(1, np.uint8)
    try:
        with Pool(1) as pool:
            for bad in (
                np.zeros((1, 2), np.int64),
                np.zeros(2, np.int32),
                np.zeros((2, 1), np.int32),
            ):
                with pytest.raises(ValueError, match="deltas must be C-contiguous int32"):
                    PreparedStep(pool, [emu], buttons, 1, last, mode="ram", deltas=bad)
            with pytest.raises(ValueError, match="outcomes and over go together"):
                PreparedStep(pool, [emu], buttons, 1, last, mode="ram", outcomes=[(v, t)])
            with pytest.raises(ValueError, match="one entry per emulator"):
                PreparedStep(pool, [emu], buttons, 1, last, mode="ram", outcomes=[], over=over)
            no_prev = VariableProgram([emu.ram], [(0, [13], [1], 0, 0, -1)], np.zeros(1, np.int64))
            with pytest.raises(ValueError, match="need prev"):
                PreparedStep(
                    pool, [emu], buttons, 1, last, mode="ram", outcomes=[(no_prev, None)], over=over
                )
            other, _, _ = pong_programs(emu.ram)
            with pytest.raises(ValueError, match="this program's out and prev"):
                PreparedStep(
                    pool, [emu], buttons, 1, last, mode="ram", outcomes=[(other, t)], over=over
                )
            # two paddles, motion for one: the call says so and the frames do not run
            emu.paddles_config([-22, -18], 27450, 790196)
            step = PreparedStep(
                pool, [emu], buttons, 1, last, mode="ram", deltas=np.zeros((1, 1), np.int32)
            )
            frame = emu.frame
            with pytest.raises(ValueError, match="the emulator has 2 paddles; the step gives 1"):
                step()
            assert emu.frame == frame
    finally:
        emu.close()


@pytest.mark.parametrize("gray", [True, False])
@pytest.mark.parametrize(
    ("size", "out"),
    [
        ((37, 29), (3, 5)),  # (width, height) of the test core's picture, (height, width) out
        ((101, 64), (84, 84)),  # upsampling one axis
        ((160, 210), (84, 84)),  # Atari's picture, PettingZoo's resize: divisor 200
        ((256, 255), (1, 1)),  # divisor 65,280: the largest kind the multiply takes
        ((1024, 64), (1, 1)),  # divisor 65,536: division
        ((1000, 999), (7, 3)),
    ],
)
def test_the_area_resize_in_c_equals_numpys(make_emu, gray: bool, size, out) -> None:
    """C divides each output by a multiply where the divisor allows it; numpy's AreaResize is
    the reference, on pictures whose pixels run over every value of a channel."""
    width, height = size
    emus = [
        make_emu(pixel_format=fmt, width=width, height=height) for fmt in ("xrgb8888", "rgb565")
    ]
    n = len(emus)
    shape = (n, height, width) if gray else (n, height, width, 3)
    last = np.zeros(shape, np.uint8)
    resize = AreaResize((height, width), out)
    small = np.zeros((n, *out) if gray else (n, *out, 3), np.uint8)
    with Pool(2) as pool:
        for frames in (1, 3):
            step_many_into(
                emus, np.zeros((n, MAX_PORTS), np.uint16), frames, last, gray=gray,
                resize=resize.taps, out=small, pool=pool,
            )  # fmt: skip
            np.testing.assert_array_equal(small, resize(last))
    assert small.any()
