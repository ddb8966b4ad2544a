"""The AEC adapter: PettingZoo's turn-based API over the native parallel env."""

from pettingretro.aec.env import RetroAECEnv

__all__ = ["RetroAECEnv"]
