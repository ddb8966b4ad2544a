"""Declared rules: lives and stall timers read from a game's metadata, and their checks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pettingretro.envs import pong_v0
from pettingretro.envs._factory import ENVS_DIR
from pettingretro.errors import IntegrationError
from pettingretro.parallel.env import RetroParallelEnv
from pettingretro.parallel.game import GameDef, Rules
from pettingretro.parallel.rules import DeclaredData, DeclaredRules

VARIABLES = {"ball": None, "server": None, "p1": None, "p2": None}
PONG_STALL = {
    "while": {"variable": "ball", "mask": 240, "op": "zero"},
    "frames": 120,
    "penalty": -1,
    "teams": [
        {"when": {"variable": "server", "op": "zero"}, "players": [1, 3]},
        {"players": [0, 2]},
    ],
}


def declared(block: dict[str, Any], num_players: int = 2, players: int = 2) -> DeclaredRules:
    """Rules for ``num_players`` from a block checked for a game of up to ``players``."""
    data = DeclaredData.parse(block, "meta.json", VARIABLES, players)
    return DeclaredRules(data, Rules(num_players, None))


def run(rules: DeclaredRules, values: list[dict[str, int]], frames: int = 1) -> list[list[float]]:
    """Each step's rewards (starting from 0.5 each, to show adding apart from replacing)."""
    rules.reset(values[0])
    out = []
    for v in values:
        rewards = np.full(rules.num_players, 0.5)
        rules.step(v, {}, rewards, frames)
        out.append(rewards.tolist())
    return out


def test_stall_penalises_the_team_the_condition_picks_once_per_count() -> None:
    rules = declared({"stall": PONG_STALL}, num_players=4, players=4)
    still = {"ball": 0x0F, "server": 0}  # the low nibble is masked off: still
    got = run(rules, [still] * 240 + [{"ball": 0x10, "server": 0}] + [still] * 119)
    penalised = [i for i, r in enumerate(got) if r != [0.5] * 4]
    assert penalised == [119, 239], "the 120th still frame, then the count restarts"
    assert got[119] == [0.5, -0.5, 0.5, -0.5], "server 0: the second and fourth players, added"
    rules.reset(still)
    rewards = np.zeros(4)
    for _ in range(120):
        rules.step({"ball": 0, "server": 1}, {}, rewards, 1)
    assert rewards.tolist() == [-1.0, 0.0, -1.0, 0.0], "any other server: the first and third"


def test_stall_skips_players_beyond_the_player_count() -> None:
    got = run(declared({"stall": PONG_STALL}, players=4), [{"ball": 0, "server": 0}] * 120)
    assert got[-1] == [0.5, -0.5]


def test_replace_and_moving_step_counts_as_double_dunk_counts() -> None:
    block = {
        "stall": {
            "while": [
                {"variable": "p1", "op": "zero"},
                {"variable": "p1", "mask": 192, "op": "nonzero"},
            ],
            "frames": 121,
            "moving_step_counts": True,
            "penalty": -1,
            "replace": True,
            "teams": [
                {"when": {"variable": "p1", "op": "zero"}, "players": [0, 1]},
                {"when": {"variable": "p1", "mask": 64, "op": "nonzero"}, "players": [1]},
                {"players": [0]},
            ],
        }
    }
    # 7 frames a step: after a moving step its 7 frames count, so 17 still steps reach 126
    steps = [{"p1": 5}] + [{"p1": 0x40}] * 17
    got = run(declared(block), steps, frames=7)
    assert got[-1] == [0.0, -1.0] and all(r == [0.5, 0.5] for r in got[:-1])
    pong = {**block["stall"], "moving_step_counts": False}
    got = run(declared({"stall": pong}), [*steps, {"p1": 0x80}], frames=7)
    assert got[-2] == [0.5, 0.5] and got[-1] == [-1.0, 0.0], "without: one step later"
    got = run(declared(block), [{"p1": 0}] * 18, frames=7)
    assert got[-1] == [-1.0, -1.0] and got[-2] == [0.5, 0.5]


def test_lives_read_shift_and_offset() -> None:
    rules = declared({"lives": {"variables": ["p1", "p2"], "shift": [0, 4], "offset": -1}})
    assert rules.lives({"p1": 3, "p2": 0x20}) == [2, 1]
    assert declared({"lives": {"variables": ["p1", "p1"]}}).lives({"p1": 2}) == [2, 2]


def test_a_python_step_runs_after_the_declared_rules() -> None:
    class Double(Rules):
        def step(self, values, deltas, rewards, frames) -> bool:
            rewards *= 2
            return values["p1"] == 9

    data = DeclaredData.parse({"stall": PONG_STALL}, "meta.json", VARIABLES, 4)
    rules = DeclaredRules(data, Double(2, None))
    rules.reset({"ball": 0, "server": 0})
    rewards = np.zeros(2)
    over = [rules.step({"ball": 0, "server": 0, "p1": 9}, {}, rewards, 120)]
    assert rewards.tolist() == [0.0, -2.0] and over == [True]


@pytest.mark.parametrize(
    ("block", "match"),
    [
        ({"lives": ["p1"]}, r"meta.json: lives: must be a JSON object"),
        (
            {"lives": {"variables": ["p1"]}},
            r"lives.variables must list one variable per player \(4\)",
        ),
        (
            {"lives": {"variables": ["p1"] * 3 + ["nope"]}},
            r"lives.variables\[3\]: 'nope' is not a data.json variable",
        ),
        (
            {"lives": {"variables": ["p1"] * 4, "shift": [1, 2]}},
            r"lives.shift must be one integer or one per variable",
        ),
        ({"lives": {"variables": ["p1"] * 4, "shift": -1}}, r"lives.shift must be at least 0"),
        ({"lives": {"variables": ["p1"] * 4, "ofset": 1}}, r"lives: unknown key 'ofset'"),
        ({"stall": {**PONG_STALL, "frames": 0}}, r"stall.frames must be at least 1"),
        ({"stall": {**PONG_STALL, "frames": "120"}}, r"stall.frames must be an integer, got '120'"),
        (
            {"stall": {k: v for k, v in PONG_STALL.items() if k != "penalty"}},
            r"stall.penalty is required",
        ),
        ({"stall": {**PONG_STALL, "while": []}}, r"stall.while: needs at least one condition"),
        (
            {"stall": {**PONG_STALL, "while": {"variable": "ball", "op": "zeroes"}}},
            r"stall.while.op: unknown op 'zeroes'",
        ),
        (
            {"stall": {**PONG_STALL, "while": [{"variable": "bal", "op": "zero"}]}},
            r"stall.while\[0\].variable: 'bal' is not",
        ),
        ({"stall": {**PONG_STALL, "teams": []}}, r"stall.teams must be a list"),
        (
            {"stall": {**PONG_STALL, "teams": [{"players": [4]}]}},
            r"stall.teams\[0\].players must be a list of player indices 0 to 3",
        ),
        (
            {
                "stall": {
                    **PONG_STALL,
                    "teams": [{"when": {"variable": "p1", "op": "zero"}, "players": [0]}],
                }
            },
            r"the last team needs no 'when'",
        ),
        ({"stall": {**PONG_STALL, "replace": 1}}, r"stall.replace must be true or false"),
    ],
)
def test_bad_blocks_name_the_file_and_key(block: dict[str, Any], match: str) -> None:
    with pytest.raises(IntegrationError, match=match):
        DeclaredData.parse(block, "meta.json", VARIABLES, 4)


def copy_pong(tmp_path: Path, **changes: Any) -> GameDef:
    folder = tmp_path / "pong"
    shutil.copytree(ENVS_DIR / "pong", folder)
    meta = json.loads((folder / "metadata.json").read_text())
    meta["pettingretro"].update(changes)
    (folder / "metadata.json").write_text(json.dumps(meta))
    return GameDef("pong_copy_v0", "pong", mode_for=pong_v0.mode_for, data=str(folder))


def test_a_bad_block_stops_the_env_with_the_file_named(tmp_path: Path) -> None:
    game = copy_pong(tmp_path, lives={"variables": ["ball_state", "server", "ball_state", "servr"]})
    with pytest.raises(
        IntegrationError,
        match=r"pong/metadata.json: lives.variables\[3\]: 'servr' is not a data.json",
    ):
        RetroParallelEnv(game, obs_type="ram")


def test_lives_declared_twice_are_refused(tmp_path: Path) -> None:
    class Lives(Rules):
        def lives(self, values):
            return (0, 0)

    game = copy_pong(tmp_path, lives={"variables": ["ball_state"] * 4})
    game = GameDef(game.env_name, game.folder, Lives, data=game.data)
    with pytest.raises(IntegrationError, match=r"in the metadata and in Lives.lives; keep one"):
        game.make_rules(2, None)
    assert GameDef(game.env_name, game.folder, data=game.data).make_rules(2, None).lives(
        {"ball_state": 3}
    ) == [3, 3, 3, 3]
