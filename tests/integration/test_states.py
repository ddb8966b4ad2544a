"""Where episodes start: default, named, power-on, a file; states that cannot be this game's are refused."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import pettingretro
from pettingretro.envs import pong_v0
from pettingretro.errors import IntegrationError, StateError
from pettingretro.registry import resolve

GAME = "Airstriker-Genesis-v0"


def _ram_after(env, steps: int) -> np.ndarray:
    env.reset(seed=0)
    for _ in range(steps):
        env.step({a: 0 for a in env.agents})
    return env.emu.ram.copy()


def test_named_states_with_or_without_suffix_and_by_path(tmp_path: Path) -> None:
    level1 = Path(str(resolve(GAME).path)) / "Level1.state"
    runs = []
    for state in (None, "Level1", "Level1.state", str(level1), level1):
        env = pettingretro.parallel_env(GAME, obs_type="ram", state=state)
        runs.append(_ram_after(env, 5))
        env.close()
    raw = tmp_path / "raw.state"  # an uncompressed core state is taken too
    raw.write_bytes(gzip.decompress(level1.read_bytes()))
    env = pettingretro.parallel_env(GAME, obs_type="ram", state=raw)
    runs.append(_ram_after(env, 5))
    env.close()
    for r in runs[1:]:
        assert np.array_equal(r, runs[0])


def test_unknown_names_and_bad_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(IntegrationError, match=r"no state 'Level9' \(states: Level1\)"):
        pettingretro.parallel_env(GAME, state="Level9")
    with pytest.raises(StateError, match="does not exist"):
        pettingretro.parallel_env(GAME, state=tmp_path / "missing.state")
    with pytest.raises(IntegrationError, match="no named states"):
        pong_v0.parallel_env(state="Start")
    with pytest.raises(TypeError, match="state must be"):
        pettingretro.parallel_env(GAME, state=3)


def test_a_state_that_ends_the_episode_at_once_is_refused(tmp_path: Path) -> None:
    """What a state saved from another game on the same core did: every agent was done after one
    step. Made here from a real Pong state with a final score of 21 written into RAM."""
    game = "Pong-Atari2600-v0"
    env = pettingretro.parallel_env(game, obs_type="ram")
    env.reset(seed=0)
    score2 = resolve(game).spec.variables["score2"]
    env.emu.ram[score2.address - 0x80] = 21  # the 2600's RAM starts at 0x80
    over = tmp_path / "over.state"
    over.write_bytes(gzip.compress(env.emu.save_state()))
    env.close()
    with pytest.raises(StateError, match="episode is over one frame after its start state"):
        pettingretro.parallel_env(game, obs_type="ram", state=over)


def test_a_state_from_another_core_is_refused() -> None:
    pong_state = Path(str(resolve("Pong-Atari2600-v0").path)) / "Start.state"
    with pytest.raises(StateError, match="does not fit core genesis_plus_gx"):
        pettingretro.parallel_env(GAME, obs_type="ram", state=pong_state)


REFERENCE = """
import json, sys
import stable_retro as retro
env = retro.make(sys.argv[1], state=retro.State.NONE, render_mode=None)
env.reset(seed=0)
for _ in range(int(sys.argv[2])):
    env.step(env.action_space.sample() * 0)
print(json.dumps(env.get_ram().tolist()))
"""


def test_power_on_equals_stable_retros_state_none(tmp_path: Path) -> None:
    script = tmp_path / "reference.py"
    script.write_text(REFERENCE)
    frames = 30
    res = subprocess.run(
        [sys.executable, str(script), GAME, str(frames)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    ref = np.array(json.loads(res.stdout), np.uint8)
    env = pettingretro.parallel_env(
        GAME,
        obs_type="ram",
        state="power-on",
        core_options={
            "genesis_plus_gx_addr_error": "disabled",
            "genesis_plus_gx_force_dtack": "disabled",
        },
    )
    ours = _ram_after(env, frames)
    env.close()
    assert ref.any() and np.array_equal(ours, ref)


def test_info_replaces_the_variables_and_inttype_is_taken(tmp_path: Path) -> None:
    import stable_retro

    data = json.loads((Path(str(resolve(GAME).path)) / "data.json").read_text())
    data["info"]["score_again"] = data["info"]["score"]
    info = tmp_path / "data.json"
    info.write_text(json.dumps(data))
    env = pettingretro.parallel_env(
        GAME, obs_type="ram", info=info, inttype=stable_retro.data.Integrations.ALL
    )
    _, infos = env.reset(seed=0)
    assert set(infos["first_0"]) == {"gameover", "lives", "score", "score_again"}
    env.close()
    del data["info"]["score"]
    info.write_text(json.dumps(data))
    with pytest.raises(IntegrationError, match="score"):
        pettingretro.parallel_env(GAME, info=info)
