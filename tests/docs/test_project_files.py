"""The files a first-day user or contributor reads agree with each other and with the code."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import tomllib
import yaml

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]


def mkdocs_config() -> dict[str, object]:
    text = (ROOT / "mkdocs.yml").read_text()
    # mkdocs' !!python/name tags are not needed here: drop them for the safe loader
    return yaml.safe_load(re.sub(r"!!python/\S+", "", text))


def test_licence_file_is_the_one_pyproject_names() -> None:
    assert PROJECT["license"] == {"text": "MIT"}
    licence = (ROOT / "LICENSE").read_text()
    assert licence.startswith("MIT License") and "WITHOUT WARRANTY OF ANY KIND" in licence
    assert "License :: OSI Approved :: MIT License" in PROJECT["classifiers"]


def test_urls_agree_between_pyproject_mkdocs_and_citation() -> None:
    config = mkdocs_config()
    urls = PROJECT["urls"]
    assert urls["Repository"] == config["repo_url"]
    assert urls["Documentation"] == config["site_url"]
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert citation["repository-code"] == config["repo_url"]
    assert citation["version"] == PROJECT["version"] == metadata.version("pettingretro")
    assert citation["license"] == "MIT" and citation["cff-version"] == "1.2.0"


def test_supported_platforms_are_stated() -> None:
    classifiers = PROJECT["classifiers"]
    assert "Operating System :: POSIX :: Linux" in classifiers
    assert any(c.startswith("Programming Language :: Python :: 3.") for c in classifiers)


def test_contributing_names_every_package_the_test_setup_installs() -> None:
    script = (ROOT / "scripts" / "setup-test").read_text()
    debs = re.search(r"DEBS=\((.*?)\)", script, re.S)
    assert debs is not None
    contributing = (ROOT / "CONTRIBUTING.md").read_text()
    for package in debs.group(1).split():
        assert f"`{package}`" in contributing, f"CONTRIBUTING.md does not say why {package}"
    assert "scripts/setup-test && .venv/bin/python -m pytest -n 2" in contributing


def test_install_needs_and_data_folder_are_in_readme_and_quick_start() -> None:
    for doc in ("README.md", "docs/quickstart.md"):
        text = (ROOT / doc).read_text()
        assert "C compiler" in text and "python3-dev" in text, doc
        assert "PETTINGRETRO_DATA_DIR" in text and "~/.local/share/pettingretro" in text, doc
        assert "current folder" in text, f"{doc}: say where the demo video goes"


def test_gymnasium_downgrade_is_said_where_train_is_installed() -> None:
    readme = (ROOT / "README.md").read_text()
    assert '".[train]"' in readme and "gymnasium" in readme.split('".[train]"', 1)[1][:300]
    ray_pin = next(
        r for r in metadata.requires("ray") or [] if r.startswith("gymnasium==") and "rllib" in r
    )
    pinned = ray_pin.split("==")[1].split(";")[0].strip()
    assert f"gymnasium {pinned}" in readme, f"the README's gymnasium pin is not Ray's ({pinned})"


def test_docs_extra_can_format_signatures() -> None:
    docs = PROJECT["optional-dependencies"]["docs"]
    assert any(re.match(r"(ruff|black)\b", d) for d in docs)


def test_changelog_and_citing_pages_are_in_the_site() -> None:
    nav = str(mkdocs_config()["nav"])
    assert "changelog.md" in nav and "citing.md" in nav
    assert (ROOT / "docs" / "changelog.md").read_text().strip() == '--8<-- "CHANGELOG.md"'
    assert "## Unreleased" in (ROOT / "CHANGELOG.md").read_text()
