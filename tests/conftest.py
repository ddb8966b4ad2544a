"""Shared fixtures: real ROMs from the installed ale-py and stable-retro wheels."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest


def package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.submodule_search_locations, f"{name} is a test dependency"
    return Path(next(iter(spec.submodule_search_locations)))


@pytest.fixture(scope="session")
def ale_roms() -> Path:
    return package_dir("ale_py") / "roms"


@pytest.fixture(scope="session")
def airstriker() -> Path:
    return package_dir("stable_retro") / "data" / "stable" / "Airstriker-Genesis-v0" / "rom.md"
