"""Double Dunk (Atari 2600): two-on-two basketball, one agent per team (joystick)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import numpy.typing as npt

from pettingretro.envs._factory import env_fns, project_game
from pettingretro.host import Button
from pettingretro.integration import IntegrationError
from pettingretro.parallel.game import Rules

OPTIONS = 0x80 - 0x80  # RAM index of the option bits
MENU_ROW = 0xB0 - 0x80  # RAM index of the menu row the cursor is on
STALL_FRAMES = 120
# Option bit for each bit of the mode number, in menu order (row 2 is skipped):
# two players, three-point shots, ten-second rule, three-second rule, fouls.
_MENU = ((16, 0x40), (1, 0x08), (2, 0x10), (4, 0x04), (8, 0x20))
_MAX_TRIES = 64


class DoubleDunkRules(Rules):
    """Double Dunk's stall timer and its option menu (ALE's rules).

    While the play-select byte ``stall`` is 0 or has bit 0x80/0x40 set, nobody is playing the
    ball; after more than 120 such frames in a row the stalling side is penalised and the count
    restarts: byte 0 -> both -1, bit 0x40 -> second player -1 (first 0), bit 0x80 -> first
    player -1 (second 0). The penalty replaces that frame's rewards.
    """

    def reset(self, values: Mapping[str, int]) -> None:
        """Start the stall count at 0."""
        self.count = 0

    def step(
        self,
        values: Mapping[str, int],
        deltas: Mapping[str, int],
        rewards: npt.NDArray[np.float64],
        frames: int,
    ) -> bool:
        """Count stalled frames and replace the rewards with the penalty when due."""
        c = values["stall"]
        if c != 0 and not c & 0xC0:
            self.count = 0
        self.count += frames
        if self.count > STALL_FRAMES:
            if c == 0:
                rewards[:] = (-1.0, -1.0)
            elif c & 0x40:
                rewards[:] = (0.0, -1.0)
            else:
                rewards[:] = (-1.0, 0.0)
            self.count = 0
        return False

    @staticmethod
    def select_mode(
        press: Callable[[Mapping[int, int] | None, int], None],
        ram: npt.NDArray[np.uint8],
        mode: int,
    ) -> None:
        """Open the option menu with SELECT, then set each option with port 0's joystick.

        DOWN moves to the next row (until the row byte changes), RIGHT turns an option on and
        LEFT off (until its bit matches), each press one frame followed by one idle frame.
        """

        def tap(button: Button) -> None:
            press({0: 1 << button}, 1)
            press(None, 1)

        def next_row() -> None:
            start = int(ram[MENU_ROW])
            for _ in range(_MAX_TRIES):
                tap(Button.DOWN)
                if int(ram[MENU_ROW]) != start:
                    return
            raise IntegrationError(
                f"double_dunk: DOWN never left menu row byte {start:#x} (mode {mode})"
            )

        def set_option(bit: int, on: bool) -> None:
            for _ in range(_MAX_TRIES):
                if bool(int(ram[OPTIONS]) & bit) == on:
                    return
                tap(Button.RIGHT if on else Button.LEFT)
            raise IntegrationError(
                f"double_dunk: option bit {bit:#x} never turned {'on' if on else 'off'} (mode {mode})"
            )

        tap(Button.SELECT)
        for row, (mode_bit, option_bit) in enumerate(_MENU):
            if row:
                next_row()
            if row == 1:  # the second menu row is not part of the mode: skip it
                next_row()
            set_option(option_bit, bool(mode & mode_bit))


GAME = project_game("double_dunk", version=0, rules=DoubleDunkRules)
env, parallel_env, raw_env = env_fns(GAME)
