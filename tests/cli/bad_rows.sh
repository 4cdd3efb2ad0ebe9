# Bad rows, CSV dialects and output errors on small hand-made tables (tests/data/). Expected
# numbers are written out here by hand (from reading the fixtures), and each successful run is
# also checked by tests/verify_run.py.
# Usage (ctest): bash bad_rows.sh REGIO_BIN PYTHON SOURCE_DIR SCRATCH_DIR SHARED_DATA_DIR
. "$(dirname "$0")/common.bash"

cp "$DATA"/*.csv "$DATA"/*.tsv . || exit 1

# skipped NAME FILE.h5 'reason=n reason=n ...' read used: the provenance counts of the only input
skipped() {
  h5_check "$1: rows_read $4, rows_used $5, skipped $3" "$2" "
want = dict((kv.split('=')[0], int(kv.split('=')[1])) for kv in '$3'.split())
reasons = [r.decode() for r in f['/provenance/skip_reasons'][()]]
got = dict(zip(reasons, f['/provenance/inputs/rows_skipped'][0].tolist()))
for r in reasons:
    assert got[r] == want.get(r, 0), 'skipped %s: %d, expected %d (all: %s)' % (r, got[r], want.get(r, 0), got)
assert int(f['/provenance/inputs/rows_read'][0]) == $4, 'rows_read %d' % f['/provenance/inputs/rows_read'][0]
assert int(f['/provenance/inputs/rows_used'][0]) == $5, 'rows_used %d' % f['/provenance/inputs/rows_used'][0]
"
}

# no_file NAME PATH: a failed run must not leave PATH (nor temporary files beside it)
no_file() {
  local left
  left=$(ls -a "$(dirname "$2")" 2>/dev/null | grep -F "$(basename "$2")")
  if [ -e "$2" ] || [ -n "$left" ]; then
    fail "$1: the failed run left files: $left"
  else
    pass "$1: the failed run left no output file"
  fi
}

section "a bad employees value under --on-bad-row fail (the default)"
run_expect fail_12a 3 run bad_employees.csv -o fail_12a.h5
grep_file fail_12a fail_12a.err "bad_employees.csv:6" "message names the file and line 6 (after a quoted field with a newline)"
grep_file fail_12a fail_12a.err "employees" "message names the column"
grep_file fail_12a fail_12a.err "12a" "message quotes the value"
no_file fail_12a fail_12a.h5

gzip -c bad_employees.csv >bad_employees.csv.gz
run_expect fail_12a_gz 3 run bad_employees.csv.gz -o fail_12a_gz.h5
grep_file fail_12a_gz fail_12a_gz.err "bad_employees.csv.gz:6" "gzip input: message names the file and line 6"

section "the same under --on-bad-row skip"
run_expect skip_12a 0 run --on-bad-row skip bad_employees.csv -o skip_12a.h5 &&
  verify skip_12a skip_12a.h5 --on-bad-row skip bad_employees.csv &&
  skipped skip_12a skip_12a.h5 "bad_employees=1" 5 4
grep_file skip_12a skip_12a.err "bad_employees" "skip counts are printed on stderr"
h5_check "skip_12a: employment of the good rows (01001: 8.25, 01003: 7, 01005: 2)" skip_12a.h5 "
assert [c.decode() for c in f['/districts/code'][()]] == ['01001', '01003', '01005'], f['/districts/code'][()]
assert f['/districts/employment'][()].tolist() == [8.25, 7.0, 2.0], f['/districts/employment'][()]
assert f['/districts/establishments'][()].tolist() == [2, 1, 1], f['/districts/establishments'][()]
"

section "every skip reason (tests/data/skip.csv)"
A="--sector-digits 5 --establishments-col establishments --on-bad-row skip"
run_expect skip_all_a 0 run $A skip.csv -o skip_a.h5 &&
  verify skip_all_a skip_a.h5 $A skip.csv &&
  skipped skip_all_a skip_a.h5 "sector_digits=3 empty_code=1 bad_code=3 bad_employees=8 bad_establishments=3 too_many_fields=1" 23 4
B="--sector-levels 2,5 --establishments-col establishments --on-bad-row skip"
run_expect skip_all_b 0 run $B skip.csv -o skip_b.h5 &&
  verify skip_all_b skip_b.h5 $B skip.csv &&
  skipped skip_all_b skip_b.h5 "sector_too_short=2 empty_code=1 bad_code=3 bad_employees=8 bad_establishments=3 too_many_fields=1" 23 5
h5_check "skip_all_a: the good rows (1.5000 is 1.5, 0.001 kept exactly, zero employment kept)" skip_a.h5 "
assert [c.decode() for c in f['/districts/code'][()]] == ['01001', '01002', '01004'], f['/districts/code'][()]
assert f['/districts/employment'][()].tolist() == [5.0, 1.501, 0.0], f['/districts/employment'][()]
assert f['/districts/establishments'][()].tolist() == [1, 3, 0], f['/districts/establishments'][()]
assert np.isnan(f['/variety/entropy'][2]), 'entropy of a district without employment must be NaN'
"
# sector_digits is a filter, not an error: under fail the first bad row is line 5 (empty district)
run_expect skip_all_fail 3 run --sector-digits 5 --establishments-col establishments skip.csv -o skip_fail.h5
grep_file skip_all_fail skip_all_fail.err "skip.csv:5" "fails at line 5 (lines 3, 4 are only filtered by --sector-digits)"
grep_file skip_all_fail skip_all_fail.err "district" "message names the column 'district'"
no_file skip_all_fail skip_fail.h5

section "options from --config FILE.ini"
cat >skip.ini <<'EOF'
[run]
sector-levels = 2,5
establishments-col = establishments
on-bad-row = skip
EOF
run_expect config 0 run --config skip.ini skip.csv -o skip_config.h5 &&
  verify config skip_config.h5 --config skip.ini skip.csv &&
  same_datasets config_vs_options skip_b.h5 skip_config.h5

section "a missing column"
run_expect missing_col 3 run --employees-col EMP small.csv -o missing_col.h5
grep_file missing_col missing_col.err "EMP" "message names the missing column"
for c in district sector employees; do
  grep_file missing_col missing_col.err "$c" "message lists the existing column '$c'"
done
no_file missing_col missing_col.h5

section "BOM, CRLF, quoted fields with delimiters, newlines and doubled quotes"
run_expect quoting 0 run quoting.csv -o quoting.h5 &&
  verify quoting quoting.h5 quoting.csv &&
  h5_check "quoting: codes and sums read by hand" quoting.h5 "
assert [c.decode() for c in f['/districts/code'][()]] == ['01,003', '0100\"2', '01001', '01003'], f['/districts/code'][()]
assert f['/districts/employment'][()].tolist() == [0.125, 2.0, 9.5, 14.0], f['/districts/employment'][()]
assert [c.decode() for c in f['/levels/full/sectors/code'][()]] == ['11111', '11112', '111|2'], f['/levels/full/sectors/code'][()]
assert int(f['/provenance/inputs/rows_read'][0]) == 7
"

section "delimiters ; and TAB detected from the header"
for t in semicolon.csv tab.tsv; do
  run_expect "delim_$t" 0 run "$t" -o "$t.h5" &&
    verify "delim_$t" "$t.h5" "$t" &&
    h5_check "delim_$t: two districts, 9.25 employees, 3 sectors (read by hand)" "$t.h5" "
assert [c.decode() for c in f['/districts/code'][()]] == ['01001', '01002'], f['/districts/code'][()]
assert f['/districts/employment'][()].tolist() == [7.5, 1.75], f['/districts/employment'][()]
assert [c.decode() for c in f['/levels/full/sectors/code'][()]] == ['11111', '11112', '21111']
"
done
run_expect delim_given 0 run --delimiter ';' semicolon.csv -o semicolon_given.h5 &&
  same_datasets delim_given semicolon.csv.h5 semicolon_given.h5

section "rows with missing trailing fields"
run_expect missing_fields 0 run missing_fields.csv -o missing_fields.h5 &&
  verify missing_fields missing_fields.h5 missing_fields.csv &&
  skipped missing_fields missing_fields.h5 "" 5 5
run_expect missing_estab 0 run --establishments-col establishments --on-bad-row skip missing_fields.csv -o missing_estab.h5 &&
  verify missing_estab missing_estab.h5 --establishments-col establishments --on-bad-row skip missing_fields.csv &&
  skipped missing_estab missing_estab.h5 "bad_establishments=1" 5 4

section "an existing output file is untouched by a failed run"
if run_expect keep_make 0 run small.csv -o keep.h5; then
  cp keep.h5 keep_before.h5
  run_expect keep_fail 3 run bad_employees.csv -o keep.h5
  same_bytes keep_untouched keep_before.h5 keep.h5
  left=$(ls -a | grep -F 'keep.h5' | grep -v -x keep.h5)
  if [ -z "$left" ]; then pass "keep_untouched: no temporary files left"; else fail "keep_untouched: files left: $left"; fi
fi

section "output into a missing directory"
run_expect missing_dir 5 run small.csv -o no/such/dir/out.h5
if [ -e no ]; then fail "missing_dir: the directory was created"; else pass "missing_dir: nothing created"; fi

section "input file that does not exist"
run_expect missing_input 5 run no_such_file.csv -o missing_input.h5
grep_file missing_input missing_input.err "no_such_file.csv" "message names the file"
no_file missing_input missing_input.h5

finish
