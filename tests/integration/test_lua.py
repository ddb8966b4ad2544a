"""Lua reward and done scripts: stable-retro's globals, reload at reset, errors, and real integrations' scripts."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("lupa")

from pettingretro.errors import ScenarioError, ScriptError
from pettingretro.integration.game import load_game, scenario_names
from pettingretro.integration.lua import LuaScripts, defined_functions
from pettingretro.integration.memory import AddressSpace, Overlay, Reader
from pettingretro.integration.scenario import Scenario


def lua(
    source: str, values: dict | None = None, space: AddressSpace | None = None, frame: int = 0
) -> LuaScripts:
    s = LuaScripts([("s.lua", source)], space=space, where="s.json")
    s.reset()
    s.update(values or {}, frame)
    return s


def script_scenario(source: str, spec: dict) -> Scenario:
    return Scenario.parse({**spec, "scripts": ["s.lua"]}, "s.json", sources={"s.lua": source})


# ----------------------------------------------------------------------------- globals


def test_data_reads_variables_by_name() -> None:
    s = lua("function f() return data.score * 2 + data.lives end", {"score": 21, "lives": 3})
    assert s.call_number("f") == 45.0


def test_data_reads_bytes_by_address_through_rambase_and_overlay() -> None:
    ram = np.array([0x12, 0x34, 0x56, 0x78], np.uint8)  # little-endian words
    space = AddressSpace([(0xFF0000, ram)], Overlay("<", ">", 2))
    s = lua(
        'function f() return data[0xFF0000] end  function g() return data["16711681"] end',
        space=space,
    )
    assert s.call_number("f") == 0x34 and s.call_number("g") == 0x12
    s = lua("function f() return data[0xFF0004] end", space=space)
    with pytest.raises(ScriptError, match="Out of bounds access"):
        s.call("f")


def test_data_stores_script_values_until_reset() -> None:
    src = """
    function f()
      if data.prev == nil then data.prev = 0 end  -- unset names are errors, so test with a stored nil
      local d = data.score - data.prev
      data.prev = data.score
      return d
    end
    data.prev = nil
    """
    s = lua(src, {"score": 10})
    assert s.call_number("f") == 10.0
    s.update({"score": 25}, 1)
    assert s.call_number("f") == 15.0
    assert s.stored() == {"prev": 25}
    s.reset()
    s.update({"score": 25}, 0)
    assert s.stored() == {"prev": None} and s.call_number("f") == 25.0


def test_data_errors() -> None:
    s = lua(
        "function f() return data.nope end  function g() data.score = 1 end  function h() data.t = {} end",
        {"score": 1},
    )
    with pytest.raises(
        ScriptError, match=r"s\.json: Lua function f failed: .*data\.nope: no such variable"
    ):
        s.call("f")
    with pytest.raises(ScriptError, match=r"data\.score is a RAM variable"):
        s.call("g")
    with pytest.raises(ScriptError, match="Invalid variable type"):
        s.call("h")


def test_scenario_frame_and_timestep() -> None:
    s = lua(
        "function f() return scenario.frame end  function g() return scenario.timestep end  function h() return scenario.x end",
        frame=9,
    )
    assert s.call_number("f") == 9.0 and s.call_number("g") == 2.0
    with pytest.raises(ScriptError, match="Unknown scenario property"):
        s.call("h")


def test_libraries_are_stable_retros() -> None:
    s = lua(
        "function f() return string.format('%d', math.floor(2.5)) .. table.concat({'a'}) .. type(coroutine) end\n"
        "function absent() return tostring(io) .. tostring(os) .. tostring(require) .. tostring(debug)"
        " .. tostring(python) .. tostring(bit) .. tostring(dofile) end"
    )
    assert s.call("f") == "2atable"
    assert s.call("absent") == "nil" * 7


def test_results_are_converted_like_stable_retro() -> None:
    s = lua(
        "function n() return 2.5 end  function t() return true end  function z() return nil end"
        "  function s() return 'x' end  function two() return 3, 4 end  function zero() return 0 end"
    )
    assert s.call_number("n") == 2.5 and s.call_number("t") == 1.0 and s.call_number("z") == 0.0
    assert s.call_number("s") == 0.0 and s.call_number("two") == 3.0
    assert s.call_bool("t") is True and s.call_bool("zero") is False and s.call_bool("n") is True
    assert s.call_bool("z") is False


def test_errors_name_the_function_and_the_line() -> None:
    s = lua("function f()\n  return nil + 1\nend")
    with pytest.raises(
        ScriptError, match=r"Lua function f failed: s\.lua:2: attempt to perform arithmetic"
    ):
        s.call("f")
    with pytest.raises(ScriptError, match="no Lua function 'g'"):
        s.call("g")
    with pytest.raises(ScriptError, match=r"script s\.lua failed to load: s\.lua:1:"):
        lua("function f( return 1 end")


def test_defined_functions() -> None:
    assert defined_functions(
        [("a.lua", "function f() end"), ("b.lua", "g = function() end  x = 1")]
    ) == {"f", "g"}


# ----------------------------------------------------------------------------- in a scenario


def test_script_reward_and_done_replace_variables() -> None:
    src = "function r() return data.x * 10 end  function d() return data.x > 2 end"
    scen = script_scenario(
        src,
        {
            "reward": {
                "script": "lua:r",
                "variables": {"x": {"reward": 1000}},
                "time": {"reward": 5},
            },
            "done": {"script": "d", "variables": {"x": {"op": "zero"}}},
        },
    )
    ev = scen.evaluator(2)
    ev.reset({"x": 0})
    assert ev.step({"x": 1}, {"x": 1}) == ([10.0, 0.0], False)
    assert ev.step({"x": 3}, {"x": 2}) == ([30.0, 0.0], True)


def test_done_runs_before_rewards_and_reset_runs_them_once_at_frame_zero() -> None:
    src = """
    calls = {}
    function d() calls[#calls + 1] = 'd' .. scenario.frame; return false end
    function r0() calls[#calls + 1] = 'r0'; return #calls end
    function r1() calls[#calls + 1] = 'r1'; return #calls end
    function log() return table.concat(calls, ',') end
    """
    scen = script_scenario(
        src, {"rewards": [{"script": "lua:r0"}, {"script": "lua:r1"}], "done": {"script": "lua:d"}}
    )
    ev = scen.evaluator(2)
    ev.reset({})
    assert ev._lua is not None and ev._lua.call("log") == "d0,r0,r1"
    assert ev.step({}, {}, frames=4) == ([5.0, 6.0], False)
    assert ev._lua.call("log") == "d0,r0,r1,d4,r0,r1"
    ev.reset({})  # a fresh Lua state: globals start over
    assert ev._lua.call("log") == "d0,r0,r1"


def test_missing_script_function_or_file_is_a_scenario_error(tmp_path: Path) -> None:
    with pytest.raises(
        ScenarioError,
        match=r"reward\.script calls lua:nope, which s\.lua does not define \(functions: f\)",
    ):
        script_scenario("function f() end", {"reward": {"script": "lua:nope"}})
    with pytest.raises(ScenarioError, match=r"scripts\[0\]: cannot read .*missing\.lua"):
        Scenario.parse({"scripts": ["missing.lua"]}, str(tmp_path / "scenario.json"))


# ----------------------------------------------------------------------------- real integrations


def _data_root() -> Path:
    spec = importlib.util.find_spec("stable_retro")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("stable-retro is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _script_scenarios() -> list[tuple[str, str]]:
    spec = importlib.util.find_spec("stable_retro")
    if spec is None or not spec.submodule_search_locations:
        return []
    root = Path(next(iter(spec.submodule_search_locations))) / "data"
    out = []
    for folder in sorted(root.glob("*/*")):
        for name in scenario_names(folder):
            text = (folder / f"{name}.json").read_text()
            if '"script' in text:
                out.append((f"{folder.parent.name}/{folder.name}", name))
    return out


SCRIPTED = _script_scenarios()


def test_the_53_scripted_integrations_are_found() -> None:
    if not SCRIPTED:
        pytest.skip("stable-retro is not installed")
    assert len({f for f, _ in SCRIPTED}) >= 50


@pytest.mark.parametrize(("folder", "scenario"), SCRIPTED)
def test_real_scripts_evaluate_over_fake_ram(folder: str, scenario: str) -> None:
    game = load_game(_data_root() / folder, scenario)
    lo = min(v.address for v in game.variables.values())
    hi = max(v.address + v.type.width for v in game.variables.values())
    ram = np.zeros(hi - lo, np.uint8)
    space = AddressSpace([(lo, ram)])
    reader = Reader(game.variables, space)
    ev = game.scenario.evaluator(1, space)
    values = reader.read()
    ev.reset(values)
    for step in range(30):
        ram[:] = (
            step * 7
        ) % 3  # small values: level tables in the Sonic scripts know zone 0, act 0
        new = reader.read()
        rewards, done = ev.step(new, {k: new[k] - values[k] for k in new}, 4)
        values = new
        assert isinstance(rewards[0], float) and isinstance(done, bool)


def test_1942_reward_counts_score_gains_only() -> None:
    ev = load_game(_data_root() / "stable" / "1942-Nes-v0").scenario.evaluator(1)
    ev.reset({"score": 0, "lives": 3})
    assert ev.step({"score": 30, "lives": 3}, {})[0] == [30.0]
    assert ev.step({"score": 30, "lives": 3}, {})[0] == [0.0]
    assert ev.step({"score": 20, "lives": 3}, {})[0] == [0.0]  # previous_score stays 30
    assert ev.step({"score": 50, "lives": 0}, {}) == (
        [20.0],
        True,
    )  # done from the data: lives == 0


def test_sonic2_contest_progress_reward_by_hand() -> None:
    game = load_game(
        _data_root() / "contrib" / "SonicTheHedgehog2CustomLeaderboard-Genesis", "contest"
    )
    base = {name: 0 for name in game.variables} | {"lives": 3, "zone": 0, "act": 0, "game_mode": 12}
    ev = game.scenario.evaluator(1)
    ev.reset({**base, "x": 100})  # the reset evaluation fixes offset_x = -100, end_x = 0x2A40 - 100
    end_x = 0x2A40 - 100
    assert ev.step({**base, "x": 100 + end_x // 2}, {}) == ([(end_x // 2 / end_x) * 9000], False)
    # the level's end: progress 1, plus the time bonus after 3 calls of contest_reward
    rewards, done = ev.step({**base, "x": 100 + end_x}, {})
    assert done is True
    assert rewards[0] == pytest.approx((1 - (end_x // 2) / end_x) * 9000 + (1 - 3 / 18000) * 1000)
