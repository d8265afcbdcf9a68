#!/usr/bin/env bash
# Installs the Debian 12 packages that the build and the tests need. Safe to repeat: when
# every package is installed already it does nothing (and needs no network or root).
set -euo pipefail

packages=(
  build-essential       # gcc, g++ (the C++ header test), libc6-dev, make
  meson ninja-build pkg-config
  binutils              # nm, for the ABI tests
  check                 # the unit-test framework
  libuv1-dev            # the libuv adapter
  libsqlite3-dev        # the journal store
  libprotobuf-c-dev protobuf-c-compiler  # the wire codec
  protobuf-compiler python3-protobuf     # protoc and Google's Python runtime: the protocol's interop test
  libssl-dev            # OpenSSL: ctid's credentials (PBKDF2) and TLS
  libh2o-dev            # ctid's HTTP side (wallboard, supervisor page, /metrics): libh2o on libuv
  prometheus            # promtool check metrics: ctid's /metrics in the ctid suite
  python3               # Debian's /usr/bin/python3 runs the ABI checks
  python3-cffi python3-pytest            # the Python bindings and their tests
  python3-dev           # Python.h: the bindings' compiled module
  python3-matplotlib    # the figure of examples/python/staffing_plot.py
  python3-simpy3        # SimPy 3 (module simpy) for tests/bench/sim_vs_simpy.sh; python3-simpy is SimPy 2
  valgrind              # meson test --setup=valgrind
  tzdata                # /usr/share/zoneinfo: test_calendar loads TZif zones from it
  graphviz              # dot: the workflow templates rendered to SVG, and their test
  clang libclang-rt-14-dev  # tests/fuzz: clang and its libFuzzer runtime
  chromium              # headless, for the wallboard's browser test (examples/ctid/browser)
)
# Node.js runs the browser test's driver. The machines come with Node.js 20 and npm; only
# where there is none is Debian's taken (Debian 12's Node.js 18 is older than
# playwright-core asks for: the browser test is then left out at configure time).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

# The browser test's driver: playwright-core at the version of its package-lock.json, from
# npm (it drives the chromium above and downloads no browser). Nothing to do when that
# version is installed already.
npm_deps() {
  local dir
  dir="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)/examples/ctid/browser"
  local want have
  want=$(sed -n '/"node_modules\/playwright-core"/,/}/s/.*"version": "\(.*\)".*/\1/p' \
    "$dir/package-lock.json")
  have=$(sed -n 's/^  "version": "\(.*\)".*/\1/p' \
    "$dir/node_modules/playwright-core/package.json" 2>/dev/null || true)
  if [[ -n $want && $want == "$have" ]]; then
    echo "deps: playwright-core $have is installed"
    return 0
  fi
  echo "deps: npm ci in $dir (playwright-core $want)"
  (cd "$dir" && npm ci --no-audit --no-fund)
}

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
  if [[ $status != "ii "* ]]; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "deps: all ${#packages[@]} packages are installed"
  npm_deps
  exit 0
fi

as_root=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    echo "deps: missing ${missing[*]}; run this script as root (sudo is not installed)" >&2
    exit 1
  fi
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -q
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -q --no-install-recommends "${missing[@]}"
npm_deps
