"""The C decoder and term weigher (native/memory.c) against the Python reference, on random memory."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from pettingretro.host import MAX_DONE_NODES, TermProgram, VariableProgram
from pettingretro.integration.memory import (
    ENDIANS,
    REPRS,
    AddressSpace,
    Overlay,
    Reader,
    Variable,
    apply_mask,
    parse_type,
)
from pettingretro.integration.scenario import OPS, Scenario

ALL_TYPES = [f"{e}{r}{w}" for e, r, w in itertools.product(ENDIANS, REPRS, range(1, 9))]
MASKS = [None, 0xF, 0xF0F0, -1, -16, (1 << 64) - 2, 1 << 63, 0x7FFF_FFFF_FFFF_FFFF]


def _variables(rng: np.random.Generator, size: int) -> dict[str, Variable]:
    out = {}
    for i, text in enumerate(ALL_TYPES):
        t = parse_type(text)
        addr = int(rng.integers(0x1000, 0x1000 + size - t.width + 1))
        out[f"v{i}"] = Variable(f"v{i}", addr, t, MASKS[i % len(MASKS)])
    return out


@pytest.mark.parametrize("overlay", [None, Overlay("<", ">", 2), Overlay("=", ">", 4)])
def test_every_type_matches_python_decode(overlay: Overlay | None) -> None:
    rng = np.random.default_rng(7)
    ram = np.zeros(256, np.uint8)
    space = AddressSpace([(0x1000, ram)], overlay)
    variables = _variables(rng, len(ram))
    reader = Reader(variables, space)
    assert reader.names == list(variables)
    for _ in range(40):
        ram[:] = rng.integers(0, 256, len(ram), dtype=np.uint8)
        if _ % 4 == 0:
            ram[: len(ram) // 2] = rng.choice([0x00, 0xFF, 0x80, 0x7F, 0x99], len(ram) // 2)
        got = reader.read()
        view = space.view(0x1000)
        want = {
            n: apply_mask(v.type.decode(view[v.address - 0x1000 :][: v.type.width]), v.mask)
            for n, v in variables.items()
        }
        assert got == want
        assert reader.values().tolist() == reader.values_numpy().tolist()


def test_blocks_are_read_live_and_prev_holds_the_last_values() -> None:
    lo, hi = np.zeros(16, np.uint8), np.zeros(16, np.uint8)
    space = AddressSpace([(0, lo), (0x100, hi)])
    reader = Reader(
        {
            "a": Variable("a", 3, parse_type("<u2")),
            "b": Variable("b", 0x105, parse_type(">i2")),
        },
        space,
    )
    prog = reader.program(prev=True)
    lo[3:5] = [0x34, 0x12]
    hi[5:7] = [0xFF, 0xFE]
    prog.run()
    assert prog.out.tolist() == [0x1234, -2]
    lo[3] = 0x35
    prog.run()
    assert prog.prev is not None
    assert prog.prev.tolist() == [0x1234, -2]
    assert prog.out.tolist() == [0x1235, -2]


def test_a_row_outside_its_block_is_refused() -> None:
    out = np.zeros(1, np.int64)
    with pytest.raises(ValueError, match="outside a block of 4"):
        VariableProgram([np.zeros(4, np.uint8)], [(0, [3, 4], [1, 256], 0, 0, -1)], out)
    with pytest.raises(ValueError, match="block 1"):
        VariableProgram([np.zeros(4, np.uint8)], [(1, [0], [1], 0, 0, -1)], out)
    with pytest.raises(ValueError, match="int64"):
        VariableProgram([np.zeros(4, np.uint8)], [(0, [0], [1], 0, 0, -1)], np.zeros(2, np.int64))


def _random_scenario(rng: np.random.Generator, names: list[str], players: int) -> dict:
    def term(rewarded: bool) -> dict:
        spec: dict = {}
        if rng.random() < 0.6:
            spec["op"] = str(rng.choice(list(OPS)))
            spec["reference"] = int(rng.choice([0, 1, -1, 3, 255, -(1 << 63), (1 << 63) - 1]))
        spec["measurement"] = str(rng.choice(["absolute", "delta"]))
        if rewarded:
            spec["reward"] = float(rng.choice([1.0, -0.5, 0.1, 3.0]))
            spec["penalty"] = float(rng.choice([0.0, 1.0, -2.0, 0.3]))
        return spec

    def some() -> list[str]:
        return list(rng.choice(names, int(rng.integers(0, 4)), replace=False))

    rewards = []
    for _ in range(players + 1):  # one more than the players: it is never paid
        r: dict = {"variables": {n: term(True) for n in some()}}
        if rng.random() < 0.3:
            r["time"] = {"reward": float(rng.choice([-0.01, 0.5]))}
        rewards.append(r)

    def node(depth: int) -> dict:
        spec: dict = {"variables": {n: term(False) for n in some()}}
        spec["condition"] = str(rng.choice(["any", "all"]))
        if depth < 3 and rng.random() < 0.5:  # nested nodes, some of them empty
            spec["nodes"] = {
                f"n{depth}{k}": node(depth + 1) for k in range(int(rng.integers(0, 3)))
            }
        return spec

    return {"rewards": rewards, "done": node(0)}


def test_plain_scenarios_weigh_as_the_python_evaluator() -> None:
    rng = np.random.default_rng(11)
    names = [f"x{i}" for i in range(6)]
    edge = [0, 1, -1, 2, -(1 << 63), (1 << 63) - 1, 21, 255]
    for case in range(150):
        players = int(rng.integers(1, 4))
        scen = Scenario.parse(_random_scenario(rng, names, players))
        values = np.zeros(len(names), np.int64)
        prev = np.zeros(len(names), np.int64)
        rewards = np.zeros(players, np.float64)
        ev = scen.evaluator(players)
        prog = ev.program(names, values, prev, rewards)
        assert prog is not None
        for _ in range(6):
            values[:] = [
                int(rng.choice(edge)) if rng.random() < 0.4 else int(x)
                for x in rng.integers(-300, 300, len(names))
            ]
            prev[:] = [
                int(rng.choice(edge)) if rng.random() < 0.4 else int(x)
                for x in rng.integers(-300, 300, len(names))
            ]
            frames = int(rng.integers(1, 5))
            cur = dict(zip(names, values.tolist(), strict=True))
            old = dict(zip(names, prev.tolist(), strict=True))
            want_r, want_done = ev.step(cur, {k: cur[k] - old[k] for k in cur}, frames)
            got_done = prog.run(frames)
            assert got_done == want_done, (case, scen.raw)
            assert rewards.tolist() == want_r, (case, scen.raw)  # bit for bit, not approximately


def test_scenarios_that_need_python_have_no_program() -> None:
    names = ["a"]
    arrays = (np.zeros(1, np.int64), np.zeros(1, np.int64), np.zeros(2))
    nested = Scenario.parse({"done": {"nodes": {"n": {"variables": {"a": {"op": "zero"}}}}}})
    assert nested.evaluator(2).program(names, *arrays) is not None  # nested nodes are weighed
    wide = {f"n{i}": {"variables": {"a": {"op": "zero"}}} for i in range(MAX_DONE_NODES + 1)}
    too_many = Scenario.parse({"done": {"nodes": wide}})
    assert too_many.evaluator(2).program(names, *arrays) is None  # the Python evaluator's
    huge = Scenario.parse({"done": {"variables": {"a": {"op": "equal", "reference": 1 << 70}}}})
    assert huge.evaluator(2).program(names, *arrays) is None
    plain = Scenario.parse({"reward": {"variables": {"a": {"reward": 1}}}})
    assert plain.evaluator(2).program(names, *arrays) is not None


def test_a_term_out_of_range_is_refused() -> None:
    v = np.zeros(1, np.int64)
    with pytest.raises(ValueError, match="term 0"):
        TermProgram([(1, 0, True, -1, 0, 1.0, 0.0)], v, v.copy(), [0.0], False, np.zeros(1))
    with pytest.raises(ValueError, match="64 bits"):
        TermProgram([(0, 0, True, -1, 1 << 64, 1.0, 0.0)], v, v.copy(), [0.0], False, np.zeros(1))


def test_done_nodes_out_of_order_or_too_many_are_refused() -> None:
    v = np.zeros(1, np.int64)
    with pytest.raises(ValueError, match="each after its parent"):
        TermProgram([], v, v.copy(), [0.0], False, np.zeros(1), nodes=[(1, True)])
    with pytest.raises(ValueError, match=f"at most {MAX_DONE_NODES} done nodes"):
        TermProgram([], v, v.copy(), [0.0], False, np.zeros(1), nodes=[(0, True)] * 65)
    with pytest.raises(ValueError, match="term 0"):  # a done term of a node that is not there
        TermProgram(
            [(0, -3, False, -1, 0, 0.0, 0.0)],
            v,
            v.copy(),
            [0.0],
            False,
            np.zeros(1),
            nodes=[(0, True)],
        )
