"""Movies both ways with stable-retro: every key, every frame, every player, read by the other side.

stable-retro allows one emulator per process and is the reference here, so it runs in a
subprocess of its own: it records, or reads a movie with its own ``stable_retro.Movie``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import pettingretro
from pettingretro.movie import Movie

pytest.importorskip("stable_retro")

# mode "read": every key of every frame of each movie, as stable_retro.Movie gives them;
# mode "record": a stable-retro episode of a game, recorded with random buttons
STABLE_RETRO = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import stable_retro as retro

    mode, out = sys.argv[1], sys.argv[2]
    if mode == "read":
        result = []
        for path in sys.argv[3:]:
            movie = retro.Movie(path)
            frames = []
            while movie.step():
                frames.append([[int(movie.get_key(i, p)) for i in range(16)]
                               for p in range(movie.players)])
            result.append({"game": movie.get_game(), "players": movie.players,
                           "frames": frames, "state": len(movie.get_state())})
        json.dump(result, open(out, "w"))
    else:
        game, players = sys.argv[3], int(sys.argv[4])
        if len(sys.argv) > 5:  # a ROM stable-retro has not imported (ale-py's): use it as is
            retro.data.get_romfile_path = lambda *a, **k: sys.argv[5]
            retro.data.get_original_romfile_path = lambda *a, **k: sys.argv[5]
        env = retro.make(game, players=players, record=out, render_mode=None,
                         use_restricted_actions=retro.Actions.ALL)
        env.reset(seed=0)
        rng = np.random.default_rng(1)
        for _ in range(60):
            env.step(rng.integers(0, 2, env.num_buttons * players).astype(np.int8))
        env.close()
    """
)


# the suffix stable-retro picks the console by
SUFFIXES = {"Pong-Atari2600-v0": ".a26", "Airstriker-Genesis-v0": ".md"}


def stable_retro(*args: str) -> None:
    run = subprocess.run(
        [sys.executable, "-c", STABLE_RETRO, *args], timeout=300, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr[-2000:]


def our_keys(movie: Movie) -> list[list[list[int]]]:
    """Every frame's keys per player, as stable-retro's get_key(i, p) gives them."""
    bits = (movie.masks[:, :, None] >> np.arange(16, dtype=np.uint16)) & 1
    return bits.astype(int).tolist()


def record_ours(game: str, players: int, folder: Path, steps: int = 80) -> Path:
    env = pettingretro.parallel_env(
        game, players=players, record=folder, max_cycles=steps, frameskip=2
    )
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    while env.agents:
        env.step({a: int(rng.integers(env.action_space(a).n)) for a in env.agents})
    env.close()
    (path,) = env.recorder.written
    return path


@pytest.mark.parametrize(
    ("game", "players"), [("Pong-Atari2600-v0", 2), ("Airstriker-Genesis-v0", 1)]
)
def test_our_movie_read_by_stable_retro_gives_every_key(
    tmp_path: Path, game: str, players: int
) -> None:
    path = record_ours(game, players, tmp_path)
    stable_retro("read", str(tmp_path / "keys.json"), str(path))
    (theirs,) = json.loads((tmp_path / "keys.json").read_text())
    ours = Movie(path)
    assert theirs["game"] == game and theirs["players"] == players == ours.players
    assert theirs["state"] == len(ours.get_state()) > 0
    assert len(theirs["frames"]) == ours.num_frames == 1 + 80 * 2
    assert theirs["frames"] == our_keys(ours)
    for p in range(players):  # the random players pressed buttons: the comparison means something
        assert ours.masks[:, p].any()


@pytest.mark.parametrize(
    ("game", "players"), [("Pong-Atari2600-v0", 2), ("Airstriker-Genesis-v0", 1)]
)
def test_a_stable_retro_movie_read_by_ours_gives_every_key(
    tmp_path: Path, game: str, players: int
) -> None:
    env = pettingretro.parallel_env(game, players=players)
    rom = tmp_path / ("rom" + SUFFIXES[game])
    rom.write_bytes(Path(env.rom_path).read_bytes())
    env.close()
    stable_retro("record", str(tmp_path), game, str(players), str(rom))
    (path,) = tmp_path.glob("*.bk2")
    stable_retro("read", str(tmp_path / "keys.json"), str(path))
    (theirs,) = json.loads((tmp_path / "keys.json").read_text())
    ours = Movie(path)
    assert ours.get_game() == theirs["game"] == game
    assert ours.players == theirs["players"] == players
    assert ours.num_frames == len(theirs["frames"]) == 61  # reset()'s frame, then 60 steps
    assert our_keys(ours) == theirs["frames"]
    assert ours.masks.any(axis=0).all()  # every player pressed something
