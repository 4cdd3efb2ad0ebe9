# The effective configuration stored in /provenance reproduces the run: saved to a file and given to
# `regio run --config` (from the same directory), it gives the same datasets and the same config,
# and a command-line option still overrides it.
# Usage (ctest): bash reproduce_config.sh REGIO_BIN PYTHON SOURCE_DIR SCRATCH_DIR SHARED_DATA_DIR
. "$(dirname "$0")/common.bash"
need_tool h5diff hdf5-tools

section "a run with non-default options, two inputs"
run_expect gen 0 gen --preset kr --seed 11 --rows 20000 -o a.csv || finish
run_expect gen_b 0 gen --preset kr --seed 12 --rows 5000 -o b.csv.gz || finish
run_expect original 0 run a.csv b.csv.gz --sector-levels 2,3,5 --variety-levels 5,3 --on-bad-row skip \
  --delimiter , -o original.h5 || finish

section "the stored configuration, run again"
"$PY" -c "
import h5py
open('stored.ini', 'w').write(h5py.File('original.h5', 'r')['/provenance'].attrs['config'])
" || fail "cannot extract the stored configuration"
run_expect rerun 0 run --config stored.ini -o rerun.h5 &&
  same_datasets stored_config_reproduces original.h5 rerun.h5 --exclude-path /provenance
"$PY" - <<'PY' && pass "the rerun stores the same configuration but for the output" || fail "configurations differ"
import h5py
a = h5py.File('original.h5', 'r')['/provenance'].attrs['config']
b = h5py.File('rerun.h5', 'r')['/provenance'].attrs['config']
assert a.replace('output = original.h5', '') == b.replace('output = rerun.h5', ''), (a, b)
assert '--variety-levels' not in a and 'variety-levels = 5,3' in a
PY

section "the command line overrides the file"
run_expect override 0 run --config stored.ini --sector-levels 2,5 --variety-levels 5,2 -o override.h5 &&
  "$PY" -c "
import h5py, sys
f = h5py.File('override.h5', 'r')
sys.exit(0 if sorted(f['/levels'].keys()) == ['2', '5'] and f['/variety'].attrs['coarse_level'] == '2' else 1)
" && pass "override: levels 2,5 instead of the file's 2,3,5" || fail "override did not take effect"

finish
