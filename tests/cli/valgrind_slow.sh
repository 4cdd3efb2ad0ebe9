# The end-to-end run under valgrind (memcheck): regio gen, regio run with the regional input-output
# tables, regio info and regio io on the demo inputs, each with --error-exitcode=1: an invalid read
# or write, a use of uninitialised memory or a definite leak fails the test. Label slow (minutes).
# Suppressions (tests/sanitize/valgrind.supp) cover only the libraries' own one-time allocations.
# Usage (ctest): bash valgrind_slow.sh REGIO_BIN PYTHON SOURCE_DIR SCRATCH_DIR SHARED_DATA_DIR
. "$(dirname "$0")/common.bash"
need_tool valgrind

VG=(valgrind --error-exitcode=1 --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite --track-origins=yes
  --suppressions="$SRC/tests/sanitize/valgrind.supp" --quiet)

# vg NAME regio-args...: regio under valgrind; valgrind's report in NAME.vg
vg() {
  local name=$1
  shift
  local t0=$SECONDS
  "${VG[@]}" --log-file="$name.vg" "$REGIO" "$@" >"$name.out" 2>"$name.err"
  local rc=$?
  if [ $rc -ne 0 ]; then
    fail "$name: 'regio $*' under valgrind exited $rc"
    show "$name.vg" 40
    show "$name.err" 10
    return 1
  fi
  if [ -s "$name.vg" ]; then
    fail "$name: valgrind reported:"
    show "$name.vg" 40
    return 1
  fi
  pass "$name: 'regio $*' clean under valgrind ($((SECONDS - t0)) s)"
}

IN="$SRC/inputs"
vg gen gen --preset demo --rows 20000 --seed 3 -o demo.csv
vg run run demo.csv --sector-levels 2,5 --threads 2 -o demo.h5 \
  --io-table "$IN/demo_io_table.csv" --io-output-row 'Total output' \
  --io-compensation-row 'Compensation of employees' --io-employment-row Employment \
  --io-household-col Households --io-sector-map "$IN/demo_io_sector_map.csv" --regionalize flq &&
  verify run demo.h5 --sector-levels 2,5 demo.csv
vg info info demo.h5
vg io io "$IN/demo_io_table.csv" -o io.h5 --io-output-row 'Total output' --io-full-inverse
# a failing run must be as clean as a successful one
printf 'district,sector,employees\n01,11,x\n' >bad.csv
"${VG[@]}" --log-file=fail.vg "$REGIO" run bad.csv -o bad.h5 >/dev/null 2>fail.err
rc=$?
if [ $rc = 3 ] && [ ! -s fail.vg ]; then pass "fail: a bad row exits 3, clean under valgrind"; else
  fail "fail: exit $rc (expected 3), valgrind:"
  show fail.vg 30
fi

finish
