"""``python -m pettingretro``: the ``pettingretro`` command."""

import sys

from pettingretro.cli import main

sys.exit(main())
