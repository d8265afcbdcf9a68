#!/usr/bin/env bash
# The program in README.md's "A first program" compiles and runs, exactly as printed:
# extracts the first ```c block of that section, compiles it as strict C11 with warnings
# as errors against the source headers and the built shared library, and runs it.
#
#   readme_program.sh README INCLUDE_DIR BUILD_INCLUDE_DIR LIBRARY [CFLAG...]
#
# INCLUDE_DIR holds ccenter/*.h, BUILD_INCLUDE_DIR the generated ccenter/version.h, and
# LIBRARY is the built libccenter.so (its directory is searched at link and run time).
# CFLAGs are added to the compile (a sanitized build passes its -fsanitize=...).
# The compiler is $CC (default cc), split on spaces (meson may give "ccache cc").
#
# Exit status: 0 pass, 1 fail, 77 skip (no C compiler).
set -euo pipefail

if [[ $# -lt 4 ]]; then
  echo "usage: $0 README INCLUDE_DIR BUILD_INCLUDE_DIR LIBRARY [CFLAG...]" >&2
  exit 2
fi
readme=$1 inc=$2 build_inc=$3 lib=$4
shift 4
read -r -a cc <<<"${CC:-cc}"
if ! command -v "${cc[0]}" >/dev/null 2>&1; then
  echo "SKIP: C compiler '${cc[0]}' not found"
  exit 77
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/ccenter-readme.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The section runs from its heading to the next level-2 heading; take its first C block.
awk '
  /^## / { in_section = ($0 == "## A first program"); next }
  in_section && !in_code && /^```c[[:space:]]*$/ { in_code = 1; found = 1; next }
  in_code && /^```[[:space:]]*$/ { exit }
  in_code { print }
  END { if (!found) exit 1 }
' "$readme" >"$work/first.c" || {
  echo "FAIL: no \`\`\`c block in the section \"A first program\" of $readme"
  exit 1
}
if [[ ! -s $work/first.c ]]; then
  echo "FAIL: the first \`\`\`c block of \"A first program\" is empty or not closed"
  exit 1
fi

libdir=$(cd -- "$(dirname -- "$lib")" && pwd)
echo "compiling the README program ($(wc -l <"$work/first.c") lines)"
if ! "${cc[@]}" -std=c11 -Wall -Wextra -Werror -pedantic "$@" -I "$inc" -I "$build_inc" \
     -o "$work/first" "$work/first.c" -L "$libdir" -lccenter; then
  echo "FAIL: the README program does not compile (source above, from $readme)"
  cat -n "$work/first.c"
  exit 1
fi
rc=0
LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} "$work/first" || rc=$?
if [[ $rc -ne 0 ]]; then
  echo "FAIL: the README program exited with status $rc"
  exit 1
fi
echo "ok: the README program compiles and runs"
