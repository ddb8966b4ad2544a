"""Action schemes (``actions=``) and PyBoy's ``action_type=``, seen through the test ROMs' input bits.

Each input test ROM stores every port's buttons in RAM each frame (pettingretro.testing.roms),
so what an action pressed is read back from the console itself.
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import stable_retro
from pettingzoo.test import api_test, parallel_api_test

import pettingretro
from pettingretro.envs import boxing_v0, pong_v0
from pettingretro.errors import PettingRetroError
from pettingretro.integration.roms import package_dir, sha1_of
from pettingretro.parallel.env import RetroParallelEnv
from pettingretro.testing.roms import TEST_ROMS, build_rom
from pettingretro.vector import vector_env

#: (actions=, action_type=) pairs: every way an agent's action can be given
SCHEMES = [
    ("discrete", None),
    ("multi_discrete", None),
    ("all", None),
    ("filtered", None),
    ("discrete", "press"),
    ("discrete", "toggle"),
    ("discrete", "all"),
]

#: the ROM starts storing pads on its fifth frame
WARMUP = 6


@pytest.fixture(scope="module")
def roms(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("roms")
    return {s: build_rom(s, out) for s in ("nes", "snes", "gb")}


def make(rom: Path, actions: Any = "discrete", action_type: str | None = None) -> RetroParallelEnv:
    system = rom.suffix.lstrip(".")
    players = 1 if system == "gb" else 2
    return pettingretro.parallel_env(
        rom=rom, players=players, obs_type="ram", actions=actions, action_type=action_type
    )


def pressing(env: RetroParallelEnv, *names: str, release: bool = False) -> Any:
    """The action of ``env``'s scheme that presses (or, PyBoy's ``all``, releases) ``names``."""
    scheme = env.action_scheme
    if scheme.action_type is not None:
        (name,) = names
        return scheme.labels.index(f"release {name}" if release else name)
    if scheme.name == "discrete":
        return env.controls.actions.index(tuple(b for b in env.buttons if b in names))
    mask = sum(1 << env.buttons.index(n) for n in names)
    if scheme.name == "multi_discrete":
        return np.array([c.index(mask & max(np.bitwise_or.reduce(c), 0)) for c in scheme.combos])
    bits = np.zeros(len(env.buttons), np.int8)
    for n in names:
        bits[env.buttons.index(n)] = 1
    return bits


def noop(env: RetroParallelEnv) -> Any:
    space = env.action_space(env.possible_agents[0])
    return 0 if env.action_scheme.action_type is not None else np.zeros(space.shape, np.int64)


def pads(env: RetroParallelEnv, system: str) -> list[int]:
    fact = TEST_ROMS[system]
    return [fact.port_state(env.emu.ram, p) for p in range(env.num_players)]


def bits(system: str, *names: str) -> int:
    return sum(1 << TEST_ROMS[system].buttons[n] for n in names)


def warm(env: RetroParallelEnv) -> None:
    env.reset(seed=0)
    for _ in range(WARMUP):
        env.step({})


@pytest.mark.parametrize(("actions", "action_type"), SCHEMES)
@pytest.mark.parametrize("system", ["nes", "snes", "gb"])
def test_start_and_select_land_in_the_ports_input_bits(
    roms: dict[str, Path], system: str, actions: str, action_type: str | None
) -> None:
    env = make(roms[system], actions, action_type)
    warm(env)
    for port, agent in enumerate(env.possible_agents):
        for button in ("START", "SELECT"):
            if action_type == "toggle":
                env.step({})  # released, whatever the last toggle left held
            env.step({agent: pressing(env, button)})
            want = [0] * env.num_players
            want[port] = bits(system, button)
            assert pads(env, system) == want, (agent, button)
            if action_type == "toggle":
                env.step({agent: pressing(env, button)})  # toggled off again
            elif action_type == "all":
                env.step({agent: pressing(env, button, release=True)})
            else:
                env.step({})
            assert pads(env, system) == [0] * env.num_players, (agent, button, "released")
    env.close()


@pytest.mark.parametrize("system", ["nes", "snes", "gb"])
def test_each_multibinary_slot_presses_the_button_it_names(
    roms: dict[str, Path], system: str
) -> None:
    env = make(roms[system], "all")
    warm(env)
    named = [(i, b) for i, b in enumerate(env.buttons) if b is not None]
    assert env.agent_buttons == {a: env.buttons for a in env.possible_agents}
    for i, name in named:
        action = np.zeros(len(env.buttons), np.int8)
        action[i] = 1
        env.step({env.possible_agents[-1]: action})
        assert pads(env, system)[-1] == bits(system, name), name
    env.close()


def test_press_holds_for_one_step(roms: dict[str, Path]) -> None:
    env = make(roms["nes"], action_type="press")
    warm(env)
    env.step({"first_0": pressing(env, "A"), "second_0": pressing(env, "START")})
    assert pads(env, "nes") == [bits("nes", "A"), bits("nes", "START")]
    env.step({})
    assert pads(env, "nes") == [0, 0]


def test_toggle_keeps_a_button_held_until_toggled_again(roms: dict[str, Path]) -> None:
    env = make(roms["nes"], action_type="toggle")
    warm(env)
    start, a = pressing(env, "START"), pressing(env, "A")
    env.step({"first_0": start})
    for _ in range(3):
        env.step({})
        assert pads(env, "nes") == [bits("nes", "START"), 0]
    env.step({"first_0": a})
    assert pads(env, "nes") == [bits("nes", "START", "A"), 0]
    env.step({"first_0": start})
    assert pads(env, "nes") == [bits("nes", "A"), 0]
    warm(env)  # reset() lets go of every toggled button
    assert pads(env, "nes") == [0, 0]


def test_all_separates_press_and_release(roms: dict[str, Path]) -> None:
    env = make(roms["nes"], action_type="all")
    assert env.action_space("first_0").n == 1 + 2 * 8  # NOOP, 8 presses, 8 releases
    warm(env)
    env.step({"second_0": pressing(env, "SELECT")})
    env.step({"second_0": pressing(env, "B")})
    env.step({"second_0": pressing(env, "B")})  # pressing a held button keeps it held
    env.step({})
    assert pads(env, "nes") == [0, bits("nes", "SELECT", "B")]
    env.step({"second_0": pressing(env, "SELECT", release=True)})
    assert pads(env, "nes") == [0, bits("nes", "B")]
    env.step({"second_0": pressing(env, "SELECT", release=True)})  # releasing twice is harmless
    assert pads(env, "nes") == [0, bits("nes", "B")]


def test_toggle_episodes_are_deterministic(roms: dict[str, Path]) -> None:
    env = make(roms["nes"], action_type="toggle")
    seq = np.random.default_rng(1).integers(0, env.action_space("first_0").n, (20, 2))
    runs = []
    for _ in range(2):
        warm(env)
        runs.append(
            [
                env.step(dict(zip(env.agents, map(int, row), strict=True)))[0]["first_0"]
                for row in seq
            ]
        )
    assert all(np.array_equal(x, y) for x, y in zip(*runs, strict=True))


def test_filtered_drops_disallowed_combos_as_stable_retro_does(roms: dict[str, Path]) -> None:
    env = make(roms["nes"], "filtered")
    warm(env)
    env.step({"first_0": pressing(env, "UP", "DOWN", "A")})  # UP+DOWN is no allowed combo
    assert pads(env, "nes")[0] == bits("nes", "A")
    env.step({"first_0": pressing(env, "UP", "A", "START")})
    assert pads(env, "nes")[0] == bits("nes", "UP", "A", "START")


def test_bare_rom_discrete_reaches_start_and_select(roms: dict[str, Path]) -> None:
    env = make(roms["nes"])
    names = env.controls.actions
    assert ("START",) in names and ("SELECT",) in names
    assert env.action_space("first_0").n == 36 * 3, "stable-retro's 36 NES combos, x3 menus"


def test_stable_retro_actions_members_are_accepted(roms: dict[str, Path]) -> None:
    for member, space in [
        (stable_retro.Actions.ALL, "MultiBinary"),
        (stable_retro.Actions.FILTERED, "MultiBinary"),
        (stable_retro.Actions.MULTI_DISCRETE, "MultiDiscrete"),
        (stable_retro.Actions.DISCRETE, "Discrete"),
    ]:
        env = make(roms["gb"], member)
        assert type(env.action_space("first_0")).__name__ == space
        env.close()


def test_full_action_space_on_an_integration_adds_start() -> None:
    narrow = pettingretro.parallel_env("Airstriker-Genesis-v0", obs_type="ram")
    full = pettingretro.parallel_env(
        "Airstriker-Genesis-v0", obs_type="ram", full_action_space=True
    )
    assert ("START",) not in narrow.controls.actions
    assert ("START",) in full.controls.actions
    assert full.action_space("first_0").n > narrow.action_space("first_0").n
    narrow.close()
    full.close()


def test_project_atari_game_takes_multibinary() -> None:
    env = boxing_v0.parallel_env(obs_type="ram", actions="all")
    assert env.buttons == ["BUTTON", None, "SELECT", "RESET", "UP", "DOWN", "LEFT", "RIGHT"]
    assert env.action_space("first_0").n == 8
    env.reset(seed=0)
    env.step({a: env.action_space(a).sample() for a in env.agents})
    env.close()


@pytest.mark.parametrize(
    ("space", "action", "match"),
    [
        ("all", True, "must be an array of shape"),
        ("all", 3, "must be an array of shape"),
        ("all", np.zeros(8, np.int8), r"shape \(9,\)"),
        ("all", np.full(9, 2, np.int8), "each slot is 0 or 1"),
        ("all", np.full(9, -1), "each slot is 0 or 1"),
        ("all", np.zeros(9, np.float32), "integer array"),
        ("all", np.ma.masked_array(np.zeros(9, np.int8)), "masked array"),
        ("all", "START", "must be an array"),
        ("multi_discrete", np.array([0, 0, 0, 4]), "outside its MultiDiscrete"),
        ("multi_discrete", np.array([0, 0, 0]), r"shape \(4,\)"),
        ("toggle", np.True_, "must be an integer"),
        ("toggle", 9, "outside its Discrete"),
        ("toggle", np.ma.masked_array(1), "masked array"),
    ],
)
def test_bad_actions_are_refused_and_change_nothing(
    roms: dict[str, Path], space: str, action: Any, match: str
) -> None:
    env = make(roms["nes"], action_type="toggle") if space == "toggle" else make(roms["nes"], space)
    warm(env)
    env.step({"first_0": pressing(env, "START")})
    before = env.emu.save_state()
    with pytest.raises(PettingRetroError, match=match) as err:
        env.step({"first_0": noop(env), "second_0": action})
    assert isinstance(err.value, ValueError) and "'second_0'" in str(err.value)
    assert env.emu.save_state() == before
    env.step({"first_0": noop(env)})  # the refused step toggled nothing
    held = bits("nes", "START") if space == "toggle" else 0
    assert pads(env, "nes") == [held, 0]


def test_bad_choices_name_the_fix(roms: dict[str, Path]) -> None:
    with pytest.raises(PettingRetroError, match="actions must be one of 'discrete'"):
        make(roms["nes"], "everything")
    with pytest.raises(PettingRetroError, match="action_type must be one of"):
        make(roms["nes"], action_type="hold")
    with pytest.raises(PettingRetroError, match="drop actions='all' or action_type"):
        make(roms["nes"], "all", "toggle")
    with pytest.raises(PettingRetroError, match="paddle players press no joypad buttons"):
        pong_v0.parallel_env(actions="multi_discrete")


@pytest.mark.parametrize(("actions", "action_type"), SCHEMES)
def test_pettingzoo_api_tests_pass_with_each_scheme(
    roms: dict[str, Path], actions: str, action_type: str | None
) -> None:
    parallel_api_test(make(roms["nes"], actions, action_type), num_cycles=30)
    api_test(
        pettingretro.env(rom=roms["nes"], players=2, obs_type="ram", actions=actions,
                         action_type=action_type),
        num_cycles=30,
    )  # fmt: skip


# ---------------------------------------------------------------- stable-retro as the reference

REFERENCE = """
import json, sys
import stable_retro as retro
retro.data.Integrations.add_custom_path(sys.argv[1])
out = {}
for game in sys.argv[2:]:
    row = {}
    for kind in ("ALL", "FILTERED", "MULTI_DISCRETE", "DISCRETE"):
        env = retro.make(game, state=retro.State.NONE, inttype=retro.data.Integrations.ALL,
                         use_restricted_actions=getattr(retro.Actions, kind), render_mode=None)
        sp = env.action_space
        row[kind] = [type(sp).__name__, [int(v) for v in getattr(sp, "nvec", [getattr(sp, "n", 0)])]]
        row["buttons"] = list(env.buttons)
        env.close()
    out[game] = row
print(json.dumps(out))
"""


def _space(space: Any) -> list[Any]:
    sizes = space.nvec if hasattr(space, "nvec") else [space.n]
    return [type(space).__name__, [int(v) for v in sizes]]


def test_spaces_and_button_order_equal_stable_retros_per_system(
    roms: dict[str, Path], tmp_path: Path
) -> None:
    """Every system with a core and a ROM here: our test ROMs, Airstriker, an ALE ROM."""
    root = tmp_path / "integrations"
    folders: dict[str, Path] = {}
    files: dict[str, Path] = {}
    sources = {
        "Nes": roms["nes"],
        "Snes": roms["snes"],
        "GameBoy": roms["gb"],
        "GbAdvance": build_rom("gba", tmp_path),
        "PCEngine": build_rom("pce", tmp_path),
        "Atari2600": package_dir("ale_py") / "roms" / "breakout.bin",
    }
    for system, rom in sources.items():
        folder = root / f"PadTest-{system}"
        folder.mkdir(parents=True)
        ext = {"Atari2600": "a26", "Snes": "sfc"}.get(system, rom.suffix.lstrip("."))
        shutil.copy(rom, folder / f"rom.{ext}")
        (folder / "rom.sha").write_text(sha1_of(rom, strip_ines=ext == "nes"))
        (folder / "data.json").write_text(json.dumps({"info": {}}))
        (folder / "scenario.json").write_text("{}")
        (folder / "metadata.json").write_text("{}")
        folders[folder.name] = folder
        files[folder.name] = folder / f"rom.{ext}"
    script = tmp_path / "reference.py"
    script.write_text(REFERENCE)
    games = [*folders, "Airstriker-Genesis-v0"]
    res = subprocess.run(
        [sys.executable, str(script), str(root), *games],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    ref = json.loads(res.stdout)
    for game in games:
        row = {}
        for kind in ("ALL", "FILTERED", "MULTI_DISCRETE", "DISCRETE"):
            if game in folders:
                env = pettingretro.parallel_env(
                    str(folders[game]), rom=files[game], obs_type="ram", actions=kind.lower()
                )
            else:
                env = pettingretro.parallel_env(game, obs_type="ram", actions=kind.lower())
            row[kind] = _space(env.action_space("first_0"))
            row["buttons"] = env.buttons
            env.close()
        assert row == ref[game], game


@pytest.mark.parametrize(("actions", "action_type"), [("all", None), ("discrete", "toggle")])
def test_vector_env_steps_multibinary_and_toggle_actions(
    roms: dict[str, Path], actions: str, action_type: str | None
) -> None:
    venv = vector_env(
        functools.partial(
            pettingretro.parallel_env, rom=roms["nes"], players=2, action_type=action_type
        ),
        2,
        obs_type="ram",
        actions=actions,
    )
    venv.reset(seed=0)
    one = venv.envs[0]
    idle = np.zeros((4, *venv.single_action_space.shape), np.int64)
    for _ in range(WARMUP):
        venv.step(idle)
    act = idle.copy()
    act[3] = pressing(one, "START")  # game 1's second player
    venv.step(act)
    assert [pads(e, "nes") for e in venv.envs] == [[0, 0], [0, bits("nes", "START")]]
    with pytest.raises(ValueError, match=r"shape \(4,"):
        venv.step(idle[:3])
    venv.close()
