"""Every subcommand with bad arguments: exit code 2, one line on stderr, no traceback, no work.

Most cases call ``cli.main`` in-process (one Python start per case would cost ~0.5 s each);
a few run the real command in a subprocess, where a traceback or a hang would show as it
would for a user.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from pettingretro.cli import main, parser

#: marks of a failure leaking from inside: a traceback, or a temporary file's name
LEAKS = re.compile(r"Traceback|\.partial|\.tmp\b|File \"")


@pytest.fixture
def paths(tmp_path: Path) -> dict[str, str]:
    """Hostile and odd paths: a FIFO, a folder, a file where a folder is expected, ..."""
    fifo = tmp_path / "fifo.bk2"
    os.mkfifo(fifo)
    folder = tmp_path / "folder.mp4"
    folder.mkdir()
    text = tmp_path / "notes.txt"
    text.write_text("not a movie")
    return {
        "FIFO": str(fifo),
        "DIR": str(folder),
        "FILE": str(text),
        "MISSING": str(tmp_path / "nowhere" / "x.mp4"),
        "UNDER_FILE": str(text / "x.mp4"),
        "TMP": str(tmp_path),
    }


# (arguments, a fragment the one line must hold); {NAME} is replaced by a path from `paths`
CASES = [
    ([], "required: COMMAND"),
    (["nosuchcommand"], "invalid choice"),
    (["--bogus", "cores"], "unrecognized arguments: --bogus"),
    (["cores", "extra"], "unrecognized arguments"),
    (["demo", "--episodes", "0"], "--episodes: expected a whole number of at least 1, got 0"),
    (["demo", "--episodes", "-3"], "at least 1"),
    (["demo", "--episodes", "two"], "expected a whole number, got 'two'"),
    (["demo", "--steps", "0"], "--steps"),
    (["demo", "--steps", "1e3"], "whole number"),
    (["demo", "--video", "{MISSING}"], "does not exist; create it"),
    (["demo", "--video", "{UNDER_FILE}"], "is not a folder"),
    (["demo", "--video", "{DIR}"], "it is a folder"),
    (["demo", "--video", "{TMP}/out.xyz"], "its extension must be .mp4, .gif, .webm, .mkv"),
    (["demo", "--video", "{TMP}/noext"], "its extension must be"),
    (["import"], "required: PATH"),
    (["import", "{FIFO}"], "is a FIFO, not a ROM file"),
    (["import", "/dev/zero"], "is a character device"),
    (["import", "{TMP}/nowhere"], "does not exist"),
    (["list", "--players", "0"], "--players"),
    (["list", "--players", "many"], "whole number"),
    (["list", "--system", "Dreamcast"], "no games for system 'Dreamcast'; systems:"),
    (["play"], "required: game"),
    (["play", "pong_v0", "--zoom", "0"], "--zoom"),
    (["play", "pong_v0", "--zoom", "100"], "from 1 to 16"),
    (["play", "pong_v0", "--frameskip", "0"], "--frameskip"),
    (["play", "pong_v0", "--fps", "-1"], "(0: as fast as possible)"),
    (["play", "pong_v0", "--fps", "nan"], "--fps"),
    (["play", "pong_v0", "--seed", "-1"], "--seed"),
    (["play", "pong_v0", "--players", "0"], "--players"),
    (["play", "pong_v0", "--steps", "0"], "--steps"),
    (["play", "pong_v0", "--record", "{FILE}"], "is a file, not a folder"),
    (["play", "pong_v0", "--record", "{FIFO}"], "is a FIFO, not a folder"),
    (["play", "pong_v0", "--record", ""], "expected a folder"),
    (["video"], "required: movie"),
    (["video", "{TMP}/none.bk2"], "does not exist: give a .bk2 replay"),
    (["video", "{FIFO}"], "is a FIFO: give a .bk2 replay"),
    (["video", "{DIR}"], "is a folder"),
    (["video", "{FILE}", "--fps", "0"], "--fps: expected a number above 0 to 1000"),
    (["video", "{FILE}", "--fps", "-5"], "above 0"),
    (["video", "{FILE}", "--fps", "inf"], "--fps"),
    (["video", "{FILE}", "-o", "{TMP}/out.xyz"], "its extension must be"),
    (["video", "{FILE}", "-o", "{MISSING}"], "does not exist"),
    (["video", "{FILE}", "-o", "{DIR}"], "it is a folder"),
    (["video", "{FILE}", "--lossless", "-o", "{TMP}/x.gif"], "losslessly: use .mkv or .mp4"),
    (["video", "{FILE}", "-o", "{TMP}/x.mp4"], "not a .bk2"),
]


def expand(argv: list[str], paths: dict[str, str]) -> list[str]:
    return [a.format(**paths) for a in argv]


@pytest.mark.parametrize(("argv", "fragment"), CASES, ids=[" ".join(c[0]) or "-" for c in CASES])
def test_bad_arguments_fail_in_one_line(
    argv: list[str],
    fragment: str,
    paths: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("PETTINGRETRO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    code = main(expand(argv, paths))
    out = capsys.readouterr()
    assert code == 2, out
    assert out.out == "", "nothing on stdout for a refused command"
    assert len(out.err.splitlines()) == 1, out.err
    assert fragment in out.err
    assert not LEAKS.search(out.err), out.err
    assert re.match(r"pettingretro( [a-z]+)?: ", out.err)
    # (the data folder may get the catalog's cache)
    after = sorted(p.name for p in tmp_path.iterdir() if p.name != "data")
    assert after == before, "a refused command made files"


def run(
    *argv: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pettingretro", *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_version_is_the_package_metadatas() -> None:
    res = run("--version")
    assert (
        res.returncode == 0 and res.stdout == f"pettingretro {metadata.version('pettingretro')}\n"
    )


def test_subprocess_bad_arguments_are_one_line(paths: dict[str, str]) -> None:
    # the real command: a FIFO must not block it, a bad --fps must not reach ffmpeg
    for argv, fragment in [
        (["import", paths["FIFO"]], "FIFO"),
        (["video", paths["FILE"], "--fps", "-5"], "--fps"),
        (["demo", "--episodes", "0"], "--episodes"),
        (["demo", "--video", paths["MISSING"]], "does not exist"),
    ]:
        res = run(*argv, timeout=30)
        assert res.returncode == 2 and res.stdout == "", (argv, res)
        assert len(res.stderr.splitlines()) == 1 and fragment in res.stderr, (argv, res.stderr)
        assert not LEAKS.search(res.stderr)


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        (
            {"DISPLAY": "", "WAYLAND_DISPLAY": "", "SDL_VIDEODRIVER": ""},
            "DISPLAY and WAYLAND_DISPLAY are unset",
        ),
        ({"SDL_VIDEODRIVER": "x11", "DISPLAY": ""}, "SDL_VIDEODRIVER=x11"),
    ],
)
def test_play_without_a_display_fails_fast_with_the_fix(env: dict[str, str], fragment: str) -> None:
    res = run("play", "pong_v0", env=env, timeout=30)
    assert res.returncode == 2 and res.stdout == "", res
    assert len(res.stderr.splitlines()) == 1 and fragment in res.stderr, res.stderr
    assert "SDL_VIDEODRIVER=dummy" in res.stderr  # the fix is named


def test_import_in_a_folder_skips_fifos_and_devices(tmp_path: Path) -> None:
    roms = tmp_path / "roms"
    roms.mkdir()
    os.mkfifo(roms / "a.bin")
    (roms / "zero.a26").symlink_to("/dev/zero")
    res = run("import", str(roms), env={"PETTINGRETRO_DATA_DIR": str(tmp_path / "data")})
    assert res.returncode == 0, res.stderr
    assert f"skipped        {roms / 'a.bin'} (a FIFO, not a ROM file)" in res.stdout
    assert f"skipped        {roms / 'zero.a26'} (a character device, not a ROM file)" in res.stdout
    assert res.stdout.splitlines()[-1].startswith("2 skipped;")


def test_every_subcommand_and_option_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    top = capsys.readouterr().out
    assert "`" not in top and "Emulated console games" in top
    [commands] = [a for a in parser()._actions if isinstance(a, argparse._SubParsersAction)]
    assert set(commands.choices) == {"cores", "demo", "import", "list", "play", "video"}
    for name, sub in commands.choices.items():
        assert sub.description and "`" not in sub.description, f"{name} has no description"
        for action in sub._actions:
            assert action.help, (
                f"pettingretro {name} {'/'.join(action.option_strings) or action.dest}"
            )
        assert main([name, "--help"]) == 0
        assert sub.description.split()[0] in capsys.readouterr().out


def test_output_cut_short_by_a_pipe_is_not_an_error() -> None:
    # `pettingretro list | head -1`: the reader goes away after one line
    proc = subprocess.Popen(
        [sys.executable, "-m", "pettingretro", "list"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline().startswith("game ")
    proc.stdout.close()
    assert proc.wait(timeout=60) == 0
    assert proc.stderr.read() == ""
