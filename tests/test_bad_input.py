"""A catalogue of bad input to envs and integrations: each ends in an exception that says what to do.

What tests/envs/test_errors.py (Pong's actions, agents, reset) and tests/host/test_errors.py
(cores, ROMs, emulator arguments, states) already check is not repeated; this file extends
them to every env, the AEC API, damaged integration folders, corrupt states, unreadable paths,
threads and damaged movies.
"""

from __future__ import annotations

import gzip
import importlib
import json
import random
import shutil
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import pettingretro.factory as make
from pettingretro.envs import ENV_MODULES, pong_v0
from pettingretro.errors import (
    EmulatorBusyError,
    EnvStateError,
    PettingRetroError,
    RomNotFoundError,
    StateError,
)
from pettingretro.integration import IntegrationError
from pettingretro.integration.roms import package_dir
from pettingretro.isolation import EmulatorCrashed

STABLE = Path(str(package_dir("stable_retro"))) / "data" / "stable"
AIRSTRIKER = "Airstriker-Genesis-v0"  # ships its ROM: the one integration that runs anywhere
PONG = "Pong-Atari2600-v0"  # its ROM comes from ale-py


# --------------------------------------------------------------------------------------------
# actions: every env, both APIs

_ENVS: dict[str, Any] = {}


@pytest.fixture(scope="module")
def envs():
    yield _ENVS
    for env in _ENVS.values():
        env.close()
    _ENVS.clear()


def parallel(name: str, envs: dict[str, Any]):
    if name not in envs:
        envs[name] = importlib.import_module(f"pettingretro.envs.{name}").parallel_env(
            obs_type="ram"
        )
    env = envs[name]
    env.reset(seed=0)
    return env


BAD_ACTIONS = [
    # (label, make(n) -> action, what the message says)
    ("n", lambda n: n, "outside its Discrete"),
    ("n as numpy", lambda n: np.int64(n), "outside its Discrete"),
    ("-1", lambda n: -1, "outside its Discrete"),
    ("uint8 255", lambda n: np.uint8(255), "outside its Discrete"),
    ("2**64", lambda n: 2**64, "outside its Discrete"),
    ("float", lambda n: 0.0, "must be an integer"),
    ("nan", lambda n: float("nan"), "must be an integer"),
    ("numpy nan", lambda n: np.float32("nan"), "must be an integer"),
    ("inf", lambda n: float("inf"), "must be an integer"),
    ("None", lambda n: None, "must be an integer"),
    ("str", lambda n: "0", "must be an integer"),
    ("bool", lambda n: np.bool_(False), "must be an integer"),
    ("list", lambda n: [0], "must be an integer"),
    ("2 values", lambda n: np.array([0, 1]), r"array of int64 \(2,\)"),
    ("2-d", lambda n: np.zeros((1, 1), np.int64), r"array of int64 \(1, 1\)"),
    ("empty", lambda n: np.zeros(0, np.int64), r"array of int64 \(0,\)"),
    ("float array", lambda n: np.array(1.0), "array of float64"),
    ("nan array", lambda n: np.array([np.nan]), "array of float64"),
    ("one-hot", lambda n: np.eye(n, dtype=np.int64)[0], "array of int64"),
]


@pytest.mark.parametrize("name", ENV_MODULES)
def test_bad_actions_in_every_env(name: str, envs) -> None:
    env = parallel(name, envs)
    for agent in env.possible_agents:
        n = env.action_space(agent).n
        others = {a: 0 for a in env.agents if a != agent}
        for label, make_action, match in BAD_ACTIONS:
            ram = env.state()
            with pytest.raises(ValueError, match=match) as ei:
                env.step({**others, agent: make_action(n)})
            assert repr(agent) in str(ei.value), label
            np.testing.assert_array_equal(env.state(), ram, err_msg=f"{label} moved the game")
        env.step({**others, agent: n - 1})  # the largest action is fine
        env.step({**others, agent: np.array([n - 1])})  # so is a 1-element integer array


@pytest.mark.parametrize("name", ["pong_v0", "space_invaders_v0", "warlords_v0"])
def test_bad_actions_through_aec(name: str) -> None:
    env = importlib.import_module(f"pettingretro.envs.{name}").env(obs_type="ram")
    try:
        env.reset(seed=0)
        first = env.agent_selection
        n = env.action_space(first).n
        for bad in (n, -1, 1.5, float("nan"), "0", np.array([0, 1])):
            with pytest.raises(ValueError, match=repr(first)):
                env.step(bad)
            assert env.agent_selection == first, "a refused action does not pass the turn"
        with pytest.raises(ValueError, match="must be an integer"):
            env.step(None)  # None is only for an agent that has finished
        env.step(n - 1)
        assert env.agent_selection != first
    finally:
        env.close()


@pytest.mark.parametrize(
    ("actions", "match"),
    [
        ({0: 0}, "unknown agent 0"),
        ({None: 0}, "unknown agent None"),
        ({("first_0",): 0}, "unknown agent"),
        ({"First_0": 0}, "unknown agent 'First_0'"),
        ({"first_0 ": 0}, "unknown agent 'first_0 '"),
        ({"player_0": 0}, "unknown agent 'player_0'; this env's agents are first_0, second_0"),
        ({"third_0": 0}, "unknown agent 'third_0'"),  # a 4-player name in a 2-player env
        (None, "dict of agent"),
        (np.zeros(2, np.int64), "dict of agent"),
        ([("first_0", 0)], "dict of agent"),
        ("first_0", "dict of agent"),
    ],
)
def test_unknown_agents_and_non_dict_actions(actions: Any, match: str, envs) -> None:
    env = parallel("pong_v0", envs)
    with pytest.raises(ValueError, match=match):
        env.step(actions)


def test_actions_of_agents_that_left_are_ignored_even_when_bad(envs) -> None:
    """Documented: a finished agent's action is ignored, so it cannot be wrong."""
    env = parallel("space_invaders_v0", envs)
    env.agents = ["first_0"]  # as if second_0 had lost
    env.step({"first_0": 0, "second_0": "anything"})
    env.reset(seed=0)


# --------------------------------------------------------------------------------------------
# order of calls


def test_parallel_env_before_reset_and_after_close() -> None:
    env = pong_v0.parallel_env(obs_type="ram", render_mode="rgb_array")
    for call in (lambda: env.observe("first_0"), env.render):
        with pytest.raises(EnvStateError, match="before reset"):
            call()
    env.close()
    for call in (lambda: env.step({}), env.reset, env.state, env.render):
        with pytest.raises(EnvStateError, match="closed; make a new one"):
            call()


def test_aec_env_before_reset() -> None:
    env = pong_v0.env(obs_type="ram")
    try:
        with pytest.raises(EnvStateError, match="reset"):
            env.step(0)
    finally:
        env.close()


def test_aec_env_before_reset_says_so() -> None:
    env = pong_v0.env(obs_type="ram")
    try:
        with pytest.raises(EnvStateError, match="before reset"):
            env.step(0)
    finally:
        env.close()


def test_finished_aec_env() -> None:
    env = pong_v0.env(obs_type="ram", max_cycles=1)
    try:
        env.reset(seed=0)
        env.step(0)
        env.step(0)
        while env.agents:
            env.step(None)
        with pytest.raises(EnvStateError, match="call reset"):
            env.step(0)
        with pytest.raises(EnvStateError, match="call reset"):
            env.step(None)
    finally:
        env.close()


def test_finished_parallel_env_keeps_refusing_until_reset() -> None:
    env = pong_v0.parallel_env(obs_type="ram", max_cycles=2)
    try:
        env.reset(seed=0)
        env.step({})
        env.step({})
        for _ in range(3):
            with pytest.raises(EnvStateError, match="every agent has finished"):
                env.step({"first_0": 0, "second_0": 0})
        env.reset(seed=0)
        env.step({})
    finally:
        env.close()


@pytest.mark.parametrize("seed", ["0", 1.5, [1, 2, "x"], object()])
def test_bad_seed(seed: Any) -> None:
    env = pong_v0.parallel_env(obs_type="ram")
    try:
        with pytest.raises((TypeError, ValueError)):
            env.reset(seed=seed)
        env.reset(seed=0)  # still usable
    finally:
        env.close()


# --------------------------------------------------------------------------------------------
# two threads, one env


@pytest.mark.parametrize("isolate", [False, True], ids=["in-process", "isolated"])
def test_two_threads_stepping_one_env(isolate: bool) -> None:
    env = pong_v0.parallel_env(obs_type="rgb_image", isolate=isolate, frameskip=8)
    env.reset(seed=0)
    busy: list[BaseException] = []
    other: list[BaseException] = []
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            try:
                env.step({"first_0": 1, "second_0": 2})
                if not env.agents:
                    stop.set()
            except EmulatorBusyError as e:
                busy.append(e)
            except BaseException as e:
                other.append(e)
                stop.set()

    threads = [threading.Thread(target=hammer) for _ in range(2)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while not busy and not stop.is_set() and time.monotonic() < deadline:
        time.sleep(0.01)
    stop.set()
    for t in threads:
        t.join()
    try:
        assert not other, other
        assert busy, "two threads never collided"
        assert "two threads stepped this pong_v0 env at once" in str(busy[0])
        env.reset(seed=0)
        env.step({"first_0": 0, "second_0": 0})  # the env survives the collision
    finally:
        env.close()


# --------------------------------------------------------------------------------------------
# damaged integration folders


@pytest.fixture
def integration(tmp_path: Path):
    """copy(name) -> a copy of a stable-retro integration folder under tmp_path."""

    def copy(name: str = AIRSTRIKER) -> Path:
        dst = tmp_path / name
        shutil.copytree(STABLE / name, dst)
        return dst

    return copy


def open_env(folder: Path, **kwargs: Any):
    env = make.parallel_env(str(folder), **kwargs)
    try:
        env.reset(seed=0)
        env.step({a: 0 for a in env.agents})
    finally:
        env.close()


JSON_DAMAGE = [
    # (file, content, words the message must hold besides the file's path)
    ("data.json", "{", "not valid JSON"),
    ("data.json", "", "not valid JSON"),
    ("data.json", "[]", "JSON object"),
    ("data.json", '{"info": "score"}', "info"),
    ("data.json", '{"info": {"score": 5}}', "score"),
    ("data.json", '{"info": {"score": {"type": "|u1"}}}', "address"),
    ("data.json", '{"info": {"score": {"address": "0xff", "type": "|u1"}}}', "address"),
    ("data.json", '{"info": {"score": {"address": -4, "type": "|u1"}}}', "address"),
    ("data.json", '{"info": {"score": {"address": 1, "type": "u1"}}}', "bad type 'u1'"),
    ("data.json", '{"info": {"score": {"address": 1, "type": "|u9"}}}', "bad type '|u9'"),
    ("data.json", '{"info": {"score": {"address": 1, "type": 4}}}', "type"),
    ("data.json", '{"info": {"score": {"address": 1, "type": "|u1", "mask": "ff"}}}', "mask"),
    ("scenario.json", "{", "not valid JSON"),
    ("scenario.json", "[1]", "JSON object"),
    ("scenario.json", '{"reward": 1}', "reward"),
    ("scenario.json", '{"reward": {"variables": {"nope": {"reward": 1}}}}', "nope"),
    ("scenario.json", '{"reward": {"variables": {"score": {"op": "xor"}}}}', "xor"),
    ("scenario.json", '{"reward": {"variables": {"score": {"reward": "1"}}}}', "reward"),
    ("scenario.json", '{"reward": {"variables": {"score": {"measurement": "sum"}}}}', "sum"),
    ("scenario.json", '{"done": {"condition": "most"}}', "most"),
    ("scenario.json", '{"done": {"variables": []}}', "variables"),
    ("scenario.json", '{"rewards": {"a": 1}}', "rewards"),
    ("scenario.json", '{"actions": 5}', "actions"),
    ("scenario.json", '{"actions": [["NOPE"]]}', "actions"),
    ("scenario.json", '{"crop": [1, null, 2, 3]}', "crop"),
    ("scenario.json", '{"crop": [1, 2]}', "crop"),
    ("metadata.json", "{", "not valid JSON"),
    ("metadata.json", "[]", "JSON object"),
    ("metadata.json", '{"default_state": 5}', "default_state"),
    ("metadata.json", '{"default_state": "Nope"}', "no state 'Nope'"),
]


@pytest.mark.parametrize(("name", "content", "words"), JSON_DAMAGE)
def test_damaged_json_names_the_file(name: str, content: str, words: str, integration) -> None:
    folder = integration()
    (folder / name).write_text(content)
    with pytest.raises(IntegrationError, match=words) as ei:
        open_env(folder)
    assert str(folder) in str(ei.value)


def test_json_that_is_not_utf8(integration) -> None:
    folder = integration()
    (folder / "data.json").write_bytes(b"\xff\xfe{\x00}")
    with pytest.raises(IntegrationError, match=r"data\.json cannot be read"):
        open_env(folder)


def test_deeply_nested_scenario(integration) -> None:
    folder = integration()
    (folder / "scenario.json").write_text(
        '{"done": ' + '{"nodes": {"a": ' * 5000 + "{}" + "}}" * 5000 + "}"
    )
    with pytest.raises(IntegrationError, match=r"scenario\.json"):
        open_env(folder)


def test_variable_outside_ram(integration) -> None:
    folder = integration()
    data = json.loads((folder / "data.json").read_text())
    data["info"]["score"]["address"] = 0x7FFFFFFF
    (folder / "data.json").write_text(json.dumps(data))
    with pytest.raises(IntegrationError, match=r"data\.json.*score"):
        open_env(folder)


def test_variable_outside_ram_is_at_least_an_error(integration) -> None:
    folder = integration()
    data = json.loads((folder / "data.json").read_text())
    data["info"]["score"]["address"] = 0x7FFFFFFF
    (folder / "data.json").write_text(json.dumps(data))
    with pytest.raises((IntegrationError, IndexError), match="'score'"):
        open_env(folder)


# --------------------------------------------------------------------------------------------
# unreadable and missing paths


def test_data_json_that_cannot_be_read(integration) -> None:
    folder = integration()
    (folder / "data.json").unlink()
    (folder / "data.json").symlink_to("/proc/self/mem")  # opens, then every read fails (EIO)
    with pytest.raises(IntegrationError, match=r"data\.json cannot be read"):
        open_env(folder)


@pytest.mark.parametrize("how", ["missing", "directory", "dangling link"])
def test_data_json_missing(how: str, integration) -> None:
    folder = integration()
    (folder / "data.json").unlink()
    if how == "directory":
        (folder / "data.json").mkdir()
    elif how == "dangling link":
        (folder / "data.json").symlink_to(folder / "nowhere.json")
    with pytest.raises(PettingRetroError, match=str(folder)):
        open_env(folder)


def test_scenario_that_cannot_be_read(integration) -> None:
    folder = integration()
    (folder / "scenario.json").unlink()
    (folder / "scenario.json").mkdir()
    with pytest.raises(IntegrationError, match=r"scenario\.json"):
        open_env(folder)


@pytest.mark.parametrize(
    "how",
    [
        "missing",
        "directory",
        "/proc/self/mem",
    ],
)
def test_bad_rom_path_for_a_bare_rom_env(how: str, tmp_path: Path) -> None:
    path = {
        "missing": tmp_path / "nothing.a26",
        "directory": tmp_path,
        "/proc/self/mem": Path("/proc/self/mem"),
    }[how]
    with pytest.raises((RomNotFoundError, ValueError, PettingRetroError)) as ei:
        make.parallel_env(rom=path, core="stella")
    assert str(path) in str(ei.value)


def test_unknown_integration_name() -> None:
    with pytest.raises(PettingRetroError, match="no integration named 'Nope-Genesis-v0'"):
        make.parallel_env("Nope-Genesis-v0")


# --------------------------------------------------------------------------------------------
# corrupt states


def _state_path(folder: Path) -> Path:
    return next(folder.glob("*.state"))


def _real_state(folder: Path) -> bytes:
    return gzip.decompress(_state_path(folder).read_bytes())


@pytest.mark.parametrize(
    ("damage", "match"),
    [
        (lambda raw, gz: b"not a gzip at all", "is not a gzip of a save state"),
        (lambda raw, gz: gz[: len(gz) // 2], "is not a gzip of a save state"),
        (lambda raw, gz: b"", "state has 0 bytes|is not a gzip"),
        (lambda raw, gz: gzip.compress(b""), "state has 0 bytes"),
        (lambda raw, gz: gzip.compress(raw[:-1]), "saved by another core, core version or game"),
        (
            lambda raw, gz: gzip.compress(raw + b"\x01"),
            "saved by another core, core version or game",
        ),
        (lambda raw, gz: gzip.compress(random.Random(0).randbytes(len(raw))), "rejected the state"),
        (lambda raw, gz: gzip.compress(bytes(len(raw))), "rejected the state"),
    ],
    ids=[
        "not gzip",
        "cut gzip",
        "empty file",
        "empty state",
        "one byte short",
        "one byte long",
        "noise",
        "zeros",
    ],
)
def test_corrupt_state_file(damage, match: str, integration) -> None:
    folder = integration()
    path = _state_path(folder)
    path.write_bytes(damage(_real_state(folder), path.read_bytes()))
    with pytest.raises(StateError, match=match) as ei:
        open_env(folder)
    if "gzip" in str(ei.value):
        assert str(path) in str(ei.value)


def test_state_file_from_another_core(integration, ale_roms) -> None:
    folder = integration()
    stella_state = (STABLE / PONG / "Start.state").read_bytes()
    _state_path(folder).write_bytes(stella_state)
    with pytest.raises(StateError, match="saved by another core"):
        open_env(folder)


def test_state_file_that_is_a_directory(integration) -> None:
    folder = integration()
    path = _state_path(folder)
    path.unlink()
    path.mkdir()
    with pytest.raises(StateError, match=str(path)):
        open_env(folder)


def test_unknown_state_name(integration) -> None:
    folder = integration()
    with pytest.raises(IntegrationError, match=r"no state 'Level9' \(states: Level1\)"):
        open_env(folder, state="Level9")


def test_corrupt_stella_state_in_isolation(integration, ale_roms) -> None:
    """Stella aborts the process on some corrupt states of the right size (an uncaught C++
    exception); in isolation that is EmulatorCrashed, and a fresh env still works."""
    folder = integration(PONG)
    for path in folder.glob("*.state"):
        path.write_bytes(gzip.compress(random.Random(0).randbytes(481)))
    with pytest.raises((EmulatorCrashed, StateError)) as ei:
        open_env(folder, players=2, isolate=True)
    if isinstance(ei.value, EmulatorCrashed):
        assert PONG in str(ei.value) and "stella" in str(ei.value)
    open_env(STABLE / PONG, players=2)


# --------------------------------------------------------------------------------------------
# damaged movies (pettingretro.movie; tests/movie/ covers each class of damaged file)


@pytest.fixture(scope="module")
def movie_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("movie")
    env = pong_v0.parallel_env(record=folder, max_cycles=20)
    env.reset(seed=0)
    while env.agents:
        env.step({"first_0": 1, "second_0": 2})
    env.close()
    return next(folder.glob("*.bk2"))


def _rewrite(src: Path, dst: Path, **members: bytes | None) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for name in zin.namelist():
            data = members.get(name, zin.read(name))
            if data is not None:
                zout.writestr(name, data)
    return dst


def test_movie_with_a_bad_frame_count(movie_file: Path, tmp_path: Path) -> None:
    from pettingretro.movie import Movie, MovieError

    header = zipfile.ZipFile(movie_file).read("Header.txt").decode()
    bad = "".join(
        "pettingretroFrames many\n" if line.startswith("pettingretroFrames") else line + "\n"
        for line in header.splitlines()
    )
    with pytest.raises(MovieError, match="pettingretroFrames"):
        Movie(_rewrite(movie_file, tmp_path / "m.bk2", **{"Header.txt": bad.encode()}))


def test_movie_with_garbage_in_its_log(movie_file: Path, tmp_path: Path) -> None:
    from pettingretro.movie import Movie, MovieError

    log = zipfile.ZipFile(movie_file).read("Input Log.txt").decode().splitlines()
    log[5] = "|" + "\x00\xff garbage" * 7 + "|"
    with pytest.raises(MovieError):
        Movie(
            _rewrite(movie_file, tmp_path / "m.bk2", **{"Input Log.txt": "\n".join(log).encode()})
        )


def test_movie_whose_state_is_garbage(movie_file: Path, tmp_path: Path) -> None:
    from pettingretro.movie import Movie, MovieError, playback

    path = _rewrite(movie_file, tmp_path / "m.bk2", **{"Core.bin": b"\x00" * 17})
    env = pong_v0.parallel_env()
    try:
        with pytest.raises((StateError, MovieError)):
            for _ in playback(Movie(path), env):
                pass
    finally:
        env.close()


def test_movie_that_is_not_a_file(tmp_path: Path) -> None:
    from pettingretro.movie import Movie, MovieError

    with pytest.raises(MovieError, match="no movie file"):
        Movie(tmp_path / "none.bk2")
    with pytest.raises((MovieError, IsADirectoryError, PermissionError)):
        Movie(tmp_path)
