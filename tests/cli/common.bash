# Shared helpers for the command-line tests in tests/cli/*.sh (sourced, not a test itself: the
# name does not match the *.sh glob of tests/CMakeLists.txt).
#
# Every script is run by ctest as
#   bash script.sh REGIO_BIN PYTHON SOURCE_DIR SCRATCH_DIR SHARED_DATA_DIR
# and exits 0 (pass), 1 (fail) or 77 (skip). A script keeps going after a failed check, so that one
# run lists every failure, and calls `finish` at the end.

if [ $# -lt 4 ]; then
  echo "usage: bash $0 REGIO_BIN PYTHON SOURCE_DIR SCRATCH_DIR [SHARED_DATA_DIR]" >&2
  exit 2
fi
REGIO=$1
PY=$2
SRC=$3
SCRATCH=$4
SHARED=${5:-$SRC/../shared/data}
FAILS=0
CHECKS=0

# the scripts cd into the scratch folder: make the given paths absolute first
abs() { case $1 in /*) printf '%s' "$1" ;; */*) printf '%s/%s' "$PWD" "$1" ;; *) printf '%s' "$1" ;; esac; }
REGIO=$(abs "$REGIO")
PY=$(abs "$PY")
case $SRC in /*) ;; *) SRC=$PWD/$SRC ;; esac
case $SHARED in /*) ;; *) SHARED=$PWD/$SHARED ;; esac
case $SCRATCH in /*) ;; *) SCRATCH=$PWD/$SCRATCH ;; esac
VERIFY="$SRC/tests/verify_run.py"
DATA="$SRC/tests/data"
case $SCRATCH in
  / | "" | "$SRC" | "$SRC/") echo "refusing to use '$SCRATCH' as the scratch folder" >&2; exit 2 ;;
esac

rm -rf "$SCRATCH"
mkdir -p "$SCRATCH" || exit 1
cd "$SCRATCH" || exit 1

if [ ! -x "$REGIO" ]; then
  echo "FAIL: regio binary '$REGIO' is missing or not executable" >&2
  exit 1
fi

section() { printf '\n== %s\n' "$*"; }
pass() {
  CHECKS=$((CHECKS + 1))
  echo "ok: $*"
}
fail() {
  CHECKS=$((CHECKS + 1))
  FAILS=$((FAILS + 1))
  echo "FAIL: $*"
}
skip_test() {
  echo "SKIP: $*"
  exit 77
}
finish() {
  echo
  if [ "$FAILS" -gt 0 ]; then
    echo "$(basename "$0"): $FAILS of $CHECKS checks FAILED"
    exit 1
  fi
  echo "$(basename "$0"): all $CHECKS checks passed"
  exit 0
}

# Shows the end of a file, indented, for failure reports.
show() { sed -e 's/^/    | /' "$1" | tail -n "${2:-15}"; }

# run_expect NAME WANT_RC regio-args...
# Runs `regio ARGS`, stdout and stderr to NAME.out / NAME.err; checks the exit code.
run_expect() {
  local name=$1 want=$2
  shift 2
  local t0=$SECONDS
  "$REGIO" "$@" >"$name.out" 2>"$name.err"
  local rc=$?
  if [ "$rc" -ne "$want" ]; then
    fail "$name: 'regio $*' exited $rc, expected $want (stderr below)"
    show "$name.err"
    return 1
  fi
  pass "$name: 'regio $*' exited $rc ($((SECONDS - t0)) s)"
  return 0
}

# verify NAME OUT.h5 [run options] FILE...   (tests/verify_run.py, output in NAME.verify)
verify() {
  local name=$1
  shift
  local t0=$SECONDS
  "$PY" "$VERIFY" "$@" >"$name.verify" 2>&1
  local rc=$?
  if [ "$rc" -ne 0 ]; then
    fail "$name: verify_run.py exited $rc:"
    grep -E 'MISMATCH|Error|error|FAILED' "$name.verify" | head -n 20 | sed -e 's/^/    | /'
    grep -qE 'MISMATCH|Error|error' "$name.verify" || show "$name.verify"
    return 1
  fi
  pass "$name: verify_run.py agrees ($((SECONDS - t0)) s): $(grep -E 'max rel err' "$name.verify" | sed -e 's/^verify_run: //')"
  return 0
}

# same_datasets NAME A.h5 B.h5 [extra h5diff options]
# Datasets and groups identical (h5diff, NaN = NaN), /provenance attributes (command line,
# configuration) excluded: they legitimately differ between runs with different options.
same_datasets() {
  local name=$1 a=$2 b=$3
  shift 3
  if [ ! -f "$a" ] || [ ! -f "$b" ]; then
    fail "$name: cannot compare, missing file(s): $a $b"
    return 1
  fi
  h5diff -r --exclude-attribute /provenance "$@" "$a" "$b" >"$name.h5diff" 2>&1
  local rc=$?
  if [ "$rc" -ne 0 ]; then
    fail "$name: h5diff $* $a $b found differences (exit $rc):"
    grep -v '^$' "$name.h5diff" | head -n 25 | sed -e 's/^/    | /'
    return 1
  fi
  pass "$name: h5diff finds $a and $b identical${*:+ ($*)}"
  return 0
}

# same_bytes NAME A B
same_bytes() {
  if cmp -s "$2" "$3"; then
    pass "$1: $2 and $3 are byte-identical"
  else
    fail "$1: $2 and $3 differ: $(cmp "$2" "$3" 2>&1 | head -n 1)"
    return 1
  fi
}

# need_tool NAME: fail (not skip) when a tool the test needs is missing
need_tool() {
  command -v "$1" >/dev/null 2>&1 || {
    echo "FAIL: '$1' is not installed (Debian package: ${2:-$1})" >&2
    exit 1
  }
}

# grep_file NAME FILE PATTERN DESCRIPTION: the file must contain the fixed string PATTERN
grep_file() {
  if grep -qF -- "$3" "$2"; then
    pass "$1: $4"
  else
    fail "$1: $4: '$3' not found in $2:"
    show "$2" 10
    return 1
  fi
}

# h5py_check NAME PYTHON-EXPRESSION-OR-CODE FILE: runs code with `f` the open file; an assert
# failure or exception fails the check.
h5_check() {
  local name=$1 file=$2 code=$3
  if "$PY" - "$file" >"$name.h5check" 2>&1 <<EOF; then
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
$code
EOF
    pass "$name"
  else
    fail "$name:"
    show "$name.h5check" 10
    return 1
  fi
}

# split_table IN SEED OUT...: splits a table (plain or gzip) into len(OUT) files by whole records,
# each with the header; SEED > 0 shuffles the records first (0 keeps their order). Record text is
# copied byte for byte (quotes, line ends). Outputs ending in .gz are gzip-compressed.
split_table() {
  "$PY" - "$@" <<'EOF'
import csv, gzip, io, random, sys
src, seed, outs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
with open(src, "rb") as f:
    gz = f.read(2) == b"\x1f\x8b"
with (gzip.open(src, "rb") if gz else open(src, "rb")) as f:
    text = f.read().decode("latin-1")
lines = io.StringIO(text, newline="").readlines()
if lines and not lines[-1].endswith("\n"):
    lines[-1] += "\n"
# group physical lines into records with the csv module's own accounting of lines
reader = csv.reader(iter(lines))
records, prev = [], 0
for _ in reader:
    records.append("".join(lines[prev:reader.line_num]))
    prev = reader.line_num
header, body = records[0], records[1:]
if seed:
    random.Random(seed).shuffle(body)
n = len(outs)
for k, out in enumerate(outs):
    part = body[k * len(body) // n:(k + 1) * len(body) // n]
    data = (header + "".join(part)).encode("latin-1")
    if out.endswith(".gz"):
        with gzip.open(out, "wb", compresslevel=1) as g:
            g.write(data)
    else:
        with open(out, "wb") as g:
            g.write(data)
print("split %s: %d records into %s" % (src, len(body), " ".join(outs)))
EOF
}
