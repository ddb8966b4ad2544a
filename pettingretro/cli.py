"""The ``pettingretro`` command: list cores and games, import ROMs, run the demo."""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from collections.abc import Sequence
from importlib import metadata
from typing import TYPE_CHECKING, NoReturn

from pettingretro.errors import PettingRetroError
from pettingretro.utils.arguments import VIDEO_SUFFIXES, int_arg, output_file_arg
from pettingretro.utils.commands import add_play_parser, add_video_parser

if TYPE_CHECKING:
    from pettingretro.integration.roms import ImportResult

DESCRIPTION = (
    "Emulated console games as multi-agent PettingZoo environments. List the cores and games "
    "found, import your ROMs, watch the Pong demo, play a game yourself or render a replay."
)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line: what was wrong and where help is."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def _cores(args: argparse.Namespace) -> int:
    from pettingretro.cores import list_core_files, search_dirs
    from pettingretro.errors import PettingRetroError
    from pettingretro.host import core_info

    files = list_core_files()
    if not files:
        print("no libretro cores found; searched:", ", ".join(str(d) for _, d in search_dirs()))
        print("install some with `pip install stable-retro` or a Debian libretro-* package")
        return 1
    print(f"{'core':<28} {'version':<22} {'source':<13} systems")
    for cf in files:
        try:
            version = core_info(cf.path).library_version
        except PettingRetroError as e:
            version = f"(unloadable: {e})"[:22]
        print(f"{cf.name:<28} {version:<22} {cf.source:<13} {', '.join(cf.systems) or '-'}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from pettingretro.utils.demo import run_demo

    result = run_demo(
        steps=args.steps,
        episodes=args.episodes,
        video=args.video,
        progress=False if args.quiet else None,
    )
    for agent, value in result.average_rewards.items():
        print(
            f"{agent:<10} {result.policies[agent]:<22} average reward {value:+.2f} over {result.episodes} episode(s)"
        )
    if result.video is not None:
        print(f"video: {result.video} ({result.frames} frames)")
    return 0


def _describe(r: ImportResult) -> str:
    if r.imported:
        also = f" (already there for {', '.join(r.present)})" if r.present else ""
        return f"imported       {r.source} -> {', '.join(r.imported)}{also}"
    if r.present and r.shipped_by:
        return f"already there  {r.source} ({', '.join(r.present)}: ships with {r.shipped_by}, not copied)"
    if r.present:
        return f"already there  {r.source} ({', '.join(r.present)})"
    if r.skipped:
        return f"skipped        {r.source} ({r.skipped})"
    return f"no match       {r.source} (sha1 {r.sha1})"


def _import(args: argparse.Namespace) -> int:
    from pettingretro.integration.catalog import rom_targets
    from pettingretro.integration.roms import data_dir, import_file, rom_files_in
    from pettingretro.utils.progress import Progress

    files = rom_files_in(args.paths)
    known = rom_targets()
    root = data_dir() / "roms"
    counts: Counter[str] = Counter()
    with Progress(len(files), "files", False if args.quiet else None, delay=0.5) as progress:
        for path in files:
            for r in import_file(path, known, root):
                counts[r.status] += 1
                if not args.quiet or r.imported:
                    progress.write(_describe(r))
            progress.update()
    summary = ", ".join(
        f"{counts[s]} {s}"
        for s in ("imported", "already there", "no match", "skipped")
        if counts[s]
    )
    print(f"{summary or 'no files'}; ROMs are in {root}")
    return 0


def _players_text(players: Sequence[int]) -> str:
    return ",".join(map(str, players)) or "?"


def _list(args: argparse.Namespace) -> int:
    from pettingretro.integration.catalog import integrations, rom_status
    from pettingretro.registry import envs

    rows: list[tuple[str, str, tuple[int, ...], str, str]] = []
    for env in envs():
        e = env.integration
        rows.append((env.module, e.system, env.players, rom_status(e), "pettingretro"))
    for e in integrations():
        if e.source != "pettingretro":
            rows.append((e.name, e.system, e.players, rom_status(e), e.source))
    systems = sorted({r[1] for r in rows})
    if args.system is not None:
        rows = [r for r in rows if r[1].lower() == args.system.lower()]
        if not rows:
            raise PettingRetroError(
                f"no games for system {args.system!r}; systems: {', '.join(systems)}"
            )
    if args.players is not None:
        rows = [r for r in rows if args.players in r[2]]
    if args.installed:
        rows = [r for r in rows if r[3] != "missing"]
    if not rows:
        print("no games match")
        return 1
    header = ("game", "system", "players", "rom", "source")
    table = [header, *((n, s, _players_text(p), st, src) for n, s, p, st, src in rows)]
    widths = [max(len(row[i]) for row in table) for i in range(len(header) - 1)]
    for row in table:
        print("  ".join(c.ljust(w) for c, w in zip(row[:-1], widths, strict=True)) + "  " + row[-1])
    ready = sum(r[3] != "missing" for r in rows)
    print(f"{len(rows)} games, {ready} with a ROM; `pettingretro import DIR` adds yours")
    return 0


def _version() -> str:
    try:
        return metadata.version("pettingretro")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def parser() -> argparse.ArgumentParser:
    """The ``pettingretro`` command's argument parser."""
    p = _Parser(prog="pettingretro", description=DESCRIPTION)
    p.add_argument("--version", action="version", version=f"pettingretro {_version()}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    c = sub.add_parser(
        "cores",
        help="list the libretro cores found, with versions and systems",
        description="List the libretro cores found (in the stable-retro wheel, Debian's "
        "libretro folder, RetroArch's cores folder and $PETTINGRETRO_CORE_PATH), each with its "
        "version and the systems it runs.",
    )
    c.set_defaults(func=_cores)
    c = sub.add_parser(
        "demo",
        help="play Pong with a scripted player against a random one",
        description="Play Pong: first_0 follows the ball, second_0 acts at random. Prints each "
        "agent's average reward and writes the first episode as a video.",
    )
    c.add_argument(
        "--steps",
        type=int_arg(1),
        default=2000,
        metavar="N",
        help="steps per episode (default 2000)",
    )
    c.add_argument(
        "--episodes", type=int_arg(1), default=1, metavar="N", help="episodes to play (default 1)"
    )
    c.add_argument(
        "--video",
        type=output_file_arg(VIDEO_SUFFIXES, empty_means_none=True),
        # a string default goes through ``type`` too: the folder is checked before playing
        default="pettingretro-demo.mp4",
        metavar="FILE",
        help="the first episode's video: .mp4, .gif, .webm or .mkv (default "
        "pettingretro-demo.mp4 in the current folder; '' for none)",
    )
    c.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    c.set_defaults(func=_demo)
    c = sub.add_parser(
        "import",
        help="copy the ROMs under some folders that a game knows (by sha1) into the data folder",
        description="Find ROMs by sha1 (stable-retro's hashing rules, zip archives included) and "
        "copy those a game knows into the data folder ($PETTINGRETRO_DATA_DIR, default "
        "~/.local/share/pettingretro). Only regular files are read, each up to the size of "
        "its console's largest ROM; ROMs that ale-py or stable-retro ship are not copied.",
    )
    c.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="folders (searched recursively, zip archives too) or files",
    )
    c.add_argument(
        "-q", "--quiet", action="store_true", help="print only imported files and the summary"
    )
    c.set_defaults(func=_import)
    c = sub.add_parser(
        "list",
        help="list games: ours and stable-retro's, with players, system and ROM status",
        description="List every game: pettingretro's envs and stable-retro's integrations, with "
        "the player counts they support, their system and whether their ROM is in place.",
    )
    c.add_argument(
        "--players", type=int_arg(1), metavar="N", help="only games that N players can play"
    )
    c.add_argument(
        "--system", metavar="NAME", help="only games of this system (Atari2600, Genesis, Nes, ...)"
    )
    c.add_argument("--installed", action="store_true", help="only games whose ROM is in place")
    c.set_defaults(func=_list)
    add_play_parser(sub)
    add_video_parser(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``pettingretro`` command: returns its exit status.

    Bad arguments, and errors that name a fix (every ``PettingRetroError``), print one line
    on stderr and return 2, before any work where the arguments show it; an interrupted run
    returns 130.
    """
    # pygame greets on stdout when imported; the commands' output is for people and pipes
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    try:
        args = parser().parse_args(argv)
    except SystemExit as e:  # --help, --version, or a bad argument (its line is printed)
        return e.code if isinstance(e.code, int) else 2
    try:
        return int(args.func(args))
    except PettingRetroError as e:
        print(f"pettingretro {args.command}: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and cut: not an error
        # nothing more can be written; keep the interpreter's flush at exit quiet too
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print(f"pettingretro {args.command}: interrupted", file=sys.stderr)
        return 130
    except OSError as e:
        print(f"pettingretro {args.command}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
