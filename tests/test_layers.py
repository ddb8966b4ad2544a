"""The layers of docs/design-envs.md are a checked contract, and no module reads another's privates."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "pettingretro"


def test_import_linter_contract_holds() -> None:
    """pyproject.toml's import-linter contract: every import goes down the layers (cli > utils >
    vector > make > registry > envs > aec > parallel > movie/isolation/tiles/window > observers >
    integration > host > cores > errors), function-level imports included."""
    lint = Path(sys.executable).parent / "lint-imports"
    res = subprocess.run(
        [str(lint), str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]
    assert " 0 broken" in res.stdout


#: underscore names that are their library's public API
PUBLIC_UNDERSCORE = frozenset({"os._exit", "sys._getframe"})


def _private_names(tree: ast.AST) -> set[str]:
    """The underscore names a module defines: functions, classes, attributes it assigns."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Attribute):
            names.add(node.target.attr)
    return {n for n in names if n.startswith("_") and not n.startswith("__")}


def private_reads(path: Path) -> list[str]:
    """Where ``path`` imports or reads an underscore name that some other module defines."""
    tree = ast.parse(path.read_text())
    own = _private_names(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pettingretro"):
            for alias in node.names:
                if alias.name.startswith("_") and node.module != "pettingretro._native":
                    found.append(f"{path.name}:{node.lineno} imports {node.module}.{alias.name}")
        elif (
            isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and node.attr not in own
            # a subclass may use what its base class (gymnasium's, SB3's) documents for it
            and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
            and ast.unparse(node) not in PUBLIC_UNDERSCORE
        ):
            found.append(f"{path.name}:{node.lineno} reads {ast.unparse(node)}")
    return found


def test_no_module_reads_another_modules_privates() -> None:
    found = [hit for f in sorted(PACKAGE.rglob("*.py")) for hit in private_reads(f)]
    assert not found, "\n".join(found)


def test_the_private_read_check_finds_one(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from pettingretro.x import _y\n\ndef f(env):\n    return env._secret, os._exit\n"
    )
    assert len(private_reads(probe)) == 2
