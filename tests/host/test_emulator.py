"""The host on real cores and real ROMs: running, input, screens, states, reset, options."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from pettingretro.host import Button, Emulator

ATARI = ["pong", "boxing", "space_invaders"]
GENESIS_CORES = ["genesis_plus_gx", "picodrive"]


def rom_for(core: str, game: str, ale_roms: Path, airstriker: Path) -> Path:
    return airstriker if game == "airstriker" else ale_roms / f"{game}.bin"


REAL = [("stella", g) for g in ATARI] + [(c, "airstriker") for c in GENESIS_CORES]


def random_masks(seed: int, frames: int, ports: int = 2) -> np.ndarray:
    rng = np.random.default_rng(seed)
    # directions and fire on each port, never START/SELECT (they reset or change the game)
    bits = np.array([0, Button.B, Button.A, Button.UP, Button.DOWN, Button.LEFT, Button.RIGHT])
    choice = rng.integers(0, len(bits), size=(frames, ports))
    masks = np.where(choice == 0, 0, 1 << bits[choice])
    return masks.astype(np.uint16)


def run(emu: Emulator, masks: np.ndarray) -> list[str]:
    """Step one frame per row of masks; return a hash of RAM after each frame."""
    out = []
    for row in masks:
        for port, m in enumerate(row):
            emu.set_buttons(port, int(m))
        emu.step(1, video=False)
        out.append(hashlib.sha1(emu.ram.tobytes()).hexdigest())
    return out


@pytest.mark.parametrize(("core", "game"), REAL)
def test_real_content_runs_and_draws(
    core: str, game: str, ale_roms: Path, airstriker: Path
) -> None:
    with Emulator(core, rom_for(core, game, ale_roms, airstriker)) as emu:
        assert emu.av_info.fps == pytest.approx(60, abs=1)
        emu.set_buttons(0, 1 << Button.START)
        emu.step(5)
        emu.set_buttons(0, 0)
        emu.step(240)
        rgb = emu.screen_rgb()
        gray = emu.screen_gray()
        h, w = emu.screen_shape
        assert rgb.shape == (h, w, 3) and gray.shape == (h, w)
        assert rgb.std() > 5, "the picture should not be a flat colour"
        c = rgb.astype(np.int64)
        expected = (299 * c[..., 0] + 587 * c[..., 1] + 114 * c[..., 2] + 500) // 1000
        np.testing.assert_array_equal(gray, expected)
        ram_before = emu.ram.copy()
        emu.step(30)
        assert len(emu.ram) > 0 and not np.array_equal(ram_before, emu.ram)
        assert emu.frame == 275


@pytest.mark.parametrize("game", ["boxing", "space_invaders"])
def test_both_ports_reach_an_atari_game(game: str, ale_roms: Path) -> None:
    """Each port changes RAM that the other port's input leaves alone."""
    baseline = Emulator("stella", ale_roms / f"{game}.bin")
    baseline.set_buttons(0, 1 << Button.START)
    baseline.step(5)
    baseline.set_buttons(0, 0)
    baseline.step(60)
    start = baseline.save_state()

    def moved(port: int) -> set[int]:
        with Emulator("stella", ale_roms / f"{game}.bin") as emu:
            emu.load_state(start)
            emu.set_buttons(port, 1 << Button.RIGHT)
            emu.step(60)
            pressed = emu.ram.copy()
        with Emulator("stella", ale_roms / f"{game}.bin") as emu:
            emu.load_state(start)
            emu.step(60)
            idle = emu.ram.copy()
        return set(np.flatnonzero(pressed != idle).tolist())

    p0, p1 = moved(0), moved(1)
    assert p0 and p1, "input on each port must change the game"
    assert p0 != p1, "the two ports must drive different things"
    baseline.close()


STATE_CASES = [("stella", "space_invaders"), ("stella", "boxing")] + [
    (c, "airstriker") for c in GENESIS_CORES
]


@pytest.mark.parametrize(("core", "game"), STATE_CASES)
def test_state_moves_between_instances(
    core: str, game: str, ale_roms: Path, airstriker: Path
) -> None:
    rom = rom_for(core, game, ale_roms, airstriker)
    masks = random_masks(7, 300)
    with Emulator(core, rom) as a, Emulator(core, rom) as b:
        run(a, masks[:100])
        b.load_state(a.save_state())
        assert run(a, masks[100:]) == run(b, masks[100:])
        a.step(1)
        b.step(1)
        np.testing.assert_array_equal(a.screen_rgb(), b.screen_rgb())


@pytest.mark.parametrize(
    ("core", "game"),
    [("stella", "pong"), ("stella", "space_invaders"), ("genesis_plus_gx", "airstriker")],
)
def test_reset_is_history_independent(
    core: str, game: str, ale_roms: Path, airstriker: Path
) -> None:
    """Whatever was held before reset(), the same inputs after it give the same game."""
    rom = rom_for(core, game, ale_roms, airstriker)
    after = random_masks(3, 300)
    results = []
    for held in (0, 1 << Button.UP, 1 << Button.LEFT, 1 << Button.RIGHT):
        with Emulator(core, rom) as emu:
            emu.set_buttons(0, held)
            emu.set_buttons(1, held)
            emu.step(150)
            emu.reset()
            assert emu.frame == 0
            results.append(run(emu, after))
    with Emulator(core, rom) as fresh:
        fresh.reset()
        results.append(run(fresh, after))
    assert all(r == results[0] for r in results)


def test_stella_reports_incomplete_states(ale_roms: Path) -> None:
    with Emulator("stella", ale_roms / "pong.bin") as emu:
        assert emu.state_complete is False
    with Emulator(
        "genesis_plus_gx",
        ale_roms.parent.parent
        / "stable_retro"
        / "data"
        / "stable"
        / "Airstriker-Genesis-v0"
        / "rom.md",
    ) as emu:
        assert emu.state_complete is True


def test_hard_reset_reloads_the_game(ale_roms: Path) -> None:
    after = random_masks(5, 200)
    with Emulator("stella", ale_roms / "pong.bin") as emu:
        first = run(emu, after)
        emu.reset(hard=True)
        assert run(emu, after) == first


def test_core_options_defaults_and_overrides(airstriker: Path) -> None:
    with Emulator("genesis_plus_gx", airstriker) as emu:
        info = emu.option_info("genesis_plus_gx_region_detect")
        assert info.value == info.default and len(info.values) > 1
        assert emu.options["genesis_plus_gx_region_detect"] == info.default
        emu.set_option("genesis_plus_gx_region_detect", "pal")
        assert emu.options["genesis_plus_gx_region_detect"] == "pal"
        with pytest.raises(ValueError, match="not a valid value"):
            emu.set_option("genesis_plus_gx_region_detect", "mars")
        with pytest.raises(ValueError, match="has no option"):
            emu.set_option("no_such_option", "1")
    with Emulator(
        "genesis_plus_gx", airstriker, options={"genesis_plus_gx_region_detect": "pal"}
    ) as emu:
        assert emu.options["genesis_plus_gx_region_detect"] == "pal"
        assert emu.av_info.fps == pytest.approx(50, abs=0.5), "PAL runs at 50 frames per second"
    with pytest.raises(ValueError, match="has no option 'bogus'"):
        Emulator("genesis_plus_gx", airstriker, options={"bogus": "1"})


def test_ram_is_a_live_zero_copy_view(ale_roms: Path) -> None:
    with Emulator("stella", ale_roms / "space_invaders.bin") as emu:
        ram = emu.ram
        before = ram.copy()
        emu.step(10)
        assert ram is emu.ram
        assert not np.array_equal(before, ram), "the view sees new frames without a new call"
        assert ram.flags.writeable
        assert emu.memory("system_ram").ctypes.data == ram.ctypes.data


def test_screen_written_into_caller_buffer(ale_roms: Path) -> None:
    with Emulator("stella", ale_roms / "pong.bin") as emu:
        emu.step(60)
        h, w = emu.screen_shape
        out = np.zeros((h, w, 3), np.uint8)
        assert emu.screen_rgb(out) is out and out.std() > 0
        small = np.zeros((h - 1, w, 3), np.uint8)
        with pytest.raises(ValueError, match="needs"):
            emu.screen_rgb(small)


def test_step_into_matches_step_then_screen(ale_roms: Path) -> None:
    masks = random_masks(11, 50)
    with (
        Emulator("stella", ale_roms / "boxing.bin") as a,
        Emulator("stella", ale_roms / "boxing.bin") as b,
    ):
        h, w = 210, 160
        out = np.zeros((h, w, 3), np.uint8)
        gray = np.zeros((h, w), np.uint8)
        for row in masks:
            buttons = np.zeros(4, np.uint16)
            buttons[:2] = row
            a.step_into(buttons, 2, out)
            for p, m in enumerate(row):
                b.set_buttons(p, int(m))
            b.step(2)
            np.testing.assert_array_equal(out, b.screen_rgb())
        a.step_into(np.zeros(4, np.uint16), 1, gray, gray=True)
        b.set_buttons(0, 0)
        b.set_buttons(1, 0)
        b.step(1)
        np.testing.assert_array_equal(gray, b.screen_gray())
