"""Griffe extension for the API reference: docstrings written for Sphinx-style tools read well here.

The package's docstrings follow Google style, as its style guide asks, with two habits that
griffe's Markdown rendering does not know:

- ``Example:`` (singular, which the style and Napoleon allow) heads the examples; griffe only
  knows ``Examples:`` and would render the singular one as an admonition of plain Markdown,
  where doctest output such as ``['no match']`` reads as a link;
- Sphinx roles (``:class:`~pettingretro.errors.EmulatorBusyError```, ``:meth:`reset```) name
  other objects; they become code spans (``EmulatorBusyError``, ``reset``), as Sphinx shows them.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_EXAMPLE = re.compile(r"^(\s*)Example:\s*$", re.M)
_ROLE = re.compile(r":(?:class|func|meth|attr|mod|data|exc|obj):`(?P<tilde>~?)(?P<target>[^`]+)`")


def _role(m: re.Match[str]) -> str:
    target = m.group("target")
    return f"`{target.rsplit('.', 1)[-1] if m.group('tilde') else target}`"


class SphinxHabits(griffe.Extension):
    """Rename ``Example:`` headings to ``Examples:`` and turn Sphinx roles into code spans."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        """Called by griffe for every object it loads, before any docstring is parsed."""
        if obj.docstring is not None:
            text = _EXAMPLE.sub(r"\1Examples:", obj.docstring.value)
            obj.docstring.value = _ROLE.sub(_role, text)
