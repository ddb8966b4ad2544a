"""Per-agent action schemes: each agent's gymnasium space, and its actions as port masks.

The parallel env asks a scheme to check each agent's action (:meth:`ActionScheme.check`, which
changes nothing) and to turn the checked actions into port masks and paddle deltas
(:meth:`ActionScheme.inputs`, once per step). A checked action is one integer per agent (a
*code*): a row of the :class:`~pettingretro.parallel.controls.Controls` table for Discrete
actions, the joypad mask of the agent's port for MultiBinary and MultiDiscrete actions, or an
index into PyBoy-style press/release tables for ``action_type``. Turning codes into masks is a
few numpy operations over the agents, never a loop over buttons.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium
import numpy as np
import numpy.typing as npt

from pettingretro.checks import ArgumentError
from pettingretro.host import MAX_PORTS
from pettingretro.integration.scenario import ActionFilter
from pettingretro.parallel.controls import Controls

#: The ``actions=`` choices (stable-retro's ``Actions`` members, lower case).
ACTION_SCHEMES = ("discrete", "multi_discrete", "all", "filtered")

#: The ``action_type=`` choices, with PyBoy's meanings.
ACTION_TYPES = ("press", "toggle", "all")

#: Buttons that leave a title screen or open a menu, by console (START, SELECT, PC Engine's
#: RUN, Master System's PAUSE, Genesis' MODE, Atari's RESET switch); stable-retro's action
#: groups leave them out, so a bare ROM gets them as one group of its own.
MENU_BUTTONS = ("START", "SELECT", "RUN", "PAUSE", "MODE", "RESET")


def scheme_name(actions: Any) -> str:
    """The scheme ``actions=`` names: a string or a ``stable_retro.Actions`` member.

    Raises:
        ArgumentError: neither names a scheme.
    """
    if type(actions).__name__ == "Actions":  # stable_retro.Actions.ALL / FILTERED / ...
        actions = str(getattr(actions, "name", "")).lower()
    if not isinstance(actions, str) or actions not in ACTION_SCHEMES:
        raise ArgumentError(
            f"actions must be one of {', '.join(map(repr, ACTION_SCHEMES))} or a "
            f"stable_retro.Actions member, got {actions!r}"
        )
    return actions


def menu_group(buttons: Sequence[str | None], groups: Sequence[Any]) -> list[list[str]] | None:
    """One action group holding each menu button alone, or None if the system has none free.

    Args:
        buttons: the system's button names by bit.
        groups: the action groups already allowed (their buttons are left out).
    """
    taken = {b for g in groups for combo in g for b in combo}
    free = [b for b in MENU_BUTTONS if b in buttons and b not in taken]
    return [[], *([b] for b in free)] if free else None


class ActionScheme:
    """Every agent's action space, checks and the step's inputs.

    Build one with :meth:`discrete` (a Controls table) or :meth:`console` (console buttons).

    Attributes:
        name: the scheme (one of :data:`ACTION_SCHEMES`).
        action_type: None (an action is held for the step, stable-retro's meaning) or one of
            :data:`ACTION_TYPES`.
        spaces: each agent's space, in agent order.
        buttons: the button named by each MultiBinary slot (joypad bit order, None for unused
            bits); empty for Discrete actions over a Controls table.
        labels: what each Discrete action does: a Controls table's meanings, or for
            ``action_type`` None (NOOP), then a button name per press (or toggle), then
            ``"release <name>"`` per release (``action_type="all"``).
        combos: each MultiDiscrete group's joypad masks, by choice (``"multi_discrete"``).
        noop: the code of doing nothing (what absent and finished agents play).
    """

    def __init__(
        self,
        name: str,
        spaces: Sequence[gymnasium.spaces.Space[Any]],
        noop: int,
        buttons: Sequence[str | None] = (),
        action_type: str | None = None,
        labels: Sequence[Any] = (),
    ) -> None:
        self.name = name
        self.labels = tuple(labels)
        self.combos: tuple[tuple[int, ...], ...] = ()
        self.action_type = action_type
        self.spaces = tuple(spaces)
        self.noop = noop
        self.buttons = tuple(buttons)
        self.num_paddles = 0
        self._controls: Controls | None = None
        self._ports = np.zeros(len(spaces), np.intp)
        self._weights = np.zeros(0, np.int64)
        self._filter: npt.NDArray[np.uint16] | None = None
        self._slow_filter: ActionFilter | None = None
        self._groups = np.zeros((0, 0), np.uint16)
        # press/toggle/all: what each action index presses, releases or toggles, and the held state
        self._press = np.zeros(1, np.uint16)
        self._release = np.zeros(1, np.uint16)
        self._held = np.zeros(len(spaces), np.uint16)
        self._rows = np.arange(len(spaces))

    @classmethod
    def discrete(cls, controls: Controls, num_actions: int) -> ActionScheme:
        """Discrete(num_actions) per agent over a Controls table (its last row is the NOOP)."""
        n = len(controls.bindings)
        space: gymnasium.spaces.Space[Any] = gymnasium.spaces.Discrete(num_actions)
        s = cls("discrete", [space] * n, num_actions, labels=controls.actions[:num_actions])
        s._controls = controls
        s.num_paddles = controls.num_paddles
        return s

    @classmethod
    def console(
        cls,
        name: str,
        ports: Sequence[int],
        buttons: Sequence[str | None],
        action_filter: ActionFilter | None,
        action_type: str | None = None,
    ) -> ActionScheme:
        """Console buttons on each agent's port: ``name`` is a scheme, or any with ``action_type``.

        Args:
            name: ``"all"``, ``"filtered"`` or ``"multi_discrete"`` (``"discrete"`` only with
                ``action_type``).
            ports: each agent's port.
            buttons: the system's button names by joypad bit.
            action_filter: the allowed combos (``"filtered"`` and ``"multi_discrete"``).
            action_type: PyBoy's ``"press"``, ``"toggle"`` or ``"all"``, or None.

        Raises:
            ArgumentError: ``"filtered"`` or ``"multi_discrete"`` without allowed combos.
        """
        n, nb = len(ports), len(buttons)
        if action_type is not None:
            named = [i for i, b in enumerate(buttons) if b is not None]
            k = len(named)
            press = np.zeros(1 + k * (2 if action_type == "all" else 1), np.uint16)
            press[1 : 1 + k] = [1 << i for i in named]
            release = np.zeros_like(press)
            if action_type == "all":
                release[1 + k :] = press[1 : 1 + k]
            labels: list[str | None] = [None, *(buttons[i] for i in named)]
            if action_type == "all":
                labels += [f"release {buttons[i]}" for i in named]
            space: gymnasium.spaces.Space[Any] = gymnasium.spaces.Discrete(len(press))
            s = cls(name, [space] * n, 0, buttons, action_type, labels)
            s._press, s._release = press, release
        elif name == "all" or name == "filtered":
            if name == "filtered" and action_filter is None:
                raise ArgumentError(
                    "actions='filtered' needs allowed combos and this env has none; use actions='all'"
                )
            s = cls(name, [gymnasium.spaces.MultiBinary(nb)] * n, 0, buttons)
            s._weights = np.left_shift(1, np.arange(nb, dtype=np.int64))
            if name == "filtered":
                assert action_filter is not None
                if nb <= 16:  # every raw mask's filtered mask, so a step is one lookup
                    s._filter = np.array(
                        [action_filter.filter(m) for m in range(1 << nb)], np.uint16
                    )
                else:
                    s._slow_filter = action_filter
        else:
            if action_filter is None:
                raise ArgumentError(
                    "actions='multi_discrete' needs button groups and this env has none; "
                    "use actions='all'"
                )
            combos = [c for _m, c in action_filter.groups]
            s = cls(
                name, [gymnasium.spaces.MultiDiscrete([len(c) for c in combos])] * n, 0, buttons
            )
            s.combos = tuple(combos)
            s._groups = np.zeros((len(combos), max(len(c) for c in combos)), np.uint16)
            for g, c in enumerate(combos):
                s._groups[g, : len(c)] = c
        s._ports = np.asarray(ports, np.intp)
        return s

    # ---------------------------------------------------------------- checking

    def check(self, agent: str, i: int, action: Any) -> int:
        """Agent ``i``'s action as a code, or ArgumentError saying why not; changes nothing."""
        space = self.spaces[i]
        if isinstance(action, np.ma.MaskedArray):
            raise ArgumentError(
                f"action for {agent!r} is a masked array; pass a plain value of its {space}"
            )
        if isinstance(space, gymnasium.spaces.Discrete):
            return check_index(agent, action, int(space.n))
        if isinstance(action, (bool, np.bool_, int, np.integer, float, str)) or action is None:
            raise ArgumentError(
                f"action for {agent!r} must be an array of shape {space.shape} in its {space}, "
                f"got {type(action).__name__} {action!r}"
            )
        try:
            arr = np.asarray(action)
        except (ValueError, TypeError):
            arr = np.asarray(None)
        if arr.shape != space.shape or not (
            np.issubdtype(arr.dtype, np.integer) or arr.dtype == np.bool_
        ):
            raise ArgumentError(
                f"action for {agent!r} must be an integer array of shape {space.shape} in its "
                f"{space}, got {arr.dtype} {arr.shape}"
            )
        if isinstance(space, gymnasium.spaces.MultiBinary):
            bits = arr.astype(np.int64)
            if bits.min() < 0 or bits.max() > 1:
                raise ArgumentError(
                    f"action {arr.tolist()} for {agent!r} is outside its {space}: each slot is 0 or 1"
                )
            mask = int(bits @ self._weights)
            if self._filter is not None:
                return int(self._filter[mask])
            if self._slow_filter is not None:
                return self._slow_filter.filter(mask)
            return mask
        assert isinstance(space, gymnasium.spaces.MultiDiscrete)
        choice = arr.astype(np.int64)
        if choice.min() < 0 or np.any(choice >= space.nvec):
            raise ArgumentError(f"action {arr.tolist()} for {agent!r} is outside its {space}")
        return int(np.bitwise_or.reduce(self._groups[np.arange(len(choice)), choice]))

    def valid(self, codes: npt.NDArray[np.intp]) -> bool:
        """Whether ``codes`` could have come from :meth:`check` (or be the NOOP)."""
        if codes.size == 0:
            return True
        if self._controls is not None or self.action_type is not None:
            top = self.noop if self._controls is not None else len(self._press) - 1
            return bool(codes.min() >= 0 and codes.max() <= top)
        return bool(codes.min() >= 0 and codes.max() < 1 << 16)

    # ---------------------------------------------------------------- inputs

    def reset(self) -> None:
        """Release every button held by toggle or press/release actions."""
        self._held[:] = 0

    def inputs(
        self, codes: npt.NDArray[np.intp]
    ) -> tuple[npt.NDArray[np.uint16], npt.NDArray[np.int32]]:
        """Port masks (MAX_PORTS,) and paddle deltas for every agent's code (from :meth:`check`).

        Toggle and press/release actions change the held state here, once per step.
        """
        if self._controls is not None:
            return self._controls.apply(codes)
        if self.action_type is None:
            pressed = codes.astype(np.uint16)
        elif self.action_type == "press":
            pressed = self._press[codes]
        elif self.action_type == "toggle":
            self._held ^= self._press[codes]
            pressed = self._held.copy()
        else:
            self._held |= self._press[codes]
            self._held &= ~self._release[codes]
            pressed = self._held.copy()
        masks = np.zeros(MAX_PORTS, np.uint16)
        np.bitwise_or.at(masks, self._ports, pressed)
        return masks, np.zeros(1, np.int32)

    def noop_codes(self) -> npt.NDArray[np.intp]:
        """Every agent's NOOP code."""
        return np.full(len(self.spaces), self.noop, np.intp)


def check_index(agent: str, action: Any, n: int) -> int:
    """``action`` as an index into ``agent``'s Discrete(n) space, or ValueError saying why not."""
    if isinstance(action, np.ma.MaskedArray):
        raise ArgumentError(
            f"action for {agent!r} is a masked array; pass a plain integer in [0, {n})"
        )
    if isinstance(action, (bool, np.bool_)):
        raise ArgumentError(f"action for {agent!r} must be an integer in [0, {n}), got {action!r}")
    if isinstance(action, np.ndarray):
        if action.shape not in ((), (1,)) or not np.issubdtype(action.dtype, np.integer):
            raise ArgumentError(
                f"action for {agent!r} must be an integer in [0, {n}), got an array of "
                f"{action.dtype} {action.shape}"
            )
        action = action.reshape(()).item()
    if not isinstance(action, (int, np.integer)):
        raise ArgumentError(
            f"action for {agent!r} must be an integer in [0, {n}), got {type(action).__name__} {action!r}"
        )
    a = int(action)
    if not 0 <= a < n:
        raise ArgumentError(f"action {a} for {agent!r} is outside its Discrete({n}) space")
    return a
