"""The documentation site builds with ``mkdocs build --strict``, and every game has its page and GIF."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from pettingretro.envs import ENV_MODULES

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
#: all generated images and benchmark output together (GIFs, plots); they are committed
ASSET_BUDGET = 10 * 1024 * 1024


def assets_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_docs_assets", ROOT / "scripts" / "make_docs_assets.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_mkdocs_build_strict(tmp_path: Path) -> None:
    site = tmp_path / "site"
    res = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=False,
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-5000:]
    # the game pages show their GIF (added by docs/_hooks/games.py), the API pages are generated
    pong = (site / "games" / "pong" / "index.html").read_text()
    assert 'src="../../img/games/pong_v0.gif"' in pong
    host = (site / "api" / "host" / "index.html").read_text()
    assert "Emulator" in host and "step_many" in host
    bench = (site / "benchmarks" / "index.html").read_text()
    assert "ratios" in bench, "the benchmark output is included in the page"
    # a game page opens with its summary table, then the GIF; the wiring is folded away
    body = pong.split("<h1", 1)[1]
    assert body.index("<table") < body.index("pong_v0.gif") < body.index("<h2")
    assert "<td>Observation shape</td>\n<td>(210, 160, 3)</td>" in body
    assert "<details>" in body and "Wiring" in body.split("<details>")[1][:200]
    # repository paths link to the repository, docs paths to their page
    assert (
        'href="https://github.com/pettingretro/pettingretro/blob/main/tests/envs/test_pong.py"'
        in pong
    )
    assert 'href="../../notes/stella-core/"' in pong
    # API signatures are wrapped (by ruff), not one long line
    assert re.search(r"Emulator</span><span class=\"p\">\(</span>\s*\n", host)
    assert (site / "changelog" / "index.html").read_text().count("Unreleased") >= 1


@pytest.mark.parametrize("module", ENV_MODULES)
def test_every_game_has_a_page_and_a_gif(module: str) -> None:
    stem = module.rsplit("_v", 1)[0]
    page = DOCS / "games" / f"{stem}.md"
    assert page.is_file(), f"no page {page.relative_to(ROOT)} for {module}"
    assert re.search(rf"^# .+\(`{module}`\)\s*$", page.read_text(), re.M), (
        f"{page.name}: its title must name `{module}`"
    )
    assert f"games/{stem}.md" in (ROOT / "mkdocs.yml").read_text(), "the page is in the nav"
    assert f"]({stem}.md)" in (DOCS / "games" / "index.md").read_text(), "the games index links it"
    gif = DOCS / "img" / "games" / f"{module}.gif"
    assert gif.is_file(), f"run `python scripts/make_docs_assets.py gifs --only {module}`"
    data = gif.read_bytes()
    assert data[:6] == b"GIF89a"
    assert len(data) < 300 * 1024, f"{gif.name} is {len(data) // 1024} KiB; keep each GIF small"


def test_assets_fit_the_budget() -> None:
    files = [p for d in (DOCS / "img", DOCS / "bench") for p in d.rglob("*") if p.is_file()]
    total = sum(p.stat().st_size for p in files)
    assert total < ASSET_BUDGET, f"docs assets take {total / 2**20:.1f} MiB"


def test_saved_benchmark_output_parses_and_plots(tmp_path: Path) -> None:
    mod = assets_script()
    host = mod.parse_host((DOCS / "bench" / "host.txt").read_text())
    assert [c.name.split(" /")[0] for c in host] == ["stella", "genesis_plus_gx"]
    assert {"ram / ceiling", "rgb / ceiling", "step_many 1t / ceiling", "step_many 2t / 1t"} <= set(
        host[0].ratios
    )
    configs, ratios = mod.parse_envs((DOCS / "bench" / "envs.txt").read_text())
    assert {"ours par rgb", "ours par ram", "ours aec rgb"} <= set(configs)
    assert "ours / PettingZoo, rgb" in ratios
    vector = mod.parse_vector((DOCS / "bench" / "vector.txt").read_text())
    assert sorted(vector.games) == [1, 2, 4, 8, 16]
    assert vector.references and vector.ratios
    paths = mod.make_plots(DOCS / "bench", tmp_path)
    assert [p.name for p in paths] == [
        "host_overhead.png",
        "host_threads.png",
        "envs.png",
        "vector.png",
    ]
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in paths)


def test_parsers_reject_other_text() -> None:
    mod = assets_script()
    for parse in (mod.parse_host, mod.parse_envs, mod.parse_vector):
        with pytest.raises(ValueError, match="output"):
            parse("nothing to see here\n")


def test_gif_script_renders_a_game(tmp_path: Path) -> None:
    mod = assets_script()
    mod.make_gifs(["pong_v0"], frames=12, warmup=3, out_dir=tmp_path)
    from PIL import Image

    with Image.open(tmp_path / "pong_v0.gif") as im:
        assert im.size == (160, 210)
        assert im.n_frames > 1


def games_hook() -> ModuleType:
    spec = importlib.util.spec_from_file_location("games_hook", DOCS / "_hooks" / "games.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("module", ENV_MODULES)
def test_summary_table_is_read_from_the_env(module: str) -> None:
    import importlib

    table = games_hook().summary_table(module)
    rows = dict(re.findall(r"^\| (.+?) \| (.+?) \|$", table, re.M))
    env = importlib.import_module(f"pettingretro.envs.{module}").parallel_env()
    gray = importlib.import_module(f"pettingretro.envs.{module}").parallel_env(
        obs_type="grayscale_image"
    )
    try:
        agent = env.possible_agents[0]
        assert rows["Import"] == f"`from pettingretro.envs import {module}`"
        assert rows["Agents"] == f"`agents= {env.possible_agents}`"
        assert rows["Action values"] == f"[0, {env.action_space(agent).n - 1}]"
        assert rows["Observation shape"] == str(env.observation_space(agent).shape)
        assert rows["Grayscale observation shape"] == str(gray.observation_space(agent).shape)
        assert rows["State shape"] == str(env.state_space.shape)
    finally:
        env.close()
        gray.close()
    page = (DOCS / "games" / f"{module.rsplit('_v', 1)[0]}.md").read_text()
    agents = page.split("## Agents", 1)[1].split("\n## ", 1)[0]
    assert '<details markdown="1">' in agents, "the wiring is in a collapsible block"
