"""mkdocs hook: game pages show their GIF, ``docs/...md`` mentions link, test markers are hidden.

The game pages (``docs/games/<game>.md``) are written per game and read well on GitHub too; the
site adds what only it needs here rather than in every page: the animated GIF that
``scripts/make_docs_assets.py`` renders (``docs/img/games/<module>.gif``) under the page's title,
and links for the repository paths the pages mention in plain text (``docs/notes/stella-core.md``).
The ``# docs: skip (why)`` / ``# docs: requires MODULE`` first lines that steer
tests/docs/test_examples.py are dropped from the code blocks readers see.
"""

from __future__ import annotations

import logging
import posixpath
import re
from pathlib import Path
from typing import Any

log = logging.getLogger("mkdocs.plugins.pettingretro")

_TITLE = re.compile(r"^# (?P<title>.+?)\s*\(`(?P<module>[a-z0-9_]+_v\d+)`\)\s*$", re.M)
_DOCS_PATH = re.compile(r"(?<![\w/.(\[`])docs/(?P<path>[\w/.-]+?\.md)\b")
_MARKER = re.compile(
    r"^([ \t]*```python[^\n]*\n)[ \t]*#\s*docs:\s*(?:skip|requires)\b[^\n]*\n", re.M
)
_FENCE = re.compile(r"^(```|~~~).*?^\1\s*$", re.M | re.S)


def _link_paths(markdown: str, page_uri: str, docs_dir: Path) -> str:
    """Turn ``docs/x/y.md`` in prose (not in code) into a link relative to the page."""
    here = posixpath.dirname(page_uri)

    def link(m: re.Match[str]) -> str:
        target = m.group("path")
        if not (docs_dir / target).is_file():
            return m.group(0)
        rel = posixpath.relpath(target, here or ".")
        return f"[docs/{target}]({rel})"

    out, last = [], 0
    for fence in _FENCE.finditer(markdown):
        out.append(_DOCS_PATH.sub(link, markdown[last : fence.start()]))
        out.append(fence.group(0))
        last = fence.end()
    out.append(_DOCS_PATH.sub(link, markdown[last:]))
    return "".join(out)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Link ``docs/...md`` mentions; on a game page, put its GIF under the title."""
    docs_dir = Path(config["docs_dir"])
    uri = page.file.src_uri
    markdown = _MARKER.sub(r"\1", markdown)
    markdown = _link_paths(markdown, uri, docs_dir)
    if not uri.startswith("games/") or uri == "games/index.md":
        return markdown
    m = _TITLE.search(markdown)
    if m is None:
        log.warning("%s: no '# Title (`module_vN`)' heading, so no GIF is shown", uri)
        return markdown
    module, title = m.group("module"), m.group("title")
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
    return markdown[: m.end()] + figure + markdown[m.end() :]
