"""mkdocs hook: game pages open with a summary table and their GIF, repository paths link.

The game pages (``docs/games/<game>.md``) are written per game and read well on GitHub too; the
site adds what only it needs here rather than in every page: under the page's title, PettingZoo's
summary table (import, agents, action and observation shapes and values), built from the env
itself so it cannot go stale, then the animated GIF that ``scripts/make_docs_assets.py`` renders
(``docs/img/games/<module>.gif``); and links for the repository paths the pages mention in plain
text: ``docs/notes/stella-core.md`` to its page, ``tests/envs/test_pong.py`` to the repository
(``repo_url``), which readers who installed with pip cannot otherwise open.
The ``# docs: skip (why)`` / ``# docs: requires MODULE`` first lines that steer
tests/docs/test_examples.py are dropped from the code blocks readers see.
"""

from __future__ import annotations

import importlib
import logging
import posixpath
import re
from pathlib import Path
from typing import Any

log = logging.getLogger("mkdocs.plugins.pettingretro")

_TITLE = re.compile(r"^# (?P<title>.+?)\s*\(`(?P<module>[a-z0-9_]+_v\d+)`\)\s*$", re.M)
_DOCS_PATH = re.compile(r"(?<![\w/.(\[`])docs/(?P<path>[\w/.-]+?\.md)\b")
# a repository file in prose or in inline code: tests/envs/test_pong.py, `native/host.c`
_REPO_PATH = re.compile(
    r"(?<![\w/.\[])(?<!\]\()(?P<tick>`?)(?P<path>(?:tests|native|scripts|bench|examples|pettingretro)"
    r"/[\w/.-]*\w\.(?:py|c|h|json|s|asm|md|toml))(?P=tick)(?![\w/(\]])"
)
_MARKER = re.compile(
    r"^([ \t]*```python[^\n]*\n)[ \t]*#\s*docs:\s*(?:skip|requires)\b[^\n]*\n", re.M
)
_FENCE = re.compile(r"^(```|~~~).*?^\1\s*$", re.M | re.S)


def _link_paths(markdown: str, page_uri: str, docs_dir: Path, repo_url: str | None) -> str:
    """Link ``docs/x/y.md`` (to its page) and other repository paths (to the repository).

    Code blocks are left alone: a path there is something to type, not to open.
    """
    here = posixpath.dirname(page_uri)
    root = docs_dir.parent

    def link(m: re.Match[str]) -> str:
        target = m.group("path")
        if not (docs_dir / target).is_file():
            return m.group(0)
        rel = posixpath.relpath(target, here or ".")
        return f"[docs/{target}]({rel})"

    def repo_link(m: re.Match[str]) -> str:
        path, tick = m.group("path"), m.group("tick")
        if repo_url is None or not (root / path).is_file():
            return m.group(0)
        return f"[{tick}{path}{tick}]({repo_url.rstrip('/')}/blob/main/{path})"

    def both(text: str) -> str:
        return _REPO_PATH.sub(repo_link, _DOCS_PATH.sub(link, text))

    out, last = [], 0
    for fence in _FENCE.finditer(markdown):
        out.append(both(markdown[last : fence.start()]))
        out.append(fence.group(0))
        last = fence.end()
    out.append(both(markdown[last:]))
    return "".join(out)


def _shape(space: Any) -> str:
    return str(tuple(int(n) for n in space.shape))


def summary_table(module: str) -> str:
    """PettingZoo's summary table for a game, read from the env (its default arguments)."""
    from pettingretro.registry import envs

    game = importlib.import_module(f"pettingretro.envs.{module}")
    players = next(e.players for e in envs() if e.module == module)
    spaces = {}
    for obs_type in ("rgb_image", "grayscale_image", "ram"):
        env = game.parallel_env(obs_type=obs_type)
        try:
            agent = env.possible_agents[0]
            spaces[obs_type] = env.observation_space(agent)
            agents, action = list(env.possible_agents), env.action_space(agent)
            state = env.state_space
        finally:
            env.close()
    rgb = spaces["rgb_image"]
    others = ", ".join(str(n) for n in players if n != len(agents))
    count = f"{len(agents)}" + (f" (`num_players`: also {others})" if others else "")
    rows = [
        ("Import", f"`from pettingretro.envs import {module}`"),
        ("Actions", "Discrete"),
        ("Parallel API", "Yes"),
        ("Manual control", f"Yes (`pettingretro play {module}`)"),
        ("Agents", f"`agents= {agents}`"),
        ("Agents count", count),
        ("Action shape", "(1,)"),
        ("Action values", f"[0, {int(action.n) - 1}]"),
        ("Observation shape", _shape(rgb)),
        ("Observation values", f"({int(rgb.low.min())}, {int(rgb.high.max())})"),
        ("Grayscale observation shape", _shape(spaces["grayscale_image"])),
        ("RAM observation shape", _shape(spaces["ram"])),
        ("State shape", _shape(state)),
        ("State values", f"({int(state.low.min())}, {int(state.high.max())})"),
    ]
    # the first row is the header: a table of key-value rows has no column names to show
    lines = [
        f"| {rows[0][0]} | {rows[0][1]} |",
        "|---|---|",
        *(f"| {k} | {v} |" for k, v in rows[1:]),
    ]
    return "\n".join(lines) + "\n"


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Link repository paths; on a game page, put its summary table and GIF under the title."""
    docs_dir = Path(config["docs_dir"])
    uri = page.file.src_uri
    markdown = _MARKER.sub(r"\1", markdown)
    markdown = _link_paths(markdown, uri, docs_dir, config.get("repo_url"))
    if not uri.startswith("games/") or uri == "games/index.md":
        return markdown
    m = _TITLE.search(markdown)
    if m is None:
        log.warning("%s: no '# Title (`module_vN`)' heading, so no GIF is shown", uri)
        return markdown
    module, title = m.group("module"), m.group("title")
    table = "\n\n" + summary_table(module)
    markdown = markdown[: m.end()] + table + markdown[m.end() :]
    end = m.end() + len(table)
    if not (docs_dir / "img" / "games" / f"{module}.gif").is_file():
        log.warning(
            "%s: docs/img/games/%s.gif is missing; run `python scripts/make_docs_assets.py gifs "
            "--only %s`",
            uri,
            module,
            module,
        )
        return markdown
    if module == "pong_v0":
        policy = "first_0 follows the ball, second_0 plays at random"
    else:
        policy = "every agent plays at random"
    figure = (
        f"\n\n<figure markdown>\n![{title}, {policy}](../img/games/{module}.gif)"
        "{ width=320 loading=lazy }\n"
        f"<figcaption>{policy.capitalize()} (frameskip 2, rendered by "
        "<code>scripts/make_docs_assets.py</code>)</figcaption>\n</figure>\n"
    )
    return markdown[:end] + figure + markdown[end:]
