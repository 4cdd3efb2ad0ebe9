#!/usr/bin/env bash
# The benchmark harness (not part of the test suite): see bench/run.py.
exec python3 "$(dirname "$0")/run.py" "$@"
