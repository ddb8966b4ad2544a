"""ROM hashing (stable-retro's rules), importing into the data folder, and the catalog."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from pathlib import Path

import pytest

from pettingretro import registry
from pettingretro.errors import RomNotFoundError
from pettingretro.integration import catalog
from pettingretro.integration.roms import (
    data_dir,
    find_rom,
    package_dir,
    rom_forms,
    sha1_of,
)

PONG_SHA1 = "1ffe89d79d55adabc0916b95cc37e18619ef7830"


@pytest.fixture(autouse=True)
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PETTINGRETRO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv(catalog.INTEGRATIONS_PATH_ENV, raising=False)
    return tmp_path / "data"


@pytest.fixture
def pong_copy(tmp_path: Path, ale_roms: Path) -> Path:
    """ale-py's Pong ROM outside ale-py (a file inside it is found there, never copied)."""
    copy = tmp_path / "my roms" / "pong.bin"
    copy.parent.mkdir()
    copy.write_bytes((ale_roms / "pong.bin").read_bytes())
    return copy


def by_name(results, name: str):
    return next(r for r in results if Path(r.source.split(":")[0]).name == name)


def user_integration(name: str, sha1: str) -> Path:
    folder = data_dir() / "integrations" / name
    folder.mkdir(parents=True)
    (folder / "rom.sha").write_text(sha1 + "\n")
    return folder


def snapshot(*roots: Path) -> dict[str, tuple[int, int]]:
    out = {}
    for root in roots:
        for dirpath, _dirs, files in os.walk(root):
            for f in files:
                st = os.stat(os.path.join(dirpath, f))
                out[os.path.join(dirpath, f)] = (st.st_mtime_ns, st.st_size)
    return out


def test_roms_import_for_stable_retro_and_our_games(pong_copy: Path, data: Path) -> None:
    [pong] = catalog.import_known_roms([pong_copy])
    assert pong.status == "imported"
    assert set(pong.imported) == {"pong", "Pong-Atari2600-v0"}
    assert pong.sha1 == PONG_SHA1
    for game in ("pong", "Pong-Atari2600-v0"):
        assert sha1_of(data / "roms" / game / "rom.a26") == PONG_SHA1
    # found by the stable-retro integration's folder name, and for our game
    assert (
        catalog.find_integration_rom("Pong-Atari2600-v0") == data / "roms/Pong-Atari2600-v0/rom.a26"
    )
    assert (
        catalog.find_integration_rom("Pong-Atari2600-v0") == data / "roms/Pong-Atari2600-v0/rom.a26"
    )
    assert find_rom("pong", PONG_SHA1, files=("rom.a26", "rom.bin"), ale_name="pong") == (
        data / "roms/pong/rom.a26"
    )
    assert all(p.is_relative_to(data) for p in data.rglob("*"))


def test_ale_pys_own_folder_is_matched_not_copied(ale_roms: Path, data: Path) -> None:
    packages = [package_dir("stable_retro") / "data", ale_roms]
    before = snapshot(*packages)
    results = list(catalog.import_known_roms([ale_roms]))
    pong = by_name(results, "pong.bin")
    assert (pong.status, pong.shipped_by, pong.sha1) == ("already there", "ale-py", PONG_SHA1)
    assert set(pong.present) == {"pong", "Pong-Atari2600-v0"}
    assert sum(r.status == "already there" for r in results) > 40  # of its ~100 ROMs
    assert not any(r.imported for r in results)
    assert not data.exists() or not list(data.rglob("rom.*")), "ale-py's ROMs copied again"
    assert snapshot(*packages) == before, "an import wrote into an installed package"
    assert catalog.find_integration_rom("Pong-Atari2600-v0") == ale_roms / "pong.bin"


def test_reimport_says_already_there(pong_copy: Path) -> None:
    list(catalog.import_known_roms([pong_copy]))
    again = list(catalog.import_known_roms([pong_copy]))
    assert [r.status for r in again] == ["already there"]
    assert set(again[0].present) == {"pong", "Pong-Atari2600-v0"}


def test_junk_is_no_match_with_its_sha1(tmp_path: Path, data: Path) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"certainly not a ROM" * 100)
    [result] = catalog.import_known_roms([junk])
    assert result.status == "no match"
    assert result.sha1 == hashlib.sha1(junk.read_bytes()).hexdigest()
    assert not (data / "roms").exists()


def test_roms_inside_zip_archives_are_found(tmp_path: Path, ale_roms: Path, data: Path) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("boxing.a26", (ale_roms / "boxing.bin").read_bytes())
    archive = tmp_path / "roms.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("atari/pong.bin", (ale_roms / "pong.bin").read_bytes())
        zf.writestr("more.zip", inner.getvalue())
        zf.writestr("readme.txt", "hello")
    results = {r.source: r for r in catalog.import_known_roms([archive])}
    assert results[f"{archive}:atari/pong.bin"].status == "imported"
    assert results[f"{archive}:more.zip:boxing.a26"].imported == ("boxing", "Boxing-Atari2600-v0")
    assert results[f"{archive}:readme.txt"].status == "no match"
    assert (data / "roms/boxing/rom.a26").read_bytes() == (ale_roms / "boxing.bin").read_bytes()


def test_nes_rom_is_hashed_without_its_ines_header(tmp_path: Path, data: Path) -> None:
    header = b"NES\x1a\x02\x01" + bytes(10)
    body = bytes(range(256)) * 160  # 40 KiB of PRG and CHR
    stripped = hashlib.sha1(body).hexdigest()
    assert hashlib.sha1(header + body).hexdigest() != stripped
    user_integration("Synthetic-Nes-v0", stripped)
    rom = tmp_path / "Synthetic (USA).nes"
    rom.write_bytes(header + body)
    [result] = catalog.import_known_roms([rom])
    assert (result.status, result.imported, result.sha1) == (
        "imported",
        ("Synthetic-Nes-v0",),
        stripped,
    )
    stored = data / "roms/Synthetic-Nes-v0/rom.nes"
    assert stored.read_bytes() == header + body, "the core needs the header: it is kept"
    assert catalog.find_integration_rom("Synthetic-Nes-v0") == stored
    # the header is recognised by its magic whatever the extension
    renamed = tmp_path / "synthetic.bin"
    renamed.write_bytes(header + body)
    assert [r.status for r in catalog.import_known_roms([renamed])] == ["already there"]


@pytest.mark.parametrize("name", ["game.nes", "game.md", "game.smd", "game.sfc", "game.a26"])
def test_first_form_is_stable_retros_own_hash(name: str) -> None:
    groom_rom = pytest.importorskip("stable_retro.data").groom_rom
    data = b"NES\x1a" + bytes(range(256)) * 130
    expected_data, expected_sha1 = groom_rom(name, io.BytesIO(data))
    first = rom_forms(name, data)[0]
    assert (first.sha1, first.data) == (expected_sha1, expected_data)


def test_snes_copier_header_is_stripped(tmp_path: Path, data: Path) -> None:
    body = bytes(range(256)) * 512  # 128 KiB
    user_integration("Synthetic-Snes-v0", hashlib.sha1(body).hexdigest())
    rom = tmp_path / "game.smc"
    rom.write_bytes(bytes(512) + body)
    [result] = catalog.import_known_roms([rom])
    assert result.imported == ("Synthetic-Snes-v0",)
    assert (data / "roms/Synthetic-Snes-v0/rom.sfc").read_bytes() == body


def test_interleaved_smd_dump_is_stored_linear(tmp_path: Path, data: Path) -> None:
    linear = bytearray(bytes(range(251)) * 262)[:0x8000]
    linear[0x100:0x110] = b"SEGA GENESIS    "
    interleaved = b"".join(
        bytes(linear[i + 1 : i + 0x4000 : 2]) + bytes(linear[i : i + 0x4000 : 2])
        for i in range(0, len(linear), 0x4000)
    )
    user_integration("Synthetic-Genesis-v0", hashlib.sha1(linear).hexdigest())
    smd = tmp_path / "game.smd"
    smd.write_bytes(b"\x02\x00\x03" + bytes(5) + b"\xaa\xbb\x06" + bytes(501) + interleaved)
    [result] = catalog.import_known_roms([smd])
    assert result.imported == ("Synthetic-Genesis-v0",)
    assert (data / "roms/Synthetic-Genesis-v0/rom.md").read_bytes() == bytes(linear)


def test_catalog_lists_ours_stable_retros_and_the_users(tmp_path: Path, monkeypatch) -> None:
    extra = tmp_path / "mine" / "Custom-Genesis-v0"
    extra.mkdir(parents=True)
    (extra / "rom.sha").write_text("ab" * 20)
    (extra / "metadata.json").write_text('{"default_player_state": ["OneP", "TwoP", "ThreeP"]}')
    monkeypatch.setenv(catalog.INTEGRATIONS_PATH_ENV, str(tmp_path / "mine"))
    user_integration("Synthetic-Nes-v0", "cd" * 20)
    found = {e.name: e for e in catalog.integrations()}
    assert len(found) > 1000
    pong = found["Pong-Atari2600-v0"]
    assert (pong.system, pong.players, pong.sha1s, pong.source) == (
        "Atari2600",
        (1, 2),
        (PONG_SHA1,),
        "stable",
    )
    assert (found["pong"].players, found["pong"].source) == ((2, 4), "pettingretro")
    assert found["NHL94-Genesis-v0"].players == (1, 2)
    assert found["Custom-Genesis-v0"].players == (1, 2, 3)
    assert found["Custom-Genesis-v0"].source == "env"
    assert (found["Synthetic-Nes-v0"].source, found["Synthetic-Nes-v0"].rom_files) == (
        "user",
        ("rom.nes",),
    )
    assert found["MortalKombat2-Arcade-v0"].rom_files[0] == "mk2.zip"


def test_rom_status_without_hashing(pong_copy: Path) -> None:
    assert catalog.rom_status(catalog.integration("Pong-Atari2600-v0")) == "installed (ale-py)"
    assert (
        catalog.rom_status(catalog.integration("Airstriker-Genesis-v0"))
        == "ships with stable-retro"
    )
    assert catalog.rom_status(catalog.integration("NHL94-Genesis-v0")) == "missing"
    list(catalog.import_known_roms([pong_copy]))
    assert catalog.rom_status(catalog.integration("Pong-Atari2600-v0")) == "imported"


def test_missing_integration_rom_says_how_to_import() -> None:
    with pytest.raises(RomNotFoundError, match="pettingretro import DIR"):
        catalog.find_integration_rom("NHL94-Genesis-v0")


def test_stable_retro_scan_is_cached_on_disk(data: Path) -> None:
    catalog._stable_retro_from.cache_clear()
    first = catalog.stable_retro_integrations()
    assert (data / "cache").is_dir()
    catalog._stable_retro_from.cache_clear()
    assert catalog.stable_retro_integrations() == first


def test_env_player_counts_follow_each_module() -> None:
    players = {e.module: e.players for e in registry.envs()}
    assert players["pong_v0"] == (2, 4)
    assert players["quadrapong_v0"] == (4,)
    assert players["warlords_v0"] == (4,)
    assert players["boxing_v0"] == (2,)
