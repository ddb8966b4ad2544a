"""Every Python example in README.md and docs/ runs, each in a fresh namespace and a temporary folder.

A fenced ``python`` block is one example. A block whose first line is ``# docs: skip (why)``
is not an example to run (code for another library, a window, hours of training): it is left
out of the examples, and a test checks that it says why; keep those rare. A block whose first
line is ``# docs: requires ray, supersuit`` needs the ``train`` extra, which the test command
installs. The working folder holds a copy of ale-py's ``pong.bin``.
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


def _first_line(code: str) -> str:
    return code.lstrip().splitlines()[0] if code.strip() else ""


ALL_BLOCKS = examples()
NOT_RUN = [
    (d, n, code) for d, n, code in ALL_BLOCKS if d in NOT_EXAMPLES or SKIP.match(_first_line(code))
]
EXAMPLES = [b for b in ALL_BLOCKS if b not in NOT_RUN]


def test_examples_are_found() -> None:
    docs = {doc for doc, _, _ in EXAMPLES}
    assert "README.md" in docs and "docs/quickstart.md" in docs
    assert len(EXAMPLES) >= 20
    assert len(NOT_RUN) <= len(ALL_BLOCKS) // 4, f"too many blocks not run: {NOT_RUN}"


def test_every_block_not_run_says_why() -> None:
    for doc, line, code in NOT_RUN:
        skip = SKIP.match(_first_line(code))
        why = NOT_EXAMPLES.get(doc) or (skip.group("why").strip(" ()") if skip else "")
        assert len(why) > 10, f"{doc}:{line}: say why the block is not run: # docs: skip (why)"


def run_example(doc: str, line: int, code: str) -> None:
    """Run one example in the current folder, stopped after ``TIME_LIMIT`` seconds."""
    requires = REQUIRES.match(_first_line(code))
    if requires:
        for name in re.split(r"[,\s]+", requires.group("modules").strip()):
            __import__(name)  # the train extra: installed by the test command
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


#: what an example that writes files looks like: it must also run a second time
WRITES = re.compile(r"copytree|write_|record=|mkdir|render_video|save_observation|open\(|\.save\(")


@pytest.mark.parametrize(
    ("doc", "line", "code"), EXAMPLES, ids=[f"{d}:{n}" for d, n, _ in EXAMPLES]
)
def test_example_runs(
    doc: str, line: int, code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ale_roms: Path
) -> None:
    shutil.copy(ale_roms / "pong.bin", tmp_path / "pong.bin")
    monkeypatch.chdir(tmp_path)
    run_example(doc, line, code)
    if WRITES.search(code):
        # readers run an example again in the same folder; what it wrote must not stop it
        run_example(doc, line, code)


def test_examples_that_write_files_are_found() -> None:
    writers = {doc for doc, _, code in EXAMPLES if WRITES.search(code)}
    assert {"docs/concepts/integrations.md", "docs/quickstart.md"} <= writers
