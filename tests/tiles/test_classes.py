"""The data.json ``tiles`` block: parsing, validation messages, lookup tables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pettingretro.errors import IntegrationError
from pettingretro.tiles import TileClasses


def test_table_maps_listed_tiles_and_leaves_the_rest_class_zero() -> None:
    classes = TileClasses.parse({"compressed": {"1": [0, 1], "4": [7]}, "minimal": {}}, "d.json")
    assert classes.table("compressed", 9).tolist() == [1, 1, 0, 0, 0, 0, 0, 4, 0]
    assert classes.num_classes("compressed") == 5
    assert classes.table("minimal", 3).tolist() == [0, 0, 0]
    assert classes.num_classes("minimal") == 1


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ([1, 2], r"d.json: tiles: must be an object"),
        ({"tiny": {}}, r"unknown level 'tiny'; use compressed or minimal"),
        ({"minimal": [1]}, r"tiles.minimal: must map class ids"),
        ({"minimal": {"-1": [1]}}, r"class id '-1' must be a non-negative integer"),
        ({"minimal": {"1": [1.5]}}, r'tiles.minimal."1": must be a list of tile ids'),
        ({"minimal": {"1": [True]}}, r'tiles.minimal."1": must be a list of tile ids'),
        ({"minimal": {"1": 3}}, r'tiles.minimal."1": must be a list'),
        ({"minimal": {"1": [3], "2": [3]}}, r"tile 3 is in class 1 and class 2"),
    ],
)
def test_malformed_blocks_name_the_key(block: Any, message: str) -> None:
    with pytest.raises(IntegrationError, match=message):
        TileClasses.parse(block, "d.json")


def test_tiles_out_of_the_consoles_range_and_missing_levels() -> None:
    classes = TileClasses.parse({"minimal": {"1": [400]}}, "d.json")
    with pytest.raises(IntegrationError, match=r"tile 400 is out of range.*0-383"):
        classes.table("minimal", 384)
    with pytest.raises(IntegrationError, match="no 'compressed' level"):
        classes.table("compressed", 384)


def test_load_reads_the_block_from_data_json(tmp_path: Path) -> None:
    assert TileClasses.load(tmp_path) is None, "no data.json: no block"
    (tmp_path / "data.json").write_text(json.dumps({"info": {}}))
    assert TileClasses.load(tmp_path) is None, "no tiles key: no block"
    (tmp_path / "data.json").write_text(json.dumps({"tiles": {"minimal": {"2": [5]}}}))
    loaded = TileClasses.load(tmp_path)
    assert loaded is not None and loaded.table("minimal", 6).tolist() == [0, 0, 0, 0, 0, 2]
    (tmp_path / "data.json").write_text("{not json")
    with pytest.raises(IntegrationError, match="cannot be read as JSON"):
        TileClasses.load(tmp_path)
