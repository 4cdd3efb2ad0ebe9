# regio run --io-table --io-sector-map --regionalize: regional IO tables for every district of a
# generated demo table, each method recomputed independently with numpy (tests/verify_io_regional.py:
# the formulas of issue 3, a full inverse per district), thread-count invariance, district levels,
# the effective configuration and the errors of the concordance.
# shellcheck source=common.bash
. "$(dirname "$0")/common.bash"
need_tool h5diff hdf5-tools

section "inputs: demo establishments, a national IO table for its 2-digit groups, a sector map"
run_expect gen 0 gen --preset demo --seed 11 --rows 6000 -o est.csv
# 11 IO sectors; intermediate flows with input coefficients summing to 0.25..0.6 per column,
# total output, employment (a plausible, made-up table, fixed seed)
"$PY" - <<'EOF'
import numpy as np
rng = np.random.default_rng(5)
codes = ["AGR", "FOOD", "CHEM", "ELEC", "VEH", "CONS", "TRADE", "TRANS", "HOTEL", "ICT", "HEALTH"]
n = len(codes)
x = rng.uniform(500, 5000, n).round(1)
A = rng.uniform(0, 1, (n, n)) * (rng.uniform(0, 1, (n, n)) < 0.7)
A = A / A.sum(axis=0) * rng.uniform(0.25, 0.6, n)
Z = (A * x).round(3)
emp = (x * rng.uniform(0.5, 3, n)).round(1)
emp[codes.index("ICT")] = 0  # a sector without national employment data: NaN multiplier
with open("io.csv", "w") as f:
    f.write("label," + ",".join(codes) + ",Households,Total\n")
    for i, c in enumerate(codes):
        f.write(c + "," + ",".join(repr(float(v)) for v in Z[i]) + f",{x[i] * 0.3:.1f},{x[i]}\n")
    f.write("Total output," + ",".join(repr(float(v)) for v in x) + ",,\n")
    f.write("Employment," + ",".join(repr(float(v)) for v in emp) + ",,\n")
EOF
cat >map.csv <<'EOF'
sector,io_sector
01,AGR
10,FOOD
20,CHEM
26,ELEC
30,VEH
41,CONS
46,TRADE
47,TRADE
49,TRANS
56,HOTEL
5612,FOOD
62,ICT
86,HEALTH
EOF
[ -s io.csv ] && pass "io.csv written" || fail "io.csv not written"

IOOPTS=(--io-table io.csv --io-output-row 'Total output' --io-employment-row Employment --io-sector-map map.csv)
verify_reg() {
  local name=$1 file=$2
  shift 2
  if "$PY" "$SRC/tests/verify_io_regional.py" "$file" est.csv map.csv io.csv "$@" >"$name.verify" 2>&1; then
    pass "$name: every /io/regional dataset agrees with numpy at rtol 1e-10: $(grep -E '^ok output_multiplier' "$name.verify")"
  else
    fail "$name: verify_io_regional.py:"
    show "$name.verify" 20
  fi
}

for m in slq cilq flq aflq; do
  section "--regionalize $m"
  run_expect "$m" 0 run est.csv -o "$m.h5" "${IOOPTS[@]}" --regionalize "$m" --threads 2 -q
  verify_reg "${m}_numpy" "$m.h5" --method "$m"
done

section "FLQ with delta 0.1 and districts merged by their first 2 characters"
# the LU reference solver, checked against numpy the same way; the default (iterative) solver
# records its sweeps, the LU one zeros
run_expect cilq_lu 0 run est.csv -o cilq_lu.h5 "${IOOPTS[@]}" --regionalize cilq --io-solver lu -q
verify_reg cilq_lu_numpy cilq_lu.h5 --method cilq
if "$PY" -c "
import h5py, sys
it = h5py.File('cilq.h5')['/io/regional']; lu = h5py.File('cilq_lu.h5')['/io/regional']
ok = (it.attrs['solver'] in (b'iterative', 'iterative') and lu.attrs['solver'] in (b'lu', 'lu')
      and (it['solver_sweeps'][:] > 0).all() and (lu['solver_sweeps'][:] == 0).all())
sys.exit(0 if ok else 1)"; then
  pass "solver_sweeps: iterative > 0 for every district, lu = 0"
else
  fail "solver_sweeps: /io/regional/solver_sweeps or the solver attribute is wrong"
fi
run_expect bad_solver 2 run est.csv -o x.h5 "${IOOPTS[@]}" --io-solver cg -q
run_expect flq_d2 0 run est.csv -o flq_d2.h5 "${IOOPTS[@]}" --flq-delta 0.1 --io-district-level 2 -q
verify_reg flq_d2_numpy flq_d2.h5 --method flq --delta 0.1 --district-level 2

section "thread-count invariance"
run_expect aflq_t1 0 run est.csv -o aflq_t1.h5 "${IOOPTS[@]}" --regionalize aflq --threads 1 -q
run_expect aflq_t3 0 run est.csv -o aflq_t3.h5 "${IOOPTS[@]}" --regionalize aflq --threads 3 -q
same_datasets threads_1_2 aflq_t1.h5 aflq.h5
same_datasets threads_1_3 aflq_t1.h5 aflq_t3.h5

section "the effective configuration reproduces the run"
"$PY" -c "import h5py; print(h5py.File('aflq.h5','r')['/provenance'].attrs['config'])" >aflq.ini
grep_file config aflq.ini "regionalize = AFLQ" "the configuration names the method"
grep_file config aflq.ini "io-sector-map = map.csv" "the configuration names the sector map"
run_expect from_config 0 run --config aflq.ini -o again.h5 -q
same_datasets config_same aflq.h5 again.h5

section "--io-delimiter: the same table with semicolons"
sed -e 's/,/;/g' io.csv >io_semi.csv
run_expect semicolon 0 run est.csv -o semi.h5 --io-table io_semi.csv --io-delimiter ';' --io-output-row 'Total output' \
  --io-employment-row Employment --io-sector-map map.csv --regionalize aflq -q
h5_check semicolon_same semi.h5 "
g = h5py.File('aflq.h5', 'r')
for k in ('output_multiplier', 'forward_linkage', 'employment_multiplier'):
    assert np.array_equal(f['/io/regional/' + k][:], g['/io/regional/' + k][:], equal_nan=True), k
"

section "national analysis alone (no sector map): /io/national, no /io/regional"
run_expect national 0 run est.csv -o national.h5 --io-table io.csv --io-output-row 'Total output' -q
h5_check national_only national.h5 "assert 'national' in f['/io'] and 'regional' not in f['/io']"

section "the demo inputs (inputs/demo_io_table.csv, inputs/demo_io_sector_map.csv)"
run_expect demo 0 run "$SRC/inputs/demo_establishments.csv" --sector-levels 2,5 -o demo.h5 \
  --io-table "$SRC/inputs/demo_io_table.csv" --io-output-row 'Total output' \
  --io-compensation-row 'Compensation of employees' --io-employment-row Employment --io-household-col Households \
  --io-sector-map "$SRC/inputs/demo_io_sector_map.csv" -q
if "$PY" "$SRC/tests/verify_io_regional.py" demo.h5 "$SRC/inputs/demo_establishments.csv" \
  "$SRC/inputs/demo_io_sector_map.csv" "$SRC/inputs/demo_io_table.csv" --method flq >demo.verify 2>&1; then
  pass "demo_numpy: the demo's regional tables agree with numpy at rtol 1e-10"
else
  fail "demo_numpy: verify_io_regional.py:"
  show demo.verify 12
fi

section "errors"
head -n 10 map.csv >short_map.csv
run_expect unmapped 3 run est.csv -o x.h5 "${IOOPTS[@]/map.csv/short_map.csv}" -q
grep_file unmapped unmapped.err "no entry in the sector map" "an unmapped sector with employment is named"
{ cat short_map.csv; printf '56,HOTEL\n62,-\n86,-\n'; } >excl_map.csv
run_expect excluded 0 run est.csv -o excl.h5 "${IOOPTS[@]/map.csv/excl_map.csv}" -q
h5_check excluded_attr excl.h5 "assert f['/io/regional'].attrs['excluded_employment'] > 0"
# a district whose only establishment is in an excluded sector: no employment, NaN results
{ cat est.csv; printf '999999,Empty Hospital,99,99999,86100,5\n'; } >est_empty.csv
run_expect empty_district 0 run est_empty.csv -o empty.h5 "${IOOPTS[@]/map.csv/excl_map.csv}" --regionalize cilq -q
if "$PY" "$SRC/tests/verify_io_regional.py" empty.h5 est_empty.csv excl_map.csv io.csv --method cilq >empty.verify 2>&1 &&
  grep -q 'empty districts: 1' empty.verify; then
  pass "empty_district: NaN row for the district without employment, the rest agrees with numpy"
else
  fail "empty_district: verify_io_regional.py:"
  show empty.verify 12
fi
printf 'sector,io_sector\n01,NOPE\n' >bad_map.csv
run_expect bad_io_sector 3 run est.csv -o x.h5 "${IOOPTS[@]/map.csv/bad_map.csv}" -q
grep_file bad_io_sector bad_io_sector.err "bad_map.csv:2: IO sector 'NOPE'" "an IO sector missing from the table is named"
run_expect bad_method 2 run est.csv -o x.h5 "${IOOPTS[@]}" --regionalize lq -q
run_expect map_without_table 2 run est.csv -o x.h5 --io-sector-map map.csv -q
[ ! -e x.h5 ] && pass "no output file after the errors" || fail "x.h5 was written"

section "regio info summarises the input-output part"
if run_expect info_io 0 info demo.h5; then
  grep_file info_io info_io.out "input-output:      12 sectors" "the IO sectors are counted"
  grep_file info_io info_io.out "top 5 national output multipliers" "national multipliers are listed"
  grep_file info_io info_io.out "regional tables:   60 districts, method FLQ" "the regional method is named"
  grep_file info_io info_io.out "top 5 districts by mean regional output multiplier" "districts are listed"
fi

finish
