# --actor-col: employment by actor type per district (/actors) and helix diversity
# (/districts/helix_diversity), checked against a plain-Python recomputation from the CSV itself
# (exact decimal sums, then the entropy); the same for 1 and 2 threads and tiny blocks; errors: an
# empty actor (fail names file, line and column; skip counts it), a 17th actor type.
# Usage (ctest): bash actors.sh REGIO_BIN PYTHON SOURCE_DIR SCRATCH_DIR SHARED_DATA_DIR
. "$(dirname "$0")/common.bash"
need_tool h5diff hdf5-tools

section "a table with actor types"
"$PY" - <<'PYEOF'
import random
random.seed(7)
actors = ["firm", "university", "research", "government", '"civil society, NGOs"', '"the ""third"" sector"']
with open("est.csv", "w") as f:
    f.write("district,sector,employees,actor\n")
    for i in range(30000):
        d = "D%03d" % random.randrange(60)
        # district D000 is all firms (entropy 0); D001 has none of its own rows here
        if d == "D001":
            d = "D000"
        a = "firm" if d == "D000" else random.choice(actors)
        e = random.choice(["1", "2.5", "0.125", "13", "0", "7.75"])
        f.write("%s,%d,%s,%s\n" % (d, random.randrange(100, 140), e, a))
PYEOF
run_expect actors_t1 0 run est.csv --actor-col actor --threads 1 -o t1.h5 || finish
run_expect actors_t2 0 run est.csv --actor-col actor --threads 2 -o t2.h5
same_datasets threads_1_2 t1.h5 t2.h5
h5_check helix_independent t1.h5 "
import csv, math
from decimal import Decimal
emp = {}
for row in csv.DictReader(open('est.csv', newline='')):
    key = (row['district'], row['actor'])
    emp[key] = emp.get(key, Decimal(0)) + Decimal(row['employees'])
districts = sorted({d for d, _ in emp})
actors = sorted({a for _, a in emp}, key=lambda s: s.encode())
got_actors = [c.decode() for c in f['/actors/code'][:]]
assert got_actors == actors, (got_actors, actors)
codes = [c.decode() for c in f['/districts/code'][:]]
assert codes == districts, 'districts differ'
E = f['/actors/employment'][:]
H = f['/districts/helix_diversity'][:]
worst = 0.0
for i, d in enumerate(districts):
    row = [emp.get((d, a), Decimal(0)) for a in actors]
    for j, v in enumerate(row):
        assert E[i, j] == float(v), (d, actors[j], E[i, j], v)
    total = sum(row)
    h = -sum(float(v / total) * math.log2(float(v / total)) for v in row if v > 0) if total > 0 else float('nan')
    if math.isnan(h):
        assert math.isnan(H[i]), (d, H[i])
    else:
        worst = max(worst, abs(H[i] - h))
assert worst <= 1e-12, worst
assert H[codes.index('D000')] == 0.0
assert abs(H.max() - math.log2(6)) < 0.05, H.max()
print('helix diversity agrees to', worst)
"
run_expect without_actor 0 run est.csv --threads 2 -o plain.h5
h5_check no_actor_datasets plain.h5 "
assert 'actors' not in f and 'helix_diversity' not in f['/districts']
"

section "errors"
printf 'district,sector,employees,actor\nD1,11,1,firm\nD2,11,2,\n' >empty.csv
run_expect empty_actor 3 run empty.csv --actor-col actor -o x.h5 &&
  grep_file empty_actor_message empty_actor.err "empty.csv:3: column 'actor' (field 4): empty code" "names file, line, column"
run_expect empty_actor_skip 0 run empty.csv --actor-col actor --on-bad-row skip -o skip.h5 &&
  grep_file empty_actor_counted empty_actor_skip.err "empty_code" "the skipped row is counted"
"$PY" -c "
with open('many.csv', 'w') as f:
    f.write('district,sector,employees,actor\n')
    for k in range(17):
        f.write('D1,11,1,type%02d\n' % k)
"
run_expect too_many_actors 3 run many.csv --actor-col actor -o x.h5 &&
  grep_file too_many_message too_many_actors.err 'many.csv:18: column' "names the 17th type's line"
# 9 types in the first half, 8 others in the second: no thread need see 17 on its own, and the
# type named is the 17th in file order (row 20,008, line 20,009) for any thread count
"$PY" -c "
with open('spread.csv', 'w') as f:
    f.write('district,sector,employees,actor\\n')
    for i in range(40000):
        t = i % 9 if i < 20000 else 9 + (i - 20000) % 8
        f.write('D%d,%d,1,type%02d\\n' % (i % 300, i % 40, t))
"
for t in 1 2 4 8; do
  run_expect "spread_t$t" 3 run spread.csv --actor-col actor --threads $t -o x.h5 &&
    grep_file "spread_message_t$t" "spread_t$t.err" 'spread.csv:20009: column '"'"'actor'"'"' (field 4): "type16" is a 17th' \
      "names the 17th type in file order with $t threads"
done
run_expect missing_actor_col 3 run est.csv --actor-col role -o x.h5 &&
  grep_file missing_actor_message missing_actor_col.err "no column 'role'" "names the missing column"
finish
