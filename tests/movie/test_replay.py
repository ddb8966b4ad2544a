"""Replays: episodes recorded as BizHawk .bk2 movies, read back, and replayed bit-identically."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest

from pettingretro.envs import pong_v0, space_invaders_v0
from pettingretro.factory import env_for_movie
from pettingretro.movie import Movie, MovieError, RecordingError, playback


def sha(a: np.ndarray) -> str:
    return hashlib.sha1(np.ascontiguousarray(a).tobytes()).hexdigest()


def record(module, folder: Path, *, frameskip: int = 1, steps: int = 300, seed: int = 0):
    """One random episode (truncated at ``steps``) recorded to ``folder``: hashes of every obs."""
    env = module.parallel_env(record=folder, frameskip=frameskip, max_cycles=steps)
    obs, _ = env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    hashes = [sha(obs["first_0"])]
    while env.agents:
        obs, *_ = env.step({a: int(rng.integers(env.action_space(a).n)) for a in env.agents})
        hashes.append(sha(next(iter(obs.values()))))
    ram = env.emu.ram.copy()
    written = list(env.recorder.written)
    env.close()
    assert len(written) == 1
    return written[0], hashes, ram


@pytest.mark.parametrize(
    ("module", "frameskip"),
    [(pong_v0, 1), (pong_v0, 4), (space_invaders_v0, 1), (space_invaders_v0, 3)],
)
def test_playback_reproduces_the_episode_bit_for_bit(
    tmp_path: Path, module, frameskip: int
) -> None:
    path, hashes, ram = record(module, tmp_path, frameskip=frameskip)
    movie = Movie(path)
    # reset()'s frame, then every frame of every step
    assert movie.num_frames == 1 + 300 * frameskip
    env = env_for_movie(movie)
    replayed = [sha(screen) for screen in playback(movie, env)]
    assert replayed == hashes
    assert np.array_equal(env.emu.ram, ram)
    env.close()


def test_pong_replay_needs_the_recorded_paddles(tmp_path: Path) -> None:
    path, hashes, _ = record(pong_v0, tmp_path, frameskip=4)
    movie = Movie(path)
    assert movie.paddles is not None and movie.paddles.shape == (1201, 2)
    assert len(np.unique(movie.paddles[:, 0])) > 5  # the random player moved its paddle
    paddles = movie.paddles
    movie._paddles = np.repeat(paddles[:1], movie.num_frames, axis=0)  # paddles held still
    env = env_for_movie(movie)
    assert [sha(s) for s in playback(movie, env)] != hashes
    movie._paddles = None
    with pytest.raises(MovieError, match="no paddle positions"):
        next(playback(movie, env))
    env.close()


def test_file_is_bizhawk_shaped(tmp_path: Path) -> None:
    path, _, _ = record(space_invaders_v0, tmp_path, frameskip=2, steps=50)
    assert path.name == "space_invaders_v0-000000.bk2"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left
    with zipfile.ZipFile(path) as zf:
        assert set(zf.namelist()) == {"Header.txt", "Input Log.txt", "Core.bin"}
        header = zf.read("Header.txt").decode()
        log = zf.read("Input Log.txt").decode().splitlines()
        state = zf.read("Core.bin")
    fields = dict(line.split(" ", 1) for line in header.splitlines())
    assert fields["Platform"] == "A26" and fields["GameName"] == "space_invaders_v0"
    assert fields["SHA1"] == "31D9668FE5812C3D2E076987CA327AC6B2E280BF"
    assert fields["Core"] == "Stella" and fields["pettingretroEnded"] == "done"
    assert log[0] == "[Input]" and log[-1] == "[/Input]"
    # stable-retro's key line (it counts players from the line after [Input]), then BizHawk's
    assert log[1] == (
        "P1 Up|P1 Down|P1 Left|P1 Right|P1 Button|P1 Select|P1 Reset|"
        "P2 Up|P2 Down|P2 Left|P2 Right|P2 Button|P2 Select|P2 Reset|"
    )
    assert log[2] == (
        "LogKey:#Reset|Power|"
        "#P1 Up|P1 Down|P1 Left|P1 Right|P1 Button|P1 Select|P1 Reset|"
        "#P2 Up|P2 Down|P2 Left|P2 Right|P2 Button|P2 Select|P2 Reset|"
    )
    frames = log[3:-1]
    assert len(frames) == 1 + 50 * 2 == int(fields["pettingretroFrames"])
    assert frames[0] == "|..|.......|.......|"  # reset()'s NOOP frame
    assert all(len(f) == len(frames[0]) for f in frames)
    assert any("B" in f for f in frames) and any("L" in f for f in frames)
    # frameskip frames repeat the step's input
    assert all(frames[1 + 2 * k] == frames[2 + 2 * k] for k in range(50))
    env = space_invaders_v0.parallel_env()
    env.reset()  # the same start state as the recorded episode
    assert len(state) == len(env.emu.save_state())
    env.close()


def test_pong_movie_has_paddle_columns(tmp_path: Path) -> None:
    path, _, _ = record(pong_v0, tmp_path, steps=20)
    log = zipfile.ZipFile(path).read("Input Log.txt").decode().splitlines()
    assert "Paddle" not in log[1]  # stable-retro's key line: port columns only
    assert log[2].endswith("#pettingretro Paddle 1|pettingretro Paddle 2|")
    assert log[3].endswith("|408823,408823,|")  # both paddles start centred


def test_movie_api_matches_stable_retro(tmp_path: Path) -> None:
    env = space_invaders_v0.parallel_env(record=tmp_path)
    env.reset(seed=0)
    masks = []
    for action in [2, 3, 1, 0]:  # RIGHT, LEFT, FIRE, NOOP for first_0
        env.step({"first_0": action, "second_0": 0})
        masks.append(env.controls.apply(np.array([action, 0], np.intp))[0][:2].copy())
    env.step({"first_0": 0, "second_0": 1})
    env.close()
    movie = Movie(env_path := next(tmp_path.glob("*.bk2")))
    assert movie.get_game() == "space_invaders_v0" and movie.players == 2
    assert movie.get_state() == zipfile.ZipFile(env_path).read("Core.bin")
    assert movie.get_key(7, 0) is False  # before the first step()
    assert movie.step()  # reset()'s frame
    assert not any(movie.get_key(i, p) for i in range(16) for p in range(2))
    for expected in masks:
        assert movie.step()
        assert [movie.get_mask(p) for p in range(2)] == [int(m) for m in expected]
    assert movie.step()
    assert movie.get_key(0, 1) and not movie.get_key(0, 0)  # second_0's FIRE is port 1's B
    assert not movie.step() and not movie.step()
    assert movie.header["pettingretroEnded"] == "close"


def test_reset_writes_an_unfinished_episode_and_skips_an_empty_one(tmp_path: Path) -> None:
    env = pong_v0.parallel_env(record=tmp_path)
    env.reset(seed=0)
    env.reset(seed=0)  # no step: nothing to replay
    for _ in range(10):
        env.step({"first_0": 2, "second_0": 3})
    env.reset(seed=1)  # ends the recorded episode early
    assert [p.name for p in env.recorder.written] == ["pong_v0-000000.bk2"]
    env.step({"first_0": 1, "second_0": 1})
    env.close()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["pong_v0-000000.bk2", "pong_v0-000001.bk2"]
    assert Movie(tmp_path / names[0]).header["pettingretroEnded"] == "reset"
    assert Movie(tmp_path / names[0]).num_frames == 11
    # a new env recording into the same folder never overwrites
    path, _, _ = record(pong_v0, tmp_path, steps=5)
    assert path.name == "pong_v0-000002.bk2"


def test_a_full_disk_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = pong_v0.parallel_env(record=tmp_path, max_cycles=30)
    env.reset(seed=0)

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)

    def play_to_the_end() -> None:
        while env.agents:
            env.step({"first_0": 1, "second_0": 1})

    play_to_the_end()  # the last step's results come back: a full disk loses no step
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    with pytest.raises(RecordingError, match=r"No space left on device.*nothing was left"):
        env.reset(seed=0)  # ... and the error comes with the next call
    env.reset(seed=0)  # the next episode records normally
    while env.agents:
        env.step({"first_0": 1, "second_0": 1})
    env.close()
    assert [p.name for p in tmp_path.iterdir()] == ["pong_v0-000000.bk2"]


def test_cut_or_foreign_files_are_refused(tmp_path: Path) -> None:
    path, _, _ = record(space_invaders_v0, tmp_path, steps=20)
    cut = tmp_path / "cut.bk2"
    cut.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(MovieError, match=r"cut short, damaged, or not a \.bk2"):
        Movie(cut)
    # a log missing lines, in a valid zip: the header's frame count gives it away
    short = tmp_path / "short.bk2"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(short, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "Input Log.txt":
                lines = data.decode().splitlines(keepends=True)
                data = "".join(lines[:10] + lines[-1:]).encode()
            dst.writestr(name, data)
    with pytest.raises(MovieError, match="header says 21 frames, its log has 7"):
        Movie(short)
    other = tmp_path / "other.bk2"
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(MovieError, match=r"not a \.bk2 movie"):
        Movie(other)


def test_playback_refuses_another_game(tmp_path: Path) -> None:
    path, _, _ = record(space_invaders_v0, tmp_path, steps=5)
    env = pong_v0.parallel_env()
    with pytest.raises(MovieError, match="recorded on a ROM with sha1"):
        next(playback(Movie(path), env))
    env.close()


def test_reads_bizhawk_atari_log_keys(tmp_path: Path) -> None:
    """BizHawk's Atari layout: console switches in their own group, then P1 and P2."""
    log = (
        "[Input]\n"
        "LogKey:#Reset|Select|Power|Toggle Left Difficulty|Toggle Right Difficulty|"
        "#P1 Up|P1 Down|P1 Left|P1 Right|P1 Button|#P2 Up|P2 Down|P2 Left|P2 Right|P2 Button|\n"
        "|.....|.....|.....|\n"
        "|r....|U...B|...R.|\n"
        "|.s...|.....|.D...|\n"
        "[/Input]\n"
    )
    path = tmp_path / "bizhawk.bk2"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(
            "Header.txt", "MovieVersion BizHawk v2.0.0\nPlatform A26\nGameName Space Invaders\n"
        )
        zf.writestr("Input Log.txt", log)
    movie = Movie(path)
    assert movie.players == 2 and movie.num_frames == 3 and movie.get_state() == b""
    assert movie.masks.tolist() == [[0, 0], [(1 << 3) | (1 << 4) | 1, 1 << 7], [1 << 2, 1 << 5]]


STABLE_RETRO_SCRIPT = textwrap.dedent(
    """
    import hashlib, json, sys
    import numpy as np
    import stable_retro as retro

    out = sys.argv[1]
    env = retro.make("Airstriker-Genesis-v0", record=out, render_mode=None,
                     use_restricted_actions=retro.Actions.ALL)
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    rams = [hashlib.sha1(env.get_ram().tobytes()).hexdigest()]
    actions = []
    for _ in range(150):
        a = rng.integers(0, 2, env.num_buttons).astype(np.int8)
        env.step(a)
        actions.append(a.tolist())
        rams.append(hashlib.sha1(env.get_ram().tobytes()).hexdigest())
    env.close()
    json.dump({"rams": rams, "actions": actions, "buttons": env.buttons}, open(out + "/run.json", "w"))
    """
)


def test_plays_back_a_stable_retro_movie(tmp_path: Path) -> None:
    # stable-retro allows one emulator per process: it records in a process of its own
    subprocess.run(
        [sys.executable, "-c", STABLE_RETRO_SCRIPT, str(tmp_path)], check=True, timeout=300
    )
    run = json.loads((tmp_path / "run.json").read_text())
    movie = Movie(next(tmp_path.glob("*.bk2")))
    assert movie.get_game() == "Airstriker-Genesis-v0" and movie.players == 1
    assert movie.num_frames == 151
    assert "LogKey:" not in zipfile.ZipFile(movie.path).read("Input Log.txt").decode()
    movie.step()  # stable-retro's reset() frame
    for action in run["actions"]:
        assert movie.step()
        assert [int(movie.get_key(i, 0)) for i in range(len(action))] == action
    env = env_for_movie(movie)
    rams = [sha(env.emu.ram) for _ in playback(movie, env)]
    env.close()
    assert rams == run["rams"]  # the same RAM after every frame as under stable-retro


@pytest.mark.parametrize("module", [pong_v0, space_invaders_v0])
def test_playback_into_an_isolated_emulator(tmp_path: Path, module) -> None:
    """An env with isolate=True (its emulator in a worker process) replays bit for bit, no cast."""
    path, hashes, ram = record(module, tmp_path, frameskip=2, steps=60)
    movie = Movie(path)
    env = env_for_movie(movie, isolate=True)
    try:
        assert type(env.emu).__name__ == "IsolatedEmulator"
        with pytest.raises(MovieError, match="needs an in-process emulator with audio on"):
            next(playback(movie, env, sound=[]))
        replayed = [sha(screen) for screen in playback(movie, env)]
        assert np.array_equal(env.emu.ram, ram)
    finally:
        env.close()
    env = env_for_movie(movie)
    try:
        assert [
            sha(screen) for screen in playback(movie, env.emu)
        ] == replayed  # the emulator alone
    finally:
        env.close()
    assert replayed == hashes and len(hashes) == 61
