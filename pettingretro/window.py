"""A scaled pygame window that shows emulator frames (render_mode="human", manual control)."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import numpy.typing as npt

from pettingretro.errors import PettingRetroError


class Window:
    """A window scaled ``zoom`` times that draws RGB frames.

    Raises:
        PettingRetroError: pygame is missing or there is no display.
    """

    def __init__(self, title: str, width: int, height: int, zoom: int = 3) -> None:
        try:
            import pygame
        except ImportError:
            raise PettingRetroError(
                "render_mode='human' needs pygame: `pip install pygame`"
            ) from None
        self.pg: Any = pygame
        pygame.display.init()
        try:
            self.surface = pygame.display.set_mode((width * zoom, height * zoom))
        except pygame.error as e:
            raise PettingRetroError(
                f"no display for render_mode='human' ({e}); use render_mode='rgb_array', or set "
                f"SDL_VIDEODRIVER=dummy to run windows headless"
            ) from None
        pygame.display.set_caption(title)
        self.size = (width * zoom, height * zoom)
        self.zoom = zoom
        self.headless = os.environ.get("SDL_VIDEODRIVER") == "dummy"

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
