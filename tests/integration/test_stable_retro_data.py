"""Every integration stable-retro ships loads and validates without its ROM; bad input names the file and key."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from pettingretro.integration.game import (
    IntegrationError,
    load_game,
    scenario_names,
    validate_integration,
)

ENVS = Path(__file__).resolve().parents[2] / "pettingretro" / "envs"


def _integrations() -> list[str]:
    spec = importlib.util.find_spec("stable_retro")
    if spec is None or not spec.submodule_search_locations:
        return []
    root = Path(next(iter(spec.submodule_search_locations))) / "data"
    return sorted(f"{p.parent.parent.name}/{p.parent.name}" for p in root.glob("*/*/data.json"))


INTEGRATIONS = _integrations()


def _root() -> Path:
    spec = importlib.util.find_spec("stable_retro")
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def test_stable_retro_ships_over_a_thousand_integrations() -> None:
    if not INTEGRATIONS:
        pytest.skip("stable-retro is not installed")
    assert len(INTEGRATIONS) >= 1000


@pytest.mark.parametrize("folder", INTEGRATIONS)
def test_every_stable_retro_integration_validates(folder: str) -> None:
    names = validate_integration(_root() / folder)
    assert set(names) == {p.stem for p in (_root() / folder).glob("*.json")} - {"data", "metadata"}


@pytest.mark.parametrize(
    "folder", sorted(p.name for p in ENVS.iterdir() if (p / "data.json").exists())
)
def test_project_games_validate(folder: str) -> None:
    assert validate_integration(ENVS / folder) == ["scenario"]


# ----------------------------------------------------------------------------- bad input


def write(
    folder: Path, data: object = None, scenario: object = None, metadata: object = None
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    files = {"data.json": data, "scenario.json": scenario, "metadata.json": metadata}
    for name, content in files.items():
        if content is not None:
            (folder / name).write_text(content if isinstance(content, str) else json.dumps(content))
    return folder


DATA = {
    "info": {"score": {"address": 128, "type": ">d2"}, "lives": {"address": 130, "type": "|u1"}}
}


def test_a_good_folder_loads(tmp_path: Path) -> None:
    g = load_game(
        write(
            tmp_path / "Game-Nes-v0",
            DATA,
            {"reward": {"variables": {"score": {"reward": 1}}}},
            {"default_state": "Start"},
        )
    )
    assert set(g.variables) == {"score", "lives"} and g.scenario.variables() == {"score"}
    assert g.scenarios() == ["scenario"]


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (
            {"info": {"lives": {"address": 1, "type": "|x1"}}},
            r"data\.json: info\.lives\.type: bad type '\|x1'",
        ),
        ({"info": {"lives": {"address": 1, "type": "|u9"}}}, r"info\.lives\.type: bad type '\|u9'"),
        ({"info": {"lives": {"address": 1}}}, r"info\.lives\.type: missing"),
        (
            {"info": {"lives": {"address": "0x80", "type": "|u1"}}},
            r"info\.lives\.address: must be a non-negative integer",
        ),
        (
            {"info": {"lives": {"address": 1, "type": "|u1", "mask": 1.5}}},
            r"info\.lives\.mask: must be an integer",
        ),
        (
            {"info": {"lives": {"address": 1, "type": "|u1", "maks": 1}}},
            r"info\.lives: unknown key 'maks'",
        ),
        ({"lives": {"address": 1, "type": "|u1"}}, r"data\.json: needs an 'info' object"),
        ("{not json", r"data\.json is not valid JSON"),
    ],
)
def test_bad_data_json(tmp_path: Path, data: object, match: str) -> None:
    with pytest.raises(IntegrationError, match=match):
        load_game(write(tmp_path / "G", data))


@pytest.mark.parametrize(
    ("scenario", "match"),
    [
        (
            {"done": {"variables": {"lives": {"op": "equals"}}}},
            r"scenario\.json: done\.variables\.lives\.op: unknown op 'equals'",
        ),
        (
            {"reward": {"variables": {"time": {"reward": 1}}}},
            r"scenario\.json: reward\.variables\.time: no variable 'time' in .*data\.json",
        ),
        (
            {"rewards": [{}, {"variables": {"p2": {}}}]},
            r"rewards\[1\]\.variables\.p2: no variable 'p2'",
        ),
        (
            {"done": {"nodes": {"dead": {"variables": {"hp": {"op": "zero"}}}}}},
            r"done\.nodes\.dead\.variables\.hp: no variable 'hp'",
        ),
        ({"done": {"variables": {"level": {}}}}, r"done\.variables\.level: no variable 'level'"),
        (
            {"reward": {"script": "lua:f"}, "scripts": ["script.lua"]},
            r"scenario\.json: scripts\[0\]: cannot read .*script\.lua",
        ),
    ],
)
def test_bad_scenario_json(tmp_path: Path, scenario: object, match: str) -> None:
    with pytest.raises(IntegrationError, match=match):
        load_game(write(tmp_path / "G", DATA, scenario))


def test_bad_lua_script_names_its_file(tmp_path: Path) -> None:
    pytest.importorskip("lupa")
    folder = write(tmp_path / "G", DATA, {"reward": {"script": "lua:f"}, "scripts": ["script.lua"]})
    (folder / "script.lua").write_text("function f()\n  return 1 +\nend\n")
    with pytest.raises(
        IntegrationError,
        match=r"scenario\.json: .*script script\.lua failed to load: script\.lua:3:",
    ):
        load_game(folder)
    (folder / "script.lua").write_text("function g() return 1 end\n")
    with pytest.raises(
        IntegrationError, match=r"reward\.script calls lua:f, which script\.lua does not define"
    ):
        load_game(folder)


def test_bad_metadata_and_buttons(tmp_path: Path) -> None:
    with pytest.raises(
        IntegrationError, match=r"metadata\.json: default_player_state: must be a list"
    ):
        load_game(write(tmp_path / "A", DATA, {}, {"default_player_state": "Start"}))
    with pytest.raises(IntegrationError, match=r"metadata\.json: must hold a JSON object"):
        load_game(write(tmp_path / "B", DATA, {}, [1]))
    # an NES game's scenario naming a button the NES does not have
    actions = {"actions": [[[], ["A"], ["C"]]]}
    if importlib.util.find_spec("stable_retro") is None:
        pytest.skip("system button names come from stable-retro's core files")
    with pytest.raises(IntegrationError, match=r"scenario\.json: actions\[0\]\[2\]: no button 'C'"):
        load_game(write(tmp_path / "Game-Nes-v0", DATA, actions))


def test_missing_files(tmp_path: Path) -> None:
    with pytest.raises(IntegrationError, match="does not exist"):
        load_game(tmp_path / "nowhere")
    with pytest.raises(IntegrationError, match=r"data\.json is missing"):
        load_game(write(tmp_path / "G", None, {}))
    with pytest.raises(
        IntegrationError, match=r"contest\.json is missing \(scenarios in .*: none\)"
    ):
        load_game(write(tmp_path / "C", DATA), "contest")
    assert scenario_names(write(tmp_path / "H", DATA)) == []
    assert validate_integration(tmp_path / "H") == []


def test_every_stable_retro_folder_is_made_by_its_own_name() -> None:
    """All 1,068 folders, the 62 without a ``-vN`` suffix included (24 of those hold only a
    data.json; the other 38 once resolved to a different ``-v0`` folder)."""
    from pettingretro.registry import resolve

    wrong = [f for f in INTEGRATIONS if Path(str(resolve(f.split("/")[1]).path)) != _root() / f]
    assert not wrong, wrong[:10]


def test_a_data_only_folder_plays_with_a_rom_given(tmp_path: Path) -> None:
    import pettingretro
    from pettingretro.testing.roms import TEST_ROMS, build_rom

    folder = _root() / "experimental" / "AdventureIsland-GameBoy"
    assert sorted(p.name for p in folder.iterdir()) == ["data.json"]
    rom = build_rom("gb", tmp_path)
    env = pettingretro.parallel_env("AdventureIsland-GameBoy", rom=rom, obs_type="ram")
    assert env.possible_agents == ["first_0"]
    env.reset(seed=0)
    env.step({"first_0": 0})
    assert env.emu is not None and env.emu.core_path.name.startswith(TEST_ROMS["gb"].core)
    env.close()
