"""``infos[agent]`` carries the game's data.json variables every step, as stable-retro's ``info``.

stable-retro itself runs in a subprocess as the reference, on the same ROM, state and buttons.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

import pettingretro

#: stable-retro answers no core-option query, so genesis_plus_gx keeps its compiled-in settings;
#: these are the two whose declared defaults differ from them
STABLE_RETRO_GENESIS = {
    "genesis_plus_gx_addr_error": "disabled",
    "genesis_plus_gx_force_dtack": "disabled",
}

REFERENCE = """
import json, sys
import numpy as np
import stable_retro as retro
acts = json.load(open(sys.argv[2]))
env = retro.make(sys.argv[1], use_restricted_actions=retro.Actions.ALL, render_mode=None)
_, info0 = env.reset(seed=0)
out = []
for a in acts:
    _, _, term, trunc, info = env.step(np.array(a, np.int8))
    out.append({k: int(v) for k, v in info.items()})
    if term or trunc:
        break
print(json.dumps({"buttons": list(env.buttons), "infos": out}))
"""


def test_airstriker_infos_equal_stable_retros_for_1000_frames(tmp_path: Path) -> None:
    env = pettingretro.parallel_env(
        "Airstriker-Genesis-v0", obs_type="ram", core_options=STABLE_RETRO_GENESIS
    )
    _, infos = env.reset(seed=0)
    assert set(infos["first_0"]) == {"gameover", "lives", "score"}
    rng = np.random.default_rng(0)
    picks = rng.integers(0, env.action_space("first_0").n, 1000)
    masks = env.controls.masks[0, :, 0]  # action -> port 0's joypad bits (libretro order)
    buttons = [[int(masks[i]) >> b & 1 for b in range(12)] for i in picks]
    acts = tmp_path / "actions.json"
    acts.write_text(json.dumps(buttons))
    ours = []
    for i in picks:
        _, _, _, _, infos = env.step({"first_0": int(i)})
        ours.append(infos["first_0"])
        if not env.agents:
            break
    env.close()
    script = tmp_path / "reference.py"
    script.write_text(REFERENCE)
    res = subprocess.run(
        [sys.executable, str(script), "Airstriker-Genesis-v0", str(acts)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    ref = json.loads(res.stdout)
    # our joypad bit order is stable-retro's Actions.ALL order for the system
    assert ref["buttons"] == [
        "B",
        "A",
        "MODE",
        "START",
        "UP",
        "DOWN",
        "LEFT",
        "RIGHT",
        "C",
        "Y",
        "X",
        "Z",
    ]
    assert len(ours) == len(ref["infos"]) == 1000
    first_diff = next(
        (t for t, (a, b) in enumerate(zip(ours, ref["infos"], strict=True)) if a != b), None
    )
    assert first_diff is None, (first_diff, ours[first_diff], ref["infos"][first_diff])
    assert len({json.dumps(i, sort_keys=True) for i in ours}) > 1, "the variables never changed"


def test_project_games_report_their_variables_too() -> None:
    from pettingretro.envs import space_invaders_v0

    env = space_invaders_v0.parallel_env(obs_type="ram")
    _, infos = env.reset(seed=0)
    _, _, _, _, infos = env.step(dict.fromkeys(env.agents, 0))
    assert "lives" in infos["first_0"] and len(infos["first_0"]) > 1
    env.close()
