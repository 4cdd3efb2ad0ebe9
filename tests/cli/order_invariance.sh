# The result must not depend on the order of rows or of files: the rows of a generated table are
# shuffled, split into four files (two of them gzip) and given in another order; the datasets must
# be identical (h5diff) to those of the run on the original table.
# Usage (ctest): bash order_invariance.sh REGIO_BIN PYTHON SOURCE_DIR SCRATCH_DIR SHARED_DATA_DIR
. "$(dirname "$0")/common.bash"
need_tool h5diff hdf5-tools

LEVELS="--sector-levels 2,3,5"

section "generate and run on the original table"
run_expect gen 0 gen --preset kr --seed 5 --rows 60000 -o table.csv || finish
run_expect original 0 run $LEVELS table.csv -o original.h5 || finish

section "shuffled rows, four files in another order"
split_table table.csv 20240601 part_a.csv part_b.csv.gz part_c.csv part_d.csv.gz
run_expect shuffled 0 run $LEVELS part_c.csv part_a.csv part_d.csv.gz part_b.csv.gz -o shuffled.h5 &&
  same_datasets shuffled_vs_original original.h5 shuffled.h5 --exclude-path /provenance &&
  verify shuffled shuffled.h5 $LEVELS part_c.csv part_a.csv part_d.csv.gz part_b.csv.gz

section "same files, reversed order, 1 and 2 threads"
run_expect reversed_t1 0 run $LEVELS --threads 1 part_b.csv.gz part_d.csv.gz part_a.csv part_c.csv -o reversed_t1.h5 &&
  same_datasets reversed_vs_original original.h5 reversed_t1.h5 --exclude-path /provenance
run_expect reversed_t2 0 run $LEVELS --threads 2 part_b.csv.gz part_d.csv.gz part_a.csv part_c.csv -o reversed_t2.h5 &&
  same_datasets reversed_threads reversed_t1.h5 reversed_t2.h5

section "totals of rows agree"
h5_check rows_total shuffled.h5 "
import subprocess
g = h5py.File('original.h5', 'r')
a = int(f['/provenance/inputs/rows_used'][()].sum()); b = int(g['/provenance/inputs/rows_used'][()].sum())
assert a == b, 'rows_used: %d shuffled vs %d original' % (a, b)
a = int(f['/provenance/inputs/rows_read'][()].sum()); b = int(g['/provenance/inputs/rows_read'][()].sum())
assert a == b, 'rows_read: %d shuffled vs %d original' % (a, b)
assert f['/provenance/inputs/path'].shape == (4,), f['/provenance/inputs/path'].shape
"

finish
