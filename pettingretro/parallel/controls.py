"""Turning each agent's discrete action into controller input: joystick bits and paddle motion."""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from pettingretro.host import MAX_PORTS, Button

#: ALE's 18 actions, in ALE's order (PettingZoo Atari's full action space).
ALE_ACTIONS = (
    "NOOP", "FIRE", "UP", "RIGHT", "LEFT", "DOWN", "UPRIGHT", "UPLEFT", "DOWNRIGHT", "DOWNLEFT",
    "UPFIRE", "RIGHTFIRE", "LEFTFIRE", "DOWNFIRE", "UPRIGHTFIRE", "UPLEFTFIRE", "DOWNRIGHTFIRE",
    "DOWNLEFTFIRE",
)  # fmt: skip
_DIRS = ("UP", "DOWN", "LEFT", "RIGHT")


def action_parts(name: str) -> set[str]:
    """The directions and FIRE that an ALE action name holds (``"UPRIGHTFIRE"`` → 3 parts)."""
    parts = {d for d in _DIRS if d in name}
    if "FIRE" in name:
        parts.add("FIRE")
    return parts


@dataclass(frozen=True)
class Binding:
    """What one agent controls: a joystick on a port, or a paddle with a fire button somewhere.

    Attributes:
        port: the joystick's port (joystick agents).
        paddle: the paddle's index among the game's host-owned paddles (paddle agents).
        fire: (port, button) pressed for FIRE; a joystick's is (port, "B").
    """

    port: int | None = None
    paddle: int | None = None
    fire: tuple[int, str] | None = None

    @classmethod
    def parse(cls, spec: Mapping[str, Any], where: str) -> Binding:
        """Parse a binding from metadata.json; ``where`` names it for errors."""
        if "port" in spec and "paddle" not in spec:
            port = int(spec["port"])
            fire = spec.get("fire", [port, "B"])
            return cls(port=port, fire=(int(fire[0]), str(fire[1])))
        if "paddle" in spec:
            fire = spec.get("fire")
            return cls(
                paddle=int(spec["paddle"]), fire=(int(fire[0]), str(fire[1])) if fire else None
            )
        raise ValueError(
            f"{where}: an agent binding needs 'port' (joystick) or 'paddle', got {dict(spec)!r}"
        )


class Controls:
    """Per-agent lookup tables from action index to port masks and paddle deltas.

    Build one with :meth:`ale` (Atari games: ALE's 18 actions) or :meth:`buttons` (any console:
    stable-retro's button combinations).

    Args:
        bindings: one per agent, in agent order.
        masks: (agents, actions, MAX_PORTS) uint16: the ports' buttons each action holds.
        deltas: (agents, actions, paddles) int32: each paddle's motion per frame.
        actions: what each action index means (ALE ids, or button-name tuples).
    """

    def __init__(
        self,
        bindings: Sequence[Binding],
        masks: npt.NDArray[np.uint16],
        deltas: npt.NDArray[np.int32],
        actions: Sequence[Any],
    ) -> None:
        self.bindings = tuple(bindings)
        self.actions = tuple(actions)
        self.masks = masks
        self.deltas = deltas
        self.num_paddles = 1 + max((b.paddle for b in bindings if b.paddle is not None), default=-1)
        n, k = masks.shape[:2]
        self._rows = np.arange(n)
        # every joint action's masks and deltas, precomputed while the table stays small
        self._stride = k ** np.arange(n)
        self._joint: tuple[npt.NDArray[np.uint16], npt.NDArray[np.int32]] | None = None
        if k**n <= 1 << 16:
            codes = np.indices((k,) * n).reshape(n, -1)[::-1]  # codes[a] = agent a's index
            jm = np.bitwise_or.reduce(self.masks[self._rows[:, None], codes], axis=0)
            jd = self.deltas[self._rows[:, None], codes].sum(axis=0, dtype=np.int32)
            self._joint = (np.ascontiguousarray(jm), np.ascontiguousarray(jd))
            # the hot path: Python ints and prebuilt rows cost less than numpy's @ and indexing
            self._stride_list = self._stride.tolist()
            self._joint_rows = (list(self._joint[0]), list(self._joint[1]))

    @classmethod
    def ale(
        cls, bindings: Sequence[Binding], actions: Sequence[int], paddle_speed: int = 23000
    ) -> Controls:
        """ALE's actions: joystick directions and FIRE, or paddle motion (LEFT +, RIGHT -)."""
        n, k = len(bindings), len(actions)
        num_paddles = 1 + max((b.paddle for b in bindings if b.paddle is not None), default=-1)
        masks = np.zeros((n, k, MAX_PORTS), np.uint16)
        deltas = np.zeros((n, k, max(num_paddles, 1)), np.int32)
        for a, b in enumerate(bindings):
            for i, ale_id in enumerate(actions):
                parts = action_parts(ALE_ACTIONS[ale_id])
                if b.port is not None:
                    for d in _DIRS:
                        if d in parts:
                            masks[a, i, b.port] |= 1 << Button[d]
                elif b.paddle is not None:
                    if "RIGHT" in parts:
                        deltas[a, i, b.paddle] -= paddle_speed
                    if "LEFT" in parts:
                        deltas[a, i, b.paddle] += paddle_speed
                if "FIRE" in parts and b.fire is not None:
                    masks[a, i, b.fire[0]] |= 1 << Button[b.fire[1]]
        return cls(bindings, masks, deltas, actions)

    @classmethod
    def buttons(
        cls, ports: Sequence[int], combos: Sequence[int], names: Sequence[Any] = ()
    ) -> Controls:
        """Console buttons: action i holds joypad mask ``combos[i]`` on the agent's port."""
        n, k = len(ports), len(combos)
        masks = np.zeros((n, k, MAX_PORTS), np.uint16)
        for a, port in enumerate(ports):
            masks[a, :, port] = np.asarray(combos, np.uint16)
        deltas = np.zeros((n, k, 1), np.int32)
        return cls([Binding(port=p) for p in ports], masks, deltas, names or combos)

    def apply_many(
        self, rows: npt.NDArray[np.intp]
    ) -> tuple[npt.NDArray[np.uint16], npt.NDArray[np.int32]]:
        """:meth:`apply` for many games at once: ``rows`` (games, agents) of action indices.

        Returns port masks (games, MAX_PORTS) and paddle deltas (games, paddles), each row what
        :meth:`apply` gives for that game's row.
        """
        if self._joint is not None:
            code = rows @ self._stride
            return self._joint[0][code], self._joint[1][code]
        masks = np.bitwise_or.reduce(self.masks[self._rows, rows], axis=1)
        deltas = self.deltas[self._rows, rows].sum(axis=1, dtype=np.int32)
        return masks, deltas

    def same_tables(self, other: Controls) -> bool:
        """Whether ``other`` turns every action into the same inputs (one game's envs do)."""
        return (
            self.masks.shape == other.masks.shape
            and self.deltas.shape == other.deltas.shape
            and bool(np.array_equal(self.masks, other.masks))
            and bool(np.array_equal(self.deltas, other.deltas))
        )

    def apply(
        self, action_index: npt.NDArray[np.intp] | list[int]
    ) -> tuple[npt.NDArray[np.uint16], npt.NDArray[np.int32]]:
        """Port masks (MAX_PORTS,) and paddle deltas for every agent's action index (array or list)."""
        if self._joint is not None:
            rows = action_index if isinstance(action_index, list) else action_index.tolist()
            code = sum(map(operator.mul, rows, self._stride_list))
            return self._joint_rows[0][code], self._joint_rows[1][code]
        masks = np.bitwise_or.reduce(self.masks[self._rows, action_index], axis=0)
        deltas = self.deltas[self._rows, action_index].sum(axis=0, dtype=np.int32)
        return masks, deltas
