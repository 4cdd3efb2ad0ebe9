# Scale limits (label slow: minutes, tens of GB of reading): more than 2^31 rows (a gzip file of
# concatenated members), a plain file larger than 4 GiB with a bad row at its very end (the line
# number must be exact past 2^32 bytes), and one million districts. Expected counts and sums are
# computed here from the way the inputs are built, not by regio.
# Usage (ctest): bash scale_slow.sh REGIO_BIN PYTHON SOURCE_DIR SCRATCH_DIR SHARED_DATA_DIR
. "$(dirname "$0")/common.bash"

section "more than 2^31 rows: 129 gzip members of 16,777,000 rows (100 districts x 10 sectors)"
# each member: a block of 1,000 rows (every district-sector pair once, 1 employee) repeated 16,777 times
"$PY" - <<'EOF' || fail "could not write rows.csv.gz"
import gzip
block = "".join("%02d,%d,1\n" % (i // 10, i % 10) for i in range(1000)).encode()
member = gzip.compress(block * 16777, compresslevel=6, mtime=0)
with open("rows.csv.gz", "wb") as f:
    f.write(gzip.compress(b"district,sector,employees\n", mtime=0))
    for _ in range(129):
        f.write(member)
EOF
ROWS=$((129 * 16777 * 1000))
echo "rows: $ROWS (2^31 = 2147483648), file $(stat -c %s rows.csv.gz) bytes"
t0=$SECONDS
run_expect rows 0 run rows.csv.gz -o rows.h5 --no-checksum &&
  h5_check "rows: $ROWS rows read and used, every cell $((129 * 16777)) employees ($((SECONDS - t0)) s)" rows.h5 "
assert int(f['/provenance/inputs/rows_read'][0]) == $ROWS, f['/provenance/inputs/rows_read'][0]
assert int(f['/provenance/inputs/rows_used'][0]) == $ROWS
e = f['/levels/full/employment'][()]
assert e.shape == (100, 10), e.shape
assert (e == 129 * 16777).all(), (e.min(), e.max())
assert float(f['/districts/employment'][()].sum()) == $ROWS
"
rm -f rows.csv.gz

section "a plain file over 4 GiB, with a bad row at the end"
"$PY" - <<'EOF' || fail "could not write big.csv"
block = "".join("%05d,%05d,1.5\n" % (i, i % 97) for i in range(100000)).encode()  # 100,000 rows, 16 bytes each
with open("big.csv", "wb") as f:
    f.write(b"district,sector,employees\n")
    for _ in range(2700):  # 270,000,000 rows, 4,320,000,000 bytes
        f.write(block)
    f.write(b"99999,00001,x\n")
EOF
SIZE=$(stat -c %s big.csv)
echo "big.csv: $SIZE bytes (4 GiB = 4294967296)"
[ "$SIZE" -gt 4294967296 ] && pass "big.csv is over 4 GiB" || fail "big.csv is only $SIZE bytes"
t0=$SECONDS
run_expect big_fail 3 run big.csv -o big.h5 --no-checksum
grep_file big_fail big_fail.err 'big.csv:270000002: column '"'"'employees'"'"' (field 3): "x" is not a number' \
  "the bad row is named at line 270,000,002, past byte 2^32 ($((SECONDS - t0)) s)"
t0=$SECONDS
run_expect big_skip 0 run big.csv -o big.h5 --no-checksum --on-bad-row skip &&
  h5_check "big_skip: 270,000,001 rows read, 270,000,000 used, 405,000,000 employees ($((SECONDS - t0)) s)" big.h5 "
assert int(f['/provenance/inputs/rows_read'][0]) == 270000001
assert int(f['/provenance/inputs/rows_used'][0]) == 270000000
assert f['/districts/code'].shape == (100000,)
assert float(f['/districts/employment'][()].sum()) == 405000000.0
assert (f['/districts/employment'][()] == 2700 * 1.5).all()
"
rm -f big.csv

section "one million districts"
"$PY" -c "
import sys
out = sys.stdout
out.write('district,sector,employees\n')
for i in range(1000000):
    out.write('D%07d,%d,%d\n' % (i, i % 3, 1 + i % 5))
" >districts.csv
t0=$SECONDS
run_expect districts 0 run districts.csv -o districts.h5 --no-checksum &&
  h5_check "districts: 1,000,000 districts x 3 sectors, employment as written ($((SECONDS - t0)) s)" districts.h5 "
import numpy as np
codes = f['/districts/code'][()]
assert codes.shape == (1000000,), codes.shape
assert codes[0] == b'D0000000' and codes[-1] == b'D0999999'
i = np.arange(1000000)
assert (f['/districts/employment'][()] == 1 + i % 5).all()
e = f['/levels/full/employment'][()]
assert e.shape == (1000000, 3)
assert (e[i, i % 3] == 1 + i % 5).all() and e.sum() == (1 + i % 5).sum()
"

finish
