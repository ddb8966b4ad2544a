"""The ``pettingretro`` command: list cores, run the demo."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


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
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
