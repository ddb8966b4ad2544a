"""RetroParallelEnv: a PettingZoo ParallelEnv over one emulator, one agent per port or paddle."""

from __future__ import annotations

import contextlib
import difflib
import inspect
import os
import tempfile
import threading
import time
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

import gymnasium
import numpy as np
import numpy.typing as npt
from pettingzoo.utils.env import ParallelEnv

from pettingretro.checks import (
    ArgumentError,
    ArgumentTypeError,
    check_bool,
    check_choice,
    check_int,
    check_options,
    check_path,
    check_probability,
    check_seed,
)
from pettingretro.errors import (
    EmulatorBusyError,
    EnvStateError,
    PettingRetroError,
    RomLoadError,
    RomNotFoundError,
    StateError,
    UnknownAgentError,
)
from pettingretro.host import MAX_PORTS, Button, Emulator, EmulatorLike, VariableProgram
from pettingretro.integration import IntegrationError
from pettingretro.integration.catalog import lookup, system_for_rom
from pettingretro.integration.memory import AddressSpace, Reader
from pettingretro.integration.roms import find_rom, sha1_of
from pettingretro.integration.systems import CONTROLLER_PORTS, System, system_of_game, systems
from pettingretro.isolation import IsolationOptions
from pettingretro.movie import EpisodeRecorder
from pettingretro.observers import FrameObserver
from pettingretro.parallel.actions import (
    ActionScheme,
    action_space_choice,
    action_type_choice,
    bare_rom_groups,
    check_discrete,
    port_masks,
)
from pettingretro.parallel.controls import ALE_ACTIONS, Binding, Controls
from pettingretro.parallel.game import GameDef, Rules
from pettingretro.parallel.rules import DeclaredRules
from pettingretro.tiles import TILE_OBS_TYPES, GameWrapper, TileClasses, TileObservation
from pettingretro.tiles.ram import GameRam
from pettingretro.window import Window

OBS_TYPES = ("rgb_image", "grayscale_image", "ram", *TILE_OBS_TYPES)
RENDER_MODES = ("human", "rgb_array")

# The state right after setup (mode selected, start actions done) depends only on the game,
# core, ROM, player count and mode: computed once per process.
_SETUP_CACHE: dict[tuple[Any, ...], bytes] = {}


#: The deltas a step passes to rules that do not read them (a game's own Rules.step reads them).
_NO_DELTAS: Mapping[str, int] = MappingProxyType({})

#: The most frames one step may run (about 3 minutes of a 60 Hz game).
MAX_FRAMESKIP = 10_000


def _console_ports(game: GameDef, rom: Any) -> int | None:
    """How many controllers the console of an integration or ROM serves (None: not known)."""
    if game.native or game.twin is not None:
        return None
    try:
        if game.path is not None:
            return CONTROLLER_PORTS.get(system_of_game(game.spec.name).name)
        rom_file = rom if rom is not None else game.rom
        found = system_for_rom(Path(rom_file)) if rom_file is not None else None
    except (PettingRetroError, OSError):
        return None
    return CONTROLLER_PORTS.get(found.name) if found is not None else None


def _check_game_kwargs(game: GameDef, kwargs: Mapping[str, Any]) -> None:
    """Refuse keyword arguments neither the env nor the game takes, suggesting the near ones."""
    own = set()
    if game.mode_for is not None:
        params = inspect.signature(game.mode_for).parameters
        own = {n for n, p in params.items() if p.kind is not p.VAR_KEYWORD and n != "num_players"}
    unknown = [k for k in kwargs if k not in own]
    if not unknown:
        return
    known = sorted(
        own
        | set(inspect.signature(RetroParallelEnv.__init__).parameters)
        - {"self", "game", "game_kwargs"}
    )
    hints = []
    for k in unknown:
        near = difflib.get_close_matches(k, known, n=1)
        hints.append(f"{k!r}" + (f" (did you mean {near[0]!r}?)" if near else ""))
    raise ArgumentTypeError(
        f"{game.env_name} got unexpected keyword argument{'s' if len(unknown) > 1 else ''} "
        f"{', '.join(hints)}; it takes {', '.join(known)}"
    )


#: Frames from power-on to the first observation of a ``state="power-on"`` episode.
POWER_ON_FRAMES = 3

#: The largest save state read from a file (a Saturn or N64 state is a few MiB).
MAX_STATE_BYTES = 64 << 20


def _check_not_empty(rom: Path) -> None:
    """An empty ROM file is a mistake for any game (a test core may take one; a game never)."""
    try:
        st = rom.stat()
        if st.st_size == 0 and rom.is_file():
            with rom.open("rb") as fh:  # /proc files say 0 bytes and are not empty
                empty = fh.read(1) == b""
            if empty:
                raise RomLoadError(f"ROM file '{rom}' is empty (0 bytes): pass the game's ROM file")
    except OSError:
        pass  # the emulator says what is wrong with the path


def _isolation_options(isolate: Any) -> IsolationOptions | None:
    """``isolate=`` checked: the worker's options, or None to run in this process."""
    try:
        return IsolationOptions.parse(isolate)
    except (TypeError, ValueError) as e:
        raise ArgumentTypeError(
            f"isolate must be True, False, a dict of options or an IsolationOptions: {e}"
        ) from None


def _make_emulator(
    core: str | os.PathLike[str],
    rom: Path,
    options: Mapping[str, str] | None,
    *,
    isolation: IsolationOptions | None,
    label: str,
) -> EmulatorLike:
    """The env's emulator: in this process, or (``isolation``) served by a worker process."""
    if isolation is not None:
        return isolation.emulator(core, rom, options=options, num_ports=MAX_PORTS, label=label)
    return Emulator(core, rom, options=options, num_ports=MAX_PORTS)


def _choose_mode(
    game: GameDef, players: int, mode: Any, mode_num: Any, kwargs: Mapping[str, Any]
) -> int | None:
    """The game mode: ``mode_num`` or ``mode``, else what the game's options pick, checked."""
    mode_num = check_int("mode_num", mode_num, low=0, none=True)
    chosen = mode_num if mode_num is not None else check_int("mode", mode, low=0, none=True)
    _check_game_kwargs(game, kwargs)
    if chosen is None and game.mode_for is not None:
        chosen = game.mode_for(num_players=players, **kwargs)
    modes = game.spec.extra.get("modes", {})
    if chosen is None and modes:
        chosen = modes.get("default", {}).get(str(players))
    allowed = modes.get(str(players))
    if chosen is not None and allowed is not None and chosen not in allowed:
        raise ArgumentError(
            f"mode={chosen}: {game.env_name} has no such {players}-player mode "
            f"(choose from {allowed})"
        )
    return chosen


def _check_writable_folder(name: str, folder: Path) -> None:
    """Fail now, not at an episode's end, when files cannot be written into ``folder``."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".pettingretro-probe-"):
            pass
    except OSError as e:
        raise ArgumentError(
            f"{name}={os.fspath(folder)!r}: cannot write there ({e.strerror or e}); "
            "choose a folder you can write to"
        ) from None


def _state_choice(state: Any) -> tuple[str, str] | None:
    """``state=`` as ``(kind, value)``: None, power-on, a name in the folder, or a path."""
    if state is None:
        return None
    if type(state).__name__ == "State" and hasattr(state, "name"):  # stable_retro.State
        if state.name == "NONE":
            return ("power-on", "")
        if state.name == "DEFAULT":
            return None
    if isinstance(state, str) and state.lower() in ("power-on", "poweron", "none"):
        return ("power-on", "")
    if isinstance(state, os.PathLike) or (
        isinstance(state, str) and ("/" in state or os.sep in state)
    ):
        return ("path", os.fspath(state))
    if isinstance(state, str) and state:
        return ("name", state)
    raise ArgumentTypeError(
        f"state must be None, 'power-on', a state's name or a path to a .state file, got {state!r}"
    )


def _read_state(path: Path, *, gzipped: bool = False) -> bytes:
    """A state file's bytes, read with a bound: stable-retro's gzip or a raw core state.

    ``gzipped``: only gzip is taken (an integration folder's states all are).
    """
    try:
        if not path.is_file():
            raise StateError(f"state file '{path}' does not exist or is not a regular file")
        with path.open("rb") as fh:
            raw = fh.read(MAX_STATE_BYTES + 1)
    except OSError as e:
        raise StateError(f"cannot read state file '{path}': {e.strerror}") from None
    if len(raw) > MAX_STATE_BYTES:
        raise StateError(f"state file '{path}' is larger than {MAX_STATE_BYTES >> 20} MiB")
    if raw[:2] != b"\x1f\x8b":
        if gzipped:
            raise StateError(
                f"{path} is not a gzip of a save state (stable-retro's .state files are)"
            )
        return raw
    try:
        d = zlib.decompressobj(wbits=31)
        data = d.decompress(raw, MAX_STATE_BYTES + 1)
    except zlib.error as e:
        raise StateError(f"{path} is a damaged gzip of a save state ({e})") from None
    if not d.eof and len(data) <= MAX_STATE_BYTES:
        raise StateError(f"{path} is not a gzip of a save state: it is cut short")
    if len(data) > MAX_STATE_BYTES or d.unconsumed_tail:
        raise StateError(f"{path} unpacks to more than {MAX_STATE_BYTES >> 20} MiB")
    return data


def check_action(agent: str, action: Any, n: int) -> int:
    """``action`` as an index into ``agent``'s Discrete(n) space, or ValueError saying why not."""
    return check_discrete(agent, action, n)


class RetroParallelEnv(ParallelEnv[str, npt.NDArray[np.uint8], int]):
    """A console game as a PettingZoo ParallelEnv: every player is an agent with its own reward.

    One emulator runs the game; each agent is bound to a controller port (or, for paddle
    games, to a paddle) as the game's data declares. Actions, rewards, terminations and
    truncations are per agent. Stepping runs ``frameskip`` frames in C.

    Args:
        game: the game definition (see ``pettingretro.envs``).
        obs_type: ``"rgb_image"`` (H, W, 3), ``"grayscale_image"`` (H, W, 1), as PettingZoo's
            Atari envs give, or ``"ram"``.
        full_action_space: every agent gets ALE's 18 actions instead of the game's minimal set
            (Atari games only; other consoles refuse it: pass ``actions="all"``).
        actions: each agent's action space (docs/concepts/actions.md): ``"discrete"`` (the
            default), ``"multi_discrete"``, ``"all"`` (MultiBinary over every button, named by
            :attr:`buttons`) or ``"filtered"``; a ``stable_retro.Actions`` member is accepted.
        action_type: None, or PyBoy's ``"press"``, ``"toggle"`` or ``"all"``: a Discrete over
            the buttons that presses for one step, flips a held button, or presses and releases.
        max_cycles: steps after which every agent is truncated.
        render_mode: None (default, headless), ``"rgb_array"`` or ``"human"`` (a pygame window).
        num_players: how many agents, where the game offers a choice.
        mode: a game mode number (PettingZoo's ``mode_num``); default: the game's own choice.
        frameskip: frames run per step, in C, with the same input held.
        repeat_action_probability: chance that an agent's previous action repeats (sticky
            actions), drawn from the env's seeded generator.
        core: override the core (a name or a path).
        rom: override the ROM file.
        core_options: core option overrides.
        state: where episodes start: None (the integration's default state, or a project
            game's own setup), ``"power-on"`` or ``stable_retro.State.NONE`` (the console as it
            powers on), a state's name in the integration folder (``"Level1"`` or
            ``"Level1.state"``), or a path to a state file (stable-retro's gzip or a raw state).
            A state after which the episode is over at once (saved from another game) is refused.
        record: a folder: each episode is written there as a BizHawk ``.bk2`` replay (True: the
            working folder, as stable-retro's ``record=True``).
        isolate: run the emulator in a worker process, so that a crashing core raises
            ``EmulatorCrashed`` instead of taking this process down: True, or its options as a
            dict or an :class:`~pettingretro.isolation.IsolationOptions`
            (``{"timeout": 5, "checkpoint_every": 100}``).
        throttle: ``render_mode="human"`` plays at the game's own speed (the core's frame rate
            divided by ``frameskip``, ``metadata["render_fps"]``); False runs as fast as it can.
        grayscale_channel: False makes ``grayscale_image`` observations (H, W), without the
            channel axis.
        auto_rom_install_path: accepted for code written for ``pettingzoo.atari`` and ignored:
            ROMs are found without it (pass ``rom=`` to choose a file).
        **game_kwargs: the game's own options (e.g. combat's ``has_maze``).
    """

    def __init__(
        self,
        game: GameDef,
        /,
        *,
        obs_type: str = "rgb_image",
        full_action_space: bool = False,
        actions: Any = None,
        action_type: str | None = None,
        max_cycles: int = 100000,
        render_mode: str | None = None,
        num_players: int | None = None,
        mode: int | None = None,
        mode_num: int | None = None,
        frameskip: int = 1,
        repeat_action_probability: float = 0.0,
        core: str | os.PathLike[str] | None = None,
        rom: str | os.PathLike[str] | None = None,
        core_options: Mapping[str, str] | None = None,
        state: str | os.PathLike[str] | None = None,
        record: str | os.PathLike[str] | bool | None = None,
        isolate: bool | Mapping[str, Any] | IsolationOptions = False,
        grayscale_channel: bool = True,
        throttle: bool = True,
        auto_rom_install_path: str | os.PathLike[str] | None = None,
        **game_kwargs: Any,
    ) -> None:
        self.init_kwargs = dict(
            obs_type=obs_type,
            full_action_space=full_action_space,
            actions=actions,
            action_type=action_type,
            max_cycles=max_cycles,
            render_mode=render_mode,
            num_players=num_players,
            mode=mode,
            mode_num=mode_num,
            frameskip=frameskip,
            repeat_action_probability=repeat_action_probability,
            core=core,
            rom=rom,
            core_options=core_options,
            state=state,
            record=record,
            isolate=isolate,
            grayscale_channel=grayscale_channel,
            throttle=throttle,
            **game_kwargs,
        )
        #: Whether ``infos[agent]`` holds the game's data.json variables (stable-retro's ``info``).
        self.report_variables = True
        #: Everything that watches this env's frames (the recorder of ``record=``, ...).
        self.observers: list[FrameObserver] = []
        #: The recorder ``record=`` added (its ``written`` lists the movies), or None.
        self.recorder: Any = None
        self._busy = threading.Lock()
        self.emu: EmulatorLike | None = None
        self._tiles: TileObservation | None = None  # made for a tiles obs or game_area()
        if type(obs_type).__name__ == "Observations":  # stable_retro.Observations.IMAGE / RAM
            obs_type = {"IMAGE": "rgb_image", "RAM": "ram"}.get(
                getattr(obs_type, "name", ""), obs_type
            )
        if record is True:  # stable-retro's record=True: movies in the working folder
            record = Path.cwd()
        obs_type = check_choice("obs_type", obs_type, OBS_TYPES)
        render_mode = check_choice("render_mode", render_mode, RENDER_MODES, none=True)
        full_action_space = check_bool("full_action_space", full_action_space)
        isolation = _isolation_options(isolate)
        action_kind = action_space_choice(actions)
        action_type = action_type_choice(action_type)
        grayscale_channel = check_bool("grayscale_channel", grayscale_channel)
        throttle = check_bool("throttle", throttle)
        frameskip = check_int("frameskip", frameskip, low=1, high=MAX_FRAMESKIP)  # type: ignore[assignment]
        max_cycles = check_int("max_cycles", max_cycles, low=1)  # type: ignore[assignment]
        repeat_action_probability = check_probability(
            "repeat_action_probability", repeat_action_probability
        )
        core_options = check_options("core_options", core_options)
        check_path("rom", rom)
        check_path("record", record)
        check_path("auto_rom_install_path", auto_rom_install_path)
        if core is not None and not isinstance(core, (str, os.PathLike)):
            raise ArgumentTypeError(
                f"core must be a core name or a path to its library, got {type(core).__name__} {core!r}"
            )

        self.game = game
        spec = game.spec
        extra = spec.extra
        kw = {**game.defaults, **game_kwargs}
        requested = num_players if num_players is not None else kw.pop("num_players", None)
        kw.pop("num_players", None)
        self.num_players = game.players(requested, _console_ports(game, rom))
        self.mode = _choose_mode(game, self.num_players, mode, mode_num, kw)
        self.obs_type = obs_type
        self.full_action_space = full_action_space
        self.max_cycles = max_cycles
        self.render_mode = render_mode
        self.frameskip = frameskip
        self.repeat_action_probability = float(repeat_action_probability)

        self.possible_agents = game.agent_names(self.num_players)
        self.agents: list[str] = []
        self._index = {a: i for i, a in enumerate(self.possible_agents)}
        self.metadata: dict[str, Any] = {
            "render_modes": list(RENDER_MODES),
            "render_fps": 60,  # the core's frame rate / frameskip, once the core is loaded
            "name": game.env_name,
            "is_parallelizable": True,
        }
        self.state_name = _state_choice(state)
        if game.native:
            self._plan_native(extra, core, rom)
        else:
            self._plan_integration(core, rom)
        self._plan_actions(action_kind, action_type)
        _check_not_empty(self.rom_path)
        self.emu = _make_emulator(
            self._core_name, self.rom_path, core_options, isolation=isolation, label=game.env_name
        )
        self._vars = dict(spec.variables)
        self._scenario = spec.scenario
        # integration addresses name bytes as the console sees them: rambase and word order
        facts = self._system if self._system is not None else {"rambase": self.rambase}
        self._space = AddressSpace.for_system(facts, self.emu.ram, self.emu.memory_maps)
        try:
            self._reader = Reader(
                self._vars, self._space, required=frozenset(self._scenario.variables())
            )
        except IndexError as err:
            raise IntegrationError(f"{spec.path / 'data.json'}: {err}") from None
        self._evaluator = self._scenario.evaluator(self.num_players, self._space)
        self._rules: Rules = game.make_rules(self.num_players, self.mode)
        self._plan_outcome()
        paddles = self.paddle_spec
        if paddles and self.controls.num_paddles:
            lo, hi = paddles["range"]
            self.emu.paddles_config(
                paddles["state_offsets"][: self.controls.num_paddles], int(lo), int(hi)
            )
            self.paddle_center: int | None = int(paddles.get("center", (int(lo) + int(hi)) // 2))
        else:
            self.paddle_center = None
        fps = self._core_fps = float(self.emu.av_info.fps) or 60.0
        self.metadata["render_fps"] = fps / self.frameskip
        self.throttle = throttle
        self._setup()
        self.emu.step(1, video=True)  # learn the picture's shape (reset() restores the state)
        self._ram = GameRam(self.emu)  # system RAM, plus Game Boy high RAM
        h, w = self.emu.screen_shape
        space: gymnasium.spaces.Box | gymnasium.spaces.MultiDiscrete
        if obs_type == "rgb_image":
            space = gymnasium.spaces.Box(0, 255, (h, w, 3), np.uint8)
        elif obs_type == "grayscale_image":
            shape: tuple[int, ...] = (h, w, 1) if grayscale_channel else (h, w)
            space = gymnasium.spaces.Box(0, 255, shape, np.uint8)
        elif obs_type in TILE_OBS_TYPES:  # docs/concepts/tiles.md
            self._tiles = TileObservation(
                self.emu, obs_type, TileClasses.load(spec.path), game.env_name
            )
            space = self._tiles.space
        else:
            space = gymnasium.spaces.Box(0, 255, (self._ram.size,), np.uint8)
        self.observation_spaces: dict[str, gymnasium.spaces.Space[Any]] = {
            a: space for a in self.possible_agents
        }
        # an integration may crop each player's picture (scenario "crop" / "crops")
        crops = (
            []
            if game.native or obs_type == "ram" or obs_type in TILE_OBS_TYPES
            else [spec.scenario.crop_for(p) for p in range(self.num_players)]
        )
        self.crops = crops if any(c is not None for c in crops) else None
        if self.crops is not None:
            for a, c in zip(self.possible_agents, self.crops, strict=True):
                if c is not None:
                    shape = (*c.shape(h, w), *space.shape[2:])
                    self.observation_spaces[a] = gymnasium.spaces.Box(0, 255, shape, np.uint8)
        self.action_spaces: dict[str, gymnasium.spaces.Space[Any]] = {
            a: (
                self.action_scheme.space
                if self.action_scheme is not None
                else gymnasium.spaces.Discrete(self.num_actions)
            )
            for a in self.possible_agents
        }
        self.state_space = gymnasium.spaces.Box(0, 255, (self._ram.size,), np.uint8)
        self._obs_shape = space.shape
        self.np_random = np.random.default_rng()
        self._prev_arr = np.full(self.num_players, self._noop_row, np.intp)
        self._prev_rows: list[int] | None = None
        self._held = np.zeros(self.num_players, np.uint16)  # action_type's held buttons
        self._no_deltas = np.zeros(self.controls.deltas.shape[2], np.int32)
        self._cycles = 0  # steps this episode
        self._clock = np.zeros(1, np.int64)  # the same, where a vector env's batch keeps it
        self._joined = False  # a vector env runs this env's steps in its C batch (join_batch)
        self._needs_reset = True
        self._obs: npt.NDArray[Any] | None = None
        self._window: Any = None
        self._next_show = 0.0
        self._observer_error: BaseException | None = None
        if record is not None and record is not False:
            _check_writable_folder("record", Path(record))
            self.recorder = EpisodeRecorder(Path(record), self)
            self.add_observer(self.recorder)

    # ------------------------------------------------------------------ planning

    def _plan_outcome(self) -> None:
        """What each step's outcome runs: the variables and a plain scenario in C where they can be.

        ``_var_prog`` decodes every data.json variable into one int64 array (the last step's
        values move to its ``prev``); ``_term_prog`` weighs a scenario without scripts or nested
        done nodes on those arrays. Scenarios that need Python keep the evaluator's dicts.
        """
        self._var_names = self._reader.names
        self._var_prog = self._reader.program(prev=True) if self._var_names else None
        self._rewards = np.zeros(self.num_players, np.float64)
        self._term_prog = (
            self._evaluator.program(
                self._var_names, self._var_prog.out, self._var_prog.prev, self._rewards
            )
            if self._var_prog is not None and self._var_prog.prev is not None
            else None
        )
        rules = self._rules
        custom = rules.custom if isinstance(rules, DeclaredRules) else rules
        #: whether the rules' step can do anything (a plain Rules' step returns False)
        self._rules_step = type(rules).step is not Rules.step
        #: whether they read deltas (only a game's own Rules.step does)
        self._rules_deltas = type(custom).step is not Rules.step
        self._last_deltas: Any = None  # the paddle motion the emulator was last given

    def _plan_native(self, extra: Mapping[str, Any], core: Any, rom: Any) -> None:
        """A project game: ALE actions, agent bindings and paddles from its metadata."""
        action_ids = (
            list(range(len(ALE_ACTIONS)))
            if self.full_action_space
            else list(extra.get("actions", range(18)))
        )
        self.controls = Controls.ale(
            self.game.bindings(self.num_players),
            [*action_ids, 0],  # one hidden extra row: NOOP, for agents that are gone
            paddle_speed=int(extra.get("paddles", {}).get("speed", 23000)),
        )
        self.num_actions = len(action_ids)
        self._noop_row = len(action_ids)
        self.paddle_spec = extra.get("paddles")
        rom_info = extra.get("rom", {})
        core_name = core if core is not None else extra.get("core")
        if core_name is None:
            raise IntegrationError(f"{self.game.spec.path / 'metadata.json'}: no 'core' given")
        self._core_name = core_name
        if (
            rom is not None
            and rom_info.get("sha1")
            and Path(rom).is_file()
            and Path(rom).stat().st_size
        ):
            got = sha1_of(Path(rom))
            if got != str(rom_info["sha1"]).lower():
                raise RomLoadError(
                    f"rom={os.fspath(rom)!r} (sha1 {got}) is not the ROM {self.game.env_name} is "
                    f"made for (sha1 {rom_info['sha1']}): its RAM addresses and modes fit that ROM "
                    "only; play other ROMs with pettingretro.parallel_env(rom=PATH)"
                )
        self.rom_path = (
            Path(rom)
            if rom is not None
            else find_rom(
                self.game.spec.name,
                rom_info.get("sha1"),
                files=rom_info.get("files", ("rom.bin",)),
                ale_name=rom_info.get("ale"),
            )
        )
        self.rambase = int(extra.get("rambase", 0))
        self._system = systems().get(str(extra.get("system")))

    def _plan_integration(self, core: Any, rom: Any) -> None:
        """A stable-retro integration or a bare ROM: one joystick per agent, stable-retro's actions.

        Where the project has a game on the same ROM (an Atari paddle game, say), its agent
        bindings are used instead, so every player really controls something.
        """
        game, spec = self.game, self.game.spec
        rom_file = Path(rom) if rom is not None else Path(game.rom) if game.rom else None
        system: System | None
        if game.path is not None:
            system = system_of_game(spec.name)
        elif rom_file is not None:
            found = system_for_rom(rom_file)
            if found is None and core is None:
                raise ValueError(
                    f"cannot tell which console {rom_file.name} is for from its extension; pass core=NAME"
                )
            system = found
        else:
            raise ValueError("give a game name or rom=PATH")
        sha_file = spec.path / "rom.sha"
        shas = sha_file.read_text().split() if game.path is not None and sha_file.is_file() else []
        if not shas and rom_file is not None and rom_file.is_file():
            try:
                shas = [sha1_of(rom_file, strip_ines=rom_file.suffix.lower() == ".nes")]
            except OSError as err:
                raise RomNotFoundError(
                    f"ROM file '{rom_file}' cannot be read: {err.strerror}"
                ) from None
        ale_name = None
        self.paddle_spec = None
        if game.twin is not None:
            twin_def = GameDef(game.env_name, folder=Path(game.twin).name, data=game.twin)
            textra = twin_def.spec.extra
            if str(self.num_players) not in textra.get("agents", {}):
                raise ValueError(
                    f"{game.env_name} plays with {', '.join(textra.get('agents', {}))} players here, not {self.num_players}"
                )
            action_ids = (
                list(range(len(ALE_ACTIONS)))
                if self.full_action_space
                else list(textra.get("actions", range(18)))
            )
            self.controls = Controls.ale(
                twin_def.bindings(self.num_players),
                [*action_ids, 0],
                paddle_speed=int(textra.get("paddles", {}).get("speed", 23000)),
            )
            self.num_actions = len(action_ids)
            self.paddle_spec = textra.get("paddles")
            ale_name = textra.get("rom", {}).get("ale")
        elif system is not None and system.name == "Atari2600" and self.full_action_space:
            # ALE's 18 actions on each agent's joystick, as PettingZoo's Atari envs give
            self.controls = Controls.ale(
                [Binding(port=p) for p in range(self.num_players)], [*range(len(ALE_ACTIONS)), 0]
            )
            self.num_actions = len(ALE_ACTIONS)
        else:
            if self.full_action_space:
                raise ArgumentError(
                    "full_action_space=True is ALE's 18 actions, for Atari games only; for every "
                    "button of this console pass actions='all' (MultiBinary, stable-retro's "
                    "Actions.ALL)"
                )
            if system is None:
                names: list[Any] = [()]
                combos = [0]
            else:
                groups: Any = system.action_groups
                if game.path is None and spec.scenario.actions is None:
                    # a bare ROM: its game waits at a title screen for START (or SELECT)
                    groups = bare_rom_groups(system.buttons, system.action_groups)
                self._action_groups = groups
                filt = spec.scenario.action_filter(system.buttons, groups)
                combos = filt.combos() if filt is not None else [0]
                names = [
                    tuple(b for i, b in enumerate(system.buttons) if b and m >> i & 1)
                    for m in combos
                ]
            self.controls = Controls.buttons(range(self.num_players), [*combos, 0], [*names, ()])
            self.num_actions = len(combos)
        self._noop_row = self.num_actions
        self._core_name = core if core is not None else system.core if system else None
        if self._core_name is None:
            raise ValueError("pass core=NAME: no system is known for this ROM")
        if rom_file is not None:
            self.rom_path = rom_file
        else:
            entry = lookup(spec.name)
            files = (
                list(entry.rom_files)
                if entry
                else [f"rom.{e}" for e in (system.extensions if system else ())]
            )
            if ale_name is None and entry is not None:
                ale_name = entry.ale_name
            self.rom_path = find_rom(
                spec.name, shas or None, files=files, ale_name=ale_name, dirs=[spec.path]
            )
        self.rambase = system.rambase if system else 0
        self._system = system

    def _plan_actions(self, kind: str, action_type: str | None) -> None:
        """Each agent's action scheme when ``actions=`` or ``action_type=`` asks for one.

        The default (Discrete over the allowed combos) keeps the tables planning built, so ALE's
        actions and paddles stay as they are. Other schemes act on each agent's joypad.
        """
        system = self._system
        self.action_scheme: ActionScheme | None = None
        self.buttons: tuple[str | None, ...] = system.buttons if system is not None else ()
        if kind == "discrete" and action_type is None:
            self.agent_buttons = {a: self.buttons for a in self.possible_agents}
            return
        ports = []
        for b in self.controls.bindings:
            if b.port is None:
                raise ArgumentError(
                    f"actions={kind!r}, action_type={action_type!r}: {self.game.env_name} binds "
                    "paddles, which only its Discrete actions move; pass neither"
                )
            ports.append(b.port)
        if system is None:
            raise ArgumentError(
                f"actions={kind!r}: the console of {self.game.env_name} is not known, so its "
                "buttons are not either; pass a ROM whose extension names its console"
            )
        groups = getattr(self, "_action_groups", None)
        if groups is None:
            groups = (
                self.game.spec.scenario.actions
                if self.game.spec.scenario.actions is not None
                else system.action_groups
            )
        scheme = ActionScheme.build(kind, action_type, system.buttons, groups)
        self.action_scheme = scheme
        self._ports = np.asarray(ports, np.intp)
        self.num_actions = scheme.noop_row
        self._noop_row = scheme.noop_row
        if self.paddle_spec is None:
            # the recorder and manual play read these tables: one row per action row
            self.controls = Controls.buttons(
                ports, scheme.rows.tolist(), list(range(len(scheme.rows)))
            )
        self.buttons = scheme.buttons
        self.agent_buttons = {a: scheme.buttons for a in self.possible_agents}

    # ------------------------------------------------------------------ setup and reset

    def _frames(self, masks: Mapping[int, int] | None, frames: int) -> None:
        assert self.emu is not None
        for port in range(MAX_PORTS):
            self.emu.set_buttons(port, (masks or {}).get(port, 0))
        self.emu.step(frames, video=False)

    def _agent_frame(self, agent: int, ale_id: int) -> None:
        row = self.controls.actions.index(ale_id) if ale_id in self.controls.actions else None
        masks = np.zeros(MAX_PORTS, np.uint16)
        if row is None:
            # a start action outside the agent's action set: build it from a full table
            full = Controls.ale(self.controls.bindings, list(range(len(ALE_ACTIONS))))
            idx = np.full(self.num_players, 0, np.intp)
            idx[agent] = ale_id
            masks, deltas = full.apply(idx)
        else:
            # the table's hidden last row is NOOP (an action scheme has its own rows)
            idx = np.full(self.num_players, len(self.controls.actions) - 1, np.intp)
            idx[agent] = row
            masks, deltas = self.controls.apply(idx)
        assert self.emu is not None
        if self.paddle_center is not None:
            self.emu.paddles_move(deltas)
        self.emu.step_into(masks, 1, None)
        if self.paddle_center is not None:
            self.emu.paddles_move(np.zeros(self.controls.num_paddles, np.int32))
            self._last_deltas = None

    @property
    def _setup_key(self) -> tuple[Any, ...]:
        assert self.emu is not None
        g = self.game
        return (
            g.folder,
            g.path,
            g.scenario,
            str(self.emu.core_path),
            str(self.rom_path),
            self.num_players,
            self.mode,
            self.state_name,
        )

    def _start_state(self) -> bytes | None:
        """The state an episode starts from, uncompressed; None for the game's own setup.

        ``state=``: None (the metadata's default state, or the project game's setup),
        ``"power-on"`` (stable-retro's ``State.NONE``: the console as it powers on), a state's
        name in the integration folder (with or without ``.state``), or a path to a file.
        """
        kind, value = self.state_name or ("default", "")
        if kind == "power-on":
            return None
        if kind == "path":
            return _read_state(Path(value))
        meta = self.game.spec.metadata
        name = value if kind == "name" else None
        if name is None:
            if self.game.native:
                return None
            per_players = meta.get("default_player_state")
            if isinstance(per_players, list) and len(per_players) >= self.num_players:
                name = per_players[self.num_players - 1]
            else:
                name = meta.get("default_state")
        if name is None:
            return None
        states = self.game.spec.states() if not self.game.native else {}
        name = str(name).removesuffix(".state")
        if name not in states:
            where = (
                f"{self.game.env_name} has no named states (pass a path to a .state file)"
                if self.game.native
                else f"{self.game.spec.path}: no state {name!r} (states: {', '.join(states) or 'none'})"
            )
            raise IntegrationError(f"state={value or name!r}: {where}")
        return _read_state(states[name], gzipped=True)

    def _check_start(self) -> None:
        """Refuse a start state after which the episode is already over (another game's state)."""
        emu = self._live()
        values = self._reader.read()
        evaluator = self._scenario.evaluator(self.num_players, self._space)
        evaluator.reset(values)
        saved = emu.save_state()
        emu.step(1, video=False)
        after = self._reader.read()
        _, over = evaluator.step(after, {k: after[k] - values[k] for k in after}, 1)
        emu.load_state(saved)
        if over:
            value = (self.state_name or ("default", "default"))[1]
            raise StateError(
                f"{self.game.env_name}: the episode is over one frame after its start state "
                f"{value!r} loads: was that state saved from another game on this core? "
                "Pass a state saved from this game, or state=None for its default"
            )

    def _setup(self) -> None:
        """Bring the game to the start of an episode once, then keep that state for every reset."""
        assert self.emu is not None
        emu = self.emu
        key = self._setup_key
        if self.paddle_center is not None:
            emu.paddles_set([self.paddle_center] * self.controls.num_paddles)
        if key in _SETUP_CACHE:
            emu.load_state(_SETUP_CACHE[key])
            return
        initial = self._start_state()
        if self.state_name is not None and self.state_name[0] == "power-on":
            # stable-retro's State.NONE observes the third frame after power-on (measured
            # against it: tests/integration/test_states.py); reset() runs the last of them
            self._frames(None, POWER_ON_FRAMES - 1)
        if not self.game.native or initial is not None:
            if initial is not None:
                try:
                    emu.load_state(initial)
                except StateError as e:
                    raise StateError(
                        f"{self.game.env_name}: its start state does not fit core {Path(emu.core_path).name} ({e}); was it saved from "
                        "another core or game?"
                    ) from None
                self._check_start()
            _SETUP_CACHE[key] = emu.save_state()
            return
        extra = self.game.spec.extra
        start = 1 << Button.START
        self._frames(None, 60)
        self._frames({0: start}, 4)
        select = extra.get("mode_select")
        custom = (
            self.game.rules is not None and self.game.rules.select_mode is not Rules.select_mode
        )
        if self.mode is not None and (select is not None or custom):
            if custom:
                assert self.game.rules is not None
                self.game.rules.select_mode(self._frames, emu.ram, self.mode)
            else:
                assert select is not None
                var = self._vars[select["variable"]]
                # "target": one value for every mode (a one-/two-player switch, say)
                target = int(select.get("target", self.mode + int(select.get("offset", 0))))
                press = int(select.get("press_frames", 2))
                for _ in range(int(select.get("max_presses", 100))):
                    if var.read(emu.ram, self.rambase) == target:
                        break
                    self._frames({0: 1 << Button.SELECT}, press)
                    self._frames(None, 1)
                else:
                    raise IntegrationError(
                        f"{self.game.env_name}: pressing SELECT never reached mode {self.mode} "
                        f"({select['variable']} stayed {var.read(emu.ram, self.rambase)})"
                    )
            self._frames({0: start}, 4)
        for agent in range(self.num_players if extra.get("start_actions_all_agents", True) else 1):
            for ale_id in extra.get("start_actions", []):
                self._agent_frame(agent, int(ale_id))
        _SETUP_CACHE[key] = emu.save_state()

    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, npt.NDArray[np.uint8]], dict[str, dict[str, Any]]]:
        """Start an episode: the same game state every time, whatever ran before.

        Args:
            seed: seeds the env's generator (sticky actions); None keeps the current one.
            options: accepted and ignored.
        """
        emu = self._live()
        self._raise_observer_error()
        if getattr(emu, "crashed", None) is not None:
            # an isolated core that died: a new worker, then the episode starts as always
            emu.restart()  # type: ignore[attr-defined]
        seed = check_seed(seed)
        if options is not None and not isinstance(options, Mapping):
            raise ArgumentTypeError(f"options must be a dict or None, got {type(options).__name__}")
        if seed is not None:
            self.np_random = np.random.default_rng(seed)
        emu.load_state(_SETUP_CACHE[self._setup_key])
        if self.paddle_center is not None:
            emu.paddles_set([self.paddle_center] * self.controls.num_paddles)
        for o in self.observers:
            o.on_reset()
        # one NOOP frame draws the first picture (a state holds no picture)
        self._prev[:] = self._noop_row
        self._prev_rows = None
        self._held[:] = 0
        if self.action_scheme is not None:
            masks, deltas = np.zeros(MAX_PORTS, np.uint16), self._no_deltas
        else:
            masks, deltas = self.controls.apply(self._prev)
        self._last_deltas = None
        self._obs = self._emulate(masks, deltas, 1)
        self._values = self._read_values()
        self._prev_ram = emu.ram.copy()
        self._evaluator.reset(self._values)
        self._rules.reset(self._values)
        self.agents = self.possible_agents[:]
        self._cycles = 0
        self._clock[0] = 0
        self._needs_reset = False
        if self.render_mode == "human":
            self.render()
        obs = self._obs
        start = dict(self._values) if self.report_variables else {}
        return self._per_agent(obs, self.agents), {a: dict(start) for a in self.agents}

    # ------------------------------------------------------------------ stepping

    def _step_emulator(self, masks: npt.NDArray[np.uint16], frames: int) -> npt.NDArray[Any]:
        assert self.emu is not None
        if self._tiles is not None and self.obs_type in TILE_OBS_TYPES:
            self.emu.step_into(masks, frames, None, video=self.render_mode is not None)
            return self._tiles.observe()
        if self.obs_type == "ram":
            self.emu.step_into(masks, frames, None, video=self.render_mode is not None)
            return self._ram.copy()
        out = np.empty(self._obs_shape, np.uint8)
        gray = self.obs_type == "grayscale_image"
        # C writes luma as (H, W); an (H, W, 1) array's first channel is that, contiguous
        self.emu.step_into(masks, frames, out[..., 0] if out.ndim == 3 and gray else out, gray=gray)
        return out

    def _read_values(self) -> dict[str, int]:
        """Every data.json variable's value now, by name.

        In C where the env has a variable program (the last values then move to its ``prev``,
        which the C scenario weighs against), else through the reader.
        """
        prog = self._var_prog
        if prog is None:
            return self._reader.read()
        prog.run()
        return dict(zip(self._var_names, prog.out.tolist(), strict=True))

    def step(
        self, actions: Mapping[str, Any]
    ) -> tuple[
        dict[str, npt.NDArray[np.uint8]],
        dict[str, float],
        dict[str, bool],
        dict[str, bool],
        dict[str, dict[str, Any]],
    ]:
        """Advance every live agent by one step (``frameskip`` frames).

        Args:
            actions: an action index per live agent; a missing agent does nothing (NOOP),
                actions of agents that already left are ignored.

        Raises:
            ValueError: an unknown agent, or an action outside the agent's space.
            EnvStateError: stepping before reset() or after every agent finished.
        """
        emu = self.emu
        if emu is None or emu.closed:
            emu = self._live()  # raises
        if self._needs_reset:
            raise EnvStateError(
                "step() before reset(): call reset() first"
                if self._obs is None
                else "every agent has finished: call reset() to start a new episode"
            )
        if not self._busy.acquire(False):
            raise EmulatorBusyError(
                f"two threads stepped this {self.metadata['name']} env at once; give each thread its own env"
            )
        try:
            # the three public phases, inlined: the same work without their repeated checks
            if self.action_scheme is None and self.repeat_action_probability == 0.0:
                rows = self._action_rows(actions)
                self._prev_rows = rows  # self._prev catches up when inputs() needs it
                masks, deltas = self.controls.apply(rows)
            else:
                masks, deltas = self.inputs(self.check_actions(actions))
            frames = self.frameskip
            self._before(emu, masks, deltas, frames)
            self._obs = obs = self._step_emulator(masks, frames)
            return self._outcome(emu, obs)
        finally:
            self._busy.release()

    def check_actions(self, actions: Mapping[str, Any]) -> npt.NDArray[np.intp]:
        """Each agent's action index (NOOP for the absent and the finished), changing nothing.

        A vector env checks every game's actions with this before any game moves, so a call
        refused for one game leaves every game as it was.

        Raises:
            ValueError: ``actions`` is not a mapping, names an unknown agent, or holds an
                action outside that agent's space.
        """
        if type(actions) is not dict and not isinstance(actions, Mapping):
            raise ValueError(
                f"actions must be a dict of agent -> action, got {type(actions).__name__}"
            )
        idx = np.full(self.num_players, self._noop_row, np.intp)
        live, index = self.agents, self._index
        scheme = self.action_scheme
        if scheme is not None and scheme.action_type is not None:
            # a live agent left out keeps its held buttons; only a finished one lets go
            idx[[self._index[a] for a in live]] = 0
        for agent, action in actions.items():
            i = index.get(agent) if type(agent) is str else None
            if i is None:
                i = self.agent_index(agent)  # raises UnknownAgentError, or a str subclass
            if agent not in live:
                continue
            idx[i] = self.check_action(agent, action)
        return idx

    @property
    def _prev(self) -> npt.NDArray[np.intp]:
        """Each agent's last action row (step()'s own path leaves it as a list until read)."""
        if self._prev_rows is not None:
            self._prev_arr[:] = self._prev_rows
            self._prev_rows = None
        return self._prev_arr

    def _action_rows(self, actions: Mapping[str, Any]) -> list[int]:
        """:meth:`check_actions` for Discrete spaces, as a list (step's own, cheaper path)."""
        if type(actions) is not dict and not isinstance(actions, Mapping):
            raise ValueError(
                f"actions must be a dict of agent -> action, got {type(actions).__name__}"
            )
        rows = [self._noop_row] * self.num_players
        live, index, n = self.agents, self._index, self.num_actions
        for agent, action in actions.items():
            i = index.get(agent) if type(agent) is str else None
            if i is None:
                i = self.agent_index(agent)  # raises UnknownAgentError, or a str subclass
            if agent not in live:
                continue
            if type(action) is int and 0 <= action < n:
                rows[i] = action
            else:
                rows[i] = check_discrete(agent, action, n)
        return rows

    def check_action(self, agent: str, action: Any) -> int:
        """``agent``'s action as its row index, changing nothing (the AEC adapter's check).

        Raises:
            ValueError: the action is not in ``agent``'s space (the message says why).
        """
        if self.action_scheme is not None:
            return self.action_scheme.check(agent, action)
        return check_discrete(agent, action, self.num_actions)

    def action_for(self, agent: str, names: Any) -> Any:
        """The action of ``agent``'s space that holds exactly the buttons ``names``.

        Raises:
            ValueError: no action of that space holds exactly those buttons.
        """
        self.agent_index(agent)
        if self.action_scheme is not None:
            return self.action_scheme.action_for(list(names))
        want = set(names)
        for i, meaning in enumerate(self.controls.actions[: self.num_actions]):
            if isinstance(meaning, tuple) and set(meaning) == want:
                return i
        raise ArgumentError(
            f"no action of {agent!r}'s Discrete({self.num_actions}) space holds exactly {list(names)}"
        )

    def inputs(
        self, actions: Mapping[str, Any] | npt.NDArray[np.intp]
    ) -> tuple[npt.NDArray[np.uint16], npt.NDArray[np.int32]]:
        """Turn the agents' actions into port masks and paddle motion (the first phase of a step).

        Args:
            actions: as for :meth:`step`, or the array :meth:`check_actions` returned.

        The sticky-action draw happens here. Public, with :meth:`before_frames` and
        :meth:`outcome`, so that a vector env can run the emulation of many envs in one C call.
        """
        if isinstance(actions, np.ndarray) and actions.shape == (self.num_players,):
            idx = actions.astype(np.intp)  # what check_actions returned
            # Python's min/max over a few agents cost less than two numpy reductions
            values = idx.tolist()
            if min(values) < 0 or max(values) > self._noop_row:
                raise ValueError(
                    f"action indices must be in [0, {self.num_actions}); use check_actions()"
                )
        elif isinstance(actions, Mapping):
            idx = self.check_actions(actions)
        else:
            raise ValueError(
                f"actions must be a dict of agent -> action, got {type(actions).__name__}"
            )
        if self.repeat_action_probability > 0.0:
            sticky = self.np_random.random(self.num_players) < self.repeat_action_probability
            for agent in self.agents:
                i = self._index[agent]
                if sticky[i] and self._prev[i] != self._noop_row:
                    idx[i] = self._prev[i]
        self._prev[:] = idx
        if self.action_scheme is not None:
            joy = self.action_scheme.joypads(self._held, idx)
            return port_masks(self._ports, joy), self._no_deltas
        return self.controls.apply(idx)

    def before_frames(
        self, masks: npt.NDArray[np.uint16], deltas: npt.NDArray[np.int32], frames: int
    ) -> None:
        """What must happen right before ``frames`` frames run: paddle motion, the observers.

        The env's own step calls it; so does a vector env that runs the frames itself.
        """
        self._before(self._live(), masks, deltas, frames)

    def _before(
        self,
        emu: EmulatorLike,
        masks: npt.NDArray[np.uint16],
        deltas: npt.NDArray[np.int32],
        frames: int,
    ) -> None:
        # the motion holds until changed: the joint-action tables hand back the same arrays
        if self.paddle_center is not None and (deltas is not self._last_deltas or self._joined):
            emu.paddles_move(deltas)  # joined: a vector env's batch may have moved them since
            self._last_deltas = deltas
        for o in self.observers:
            o.on_frames(masks, deltas, frames)

    def join_batch(
        self,
        *,
        values: npt.NDArray[np.int64],
        prev: npt.NDArray[np.int64],
        rewards: npt.NDArray[np.float64],
        actions: npt.NDArray[np.intp],
        clock: npt.NDArray[np.int64],
    ) -> BatchedGame | None:
        """Let a vector env run this env's steps in C with other games', or None where it can't.

        The env's step state moves into the caller's arrays (rows of the vector env's, say),
        where this env's own step, its :meth:`outcome` and the batch all read and write it:
        ``values`` and ``prev`` (int64, one per data.json variable) the decoded variables,
        ``rewards`` (float64, one per player) what the scenario weighs, ``actions`` (intp, one
        per player) each player's last action row (sticky actions), ``clock`` (int64, 1) the
        steps this episode. What the batch then owes the env is in :class:`BatchedGame`.

        None (and nothing changes) where a step needs Python per game beyond the rules: an
        action scheme, a ``reward_fn``, a scenario that the C terms cannot weigh, or
        ``render_mode="human"``.

        Raises:
            ValueError: an array of the wrong type or size.
        """
        self._live()
        prog, terms = self._var_prog, self._term_prog
        if (
            prog is None
            or prog.prev is None
            or terms is None
            or self.action_scheme is not None
            or self.game.reward_fn is not None
            or self.render_mode == "human"
        ):
            return None
        n, p = len(self._var_names), self.num_players
        for name, arr, dtype, size in (
            ("values", values, np.int64, n),
            ("prev", prev, np.int64, n),
            ("rewards", rewards, np.float64, p),
            ("actions", actions, np.intp, p),
            ("clock", clock, np.int64, 1),
        ):
            if arr.dtype != dtype or arr.shape != (size,) or not arr.flags.c_contiguous:
                raise ValueError(
                    f"{name} must be a contiguous {np.dtype(dtype).name} array of {size}"
                )
        values[:], prev[:] = prog.out, prog.prev
        new_prog = self._reader.program(into=(values, prev))
        rewards[:] = self._rewards
        new_terms = self._evaluator.program(self._var_names, values, prev, rewards)
        if new_terms is None:  # the same scenario compiled before: cannot happen
            raise RuntimeError("the scenario no longer compiles to C terms")
        actions[:] = self._prev
        clock[:] = self._cycles
        self._var_prog, self._term_prog, self._rewards = new_prog, new_terms, rewards
        self._prev_arr, self._clock = actions, clock
        self._joined = True
        return BatchedGame(self)

    def _has_lives(self) -> bool:
        """Whether the rules count lives (players then leave one by one)."""
        rules = self._rules
        custom = rules.custom if isinstance(rules, DeclaredRules) else rules
        return type(custom).lives is not Rules.lives or (
            isinstance(rules, DeclaredRules) and rules.data.lives is not None
        )

    def _decoded(
        self, prog: VariableProgram, need_deltas: bool
    ) -> tuple[dict[str, int], Mapping[str, int]]:
        """What ``prog`` decoded last, by name, and (when asked) its deltas from the step before.

        The deltas are exact Python ints, against the values this env kept, or against
        ``prog.prev`` once a vector env's batch may have stepped since.
        """
        values = dict(zip(self._var_names, prog.out.tolist(), strict=False))  # one per name
        deltas: Mapping[str, int] = _NO_DELTAS
        if need_deltas:
            prev = (
                dict(zip(self._var_names, prog.prev.tolist(), strict=False))  # type: ignore[union-attr]
                if self._joined
                else self._values
            )
            deltas = {k: values[k] - prev[k] for k in values}
        self._values = values
        return values, deltas

    def _rules_after_batch(self, frames: int) -> tuple[bool, Sequence[int] | None]:
        """The game's Python rules over what the batch decoded (BatchedGame.after_step)."""
        prog = self._var_prog
        assert prog is not None
        values, deltas = self._decoded(prog, self._rules_step and self._rules_deltas)
        over = self._rules_step and bool(self._rules.step(values, deltas, self._rewards, frames))
        return over, self._rules.lives(values)

    def _leave(self, still: list[str]) -> None:
        self.agents = still

    def _show(self, frame: npt.NDArray[np.uint8]) -> None:
        self._obs = frame

    def add_observer(self, observer: FrameObserver) -> None:
        """Call ``observer`` at every reset, before every batch of frames and at episode end.

        The env closes it when the env closes.
        """
        if not isinstance(observer, FrameObserver):
            raise TypeError(
                f"an observer needs on_reset, on_frames, on_episode_end and close; got {type(observer).__name__}"
            )
        self.observers.append(observer)

    def _emulate(
        self, masks: npt.NDArray[np.uint16], deltas: npt.NDArray[np.int32], frames: int
    ) -> npt.NDArray[np.uint8]:
        self.before_frames(masks, deltas, frames)
        return self._step_emulator(masks, frames)

    def outcome(
        self, obs: npt.NDArray[np.uint8]
    ) -> tuple[
        dict[str, npt.NDArray[np.uint8]],
        dict[str, float],
        dict[str, bool],
        dict[str, bool],
        dict[str, dict[str, Any]],
    ]:
        """Rewards, terminations and truncations once the frames of a step have run.

        The last third of :meth:`step`: ``obs`` is the observation the emulation produced.
        """
        return self._outcome(self._live(), obs)

    def _outcome(
        self, emu: EmulatorLike, obs: npt.NDArray[np.uint8]
    ) -> tuple[
        dict[str, npt.NDArray[np.uint8]],
        dict[str, float],
        dict[str, bool],
        dict[str, bool],
        dict[str, dict[str, Any]],
    ]:
        self._obs = obs
        if self._joined:  # the step count lives in the vector env's batch
            clock = self._clock
            clock[0] += 1
            cycles = int(clock[0])
        else:
            self._cycles = cycles = self._cycles + 1
        live = self.agents
        n = self.num_players
        frames = self.frameskip
        terms = self._term_prog
        need_deltas = terms is None or self._rules_deltas
        deltas_v: Mapping[str, int] = _NO_DELTAS
        prog = self._var_prog
        if prog is None:
            prev = self._values
            self._values = values = self._reader.read()
            if need_deltas:
                deltas_v = {k: values[k] - prev[k] for k in values}
        else:  # the last values move to prog.prev
            prog.run()
            values, deltas_v = self._decoded(prog, need_deltas)
        if terms is not None:
            game_over = terms.run(frames)
            self._evaluator.frame += frames
            rewards = self._rewards
        else:
            reward_list, game_over = self._evaluator.step(values, deltas_v, frames)
            rewards = np.asarray(reward_list, np.float64)
        if self.game.reward_fn is not None:
            ram = emu.ram
            rewards += np.asarray(self.game.reward_fn(ram, self._prev_ram), np.float64)[:n]
            self._prev_ram = ram.copy()
        if self._rules_step:
            game_over = self._rules.step(values, deltas_v, rewards, frames) or game_over
        lives = self._rules.lives(values)
        truncated = cycles >= self.max_cycles

        # rewards are numpy floats, as PettingZoo's Atari envs give (iterating the array)
        index = self._index
        rew: dict[str, float] = (
            dict(zip(live, rewards, strict=True))
            if len(live) == n
            else {a: rewards[index[a]] for a in live}
        )
        # the game's data.json variables, as stable-retro's info, then what the rules add
        report = self.report_variables
        infos: dict[str, dict[str, Any]] = {a: dict(values) if report else {} for a in live}
        if lives is None:
            over = bool(game_over)
            term = dict.fromkeys(live, over)
            trunc = dict.fromkeys(live, truncated)
            still = [] if over or truncated else live[:]
        else:
            term, trunc, still = {}, {}, []
            for agent in live:
                i = index[agent]
                term[agent] = ended = bool(game_over or lives[i] < 0)
                trunc[agent] = truncated
                infos[agent]["lives"] = int(lives[i])
                if not (ended or truncated):
                    still.append(agent)
        self.agents = still
        if not still:
            self._needs_reset = True
            for o in self.observers:
                try:
                    o.on_episode_end()
                except Exception as e:  # this step's results are returned; the error next call
                    self._observer_error = e
        if self.render_mode == "human":
            self.render()
        per_agent = dict.fromkeys(live, obs) if self.crops is None else self._per_agent(obs, live)
        return per_agent, rew, term, trunc, infos

    def _per_agent(
        self, obs: npt.NDArray[np.uint8], agents: list[str]
    ) -> dict[str, npt.NDArray[np.uint8]]:
        if self.crops is None:
            return dict.fromkeys(agents, obs)
        out = {}
        for a in agents:
            c = self.crops[self._index[a]]
            out[a] = obs if c is None else np.ascontiguousarray(c.apply(obs))
        return out

    # ------------------------------------------------------------------ the rest of the API

    def agent_index(self, agent: Any) -> int:
        """The index of ``agent`` among ``possible_agents``.

        Raises:
            UnknownAgentError: not one of this env's agents.
        """
        i = self._index.get(agent) if isinstance(agent, str) else None
        if i is None:
            raise UnknownAgentError(
                f"unknown agent {agent!r}; this env's agents are {', '.join(self.possible_agents)}"
            )
        return i

    def observation_space(self, agent: str) -> gymnasium.spaces.Space[Any]:
        """The same Box object on every call."""
        return self.observation_spaces[self.possible_agents[self.agent_index(agent)]]

    def action_space(self, agent: str) -> gymnasium.spaces.Space[Any]:
        """The same space object on every call."""
        return self.action_spaces[self.possible_agents[self.agent_index(agent)]]

    def _raise_observer_error(self) -> None:
        err, self._observer_error = self._observer_error, None
        if err is not None:
            raise err

    def check_open(self) -> None:
        """Raise EnvStateError if the env was closed (for adapters over this env)."""
        self._live()

    def observe(self, agent: str) -> npt.NDArray[np.uint8]:
        """The current observation (every agent sees the whole screen or RAM)."""
        self.agent_index(agent)
        self._live()
        if self._obs is None:
            raise EnvStateError("observe() before reset(): call reset() first")
        if self.crops is not None and self.crops[self._index[agent]] is not None:
            return np.ascontiguousarray(self.crops[self._index[agent]].apply(self._obs))  # type: ignore[union-attr]
        return self._obs

    def game_area(self, agent: str) -> npt.NDArray[np.uint16]:
        """The current screen as tile ids, whatever the observation (PyBoy's ``game_area``).

        Every agent sees the same screen. See docs/concepts/tiles.md for the grid's meaning.

        Raises:
            TilesError: this console or core gives no tile grid (the message says why).
            EnvStateError: before reset() or after close().
        """
        self.agent_index(agent)
        emu = self._live()
        if self._obs is None:
            raise EnvStateError("game_area() before reset(): call reset() first")
        if self._tiles is None:
            self._tiles = TileObservation(emu, "tiles", None, self.game.env_name)
        return self._tiles.game_area()

    @property
    def variable_names(self) -> tuple[str, ...]:
        """The game's data.json variables, in the order its infos list them."""
        return tuple(self._var_names)

    @property
    def game_wrapper(self) -> GameWrapper:
        """The game's data.json variables as attributes and ``game_area()``, as PyBoy's."""
        first = self.possible_agents[0]
        return GameWrapper(self._current_values, lambda: self.game_area(first), self.game.env_name)

    def _current_values(self) -> dict[str, int]:
        self._live()
        if self._obs is None:
            raise EnvStateError("game_wrapper read before reset(): call reset() first")
        prog = self._var_prog
        if prog is not None:  # what the last step (this env's or a vector env's batch) decoded
            return dict(zip(self._var_names, prog.out.tolist(), strict=True))
        return self._values

    def state(self) -> npt.NDArray[np.uint8]:
        """The global state: a copy of the console's RAM (on Game Boy, work RAM then high RAM)."""
        self._live()
        return self._ram.copy()

    def render(self) -> npt.NDArray[np.uint8] | None:
        """``rgb_array``: the screen as (H, W, 3) uint8; ``human``: draw it in a window."""
        if self.render_mode is None:
            gymnasium.logger.warn(
                "render() was called on an env made with render_mode=None, which draws nothing: "
                f"make it with render_mode='rgb_array' or 'human' ({self.metadata['name']})"
            )
            return None
        emu = self._live()
        if self._obs is None:
            raise EnvStateError("render() before reset(): call reset() first")
        frame = emu.screen_rgb()
        if self.render_mode == "rgb_array":
            return frame
        if self._window is None:
            self._window = Window(str(self.metadata["name"]), frame.shape[1], frame.shape[0])
        self._window.show(frame)
        if self.throttle:
            # hold each picture for its frames' time, measured from the last one shown
            period = self.frameskip / self._core_fps
            now = time.perf_counter()
            due = self._next_show if self._next_show > now - period else now
            if due > now:
                time.sleep(due - now)
            self._next_show = max(due, now) + period
        return None

    def close(self) -> None:
        """Close the window, any recording and the emulator. Idempotent."""
        observers, self.observers = self.observers, []
        for o in observers:
            o.close()
        if self._window is not None:
            self._window.close()
            self._window = None
        if self.emu is not None:
            self.emu.close()

    def _live(self) -> EmulatorLike:
        if self.emu is None or self.emu.closed:
            raise EnvStateError(
                f"this {self.metadata.get('name', 'env')} env was closed; make a new one"
            )
        return self.emu

    def __reduce__(self) -> tuple[Any, ...]:
        # rebuilt from its arguments: the emulator is not picklable, the game is data
        return (_rebuild, (self.game, self.init_kwargs))

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # at interpreter shutdown there is no one to tell
            self.close()


def _rebuild(game: GameDef, kwargs: dict[str, Any]) -> RetroParallelEnv:
    return RetroParallelEnv(game, **kwargs)


class BatchedGame:
    """One game of a vector env's C batch, as :meth:`RetroParallelEnv.join_batch` hands it over.

    The batch turns action rows into inputs with ``controls``, runs ``outcome`` (the game's C
    variable program and scenario terms) after the game's frames on its pool thread, and then
    owes the env only what this class does: the Python rules where the game has some, and the
    frame its ``observe()`` returns.

    Attributes:
        controls: the game's action tables (:meth:`Controls.apply_many`).
        outcome: ``(variables, terms)`` for :class:`~pettingretro.host.PreparedStep`.
        rules: whether :meth:`after_step` must run after every step (Python rules, or lives).
        lives: whether the rules count lives (players leave one by one: :meth:`leave`).
        max_cycles: steps after which the episode is truncated.
        repeat_action_probability: the sticky-action probability.
    """

    def __init__(self, env: RetroParallelEnv) -> None:
        self._env = env
        self.controls = env.controls
        assert env._var_prog is not None
        assert env._term_prog is not None
        self.outcome = (env._var_prog, env._term_prog)
        self.lives = env._has_lives()
        self.rules = env._rules_step or self.lives
        self.max_cycles = env.max_cycles
        self.repeat_action_probability = env.repeat_action_probability
        self.noop_row = env._noop_row

    def after_step(self, frames: int) -> tuple[bool, Sequence[int] | None]:
        """Run the game's Python rules on this step's values and rewards.

        Returns whether they end the game, and each player's lives (None without lives).
        """
        return self._env._rules_after_batch(frames)

    def leave(self, still: list[str]) -> None:
        """Only ``still`` play on (the others lost their last life this step)."""
        self._env._leave(still)

    def show(self, frame: npt.NDArray[np.uint8]) -> None:
        """``frame`` (a view the caller keeps current) is what the env observes from now on."""
        self._env._show(frame)

    @property
    def np_random(self) -> np.random.Generator:
        """The env's generator (sticky actions draw from it, as the env's own step does)."""
        return self._env.np_random
