"""Finding cores: by name and path, aliases, $PETTINGRETRO_CORE_PATH first, the stable-retro
wheel's cores with their systems, Debian's libretro-* cores, and a Debian core really running.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from pettingretro import cores
from pettingretro.cores import (
    ALIASES,
    CORE_PATH_ENV,
    CoreFile,
    find_core,
    list_core_files,
    search_dirs,
)
from pettingretro.errors import CoreNotFoundError
from pettingretro.host import Button, Emulator
from pettingretro.testing.roms import TEST_ROMS, ToolMissingError, build_rom

DEBIAN_DIR = Path("/usr/lib/x86_64-linux-gnu/libretro")
# what scripts/setup-test installs: libretro-nestopia, -gambatte, -mgba, -beetle-pce-fast (and bsnes
# mercury, present on the development machines)
DEBIAN_CORES = ["nestopia", "gambatte", "mgba", "mednafen_pce_fast"]
# every core the stable-retro 1.0.1 wheel ships
STABLE_RETRO_CORES = [
    "fbneo",
    "fceumm",
    "gambatte",
    "genesis_plus_gx",
    "mednafen_pce_fast",
    "mednafen_saturn",
    "melonds",
    "mgba",
    "parallel_n64",
    "picodrive",
    "snes9x",
    "stella",
]


@pytest.fixture(autouse=True)
def no_env_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts without $PETTINGRETRO_CORE_PATH, whatever the caller's shell has."""
    monkeypatch.delenv(CORE_PATH_ENV, raising=False)


@pytest.fixture(scope="module")
def stable_retro_cores() -> Path:
    sr = cores._stable_retro_dir()
    assert sr is not None, "stable-retro is a test dependency"
    return sr / "cores"


def debian_core(name: str) -> Path:
    path = DEBIAN_DIR / f"{name}_libretro.so"
    # scripts/setup-test installs every core the suite uses: a missing one is a broken setup
    assert path.is_file(), (
        f"{path} is missing: apt-get install libretro-{name.replace('mednafen_', 'beetle-').replace('_', '-')}"
    )
    return path


def by_name() -> dict[str, CoreFile]:
    return {cf.name: cf for cf in list_core_files()}


# --------------------------------------------------------------------------------------------
# find_core


@pytest.mark.parametrize("name", STABLE_RETRO_CORES)
def test_find_core_by_name(name: str, stable_retro_cores: Path) -> None:
    assert find_core(name) == stable_retro_cores / f"{name}_libretro.so"


def test_find_core_by_path(
    stable_retro_cores: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stella = stable_retro_cores / "stella_libretro.so"
    assert find_core(stella) == stella
    assert find_core(str(stella)) == stella
    # a relative path, and a bare file name ending in .so, are paths too
    shutil.copy(stella, tmp_path / "mine_libretro.so")
    monkeypatch.chdir(tmp_path)
    assert find_core("./mine_libretro.so") == Path("./mine_libretro.so")
    assert find_core("mine_libretro.so").resolve() == (tmp_path / "mine_libretro.so").resolve()


def test_find_core_expands_the_home_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, stable_retro_cores: Path
) -> None:
    shutil.copy(stable_retro_cores / "stella_libretro.so", tmp_path / "stella_libretro.so")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert find_core("~/stella_libretro.so") == tmp_path / "stella_libretro.so"


@pytest.mark.parametrize(("alias", "name"), sorted(ALIASES.items()))
def test_aliases(alias: str, name: str) -> None:
    assert find_core(alias) == find_core(name)
    assert find_core(alias).name == f"{name}_libretro.so"


def test_pce_fast_alias_names_the_mednafen_core() -> None:
    assert find_core("pce_fast").name == "mednafen_pce_fast_libretro.so"


def test_unknown_name_and_missing_path(tmp_path: Path) -> None:
    with pytest.raises(
        CoreNotFoundError, match=r"no libretro core named 'atari_jaguar'.*pip install stable-retro"
    ):
        find_core("atari_jaguar")
    with pytest.raises(CoreNotFoundError, match="does not exist"):
        find_core(tmp_path / "gone_libretro.so")


def test_not_found_message_lists_env_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "not-there"
    monkeypatch.setenv(CORE_PATH_ENV, str(missing))
    with pytest.raises(CoreNotFoundError, match="searched " + re.escape(str(missing))):
        find_core("atari_jaguar")


# --------------------------------------------------------------------------------------------
# $PETTINGRETRO_CORE_PATH


def test_env_core_path_takes_precedence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stable_retro_cores: Path, ale_roms: Path
) -> None:
    mine = tmp_path / "stella_libretro.so"
    shutil.copy(stable_retro_cores / "stella_libretro.so", mine)
    assert find_core("stella") == stable_retro_cores / "stella_libretro.so"
    monkeypatch.setenv(CORE_PATH_ENV, str(tmp_path))
    assert find_core("stella") == mine
    cf = by_name()["stella"]
    assert cf.source == "env" and cf.path == mine
    assert search_dirs()[0] == ("env", tmp_path)
    # and the emulator really runs that copy
    with Emulator("stella", ale_roms / "pong.bin") as emu:
        assert emu.core_path == mine
        emu.step(5)
        assert emu.system_info.library_name == "Stella"


def test_env_core_path_with_several_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stable_retro_cores: Path
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    for d in (first, second):
        shutil.copy(stable_retro_cores / "stella_libretro.so", d / "stella_libretro.so")
    shutil.copy(stable_retro_cores / "fceumm_libretro.so", second / "fceumm_libretro.so")
    # empty entries and folders that do not exist are skipped
    value = os.pathsep.join(["", str(tmp_path / "nope"), str(first), "", str(second)])
    monkeypatch.setenv(CORE_PATH_ENV, value)
    assert find_core("stella") == first / "stella_libretro.so"
    assert find_core("fceumm") == second / "fceumm_libretro.so"
    assert find_core("genesis_plus_gx") == stable_retro_cores / "genesis_plus_gx_libretro.so"
    assert [d for src, d in search_dirs() if src == "env"] == [tmp_path / "nope", first, second]


def test_env_core_path_can_prefer_debian_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    path = debian_core("gambatte")
    assert find_core("gambatte") != path, "without the variable, stable-retro's gambatte wins"
    monkeypatch.setenv(CORE_PATH_ENV, str(DEBIAN_DIR))
    assert find_core("gambatte") == path


def test_env_core_path_ignores_files_that_are_not_cores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "readme.txt").write_text("x")
    (tmp_path / "libfoo.so").write_text("x")
    (tmp_path / "dir_libretro.so").mkdir()  # a folder with a core's name
    monkeypatch.setenv(CORE_PATH_ENV, str(tmp_path))
    assert all(cf.source != "env" for cf in list_core_files())


# --------------------------------------------------------------------------------------------
# list_core_files


def test_lists_stable_retro_cores_with_their_systems(stable_retro_cores: Path) -> None:
    found = by_name()
    for name in STABLE_RETRO_CORES:
        cf = found[name]
        assert cf.source == "stable-retro"
        assert cf.path == stable_retro_cores / f"{name}_libretro.so"
        expected = tuple(json.loads((stable_retro_cores / f"{name}.json").read_text()))
        assert cf.systems == expected and cf.systems, name
    assert found["stella"].systems == ("Atari2600",)
    assert "Genesis" in found["genesis_plus_gx"].systems
    assert found["gambatte"].systems == ("GameBoy", "GbColor")


@pytest.mark.parametrize("name", ["nestopia", "bsnes_mercury_performance"])
def test_lists_debian_cores(name: str) -> None:
    path = debian_core(name)
    cf = by_name()[name]
    assert cf.source == "debian"
    assert cf.path == path


def test_each_name_listed_once_first_folder_wins(stable_retro_cores: Path) -> None:
    files = list_core_files()
    names = [cf.name for cf in files]
    assert len(names) == len(set(names))
    # gambatte, mgba and mednafen_pce_fast are in both places: stable-retro's come first
    for name in ("gambatte", "mgba", "mednafen_pce_fast"):
        if (DEBIAN_DIR / f"{name}_libretro.so").is_file():
            assert by_name()[name].path.parent == stable_retro_cores


def test_search_order() -> None:
    sources = [src for src, _ in search_dirs()]
    assert sources.index("stable-retro") < sources.index("retroarch") < sources.index("debian")
    assert ("debian", DEBIAN_DIR) in search_dirs()


def test_debian_cores_have_their_systems() -> None:
    # Debian's <core>.libretro files list [Platform:X] sections
    debian_core("nestopia")
    assert by_name()["nestopia"].systems == ("NintendoEntertainmentSystem", "FamicomDiskSystem")


# --------------------------------------------------------------------------------------------
# Debian cores run our test ROMs, input reaching RAM as with the stable-retro cores


@pytest.fixture(scope="module")
def roms(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("roms")
    built: dict[str, Path] = {}

    def get(system: str) -> Path:
        if system not in built:
            try:
                built[system] = build_rom(system, out)
            except ToolMissingError as exc:
                pytest.skip(str(exc))
        return built[system]

    return get


def check_input_reaches_ram(emu: Emulator, system: str, ram) -> None:
    """Like tests/host/test_testroms.py: each button on each port shows in that port's state only."""
    rom = TEST_ROMS[system]
    emu.step(10)
    start = rom.frames(ram)
    emu.step(7)
    assert rom.frames(ram) - start == 7, "the ROM counts one frame per step"
    quiet = [0] * rom.ports
    assert [rom.port_state(ram, p) for p in range(rom.ports)] == quiet
    for port in range(rom.ports):
        for name, bit in rom.buttons.items():
            emu.set_buttons(port, 1 << Button[name])
            emu.step(2)
            expected = list(quiet)
            expected[port] = 1 << bit
            assert [rom.port_state(ram, p) for p in range(rom.ports)] == expected, (
                f"{name} on port {port}"
            )
            emu.set_buttons(port, 0)
            emu.step(2)
            assert [rom.port_state(ram, p) for p in range(rom.ports)] == quiet, (
                f"{name} released on port {port}"
            )


@pytest.mark.parametrize(
    ("core", "system"),
    [
        ("nestopia", "nes"),
        ("gambatte", "gb"),
        ("mednafen_pce_fast", "pce"),
        ("bsnes_mercury_performance", "snes"),
    ],
)
def test_debian_core_runs_a_rom(core: str, system: str, roms) -> None:
    path = debian_core(core)
    rom = TEST_ROMS[system]
    with Emulator(path, roms(system), num_ports=max(rom.ports, 2)) as emu:
        assert rom.extension in emu.system_info.valid_extensions
        assert emu.core_path == path
        check_input_reaches_ram(emu, system, emu.ram)


def test_debian_mgba_exposes_ram_only_through_its_memory_map(roms) -> None:
    """Debian's mGBA 0.10 answers NULL for SYSTEM_RAM (stable-retro's 0.7 gives EWRAM); its
    memory map still has EWRAM at 0x02000000, where the GBA test ROM keeps its state."""
    path = debian_core("mgba")
    with Emulator(path, roms("gba"), num_ports=1) as emu:
        emu.step(1)
        ewram = [m for m in emu.memory_maps if m.start == 0x02000000 and m.data is not None]
        assert len(ewram) == 1 and ewram[0].length == 256 * 1024
        check_input_reaches_ram(emu, "gba", ewram[0].data)
        assert len(emu.ram) == 0 or len(emu.ram) == 256 * 1024
