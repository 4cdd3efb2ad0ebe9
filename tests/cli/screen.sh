# The cluster versus innovation-district screen on a generated country with planted districts
# (tests/plant_country.py): clusters, innovation districts, CBDs, CLDs and thin districts, each
# classified as planted, for two seeds; tests/verify_screen.py recomputes every score and class with
# numpy from the rules of docs/SCREENING.md; tests/verify_run.py checks the indices the screen reads;
# thresholds from a [screen] config section change the classes as the rules say; 1 and 2 threads give
# the same datasets; regio info prints the class counts.
# Usage (ctest): bash screen.sh REGIO_BIN PYTHON SOURCE_DIR SCRATCH_DIR SHARED_DATA_DIR
. "$(dirname "$0")/common.bash"
need_tool h5diff hdf5-tools

MAP="$SRC/inputs/categories_naics2017.csv"
OPTS="--sector-levels 2,6 --categories $MAP"

screen_check() { # NAME OUT.h5 [verify_screen options]
  local name=$1 out=$2
  shift 2
  if "$PY" "$SRC/tests/verify_screen.py" "$out" "$@" >"$name.screen" 2>&1; then
    pass "$name: verify_screen.py agrees: $(grep classes "$name.screen" | sed -e 's/^verify_screen: //')"
  else
    fail "$name: verify_screen.py:"
    show "$name.screen" 20
  fi
}

for seed in 1 2; do
  section "planted country, seed $seed"
  "$PY" "$SRC/tests/plant_country.py" planted$seed.csv expected$seed.csv --seed $seed
  if run_expect planted$seed 0 run $OPTS --screen planted$seed.csv -o planted$seed.h5; then
    screen_check planted$seed planted$seed.h5 --expected expected$seed.csv
    verify planted${seed}_indices planted$seed.h5 $OPTS planted$seed.csv
  fi
done

section "thresholds from a [screen] config section"
printf '[run]\nsector-levels = 2,6\n[screen]\noffice-lq = 5\namenity-lq = 1.5\nthin-employment = 3000\n' >strict.ini
if run_expect strict 0 run --config strict.ini --categories "$MAP" planted1.csv -o strict.h5; then
  screen_check strict strict.h5 --config strict.ini
  h5_check "strict: no CBD or CLD at office LQ 5; districts under 3000 employees are thin" strict.h5 "
cls = f['/screen/class'][()]
codes = list(f['/districts/code'].asstr()[:])
assert not (cls == 3).any() and not (cls == 4).any(), np.bincount(cls)
emp = f['/districts/employment'][()]
assert ((emp < 3000) == (cls == 0)).all()
assert float(f['/screen'].attrs['office_lq']) == 5.0
cfg = f['/provenance'].attrs['config']
cfg = cfg.decode() if isinstance(cfg, bytes) else cfg
assert '[screen]' in cfg and 'office-lq = 5' in cfg, cfg
"
  # the effective configuration reproduces the run
  "$PY" -c "import h5py,sys; c=h5py.File('strict.h5')['/provenance'].attrs['config']; open('strict_effective.ini','w').write(c.decode() if isinstance(c, bytes) else c)"
  run_expect strict_again 0 run --config strict_effective.ini -o strict_again.h5 &&
    same_datasets strict_reproduced strict.h5 strict_again.h5
fi
printf '[screen]\noffice-lq = many\n' >bad.ini
run_expect bad_screen_value 2 run --config bad.ini $OPTS --screen planted1.csv -o bad.h5
printf '[screen]\noffice-categories = offices\n' >unknown_cat.ini
run_expect unknown_category 2 run --config unknown_cat.ini $OPTS --screen planted1.csv -o bad.h5
run_expect screen_needs_categories 2 run --sector-levels 2,6 --screen planted1.csv -o bad.h5

section "value-chain coherence with an IO table (demo establishments, KSIC map, demo IO table)"
if run_expect gen_demo 0 gen --preset demo --seed 3 -o demo.csv; then
  if run_expect demo_io 0 run --sector-levels 2,5 --categories "$SRC/inputs/categories_ksic10.csv" --screen \
    --io-table "$SRC/inputs/demo_io_table.csv" --io-output-row "Total output" --io-household-col Households \
    --io-sector-map "$SRC/inputs/demo_io_sector_map.csv" demo.csv -o demo_io.h5; then
    screen_check demo_io demo_io.h5 --io-sector-map "$SRC/inputs/demo_io_sector_map.csv"
    h5_check "demo_io: value-chain scores in [0, 1] for most districts" demo_io.h5 "
v = f['/screen/scores/value_chain'][()]
assert np.isfinite(v).mean() > 0.5 and np.nanmin(v) >= 0 and np.nanmax(v) <= 1, v
"
  fi
fi

section "threads and regio info"
run_expect planted_t1 0 run $OPTS --screen --threads 1 planted1.csv -o planted_t1.h5 &&
  same_datasets screen_threads planted1.h5 planted_t1.h5
if run_expect info 0 info planted1.h5; then
  if grep -q "innovation_district *4" info.out && grep -q "specialised_cluster *4" info.out; then
    pass "info: prints the class counts"
  else
    fail "info: no class counts"
    show info.out 40
  fi
fi

finish
