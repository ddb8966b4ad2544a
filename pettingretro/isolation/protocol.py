"""What the client and a worker say to each other: typed commands and replies, the shared memory layout.

Every message is one pickled value over the worker's pipe; nothing large travels in it. The
client sends a :class:`Request` (the deferred input, then one command); the worker answers with
:class:`Done` or :class:`Failed`, which carry the frame counter and the core's log records.
Commands are ``NamedTuple`` values that the worker dispatches on by type with ``match``; on the
pipe a request or reply is a plain tuple (:func:`pack`, :func:`unpack`), the command's class a
small integer. RAM, the screen and checkpoints go through one
shared memory block instead, laid out by :class:`Layout`.
"""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple, TypeAlias

# ------------------------------------------------------------------------- the worker's orders


@dataclasses.dataclass(frozen=True)
class WorkerSpec:
    """What a worker loads, and the process it runs in (sent to the fork server)."""

    core: str
    rom: str
    options: dict[str, str]
    num_ports: int
    system_dir: str
    seed: int
    checkpoint_every: int
    environ: dict[str, str]
    cwd: str
    tmpdir: str = ""


class Loaded(NamedTuple):
    """The worker's first answer: the game is loaded; what the client needs to lay out memory."""

    system_info: Any  # host.SystemInfo
    av_info: Any  # host.AVInfo
    core_path: Any  # pathlib.Path
    state_complete: bool
    ram_size: int
    state_size: int
    pixels: int
    maps: MapPlan


class Attach(NamedTuple):
    """The second message: the layout; the memory block's fd follows it (SCM_RIGHTS)."""

    layout: Layout


# ------------------------------------------------------------------------- input sent with a call


class Buttons(NamedTuple):
    """Every port's held buttons (uint16 masks)."""

    masks: bytes


class PaddleMotion(NamedTuple):
    """Every host-owned paddle's motion per frame (int32)."""

    deltas: bytes


Input: TypeAlias = "Buttons | PaddleMotion"

# ------------------------------------------------------------------------- commands


class Step(NamedTuple):
    """Run ``frames`` frames with the held buttons (Emulator.step)."""

    frames: int
    video: bool


class StepInto(NamedTuple):
    """Set every port's buttons and step; the frame goes to the shared screen in ``shape``."""

    buttons: bytes
    frames: int
    shape: tuple[int, ...] | None
    gray: bool
    video: bool


class Screen(NamedTuple):
    """Write the last frame into the shared screen (``shape`` None: the frame's own)."""

    gray: bool
    shape: tuple[int, ...] | None


class LoadState(NamedTuple):
    """Restore a state; it becomes the checkpoint too."""

    data: bytes


class Reset(NamedTuple):
    """Reset the console (Emulator.reset); the state after it becomes the checkpoint."""

    hard: bool
    seed: int


class Checkpoint(NamedTuple):
    """Save a checkpoint now; answers its frame."""


class Memory(NamedTuple):
    """A copy of one memory region (``save_ram``, ``video_ram``, ``rtc``)."""

    kind: str


class SaveState(NamedTuple):
    """The core's serialized state."""


class ScreenShape(NamedTuple):
    """(height, width) of the last kept frame."""


class Paddles(NamedTuple):
    """Each host-owned paddle's position."""


class Options(NamedTuple):
    """Every core option's value."""


class OptionInfo(NamedTuple):
    """Everything known about one core option."""

    key: str


class SetOption(NamedTuple):
    """Change a core option."""

    key: str
    value: str


class SetAnalog(NamedTuple):
    """Set an analog axis."""

    port: int
    stick: int  # 0 left, 1 right (libretro calls it the index)
    axis: int
    value: int


class PaddlesConfig(NamedTuple):
    """Let the host own paddle positions stored in the core's state."""

    state_offsets: tuple[int, ...]
    low: int
    high: int


class PaddlesSet(NamedTuple):
    """Place every paddle before the next frame."""

    values: tuple[int, ...]


#: the commands that configure an emulator: restart() replays them into a new worker
Setting: TypeAlias = "SetOption | SetAnalog | PaddlesConfig"


class Restore(NamedTuple):
    """Bring a fresh worker back: replay the settings, then load ``state`` (None: keep the load)."""

    state: bytes | None
    frame: int
    replay: tuple[Setting, ...]


class Ping(NamedTuple):
    """Does nothing: a round trip (what bench/isolation.py times)."""


class Close(NamedTuple):
    """Unload the game and end the worker."""


Command: TypeAlias = (
    "Step | StepInto | Screen | LoadState | Reset | Checkpoint | Memory | SaveState "
    "| ScreenShape | Paddles | Options | OptionInfo | SetOption | SetAnalog | PaddlesConfig "
    "| PaddlesSet | Restore | Ping | Close"
)


class Request(NamedTuple):
    """One call: the input changed since the last one, then the command."""

    input: tuple[Input, ...]
    command: Command


_DOING: dict[type, str] = {
    Step: "stepping",
    StepInto: "stepping",
    Restore: "restoring the checkpoint",
    LoadState: "loading a state",
}


def doing(command: Command) -> str:
    """What the worker was doing when it ran ``command``, for crash messages."""
    return _DOING.get(type(command), f"running {type(command).__name__}")


# ------------------------------------------------------------------------- replies


class Done(NamedTuple):
    """The command's result."""

    value: Any
    frame: int
    logs: tuple[tuple[int, str], ...]


class Failed(NamedTuple):
    """The command raised ``error`` in the worker (a host error, re-raised by the client)."""

    error: BaseException
    frame: int
    logs: tuple[tuple[int, str], ...]


Reply: TypeAlias = "Done | Failed"

# ------------------------------------------------------------------------- on the wire

#: the wire code of each command is its place here; pickling a plain tuple of builtins costs a
#: third of pickling the NamedTuple (which names its class): ~8 µs less per round trip
_COMMANDS: tuple[type[Command], ...] = (
    Step, StepInto, Screen, LoadState, Reset, Checkpoint, Memory, SaveState, ScreenShape,
    Paddles, Options, OptionInfo, SetOption, SetAnalog, PaddlesConfig, PaddlesSet, Restore,
    Ping, Close,
)  # fmt: skip
_COMMAND_CODE = {kind: code for code, kind in enumerate(_COMMANDS)}
_INPUTS: tuple[type[Input], ...] = (Buttons, PaddleMotion)
_INPUT_CODE = {kind: code for code, kind in enumerate(_INPUTS)}


def pack(request: Request) -> tuple[Any, ...]:
    """``request`` as it travels: ``(inputs as (code, bytes) pairs, command code, *fields)``."""
    inputs = tuple((_INPUT_CODE[type(i)], i[0]) for i in request.input)
    return (inputs, _COMMAND_CODE[type(request.command)], *request.command)


def unpack(wire: tuple[Any, ...]) -> Request:
    """The request :func:`pack` made."""
    inputs = tuple(_INPUTS[code](data) for code, data in wire[0])
    return Request(inputs, _COMMANDS[wire[1]](*wire[2:]))


def pack_reply(reply: Reply) -> tuple[Any, ...]:
    """``reply`` as it travels: ``(failed, value or error, frame, logs)``."""
    return (isinstance(reply, Failed), *reply)


def unpack_reply(wire: tuple[Any, ...]) -> Reply:
    """The reply :func:`pack_reply` made."""
    return (Failed if wire[0] else Done)(*wire[1:])


# ------------------------------------------------------------------------- shared memory

HEADER = 64  # bytes: int64 words [0] active checkpoint slot (-1 none), [1+2k] length, [2+2k] frame
ALIGN = 64
MEMDESC_CONST = 1  # RETRO_MEMDESC_CONST: read-only memory (ROM), not mirrored

#: where each memory map descriptor's bytes live: its fields and a place, None (not mirrored),
#: ``("ram", offset, length)`` inside system RAM or ``("span", k, offset, length)``; and the
#: ``(address, size)`` in the worker of each span (see worker.map_plan)
MapPlan: TypeAlias = "tuple[list[tuple[dict[str, Any], Any]], list[tuple[int, int]]]"


def _round(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


class Layout(NamedTuple):
    """Offsets in the shared memory block: header, RAM, screen, two checkpoint slots, spans."""

    ram_size: int
    screen_cap: int
    slot_cap: int
    ram: int
    screen: int
    slots: tuple[int, int]
    spans: tuple[tuple[int, int], ...]  # (offset, size) of each mirrored span
    maps: list[tuple[dict[str, Any], Any]]
    size: int

    @classmethod
    def plan(cls, loaded: Loaded) -> Layout:
        """The layout for what the worker reported after loading."""
        ram_size = int(loaded.ram_size)
        screen_cap = max(int(loaded.pixels), 256 * 256) * 3
        # twice the first state's size: room for states that grow after loading
        slot_cap = 2 * int(loaded.state_size) + 4096 if loaded.state_size else 0
        ram = HEADER
        screen = ram + _round(ram_size)
        slot0 = screen + _round(screen_cap)
        slot1 = slot0 + _round(slot_cap)
        end = slot1 + _round(slot_cap)
        spans = []
        for _, size in loaded.maps[1]:
            spans.append((end, size))
            end += _round(size)
        return cls(
            ram_size, screen_cap, slot_cap, ram, screen, (slot0, slot1), tuple(spans),
            loaded.maps[0], end,
        )  # fmt: skip
