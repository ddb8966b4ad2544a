"""Memory types, masks, RAM base and overlay: against a reference written differently, and against stable-retro."""

from __future__ import annotations

import array
import importlib.util
import json
import shutil
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pettingretro.integration.memory import (
    ENDIANS,
    AddressSpace,
    Overlay,
    Reader,
    Variable,
    apply_mask,
    parse_type,
)

REPRS = "uidn"
TYPES = [e + r + str(w) for e in ENDIANS for r in REPRS for w in range(1, 9)]
LITTLE = sys.byteorder == "little"


# ----------------------------------------------------------------------------- the reference


def ref_decode(raw: bytes, text: str) -> int:
    """stable-retro's value of ``raw``, by slicing halves and formatting digits (no shift tables)."""
    endian, rep, width = text[:-2], text[-2], int(text[-1])
    endian = {"|": "<", "=": "<" if LITTLE else ">", ">=": "><" if LITTLE else ">", "<=": "<"}.get(
        endian, endian
    )
    half = width // 2
    first, second = raw[:half], raw[half:]
    if endian == "<":
        msb_first = raw[::-1]
    elif endian == ">":
        msb_first = raw
    elif endian == "<>":  # the first half is the low half; each half big-endian
        msb_first = second + first
    else:  # "><": the second half is the low half; each half little-endian
        msb_first = first[::-1] + second[::-1]
    if rep in "ui":
        value = int.from_bytes(msb_first, "big", signed=rep == "i")
    elif rep == "d":
        value = int("".join(f"{(b >> 4) % 10}{(b & 15) % 10}" for b in msb_first))
    else:
        value = int("".join(str((b & 15) % 10) for b in msb_first))
    return struct.unpack("<q", struct.pack("<Q", value % 2**64))[0]  # C int64_t


def ref_mask(value: int, mask: int | None) -> int:
    if mask is None:
        return value
    return struct.unpack("<q", struct.pack("<Q", (value % 2**64) & (mask % 2**64)))[0]


def ref_overlay_view(raw: bytes, backing: str, real: str, width: int) -> bytes:
    """The bytes addresses see: unpack words in the backing order, repack them in the real order."""
    code = {1: "B", 2: "H", 4: "I", 8: "Q"}[width]
    order = {"=": "=", "<": "<", ">": ">", "|": "<"}
    n = len(raw) // width
    words = struct.unpack(f"{order[backing]}{n}{code}", raw[: n * width])
    return struct.pack(f"{order[real]}{n}{code}", *words) + raw[n * width :]


masks = st.none() | st.integers(1, 255) | st.integers(-(2**63), 2**64 - 1)


# ----------------------------------------------------------------------------- properties


@given(text=st.sampled_from(TYPES), data=st.data())
def test_decode_matches_reference(text: str, data: st.DataObject) -> None:
    raw = data.draw(st.binary(min_size=int(text[-1]), max_size=int(text[-1])))
    assert parse_type(text).decode(raw) == ref_decode(raw, text)


@settings(max_examples=300)
@given(
    specs=st.lists(
        st.tuples(st.sampled_from(TYPES), st.integers(0, 56), masks), min_size=1, max_size=12
    ),
    ram=st.binary(min_size=64, max_size=64),
    base=st.sampled_from([0, 128, 0xFF0000]),
)
def test_reader_and_variable_match_reference(specs: list, ram: bytes, base: int) -> None:
    variables = {
        f"v{i}": Variable(f"v{i}", base + off, parse_type(t), mask)
        for i, (t, off, mask) in enumerate(specs)
    }
    want = {
        name: ref_mask(
            ref_decode(ram[v.address - base : v.address - base + v.type.width], v.type.text), v.mask
        )
        for name, v in variables.items()
    }
    memory = np.frombuffer(ram, np.uint8)
    assert Reader(variables, base).read(memory) == want
    assert Reader(variables, AddressSpace([(base, memory)])).read() == want
    assert {n: v.read(memory, base) for n, v in variables.items()} == want


@given(
    backing=st.sampled_from("=<>|"),
    real=st.sampled_from("=<>|"),
    width=st.sampled_from([1, 2, 4, 8]),
    ram=st.binary(min_size=64, max_size=64),
    specs=st.lists(
        st.tuples(st.sampled_from(TYPES), st.integers(0, 56), masks), min_size=1, max_size=8
    ),
)
def test_overlay_reads_through_the_reference_view(backing, real, width, ram, specs) -> None:
    view = ref_overlay_view(ram, backing, real, width)
    space = AddressSpace([(0xFF0000, np.frombuffer(ram, np.uint8))], Overlay(backing, real, width))
    assert bytes(space.view()) == view
    variables = {
        f"v{i}": Variable(f"v{i}", 0xFF0000 + o, parse_type(t), m)
        for i, (t, o, m) in enumerate(specs)
    }
    want = {
        n: ref_mask(ref_decode(view[v.address - 0xFF0000 :][: v.type.width], v.type.text), v.mask)
        for n, v in variables.items()
    }
    assert Reader(variables, space).read() == want
    assert {n: space.read(v) for n, v in variables.items()} == want
    assert [space.byte(0xFF0000 + i) for i in range(len(ram))] == list(view)


# ----------------------------------------------------------------------------- examples


@pytest.mark.parametrize(
    ("text", "raw", "value"),
    [
        (">d3", b"\x12\x34\x56", 123456),
        ("<d3", b"\x12\x34\x56", 563412),
        ("|d1", b"\xaf", 5),  # each nibble modulo 10: A -> 0, F -> 5
        ("|n1", b"\x1f", 5),  # the low nibble only, modulo 10
        (">n4", b"\x01\x02\x13\x0c", 1232),
        ("|i1", b"\xff", -1),
        (">i2", b"\x80\x00", -32768),
        (
            "<u8",
            b"\xff" * 8,
            -1,
        ),  # stable-retro's int64: an 8-byte unsigned value above 2**63 wraps
        ("<>u4", b"\x12\x34\x56\x78", 0x56781234),
        ("><u4", b"\x12\x34\x56\x78", 0x34127856),
        ("><u3", b"\x12\x34\x56", 0x125634),  # odd widths split at width // 2
        ("<>u3", b"\x12\x34\x56", 0x345612),
    ],
)
def test_decode_examples(text: str, raw: bytes, value: int) -> None:
    assert parse_type(text).decode(raw) == value


@pytest.mark.skipif(not LITTLE, reason="the native orders resolve differently on a big-endian host")
def test_native_orders_on_a_little_endian_host() -> None:
    raw = b"\x12\x34\x56\x78"
    assert parse_type("=u4").decode(raw) == parse_type("<u4").decode(raw)
    assert parse_type(">=u4").decode(raw) == parse_type("><u4").decode(raw)
    assert parse_type("<=u4").decode(raw) == parse_type("<u4").decode(raw)


def test_mask_applies_to_the_decoded_value_as_64_bits() -> None:
    assert apply_mask(-1, 0x0F) == 15  # a signed -1 masked
    assert apply_mask(99, 0xF0) == 96  # after BCD decoding, not to the raw byte
    assert apply_mask(0xFF, -113) == 0x8F  # Amidar's negative mask: its two's complement pattern
    assert apply_mask(-5, 2**64 - 1) == -5


@pytest.mark.parametrize("text", ["u1", "|u9", "|u0", "|x1", "!u1", "><>u2", "|u", 5, None, "|U1"])
def test_bad_type_strings(text: object) -> None:
    with pytest.raises(ValueError, match="bad type"):
        parse_type(text)  # type: ignore[arg-type]


def test_genesis_overlay_from_core_facts() -> None:
    ram = np.frombuffer(array.array("H", [0x1234, 0xABCD]).tobytes(), np.uint8)  # host-order words
    space = AddressSpace.for_system({"rambase": 0xFF0000, "overlay": ["=", ">", 2]}, ram)
    assert space.view().tolist() == [0x12, 0x34, 0xAB, 0xCD]
    assert space.read(Variable("w", 0xFF0002, parse_type(">u2"))) == 0xABCD
    assert space.byte(0xFF0001) == 0x34


def test_rambase_and_out_of_range() -> None:
    ram = np.arange(128, dtype=np.uint8)
    space = AddressSpace.for_system({"rambase": 128}, ram)
    assert space.byte(0x80) == 0 and space.byte(0xFF) == 127
    assert not space.has(0x7F) and not space.has(0x100)
    with pytest.raises(IndexError, match="outside memory"):
        space.byte(0x100)
    outside = {
        "far": Variable("far", 0x200, parse_type("|u1")),
        "ok": Variable("ok", 0x81, parse_type("|u1")),
    }
    assert Reader(outside, space).read() == {"ok": 1}  # like lookup_all, unmapped ones are left out
    with pytest.raises(IndexError, match="far"):
        Reader(outside, space, required={"far"})
    with pytest.raises(IndexError, match="far"):
        Reader(outside, 128).read(ram)


def test_memory_maps_replace_rambase() -> None:
    class Desc:
        def __init__(
            self, flags: int, start: int, select: int, length: int, data: np.ndarray
        ) -> None:
            self.flags, self.start, self.select, self.length, self.data = (
                flags,
                start,
                select,
                length,
                data,
            )

    wram = np.arange(0x800, dtype=np.uint8)
    sram = np.full(0x2000, 7, np.uint8)
    rom = np.zeros(0x8000, np.uint8)
    maps = [
        Desc(0, 0x0000, 0, 0x800, wram),
        Desc(0, 0x6000, 0xE000, 0x2000, sram),  # select gives 0x2000 bytes
        Desc(1, 0x8000, 0, 0x8000, rom),  # RETRO_MEMDESC_CONST: left out
    ]
    space = AddressSpace.for_system({"rambase": 0x1234}, wram, maps)
    assert [(b.start, len(b.data)) for b in space.blocks] == [(0, 0x800), (0x6000, 0x2000)]
    assert space.byte(0x6001) == 7 and not space.has(0x8000)
    v = {"a": Variable("a", 0x10, parse_type("|u1")), "b": Variable("b", 0x6000, parse_type("<u2"))}
    assert Reader(v, space).read() == {"a": 0x10, "b": 0x0707}


def test_reader_reads_live_memory() -> None:
    ram = np.zeros(4, np.uint8)
    r = Reader({"x": Variable("x", 0, parse_type(">u2"))}, AddressSpace([(0, ram)]))
    ram[1] = 5
    assert r.read() == {"x": 5}


# ----------------------------------------------------------------------------- stable-retro itself

_ORACLE = textwrap.dedent(
    """
    import json, os, random, sys, tempfile
    import stable_retro as retro
    rom, seed = sys.argv[1], int(sys.argv[2])
    em = retro.RetroEmulator(rom)
    data = retro.data.GameData()
    em.configure_data(data)
    em.step()
    mem = data.memory
    (start, raw), = mem.blocks.items()
    rng = random.Random(seed)
    n = len(raw)
    for i in range(n):
        mem.assign(start + i, "|u1", rng.randrange(256))
    types = json.loads(sys.argv[3])
    reads = []
    for t in types:
        w = int(t[-1])
        for _ in range(4):
            a = start + rng.randrange(0, n - w + 1)
            reads.append([a, t, mem.extract(a, t)])
    info = {}
    for k in range(150):
        t = rng.choice(types); w = int(t[-1])
        mask = rng.choice([rng.randrange(1, 256), rng.randrange(1, 1 << 16), -rng.randrange(1, 200), (1 << 64) - 1])
        info["v%d" % k] = {"address": start + rng.randrange(0, n - w + 1), "type": t, "mask": mask}
    with tempfile.TemporaryDirectory() as tmp:
        p = os.path.join(tmp, "data.json")
        with open(p, "w") as f:
            json.dump({"info": info}, f)
        assert data.load(p)
    looked = {k: data.lookup_value(k) for k in info}
    blocks = {str(s): bytes(b).hex() for s, b in data.memory.blocks.items()}
    json.dump({"blocks": blocks, "reads": reads, "info": info, "looked": looked}, sys.stdout)
    """
)


def _rom(kind: str, tmp_path: Path) -> tuple[Path, dict]:
    if importlib.util.find_spec("stable_retro") is None:
        pytest.skip("stable-retro is not installed")
    root = Path(next(iter(importlib.util.find_spec("stable_retro").submodule_search_locations)))  # type: ignore[union-attr]
    if kind == "Genesis":
        rom = root / "data" / "stable" / "Airstriker-Genesis-v0" / "rom.md"
        facts = json.loads((root / "cores" / "genesis_plus_gx.json").read_text())["Genesis"]
    else:
        ale = importlib.util.find_spec("ale_py")
        if ale is None:
            pytest.skip("ale-py is not installed")
        src = Path(next(iter(ale.submodule_search_locations))) / "roms" / "pong.bin"  # type: ignore[arg-type]
        rom = tmp_path / "pong.a26"  # stable-retro picks the system by extension
        shutil.copyfile(src, rom)
        facts = json.loads((root / "cores" / "stella.json").read_text())["Atari2600"]
    if not rom.exists():
        pytest.skip(f"{rom} is missing")
    return rom, facts


@pytest.mark.parametrize("system", ["Atari2600", "Genesis"])
def test_every_type_and_mask_matches_stable_retro(system: str, tmp_path: Path) -> None:
    """Random RAM written through stable-retro's own Memory, read back by it and by us."""
    rom, facts = _rom(system, tmp_path)
    script = tmp_path / "oracle.py"
    script.write_text(_ORACLE)
    out = subprocess.run(  # stable-retro allows one emulator per process
        [sys.executable, str(script), str(rom), "7", json.dumps(TYPES)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    got = json.loads(out)
    ((start, hexed),) = got["blocks"].items()
    raw = np.frombuffer(bytes.fromhex(hexed), np.uint8)
    space = AddressSpace.for_system(facts, raw)
    assert int(start) == int(facts.get("rambase", 0))
    assert (space.overlay is not None) == (system == "Genesis" and LITTLE)
    for address, text, value in got["reads"]:
        assert space.read(Variable("x", address, parse_type(text))) == value, (hex(address), text)
    from pettingretro.integration.game import parse_variables

    variables = parse_variables({"info": got["info"]}, "data.json")
    assert Reader(variables, space).read() == got["looked"]
