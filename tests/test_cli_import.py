"""The command line's `import` and `list`: reports per file, filters, nothing in site-packages."""

from __future__ import annotations

import hashlib
import sys
import zipfile
from pathlib import Path

import pytest

from pettingretro.cli import main
from pettingretro.integration import catalog
from pettingretro.integration.roms import DEFAULT_MAX_ROM_SIZE, max_rom_size
from pettingretro.utils.progress import Progress


@pytest.fixture(autouse=True)
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PETTINGRETRO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv(catalog.INTEGRATIONS_PATH_ENV, raising=False)
    return tmp_path / "data"


@pytest.fixture
def roms(tmp_path: Path, ale_roms: Path) -> Path:
    folder = tmp_path / "my roms" / "atari"
    folder.mkdir(parents=True)
    for name in ("pong.bin", "warlords.bin"):
        (folder / name).write_bytes((ale_roms / name).read_bytes())
    (folder.parent / "notes.txt").write_text("not a ROM")
    return folder.parent


def lines(out: str, start: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith(start)]


def test_import_reports_each_file(roms: Path, data: Path, capsys) -> None:
    assert main(["import", str(roms)]) == 0
    out = capsys.readouterr().out
    [pong] = [line for line in lines(out, "imported") if "pong.bin" in line]
    assert pong.endswith("-> pong, Pong-Atari2600-v0")
    assert any(line.endswith("-> warlords") for line in lines(out, "imported"))
    junk = hashlib.sha1(b"not a ROM").hexdigest()
    assert lines(out, "no match") == [f"no match       {roms / 'notes.txt'} (sha1 {junk})"]
    assert out.splitlines()[-1] == f"2 imported, 1 no match; ROMs are in {data / 'roms'}"
    assert (data / "roms/Pong-Atari2600-v0/rom.a26").is_file()

    assert main(["import", str(roms)]) == 0
    out = capsys.readouterr().out
    assert not lines(out, "imported")
    assert len(lines(out, "already there")) == 2
    assert "2 already there, 1 no match" in out


def test_import_quiet_prints_imports_and_summary(roms: Path, capsys) -> None:
    assert main(["import", "--quiet", str(roms)]) == 0
    out = capsys.readouterr()
    assert len(out.out.splitlines()) == 3 and not lines(out.out, "no match")
    assert out.err == ""


def test_import_of_a_missing_folder_fails(tmp_path: Path, capsys) -> None:
    assert main(["import", str(tmp_path / "nowhere")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_counter_on_a_terminal_without_tqdm(monkeypatch, capsys) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm raises ImportError
    with Progress(2, "files", enabled=True, delay=0.0) as progress:
        progress.update()
        progress.write("imported       x -> y")
        progress.update()
    out = capsys.readouterr()
    assert "1/2 files" in out.err and out.out == "imported       x -> y\n"


def test_import_of_ale_pys_folder_copies_nothing(ale_roms: Path, data: Path, capsys) -> None:
    assert main(["import", str(ale_roms)]) == 0
    out = capsys.readouterr().out
    [pong] = [line for line in lines(out, "already there") if line.split()[2].endswith("/pong.bin")]
    assert pong.endswith("(pong, Pong-Atari2600-v0: ships with ale-py, not copied)")
    assert not lines(out, "imported") and not list(data.rglob("rom.*"))


def table(out: str) -> dict[str, list[str]]:
    rows = out.splitlines()[1:-1]
    return {r.split()[0]: r.split() for r in rows}


def test_list_filters_by_players(capsys) -> None:
    assert main(["list", "--players", "4"]) == 0
    rows = table(capsys.readouterr().out)
    assert {"quadrapong_v0", "warlords_v0", "pong_v0"} <= rows.keys()
    assert "boxing_v0" not in rows and "Pong-Atari2600-v0" not in rows
    assert all("4" in r[2].split(",") for r in rows.values())


def test_list_filters_by_system_and_shows_rom_status(roms: Path, capsys) -> None:
    assert main(["list", "--system", "genesis"]) == 0
    out = capsys.readouterr().out
    rows = table(out)
    assert len(rows) > 300 and all(r[1] == "Genesis" for r in rows.values())
    assert "ships with stable-retro" in next(
        line for line in out.splitlines() if line.startswith("Airstriker-Genesis-v0")
    )
    assert rows["NHL94-Genesis-v0"][2:4] == ["1,2", "missing"]

    assert main(["list", "--system", "Atari2600", "--players", "2"]) == 0
    rows = table(capsys.readouterr().out)
    assert rows["Pong-Atari2600-v0"][2:] == ["1,2", "installed", "(ale-py)", "stable"]
    assert rows["boxing_v0"][2] == "2" and "Boxing-Atari2600-v0" not in rows

    main(["import", "-q", str(roms)])
    capsys.readouterr()
    assert main(["list", "--system", "Atari2600", "--installed"]) == 0
    rows = table(capsys.readouterr().out)
    assert rows["Pong-Atari2600-v0"][3] == "imported"
    assert "Pitfall-Atari2600-v0" not in rows


def test_list_unknown_system_names_the_known_ones(capsys) -> None:
    assert main(["list", "--system", "Dreamcast"]) == 2
    out = capsys.readouterr().err
    assert "no games for system 'Dreamcast'" in out and "Genesis" in out and "Atari2600" in out


def test_files_larger_than_their_consoles_largest_rom_are_not_read(
    tmp_path: Path, data: Path, capsys
) -> None:
    folder = tmp_path / "hostile"
    folder.mkdir()
    # sparse: 64 GiB and 2 MiB that take no disk space; reading either whole would show
    with (folder / "disc.iso").open("wb") as f:
        f.truncate(64 << 30)
    with (folder / "cart.a26").open("wb") as f:
        f.truncate(2 << 20)
    with zipfile.ZipFile(folder / "set.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.a26", bytes(2 << 20))  # 2 MiB of zeros compress to 2 KiB
        zf.writestr("small.a26", b"tiny")
    assert main(["import", str(folder)]) == 0
    out = capsys.readouterr().out
    assert (
        f"skipped        {folder / 'cart.a26'} (larger than 1 MiB, the bound for .a26 files)" in out
    )
    assert (
        f"skipped        {folder / 'disc.iso'} (larger than 1024 MiB, the bound for .iso files)"
        in out
    )
    assert f"skipped        {folder / 'set.zip'}:big.a26 (larger than 1 MiB)" in out
    assert f"no match       {folder / 'set.zip'}:small.a26" in out
    assert not (data / "roms").exists()


def test_max_rom_size_follows_the_extension() -> None:
    assert max_rom_size("Pong.A26") == 1 << 20
    assert max_rom_size("game.sfc") == max_rom_size("game.smc") == 16 << 20
    assert max_rom_size("mario.z64") == 128 << 20
    assert max_rom_size("unknown.rom") == DEFAULT_MAX_ROM_SIZE
