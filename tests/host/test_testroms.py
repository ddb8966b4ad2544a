"""Controller input reaches the game on every port, shown with our own test ROMs on real cores."""

from __future__ import annotations

from pathlib import Path

import pytest

from pettingretro.host import Button, Emulator
from pettingretro.testing.roms import TEST_ROMS, TestRom, ToolMissingError, build_rom

SYSTEMS = sorted(TEST_ROMS)
# frames to run after changing buttons: the core polls input during the first frame and
# the ROM stores what it read at that frame's vblank, so 2 leaves a frame of slack
SETTLE = 2
# a port the one-port systems must ignore
OTHER_PORT = 1


class _BuiltRoms(dict):  # type: ignore[type-arg]
    """system -> ROM path, built on first lookup; a missing assembler skips the test."""

    def __init__(self, out_dir: Path) -> None:
        super().__init__()
        self.out_dir = out_dir

    def __missing__(self, system: str) -> Path:
        try:
            path = build_rom(system, self.out_dir)
        except ToolMissingError as exc:
            pytest.skip(str(exc))
        self[system] = path
        return path


@pytest.fixture(scope="session")
def rom_paths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each system's ROM, built once per session."""
    return _BuiltRoms(tmp_path_factory.mktemp("testroms"))


def _open(system: str, rom_paths: dict[str, Path]) -> tuple[TestRom, Emulator]:
    rom = TEST_ROMS[system]
    # every port the ROM reads, plus one it must ignore
    ports = max(rom.ports + 1, OTHER_PORT + 1)
    emu = Emulator(rom.core, rom_paths[system], options=dict(rom.options), num_ports=ports)
    assert rom.extension in emu.system_info.valid_extensions
    emu.step(10)  # past the ROM's start-up
    return rom, emu


def _mask(name: str) -> int:
    return 1 << Button[name]


def _states(rom: TestRom, emu: Emulator) -> list[int]:
    return [rom.port_state(emu.ram, port) for port in range(rom.ports)]


def _port_cases() -> list[tuple[str, int]]:
    return [(system, port) for system in SYSTEMS for port in range(TEST_ROMS[system].ports)]


@pytest.mark.parametrize("system", SYSTEMS)
def test_rom_counts_frames(system: str, rom_paths: dict[str, Path]) -> None:
    rom, emu = _open(system, rom_paths)
    try:
        assert emu.ram is not None
        assert len(emu.ram) > rom.frame_offset
        before = rom.frames(emu.ram)
        emu.step(7)
        assert rom.frames(emu.ram) - before == 7
        assert _states(rom, emu) == [0] * len(_states(rom, emu))  # nothing held yet
    finally:
        emu.close()


@pytest.mark.parametrize(("system", "port"), _port_cases())
def test_each_button_reaches_only_its_port(
    system: str, port: int, rom_paths: dict[str, Path]
) -> None:
    rom, emu = _open(system, rom_paths)
    try:
        quiet = [0] * len(_states(rom, emu))
        for name, bit in rom.buttons.items():
            emu.set_buttons(port, _mask(name))
            emu.step(SETTLE)
            expected = list(quiet)
            expected[port] = 1 << bit
            assert _states(rom, emu) == expected, f"{name} on port {port}"
            emu.set_buttons(port, 0)
            emu.step(SETTLE)
            assert _states(rom, emu) == quiet, f"{name} released on port {port}"
    finally:
        emu.close()


@pytest.mark.parametrize("system", [s for s in SYSTEMS if TEST_ROMS[s].ports >= 2])
def test_two_ports_held_together_stay_apart(system: str, rom_paths: dict[str, Path]) -> None:
    rom, emu = _open(system, rom_paths)
    try:
        emu.set_buttons(0, _mask("A") | _mask("UP"))
        emu.set_buttons(1, _mask("B") | _mask("RIGHT"))
        emu.step(SETTLE)
        states = _states(rom, emu)
        assert states[0] == (1 << rom.buttons["A"]) | (1 << rom.buttons["UP"])
        assert states[1] == (1 << rom.buttons["B"]) | (1 << rom.buttons["RIGHT"])
    finally:
        emu.close()


@pytest.mark.parametrize("system", [s for s in SYSTEMS if TEST_ROMS[s].hardware_ports == 1])
def test_one_port_systems_ignore_other_ports(system: str, rom_paths: dict[str, Path]) -> None:
    # the GB and GBA have one controller; the PC Engine's single port carries the multitap,
    # whose five pads are libretro ports 0-4, so for it "another port" is port 5
    rom, emu = _open(system, rom_paths)
    try:
        other = rom.ports if rom.ports > 1 else OTHER_PORT
        emu.set_buttons(other, sum(_mask(name) for name in ("A", "B", "START", "UP", "LEFT")))
        emu.step(SETTLE)
        assert _states(rom, emu) == [0] * len(_states(rom, emu))
    finally:
        emu.close()


@pytest.mark.parametrize("system", SYSTEMS)
def test_build_is_reproducible(system: str, rom_paths: dict[str, Path], tmp_path: Path) -> None:
    again = build_rom(system, tmp_path)
    assert again.read_bytes() == rom_paths[system].read_bytes()
    assert again.suffix == "." + TEST_ROMS[system].extension


def test_header_checksums(rom_paths: dict[str, Path]) -> None:
    snes = rom_paths["snes"].read_bytes()
    checksum = int.from_bytes(snes[0x7FDE:0x7FE0], "little")
    assert checksum == sum(snes) & 0xFFFF
    assert checksum ^ int.from_bytes(snes[0x7FDC:0x7FDE], "little") == 0xFFFF

    gb = rom_paths["gb"].read_bytes()
    header = 0
    for byte in gb[0x134:0x14D]:
        header = (header - byte - 1) & 0xFF
    assert gb[0x14D] == header
    assert int.from_bytes(gb[0x14E:0x150], "big") == (sum(gb) - gb[0x14E] - gb[0x14F]) & 0xFFFF
    assert not any(gb[0x104:0x134])  # no logo

    gba = rom_paths["gba"].read_bytes()
    assert (sum(gba[0xA0:0xBE]) + 0x19) & 0xFF == 0
    assert not any(gba[0x04:0xA0])  # no logo


def test_unknown_system_names_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(KeyError, match="known: "):
        build_rom("vectrex", tmp_path)
