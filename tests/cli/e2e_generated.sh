# End to end on generated tables: regio gen -> regio run -> tests/verify_run.py (an independent
# Python computation), plus reproducibility: the same command twice gives byte-identical files,
# --threads 1 and --threads 2 give identical datasets, one gzip table and the same records split
# into two gzip files give identical datasets.
# Usage (ctest): bash e2e_generated.sh REGIO_BIN PYTHON SOURCE_DIR SCRATCH_DIR SHARED_DATA_DIR
. "$(dirname "$0")/common.bash"
need_tool h5diff hdf5-tools

LEVELS="--sector-levels 2,5"

section "demo preset (20k rows)"
if run_expect gen_demo 0 gen --preset demo --seed 7 -o demo.csv; then
  run_expect demo 0 run $LEVELS demo.csv -o demo.h5 &&
    verify demo demo.h5 $LEVELS demo.csv
  # the same command twice: byte-identical files
  if [ -f demo.h5 ]; then
    cp demo.h5 demo_first.h5
    run_expect demo_again 0 run $LEVELS demo.csv -o demo.h5 &&
      same_bytes demo_twice demo_first.h5 demo.h5
  fi
  run_expect demo_t1 0 run $LEVELS --threads 1 demo.csv -o demo_t1.h5
  run_expect demo_t2 0 run $LEVELS --threads 2 demo.csv -o demo_t2.h5
  same_datasets demo_threads demo_t1.h5 demo_t2.h5
  same_datasets demo_threads_default demo_first.h5 demo_t2.h5
  # the generator is deterministic for a seed
  run_expect gen_demo_again 0 gen --preset demo --seed 7 -o demo_again.csv &&
    same_bytes gen_deterministic demo.csv demo_again.csv
fi

section "kr preset, 300k rows, gzip, split in two files"
if run_expect gen_kr 0 gen --preset kr --seed 11 --rows 300000 -o kr.csv.gz; then
  if [ "$(head -c 2 kr.csv.gz | od -An -tx1 | tr -d ' ')" = "1f8b" ]; then
    pass "gen_kr: kr.csv.gz is gzip-compressed"
  else
    fail "gen_kr: kr.csv.gz is not gzip-compressed"
  fi
  split_table kr.csv.gz 0 kr_part1.csv.gz kr_part2.csv.gz
  run_expect kr_split 0 run $LEVELS kr_part1.csv.gz kr_part2.csv.gz -o kr_split.h5 &&
    verify kr_split kr_split.h5 $LEVELS kr_part1.csv.gz kr_part2.csv.gz
  run_expect kr_whole 0 run $LEVELS kr.csv.gz -o kr_whole.h5 &&
    verify kr_whole kr_whole.h5 $LEVELS kr.csv.gz
  same_datasets kr_whole_vs_split kr_whole.h5 kr_split.h5 --exclude-path /provenance
  run_expect kr_t1 0 run $LEVELS --threads 1 kr_part1.csv.gz kr_part2.csv.gz -o kr_t1.h5
  run_expect kr_t2 0 run $LEVELS --threads 2 kr_part1.csv.gz kr_part2.csv.gz -o kr_t2.h5
  same_datasets kr_threads kr_t1.h5 kr_t2.h5
  if [ -f kr_split.h5 ]; then
    cp kr_split.h5 kr_split_first.h5
    run_expect kr_split_again 0 run $LEVELS kr_part1.csv.gz kr_part2.csv.gz -o kr_split.h5 &&
      same_bytes kr_twice kr_split_first.h5 kr_split.h5
  fi
fi

section "one level only (no --sector-levels): level 'full', entropy without decomposition"
if [ -f demo.csv ]; then
  run_expect demo_full 0 run demo.csv -o demo_full.h5 &&
    verify demo_full demo_full.h5 demo.csv
fi

section "regio info"
if [ -f demo.h5 ]; then
  run_expect info 0 info demo.h5
  if [ -s info.out ]; then pass "info: prints a summary"; else fail "info: printed nothing on stdout"; fi
  if grep -q "^processes: *1$" info.out; then pass "info: one process"; else fail "info: no 'processes: 1' line"; fi
fi

finish
