#!/usr/bin/env bash
# Installs the dependencies (if missing) and builds regio into build/ (or $REGIO_BUILD_DIR).
# Extra arguments go to the CMake configure step, e.g. scripts/build.sh -DREGIO_WERROR=ON
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${REGIO_BUILD_DIR:-$root/build}"
"$root/scripts/install-deps.sh"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
echo "build.sh: built $build/regio" >&2
