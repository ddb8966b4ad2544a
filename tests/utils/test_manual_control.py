"""manual_control: held keys drive the human's agent, ESC quits, BACKSPACE resets (headless)."""

from __future__ import annotations

import pytest

from pettingretro.envs import pong_v0, space_invaders_v0
from pettingretro.utils.manual_control import _meanings, action_for, manual_control

pygame = pytest.importorskip("pygame")


@pytest.fixture(autouse=True)
def headless(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")


def post(key: int, down: bool = True) -> None:
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN if down else pygame.KEYUP, key=key))


def script(events: dict[int, list[tuple[int, bool]]]):
    """A callback that posts key events after the given steps."""

    def callback(env, step: int) -> None:
        for key, down in events.get(step, []):
            post(key, down)

    return callback


def test_held_arrow_moves_the_humans_paddle_and_only_it() -> None:
    env = pong_v0.parallel_env()
    centre = env.paddle_center
    result = manual_control(
        env,
        policy=lambda obs, agent: 0,
        fps=0,
        max_steps=60,
        callback=script({1: [(pygame.K_UP, True)]}),
    )
    lo, hi = env.paddle_spec["range"]
    assert result.steps == 60 and not result.quit
    assert env.emu.paddles == [lo, centre]  # UP raises first_0's bat; second_0 did nothing
    result = manual_control(
        env,
        policy=lambda obs, agent: 0,
        fps=0,
        max_steps=60,
        callback=script({1: [(pygame.K_DOWN, True)]}),
    )
    assert env.emu.paddles[0] == hi
    env.close()


def test_key_map_is_configurable_and_second_human_plays_too() -> None:
    env = pong_v0.parallel_env()
    lo, hi = env.paddle_spec["range"]
    manual_control(
        env,
        human=["first_0", "second_0"],
        keys={"first_0": {"UP": ["k"]}},
        fps=0,
        max_steps=60,
        callback=script({1: [(pygame.K_k, True), (pygame.K_s, True)]}),  # s: the 2nd human's DOWN
    )
    assert env.emu.paddles == [lo, hi]
    env.close()


def test_escape_quits_and_backspace_resets() -> None:
    env = space_invaders_v0.env()  # AEC: unwrapped to its parallel env
    result = manual_control(
        env, fps=0, callback=script({3: [(pygame.K_BACKSPACE, True)], 7: [(pygame.K_ESCAPE, True)]})
    )
    assert result.quit and result.steps == 7 and result.episodes == 1
    env.close()


def test_paced_at_the_cores_frame_rate() -> None:
    import time

    env = pong_v0.parallel_env()
    t = time.perf_counter()
    manual_control(env, max_steps=30)
    elapsed = time.perf_counter() - t
    env.close()
    assert elapsed >= 29 / env.emu.av_info.fps  # 30 steps of one frame at ~60 fps: half a second


def test_held_keys_map_to_the_matching_action() -> None:
    si = space_invaders_v0.parallel_env()
    meanings = _meanings(si)  # NOOP FIRE RIGHT LEFT RIGHTFIRE LEFTFIRE
    assert action_for({"LEFT", "FIRE"}, meanings) == 5
    assert action_for({"RIGHT"}, meanings) == 2
    assert action_for({"UP"}, meanings) == 0  # no UP in Space Invaders
    assert action_for({"UP", "FIRE"}, meanings) == 1
    assert action_for({"UP"}, meanings, paddle=True) == 2  # a paddle turns right to go up
    si.close()
    import pettingretro

    air = pettingretro.parallel_env("Airstriker-Genesis-v0")
    names = _meanings(air)
    assert names[action_for({"LEFT", "B"}, names)] == {"LEFT", "B"}
    assert names[action_for({"LEFT", "B", "START"}, names)] == {"LEFT", "B"}
    air.close()


def test_unknown_agent_or_key_is_refused() -> None:
    env = pong_v0.parallel_env()
    with pytest.raises(ValueError, match="unknown agent 'third_0'"):
        manual_control(env, human="third_0")
    with pytest.raises(ValueError, match="unknown key 'nokey'"):
        manual_control(env, keys={"first_0": {"UP": ["nokey"]}}, max_steps=1)
    env.close()


def test_integrations_use_stable_retros_keyboard_layout() -> None:
    import pettingretro

    env = pettingretro.parallel_env("Airstriker-Genesis-v0")
    meanings = _meanings(env)
    # stable-retro's Genesis keys: X is the B button, Z the A button, arrows the pad
    manual_control(
        env, fps=0, max_steps=5, callback=script({1: [(pygame.K_LEFT, True), (pygame.K_x, True)]})
    )
    assert meanings[int(env._prev[0])] == {"LEFT", "B"}
    env.close()


class FakePad:
    """A gamepad holding its hat left and up, and its first button."""

    def get_numhats(self) -> int:
        return 1

    def get_hat(self, i: int) -> tuple[int, int]:
        return (-1, 1)

    def get_numaxes(self) -> int:
        return 2

    def get_axis(self, i: int) -> float:
        return 0.0

    def get_numbuttons(self) -> int:
        return 8

    def get_button(self, b: int) -> bool:
        return b == 0


def test_gamepad_hat_and_buttons() -> None:
    import pettingretro
    from pettingretro.utils.manual_control import _pad_parts

    si = space_invaders_v0.parallel_env()
    assert _pad_parts(FakePad(), True, si) == {"LEFT", "UP", "FIRE"}
    si.close()
    air = pettingretro.parallel_env("Airstriker-Genesis-v0")
    assert _pad_parts(FakePad(), False, air) == {"LEFT", "UP", "B"}  # pad button 0 is libretro B
    air.close()


@pytest.mark.parametrize(
    ("env_vars", "message"),
    [
        ({"SDL_VIDEODRIVER": None, "DISPLAY": None, "WAYLAND_DISPLAY": None}, "are unset"),
        ({"SDL_VIDEODRIVER": "x11", "DISPLAY": None}, r"SDL_VIDEODRIVER=x11\)"),
    ],
)
def test_no_display_is_an_error_that_names_the_fix(
    env_vars: dict[str, str | None], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pettingretro.errors import PettingRetroError

    for name, value in env_vars.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    # an invisible window that plays on until killed was the alternative
    env = pong_v0.parallel_env()
    with pytest.raises(PettingRetroError, match=message) as e:
        manual_control(env, fps=0, max_steps=5)
    assert "SDL_VIDEODRIVER=dummy" in str(e.value)
    human = pong_v0.parallel_env(render_mode="human")
    with pytest.raises(PettingRetroError, match=message):
        human.reset(seed=0)  # reset() draws the first frame
    human.close()
    env.close()
