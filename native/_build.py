"""cffi build script: compiles the host's C files (native/*.c) into pettingretro._native.

API mode, out of line. The cdef is native/host.h itself, minus preprocessor lines, so the
declarations live in one file and the C compiler checks them against the implementation.
"""

from __future__ import annotations

import re
from pathlib import Path

from cffi import FFI

HERE = Path(__file__).resolve().parent


def _cdef_from_header(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


ffibuilder = FFI()
ffibuilder.cdef(_cdef_from_header((HERE / "host.h").read_text()))
ffibuilder.set_source(
    "pettingretro._native",
    '#include "host.h"',
    # one file per concern (native/internal.h lists them); test cores live in subfolders
    sources=sorted(str(p.relative_to(HERE.parent)) for p in HERE.glob("*.c")),
    depends=sorted(str(p.relative_to(HERE.parent)) for p in HERE.glob("*.h")),
    include_dirs=[str(HERE.relative_to(HERE.parent))],
    libraries=["dl", "pthread"],
    extra_compile_args=["-O2", "-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter"],
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
