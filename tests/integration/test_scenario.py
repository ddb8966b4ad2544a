"""The scenario language against hand-computed rewards, done conditions, action filters and crops."""

from __future__ import annotations

import numpy as np
import pytest

from pettingretro.errors import ScenarioError
from pettingretro.integration.scenario import OPS, ActionFilter, Crop, Scenario


def reward(spec: dict, values: dict, deltas: dict | None = None, frames: int = 1) -> float:
    scen = Scenario.parse({"reward": spec})
    return scen.rewards[0](values, deltas if deltas is not None else values, frames)


def done(spec: dict, values: dict, deltas: dict | None = None) -> bool:
    return Scenario.parse({"done": spec}).done(values, deltas if deltas is not None else values)


# ----------------------------------------------------------------------------- ops


@pytest.mark.parametrize(
    ("op", "value", "reference", "result"),
    [
        ("equal", 3, 3, 1),
        ("equal", 3, 4, 0),
        ("negative-equal", -3, 3, 1),
        ("negative-equal", 3, 3, 0),
        ("not-equal", 3, 4, 1),
        ("not-equal", 3, 3, 0),
        ("less-than", 2, 3, 1),
        ("less-than", 3, 3, 0),
        ("greater-than", 4, 3, 1),
        ("greater-than", 3, 3, 0),
        ("less-or-equal", 3, 3, 1),
        ("less-or-equal", 4, 3, 0),
        ("greater-or-equal", 3, 3, 1),
        ("greater-or-equal", 2, 3, 0),
        ("nonzero", -2, 0, 1),
        ("nonzero", 0, 5, 0),
        ("zero", 0, 5, 1),
        ("zero", 1, 0, 0),
        ("positive", 1, 0, 1),
        ("positive", 0, 0, 0),
        ("negative", -1, 0, 1),
        ("negative", 0, 0, 0),
        ("sign", -7, 0, -1),
        ("sign", 0, 0, 0),
        ("sign", 9, 0, 1),
    ],
)
def test_each_op(op: str, value: int, reference: int, result: int) -> None:
    assert OPS[op](value, reference) == result
    # through a reward on an absolute measurement: the op result times reward or penalty
    spec = {
        "variables": {
            "x": {
                "measurement": "absolute",
                "op": op,
                "reference": reference,
                "reward": 10,
                "penalty": 100,
            }
        }
    }
    assert reward(spec, {"x": value}) == {1: 10.0, 0: 0.0, -1: -100.0}[result]
    # through a done term: true when the op result is > 0
    assert done({"variables": {"x": {"op": op, "reference": reference}}}, {"x": value}) == (
        result > 0
    )


def test_ops_are_exactly_stable_retros() -> None:
    assert set(OPS) == {
        "equal",
        "negative-equal",
        "not-equal",
        "less-than",
        "greater-than",
        "less-or-equal",
        "greater-or-equal",
        "nonzero",
        "zero",
        "positive",
        "negative",
        "sign",
    }


# ----------------------------------------------------------------------------- measurements, rewards


def test_reward_measures_delta_by_default_and_absolute_when_asked() -> None:
    values, deltas = {"score": 500}, {"score": 20}
    assert reward({"variables": {"score": {"reward": 0.5}}}, values, deltas) == 10.0
    assert (
        reward({"variables": {"score": {"reward": 0.5, "measurement": "absolute"}}}, values, deltas)
        == 250.0
    )
    assert (
        reward({"variables": {"score": {"reward": 0.5, "measurement": "delta"}}}, values, deltas)
        == 10.0
    )


def test_done_measures_absolute_by_default_and_delta_when_asked() -> None:
    values, deltas = {"level": 3}, {"level": 0}
    assert done({"variables": {"level": {"op": "positive"}}}, values, deltas) is True
    assert (
        done({"variables": {"level": {"op": "positive", "measurement": "delta"}}}, values, deltas)
        is False
    )
    # no op: the value itself must be > 0
    assert done({"variables": {"level": {}}}, {"level": 1}) is True
    assert done({"variables": {"level": {}}}, {"level": -1}) is False


def test_reward_and_penalty_default_to_zero() -> None:
    up, down = {"x": 4}, {"x": -4}
    assert reward({"variables": {"x": {"reward": 2}}}, up, up) == 8.0
    assert reward({"variables": {"x": {"reward": 2}}}, down, down) == 0.0  # no penalty given
    assert reward({"variables": {"x": {"penalty": 3}}}, down, down) == -12.0  # -4 * 3
    assert reward({"variables": {"x": {"penalty": 3}}}, up, up) == 0.0
    assert reward({"variables": {"x": {}}}, up, up) == 0.0
    # a zero-sum difference: one score counts up, the other down
    spec = {"variables": {"me": {"reward": 1, "penalty": 1}, "them": {"reward": -1, "penalty": -1}}}
    assert reward(spec, {}, {"me": 1, "them": 0}) == 1.0
    assert reward(spec, {}, {"me": 0, "them": 1}) == -1.0
    assert reward(spec, {}, {"me": -3, "them": 0}) == -3.0


def test_terms_add_up() -> None:
    spec = {"variables": {"a": {"reward": 1}, "b": {"reward": 10}, "c": {"penalty": 100}}}
    assert reward(spec, {}, {"a": 2, "b": 3, "c": -1}) == 2 + 30 - 100


def test_time_term_is_per_frame() -> None:
    assert reward({"time": {"reward": -0.5}}, {}, {}, frames=4) == -2.0
    assert reward({"time": {"reward": -0.5}}, {}, {}, frames=1) == -0.5
    assert (
        reward({"time": {"penalty": 1.0}}, {}, {}, frames=4) == 0.0
    )  # time measures +1: penalty unused
    assert reward({"time": {"op": "equal", "reference": 1, "reward": 2}}, {}, {}, frames=3) == 6.0
    assert reward({"time": {"op": "sign", "reward": 2}}, {}, {}, frames=3) == 6.0
    assert reward({"time": {"op": "negative-equal", "reference": 1, "reward": 2}}, {}, {}) == 0.0
    both = {"time": {"reward": -1}, "variables": {"x": {"reward": 1}}}
    assert reward(both, {}, {"x": 5}, frames=2) == 3.0


# ----------------------------------------------------------------------------- done nodes


def test_any_and_all_at_the_top() -> None:
    spec = {"variables": {"lives": {"op": "zero"}, "time": {"op": "zero"}}}
    assert done(spec, {"lives": 0, "time": 9}) is True
    assert done({**spec, "condition": "all"}, {"lives": 0, "time": 9}) is False
    assert done({**spec, "condition": "all"}, {"lives": 0, "time": 0}) is True
    assert done(spec, {"lives": 1, "time": 9}) is False


def test_nested_nodes() -> None:
    # done when the level rises, or (lives are 0 and the player is in state 15)
    spec = {
        "variables": {"level": {"measurement": "delta", "op": "positive"}},
        "nodes": {
            "dead": {
                "condition": "all",
                "variables": {"lives": {"op": "zero"}, "state": {"op": "equal", "reference": 15}},
            }
        },
    }
    assert (
        done(spec, {"level": 1, "lives": 0, "state": 3}, {"level": 0, "lives": 0, "state": 0})
        is False
    )
    assert (
        done(spec, {"level": 1, "lives": 0, "state": 15}, {"level": 0, "lives": 0, "state": 0})
        is True
    )
    assert (
        done(spec, {"level": 2, "lives": 2, "state": 3}, {"level": 1, "lives": 0, "state": 0})
        is True
    )
    # two levels deep, all of (all of (a, b), any of (c, d))
    deep = {
        "condition": "all",
        "nodes": {
            "ab": {"condition": "all", "variables": {"a": {}, "b": {}}},
            "cd": {"nodes": {"c": {"variables": {"c": {}}}, "d": {"variables": {"d": {}}}}},
        },
    }
    on = {"a": 1, "b": 1, "c": 0, "d": 1}
    assert done(deep, on) is True
    assert done(deep, {**on, "b": 0}) is False
    assert done(deep, {**on, "d": 0}) is False
    assert done(deep, {**on, "c": 1, "d": 0}) is True


def test_empty_nodes() -> None:
    never = Scenario.parse({}).done
    assert never.empty and never({}, {}) is False
    always = Scenario.parse(
        {"done": {"condition": "all"}}
    ).done  # stable-retro: all of nothing holds
    assert not always.empty and always({}, {}) is True
    # an empty child under "any" never fires; under "all" it does not block
    assert done({"variables": {"x": {}}, "nodes": {"e": {}}}, {"x": 0}) is False
    assert (
        done(
            {"condition": "all", "variables": {"x": {}}, "nodes": {"e": {"condition": "all"}}},
            {"x": 1},
        )
        is True
    )


# ----------------------------------------------------------------------------- players


def test_single_reward_goes_to_player_zero_only() -> None:
    scen = Scenario.parse({"reward": {"variables": {"score": {"reward": 1}}}})
    ev = scen.evaluator(3)
    ev.reset({"score": 0})
    assert ev.step({"score": 7}, {"score": 7}) == ([7.0, 0.0, 0.0], False)


def test_per_player_rewards() -> None:
    scen = Scenario.parse(
        {
            "rewards": [
                {"variables": {"p1": {"reward": 1}, "p2": {"reward": -1}}},
                {"variables": {"p1": {"reward": -1}, "p2": {"reward": 1}}},
                {"variables": {"p1": {"reward": 100}}},  # beyond 2 players: ignored
            ],
            "done": {"variables": {"p1": {"op": "equal", "reference": 21}}},
        }
    )
    ev = scen.evaluator(2)
    ev.reset({"p1": 0, "p2": 0})
    assert ev.step({"p1": 1, "p2": 0}, {"p1": 1, "p2": 0}) == ([1.0, -1.0], False)
    assert ev.step({"p1": 21, "p2": 3}, {"p1": 0, "p2": 1}) == ([-1.0, 1.0], True)
    # fewer entries than players: the rest get 0
    assert scen.evaluator(4).step({"p1": 1, "p2": 0}, {"p1": 1, "p2": 0})[0] == [
        1.0,
        -1.0,
        100.0,
        0.0,
    ]
    assert scen.reward_for(3) is None


def test_evaluator_multiplies_time_by_frames() -> None:
    ev = Scenario.parse({"reward": {"time": {"reward": -0.25}}}).evaluator(1)
    ev.reset({})
    assert ev.step({}, {}, frames=4) == ([-1.0], False)
    assert ev.frame == 4


# ----------------------------------------------------------------------------- actions


GB_BUTTONS = ["B", None, "SELECT", "START", "UP", "DOWN", "LEFT", "RIGHT", "A"]
GROUPS = [[[], ["UP"], ["DOWN"]], [[], ["LEFT"], ["RIGHT"]], [[], ["A"], ["B"], ["A", "B"]]]
UP, DOWN, LEFT, RIGHT, A, B, START = 1 << 4, 1 << 5, 1 << 6, 1 << 7, 1 << 8, 1 << 0, 1 << 3


def test_action_filter_keeps_allowed_combos_per_group() -> None:
    f = ActionFilter(GROUPS, GB_BUTTONS)
    assert f.filter(UP | LEFT | A | B) == UP | LEFT | A | B
    assert f.filter(UP | DOWN | A) == A  # UP+DOWN is no combo of its group: both dropped
    assert f.filter(START | RIGHT) == RIGHT  # START is in no group
    assert f.filter(0) == 0


def test_action_filter_order_is_stable_retros() -> None:
    f = ActionFilter(GROUPS, GB_BUTTONS)
    # groups by ascending mask (UP|DOWN 0x30, LEFT|RIGHT 0xC0, A|B 0x101), combos ascending
    assert f.valid_actions() == [[0, UP, DOWN], [0, LEFT, RIGHT], [0, B, A, A | B]]
    combos = f.combos()
    assert len(combos) == 4 * 3 * 3
    # Actions.DISCRETE: action a picks combo a % len(first group), then a //= len, ...
    for a in (0, 1, 5, 17, 35):
        want, rest = 0, a
        for group in f.valid_actions():
            want |= group[rest % len(group)]
            rest //= len(group)
        assert combos[a] == want


def test_action_filter_first_group_of_a_mask_wins_and_bad_names_fail() -> None:
    f = ActionFilter([[[], ["A"]], [[], ["A"], ["A"]], [["A"]]], GB_BUTTONS)
    assert f.groups == ((A, (0, A)),)
    with pytest.raises(ScenarioError, match=r"actions\[0\]\[1\]: no button 'C'"):
        ActionFilter([[[], ["C"]]], GB_BUTTONS)


def test_scenario_actions_override_the_systems() -> None:
    scen = Scenario.parse({"actions": [[[], ["A"], ["START"]]]})
    f = scen.action_filter(GB_BUTTONS, default=GROUPS)
    assert f is not None and f.valid_actions() == [[0, START, A]]
    plain = Scenario.parse({}).action_filter(GB_BUTTONS, default=GROUPS)
    assert plain is not None and plain.valid_actions()[2] == [0, B, A, A | B]
    assert Scenario.parse({}).action_filter(GB_BUTTONS) is None


# ----------------------------------------------------------------------------- crops


def test_crop_as_stable_retros_get_screen() -> None:
    screen = np.arange(224 * 320).reshape(224, 320)
    assert Crop(0, 0, 0, 0).apply(screen).shape == (224, 320)
    assert Crop(0, 0, 256, 0).apply(screen).shape == (224, 256)
    assert Crop(16, 8, 256, 200).apply(screen)[0, 0] == screen[8, 16]
    assert Crop(16, 8, 400, 500).shape(224, 320) == (216, 304)  # past the edge: to the edge
    scen = Scenario.parse({"crop": [0, 16, 256, 200]})
    assert scen.crop == (0, 16, 256, 200) and scen.crop_for(1) == Crop(0, 16, 256, 200)
    per = Scenario.parse({"crops": [[0, 0, 100, 0], None]})
    assert (
        per.crop_for(0) == Crop(0, 0, 100, 0)
        and per.crop_for(1) is None
        and per.crop_for(5) is None
    )
    assert Scenario.parse({}).crop_for(0) is None


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (
            {"reward": {"variables": {"x": {"op": "equals"}}}},
            r"s\.json: reward\.variables\.x\.op: unknown op 'equals'",
        ),
        (
            {"done": {"variables": {"x": {"measurement": "abs"}}}},
            r"done\.variables\.x\.measurement: unknown measurement",
        ),
        (
            {"done": {"nodes": {"n": {"variables": {"x": {"op": "bigger"}}}}}},
            r"done\.nodes\.n\.variables\.x\.op: unknown op",
        ),
        (
            {"reward": {"variables": {"x": {"reward": "1"}}}},
            r"reward\.variables\.x\.reward: must be a number",
        ),
        (
            {"reward": {"variables": {"x": {"penality": 1}}}},
            r"reward\.variables\.x: unknown key 'penality'",
        ),
        (
            {"done": {"variables": {"x": {"reference": 0.5}}}},
            r"done\.variables\.x\.reference: must be an integer",
        ),
        ({"done": {"condition": "some"}}, r"done\.condition: must be 'any' or 'all'"),
        ({"done": {"nodes": {"n": {"script": "lua:f"}}}}, r"done\.nodes\.n: unknown key 'script'"),
        ({"reward": {}, "rewards": [{}]}, r"both 'reward' and 'rewards'"),
        ({"rewards": {}}, r"'rewards' must be a non-empty list"),
        (
            {"rewards": [{"variables": {"x": 3}}]},
            r"rewards\[0\]\.variables\.x: variable 'x' must be a JSON object",
        ),
        ({"crop": [0, 0, 256]}, r"crop: must be \[x, y, width, height\]"),
        ({"actions": [["UP"]]}, r"actions\[0\]\[0\]: a combo must be a list"),
        ({"reward": {"script": "python:f"}, "scripts": []}, r"reward\.script: only Lua scripts"),
        (
            {"reward": {"script": "lua:f"}},
            r"reward\.script calls lua:f but the scenario lists no 'scripts'",
        ),
        ({"scripts": ["x.py"]}, r"scripts\[0\]: 'x\.py' is not a Lua file"),
        ({"rewrad": {}}, r"unknown key 'rewrad'"),
    ],
)
def test_bad_scenarios_name_the_file_and_key(data: dict, match: str) -> None:
    with pytest.raises(ScenarioError, match=match):
        Scenario.parse(data, "s.json")


def test_variables_lists_everything_read() -> None:
    scen = Scenario.parse(
        {
            "rewards": [{"variables": {"a": {}}}, {"variables": {"b": {}}}],
            "done": {
                "variables": {"c": {}},
                "nodes": {"n": {"nodes": {"m": {"variables": {"d": {}}}}}},
            },
        }
    )
    assert scen.variables() == {"a", "b", "c", "d"}
