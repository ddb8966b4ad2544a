"""Action schemes: an agent's gymnasium space, how its actions are checked, and the buttons they hold.

Four spaces over a console's buttons, named as stable-retro's ``Actions``:

* ``"discrete"``: one Discrete index per allowed button combination (``Actions.DISCRETE``).
* ``"multi_discrete"``: one Discrete per button group (``Actions.MULTI_DISCRETE``).
* ``"all"``: MultiBinary over every joypad bit of the console, START and SELECT included
  (``Actions.ALL``); slot ``i`` is joypad bit ``i``, named by ``env.buttons[i]``.
* ``"filtered"``: the same MultiBinary, each group's bits kept only when they form one of the
  integration's allowed combos (``Actions.FILTERED``).

``action_type`` (PyBoy's ``action_type``) replaces the space by a Discrete over the buttons:
``"press"`` holds a button for one step, ``"toggle"`` flips a button's held state, ``"all"``
has separate press and release actions. Index 0 does nothing.

Every scheme is a table: an action becomes a row index (checked once), and the row's masks come
from numpy lookups, never from a Python loop over buttons.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import gymnasium
import numpy as np
import numpy.typing as npt

from pettingretro.errors import PettingRetroError
from pettingretro.host import MAX_PORTS
from pettingretro.integration.scenario import ActionFilter

ACTION_SPACES = ("discrete", "multi_discrete", "all", "filtered")
ACTION_TYPES = ("press", "toggle", "all")

#: stable-retro's ``Actions`` member names -> ours.
_RETRO_NAMES = {
    "DISCRETE": "discrete",
    "MULTI_DISCRETE": "multi_discrete",
    "ALL": "all",
    "FILTERED": "filtered",
}

_ALL_BITS = 0xFFFF


class InvalidActionError(PettingRetroError, ValueError):
    """An action outside its agent's space (the message names the agent, space and value)."""


def action_space_choice(actions: Any) -> str:
    """``actions=`` as one of :data:`ACTION_SPACES`; a ``stable_retro.Actions`` member is accepted.

    Raises:
        InvalidActionError: anything else (the message lists the choices).
    """
    if actions is None:
        return "discrete"
    if type(actions).__name__ == "Actions" and getattr(actions, "name", None) in _RETRO_NAMES:
        return _RETRO_NAMES[actions.name]
    if isinstance(actions, str) and actions in ACTION_SPACES:
        return actions
    raise InvalidActionError(
        f"actions must be one of {', '.join(map(repr, ACTION_SPACES))} or a stable_retro.Actions "
        f"member, got {actions!r}"
    )


def action_type_choice(action_type: Any) -> str | None:
    """``action_type=`` as None or one of :data:`ACTION_TYPES`.

    Raises:
        InvalidActionError: anything else.
    """
    if action_type is None or (isinstance(action_type, str) and action_type in ACTION_TYPES):
        return action_type
    raise InvalidActionError(
        f"action_type must be None or one of {', '.join(map(repr, ACTION_TYPES))} "
        f"(PyBoy's meanings), got {action_type!r}"
    )


def _as_int(agent: str, action: Any, space: str) -> int:
    if isinstance(action, np.ma.MaskedArray):
        raise InvalidActionError(
            f"action for {agent!r} is a masked array; pass a plain integer for its {space} space"
        )
    if isinstance(action, (bool, np.bool_)):
        raise InvalidActionError(
            f"action for {agent!r} must be an integer in its {space} space, got {action!r}"
        )
    if isinstance(action, np.ndarray):
        if action.shape not in ((), (1,)) or not np.issubdtype(action.dtype, np.integer):
            raise InvalidActionError(
                f"action for {agent!r} must be an integer in its {space} space, got an array of "
                f"{action.dtype} {action.shape}"
            )
        action = action.reshape(()).item()
    if not isinstance(action, (int, np.integer)):
        raise InvalidActionError(
            f"action for {agent!r} must be an integer in its {space} space, got "
            f"{type(action).__name__} {action!r}"
        )
    return int(action)


def check_discrete(agent: str, action: Any, n: int) -> int:
    """``action`` as an index into ``agent``'s Discrete(n) space.

    Raises:
        InvalidActionError: not an integer (bools and masked arrays are refused), or outside.
    """
    a = _as_int(agent, action, f"Discrete({n})")
    if not 0 <= a < n:
        raise InvalidActionError(f"action {a} for {agent!r} is outside its Discrete({n}) space")
    return a


def _as_vector(agent: str, action: Any, space: str, size: int) -> npt.NDArray[np.int64]:
    if isinstance(action, np.ma.MaskedArray):
        raise InvalidActionError(
            f"action for {agent!r} is a masked array; pass a plain array for its {space} space"
        )
    if isinstance(action, (str, bytes, Mapping)) or np.isscalar(action):
        raise InvalidActionError(
            f"action for {agent!r} must be an array of {size} integers for its {space} space, "
            f"got {type(action).__name__} {action!r}"
        )
    try:
        arr = np.asarray(action)
    except (TypeError, ValueError):
        raise InvalidActionError(
            f"action for {agent!r} must be an array of {size} integers for its {space} space"
        ) from None
    if arr.shape != (size,) or not (np.issubdtype(arr.dtype, np.integer) or arr.dtype == np.bool_):
        raise InvalidActionError(
            f"action for {agent!r} must be {size} integers for its {space} space, got an array of "
            f"{arr.dtype} {arr.shape}"
        )
    return arr.astype(np.int64)


class ActionScheme:
    """One space for every agent of an env: the space, the check and the row tables.

    Build one with :meth:`build`. ``rows[r]`` is the joypad mask action row ``r`` holds on the
    agent's port (the last row, :attr:`noop_row`, is for agents that are gone). With an
    ``action_type``, rows are PyBoy's actions and the held state lives in :meth:`joypads`.

    Attributes:
        kind: one of :data:`ACTION_SPACES`.
        action_type: None or one of :data:`ACTION_TYPES`.
        space: the gymnasium space each agent gets.
        buttons: each MultiBinary slot's button name (None for an unused joypad bit), or each
            button an ``action_type`` action presses (index ``i + 1`` presses ``buttons[i]``).
        rows: (rows,) uint16 joypad masks, last row the hidden NOOP.
        noop_row: the row of an absent or finished agent.
    """

    def __init__(
        self,
        kind: str,
        action_type: str | None,
        space: gymnasium.spaces.Space[Any],
        buttons: Sequence[str | None],
        rows: npt.NDArray[np.uint16],
    ) -> None:
        self.kind = kind
        self.action_type = action_type
        self.space = space
        self.buttons = tuple(buttons)
        self.rows = rows
        self.noop_row = len(rows) - 1
        self._radix: npt.NDArray[np.int64] | None = None
        # action_type tables: held' = ((held & keep) | set) ^ flip; joypad = held' | tap
        n = len(rows)
        self._keep = np.full(n, _ALL_BITS, np.uint16)
        self._set = np.zeros(n, np.uint16)
        self._flip = np.zeros(n, np.uint16)
        self._tap = np.zeros(n, np.uint16)

    @classmethod
    def build(
        cls,
        kind: str,
        action_type: str | None,
        system_buttons: Sequence[str | None],
        groups: Sequence[Sequence[Sequence[str]]] | None,
    ) -> ActionScheme:
        """The scheme of ``kind`` for a console with ``system_buttons`` (by joypad bit).

        Args:
            kind: one of :data:`ACTION_SPACES`.
            action_type: None or one of :data:`ACTION_TYPES` (then ``kind`` picks the buttons:
                ``"all"`` every button, otherwise those of the allowed combos).
            system_buttons: the console's button names by joypad bit (None: unused bit).
            groups: the allowed button groups (the scenario's or the console's), or None.
        """
        filt = ActionFilter(groups or [], system_buttons) if groups else None
        named = 0
        for i, b in enumerate(system_buttons):
            if b is not None:
                named |= 1 << i
        if action_type is not None:
            reach = named
            if kind != "all" and filt is not None:
                reach = 0
                for m, _c in filt.groups:
                    reach |= m
            bits = [i for i in range(len(system_buttons)) if reach >> i & 1]
            names = [system_buttons[i] for i in bits]
            k = len(bits)
            size = 1 + k * (2 if action_type == "all" else 1)
            scheme = cls(
                kind,
                action_type,
                gymnasium.spaces.Discrete(size),
                names,
                np.zeros(size + 1, np.uint16),
            )
            one = np.array([1 << i for i in bits], np.uint16)
            pressed = slice(1, 1 + k)
            if action_type == "press":
                scheme._tap[pressed] = one
            elif action_type == "toggle":
                scheme._flip[pressed] = one
            else:
                scheme._set[pressed] = one
                scheme._keep[1 + k : 1 + 2 * k] = ~one
            scheme._keep[-1] = 0  # a finished agent lets go of everything
            scheme.rows[pressed] = one
            return scheme
        if kind in ("all", "filtered"):
            n = len(system_buttons)
            codes = np.arange(1 << n, dtype=np.int64)
            if kind == "all" or filt is None:
                table = codes & named
            else:
                table = np.zeros_like(codes)
                for m, allowed in filt.groups:
                    part = codes & m
                    table |= np.where(np.isin(part, allowed), part, 0)
            rows = np.append(table, 0).astype(np.uint16)
            return cls(kind, None, gymnasium.spaces.MultiBinary(n), system_buttons, rows)
        valid = filt.valid_actions() if filt is not None else [[0]]
        if kind == "multi_discrete":
            sizes = [len(v) for v in valid]
            table = np.zeros(int(np.prod(sizes)), np.int64)
            radix = np.cumprod([1, *sizes[:-1]]).astype(np.int64)
            for g, v in enumerate(valid):  # groups, not buttons: a handful
                picks = (np.arange(len(table)) // radix[g]) % sizes[g]
                table |= np.asarray(v, np.int64)[picks]
            scheme = cls(
                kind,
                None,
                gymnasium.spaces.MultiDiscrete(sizes),
                system_buttons,
                np.append(table, 0).astype(np.uint16),
            )
            scheme._radix = radix
            return scheme
        combos = filt.combos() if filt is not None else [0]
        rows = np.asarray([*combos, 0], np.uint16)
        return cls(kind, None, gymnasium.spaces.Discrete(len(combos)), system_buttons, rows)

    def describe(self) -> str:
        """The space as the error messages name it."""
        return repr(self.space)

    def check(self, agent: str, action: Any) -> int:
        """``agent``'s action as a row index, changing nothing.

        Raises:
            InvalidActionError: the action is not in the space (it says why).
        """
        space = self.space
        if isinstance(space, gymnasium.spaces.Discrete):
            return check_discrete(agent, action, int(space.n))
        if isinstance(space, gymnasium.spaces.MultiBinary):
            size = int(np.prod(space.shape))
            arr = _as_vector(agent, action, self.describe(), size)
            if ((arr != 0) & (arr != 1)).any():
                raise InvalidActionError(
                    f"action for {agent!r} must hold only 0 and 1 for its {self.describe()} "
                    f"space, got {arr.tolist()}"
                )
            return int(arr @ (1 << np.arange(size, dtype=np.int64)))
        assert isinstance(space, gymnasium.spaces.MultiDiscrete)
        assert self._radix is not None
        nvec = space.nvec.astype(np.int64)
        arr = _as_vector(agent, action, self.describe(), len(nvec))
        if ((arr < 0) | (arr >= nvec)).any():
            raise InvalidActionError(
                f"action {arr.tolist()} for {agent!r} is outside its {self.describe()} space"
            )
        return int(arr @ self._radix)

    def action_for(self, names: Sequence[str]) -> Any:
        """The action that holds exactly the buttons ``names`` (one step of them).

        With an ``action_type``, the action that presses (or toggles) the one button named.

        Raises:
            InvalidActionError: no action of this space holds exactly those buttons.
        """
        mask = 0
        for n in names:
            if n not in self.buttons:
                raise InvalidActionError(f"{n!r} is none of this space's buttons {self.buttons}")
        if self.action_type is not None:
            if len(names) != 1:
                raise InvalidActionError(f"an action_type action presses one button, not {names}")
            return 1 + self.buttons.index(names[0])
        for n in names:
            mask |= 1 << self.buttons.index(n)
        found = np.flatnonzero(self.rows[: self.noop_row] == mask)
        if not found.size:
            raise InvalidActionError(f"no action of {self.describe()} holds exactly {names}")
        row = int(found[0])
        space = self.space
        if isinstance(space, gymnasium.spaces.MultiBinary):
            return (row >> np.arange(int(np.prod(space.shape)))) & 1
        if isinstance(space, gymnasium.spaces.MultiDiscrete):
            assert self._radix is not None
            return (row // self._radix) % space.nvec.astype(np.int64)
        return row

    def joypads(
        self, held: npt.NDArray[np.uint16], idx: npt.NDArray[np.intp]
    ) -> npt.NDArray[np.uint16]:
        """Each agent's joypad mask for row indices ``idx``; updates ``held`` in place.

        Without an ``action_type`` ``held`` is left alone.
        """
        if self.action_type is None:
            return self.rows[idx]
        held[:] = ((held & self._keep[idx]) | self._set[idx]) ^ self._flip[idx]
        return held | self._tap[idx]


def port_masks(
    ports: npt.NDArray[np.intp], joypads: npt.NDArray[np.uint16]
) -> npt.NDArray[np.uint16]:
    """(MAX_PORTS,) masks: every agent's joypad OR-ed onto its port."""
    out = np.zeros(MAX_PORTS, np.uint16)
    np.bitwise_or.at(out, ports, joypads)
    return out


def bare_rom_groups(
    system_buttons: Sequence[str | None], groups: Sequence[Sequence[Sequence[str]]]
) -> list[list[list[str]]]:
    """A console's default groups plus one that presses START or SELECT (bare ROMs need them).

    stable-retro's default combos hold neither, so a game run from a bare ROM could never leave
    its title screen. The added group is START, SELECT or nothing (the console's names for them:
    PC Engine's RUN, Genesis' MODE, Master System's PAUSE).
    """
    out = [[list(c) for c in g] for g in groups]
    extra = [
        [b]
        for b in ("START", "RUN", "PAUSE", "RESET", "SELECT", "MODE")
        if b in system_buttons and not any([b] in g for g in out)
    ]
    if extra:
        out.append([[], *extra])
    return out


__all__ = [
    "ACTION_SPACES",
    "ACTION_TYPES",
    "ActionScheme",
    "InvalidActionError",
    "action_space_choice",
    "action_type_choice",
    "bare_rom_groups",
    "check_discrete",
    "port_masks",
]
