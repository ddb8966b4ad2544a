"""Fixtures of the host tests: our libretro test core (native/testcore/testcore.c), built once."""

from __future__ import annotations

import itertools
import shutil
import subprocess
from pathlib import Path

import pytest

from pettingretro.host import Emulator

TESTCORE_SRC = Path(__file__).resolve().parents[2] / "native" / "testcore" / "testcore.c"


@pytest.fixture(scope="session")
def testcore(tmp_path_factory) -> Path:
    cc = shutil.which("cc")
    if cc is None:
        pytest.skip("no system C compiler (cc) to build the test core")
    out = tmp_path_factory.mktemp("testcore") / "testcore_libretro.so"
    proc = subprocess.run(
        [cc, "-shared", "-fPIC", "-O1", "-o", str(out), str(TESTCORE_SRC)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, f"building the test core failed:\n{proc.stderr}"
    return out


@pytest.fixture
def make_emu(testcore, tmp_path):
    """make_emu(core_options=None, **config) -> Emulator on a fresh ROM with that configuration.

    `config` becomes the ROM's key=value lines (so `options="v2"` is the ROM key choosing the
    option style); `core_options` and `num_ports` are passed to Emulator(options=, num_ports=).
    """
    emus = []
    counter = itertools.count()

    def make(core_options=None, num_ports=None, **config):
        rom = tmp_path / f"rom{next(counter)}.txt"
        # a comment line, so no test-core ROM is an empty file (envs refuse those)
        lines = [f"{k}={v}\n" for k, v in config.items() if v is not None]
        rom.write_text("# testcore configuration\n" + "".join(lines))
        kwargs = {}
        if core_options is not None:
            kwargs["options"] = core_options
        if num_ports is not None:
            kwargs["num_ports"] = num_ports
        emu = Emulator(str(testcore), str(rom), **kwargs)
        emus.append(emu)
        return emu

    yield make
    for emu in emus:
        emu.close()
