"""The native parallel env: one emulator, one agent per controller port (or paddle)."""

from pettingretro.parallel.env import RetroParallelEnv

__all__ = ["RetroParallelEnv"]
