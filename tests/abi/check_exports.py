#!/usr/bin/python3
"""The shared library exports exactly the map, and only ccenter_ symbols.

    check_exports.py --nm NM --map MAP [--optional-header H]... [--root ROOT] LIBRARY

Reads `NM -D --defined-only LIBRARY` and checks that:
  * every dynamic symbol the library defines starts with `ccenter_`, except the ones in
    ALLOWED below;
  * every such symbol carries the version of the map node that lists it
    (`ccenter_x@@CCENTER_0.1`);
  * every entry of MAP is exported: an entry whose function was never defined, or was
    defined without CCENTER_EXPORT, is caught here (GNU ld accepts both silently).
Entries declared in an --optional-header (the header of an adapter this build left out,
such as ccenter/uv.h without libuv) may be absent.

Exit status 0 when everything holds, 1 with the differences otherwise.
"""

import argparse
import os
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import abi_parse  # noqa: E402

PREFIX = "ccenter_"

# Dynamic symbols that are not ours to name, and why they may appear:
#   the version nodes of the map (CCENTER_0.1, ...): ld adds one absolute symbol (type A)
#     per version definition; they are taken from the map, not listed here;
#   _init, _fini: the DT_INIT/DT_FINI entry points from the C runtime's crti.o;
#   _edata, _end, __bss_start: section boundaries defined by ld's default linker script.
# Binutils before 2.35 or so put these five in the dynamic symbol table of every shared
# object even with `local: *;`; current ones do not. Nothing else is allowed.
LINKER_SYMBOLS = {"_init", "_fini", "_edata", "_end", "__bss_start"}


def read_dynamic_symbols(nm, library):
    """Returns a list of (name, version, type) for every defined dynamic symbol."""
    proc = subprocess.run([nm, "-D", "--defined-only", library],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (nm, proc.returncode, proc.stderr.strip()))
    out = []
    for line in proc.stdout.splitlines():
        parts = line.split()
        if not parts:
            continue
        if len(parts) == 2:  # some symbols have no value column
            sym_type, name = parts
        else:
            sym_type, name = parts[-2], parts[-1]
        version = None
        if "@" in name:
            name, _, version = name.partition("@")
            version = version.lstrip("@")
        out.append((name, version, sym_type))
    return out


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--nm", default="nm")
    ap.add_argument("--map", required=True)
    ap.add_argument("--optional-header", action="append", default=[])
    ap.add_argument("--root")
    ap.add_argument("library")
    args = ap.parse_args(argv[1:])

    def show(p):
        return os.path.relpath(p, args.root) if args.root else p

    vs = abi_parse.read_version_script(args.map, show(args.map))
    if vs.problems:
        print("Cannot read the map:")
        for p in vs.problems:
            print("  " + p)
        return 1
    listed = vs.symbols()
    nodes = set(vs.nodes)

    optional, problems = abi_parse.read_headers(args.optional_header, args.root)
    if problems:
        print("Cannot read the optional headers:")
        for p in problems:
            print("  " + p)
        return 1

    try:
        symbols = read_dynamic_symbols(args.nm, args.library)
    except (OSError, RuntimeError) as e:
        print("cannot list the symbols of %s: %s" % (args.library, e))
        return 1

    foreign = []        # exported but not ours
    wrong_version = []  # ours, but not with the version of their node
    exported = set()
    for name, version, sym_type in symbols:
        if sym_type == "A" and name in nodes:
            continue
        if name in LINKER_SYMBOLS:
            continue
        exported.add(name)
        if not name.startswith(PREFIX):
            foreign.append("%s (type %s%s)" % (name, sym_type,
                                                ", version " + version if version else ""))
            continue
        want = listed.get(name)
        if want is None:
            wrong_version.append("%s is exported but not in the map (version %s)"
                                 % (name, version or "none"))
        elif version != want:
            wrong_version.append("%s has version %s, the map puts it in %s"
                                 % (name, version or "none", want))

    not_exported = sorted(s for s in listed if s not in exported and s not in optional)
    skipped = sorted(s for s in listed if s not in exported and s in optional)

    lib = args.library
    if foreign:
        print("Exported by %s without the %s prefix:" % (lib, PREFIX))
        for f in sorted(foreign):
            print("  " + f)
    if wrong_version:
        print("Symbol versions that do not match %s:" % show(args.map))
        for w in sorted(wrong_version):
            print("  " + w)
    if not_exported:
        print("Listed in %s but not exported by %s (never defined, or defined "
              "without CCENTER_EXPORT):" % (show(args.map), lib))
        for s in not_exported:
            print("  %-40s node %s" % (s, listed[s]))
    if skipped:
        print("Not built in this configuration (optional adapter), not checked: %s"
              % ", ".join(skipped))
    failed = bool(foreign or wrong_version or not_exported)
    print("%s: %d symbol(s) exported, %d map entr%s: %s"
          % (lib, len(exported), len(listed), "y" if len(listed) == 1 else "ies",
             "MISMATCH" if failed else "ok"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
