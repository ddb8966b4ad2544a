"""The game window, where it was before it moved below the envs (``pettingretro.window``)."""

from pettingretro.window import HEADLESS_DRIVERS, Window, check_display

__all__ = ["HEADLESS_DRIVERS", "Window", "check_display"]
