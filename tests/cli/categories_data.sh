# Real data: County Business Patterns 2021 (6-digit NAICS, counties) with the shipped NAICS 2017
# category map (inputs/categories_naics2017.csv): category shares, LQs and mixed use, and the
# specialisation and localisation indices, checked by tests/verify_run.py against numpy; 1 and 2
# threads give the same datasets. Needs ../shared/data (label data): exits 77 when it is absent.
# Usage (ctest): bash categories_data.sh REGIO_BIN PYTHON SOURCE_DIR SCRATCH_DIR SHARED_DATA_DIR
if [ ! -f "${5:-$3/../shared/data}/cbp/cbp2021_county_naics_38states.csv.gz" ]; then
  echo "SKIP: no ${5:-$3/../shared/data}/cbp/cbp2021_county_naics_38states.csv.gz (the shared real-data folder is absent)"
  exit 77
fi
. "$(dirname "$0")/common.bash"
CBP="$SHARED/cbp/cbp2021_county_naics_38states.csv.gz"
need_tool h5diff hdf5-tools

OPTS="--district-col state,county --sector-col NAICS2017 --employees-col EMP --sector-digits 6 --sector-levels 2,4,6"
MAP="$SRC/inputs/categories_naics2017.csv"

section "CBP 2021 with the NAICS 2017 category map"
if run_expect cbp_cats 0 run $OPTS --categories "$MAP" "$CBP" -o cbp_cats.h5; then
  verify cbp_cats cbp_cats.h5 $OPTS --categories "$MAP" "$CBP"
  h5_check "cbp_cats: KIBS, amenities and manufacturing have employment; Los Angeles (06037) has KIBS LQ > 1" \
    cbp_cats.h5 "
names = list(f['/categories/name'].asstr()[:])
emp = dict(zip(names, f['/categories/employment'][()].sum(axis=0)))
assert emp['kibs'] > 0 and emp['lifestyle_amenities'] > 0 and emp['other_manufacturing'] > 0, emp
codes = list(f['/districts/code'].asstr()[:])
if '06037' in codes:
    lq = f['/categories/lq'][codes.index('06037'), names.index('kibs')]
    assert lq > 1, lq
print({k: round(float(v)) for k, v in emp.items()})
"
  run_expect cbp_cats_t1 0 run $OPTS --categories "$MAP" --threads 1 "$CBP" -o cbp_cats_t1.h5 &&
    same_datasets cbp_cats_threads cbp_cats.h5 cbp_cats_t1.h5
fi

finish
