"""Every Python example in README.md and docs/ runs, each in a fresh namespace and a temporary folder.

A fenced ``python`` block is one example. A block whose first line is ``# docs: skip (why)``
is not run (code for another library, or one that opens a window); keep those rare. A block
whose first line is ``# docs: requires ray, supersuit`` runs where those modules import (an
optional extra's), and is skipped with that reason elsewhere. The working folder holds a copy
of ale-py's ``pong.bin``, as the README's host example expects.
"""

from __future__ import annotations

import re
import shutil
import signal
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: seconds an example may take: examples are meant to be cheap (a few hundred steps at most)
TIME_LIMIT = 60
FENCE = re.compile(
    r"^(?P<indent>[ \t]*)```python[^\n]*\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S
)
SKIP = re.compile(r"#\s*docs:\s*skip\b\s*(?P<why>.*)")
REQUIRES = re.compile(r"#\s*docs:\s*requires\s+(?P<modules>[\w., ]+)")
#: documents whose python blocks are not examples, and why
NOT_EXAMPLES = {
    "docs/design-host.md": "a design note: its block lists the API's signatures, it is not a program",
}


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def examples() -> list[tuple[str, int, str]]:
    """(document, first line of the code, code) for every python block."""
    out = []
    for doc in documents():
        text = doc.read_text(encoding="utf-8")
        for m in FENCE.finditer(text):
            line = text.count("\n", 0, m.start("body")) + 1
            out.append((doc.relative_to(ROOT).as_posix(), line, textwrap.dedent(m.group("body"))))
    return out


EXAMPLES = examples()


def test_examples_are_found() -> None:
    docs = {doc for doc, _, _ in EXAMPLES}
    assert "README.md" in docs and "docs/quickstart.md" in docs
    assert len(EXAMPLES) >= 20
    skipped = [(d, n) for d, n, code in EXAMPLES if SKIP.match(code.lstrip().splitlines()[0])]
    assert len(skipped) <= len(EXAMPLES) // 4, f"too many examples skipped: {skipped}"


@pytest.mark.parametrize(
    ("doc", "line", "code"), EXAMPLES, ids=[f"{d}:{n}" for d, n, _ in EXAMPLES]
)
def test_example_runs(
    doc: str, line: int, code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ale_roms: Path
) -> None:
    if doc in NOT_EXAMPLES:
        pytest.skip(NOT_EXAMPLES[doc])
    first = code.lstrip().splitlines()[0] if code.strip() else ""
    skip = SKIP.match(first)
    if skip:
        pytest.skip(skip.group("why").strip(" ()") or "marked # docs: skip")
    requires = REQUIRES.match(first)
    if requires:
        for name in re.split(r"[,\s]+", requires.group("modules").strip()):
            pytest.importorskip(name, reason=f"the example needs {name} (an optional extra)")
    shutil.copy(ale_roms / "pong.bin", tmp_path / "pong.bin")
    monkeypatch.chdir(tmp_path)
    # the block's own line numbers in tracebacks: pad so line N of the file is line N here
    source = "\n" * (line - 1) + code
    code_obj = compile(source, str(ROOT / doc), "exec")

    def too_slow(signum: int, frame: object) -> None:
        raise TimeoutError(
            f"{doc}:{line} ran over {TIME_LIMIT} s: keep examples to a few hundred steps"
        )

    previous = signal.signal(signal.SIGALRM, too_slow)
    signal.alarm(TIME_LIMIT)
    try:
        exec(code_obj, {"__name__": "__docs_example__"})
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
