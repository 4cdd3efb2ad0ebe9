# regio io on the three real national IO tables in ../shared/data/io: published numbers (ONS UK
# 2010 Leontief inverse and multipliers, Germany 1995 output multipliers, Netherlands 2000 income
# multipliers) and an independent numpy recomputation of every dataset (tests/verify_io.py).
# shellcheck source=common.bash
. "$(dirname "$0")/common.bash"

IO="$SHARED/io"
[ -f "$IO/Beutel_15_4.csv" ] && [ -f "$IO/netherlands_2000.csv" ] && [ -f "$IO/uk_2010_siot_wide.csv" ] ||
  skip_test "the IO tables are not in '$IO' (shared data folder absent)"
need_tool h5diff hdf5-tools

verify_io() {
  local name=$1
  shift
  if "$PY" "$SRC/tests/verify_io.py" "$@" >"$name.verify" 2>&1; then
    pass "$name: every dataset agrees with numpy at rtol 1e-10 ($(grep -c '^ok' "$name.verify") datasets)"
  else
    fail "$name: verify_io.py:"
    grep -E 'MISMATCH|Error' "$name.verify" | head -n 20 | sed -e 's/^/    | /'
  fi
}

section "UK 2010, 127 products (ONS)"
UK_VA='Compensation of employees,Gross Operating Surplus,Taxes less subsidies on production'
run_expect uk 0 io "$IO/uk_2010_siot_wide.csv" -o uk.h5 --io-output-row 'Total output' \
  --io-compensation-row 'Compensation of employees' --io-value-added-rows "$UK_VA" --io-household-col Households \
  --io-full-inverse
verify_io uk_numpy uk.h5 "$IO/uk_2010_siot_wide.csv" --output-row 'Total output' \
  --compensation-row 'Compensation of employees' --value-added-rows "$UK_VA" --household-col Households
h5_check uk_published uk.h5 "
import csv
io = '$IO'
rows = list(csv.reader(open(io + '/uk_2010_leontief_inverse_ons_wide.csv')))
codes = list(f['/io/sectors/code'].asstr()[:])
assert rows[0][1:-1] == codes and [r[0] for r in rows[1:-1]] == codes, 'ONS inverse labels differ'
ons = np.array([[float(v) for v in r[1:-1]] for r in rows[1:-1]])
L = f['/io/national/L'][:]
print('L max abs diff', abs(L - ons).max())
assert abs(L - ons).max() <= 1e-10
res = list(csv.reader(open(io + '/uk_test_results.csv')))
head, res = res[0], res[1:]
assert len(res) == len(codes)
col = lambda name: np.array([float(r[head.index(name)]) for r in res])
om, em, gm = col('Output.multiplier'), col('Employment.cost.multiplier'), col('GVA.multiplier')
m = f['/io/national/output_multiplier'][:]
inc = f['/io/national/income_multiplier'][:]
gva = f['/io/national/value_added_multiplier'][:]
print('output multipliers max abs diff', abs(m - om).max())
assert abs(m - om).max() <= 1e-8
# ONS publishes 0 where a product pays no compensation (68-2IMP, imputed rent); regio writes NaN
undefined = np.isnan(inc)
assert list(np.array(codes)[undefined]) == ['68-2IMP'] and (em[undefined] == 0).all()
print('employment-cost multipliers max abs diff', abs(inc - em)[~undefined].max())
assert abs(inc - em)[~undefined].max() <= 1e-8
print('GVA multipliers max abs diff', abs(gva - gm).max())
assert abs(gva - gm).max() <= 1e-8
"
show uk_published.h5check 4

section "Germany 1995, 6 product groups (Eurostat manual table 15.4)"
run_expect de 0 io "$IO/Beutel_15_4.csv" -o de.h5 --io-label-col iotables_row --io-output-row output_bp \
  --io-compensation-row compensation_employees --io-value-added-rows gva_bp --io-employment-row employment_total \
  --io-household-col consumption_expenditure_household
verify_io de_numpy de.h5 "$IO/Beutel_15_4.csv" --label-col iotables_row --output-row output_bp \
  --compensation-row compensation_employees --value-added-rows gva_bp --employment-row employment_total \
  --household-col consumption_expenditure_household
h5_check de_published de.h5 "
m = f['/io/national/output_multiplier'][:]
print('output multipliers', m)
assert list(np.round(m, 4)) == [1.7048, 1.8413, 1.8136, 1.6035, 1.5951, 1.3782]
"

section "Netherlands 2000, 6 sectors"
run_expect nl 0 io "$IO/netherlands_2000.csv" -o nl.h5 --io-sectors 6 --io-output-row output_bp \
  --io-compensation-row compensation_employees --io-value-added-rows value_added_bp \
  --io-household-col final_consumption_households --io-sensitivity-from-ghosh
verify_io nl_numpy nl.h5 "$IO/netherlands_2000.csv" --sectors 6 --output-row output_bp \
  --compensation-row compensation_employees --value-added-rows value_added_bp \
  --household-col final_consumption_households --sensitivity-from-ghosh
h5_check nl_published nl.h5 "
m = f['/io/national/income_multiplier'][:]
print('Type I income multipliers', m)
assert list(np.round(m, 3)) == [2.466, 2.333, 1.84, 2.372, 1.953, 1.417]
assert f['/io/national'].attrs['forward_linkage_from'] == 'G'
"

section "errors and exit codes"
# without --io-sectors the Netherlands TOTAL row and column join the block: its NA cell is reported
run_expect nl_total 3 io "$IO/netherlands_2000.csv" -o nl_total.h5 --io-output-row output_bp
grep_file nl_total nl_total.err "column 'TOTAL'" "the message names the column"
[ ! -e nl_total.h5 ] && pass "nl_total: no output file" || fail "nl_total: an output file was left"
run_expect no_row 3 io "$IO/Beutel_15_4.csv" -o x.h5 --io-label-col iotables_row --io-output-row P1
grep_file no_row no_row.err "no output row 'P1' in column 'iotables_row'" "the message names the row and column"
run_expect no_label 3 io "$IO/Beutel_15_4.csv" -o x.h5 --io-output-row output_bp
run_expect both_outputs 2 io "$IO/Beutel_15_4.csv" -o x.h5 --io-output-row a --io-output-col b
run_expect bad_option 2 io "$IO/Beutel_15_4.csv" -o x.h5 --io-nope
run_expect no_input 5 io "$IO/no_such_table.csv" -o x.h5 --io-output-row x
run_expect no_dir 5 io "$IO/Beutel_15_4.csv" -o no_such_dir/x.h5 --io-label-col iotables_row --io-output-row output_bp
# a column of A summing to more than 1: the manufacturing group's output cut to a tenth
"$PY" - "$IO/Beutel_15_4.csv" bad.csv <<'PYEOF'
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
h = rows[0]
for r in rows:
    if r[h.index("iotables_row")] == "output_bp":
        r[h.index("manufacturing_group")] = "100000"
csv.writer(open(sys.argv[2], "w", newline="")).writerows(rows)
PYEOF
run_expect colsum 4 io bad.csv -o bad.h5 --io-label-col iotables_row --io-output-row output_bp
grep_file colsum colsum.err "sector 'manufacturing_group'" "the message names the sector"
ls ./*.tmp.* >/dev/null 2>&1 && fail "temporary files left: $(ls ./*.tmp.*)" || pass "no temporary files left"

finish
