#!/usr/bin/env bash
# The test suite: installs what is missing, builds with warnings as errors, and runs every test
# except those labelled slow. Real-data tests (label data) skip with a message when ../shared/data
# is absent. Extra arguments go to ctest, e.g. scripts/test.sh -L unit
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export REGIO_BUILD_DIR="${REGIO_BUILD_DIR:-$root/build}"
"$root/scripts/build.sh" -DREGIO_WERROR=ON
cd "$REGIO_BUILD_DIR"
ctest --output-on-failure -LE slow -j2 "$@"
