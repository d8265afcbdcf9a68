# shellcheck shell=bash
# Shared by scripts/test.sh and scripts/demo.sh: where the repository is and how a build
# directory is set up. Source it; it defines functions and variables, runs nothing.

CCENTER_ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
export CCENTER_ROOT

# ccenter_setup DIR [MESON_OPTION...]
# Configures DIR (relative to the repository root) as a warnings-are-errors build with
# every optional part that has its dependencies; reconfigures it if it exists already.
ccenter_setup() {
  local dir=$1
  shift
  local -a args=(--werror "$@")
  if [[ -f $CCENTER_ROOT/$dir/meson-private/coredata.dat ]]; then
    meson setup --reconfigure "${args[@]}" "$CCENTER_ROOT/$dir" "$CCENTER_ROOT"
  else
    meson setup "${args[@]}" "$CCENTER_ROOT/$dir" "$CCENTER_ROOT"
  fi
}

# ccenter_build DIR [MESON_OPTION...]: set up DIR, then build everything in it.
ccenter_build() {
  local dir=$1
  ccenter_setup "$@" && meson compile -C "$CCENTER_ROOT/$dir"
}
