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
# Option bit for each bit of the mode number, in menu order (row 2 is skipped):
# two players, three-point shots, ten-second rule, three-second rule, fouls.
_MENU = ((16, 0x40), (1, 0x08), (2, 0x10), (4, 0x04), (8, 0x20))
_MAX_TRIES = 64


class DoubleDunkRules(Rules):
    """Double Dunk's option menu (ALE's walk through it).

    The stall timer is data: the metadata's ``stall`` (ALE's rule: after more than 120 frames
    of the play-select byte 0 or with bit 0x80/0x40 set, the stalling side gets -1 in place of
    the step's rewards: 0 -> both, 0x40 -> the second player, 0x80 -> the first).
    """

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
