"""Action spaces (``actions=``) and PyBoy's ``action_type``, checked through the test ROMs' input bits.

Each test ROM stores what every controller port holds in RAM once per frame
(``pettingretro/testing/roms.py``), so a button an action really presses shows up there.
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
from pettingzoo.test import api_test, parallel_api_test

import pettingretro
from pettingretro.errors import PettingRetroError
from pettingretro.integration.roms import package_dir
from pettingretro.parallel.env import RetroParallelEnv
from pettingretro.testing.roms import TEST_ROMS, build_rom

KINDS = ("discrete", "multi_discrete", "all", "filtered")
TYPES = ("press", "toggle", "all")
# frames the ROMs take to start reading their ports after power-on
STARTUP_STEPS = 10


@pytest.fixture(scope="module")
def roms(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("roms")
    return {s: build_rom(s, out) for s in ("nes", "snes", "gb", "gba", "pce")}


def make(rom: Path, **kwargs: Any) -> RetroParallelEnv:
    env = pettingretro.parallel_env(rom=rom, obs_type="ram", **kwargs)
    assert isinstance(env, RetroParallelEnv)
    env.reset(seed=0)
    for _ in range(STARTUP_STEPS):
        env.step({})
    return env


def bits(env: RetroParallelEnv, system: str, port: int) -> int:
    assert env.emu is not None
    return TEST_ROMS[system].port_state(env.emu.ram, port)


def held(system: str, *names: str) -> int:
    return sum(1 << TEST_ROMS[system].buttons[n] for n in names)


def nothing(env: RetroParallelEnv, agent: str) -> Any:
    """The action that holds no button."""
    return (
        env.action_for(agent, [])
        if env.action_scheme is None or (env.action_scheme.action_type is None)
        else 0
    )


@pytest.mark.parametrize("system", ["nes", "snes", "gb"])
@pytest.mark.parametrize("kind", KINDS)
def test_start_and_select_reach_each_port_through_every_space(
    system: str, kind: str, roms: dict[str, Path]
) -> None:
    players = TEST_ROMS[system].hardware_ports
    env = make(roms[system], actions=kind, players=players)
    agents = env.possible_agents
    for port, agent in enumerate(agents):
        for name in ("START", "SELECT"):
            action = env.action_for(agent, [name])
            assert env.action_space(agent).contains(action)
            env.step({agent: action})
            assert bits(env, system, port) == held(system, name)
            for other in range(players):
                if other != port:
                    assert bits(env, system, other) == 0
            env.step({agent: nothing(env, agent)})
            assert bits(env, system, port) == 0
    env.close()


@pytest.mark.parametrize("system", ["nes", "snes", "gb"])
@pytest.mark.parametrize("action_type", TYPES)
def test_start_and_select_through_every_action_type(
    system: str, action_type: str, roms: dict[str, Path]
) -> None:
    env = make(roms[system], action_type=action_type)
    agent = env.possible_agents[0]
    for name in ("START", "SELECT"):
        env.step({agent: env.action_for(agent, [name])})
        assert bits(env, system, 0) == held(system, name)
        if action_type != "press":  # toggle it off, or release it
            k = len(env.buttons)
            off = env.action_for(agent, [name]) + (k if action_type == "all" else 0)
            env.step({agent: off})
        env.step({agent: 0})
        assert bits(env, system, 0) == 0
    env.close()


def test_press_holds_a_button_for_one_step(roms: dict[str, Path]) -> None:
    env = make(roms["nes"], action_type="press")
    a = env.possible_agents[0]
    assert env.action_space(a).n == 1 + 8  # NOOP and the NES's eight buttons
    env.step({a: env.action_for(a, ["A"])})
    assert bits(env, "nes", 0) == held("nes", "A")
    env.step({a: 0})
    assert bits(env, "nes", 0) == 0


def test_toggle_flips_held_buttons_until_toggled_again(roms: dict[str, Path]) -> None:
    env = make(roms["nes"], action_type="toggle")
    a = env.possible_agents[0]
    up, b = env.action_for(a, ["UP"]), env.action_for(a, ["B"])
    env.step({a: up})
    env.step({a: b})
    assert bits(env, "nes", 0) == held("nes", "UP", "B")
    env.step({a: 0})
    env.step({})  # an absent agent's held buttons stay held too
    assert bits(env, "nes", 0) == held("nes", "UP", "B")
    env.step({a: up})
    assert bits(env, "nes", 0) == held("nes", "B")
    env.reset()  # reset lets go of every button
    env.step({a: 0})
    assert bits(env, "nes", 0) == 0


def test_all_has_separate_press_and_release(roms: dict[str, Path]) -> None:
    env = make(roms["snes"], action_type="all", players=2)
    first, second = env.possible_agents
    k = len(env.buttons)
    assert env.action_space(first).n == 1 + 2 * k
    l_btn, r_btn = env.action_for(first, ["L"]), env.action_for(second, ["R"])
    env.step({first: l_btn, second: r_btn})
    env.step({first: l_btn, second: 0})  # pressing again keeps it held
    assert (bits(env, "snes", 0), bits(env, "snes", 1)) == (held("snes", "L"), held("snes", "R"))
    env.step({first: l_btn + k, second: 0})
    assert (bits(env, "snes", 0), bits(env, "snes", 1)) == (0, held("snes", "R"))
    env.step({second: r_btn + k})
    assert bits(env, "snes", 1) == 0


def test_multibinary_slots_are_joypad_bits_named_by_buttons(roms: dict[str, Path]) -> None:
    env = make(roms["gb"], actions="all")
    a = env.possible_agents[0]
    assert env.buttons == ("B", None, "SELECT", "START", "UP", "DOWN", "LEFT", "RIGHT", "A")
    assert env.agent_buttons[a] == env.buttons
    action = np.zeros(9, np.int8)
    action[[0, 4, 8]] = 1  # B, UP, A
    env.step({a: action})
    assert bits(env, "gb", 0) == held("gb", "B", "UP", "A")


def test_filtered_drops_combos_the_integration_does_not_allow(roms: dict[str, Path]) -> None:
    env = make(roms["nes"], actions="filtered")
    a = env.possible_agents[0]
    both = np.zeros(9, np.int64)
    both[[4, 5, 0]] = 1  # UP and DOWN are no allowed combo: dropped; B stays
    env.step({a: both})
    assert bits(env, "nes", 0) == held("nes", "B")
    env.close()
    env = make(roms["nes"], actions="all")
    env.step({a: both})
    assert bits(env, "nes", 0) == held("nes", "UP", "DOWN", "B")


def test_multi_discrete_picks_one_combo_per_group(roms: dict[str, Path]) -> None:
    env = make(roms["nes"], actions="multi_discrete")
    a = env.possible_agents[0]
    pick = env.action_for(a, ["LEFT", "UP", "A", "START"])
    assert pick.shape == (len(env.action_space(a).nvec),)
    env.step({a: pick})
    assert bits(env, "nes", 0) == held("nes", "LEFT", "UP", "A", "START")


def test_stable_retro_actions_members_are_accepted(roms: dict[str, Path]) -> None:
    retro = pytest.importorskip("stable_retro")
    env = make(roms["nes"], actions=retro.Actions.MULTI_DISCRETE)
    assert env.action_scheme is not None
    assert env.action_scheme.kind == "multi_discrete"


@pytest.mark.parametrize(
    ("kind", "action", "says"),
    [
        ("all", np.ma.masked_array([0] * 9), "masked"),
        ("all", [0] * 8, "9 integers"),
        ("all", [2] + [0] * 8, "only 0 and 1"),
        ("all", [0.5] + [0] * 8, "float64"),
        ("all", 3, "array of 9"),
        ("multi_discrete", [9, 0, 0, 0], "outside"),
        ("multi_discrete", True, "array of"),
        ("discrete", True, "integer"),
        ("discrete", np.array([1, 2]), "array of"),
    ],
)
def test_bad_actions_are_refused_and_change_nothing(
    kind: str, action: Any, says: str, roms: dict[str, Path]
) -> None:
    env = make(roms["nes"], actions=kind)
    a = env.possible_agents[0]
    before = env.state()
    with pytest.raises(ValueError, match=says) as err:
        env.step({a: action})
    assert isinstance(err.value, PettingRetroError)
    assert a in str(err.value)
    assert np.array_equal(env.state(), before)


def test_toggle_check_changes_no_held_state(roms: dict[str, Path]) -> None:
    env = make(roms["nes"], action_type="toggle")
    a = env.possible_agents[0]
    env.check_actions({a: env.action_for(a, ["A"])})  # checked, not applied
    env.step({a: 0})
    assert bits(env, "nes", 0) == 0


def test_bad_arguments_say_what_to_pass(roms: dict[str, Path]) -> None:
    with pytest.raises(ValueError, match="actions must be one of"):
        pettingretro.parallel_env(rom=roms["nes"], actions="everything")
    with pytest.raises(ValueError, match="action_type must be"):
        pettingretro.parallel_env(rom=roms["nes"], action_type="hold")
    with pytest.raises(ValueError, match="actions='all'"):
        pettingretro.parallel_env(rom=roms["nes"], full_action_space=True)


def test_bare_rom_discrete_default_reaches_start_and_select(roms: dict[str, Path]) -> None:
    env = make(roms["nes"])
    a = env.possible_agents[0]
    for name in ("START", "SELECT"):
        env.step({a: env.action_for(a, [name])})
        assert bits(env, "nes", 0) == held("nes", name)


@pytest.mark.parametrize(
    "kwargs",
    [{"actions": k} for k in KINDS] + [{"action_type": t} for t in TYPES],
    ids=lambda kw: "-".join(map(str, kw.values())),
)
def test_pettingzoo_api_tests_pass_with_each_scheme(
    kwargs: dict[str, Any], roms: dict[str, Path]
) -> None:
    parallel_api_test(
        pettingretro.parallel_env(rom=roms["snes"], players=2, max_cycles=30, **kwargs),
        num_cycles=30,
    )
    api_test(pettingretro.env(rom=roms["snes"], players=2, max_cycles=30, **kwargs), num_cycles=30)


REFERENCE = r"""
import json, shutil, sys, tempfile
from pathlib import Path
import stable_retro as retro

out = {}
root = Path(tempfile.mkdtemp())
retro.data.Integrations.add_custom_path(str(root))
for system, rom in json.loads(sys.argv[1]).items():
    game = f"ActionsRef{system}-{system}"
    (root / game).mkdir()
    shutil.copy(rom, root / game / ("rom" + Path(rom).suffix))
    (root / game / "data.json").write_text('{"info": {}}')
    (root / game / "scenario.json").write_text('{"done": {"variables": {}}, "reward": {"variables": {}}}')
    (root / game / "metadata.json").write_text("{}")
    out[system] = {}
    for kind in ("ALL", "FILTERED", "MULTI_DISCRETE", "DISCRETE"):
        env = retro.make(game, state=retro.State.NONE, inttype=retro.data.Integrations.ALL,
                         use_restricted_actions=getattr(retro.Actions, kind), render_mode=None)
        sp = env.action_space
        size = sp.nvec.tolist() if hasattr(sp, "nvec") else [int(sp.n)] if hasattr(sp, "n") else list(sp.shape)
        out[system][kind] = [list(env.buttons), type(sp).__name__, [int(x) for x in size]]
        env.close()
print(json.dumps(out))
"""

SYSTEMS = {"Nes": "nes", "Snes": "snes", "GameBoy": "gb", "GbAdvance": "gba", "PCEngine": "pce"}


def reference_roms(roms: dict[str, Path], tmp_path: Path) -> dict[str, Path]:
    """A ROM per system with a core here: the test ROMs, Airstriker (Genesis), an ALE ROM."""
    out = {s: roms[k] for s, k in SYSTEMS.items()}
    sr = package_dir("stable_retro")
    assert sr is not None
    out["Genesis"] = sr / "data" / "stable" / "Airstriker-Genesis-v0" / "rom.md"
    ale = package_dir("ale_py")
    assert ale is not None
    # .a26: the extension stable-retro's stella core file names (ale-py's .bin is ambiguous)
    out["Atari2600"] = Path(shutil.copy(ale / "roms" / "breakout.bin", tmp_path / "breakout.a26"))
    return out


def test_spaces_and_button_order_equal_stable_retros(roms: dict[str, Path], tmp_path: Path) -> None:
    script = tmp_path / "reference.py"
    script.write_text(REFERENCE)
    sources = reference_roms(roms, tmp_path)
    arg = json.dumps({s: str(rom) for s, rom in sources.items()})
    res = subprocess.run(
        [sys.executable, str(script), arg], capture_output=True, text=True, check=True, timeout=300
    )
    ref = json.loads(res.stdout.splitlines()[-1])
    names = {"ALL": "all", "FILTERED": "filtered", "MULTI_DISCRETE": "multi_discrete"}
    names["DISCRETE"] = "discrete"
    assert set(ref) == {*SYSTEMS, "Genesis", "Atari2600"}
    for system, rom in sources.items():
        # the same integration folder stable-retro played: no START group is added to it
        folder = tmp_path / f"ActionsRef{system}-{system}"
        folder.mkdir()
        (folder / "data.json").write_text('{"info": {}}')
        (folder / "scenario.json").write_text("{}")
        (folder / "metadata.json").write_text("{}")
        for kind, ours in names.items():
            env = pettingretro.parallel_env(str(folder), rom=rom, actions=ours)
            sp = env.action_space(env.possible_agents[0])
            size = (
                sp.nvec.tolist()
                if hasattr(sp, "nvec")
                else [int(sp.n)]
                if hasattr(sp, "n")
                else list(sp.shape)
            )
            assert [list(env.buttons), type(sp).__name__, size] == ref[system][kind], (
                system,
                kind,
            )
            env.close()


@pytest.mark.parametrize("kind", ["all", "multi_discrete"])
def test_vector_env_steps_array_actions_onto_each_games_ports(
    kind: str, roms: dict[str, Path]
) -> None:
    from pettingretro.vector import vector_env

    def fn(**kw: Any) -> RetroParallelEnv:
        return make(roms["nes"], players=2, actions=kind, **kw)

    venv = vector_env(fn, 2)
    venv.reset(seed=0)
    game = venv.envs[1]
    start = np.asarray(game.action_for(game.possible_agents[1], ["START"]))
    acts = np.stack([np.asarray(nothing(game, game.possible_agents[0]))] * 4)
    for _ in range(STARTUP_STEPS):
        venv.step(acts)
    acts[3] = start  # game 1, second agent
    venv.step(acts)
    assert [bits(e, "nes", p) for e in venv.envs for p in (0, 1)] == [0, 0, 0, held("nes", "START")]
    venv.close()


def test_atari_joysticks_take_every_scheme_and_paddles_refuse() -> None:
    from pettingretro.envs import boxing_v0, pong_v0

    env = boxing_v0.parallel_env(actions="all", obs_type="ram")
    assert env.buttons == ("BUTTON", None, "SELECT", "RESET", "UP", "DOWN", "LEFT", "RIGHT")
    env.reset(seed=0)
    env.step({a: env.action_for(a, ["UP", "BUTTON"]) for a in env.agents})
    env.close()
    with pytest.raises(ValueError, match="paddles"):
        pong_v0.parallel_env(actions="all")


@pytest.mark.parametrize("system", ["nes", "snes", "gb"])
def test_each_multibinary_slot_presses_the_button_it_names(
    roms: dict[str, Path], system: str
) -> None:
    env = make(roms[system], actions="all", players=2 if system != "gb" else 1)
    last = env.possible_agents[-1]
    for i, name in enumerate(env.buttons):
        if name is None:
            continue
        action = np.zeros(len(env.buttons), np.int8)
        action[i] = 1
        env.step({last: action})
        assert bits(env, system, env.num_players - 1) == held(system, name), name
    env.close()


def test_toggled_episodes_repeat_exactly(roms: dict[str, Path]) -> None:
    env = make(roms["nes"], action_type="toggle", players=2)
    n = int(env.action_space("first_0").n)
    seq = np.random.default_rng(1).integers(0, n, (30, 2))
    runs: list[list[tuple[bytes, int, int]]] = []
    for _ in range(2):
        env.reset(seed=0)
        run = []
        for row in seq:
            obs = env.step(dict(zip(env.agents, map(int, row), strict=True)))[0]["first_0"]
            run.append((bytes(obs), bits(env, "nes", 0), bits(env, "nes", 1)))
        runs.append(run)
    assert runs[0] == runs[1]
    assert len({(p0, p1) for _, p0, p1 in runs[0]}) > 5, "the toggles held few button sets"


def test_vector_env_keeps_each_games_toggled_buttons(roms: dict[str, Path]) -> None:
    from pettingretro.vector import vector_env

    fn = functools.partial(make, roms["nes"], players=2, action_type="toggle")
    venv = vector_env(fn, 2)
    venv.reset(seed=0)
    game = venv.envs[0]
    start = game.action_for(game.possible_agents[0], ["START"])
    for _ in range(STARTUP_STEPS):
        venv.step(np.zeros(4, np.int64))
    venv.step(np.array([start, 0, 0, 0]))  # game 0's first agent toggles START on
    for _ in range(3):
        venv.step(np.zeros(4, np.int64))
        assert [bits(e, "nes", p) for e in venv.envs for p in (0, 1)] == [
            held("nes", "START"),
            0,
            0,
            0,
        ]
    venv.close()
