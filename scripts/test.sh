#!/usr/bin/env bash
# The test suite: installs what is missing, builds with warnings as errors, and runs every test
# except those labelled slow; builds the MPI version (-DREGIO_ENABLE_MPI=ON, in build-mpi/ or
# $REGIO_MPI_BUILD_DIR) and runs its tests (label mpi: 1 to 4 ranks against one process and the
# serial build; the Slurm test of the first pass also submits it as a 2-task job); then builds again
# with AddressSanitizer and UndefinedBehaviorSanitizer (-DREGIO_SANITIZE=ON, in build-sanitize/ or
# $REGIO_SANITIZE_BUILD_DIR) and runs the first pass's tests under them. REGIO_TEST_MPI=0 and
# REGIO_TEST_SANITIZE=0 skip those passes. Real-data tests (label data) skip with a message when
# ../shared/data is absent. Extra arguments go to ctest, e.g. scripts/test.sh -L unit
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export REGIO_BUILD_DIR="${REGIO_BUILD_DIR:-$root/build}"
# ctest -j2 runs tests that each use every core: with OpenMP's default spin-waiting, threads of
# oversubscribed cores burn their time slices waiting (test_ingest: 13 s passive, 540 s spinning on
# a loaded 2-core machine). Results do not depend on it.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-passive}"
"$root/scripts/build.sh" -DREGIO_WERROR=ON
mpi_dir="${REGIO_MPI_BUILD_DIR:-$root/build-mpi}"
if [ "${REGIO_TEST_MPI:-1}" != 0 ]; then
  REGIO_BUILD_DIR="$mpi_dir" "$root/scripts/build.sh" -DREGIO_WERROR=ON -DREGIO_ENABLE_MPI=ON
  export REGIO_TEST_SLURM_MPI_REGIO="$mpi_dir/regio"
fi
cd "$REGIO_BUILD_DIR"
ctest --output-on-failure -LE slow -j2 "$@"

if [ "${REGIO_TEST_MPI:-1}" != 0 ]; then
  echo "test.sh: the distributed mode, 1 to 4 MPI ranks ($mpi_dir)" >&2
  cd "$mpi_dir"
  REGIO_SERIAL_BIN="$REGIO_BUILD_DIR/regio" ctest --output-on-failure -L mpi -j2
  unset REGIO_TEST_SLURM_MPI_REGIO
fi

if [ "${REGIO_TEST_SANITIZE:-1}" != 0 ]; then
  sanitize_dir="${REGIO_SANITIZE_BUILD_DIR:-$root/build-sanitize}"
  echo "test.sh: the same tests under AddressSanitizer and UndefinedBehaviorSanitizer ($sanitize_dir)" >&2
  REGIO_BUILD_DIR="$sanitize_dir" "$root/scripts/build.sh" -DREGIO_WERROR=ON -DREGIO_SANITIZE=ON
  # leaks are errors, except the ones listed (and explained) in tests/sanitize/lsan.supp
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=86:strict_string_checks=1:detect_stack_use_after_return=1"
  export LSAN_OPTIONS="suppressions=$root/tests/sanitize/lsan.supp:print_suppressions=0"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=87"
  cd "$sanitize_dir"
  ctest --output-on-failure -LE slow -j2 "$@"
fi
