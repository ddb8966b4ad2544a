"""Damaged and hostile ``.bk2`` files: each class gives a MovieError naming the file, read with a bound."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from pettingretro.envs import pong_v0
from pettingretro.factory import env_for_movie
from pettingretro.movie import Movie, MovieError, bk2


@pytest.fixture(scope="module")
def movie_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("movie")
    env = pong_v0.parallel_env(record=folder, max_cycles=10)
    env.reset(seed=0)
    while env.agents:
        env.step({"first_0": 1, "second_0": 2})
    env.close()
    return next(folder.glob("*.bk2"))


def rewrite(
    src: Path, dst: Path, compression: int = zipfile.ZIP_DEFLATED, **members: bytes | None
) -> Path:
    """A copy of a movie with some members replaced (None: left out)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", compression) as zout:
        for name in zin.namelist():
            data = members.get(name.replace(" ", "_").replace(".", "_"), zin.read(name))
            if data is not None:
                zout.writestr(name, data)
    return dst


def header_with(movie_file: Path, **fields: str) -> bytes:
    lines = zipfile.ZipFile(movie_file).read("Header.txt").decode().splitlines()
    out = {k: v for k, _, v in (line.partition(" ") for line in lines)}
    out.update(fields)
    return "".join(f"{k} {v}\n" for k, v in out.items()).encode()


def test_a_file_that_is_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "noise.bk2"
    path.write_bytes(os.urandom(4096))
    with pytest.raises(MovieError, match=r"noise\.bk2 is not a readable zip"):
        Movie(path)


def test_a_truncated_file(movie_file: Path, tmp_path: Path) -> None:
    path = tmp_path / "cut.bk2"
    path.write_bytes(movie_file.read_bytes()[: movie_file.stat().st_size // 2])
    with pytest.raises(MovieError, match=r"cut\.bk2 is not a readable zip.*cut short"):
        Movie(path)


def test_a_bad_crc(movie_file: Path, tmp_path: Path) -> None:
    path = rewrite(movie_file, tmp_path / "crc.bk2", zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    at = data.index(b"[Input]")  # stored, so the log's bytes are in the file as they are
    data[at + 1] ^= 0x20
    path.write_bytes(bytes(data))
    with pytest.raises(MovieError, match=r"crc\.bk2 is not a readable zip \(Bad CRC-32"):
        Movie(path)


def test_deflate_garbage(movie_file: Path, tmp_path: Path) -> None:
    path = rewrite(movie_file, tmp_path / "zlib.bk2")
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("Input Log.txt")
    data = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start : start + 16] = b"\xff" * 16  # not a deflate stream
    path.write_bytes(bytes(data))
    with pytest.raises(MovieError, match=r"zlib\.bk2 is not a readable zip \(Error -3"):
        Movie(path)


def test_a_zip_bomb_is_refused_from_its_declared_size(movie_file: Path, tmp_path: Path) -> None:
    big = b"\0" * (bk2.MEMBER_LIMITS["Core.bin"] + 1)  # deflates to about 64 KiB
    path = rewrite(movie_file, tmp_path / "bomb.bk2", Core_bin=big)
    assert path.stat().st_size < 1 << 20
    with pytest.raises(MovieError, match=r"bomb\.bk2: Core\.bin would unpack to 67108865 bytes"):
        Movie(path)


def test_a_member_that_lies_about_its_size_is_read_with_a_bound(
    movie_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = rewrite(movie_file, tmp_path / "liar.bk2", Core_bin=b"\1" * 5000)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("Core.bin")
    # the central directory's uncompressed size says 100 bytes: only the read bound stops it
    cd = data.index(b"Core.bin", info.header_offset + 40) - 46
    assert data[cd : cd + 4] == b"PK\x01\x02"
    data[cd + 24 : cd + 28] = (100).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    monkeypatch.setitem(bk2.MEMBER_LIMITS, "Core.bin", 1000)
    with pytest.raises(MovieError, match=r"liar\.bk2"):
        Movie(path)


def test_a_huge_header(movie_file: Path, tmp_path: Path) -> None:
    header = header_with(movie_file, Comment="x" * bk2.MEMBER_LIMITS["Header.txt"])
    path = rewrite(movie_file, tmp_path / "header.bk2", Header_txt=header)
    with pytest.raises(MovieError, match=r"header\.bk2: Header\.txt would unpack to"):
        Movie(path)


def test_too_many_members(movie_file: Path, tmp_path: Path) -> None:
    path = rewrite(movie_file, tmp_path / "many.bk2")
    with zipfile.ZipFile(path, "a") as zf:
        for i in range(bk2.MAX_MEMBERS):
            zf.writestr(f"junk{i}.txt", "")
    with pytest.raises(MovieError, match=r"many\.bk2 holds 67 files"):
        Movie(path)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ("[1, 2]", "is not a JSON object"),
        ('{"frameskip": "4"}', r"gives frameskip='4', which is not int"),
        ('{"frameskip": true}', r"gives frameskip='True', which is not int"),
        ('{"full_action_space": 1}', r"gives full_action_space='1', which is not bool"),
        ('{"core_options": {"a": 1}}', "not a str->str object"),
        ('{"state": "../../etc/x"}', r"a state's name \(no path\)"),
        ('{"has_maze": "yes"}', r"has_maze='yes', which is not bool or int or float"),
    ],
)
def test_wrong_types_in_the_header_json(
    movie_file: Path, tmp_path: Path, args: str, match: str
) -> None:
    header = header_with(movie_file, pettingretroEnvArgs=args)
    movie = Movie(rewrite(movie_file, tmp_path / "types.bk2", Header_txt=header))
    with pytest.raises(MovieError, match=r"types\.bk2: header pettingretroEnvArgs .*" + match):
        env_for_movie(movie)


def test_a_frame_count_that_does_not_match_the_log(movie_file: Path, tmp_path: Path) -> None:
    header = header_with(movie_file, pettingretroFrames="12")
    with pytest.raises(
        MovieError, match=r"count\.bk2 is cut short: its header says 12 frames, its log has 11"
    ):
        Movie(rewrite(movie_file, tmp_path / "count.bk2", Header_txt=header))


def test_a_directory(tmp_path: Path) -> None:
    (tmp_path / "dir.bk2").mkdir()
    with pytest.raises(MovieError, match=r"dir\.bk2 is a folder"):
        Movie(tmp_path / "dir.bk2")


def test_a_fifo_is_refused_without_opening_it(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.bk2")
    # opening a FIFO with no writer would block forever: a subprocess with a timeout shows it does not
    code = f"from pettingretro.movie import Movie\nMovie({str(tmp_path / 'pipe.bk2')!r})"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "pipe.bk2 is not a regular file" in run.stderr


CONSTRUCTOR_SO = """
#include <stdio.h>
__attribute__((constructor)) static void run_on_load(void) {
    FILE *f = fopen(MARKER, "w");
    if (f) fclose(f);
}
"""


@pytest.mark.parametrize("key", ["core", "rom", "auto_rom_install_path"])
def test_a_movie_that_names_code_or_files_is_refused(
    movie_file: Path, tmp_path: Path, key: str
) -> None:
    marker = tmp_path / "constructor-ran"
    src = tmp_path / "evil.c"
    src.write_text(CONSTRUCTOR_SO)
    lib = tmp_path / "evil_libretro.so"
    subprocess.run(
        ["cc", "-shared", "-fPIC", f'-DMARKER="{marker}"', "-o", str(lib), str(src)], check=True
    )
    args = {"frameskip": 1, "num_players": 2, key: str(lib)}
    header = header_with(movie_file, pettingretroEnvArgs=json.dumps(args))
    movie = Movie(rewrite(movie_file, tmp_path / "evil.bk2", Header_txt=header))
    with pytest.raises(MovieError, match=rf"names '{key}': a movie may not choose code or files"):
        env_for_movie(movie)
    assert not marker.exists()  # the library was never loaded


@pytest.mark.parametrize("field", ["pettingretroEnv", "pettingretroScenario"])
def test_a_movie_that_names_a_folder_instead_of_a_game_is_refused(
    movie_file: Path, tmp_path: Path, field: str
) -> None:
    folder = tmp_path / "game"
    folder.mkdir()
    (folder / "data.json").write_text("{}")
    header = header_with(movie_file, **{field: str(folder)})
    movie = Movie(rewrite(movie_file, tmp_path / "folder.bk2", Header_txt=header))
    with pytest.raises(MovieError, match="which is not a registered name"):
        env_for_movie(movie)


def test_the_video_command_refuses_an_unsafe_movie_in_one_line(
    movie_file: Path, tmp_path: Path
) -> None:
    args = {"core": "/nonexistent/evil_libretro.so"}
    header = header_with(movie_file, pettingretroEnvArgs=json.dumps(args))
    path = rewrite(movie_file, tmp_path / "evil.bk2", Header_txt=header)
    run = subprocess.run(
        [sys.executable, "-m", "pettingretro", "video", str(path), "-o", str(tmp_path / "x.mp4")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode != 0 and "Traceback" not in run.stderr
    assert "a movie may not choose code or files to load" in run.stderr
    assert not (tmp_path / "x.mp4").exists()
