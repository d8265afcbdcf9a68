#!/bin/sh
# Each shipped workflow template, drawn by ccenter-wf-dot, is a digraph Graphviz accepts
# and renders to SVG with a node for each of its states. Skipped (77) without dot.
# Usage: test-wf-dot.sh CCENTER-WF-DOT TEMPLATE...
set -eu
tool=$1
shift
command -v dot >/dev/null 2>&1 || { echo "dot (graphviz) not found: skipped"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for wf in "$@"; do
  name=$(basename "$wf" .wf)
  "$tool" "$wf" > "$tmp/$name.gv"
  dot -Tsvg "$tmp/$name.gv" -o "$tmp/$name.svg" 2> "$tmp/$name.err"
  if [ -s "$tmp/$name.err" ]; then
    echo "$name: dot complained:"; cat "$tmp/$name.err"; exit 1
  fi
  grep -q '<svg' "$tmp/$name.svg" || { echo "$name: no SVG"; exit 1; }
  # Every state of the file is a node (a <title> in the SVG).
  for s in $(sed -n 's/^state \([^ ]*\).*/\1/p' "$wf"); do
    grep -q "<title>$s</title>" "$tmp/$name.svg" || { echo "$name: no node $s"; exit 1; }
  done
  echo "$name: ok"
done
