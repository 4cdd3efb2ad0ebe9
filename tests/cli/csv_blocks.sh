# The parallel reader cuts files into blocks and sub-ranges at record boundaries found from the
# quote state. This table (about 27 MB, made here) is hostile to that: quoted fields with newlines,
# doubled quotes and delimiters everywhere, CRLF and LF line ends mixed, quoted codes with doubled
# quotes, blank lines, and two records with a quoted field of 3 MB and 10 MB (longer than a block
# of one thread). Plain and gzip, 1 and 2 threads: every run is checked by tests/verify_run.py and
# all give the same datasets.
# Usage (ctest): bash csv_blocks.sh REGIO_BIN PYTHON SOURCE_DIR SCRATCH_DIR SHARED_DATA_DIR
. "$(dirname "$0")/common.bash"
need_tool h5diff hdf5-tools

section "make the table"
"$PY" - <<'EOF' || fail "could not make the table"
import random
rng = random.Random(20240607)
out = open("hostile.csv", "w", newline="", encoding="utf-8")
out.write('id,name,district,sector,employees,note\r\n')
names = ['plain', 'a, b', 'say ""hi""', 'two\nlines', 'three\r\nline\nmix', '""', ',,,', '\n', 'x""\n""y']
n = 0
while n < 400000:
    n += 1
    end = '\r\n' if rng.random() < 0.5 else '\n'
    name = rng.choice(names)
    if n in (150000, 300000):  # giant quoted fields: longer than a sub-range, then than a block
        size = (3 << 20) if n == 150000 else (10 << 20)
        piece = 'long "" field, with\nnewlines '
        name = (piece * (size // len(piece) + 1))[:size]
    district = '%02d%03d' % (rng.randrange(1, 9), rng.randrange(40))
    if rng.random() < 0.01:
        district = '"%s""q"' % district  # a quoted district code with a doubled quote
    sector = '%d%04d' % (rng.randrange(1, 10), rng.randrange(60))
    if rng.random() < 0.05:
        sector = '"%s"' % sector
    emp = rng.choice(['1', '2.5', '0', '13', '0.125', '"7"', '1000', '3.250'])
    note = rng.choice(['', '"q"', '"a\nb"', 'z'])
    out.write('%d,"%s",%s,%s,%s,%s%s' % (n, name, district, sector, emp, note, end))
    if rng.random() < 0.001:
        out.write(end)  # a blank line
out.close()
EOF
ls -l hostile.csv | awk '{print "    hostile.csv: " $5 " bytes"}'
gzip -c -1 hostile.csv >hostile.csv.gz

LEVELS="--sector-levels 1,3,5"
for t in 1 2; do
  section "plain file, $t thread(s)"
  run_expect plain_t$t 0 run $LEVELS --threads $t hostile.csv -o plain_t$t.h5
  section "gzip file, $t thread(s)"
  run_expect gzip_t$t 0 run $LEVELS --threads $t hostile.csv.gz -o gzip_t$t.h5
done
verify plain plain_t1.h5 $LEVELS hostile.csv
verify gzip gzip_t2.h5 $LEVELS hostile.csv.gz
same_datasets plain_threads plain_t1.h5 plain_t2.h5
same_datasets gzip_threads gzip_t1.h5 gzip_t2.h5
same_datasets plain_vs_gzip plain_t1.h5 gzip_t1.h5 --exclude-path /provenance

finish
