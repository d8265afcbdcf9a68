#!/usr/bin/env bash
# Installs the build into a staging directory (DESTDIR), then builds and runs a program
# against the staged copy through pkg-config, as an integrator would.
#
#   install_test.sh MESON BUILD_DIR PREFIX LIBDIR VERSION CONSUMER_C HEADER_DIR [SKIP_H...]
#
# HEADER_DIR is the source include/ccenter: every header in it must be installed, except
# the SKIP_H names (headers of optional adapters this build does not have).
#
# Exit status: 0 pass, 1 fail, 77 skip (no pkg-config or no C compiler).
set -euo pipefail

if [[ $# -lt 7 ]]; then
  echo "usage: $0 MESON BUILD_DIR PREFIX LIBDIR VERSION CONSUMER_C HEADER_DIR [SKIP_H...]" >&2
  exit 2
fi
meson=$1 build_dir=$2 prefix=$3 libdir=$4 version=$5 consumer=$6 header_dir=$7
shift 7
not_built=" $* "
cc=${CC:-cc}

if ! command -v pkg-config >/dev/null 2>&1; then
  echo "SKIP: pkg-config not found"
  exit 77
fi
if ! command -v "$cc" >/dev/null 2>&1; then
  echo "SKIP: C compiler '$cc' not found"
  exit 77
fi

# Tests run in parallel: everything goes in a directory of our own.
work=$(mktemp -d "${TMPDIR:-/tmp}/ccenter-install-test.XXXXXX")
trap 'rm -rf "$work"' EXIT

stage=$work/stage
# meson test has rebuilt everything already; --no-rebuild keeps this from running ninja
# in the build directory while other tests use it.
"$meson" install -C "$build_dir" --destdir "$stage" --no-rebuild --quiet

staged_prefix=$stage$prefix
case $libdir in
  /*) staged_libdir=$stage$libdir ;;
  *) staged_libdir=$staged_prefix/$libdir ;;
esac
pcdir=$staged_libdir/pkgconfig

fail() {
  echo "FAIL: $*"
  exit 1
}

for f in "$pcdir/ccenter.pc" "$staged_libdir/libccenter.so" "$staged_libdir/libccenter.a" \
         "$staged_prefix/include/ccenter/ccenter.h" "$staged_prefix/include/ccenter/version.h"; do
  [[ -e $f ]] || fail "not installed: ${f#"$stage"}"
done

# Every public header is installed (and version.h, generated), nothing else.
expected=(version.h)
for h in "$header_dir"/*.h; do
  name=${h##*/}
  [[ $not_built == *" $name "* ]] || expected+=("$name")
done
installed=()
for h in "$staged_prefix"/include/ccenter/*.h; do
  installed+=("${h##*/}")
done
want=$(printf '%s\n' "${expected[@]}" | sort)
have=$(printf '%s\n' "${installed[@]}" | sort)
if [[ $want != "$have" ]]; then
  echo "installed headers differ from include/ccenter (< expected, > installed):"
  diff <(echo "$want") <(echo "$have") || true
  fail "headers"
fi

# The .pc file names the real prefix; point it at the staged one. PKG_CONFIG_PATH comes
# before the system directories, which stay searchable for any Requires of ours.
export PKG_CONFIG_PATH=$pcdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
pc=(pkg-config "--define-variable=prefix=$staged_prefix")
pcfile_dir=$("${pc[@]}" --variable=pcfiledir ccenter)
[[ $pcfile_dir == "$pcdir" ]] || fail "pkg-config found ccenter.pc in $pcfile_dir, not in $pcdir"
pc_version=$("${pc[@]}" --modversion ccenter)
[[ $pc_version == "$version" ]] || fail "ccenter.pc says version $pc_version, expected $version"

read -r -a cflags <<<"$("${pc[@]}" --cflags ccenter)"
read -r -a libs <<<"$("${pc[@]}" --libs ccenter)"
echo "pkg-config --cflags --libs ccenter: ${cflags[*]} ${libs[*]}"
"$cc" -std=c99 -Wall -Wextra -Werror ${cflags[@]+"${cflags[@]}"} -o "$work/consumer" \
  "$consumer" ${libs[@]+"${libs[@]}"}

export LD_LIBRARY_PATH=$staged_libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
if command -v ldd >/dev/null 2>&1; then
  resolved=$(ldd "$work/consumer" | awk '$1 ~ /^libccenter\.so/ { print $3 }')
  [[ $resolved == "$staged_libdir"/* ]] ||
    fail "the program loads libccenter from '$resolved', not from the staged $staged_libdir"
fi

out=$("$work/consumer") || fail "the program failed: $out"
echo "$out"
[[ $out == "libccenter $version" ]] || fail "expected 'libccenter $version'"
echo "PASS: installed headers, ccenter.pc and libccenter.so $version work together"
