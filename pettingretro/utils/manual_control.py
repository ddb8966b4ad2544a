"""Playing an env yourself: a scaled pygame window, keyboard or gamepad, other agents by policy.

``manual_control(env)`` binds held keys (read every frame) to one agent's Discrete action: the
action whose meaning (ALE's directions and FIRE, or a console's buttons) matches what is held.
Everyone else follows ``policy(obs, agent)``, random by default. ESC or closing the window
quits, BACKSPACE starts a new episode, and the loop runs at the core's frame rate.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pettingretro.parallel.controls import ALE_ACTIONS, action_parts

__all__ = ["DEFAULT_KEYS", "ManualControlResult", "action_for", "manual_control"]

Policy = Callable[[Any, str], Any]

#: Keys for ALE actions (pettingretro's Atari games), by human: the first human's, the second's.
DEFAULT_KEYS: tuple[dict[str, tuple[str, ...]], ...] = (
    {
        "UP": ("up",),
        "DOWN": ("down",),
        "LEFT": ("left",),
        "RIGHT": ("right",),
        "FIRE": ("space", "left ctrl", "right ctrl"),
    },
    {"UP": ("w",), "DOWN": ("s",), "LEFT": ("a",), "RIGHT": ("d",), "FIRE": ("left shift", "tab")},
)
# stable-retro's key names (its cores' "keybinds") -> pygame's
_SR_KEY_NAMES = {
    "ENTER": "return",
    "TAB": "tab",
    "UP": "up",
    "DOWN": "down",
    "LEFT": "left",
    "RIGHT": "right",
}
# a gamepad's buttons (SDL's order on XInput pads: A B X Y LB RB Back Start) -> libretro ids
_PAD_BUTTONS = {0: 0, 1: 8, 2: 1, 3: 9, 4: 10, 5: 11, 6: 2, 7: 3}


@dataclass
class ManualControlResult:
    """What happened while a person played.

    Attributes:
        steps: env steps taken.
        episodes: episodes finished (by the game or by BACKSPACE).
        rewards: each agent's total reward over every episode.
        quit: True when ESC or the window's close button ended the loop.
    """

    steps: int = 0
    episodes: int = 0
    rewards: dict[str, float] = field(default_factory=dict)
    quit: bool = False


def _parallel_of(env: Any) -> Any:
    """The RetroParallelEnv under an env (parallel, or AEC with or without wrappers)."""
    from pettingretro.parallel.env import RetroParallelEnv

    base = env
    for _ in range(10):
        if isinstance(base, RetroParallelEnv):
            return base
        nxt = (
            getattr(base, "par", None)
            or getattr(base, "env", None)
            or getattr(base, "unwrapped", None)
        )
        if nxt is None or nxt is base:
            break
        base = nxt
    raise TypeError(f"manual_control needs a pettingretro env, got {type(env).__name__}")


def _meanings(par: Any) -> list[frozenset[str]]:
    """What each of an agent's actions holds: ALE parts, or console button names."""
    n = int(par.action_space(par.possible_agents[0]).n)
    out = []
    for meaning in par.controls.actions[:n]:
        if isinstance(meaning, (int, np.integer)):
            out.append(frozenset(action_parts(ALE_ACTIONS[int(meaning)])))
        else:
            out.append(frozenset(str(b) for b in meaning))
    return out


def action_for(
    held: set[str] | frozenset[str], meanings: Sequence[frozenset[str]], paddle: bool = False
) -> int:
    """The action whose meaning matches the held parts best.

    The exact match if there is one; else the action holding the most of the held parts and
    nothing else (so LEFT+FIRE becomes LEFT where FIRE is not allowed with LEFT); else 0.

    Args:
        held: the parts held (``{"UP", "FIRE"}``, or button names such as ``{"A", "START"}``).
        meanings: each action's parts (see the env's ``controls.actions``).
        paddle: the agent turns a paddle, so UP counts as RIGHT and DOWN as LEFT (ALE's RIGHT
            turns a paddle anticlockwise: in Pong it moves the bat up the screen).
    """
    held = set(held)
    if paddle:
        if "UP" in held:
            held.add("RIGHT")
        if "DOWN" in held:
            held.add("LEFT")
        held -= {"UP", "DOWN"}
    best, best_size = 0, -1
    for i, m in enumerate(meanings):
        if m == held:
            return i
        if m <= held and len(m) > best_size:
            best, best_size = i, len(m)
    return best


def _stable_retro_keys(system: str) -> dict[str, tuple[str, ...]]:
    """stable-retro's keyboard layout for a console (its cores' "keybinds"), by button name."""
    from pettingretro.integration.roms import package_dir

    root = package_dir("stable_retro")
    if root is None:
        return {}
    for f in sorted((root / "cores").glob("*.json")):
        info = json.loads(f.read_text()).get(system)
        if info:
            binds = info.get("keybinds", [])
            return {
                b: (_SR_KEY_NAMES.get(k, k.lower()),)
                for b, k in zip(info.get("buttons", []), binds, strict=False)
                if b and k
            }
    return {}


def _key_codes(pygame: Any, keymap: Mapping[str, Sequence[str | int]]) -> dict[int, str]:
    out: dict[int, str] = {}
    for part, keys in keymap.items():
        for k in keys:
            if isinstance(k, int):
                code = k
            else:
                try:
                    code = pygame.key.key_code(k)
                except (ValueError, pygame.error):
                    raise ValueError(
                        f"unknown key {k!r} for {part}; use pygame's key names ('up', 'space', 'a', 'left ctrl')"
                    ) from None
            out[code] = part
    return out


def manual_control(
    env: Any,
    human: str | Sequence[str] = "first_0",
    policy: Policy | None = None,
    *,
    keys: Mapping[str, Mapping[str, Sequence[str | int]]] | None = None,
    zoom: int = 3,
    fps: float | None = None,
    max_steps: int | None = None,
    max_episodes: int | None = None,
    seed: int | None = None,
    joystick: bool = True,
    callback: Callable[[Any, int], bool | None] | None = None,
) -> ManualControlResult:
    """Play an env in a window: the keyboard (or a gamepad) drives ``human``'s agent.

    Args:
        env: a pettingretro env, parallel or AEC (the AEC env is unwrapped to its parallel env).
        human: the agent (or agents, each with its own keys and gamepad) a person plays.
        policy: ``policy(obs, agent) -> action`` for the other agents (default: random).
        keys: per human agent, ``{part: [pygame key names or codes]}``; parts are ``UP``,
            ``DOWN``, ``LEFT``, ``RIGHT`` and ``FIRE`` for Atari games, or the console's button
            names (``A``, ``B``, ``START``, ...) for stable-retro integrations. Defaults: arrows
            and space/ctrl for the first human, WASD and left shift for the second; for
            integrations, stable-retro's own keyboard layout.
        zoom: window scale.
        fps: steps per second (default: the core's frame rate divided by the frameskip, as
            fast as the console; 0 runs unpaced).
        max_steps: stop after this many steps.
        max_episodes: stop after this many episodes.
        seed: seeds the first reset and the random policy.
        joystick: read gamepads (the n-th gamepad drives the n-th human).
        callback: ``callback(env, step)`` after every step; returning False stops the loop.

    Returns:
        Steps, episodes and rewards of the session.

    Raises:
        PettingRetroError: pygame is missing or there is no display.
        ValueError: an unknown agent or key name.

    Example:
        >>> from pettingretro.envs import pong_v0
        >>> from pettingretro.utils.manual_control import manual_control
        >>> manual_control(pong_v0.parallel_env())  # doctest: +SKIP
    """
    par = _parallel_of(env)
    humans = [human] if isinstance(human, str) else list(human)
    for h in humans:
        if h not in par.possible_agents:
            raise ValueError(
                f"unknown agent {h!r}; this env's agents are {', '.join(par.possible_agents)}"
            )
    meanings = _meanings(par)
    native = bool(par.game.native) or all(
        isinstance(a, (int, np.integer)) for a in par.controls.actions
    )
    keymaps = _keymaps(par, humans, keys, native)
    bindings = par.controls.bindings
    paddles = [bindings[par.possible_agents.index(h)].paddle is not None for h in humans]

    from pettingretro.window import Window

    saved_mode = par.render_mode
    rng = np.random.default_rng(seed)
    result = ManualControlResult(rewards=dict.fromkeys(par.possible_agents, 0.0))
    # our own window shows the game; the env only has to keep each step's picture
    par.render_mode = "rgb_array"
    window = None
    try:
        obs, _ = par.reset(seed=seed)
        frame = par.emu.screen_rgb()
        window = Window(
            f"{par.metadata['name']}: {', '.join(humans)} (ESC quits, BACKSPACE resets)",
            frame.shape[1],
            frame.shape[0],
            zoom,
        )
        pg = window.pg
        codes = [_key_codes(pg, km) for km in keymaps]
        pads = _joysticks(pg, len(humans)) if joystick else []
        window.show(frame)
        rate = fps if fps is not None else par.emu.av_info.fps / par.frameskip
        period = 1.0 / rate if rate and rate > 0 else 0.0
        next_t = time.perf_counter()
        held: set[int] = set()
        while True:
            restart = False
            for ev in pg.event.get():
                if ev.type == pg.QUIT or (ev.type == pg.KEYDOWN and ev.key == pg.K_ESCAPE):
                    result.quit = True
                elif ev.type == pg.KEYDOWN:
                    if ev.key == pg.K_BACKSPACE:
                        restart = True
                    held.add(ev.key)
                elif ev.type == pg.KEYUP:
                    held.discard(ev.key)
                elif ev.type == getattr(pg, "WINDOWFOCUSLOST", -1):
                    held.clear()  # keys released elsewhere send no KEYUP here
            if result.quit:
                break
            if restart:
                result.episodes += 1
                if max_episodes is not None and result.episodes >= max_episodes:
                    break
                obs, _ = par.reset()
            pressed = pg.key.get_pressed()
            actions: dict[str, Any] = {}
            for agent in par.agents:
                if agent in humans:
                    k = humans.index(agent)
                    parts = {p for c, p in codes[k].items() if c in held or _is_pressed(pressed, c)}
                    if k < len(pads):
                        parts |= _pad_parts(pads[k], native, par)
                    actions[agent] = action_for(parts, meanings, paddles[k])
                elif policy is not None:
                    actions[agent] = policy(obs[agent], agent)
                else:
                    actions[agent] = int(rng.integers(par.action_space(agent).n))
            obs, rewards, _, _, _ = par.step(actions)
            for a, r in rewards.items():
                result.rewards[a] += float(r)
            result.steps += 1
            if not par.agents:
                result.episodes += 1
                if max_episodes is not None and result.episodes >= max_episodes:
                    window.show(par.emu.screen_rgb())
                    break
                obs, _ = par.reset()
            window.show(par.emu.screen_rgb())
            if callback is not None and callback(env, result.steps) is False:
                break
            if max_steps is not None and result.steps >= max_steps:
                break
            if period:
                next_t += period
                delay = next_t - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                else:
                    next_t = time.perf_counter()  # fell behind: do not rush to catch up
    finally:
        par.render_mode = saved_mode
        if window is not None:
            window.close()
    return result


def _keymaps(
    par: Any,
    humans: list[str],
    keys: Mapping[str, Mapping[str, Sequence[str | int]]] | None,
    native: bool,
) -> list[Mapping[str, Sequence[str | int]]]:
    out: list[Mapping[str, Sequence[str | int]]] = []
    for i, h in enumerate(humans):
        if keys is not None and h in keys:
            out.append(keys[h])
        elif native:
            if i >= len(DEFAULT_KEYS):
                raise ValueError(
                    f"no default keys for a human number {i + 1} ({h}); pass keys={{{h!r}: {{...}}}}"
                )
            out.append(DEFAULT_KEYS[i])
        elif i == 0:
            system = _system_name(par)
            layout = _stable_retro_keys(system) if system else {}
            if not layout:
                raise ValueError(
                    f"no default keys for {par.metadata['name']}; pass keys={{{h!r}: {{...}}}}"
                )
            out.append(layout)
        else:
            raise ValueError(
                f"no default keys for a second human ({h}); pass keys={{{h!r}: {{...}}}}"
            )
    return out


def _system_name(par: Any) -> str | None:
    from pettingretro.movie.recorder import system_of_env

    system = system_of_env(par)
    return system.name if system is not None else None


def _is_pressed(pressed: Any, code: int) -> bool:
    try:
        return bool(pressed[code])
    except IndexError:
        return False


def _joysticks(pg: Any, n: int) -> list[Any]:
    try:
        pg.joystick.init()
        return [pg.joystick.Joystick(i) for i in range(min(n, pg.joystick.get_count()))]
    except pg.error:
        return []


def _pad_parts(pad: Any, native: bool, par: Any) -> set[str]:
    """What a gamepad holds: its hat or left stick, and its buttons."""
    parts: set[str] = set()
    x = y = 0.0
    if pad.get_numhats():
        hx, hy = pad.get_hat(0)
        x, y = float(hx), float(-hy)
    if pad.get_numaxes() >= 2 and x == 0 and y == 0:
        x, y = pad.get_axis(0), pad.get_axis(1)
    if x < -0.5:
        parts.add("LEFT")
    if x > 0.5:
        parts.add("RIGHT")
    if y < -0.5:
        parts.add("UP")
    if y > 0.5:
        parts.add("DOWN")
    pressed = [b for b in range(pad.get_numbuttons()) if pad.get_button(b)]
    if native:
        if any(b < 4 for b in pressed):
            parts.add("FIRE")
        return parts
    system = _system_name(par)
    if system is None:
        return parts
    from pettingretro.integration.systems import systems

    names = systems()[system].buttons
    for b in pressed:
        i = _PAD_BUTTONS.get(b)
        if i is not None and i < len(names) and names[i]:
            parts.add(str(names[i]))
    return parts
