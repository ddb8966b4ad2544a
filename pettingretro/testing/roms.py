"""Input test ROMs assembled from our own sources in pettingretro/testing/testroms: builder and RAM facts.

Each ROM reads every controller port its system has, once per frame, and stores what it
read at fixed addresses in the RAM the core exposes as ``RETRO_MEMORY_SYSTEM_RAM`` (what
``Emulator.ram`` views). A test presses buttons on one port and checks that only that
port's state changes. The ROMs are assembled with Debian tools; nothing here loads a core.

Example:
    >>> from pettingretro.testing.roms import TEST_ROMS, build_rom
    >>> rom = TEST_ROMS["nes"]
    >>> path = build_rom("nes", tmp_dir)  # doctest: +SKIP
    >>> emu = Emulator(rom.core, path)  # doctest: +SKIP
    >>> emu.set_buttons(1, 1 << Button.A); emu.step(2)  # doctest: +SKIP
    >>> rom.port_state(emu.ram, 1) == 1 << rom.buttons["A"]  # doctest: +SKIP
    True

"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "TEST_ROMS",
    "TILES_ROMS",
    "TestRom",
    "TilesRom",
    "ToolMissingError",
    "build_rom",
    "build_tiles_rom",
    "hold",
    "picture_mismatch",
    "source_dir",
]


class ToolMissingError(RuntimeError):
    """An assembler or linker needed to build a test ROM is not installed."""


@dataclass(frozen=True)
class TestRom:
    """Where one system's input test ROM keeps its state, and how it encodes buttons.

    Attributes:
        system: Short system name, the key in ``TEST_ROMS`` and the folder under pettingretro/testing/testroms.
        core: Name of the libretro core that runs it (as in ``<core>_libretro.so``).
        extension: File extension the core accepts for it.
        hardware_ports: Controller ports on the console itself (the PC Engine has one;
            its multitap turns it into five pads).
        port_offsets: SYSTEM_RAM offset of the state of each libretro port the ROM reads,
            in port order.
        state_width: Bytes per port state, little endian.
        buttons: Libretro button name (a ``Button`` member name) -> bit in a port state.
            Bits are 1 while the button is held.
        frame_offset: SYSTEM_RAM offset of a counter the ROM increments once per frame.
        frame_width: Bytes of that counter, little endian.
        options: Core options the ROM needs (none so far).
        notes: Anything a test should know about this system or core.

    """

    __test__ = False  # not a pytest test class, despite the name

    system: str
    core: str
    extension: str
    hardware_ports: int
    port_offsets: tuple[int, ...]
    state_width: int
    buttons: Mapping[str, int]
    frame_offset: int
    frame_width: int
    options: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    notes: str = ""

    @property
    def ports(self) -> int:
        """Number of libretro ports whose state the ROM stores."""
        return len(self.port_offsets)

    def port_state(self, ram: Sequence[int], port: int) -> int:
        """Return the stored state of ``port`` (bit set = button held) from a RAM view."""
        start = self.port_offsets[port]
        return int.from_bytes(bytes(ram[start : start + self.state_width]), "little")

    def frames(self, ram: Sequence[int]) -> int:
        """Return the ROM's frame counter from a RAM view."""
        start = self.frame_offset
        return int.from_bytes(bytes(ram[start : start + self.frame_width]), "little")


def _bits(**bits: int) -> Mapping[str, int]:
    return MappingProxyType(bits)


# Facts checked against the stable-retro 1.0.1 cores (see the .s files for the hardware side).
TEST_ROMS: Mapping[str, TestRom] = MappingProxyType(
    {
        "nes": TestRom(
            system="nes",
            core="fceumm",
            extension="nes",
            hardware_ports=2,
            port_offsets=(0x10, 0x11),  # $0010 / $0011 in the 2 KiB internal RAM
            state_width=1,
            buttons=_bits(A=7, B=6, SELECT=5, START=4, UP=3, DOWN=2, LEFT=1, RIGHT=0),
            frame_offset=0x12,
            frame_width=2,
        ),
        "snes": TestRom(
            system="snes",
            core="snes9x",
            extension="sfc",
            hardware_ports=2,
            port_offsets=(0x0000, 0x0002),  # $7E:0000 / $7E:0002 (JOY1 / JOY2 words)
            state_width=2,
            buttons=_bits(
                B=15,
                Y=14,
                SELECT=13,
                START=12,
                UP=11,
                DOWN=10,
                LEFT=9,
                RIGHT=8,
                A=7,
                X=6,
                L=5,
                R=4,
            ),
            frame_offset=0x0004,
            frame_width=2,
            notes="snes9x drops UP when UP and DOWN are held together (its default setting).",
        ),
        "gb": TestRom(
            system="gb",
            core="gambatte",
            extension="gb",
            hardware_ports=1,
            port_offsets=(0x0000,),  # $C000: SYSTEM_RAM is work RAM from $C000
            state_width=1,
            buttons=_bits(START=7, SELECT=6, B=5, A=4, DOWN=3, UP=2, LEFT=1, RIGHT=0),
            frame_offset=0x0001,
            frame_width=2,
            notes="One controller. The header has no logo: gambatte runs no boot ROM by default.",
        ),
        "gba": TestRom(
            system="gba",
            core="mgba",
            extension="gba",
            hardware_ports=1,
            port_offsets=(0x0000,),  # 0x02000000: SYSTEM_RAM is the 256 KiB of EWRAM
            state_width=2,
            buttons=_bits(A=0, B=1, SELECT=2, START=3, RIGHT=4, LEFT=5, UP=6, DOWN=7, R=8, L=9),
            frame_offset=0x0004,
            frame_width=4,
            notes=(
                "One controller. No logo in the header: mGBA's built-in BIOS skips the check. "
                "mgba also maps libretro Y, X, L2, R2 to B, A, L, R."
            ),
        ),
        "pce": TestRom(
            system="pce",
            core="mednafen_pce_fast",
            extension="pce",
            hardware_ports=1,
            port_offsets=(0x0000, 0x0001, 0x0002, 0x0003, 0x0004),  # $2000-$2004
            state_width=1,
            # libretro A/B are the pad's I/II; START is RUN.
            buttons=_bits(LEFT=7, DOWN=6, RIGHT=5, UP=4, START=3, SELECT=2, B=1, A=0),
            frame_offset=0x0005,
            frame_width=2,
            notes=(
                "One port; mednafen_pce_fast always emulates a 5-pad multitap on it (no core "
                "option), so libretro ports 0-4 are pads 1-5."
            ),
        ),
    }
)


def source_dir(system: str) -> Path:
    """Return the folder holding ``system``'s assembly sources and linker script.

    Raises:
        KeyError: ``system`` has no test ROM.
        FileNotFoundError: The sources are not there (a damaged install).

    """
    if system not in TEST_ROMS:
        raise KeyError(f"no test ROM for system {system!r}; known: {', '.join(TEST_ROMS)}")
    path = SOURCES / system
    if not (path / "input.s").is_file():
        raise FileNotFoundError(
            f"test ROM sources not found at {path}; they ship inside the package: "
            "reinstall pettingretro"
        )
    return path


#: The assembly sources of every test ROM: package data, so a wheel builds them too.
SOURCES = Path(__file__).resolve().parent / "testroms"


# tool -> Debian package that installs it
_PACKAGES = {
    "ca65": "cc65",
    "ld65": "cc65",
    "sdasgb": "sdcc",
    "sdldgb": "sdcc",
    "makebin": "sdcc",
    "arm-none-eabi-as": "binutils-arm-none-eabi",
    "arm-none-eabi-ld": "binutils-arm-none-eabi",
    "arm-none-eabi-objcopy": "binutils-arm-none-eabi",
    "m68k-linux-gnu-as": "binutils-m68k-linux-gnu",
    "m68k-linux-gnu-ld": "binutils-m68k-linux-gnu",
    "m68k-linux-gnu-objcopy": "binutils-m68k-linux-gnu",
}


def _run(*argv: str | Path, cwd: Path) -> None:
    tool = str(argv[0])
    exe = shutil.which(tool)
    if exe is None:
        raise ToolMissingError(
            f"{tool} is needed to build this test ROM; install it with "
            f"`apt-get install {_PACKAGES[tool]}`"
        )
    proc = subprocess.run(
        [exe, *map(str, argv[1:])], cwd=cwd, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"{tool} failed with exit status {proc.returncode}:\n{proc.stdout}{proc.stderr}"
        )


def _build_nes(src: Path, work: Path) -> bytes:
    _run("ca65", "-o", work / "input.o", src / "input.s", cwd=work)
    _run("ld65", "-C", src / "nrom.cfg", "-o", work / "rom", work / "input.o", cwd=work)
    return (work / "rom").read_bytes()


def _build_snes(src: Path, work: Path, name: str = "input") -> bytes:
    _run("ca65", "--cpu", "65816", "-o", work / f"{name}.o", src / f"{name}.s", cwd=work)
    _run("ld65", "-C", src / "lorom.cfg", "-o", work / "rom", work / f"{name}.o", cwd=work)
    rom = bytearray((work / "rom").read_bytes())
    # Header at $00:FFC0 = file offset 0x7FC0: the checksum is the 16-bit sum of every byte,
    # taken with complement $FFFF and checksum $0000 in place (their bytes then add to 0x1FE).
    rom[0x7FDC:0x7FE0] = b"\xff\xff\x00\x00"
    total = sum(rom) & 0xFFFF
    rom[0x7FDC:0x7FDE] = (total ^ 0xFFFF).to_bytes(2, "little")
    rom[0x7FDE:0x7FE0] = total.to_bytes(2, "little")
    return bytes(rom)


def _build_gb(src: Path, work: Path, name: str = "input", cgb_flag: int = 0) -> bytes:
    _run("sdasgb", "-o", work / f"{name}.rel", src / f"{name}.s", cwd=work)
    _run("sdldgb", "-i", work / f"{name}.ihx", work / f"{name}.rel", cwd=work)
    # plain makebin: its -Z (Game Boy) mode would write a Nintendo logo into the header
    _run("makebin", "-s", "32768", work / f"{name}.ihx", work / "rom", cwd=work)
    rom = bytearray((work / "rom").read_bytes())
    rom[0x143] = cgb_flag
    header = 0
    for byte in rom[0x134:0x14D]:
        header = (header - byte - 1) & 0xFF
    rom[0x14D] = header
    rom[0x14E:0x150] = b"\x00\x00"
    rom[0x14E:0x150] = (sum(rom) & 0xFFFF).to_bytes(2, "big")
    return bytes(rom)


def _build_gba(src: Path, work: Path) -> bytes:
    _run("arm-none-eabi-as", "-o", work / "input.o", src / "input.s", cwd=work)
    _run(
        "arm-none-eabi-ld",
        "-Ttext=0x08000000",
        "-e",
        "_start",
        "-o",
        work / "input.elf",
        work / "input.o",
        cwd=work,
    )
    _run("arm-none-eabi-objcopy", "-O", "binary", work / "input.elf", work / "rom", cwd=work)
    rom = bytearray((work / "rom").read_bytes())
    rom[0xBD] = -(sum(rom[0xA0:0xBD]) + 0x19) & 0xFF  # header complement check
    return bytes(rom)


def _build_pce(src: Path, work: Path) -> bytes:
    _run("ca65", "--cpu", "huc6280", "-o", work / "input.o", src / "input.s", cwd=work)
    _run("ld65", "-C", src / "hucard.cfg", "-o", work / "rom", work / "input.o", cwd=work)
    return (work / "rom").read_bytes()


_BUILDERS = {
    "nes": _build_nes,
    "snes": _build_snes,
    "gb": _build_gb,
    "gba": _build_gba,
    "pce": _build_pce,
}


def build_rom(system: str, out_dir: Path) -> Path:
    """Assemble ``system``'s input test ROM into ``out_dir``.

    Args:
        system: A key of ``TEST_ROMS`` ("nes", "snes", "gb", "gba", "pce").
        out_dir: Folder for the ROM; created if missing. Intermediate files go to a
            temporary folder.

    Returns:
        Path of the ROM, ``out_dir / f"input-{system}.{extension}"``.

    Raises:
        KeyError: ``system`` has no test ROM.
        ToolMissingError: An assembler or linker is missing; the message names the Debian
            package to install.
        RuntimeError: A tool failed; the message carries its output.

    """
    src = source_dir(system)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"pettingretro-{system}-") as tmp:
        image = _BUILDERS[system](src, Path(tmp))
    path = out_dir / f"input-{system}.{TEST_ROMS[system].extension}"
    path.write_bytes(image)
    return path


@dataclass(frozen=True)
class TilesRom:
    """What a tiles test ROM (pettingretro/testing/testroms/<system>_tiles) draws, and where it says so.

    The ROM draws a background map whose tile at (row, col) is ``map_tile(row, col)``,
    scrolls it, and moves one sprite by the d-pad. It keeps its scroll and the sprite's
    position in SYSTEM_RAM, so a test can compute the expected grid without the decoder.

    Attributes:
        system: Short system name, the key in ``TILES_ROMS``.
        core: Libretro core that runs it.
        extension: File extension the core accepts for it.
        sprite_tile: Tile id of the moving sprite.
        tile_mask: The bits of ``row * 9 + col`` the map keeps (``map_tile``).
        offsets: Name -> SYSTEM_RAM offset of a one-byte shadow the ROM keeps
            (``scx``, ``scy``, ``sprite_x``, ``sprite_y``; sprite positions in the
            console's own OAM coordinates).
        notes: How the ROM moves things.

    """

    system: str
    core: str
    extension: str
    sprite_tile: int
    offsets: Mapping[str, int]
    notes: str = ""
    tile_mask: int = 0xFF

    def map_tile(self, row: int, col: int) -> int:
        """Return the tile id the ROM wrote at ``(row, col)`` of its background map."""
        return (row * 9 + col) & self.tile_mask

    def shadow(self, ram: Sequence[int], name: str) -> int:
        """Return one of the ROM's shadow bytes (``offsets``) from a RAM view."""
        return int(ram[self.offsets[name]])


TILES_ROMS: Mapping[str, TilesRom] = MappingProxyType(
    {
        "gb": TilesRom(
            system="gb",
            core="gambatte",
            extension="gb",
            sprite_tile=0x42,
            offsets=MappingProxyType(
                {"scx": 0x03, "scy": 0x04, "sprite_x": 0x05, "sprite_y": 0x06, "cgb": 0x07}
            ),
            notes=(
                "SCX +1 every frame, SCY +1 while A is held, sprite 0 by the d-pad. The colour "
                "build (color=True) also takes the tile from VRAM bank 1 where row + col is odd."
            ),
        ),
        "nes": TilesRom(
            system="nes",
            core="fceumm",
            extension="nes",
            sprite_tile=0x42,
            offsets=MappingProxyType(
                {"scx": 0x14, "scx_high": 0x15, "scy": 0x16, "sprite_x": 0x17, "sprite_y": 0x18}
            ),
            notes=(
                "Two nametables side by side make a 64x30 map; scroll X +1 every frame (0-511), "
                "Y +1 while A is held (0-239), sprite 0 by the d-pad. Background tiles come "
                "from the pattern table at $1000 (ids 256-511), the sprite's from $0000."
            ),
        ),
        "snes": TilesRom(
            system="snes",
            core="snes9x",
            extension="sfc",
            sprite_tile=0x42,
            offsets=MappingProxyType(
                {
                    "scx": 0x10,
                    "scx_high": 0x11,
                    "scy": 0x12,
                    "scy_high": 0x13,
                    "sprite_x": 0x14,
                    "sprite_y": 0x15,
                }
            ),
            notes=(
                "Mode 1, a 64x64 BG1 map of 8x8 tiles with ids (row * 9 + col) & $3FF and "
                "varied palette/flip bits; BG1HOFS +1 every frame, BG1VOFS +1 while A is held "
                "(both 0-1023); sprite 0 (16x16, name $042) by the d-pad, sprite 1 (8x8, name "
                "$107) fixed at (200, 150). See testroms/snes_tiles/tiles.s."
            ),
            tile_mask=0x3FF,
        ),
        "genesis": TilesRom(
            system="genesis",
            core="genesis_plus_gx",
            extension="md",
            sprite_tile=0x42,
            # 68k words at $FF0004...: the core's RAM view holds each as a host-order
            # (little-endian) word, so a word's low byte comes first
            offsets=MappingProxyType(
                {
                    "scx": 0x04,
                    "scx_high": 0x05,
                    "scy": 0x06,
                    "scy_high": 0x07,
                    "sprite_x": 0x08,
                    "sprite_x_high": 0x09,
                    "sprite_y": 0x0A,
                    "sprite_y_high": 0x0B,
                }
            ),
            notes=(
                "A 64x32 plane A whose cell (row, col) names tile 256 + map_tile(row, col) "
                "with palette (row + col) & 3 and flips (row ^ col) & 3; scroll X +1 every "
                "frame, Y +1 while B is held (10-bit values); a 3x2-cell sprite (tiles "
                "$42-$47, column-major) moved by the d-pad, in sprite-table coordinates "
                "(screen + 128). H40 (320x224)."
            ),
        ),
        "pce": TilesRom(
            system="pce",
            core="mednafen_pce_fast",
            extension="pce",
            sprite_tile=0x80,
            offsets=MappingProxyType(
                {
                    "scx": 0x03,
                    "scx_high": 0x04,
                    "scy": 0x05,
                    "sprite_x": 0x06,
                    "sprite_x_high": 0x07,
                    "sprite_y": 0x08,
                    "sprite_y_high": 0x09,
                }
            ),
            notes=(
                "A 64x32 BAT of tiles $100 + map_tile(row, col) in palette (row + col) & 3; "
                "BXR +1 every frame (0-511), BYR +1 while I (A) is held (0-255). Sprite 0 "
                "(16x16, pattern $80; SAT X = screen x + 32, Y = screen y + 64, 16-bit "
                "shadows) moves by the d-pad; sprite 1 (32x32, patterns $84-$87, x flipped) "
                "sits at screen (160, 120)."
            ),
        ),
    }
)


def build_tiles_rom(system: str, out_dir: Path, *, color: bool = False) -> Path:
    """Assemble ``system``'s tiles test ROM (pettingretro/testing/testroms/<system>_tiles) into ``out_dir``.

    Args:
        system: A key of ``TILES_ROMS``.
        out_dir: Folder for the ROM; created if missing.
        color: Game Boy only: mark the ROM as a Game Boy Color game (header byte $0143 = $80),
            so gambatte runs it in colour mode.

    Returns:
        Path of the ROM, ``out_dir / f"tiles-{system}[-color].{extension}"``.

    Raises:
        KeyError: ``system`` has no tiles test ROM.
        ValueError: ``color`` asked for on a system without a colour mode.
        ToolMissingError: An assembler or linker is missing.
        RuntimeError: A tool failed; the message carries its output.

    """
    if system not in TILES_ROMS:
        raise KeyError(f"no tiles test ROM for system {system!r}; known: {', '.join(TILES_ROMS)}")
    if color and system != "gb":
        raise ValueError(f"color=True is for the Game Boy tiles ROM, not {system!r}")
    src = SOURCES / f"{system}_tiles"
    if not (src / "tiles.s").is_file():
        raise FileNotFoundError(
            f"tiles test ROM sources not found at {src}; they ship with the source tree, "
            "so run this from a git checkout of pettingretro"
        )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"pettingretro-{system}-tiles-") as tmp:
        work = Path(tmp)
        if system == "gb":
            image = _build_gb(src, work, "tiles", 0x80 if color else 0)
        else:
            image = _TILES_BUILDERS[system](src, work)
    suffix = "-color" if color else ""
    path = out_dir / f"tiles-{system}{suffix}.{TILES_ROMS[system].extension}"
    path.write_bytes(image)
    return path


def _build_nes_tiles(src: Path, work: Path) -> bytes:
    _run("ca65", "-o", work / "tiles.o", src / "tiles.s", cwd=work)
    _run("ld65", "-C", src / "nrom.cfg", "-o", work / "rom", work / "tiles.o", cwd=work)
    return (work / "rom").read_bytes()


def _build_snes_tiles(src: Path, work: Path) -> bytes:
    return _build_snes(src, work, "tiles")


def _build_genesis_tiles(src: Path, work: Path) -> bytes:
    # '|' starts a comment in m68k GNU as; registers are written without '%'
    _run(
        "m68k-linux-gnu-as",
        "-m68000",
        "--register-prefix-optional",
        "-o",
        work / "tiles.o",
        src / "tiles.s",
        cwd=work,
    )
    _run(
        "m68k-linux-gnu-ld",
        "-Ttext=0",
        "-e",
        "start",
        "-o",
        work / "tiles.elf",
        work / "tiles.o",
        cwd=work,
    )
    _run("m68k-linux-gnu-objcopy", "-O", "binary", work / "tiles.elf", work / "rom", cwd=work)
    rom = bytearray((work / "rom").read_bytes())
    rom.extend(bytes(0x10000 - len(rom)))  # 64 KiB, as the header's ROM end ($1A4) says
    # header checksum at $18E: the 16-bit sum of the big-endian words from $200 on
    total = sum(int.from_bytes(rom[i : i + 2], "big") for i in range(0x200, len(rom), 2))
    rom[0x18E:0x190] = (total & 0xFFFF).to_bytes(2, "big")
    return bytes(rom)


def _build_pce_tiles(src: Path, work: Path) -> bytes:
    _run("ca65", "--cpu", "huc6280", "-o", work / "tiles.o", src / "tiles.s", cwd=work)
    _run("ld65", "-C", src / "hucard.cfg", "-o", work / "rom", work / "tiles.o", cwd=work)
    return (work / "rom").read_bytes()


_TILES_BUILDERS: dict[str, Callable[[Path, Path], bytes]] = {
    "nes": _build_nes_tiles,
    "snes": _build_snes_tiles,
    "genesis": _build_genesis_tiles,
    "pce": _build_pce_tiles,
}


def hold(emu: Any, port: int, *buttons: int) -> None:
    """Hold ``buttons`` (``host.Button`` members) on ``port`` of ``emu`` from the next frame on."""
    mask = 0
    for button in buttons:
        mask |= 1 << int(button)
    emu.set_buttons(port, mask)


def picture_mismatch(
    keys: npt.NDArray[np.int64], rgb: npt.NDArray[np.uint8], mask: npt.NDArray[np.bool_]
) -> str | None:
    """Why a picture drawn as palette keys is not the emulator's RGB picture, or None if it is.

    The two are the same picture when, over the pixels ``mask`` selects, each key shows one
    colour and different keys show different colours (a test need not know the core's palette).
    """
    colours = rgb[mask].astype(np.int64) @ np.array([1 << 16, 1 << 8, 1])
    pairs = np.unique(np.stack([keys[mask], colours]), axis=1)
    if len(np.unique(pairs[0])) != pairs.shape[1]:
        return "one palette key shows two colours"
    if len(np.unique(pairs[1])) != pairs.shape[1]:
        return "two palette keys show one colour"
    return None
