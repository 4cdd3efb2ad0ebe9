#!/usr/bin/env bash
# The writer of the distributed mode (label mpi): the file written by 1 to 4 ranks, each
# holding a block of the districts (even, uneven, with ranks holding none), must equal the serial
# `regio run` output of the same inputs: h5diff of everything except the attributes of /provenance,
# and those compared one by one by h5py except `processes` (the rank count, which differs by
# construction); every dataset's chunks byte for byte (the demo's 60 districts make one chunk band,
# shared by all the ranks: rank 0 compresses it from their rows). A rank that fails alone while the file is written must make every rank fail and
# leave the previous output in place, with no temporary file.
#
# Usage: mpi_write.sh REGIO MPI_WRITE PYTHON SOURCE_DIR SCRATCH MPIEXEC H5DIFF
set -u
regio=$1 mpi_write=$2 python=$3 src=$4 scratch=$5 mpiexec=$6 h5diff=$7
export OMP_NUM_THREADS=1
rm -rf "$scratch" && mkdir -p "$scratch" && cd "$scratch" || exit 1

mpi_flags=(--oversubscribe)
[ "$(id -u)" = 0 ] && mpi_flags+=(--allow-run-as-root)
inputs="$src/inputs"
est="$inputs/demo_establishments.csv" cat_map="$inputs/categories_ksic10.csv"
io_table="$inputs/demo_io_table.csv" io_map="$inputs/demo_io_sector_map.csv"

failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

# The serial reference: the options mpi_write.c hard-codes.
if ! "$regio" run "$est" --district-col district --sector-col sector --employees-col employees \
  --sector-levels 2,5 --categories "$cat_map" --screen --threads 1 -o ref.h5 \
  --io-table "$io_table" --io-output-row 'Total output' --io-compensation-row 'Compensation of employees' \
  --io-employment-row Employment --io-household-col Households --io-sector-map "$io_map" --regionalize flq \
  --quiet; then
  echo "FAIL: the serial run"
  exit 1
fi
"$python" - ref.h5 <<'PY' || exit 1
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    p = f["provenance"].attrs
    open("command_line.txt", "w", encoding="utf-8", newline="").write(p["command_line"])
    open("config.ini", "w", encoding="utf-8", newline="").write(p["config"])
    assert int(p["processes"]) == 1, p["processes"]
PY

# Compares out.h5 with the reference; $2 is the expected process count.
compare() {
  local out=$1 ranks=$2
  if ! "$h5diff" --exclude-attribute /provenance ref.h5 "$out" >"$out.diff" 2>&1; then
    fail "$out differs from the serial output:"
    head -40 "$out.diff"
    return
  fi
  "$python" - ref.h5 "$out" "$ranks" <<'PY' || fail "$out: /provenance attributes"
import sys, h5py, numpy as np
ref, out, ranks = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r"), int(sys.argv[3])
a, b = dict(ref["provenance"].attrs), dict(out["provenance"].attrs)
assert int(b.pop("processes")) == ranks, "processes"
a.pop("processes")
assert sorted(a) == sorted(b), (sorted(a), sorted(b))
for k in a:
    assert np.array_equal(np.asarray(a[k]), np.asarray(b[k])), k
# h5diff compares values; the types and shapes too, here, for every dataset
def walk(g, path=""):
    for k, v in g.items():
        if isinstance(v, h5py.Group):
            yield from walk(v, path + "/" + k)
        else:
            yield path + "/" + k, v
mine = dict(walk(out))
for name, d in walk(ref):
    e = mine.pop(name)
    assert d.dtype == e.dtype and d.shape == e.shape, name
    x, y = d[()], e[()]
    if d.dtype.kind == "f":
        assert np.array_equal(x.view(np.uint64) if x.ndim else np.float64(x).view(np.uint64),
                              y.view(np.uint64) if y.ndim else np.float64(y).view(np.uint64)), name
    # the storage too: rank 0 writes the chunks one process writes, byte for byte
    assert d.chunks == e.chunks and d.compression == e.compression and d.shuffle == e.shuffle, name
    if d.chunks:
        assert d.id.get_num_chunks() == e.id.get_num_chunks(), name
        for i in range(d.id.get_num_chunks()):
            at = d.id.get_chunk_info(i).chunk_offset
            assert d.id.read_direct_chunk(at) == e.id.read_direct_chunk(at), (name, at)
assert not mine, sorted(mine)
PY
}

run_ranks() {
  local ranks=$1 mode=$2 out=$3
  "$mpiexec" "${mpi_flags[@]}" -np "$ranks" "$mpi_write" "$est" "$cat_map" "$io_table" "$io_map" command_line.txt \
    config.ini "$out" "$mode" >"$out.log" 2>&1
}

for case in "1 even" "2 even" "2 uneven" "2 zero" "3 uneven" "3 zero" "4 even" "4 zero"; do
  set -- $case
  out="out_$1_$2.h5"
  if run_ranks "$1" "$2" "$out"; then
    compare "$out" "$1" && echo "ok: $1 ranks, $2 blocks"
  else
    fail "$1 ranks, $2 blocks:"
    cat "$out.log"
  fi
done

# A rank failing alone: every rank reports the error, the previous file stays, no temporary file.
cp ref.h5 kept.h5
cp kept.h5 kept_before.h5
for case in "2 fail" "3 fail" "3 fail0" "2 mismatch"; do
  set -- $case
  if run_ranks "$1" "$2" kept.h5; then
    if ! cmp -s kept.h5 kept_before.h5; then
      fail "$1 ranks, $2: the previous output changed"
    elif ls kept.h5.tmp.* >/dev/null 2>&1; then
      fail "$1 ranks, $2: temporary files left: $(ls kept.h5.tmp.*)"
    else
      echo "ok: $1 ranks, $2: $(grep 'failed as expected' kept.h5.log)"
    fi
  else
    fail "$1 ranks, $2:"
    cat kept.h5.log
  fi
done
ls ./*.tmp.* >/dev/null 2>&1 && fail "temporary files left: $(ls ./*.tmp.*)"

[ "$failures" = 0 ] || exit 1
echo "all passed"
