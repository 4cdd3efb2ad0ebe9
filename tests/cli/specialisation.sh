# Specialisation (per district) and localisation (per sector) indices end to end: regio gen ->
# regio run -> tests/verify_run.py, which recomputes every index with numpy (the Gini also from its
# pairwise definition on small levels) and the establishment sizes from the rows. Establishment rows
# (Ellison-Glaeser and Maurel-Sedillot defined) and pre-aggregated input (an establishments column:
# they are NaN), the thresholds of n_specialised from the command line and from a config file, and
# 1 vs 2 threads bit for bit.
# Usage (ctest): bash specialisation.sh REGIO_BIN PYTHON SOURCE_DIR SCRATCH_DIR SHARED_DATA_DIR
. "$(dirname "$0")/common.bash"
need_tool h5diff hdf5-tools

LEVELS="--sector-levels 2,5"

section "narrow preset (200k rows), each row one establishment"
if run_expect gen_narrow 0 gen --preset narrow --seed 5 --rows 200000 -o narrow.csv; then
  run_expect rows 0 run $LEVELS narrow.csv -o rows.h5 &&
    verify rows rows.h5 $LEVELS narrow.csv
  h5_check "rows: EG and MS are defined for most sectors, H in (0, 1], micro counts present" rows.h5 "
for lev in ('2', '5'):
    eg = f['/localisation/%s/ellison_glaeser' % lev][()]
    ms = f['/localisation/%s/maurel_sedillot' % lev][()]
    h = f['/localisation/%s/plant_herfindahl' % lev][()]
    assert np.isfinite(eg).mean() > 0.9 and np.isfinite(ms).mean() > 0.9, (lev, np.isfinite(eg).mean())
    assert ((h > 0) & (h <= 1)).all(), h
    assert int(f['/localisation/%s' % lev].attrs['establishment_sizes']) == 1
assert f['/districts/micro_establishments'][()].sum() > 0
assert (f['/specialisation/5/n_specialised'][()] > 0).any()
print('EG level 5: median %.4g' % np.nanmedian(f['/localisation/5/ellison_glaeser'][()]))
"
  run_expect rows_t1 0 run $LEVELS --threads 1 narrow.csv -o rows_t1.h5
  run_expect rows_t2 0 run $LEVELS --threads 2 narrow.csv -o rows_t2.h5
  same_datasets rows_threads rows_t1.h5 rows_t2.h5

  section "the same table as pre-aggregated input (--establishments-col): H, EG, MS are NaN"
  run_expect counts 0 run $LEVELS --establishments-col establishments narrow.csv -o counts.h5 &&
    verify counts counts.h5 $LEVELS --establishments-col establishments narrow.csv
  h5_check "counts: H, EG and MS all NaN, no micro counts, the other indices as with rows" counts.h5 "
g = h5py.File('rows.h5', 'r')
for lev in ('2', '5'):
    for k in ('plant_herfindahl', 'ellison_glaeser', 'maurel_sedillot'):
        assert np.isnan(f['/localisation/%s/%s' % (lev, k)][()]).all(), (lev, k)
    for k in ('hoover', 'gini', 'concentration'):
        assert np.array_equal(f['/localisation/%s/%s' % (lev, k)][()], g['/localisation/%s/%s' % (lev, k)][()]), k
    assert int(f['/localisation/%s' % lev].attrs['establishment_sizes']) == 0
assert '/districts/micro_establishments' not in f
"

  section "thresholds of n_specialised: command line and config file"
  run_expect thresholds 0 run $LEVELS --specialised-lq 1.5 --specialised-min-employment 12.5 narrow.csv \
    -o thresholds.h5 &&
    verify thresholds thresholds.h5 $LEVELS --specialised-lq 1.5 --specialised-min-employment 12.5 narrow.csv
  printf '[run]\nsector-levels = 2,5\nspecialised-lq = 2\nspecialised-min-employment = 3\n' >thresholds.ini
  run_expect thresholds_config 0 run --config thresholds.ini narrow.csv -o thresholds_config.h5 &&
    verify thresholds_config thresholds_config.h5 --config thresholds.ini narrow.csv
  h5_check "thresholds: attributes and the effective configuration record them" thresholds_config.h5 "
g = f['/specialisation/5']
assert float(g.attrs['lq_threshold']) == 2.0 and float(g.attrs['min_employment']) == 3.0, dict(g.attrs)
cfg = f['/provenance'].attrs['config']
cfg = cfg.decode() if isinstance(cfg, bytes) else cfg
assert 'specialised-lq = 2' in cfg and 'specialised-min-employment = 3.000' in cfg, cfg
"
  section "functional categories (KSIC 10 map), district areas, micro share"
  MAP="$SRC/inputs/categories_ksic10.csv"
  "$PY" - narrow.csv areas.csv <<'PYEOF'
import csv, sys
seen = []
with open(sys.argv[1]) as f:
    for r in csv.DictReader(f):
        if r['district'] not in seen:
            seen.append(r['district'])
        if len(seen) == 40:
            break
with open(sys.argv[2], 'w') as out:
    out.write('district,area_km2\n')
    for i, d in enumerate(seen):
        out.write('%s,%g\n' % (d, 0.5 + i * 1.25))
    out.write('no_such_district,3\n')
PYEOF
  run_expect cats 0 run $LEVELS --categories "$MAP" --district-area areas.csv narrow.csv -o cats.h5 &&
    verify cats cats.h5 $LEVELS --categories "$MAP" --district-area areas.csv narrow.csv
  h5_check "cats: every category has employment, 40 districts have a density" cats.h5 "
emp = f['/categories/employment'][()].sum(axis=0)
names = f['/categories/name'].asstr()[:]
assert names[-1] == 'other' and (emp[:-1] > 0).sum() >= 5, dict(zip(names, emp))
assert int(np.isfinite(f['/districts/establishment_density'][()]).sum()) == 40
mu = f['/categories/mixed_use'][()]
assert np.nanmin(mu) >= 0 and np.nanmax(mu) <= 1, (np.nanmin(mu), np.nanmax(mu))
"
  printf 'sector,category\n10,a\n11,b\n10,c\n' >dup_map.csv
  run_expect cats_duplicate 3 run --categories dup_map.csv narrow.csv -o bad.h5
  if grep -q "dup_map.csv:4" cats_duplicate.err; then pass "cats_duplicate: the message names file and line"; else
    fail "cats_duplicate: no file:line in the message"; show cats_duplicate.err; fi

  run_expect bad_threshold 2 run --specialised-lq 0 narrow.csv -o bad.h5
  run_expect bad_minimum 2 run --specialised-min-employment -1 narrow.csv -o bad.h5
fi

finish
