# The distributed mode (label mpi, MPI build only): `mpirun -np N regio run` for N = 1..4 gives the
# same datasets as one process (and as the serial build when REGIO_SERIAL_BIN names its regio) on
# generated tables: plain and gzip inputs together, quoted fields with line breaks, skipped rows,
# actor types, categories, the screen, regional IO tables (also by district groups); the first
# error in file order stops every rank with the one-process message and exit code and leaves no
# output file; so does a file or folder that one rank alone cannot open (no rank hangs).
#
# Usage (ctest): bash mpi_run.sh REGIO_BIN PYTHON SOURCE_DIR SCRATCH_DIR SHARED_DATA_DIR
. "$(dirname "${BASH_SOURCE[0]}")/../cli/common.bash"
. "$(dirname "${BASH_SOURCE[0]}")/mpi_common.bash"

section "generated tables: plain and gzip inputs read together, several levels"
if run_expect gen_kr 0 gen --preset kr --rows 120000 -o kr.csv &&
  run_expect gen_kr_gz 0 gen --preset kr --seed 2 --rows 60000 --gzip-level 1 -o kr2.csv.gz &&
  run_expect gen_kr_gz2 0 gen --preset kr --seed 3 --rows 30000 --gzip-level 1 -o kr3.csv.gz; then
  ranks_agree kr kr.csv kr2.csv.gz kr3.csv.gz --sector-levels 2,5
  same_storage kr_np3_storage kr_one.h5 kr_np3.h5
  same_storage kr_np4_storage kr_one.h5 kr_np4.h5
fi

section "quoted fields with delimiters, doubled quotes and line breaks; skipped rows counted"
"$PY" - <<'PYEOF'
import random
random.seed(7)
names = ['"a\nb ""x"", c"', 'plain', '"multi\nline\nname"', '"q,""\n"""']
with open('quoted.csv', 'w') as f:
    f.write('name,district,sector,employees\n')
    for i in range(40000):
        emp = str(random.randrange(1, 9)) if i % 997 else 'n/a'
        f.write('%s,D%02d,%d,%s\n' % (random.choice(names), random.randrange(50), random.randrange(10, 40), emp))
PYEOF
ranks_agree quoted quoted.csv --on-bad-row skip

section "actor types, categories, screen and regional IO tables (demo IO table)"
if run_expect gen_demo 0 gen --preset demo --seed 3 -o demo.csv &&
  run_expect gen_demo_gz 0 gen --preset demo --seed 4 --rows 30000 --gzip-level 1 -o demo2.csv.gz; then
  ranks_agree demo demo.csv demo2.csv.gz --sector-levels 2,5 --categories "$SRC/inputs/categories_ksic10.csv" \
    --screen --io-table "$SRC/inputs/demo_io_table.csv" --io-output-row "Total output" --io-household-col Households \
    --io-employment-row Employment --io-sector-map "$SRC/inputs/demo_io_sector_map.csv"
  ranks_agree demo_grouped demo.csv --sector-levels 2,5 --io-table "$SRC/inputs/demo_io_table.csv" \
    --io-output-row "Total output" --io-sector-map "$SRC/inputs/demo_io_sector_map.csv" --io-district-level 1
fi
"$PY" - <<'PYEOF'
import random
random.seed(5)
types = ['firm', 'university', 'research', 'government', 'civil society']
with open('actors.csv', 'w') as f:
    f.write('district,sector,employees,actor\n')
    for i in range(30000):
        f.write('D%03d,%d,%d,%s\n' % (random.randrange(200), random.choice([11, 12, 21, 22, 31, 32, 41]),
                                      random.randrange(1, 50), random.choice(types)))
PYEOF
ranks_agree actors actors.csv --actor-col actor

section "errors: the first in file order, on every rank count; no output file"
"$PY" - <<'PYEOF'
lines = open('kr.csv').read().split('\n')
lines[100000] = lines[100000].rsplit(',', 1)[0] + ',bad'
open('late.csv', 'w').write('\n'.join(lines))
lines = open('kr.csv').read().split('\n')
lines[500] = lines[500].rsplit(',', 1)[0] + ',12a'
open('early.csv', 'w').write('\n'.join(lines))
PYEOF
ranks_same_error err 3 run late.csv early.csv -o err.h5
if [ -e err.h5 ] || ls err.h5.tmp* >/dev/null 2>&1; then fail "err_no_output: an output file was left"; else pass "err_no_output: no output or temporary file"; fi

# a rank's cells beyond the memory budget: refused up front on every rank (exit 6), no output
for n in 2 4; do
  if REGIO_MEMORY_LIMIT=1M mpi_expect "mem_np$n" "$n" 6 run kr.csv -o mem.h5; then
    if grep -q "this rank's cells of" "mem_np$n.err" && [ ! -e mem.h5 ]; then
      pass "mem_np$n: $(grep 'error:' "mem_np$n.err" | head -1)"
    else
      fail "mem_np$n: not the merge's memory check, or an output was left:"
      show "mem_np$n.err"
    fi
  fi
done

# one rank alone beyond its budget (rank 0; rank 1 goes on towards the next collective call): both
# stop with rank 0's error, exit 6, no output (before 7a6fcc0 the run hung)
timeout 120 "$MPIEXEC" "${MPI_FLAGS[@]}" -np 1 env REGIO_MEMORY_LIMIT=1M "$REGIO" run kr.csv -o mem1.h5 : \
  -np 1 "$REGIO" run kr.csv -o mem1.h5 >mem_rank0.out 2>mem_rank0.err
rc=$?
if [ "$rc" -eq 6 ] && grep -q "this rank's cells of" mem_rank0.err && [ ! -e mem1.h5 ]; then
  pass "mem_rank0: one rank out of memory, every rank stopped (exit 6)"
else
  fail "mem_rank0: exited $rc (124 or 15: it hung), expected 6 and the merge's memory check, no output:"
  show mem_rank0.err
fi

# a cell whose employment sums beyond the 64-bit fixed-point range (9.2e15 employees), from rows at
# both ends of the table (so read by different ranks): the merge names it as in one process
"$PY" - <<'PYEOF'
lines = open('kr.csv').read().rstrip('\n').split('\n')
big = lines[1].rsplit(',', 1)[0] + ',5000000000000000'  # employees: the last column
lines.insert(2, big)
lines.append(big)
open('over.csv', 'w').write('\n'.join(lines) + '\n')
PYEOF
ranks_same_error over 3 run over.csv -o over.h5
grep -q 'fixed-point range' over_one.err || { fail "over_one: not the overflow message:"; show over_one.err; }

section "a file or folder that one rank alone cannot open: every rank stops with its message"
# (rank 1 runs in elsewhere/, where the relative paths lead nowhere; before the fixes rank 0 went on
# into a collective call and hung: measured, timeout)
mkdir -p sub
mpi_rank1_elsewhere out_dir_rank1 5 "cannot write output 'sub/pre.h5': directory 'sub' does not exist" sub/pre.h5 \
  run "$PWD/kr.csv" -o sub/pre.h5
printf 'district,area_km2\n11010,12.5\n' >areas.csv
mpi_rank1_elsewhere areas_rank1 5 "cannot open the district area file 'areas.csv'" areas1.h5 \
  run "$PWD/kr.csv" --district-area areas.csv -o "$PWD/areas1.h5"
cp "$SRC/inputs/demo_io_table.csv" "$SRC/inputs/demo_io_sector_map.csv" .
IO_ARGS=(--io-table demo_io_table.csv --io-output-row "Total output" --io-sector-map demo_io_sector_map.csv)
mpi_rank1_elsewhere io_table_rank1 5 "cannot read IO table 'demo_io_table.csv'" io1.h5 \
  run "$PWD/demo.csv" --sector-levels 2,5 "${IO_ARGS[@]}" -o "$PWD/io1.h5"
cp demo_io_table.csv elsewhere/
mpi_rank1_elsewhere io_map_rank1 5 "cannot open the sector map 'demo_io_sector_map.csv'" io2.h5 \
  run "$PWD/demo.csv" --sector-levels 2,5 "${IO_ARGS[@]}" -o "$PWD/io2.h5"

finish
