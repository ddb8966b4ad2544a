"""Lua reward and done scripts, run as stable-retro runs them, in an embedded Lua from ``lupa``.

A scenario lists script files (``"scripts": ["script.lua"]``, relative to the scenario file)
and names functions in them (``"reward": {"script": "lua:correct_score"}``, and likewise in
``"done"``). stable-retro runs the files in one LuaJIT state when the scenario loads and again
at every reset (so globals start afresh each episode), and calls the named functions with no
arguments. This module does the same, preferring LuaJIT, then Lua 5.1 (the dialect scripts
are written in), from whatever ``lupa`` provides.

Globals a script sees (stable-retro's ``src/script-lua.cpp``):

``data``
    ``data.name`` is the current value of data.json's variable ``name``.
    ``data[address]`` (a number, or a numeric string) is the byte at that address (through the
    system's RAM base and overlay); an address outside memory is the error "Out of bounds access".
    ``data.name = v`` with ``v`` a number, boolean or nil stores a script value that later reads
    of ``data.name`` return, until the next reset (e.g. ``data.prev_lives = data.lives``).
    Reading a name that is neither a variable nor a stored value is an error. Assigning to a
    data.json variable (which in stable-retro writes RAM) is an error here: scripts do not
    write emulator memory.
``scenario``
    ``scenario.frame``: frames emulated since the episode began (0 while the scenario is
    evaluated at reset); ``scenario.timestep``: ``frame // 4``. Other keys are errors;
    assignments are ignored.
Libraries
    Lua's base functions (without ``dofile``/``loadfile``), ``coroutine``, ``string``,
    ``table`` and ``math``, as stable-retro opens them. ``io``, ``os``, ``package``/
    ``require``, ``debug``, ``bit``, ``jit`` and lupa's ``python`` are not available.

A function's result: a number is the reward (or, for done, true when nonzero); a boolean is
1/0 (or itself); anything else is 0 (false). An error in a script raises :class:`ScriptError`.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pettingretro.errors import ScriptError

if TYPE_CHECKING:
    from pettingretro.integration.memory import AddressSpace

#: lupa's Lua builds, best first: stable-retro embeds LuaJIT; Lua 5.1 has the same language.
_LUA_MODULES = ("lupa.luajit21", "lupa.luajit20", "lupa.lua51")
#: Globals stable-retro's Lua state does not have (it opens only base, table, string, math).
_REMOVED = (
    "io",
    "os",
    "package",
    "require",
    "module",
    "debug",
    "bit",
    "jit",
    "ffi",
    "python",
    "dofile",
    "loadfile",
)

# Builds `data` and `scenario`; returns the loader and the frame setter.
_PRELUDE = r"""
local get, byte, is_var = ...
local type, tostring, tonumber, error, pcall, loadstring, setmetatable =
      type, tostring, tonumber, error, pcall, loadstring, setmetatable
local stored = {}
local NIL = {}
local frame = 0

data = setmetatable({}, {
  __index = function(_, k)
    local address = tonumber(k)
    if address ~= nil then
      local b = byte(address)
      if b == nil then error("Out of bounds access", 2) end
      return b
    end
    if type(k) ~= "string" then error("Invalid variable name", 2) end
    local v = stored[k]
    if v ~= nil then
      if v == NIL then return nil end
      return v
    end
    v = get(k)
    if v == nil then
      error("data." .. k .. ": no such variable in data.json, and the script stored no value under this name", 2)
    end
    return v
  end,
  __newindex = function(_, k, v)
    local tk = type(k)
    if tk ~= "string" and tk ~= "number" then error("Invalid variable name", 2) end
    k = tostring(k)
    local tv = type(v)
    if tv ~= "number" and tv ~= "boolean" and tv ~= "nil" then error("Invalid variable type", 2) end
    if is_var(k) then
      error("data." .. k .. " is a RAM variable: scripts cannot write emulator memory in pettingretro", 2)
    end
    if v == nil then v = NIL end
    stored[k] = v
  end,
})

scenario = setmetatable({}, {
  __index = function(_, k)
    if k == "frame" then return frame end
    if k == "timestep" then return math.floor(frame / 4) end
    error("Unknown scenario property", 2)
  end,
  __newindex = function() end,
})

local function load(source, name)
  local chunk, err = loadstring(source, "@" .. name)
  if chunk == nil then return err end
  local ok, e = pcall(chunk)
  if not ok then return tostring(e) end
  return nil
end

local function set_frame(n) frame = n end

local function stored_values()
  local values, nils = {}, {}
  for k, v in pairs(stored) do
    if v == NIL then nils[#nils + 1] = k else values[k] = v end
  end
  return values, nils
end

local function functions()
  local out = {}
  for k, v in pairs(_G) do
    if type(v) == "function" and type(k) == "string" then out[#out + 1] = k end
  end
  return out
end

return load, set_frame, functions, stored_values
"""


def _lua() -> Any:
    for name in _LUA_MODULES:
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    try:  # a build without LuaJIT or 5.1: its default (newer) Lua runs most 5.1 scripts
        return importlib.import_module("lupa")
    except ImportError:
        raise ScriptError(
            "this scenario uses Lua scripts, which need the 'lupa' package: `pip install lupa`"
        ) from None


def lua_version() -> str:
    """The Lua the scripts run in (e.g. ``"LuaJIT 2.1..."`` or ``"Lua 5.1"``)."""
    rt = _lua().LuaRuntime(register_eval=False, register_builtins=False)
    jit = rt.eval("jit and jit.version")
    return str(jit or rt.eval("_VERSION"))


def _deny(obj: Any, attr: Any, is_setting: bool) -> Any:
    raise AttributeError("scripts cannot reach Python objects")


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


class _State:
    """One Lua state with the prelude run and the scripts loaded."""

    def __init__(self, get: Any, byte: Any, is_var: Any) -> None:
        self.runtime = _lua().LuaRuntime(
            register_eval=False,
            register_builtins=False,
            unpack_returned_tuples=False,
            attribute_filter=_deny,
        )
        g = self.runtime.globals()
        for name in _REMOVED:
            g[name] = None
        self.globals = g
        prelude = self.runtime.execute(_PRELUDE, get, byte, is_var)
        self.load, self.set_frame, self.functions, self.stored = prelude

    def load_all(self, sources: Iterable[tuple[str, str]], where: str) -> None:
        for name, text in sources:
            err = self.load(text, name)
            if err is not None:
                raise ScriptError(f"{where}: script {name} failed to load: {err}")


def defined_functions(sources: Sequence[tuple[str, str]], where: str = "scenario") -> set[str]:
    """The global functions the scripts define, after running them as a scenario load does.

    Variables read while loading are 0 and raw addresses read as 0 (no emulator is there).

    Raises:
        ScriptError: a script does not compile or fails while it runs.
    """
    state = _State(lambda k: 0, lambda a: 0, lambda k: False)
    state.load_all(sources, where)
    return {str(f) for f in state.functions().values()} - _builtin_functions()


@functools.lru_cache(maxsize=1)
def _builtin_functions() -> frozenset[str]:
    return frozenset(
        str(f) for f in _State(lambda k: 0, lambda a: 0, lambda k: False).functions().values()
    )


class LuaScripts:
    """A scenario's scripts in a Lua state, with ``data`` and ``scenario`` as stable-retro gives them.

    Args:
        sources: ``(file name, Lua source)`` of each script, in load order.
        space: the address space behind ``data[address]`` (None: such reads fail).
        where: the scenario file, for messages.

    Example:
        >>> lua = LuaScripts([("s.lua", "best = 0 "
        ...     "function reward() local d = data.score - best; best = data.score; return d end")])
        >>> lua.reset(); lua.update({"score": 30}, 0)
        >>> lua.call_number("reward"), lua.call_number("reward")
        (30.0, 0.0)
    """

    def __init__(
        self,
        sources: Sequence[tuple[str, str]],
        space: AddressSpace | None = None,
        where: str = "scenario",
    ) -> None:
        self.sources = tuple(sources)
        self.space = space
        self.where = where
        self._values: Mapping[str, int] = {}
        self._state: _State | None = None

    # callbacks from Lua -----------------------------------------------------------------

    def _get(self, name: str) -> int | None:
        return self._values.get(name)

    def _is_var(self, name: str) -> bool:
        return name in self._values

    def _byte(self, address: float) -> int | None:
        a = int(address)
        if a < 0 or self.space is None:
            return None
        try:
            return self.space.byte(a)
        except IndexError:
            return None

    # use ----------------------------------------------------------------------------------

    def reset(self, values: Mapping[str, int] | None = None) -> None:
        """Start a fresh Lua state and run the scripts in it (stable-retro's ``reloadScripts``).

        Args:
            values: the variables' values the scripts' top-level code sees (default: the last).

        Raises:
            ScriptError: a script does not compile or fails while it runs.
        """
        if values is not None:
            self._values = values
        self._state = None
        state = _State(self._get, self._byte, self._is_var)
        state.load_all(self.sources, self.where)
        self._state = state

    def update(self, values: Mapping[str, int], frame: int) -> None:
        """The variables' current values and the frame number scripts see next."""
        self._values = values
        if self._state is None:
            self.reset()
        assert self._state is not None
        self._state.set_frame(frame)

    def call(self, function: str) -> Any:
        """Call a global function with no arguments; its first result (None for nil).

        Raises:
            ScriptError: no such function, or it raised an error.
        """
        if self._state is None:
            self.reset()
        assert self._state is not None
        fn = self._state.globals[function]
        if fn is None:
            raise ScriptError(
                f"{self.where}: no Lua function {function!r} is defined by {', '.join(n for n, _ in self.sources)}"
            )
        try:
            result = fn()
        except Exception as e:  # lupa's LuaError (its class depends on the Lua build)
            raise ScriptError(
                f"{self.where}: Lua function {function} failed: {_first_line(e)}"
            ) from None
        if isinstance(result, tuple):
            result = result[0] if result else None
        return result

    def call_number(self, function: str) -> float:
        """A reward function's result: a number, a boolean as 1/0, anything else 0."""
        r = self.call(function)
        if isinstance(r, bool):
            return 1.0 if r else 0.0
        if isinstance(r, (int, float)):
            return float(r)
        return 0.0

    def call_bool(self, function: str) -> bool:
        """A done function's result: a boolean, a number as nonzero, anything else False."""
        r = self.call(function)
        if isinstance(r, bool):
            return r
        if isinstance(r, (int, float)):
            return r != 0
        return False

    def stored(self) -> dict[str, Any]:
        """The values scripts stored with ``data.name = v`` (stable-retro's custom variables)."""
        if self._state is None:
            return {}
        values, nils = self._state.stored()
        out: dict[str, Any] = dict.fromkeys((str(n) for n in nils.values()), None)
        out.update((str(k), v) for k, v in values.items())
        return out
