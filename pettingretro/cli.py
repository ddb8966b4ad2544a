"""The ``pettingretro`` command: list cores and games, import ROMs, run the demo."""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from collections import Counter
from collections.abc import Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pettingretro.integration.roms import ImportResult


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

    result = run_demo(steps=args.steps, episodes=args.episodes, video=args.video)
    for agent, value in result.average_rewards.items():
        print(
            f"{agent:<10} {result.policies[agent]:<22} average reward {value:+.2f} over {result.episodes} episode(s)"
        )
    if result.video is not None:
        print(f"video: {result.video} ({result.frames} frames)")
    return 0


class _Progress:
    """A progress bar on stderr (tqdm's when installed) that per-file lines print around."""

    #: seconds before a bar shows: small folders finish without one
    DELAY = 0.5

    def __init__(self, total: int, enabled: bool) -> None:
        self.total = total
        self.enabled = enabled
        self.done = 0
        self._start = time.monotonic()
        self._drawn = 0.0
        self._bar: Any = None
        if enabled:
            try:
                # imported by name: tqdm is optional and ships no type information
                tqdm = importlib.import_module("tqdm").tqdm
            except ImportError:
                pass
            else:
                self._bar = tqdm(
                    total=total, unit="file", file=sys.stderr, delay=self.DELAY, leave=False
                )

    def __enter__(self) -> _Progress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.close()
        elif self._drawn:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()

    def write(self, line: str) -> None:
        if self._bar is not None:
            self._bar.write(line, file=sys.stdout)
            return
        if self._drawn:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
            self._drawn = 0.0
        print(line, flush=self.enabled)

    def update(self) -> None:
        self.done += 1
        if self._bar is not None:
            self._bar.update()
            return
        now = time.monotonic()
        if self.enabled and now - self._start >= self.DELAY and now - self._drawn >= 0.1:
            sys.stderr.write(f"\r{self.done}/{self.total} files")
            sys.stderr.flush()
            self._drawn = now


def _describe(r: ImportResult) -> str:
    if r.imported:
        also = f" (already there for {', '.join(r.present)})" if r.present else ""
        return f"imported       {r.source} -> {', '.join(r.imported)}{also}"
    if r.present:
        return f"already there  {r.source} ({', '.join(r.present)})"
    if r.skipped:
        return f"skipped        {r.source} ({r.skipped})"
    return f"no match       {r.source} (sha1 {r.sha1})"


def _import(args: argparse.Namespace) -> int:
    from pettingretro.errors import RomNotFoundError
    from pettingretro.integration.catalog import rom_targets
    from pettingretro.integration.roms import data_dir, import_file, rom_files_in

    try:
        files = rom_files_in(args.paths)
    except RomNotFoundError as e:
        print(f"pettingretro import: {e}", file=sys.stderr)
        return 2
    known = rom_targets()
    root = data_dir() / "roms"
    counts: Counter[str] = Counter()
    with _Progress(len(files), enabled=not args.quiet and sys.stderr.isatty()) as progress:
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
            print(f"no games for system {args.system!r}; systems: {', '.join(systems)}")
            return 1
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


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``pettingretro`` command."""
    parser = argparse.ArgumentParser(prog="pettingretro", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("cores", help="list the libretro cores found, with versions and systems")
    p.set_defaults(func=_cores)
    p = sub.add_parser("demo", help="play Pong with a scripted player against a random one")
    p.add_argument("--steps", type=int, default=2000, help="steps per episode (default 2000)")
    p.add_argument("--episodes", type=int, default=1)
    p.add_argument(
        "--video", default="pettingretro-demo.mp4", help="video file to write ('' for none)"
    )
    p.set_defaults(func=_demo)
    p = sub.add_parser(
        "import",
        help="copy the ROMs under some folders that a game knows (by sha1) into the data folder",
    )
    p.add_argument(
        "paths",
        nargs="+",
        metavar="DIR",
        help="folders (searched recursively, zip archives too) or files",
    )
    p.add_argument(
        "-q", "--quiet", action="store_true", help="print only imported files and the summary"
    )
    p.set_defaults(func=_import)
    p = sub.add_parser(
        "list", help="list games: ours and stable-retro's, with players, system and ROM status"
    )
    p.add_argument("--players", type=int, metavar="N", help="only games that N players can play")
    p.add_argument(
        "--system", metavar="NAME", help="only games of this system (Atari2600, Genesis, Nes, ...)"
    )
    p.add_argument("--installed", action="store_true", help="only games whose ROM is in place")
    p.set_defaults(func=_list)
    from pettingretro.utils.commands import add_play_parser, add_video_parser

    add_play_parser(sub)
    add_video_parser(sub)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except BrokenPipeError:  # output piped into `head` and cut: not an error
        return 0


if __name__ == "__main__":
    sys.exit(main())
