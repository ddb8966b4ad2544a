"""Helpers for pettingretro's own tests: fixtures built from sources in this repository."""
