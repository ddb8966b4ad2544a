"""The wheel works away from the checkout: built, installed in a fresh venv, its demo run.

The wheel is built from a copy of the sources (so no ``build/`` or ``*.egg-info`` lands in the
checkout, and the C extension built in place there is neither used nor touched), installed with
its dependencies into a new venv in ``tmp_path`` (from the package index, or pip's cache when it
has them), and ``pettingretro demo`` runs from ``tmp_path`` with no ``PYTHONPATH``: what a user
gets from ``pip install .``. About a minute with pip's cache warm (build ~20 s, install ~30 s).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
#: what the build needs; everything else in the checkout stays out of the copy
SOURCES = ("pyproject.toml", "setup.py", "README.md", "native", "pettingretro")
#: the extension and its cffi intermediates are build outputs, made fresh by the wheel build
BUILT = re.compile(r"_native\.(?:.*\.so|c|o)$")


def _clean_env() -> dict[str, str]:
    """The environment without anything that would let the checkout leak into the venv."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")
    }
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _run(cmd: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    res = subprocess.run(
        cmd, cwd=cwd, env=_clean_env(), capture_output=True, text=True, timeout=timeout, check=False
    )
    assert res.returncode == 0, (
        f"{' '.join(cmd)} failed ({res.returncode}):\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
    )
    return res


def _package_files(root: Path) -> set[str]:
    """The package's files as the wheel should hold them (no caches, no in-place build outputs)."""
    out = set()
    for p in (root / "pettingretro").rglob("*"):
        if (
            p.is_file()
            and "__pycache__" not in p.parts
            and p.suffix != ".pyc"
            and not BUILT.search(p.name)
        ):
            out.add(p.relative_to(root).as_posix())
    return out


def _copy_sources(dst: Path) -> None:
    dst.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "_native.*", "build", "*.egg-info")
    for name in SOURCES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dst / name, ignore=ignore)
        else:
            shutil.copy2(src, dst / name)


def test_wheel_installs_and_runs_the_demo(tmp_path: Path) -> None:
    src = tmp_path / "src"
    _copy_sources(src)
    dist = tmp_path / "dist"
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(dist), str(src)],
        tmp_path,
        600,
    )
    wheels = list(dist.glob("pettingretro-*.whl"))
    assert len(wheels) == 1, wheels

    names = set(zipfile.ZipFile(wheels[0]).namelist())
    missing = _package_files(ROOT) - names
    assert not missing, f"files of the package missing from the wheel: {sorted(missing)}"
    assert "pettingretro/py.typed" in names
    assert {
        "pettingretro/envs/pong/data.json",
        "pettingretro/envs/pong/scenario.json",
        "pettingretro/envs/pong/metadata.json",
    } <= names
    assert any(re.fullmatch(r"pettingretro/_native\..*\.so", n) for n in names), (
        "no compiled extension"
    )
    assert not any(n.startswith(("tests/", "docs/", "bench/", "native/")) for n in names)

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(env_dir)
    py = env_dir / "bin" / "python"
    _run([str(py), "-m", "pip", "install", "-q", str(wheels[0])], tmp_path, 900)

    # the installed package, not the checkout, is what runs
    where = _run([str(py), "-c", "import pettingretro; print(pettingretro.__file__)"], tmp_path, 60)
    assert Path(where.stdout.strip()).is_relative_to(env_dir), where.stdout

    demo = _run(
        [str(env_dir / "bin" / "pettingretro"), "demo", "--steps", "200", "--video", "out.mp4"],
        tmp_path,
        300,
    )
    lines = demo.stdout.splitlines()
    assert re.match(
        r"first_0\s+ball-tracking policy\s+average reward [+-]\d+\.\d\d over 1 episode", lines[0]
    ), demo.stdout
    assert re.match(
        r"second_0\s+random policy\s+average reward [+-]\d+\.\d\d over 1 episode", lines[1]
    ), demo.stdout
    assert lines[2] == "video: out.mp4 (200 frames)", demo.stdout

    import imageio.v2 as imageio

    video = tmp_path / "out.mp4"
    reader = imageio.get_reader(video)
    try:
        frames = [np.asarray(f) for f in reader]
    finally:
        reader.close()
    assert len(frames) == 200
    assert frames[0].shape == (210, 160, 3)
    assert len({f.tobytes() for f in frames[::20]}) > 1, "the video shows a game that moves"
