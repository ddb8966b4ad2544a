"""native/libretro_abi.h agrees with the published libretro.h (Debian's retroarch-dev package).

The two headers declare the same names, so they cannot go in one program. Instead the names
are parsed from our header, and one generated C program is compiled twice: once including
Debian's header, once ours. Each prints the value of every #define and enum constant, the
size of every struct, of every member and its offset, and the size and signedness of every
integer typedef. The two printouts must agree wherever Debian's header has the name; every
struct of ours must exist there with the same members.

Needs a C compiler and /usr/include/libretro-common/libretro.h (`apt-get install
retroarch-dev`; scripts/setup-test installs it).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
OURS = REPO / "native" / "libretro_abi.h"
DEBIAN = Path("/usr/include/libretro-common/libretro.h")


# --------------------------------------------------------------------------------------------
# parsing our header (it is written plainly: one declaration per line, no macros in structs)


def strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


@dataclass
class Header:
    defines: list[str] = field(default_factory=list)
    enums: dict[str, list[str]] = field(default_factory=dict)  # enum tag -> constants
    structs: dict[str, list[str]] = field(default_factory=dict)  # struct tag -> members
    int_typedefs: list[str] = field(default_factory=list)
    fn_typedefs: list[str] = field(default_factory=list)


def parse(text: str) -> Header:
    text = strip_comments(text)
    h = Header()
    for m in re.finditer(r"^\s*#\s*define\s+(\w+)\s+\S", text, flags=re.M):
        if not m.group(1).endswith("_H"):  # include guards
            h.defines.append(m.group(1))
    for m in re.finditer(r"\benum\s+(\w+)\s*\{(.*?)\}", text, flags=re.S):
        h.enums[m.group(1)] = [
            part.split("=")[0].strip() for part in m.group(2).split(",") if part.strip()
        ]
    for m in re.finditer(r"\bstruct\s+(\w+)\s*\{(.*?)\}\s*;", text, flags=re.S):
        members = []
        for decl in m.group(2).split(";"):
            decl = decl.strip()
            if not decl:
                continue
            name = re.search(r"(\w+)\s*(\[[^\]]*\])?\s*$", decl)
            assert name, f"cannot parse member {decl!r} of struct {m.group(1)}"
            members.append(name.group(1))
        h.structs[m.group(1)] = members
    for m in re.finditer(r"\btypedef\s+(?:unsigned\s+|signed\s+)?\w+\s+(\w+)\s*;", text):
        h.int_typedefs.append(m.group(1))
    for m in re.finditer(r"\btypedef\s+[^;(]*\(\s*\*\s*(\w+)\s*\)", text):
        h.fn_typedefs.append(m.group(1))
    return h


def identifiers(text: str) -> set[str]:
    return set(re.findall(r"\b[A-Za-z_]\w*\b", strip_comments(text)))


# --------------------------------------------------------------------------------------------
# the generated program


def program(include: Path, h: Header, present: set[str]) -> str:
    """C source printing `kind name value` lines for every name of ours that `present` holds."""
    out = [
        "#include <stddef.h>",
        "#include <stdio.h>",
        f'#include "{include}"',
        "int main(void) {",
    ]
    for name in h.defines:
        out += [
            f"#ifdef {name}",
            f'    printf("define {name} %lld\\n", (long long)({name}));',
            "#else",
            f'    printf("define {name} MISSING\\n");',
            "#endif",
        ]
    for tag, consts in h.enums.items():
        if tag in present:
            out.append(f'    printf("sizeof enum.{tag} %zu\\n", sizeof(enum {tag}));')
        for c in consts:
            if c in present:
                out.append(f'    printf("enum {c} %lld\\n", (long long){c});')
    for tag, members in h.structs.items():
        if tag not in present:
            continue
        out.append(f'    printf("sizeof struct.{tag} %zu\\n", sizeof(struct {tag}));')
        out.append(f'    printf("alignof struct.{tag} %zu\\n", _Alignof(struct {tag}));')
        for m in members:
            if m in present:
                out.append(f'    printf("offsetof {tag}.{m} %zu\\n", offsetof(struct {tag}, {m}));')
                out.append(
                    f'    printf("sizeof {tag}.{m} %zu\\n", sizeof(((struct {tag} *)0)->{m}));'
                )
    for t in h.int_typedefs:
        if t in present:
            out.append(f'    printf("sizeof {t} %zu\\n", sizeof({t}));')
            out.append(f'    printf("signed {t} %d\\n", (int)((({t})-1) < 0));')
    for t in h.fn_typedefs:
        if t in present:
            out.append(f'    printf("sizeof {t} %zu\\n", sizeof({t}));')
    out += ["    return 0;", "}"]
    return "\n".join(out) + "\n"


def compile_and_run(cc: str, source: str, work: Path, name: str) -> dict[str, str]:
    src = work / f"{name}.c"
    exe = work / name
    src.write_text(source)
    proc = subprocess.run(
        [cc, "-std=c11", "-Wall", "-Werror", "-o", str(exe), str(src)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, f"compiling against {name} failed:\n{proc.stderr}"
    run = subprocess.run([str(exe)], capture_output=True, text=True, check=True)
    values = {}
    for line in run.stdout.splitlines():
        kind, key, value = line.split(" ")
        values[f"{kind} {key}"] = value
    return values


# --------------------------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="module")
def cc() -> str:
    path = shutil.which("cc")
    if path is None:
        pytest.skip("no C compiler (cc)")
    return path


@pytest.fixture(scope="module")
def debian_text() -> str:
    if not DEBIAN.is_file():
        pytest.skip(f"{DEBIAN} is missing: apt-get install retroarch-dev (scripts/setup-test does)")
    return DEBIAN.read_text(errors="replace")


@pytest.fixture(scope="module")
def ours() -> Header:
    return parse(OURS.read_text())


@pytest.fixture(scope="module")
def printouts(cc: str, debian_text: str, ours: Header, tmp_path_factory) -> tuple[dict, dict]:
    work = tmp_path_factory.mktemp("abi")
    present = identifiers(debian_text)
    deb = compile_and_run(cc, program(DEBIAN, ours, present), work, "debian")
    mine = compile_and_run(cc, program(OURS, ours, present), work, "ours")
    return deb, mine


# --------------------------------------------------------------------------------------------
# tests


def test_the_parser_sees_our_whole_header(ours: Header) -> None:
    # guards against a parser that silently finds nothing
    assert "RETRO_API_VERSION" in ours.defines
    assert "RETRO_ENVIRONMENT_SET_SERIALIZATION_QUIRKS" in ours.defines
    assert len(ours.defines) > 80
    assert ours.enums["retro_pixel_format"][:3] == [
        "RETRO_PIXEL_FORMAT_0RGB1555",
        "RETRO_PIXEL_FORMAT_XRGB8888",
        "RETRO_PIXEL_FORMAT_RGB565",
    ]
    assert ours.structs["retro_game_info"] == ["path", "data", "size", "meta"]
    assert ours.structs["retro_core_option_definition"] == [
        "key",
        "desc",
        "info",
        "values",
        "default_value",
    ]
    assert "retro_perf_counter" not in ours.structs  # only forward-declared
    assert {"retro_usec_t", "retro_time_t", "retro_perf_tick_t"} <= set(ours.int_typedefs)
    assert "retro_environment_t" in ours.fn_typedefs
    n_members = sum(len(m) for m in ours.structs.values())
    assert len(ours.structs) > 20 and n_members > 60
    text = strip_comments(OURS.read_text())
    assert len(re.findall(r"\bstruct\s+\w+\s*\{", text)) == len(ours.structs)
    assert (
        len(re.findall(r"^\s*#\s*define\b", text, flags=re.M)) == len(ours.defines) + 1
    )  # + guard
    assert len(re.findall(r"\benum\s+\w+\s*\{", text)) == len(ours.enums)


def test_our_header_compiles_on_its_own(cc: str, tmp_path: Path) -> None:
    src = tmp_path / "alone.c"
    src.write_text(f'#include "{OURS}"\n#include "{OURS}"\nint main(void) {{ return 0; }}\n')
    proc = subprocess.run(
        [
            cc,
            "-std=c99",
            "-Wall",
            "-Wextra",
            "-pedantic",
            "-Werror",
            "-o",
            str(tmp_path / "alone"),
            str(src),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr


def test_every_shared_define_has_debians_value(printouts: tuple[dict, dict], ours: Header) -> None:
    deb, mine = printouts
    shared = [n for n in ours.defines if deb[f"define {n}"] != "MISSING"]
    assert len(shared) > 80, "Debian's header should know nearly all our defines"
    wrong = {
        n: (mine[f"define {n}"], deb[f"define {n}"])
        for n in shared
        if mine[f"define {n}"] != deb[f"define {n}"]
    }
    assert not wrong, f"ours vs Debian's: {wrong}"


def test_defines_debian_lacks_are_only_newer_api(
    printouts: tuple[dict, dict], ours: Header
) -> None:
    # Informational guard: a define Debian's 1.14 header lacks must be a newer addition, and an
    # environment command at that; anything else is more likely a typo in our header.
    deb, _ = printouts
    missing = [n for n in ours.defines if deb[f"define {n}"] == "MISSING"]
    assert all(n.startswith("RETRO_ENVIRONMENT_") for n in missing), missing


def test_every_enum_constant_matches(
    printouts: tuple[dict, dict], ours: Header, debian_text: str
) -> None:
    deb, mine = printouts
    present = identifiers(debian_text)
    for tag, consts in ours.enums.items():
        assert tag in present, f"enum {tag} is not in Debian's header"
        assert deb[f"sizeof enum.{tag}"] == mine[f"sizeof enum.{tag}"], tag
        for c in consts:
            assert c in present, f"{c} (enum {tag}) is not in Debian's header"
            assert mine[f"enum {c}"] == deb[f"enum {c}"], (
                f"{c}: ours {mine[f'enum {c}']}, Debian {deb[f'enum {c}']}"
            )


def test_every_struct_has_debians_layout(
    printouts: tuple[dict, dict], ours: Header, debian_text: str
) -> None:
    deb, mine = printouts
    present = identifiers(debian_text)
    problems = []
    for tag, members in ours.structs.items():
        if tag not in present:
            problems.append(f"struct {tag} is not in Debian's header")
            continue
        for what in ("sizeof", "alignof"):
            key = f"{what} struct.{tag}"
            if mine[key] != deb[key]:
                problems.append(f"{what}(struct {tag}): ours {mine[key]}, Debian {deb[key]}")
        for m in members:
            if m not in present:
                problems.append(f"{tag}.{m} is not in Debian's header")
                continue
            for what in ("offsetof", "sizeof"):
                key = f"{what} {tag}.{m}"
                if mine[key] != deb[key]:
                    problems.append(f"{what}({tag}.{m}): ours {mine[key]}, Debian {deb[key]}")
    assert not problems, "\n".join(problems)


def test_structs_declare_every_member_debian_has(debian_text: str, ours: Header) -> None:
    """Same total size could hide a member we left out and padded over: compare member lists."""
    theirs = parse(debian_text)
    for tag, members in ours.structs.items():
        assert tag in theirs.structs, f"struct {tag} has no body in Debian's header"
        assert members == theirs.structs[tag], (
            f"struct {tag}: ours {members}, Debian {theirs.structs[tag]}"
        )


def test_integer_typedefs_match(printouts: tuple[dict, dict], ours: Header) -> None:
    deb, mine = printouts
    for t in ours.int_typedefs:
        for what in ("sizeof", "signed"):
            assert mine[f"{what} {t}"] == deb[f"{what} {t}"], f"{what} {t}"
    for t in ours.fn_typedefs:
        assert f"sizeof {t}" in deb, f"function type {t} is not in Debian's header"


# Parameters our header declares as int where Debian's has an enum: the same size and the
# same register on every ABI we build for (checked below with a static assertion).
ENUM_AS_INT = {"retro_set_rumble_state_t": ("int effect", "enum retro_rumble_effect effect")}


def test_callback_signatures_match(cc: str, debian_text: str, ours: Header, tmp_path: Path) -> None:
    """Function pointer typedefs: a function written to our signature must be assignable to
    Debian's type without a cast (a warning, made an error, otherwise)."""
    text = strip_comments(OURS.read_text())
    lines = ["#include <stddef.h>", f'#include "{DEBIAN}"']
    for name in ours.fn_typedefs:
        m = re.search(
            r"typedef\s+([^;]*?)\(\s*\*\s*" + name + r"\s*\)\s*\(([^;]*)\)\s*;", text, flags=re.S
        )
        assert m, name
        ret, params = m.group(1).strip(), m.group(2).strip()
        if name in ENUM_AS_INT:
            ours_text, debians = ENUM_AS_INT[name]
            assert ours_text in params, f"{name}: expected {ours_text!r} in ({params})"
            params = params.replace(ours_text, debians)
            enum = debians.rsplit(" ", 1)[0]
            lines.append(
                f'_Static_assert(sizeof({enum}) == sizeof(int), "{enum} is not int-sized");'
            )
        lines.append(f"{ret} impl_{name}({params});")
        lines.append(f"{name} check_{name} = impl_{name};")
    src = tmp_path / "sig.c"
    src.write_text("\n".join(lines) + "\n")
    proc = subprocess.run(
        [
            cc,
            "-std=c11",
            "-Wall",
            "-Werror=incompatible-pointer-types",
            "-c",
            "-o",
            str(tmp_path / "sig.o"),
            str(src),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
