"""A scaled pygame window that shows emulator frames (render_mode="human", manual control).

It sits below the envs, which open one for ``render_mode="human"``; ``check_display`` lets a
command fail before any work when no window could be shown.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import numpy as np
import numpy.typing as npt

from pettingretro.errors import PettingRetroError

__all__ = ["HEADLESS_DRIVERS", "Window", "check_display"]

#: SDL video drivers that draw nowhere: SDL falls back to them when it finds no display.
HEADLESS_DRIVERS = frozenset({"offscreen", "dummy"})

_HOW = (
    "run it where a desktop is (a local session, `ssh -X`, or Xvfb), or set SDL_VIDEODRIVER=dummy "
    "to run it with no window at all"
)


def _pygame() -> Any:
    try:
        import pygame
    except ImportError:
        raise PettingRetroError("a window needs pygame: `pip install pygame`") from None
    return pygame


def _init_display(pygame: Any) -> None:
    """Start pygame's display, refusing the drivers that would show nothing.

    Raises:
        PettingRetroError: no display, or SDL picked a headless driver the user did not ask for.
    """
    driver = os.environ.get("SDL_VIDEODRIVER")
    if (
        sys.platform.startswith("linux")
        and not driver
        and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    ):
        # SDL would fall back to a driver that draws nowhere (after warnings on stderr)
        raise PettingRetroError(
            f"no display for a window: DISPLAY and WAYLAND_DISPLAY are unset; {_HOW}"
        )
    try:
        pygame.display.init()
    except pygame.error as e:
        asked = f" (SDL_VIDEODRIVER={driver})" if driver else ""
        raise PettingRetroError(f"no display for a window{asked}: {e}; {_HOW}") from None
    picked = pygame.display.get_driver()
    if picked in HEADLESS_DRIVERS and driver != picked:
        pygame.display.quit()
        raise PettingRetroError(
            f"no display for a window: SDL opened none and fell back to its {picked!r} driver, "
            f"which shows nothing; {_HOW}"
        )


def check_display() -> None:
    """Fail now, not after loading a game, when no window could be shown.

    Raises:
        PettingRetroError: pygame is missing or there is no display.
    """
    pygame = _pygame()
    _init_display(pygame)
    pygame.display.quit()


class Window:
    """A window scaled ``zoom`` times that draws RGB frames.

    Raises:
        PettingRetroError: pygame is missing or there is no display.
    """

    def __init__(self, title: str, width: int, height: int, zoom: int = 3) -> None:
        pygame = _pygame()
        self.pg: Any = pygame
        _init_display(pygame)
        try:
            self.surface = pygame.display.set_mode((width * zoom, height * zoom))
        except pygame.error as e:
            pygame.display.quit()
            raise PettingRetroError(f"no display for a window ({e}); {_HOW}") from None
        pygame.display.set_caption(title)
        self.size = (width * zoom, height * zoom)
        self.zoom = zoom
        self.headless = pygame.display.get_driver() in HEADLESS_DRIVERS

    def show(self, frame: npt.NDArray[np.uint8]) -> None:
        """Draw one (H, W, 3) frame."""
        pg = self.pg
        img = pg.image.frombuffer(
            np.ascontiguousarray(frame).tobytes(), (frame.shape[1], frame.shape[0]), "RGB"
        )
        self.surface.blit(pg.transform.scale(img, self.size), (0, 0))
        pg.display.flip()
        pg.event.pump()

    def close(self) -> None:
        """Close the window."""
        self.pg.display.quit()
