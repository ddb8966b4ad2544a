"""Turning each agent's discrete action into controller input: joystick bits and paddle motion."""

from __future__ import annotations

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

    Args:
        bindings: one per agent, in agent order.
        actions: the ALE action ids each agent's Discrete space indexes (the minimal set, or 0..17).
        paddle_speed: resistance change per frame of LEFT (+) and RIGHT (-), as in ALE.
    """

    def __init__(
        self, bindings: Sequence[Binding], actions: Sequence[int], paddle_speed: int = 23000
    ) -> None:
        self.bindings = tuple(bindings)
        self.actions = tuple(actions)
        self.num_paddles = 1 + max((b.paddle for b in bindings if b.paddle is not None), default=-1)
        n, k = len(bindings), len(self.actions)
        self.masks = np.zeros((n, k, MAX_PORTS), np.uint16)
        self.deltas = np.zeros((n, k, max(self.num_paddles, 1)), np.int32)
        for a, b in enumerate(bindings):
            for i, ale_id in enumerate(self.actions):
                parts = action_parts(ALE_ACTIONS[ale_id])
                if b.port is not None:
                    for d in _DIRS:
                        if d in parts:
                            self.masks[a, i, b.port] |= 1 << Button[d]
                elif b.paddle is not None:
                    if "RIGHT" in parts:
                        self.deltas[a, i, b.paddle] -= paddle_speed
                    if "LEFT" in parts:
                        self.deltas[a, i, b.paddle] += paddle_speed
                if "FIRE" in parts and b.fire is not None:
                    self.masks[a, i, b.fire[0]] |= 1 << Button[b.fire[1]]
        self._rows = np.arange(n)

    def apply(
        self, action_index: npt.NDArray[np.intp]
    ) -> tuple[npt.NDArray[np.uint16], npt.NDArray[np.int32]]:
        """Port masks (MAX_PORTS,) and paddle deltas for every agent's action index."""
        masks = np.bitwise_or.reduce(self.masks[self._rows, action_index], axis=0)
        deltas = self.deltas[self._rows, action_index].sum(axis=0, dtype=np.int32)
        return masks, deltas
