"""bench/soak.py --short: memory, file descriptors, core copies and processes stay flat.

The soak runs in its own interpreter so that its figures are not the test runner's. The full
soak (10 million frames, 10,000 env cycles) is run by hand: ``python bench/soak.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_short_soak() -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench" / "soak.py"), "--short"],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        check=False,
    )
    out = proc.stdout
    assert proc.returncode == 0, f"{out}\n{proc.stderr[-3000:]}"
    summary = out.split("\nsoak: ", 1)[1]
    for phase in ("frames: RSS growth", "frames: fds", "cycles: fds", "cycles: core libraries mapped",
                  "isolated: fds", "isolated: child processes"):  # fmt: skip
        assert f"PASS  {phase}" in summary, summary
    assert "FAIL" not in summary, summary
