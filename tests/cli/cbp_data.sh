# Real data: County Business Patterns 2021 (38 states, county x NAICS at all levels), the 6-digit
# rows aggregated to counties x NAICS 2 and 6, checked against tests/verify_run.py. The file is
# fully quoted, names contain commas, rows end with a trailing comma (an empty 12th field) except
# 38 rows that are one field short; codes of every level are mixed, so --sector-digits 6 filters.
# Needs ../shared/data (label data): exits 77 when it is absent.
# Usage (ctest): bash cbp_data.sh REGIO_BIN PYTHON SOURCE_DIR SCRATCH_DIR SHARED_DATA_DIR
if [ ! -f "${5:-$3/../shared/data}/cbp/cbp2021_county_naics_38states.csv.gz" ]; then
  echo "SKIP: no ${5:-$3/../shared/data}/cbp/cbp2021_county_naics_38states.csv.gz (the shared real-data folder is absent)"
  exit 77
fi
. "$(dirname "$0")/common.bash"
CBP="$SHARED/cbp/cbp2021_county_naics_38states.csv.gz"
need_tool h5diff hdf5-tools

OPTS="--district-col state,county --sector-col NAICS2017 --employees-col EMP --sector-digits 6 --sector-levels 2,6"

section "CBP 2021, 6-digit NAICS, districts = state + county"
if run_expect cbp 0 run $OPTS "$CBP" -o cbp.h5; then
  verify cbp cbp.h5 $OPTS "$CBP"
  # numbers from the data's documentation (shared/data/README.md), not from regio
  h5_check "cbp_published_counts: 566,683 rows read, no row with too many fields, 5-digit FIPS districts" cbp.h5 "
reasons = [r.decode() for r in f['/provenance/skip_reasons'][()]]
read = int(f['/provenance/inputs/rows_read'][0])
assert read == 566683, 'rows_read %d, the table has 566,683 rows' % read
sk = dict(zip(reasons, f['/provenance/inputs/rows_skipped'][0].tolist()))
assert sk['too_many_fields'] == 0, sk
assert sk['sector_digits'] > 0, sk
codes = f['/districts/code'][()]
assert all(len(c) == 5 and c.isdigit() for c in codes), codes[:5]
assert 1800 <= len(codes) <= 1875, 'districts: %d (the table has 1,875 counties)' % len(codes)
assert f['/levels/2/sectors/code'].shape[0] <= 24
print('districts', len(codes), 'skipped', sk)
"
  grep -E '^verify_run: [0-9]+ districts|rows' cbp.verify | head -n 3 | sed -e 's/^/    /'
fi

section "CBP with 2 threads gives the same datasets"
if [ -f cbp.h5 ]; then
  run_expect cbp_t2 0 run $OPTS --threads 2 "$CBP" -o cbp_t2.h5 &&
    same_datasets cbp_threads cbp.h5 cbp_t2.h5
fi

finish
