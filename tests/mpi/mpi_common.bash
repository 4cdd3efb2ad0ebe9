# Shared helpers of the tests of the distributed mode (sourced by tests/mpi/*.sh after
# tests/cli/common.bash). Environment: MPIEXEC (default mpirun), REGIO_SERIAL_BIN (optional: the
# serial build's regio, whose output must match too).
need_tool h5diff hdf5-tools
MPIEXEC=${MPIEXEC:-mpirun}
MPI_FLAGS=(--oversubscribe)
[ "$(id -u)" -eq 0 ] && MPI_FLAGS+=(--allow-run-as-root)
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive

# mpi_expect NAME RANKS EXPECTED_RC ARGS...: `regio ARGS` on RANKS ranks, stdout/stderr in NAME.out/err
mpi_expect() {
  local name=$1 ranks=$2 want=$3
  shift 3
  "$MPIEXEC" "${MPI_FLAGS[@]}" -np "$ranks" "$REGIO" "$@" >"$name.out" 2>"$name.err"
  local rc=$?
  if [ "$rc" -ne "$want" ]; then
    fail "$name: 'mpirun -np $ranks regio $*' exited $rc, expected $want:"
    show "$name.err"
    return 1
  fi
  pass "$name: 'mpirun -np $ranks regio $*' exited $rc"
}

# mpi_rank1_elsewhere NAME RC MESSAGE OUT ARGS...: `regio ARGS` on 2 ranks, rank 0 in the scratch
# folder and rank 1 in its subfolder elsewhere/, which holds no files: a relative path there is one
# that rank 1 alone cannot open (a file or folder on one node's own disk). Every rank must stop
# with RC, the message MESSAGE and no output file OUT; a rank that goes on alone into a collective
# call hangs, stopped after MPI_HANG_TIMEOUT seconds (default 120: exit 124).
mpi_rank1_elsewhere() {
  local name=$1 want=$2 message=$3 out=$4
  shift 4
  mkdir -p elsewhere
  timeout "${MPI_HANG_TIMEOUT:-120}" "$MPIEXEC" "${MPI_FLAGS[@]}" -np 1 -wdir "$PWD" "$REGIO" "$@" : \
    -np 1 -wdir "$PWD/elsewhere" "$REGIO" "$@" >"$name.out" 2>"$name.err"
  local rc=$?
  if [ "$rc" -eq "$want" ] && grep -qF -- "$message" "$name.err" && [ ! -e "$out" ] && ! ls "$out".tmp* >/dev/null 2>&1; then
    pass "$name: rank 1 alone failed, every rank stopped (exit $rc): $message"
  else
    fail "$name: exited $rc (124: timed out, a rank hung), expected $want, '$message' and no output $out:"
    show "$name.err"
  fi
}

# ranks_same_error NAME RC ARGS...: `regio ARGS` fails with RC in one process (NAME_one) and on 2
# and 4 ranks (NAME_npN) with the same error message
ranks_same_error() {
  local name=$1 want=$2
  shift 2
  run_expect "${name}_one" "$want" "$@" || return 1
  local message
  message=$(grep 'error:' "${name}_one.err" | head -1)
  for n in 2 4; do
    if mpi_expect "${name}_np$n" "$n" "$want" "$@"; then
      if grep -qF "$message" "${name}_np$n.err"; then
        pass "${name}_np$n: the message of one process: $message"
      else
        fail "${name}_np$n: the message differs from one process's:"
        show "${name}_np$n.err"
      fi
    fi
  done
}

# ranks_agree NAME ARGS... (ARGS end with the output option's value as NAME_REF.h5 implied):
# one process, then 1..4 ranks, each compared with the one-process file
ranks_agree() {
  local name=$1
  shift
  run_expect "${name}_one" 0 run "$@" --threads 1 -o "${name}_one.h5" || return 1
  if [ -n "${REGIO_SERIAL_BIN:-}" ] && [ -x "$REGIO_SERIAL_BIN" ]; then
    if "$REGIO_SERIAL_BIN" run "$@" --threads 1 -o "${name}_serial.h5" >"${name}_serial.out" 2>&1; then
      same_datasets "${name}_serial_build" "${name}_serial.h5" "${name}_one.h5"
    else
      fail "${name}_serial_build: the serial build failed:"
      show "${name}_serial.out"
    fi
  fi
  for n in 1 2 3 4; do
    mpi_expect "${name}_np$n" "$n" 0 run "$@" --threads 1 -o "${name}_np$n.h5" &&
      same_datasets "${name}_np${n}_same" "${name}_one.h5" "${name}_np$n.h5"
  done
  if run_expect "${name}_info3" 0 info "${name}_np3.h5" && grep -q "^processes: *3 (MPI ranks)$" "${name}_info3.out"; then
    pass "${name}: regio info names the 3 processes"
  else
    fail "${name}: regio info on the 3-process file:"
    show "${name}_info3.out"
  fi
  "$PY" - "${name}_one.h5" "${name}_np3.h5" <<'PYEOF' >"$name.prov" 2>&1 && pass "$name: provenance datasets equal, processes 1 and 3" || { fail "$name: provenance:"; show "$name.prov"; }
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1], 'r'), h5py.File(sys.argv[2], 'r')
for k in ('path', 'bytes', 'sha256', 'rows_read', 'rows_used', 'rows_skipped', 'first_skipped_line'):
    x, y = a['/provenance/inputs/' + k][()], b['/provenance/inputs/' + k][()]
    assert np.array_equal(x, y), (k, x, y)
pa, pb = a['/provenance'].attrs, b['/provenance'].attrs
if 'processes' in pa:
    assert int(pa['processes']) == 1 and int(pb['processes']) == 3, (pa['processes'], pb['processes'])
PYEOF
}


# same_storage NAME A.h5 B.h5: every dataset of A has B's chunk layout, filters and raw chunk bytes
# (the ranks compress the chunks of their own rows, rank 0 those that straddle two ranks' rows, and
# rank 0 writes them: the chunks one process writes)
same_storage() {
  local name=$1
  "$PY" - "$2" "$3" <<'PYEOF' >"$name.storage" 2>&1 && pass "$name: the same chunks, byte for byte" || { fail "$name: storage:"; show "$name.storage"; }
import sys, h5py
a, b = h5py.File(sys.argv[1], 'r'), h5py.File(sys.argv[2], 'r')
n = 0
def check(name, d):
    global n
    if not isinstance(d, h5py.Dataset) or name.startswith('provenance'):
        return
    e = b[name]
    assert d.chunks == e.chunks and d.compression == e.compression and d.shuffle == e.shuffle, name
    if d.chunks:
        assert d.id.get_num_chunks() == e.id.get_num_chunks(), name
        for i in range(d.id.get_num_chunks()):
            at = d.id.get_chunk_info(i).chunk_offset
            assert d.id.read_direct_chunk(at) == e.id.read_direct_chunk(at), (name, at)
            n += 1
a.visititems(check)
assert n > 0
print(n, 'chunks')
PYEOF
}
