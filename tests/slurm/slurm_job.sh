#!/usr/bin/env bash
# The Slurm batch templates (scripts/slurm/*.sbatch) run for real: starts a single-node Slurm on this
# machine (scripts/slurm/local-cluster.sh: munged, slurmctld and slurmd, state in a folder under
# /tmp), submits the templates with sbatch on generated tables, waits for the jobs by polling
# `scontrol show job` (no accounting daemon, so no sacct), and checks that each result file equals a
# direct `regio run` of the same inputs (h5diff, /provenance excluded). Then stops every daemon and
# checks that no process of the cluster is left.
#
#   bash tests/slurm/slurm_job.sh REGIO_BIN PYTHON SOURCE_DIR SCRATCH_DIR   (ctest -L slurm)
#
# Installs the Debian packages slurmd, slurmctld, slurm-client and munge when they are missing
# (scripts/install-deps.sh --slurm; REGIO_TEST_SLURM_INSTALL=0 skips instead). Skips (exit 77) when
# it cannot run: not root and no password-less sudo, or the packages cannot be installed.
# REGIO_TEST_SLURM_MPI_REGIO=/path/to/build-mpi/regio also runs the template with 2 tasks on that
# MPI build (srun --mpi=pmix, then mpirun) and compares with the serial result.
source "$(dirname "${BASH_SOURCE[0]}")/../cli/common.bash"

T0=$SECONDS
CLUSTER_SH=$SRC/scripts/slurm/local-cluster.sh
TEMPLATE=$SRC/scripts/slurm/regio.sbatch
ARRAY=$SRC/scripts/slurm/regio-array.sbatch
JOB_TIMEOUT=${REGIO_TEST_SLURM_TIMEOUT:-120}

# --- can it run here?
if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
else
  skip_test "starting slurmctld, slurmd and munged needs root (or password-less sudo); this is uid $(id -u)"
fi
missing=()
for tool in munged slurmctld slurmd sbatch scontrol squeue; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "${REGIO_TEST_SLURM_INSTALL:-1}" = 0 ]; then
    skip_test "missing ${missing[*]} (scripts/install-deps.sh --slurm installs them; REGIO_TEST_SLURM_INSTALL=0)"
  fi
  section "installing Slurm and munge (missing: ${missing[*]})"
  t=$SECONDS
  if ! "${SUDO[@]}" "$SRC/scripts/install-deps.sh" --slurm >install.log 2>&1; then
    show install.log
    skip_test "scripts/install-deps.sh --slurm failed (no package registry?): cannot install Slurm"
  fi
  echo "installed in $((SECONDS - t)) s"
fi
need_tool h5diff hdf5-tools

# --- the cluster; stopped on every way out
CLUSTER=$(mktemp -d /tmp/regio-slurm.XXXXXX) || exit 1
export SLURM_CONF=$CLUSTER/etc/slurm.conf
stop_cluster() {
  [ -n "${CLUSTER:-}" ] || return 0
  local dir=$CLUSTER
  CLUSTER=
  "${SUDO[@]}" "$CLUSTER_SH" stop "$dir" >stop.log 2>&1
  local rc=$?
  cat stop.log
  mkdir -p cluster-logs && cp -r "$dir/log/." "$dir/etc/slurm.conf" cluster-logs/ 2>/dev/null
  "${SUDO[@]}" rm -rf "$dir"
  return $rc
}
trap 'stop_cluster; exit 1' INT TERM HUP
trap 'stop_cluster' EXIT

section "a single-node Slurm in $CLUSTER"
t=$SECONDS
if "${SUDO[@]}" "$CLUSTER_SH" start "$CLUSTER" $$ >start.log 2>&1; then
  pass "local-cluster.sh start: daemons up, node idle ($((SECONDS - t)) s): $(tail -n 1 start.log)"
else
  rc=$?
  cat start.log
  if [ "$rc" -eq 3 ]; then skip_test "cannot start a local Slurm (see above)"; fi
  fail "local-cluster.sh start exited $rc"
  finish
fi
CPUS=$(scontrol show node -o | sed -n 's/.*CPUTot=\([0-9]*\).*/\1/p' | head -n 1)
CPUS=${CPUS:-1}

# submit NAME sbatch-args...: submits, prints nothing, records the job id in JOB_<NAME>
submit() {
  local name=$1
  shift
  local id
  if id=$(sbatch --parsable --chdir="$SCRATCH" "$@" 2>"$name.submit"); then
    id=${id%%;*}
    printf -v "JOB_$name" '%s' "$id"
    pass "$name: sbatch $* -> job $id"
  else
    fail "$name: sbatch $* failed:"
    show "$name.submit"
    printf -v "JOB_$name" '%s' ""
  fi
}

# wait_jobs ID...: polls until none of the jobs (array tasks included) is pending or running
wait_jobs() {
  local t0=$SECONDS id active
  while :; do
    active=0
    for id in "$@"; do
      [ -n "$id" ] || continue
      if scontrol show job -o "$id" 2>/dev/null | grep -qE 'JobState=(PENDING|CONFIGURING|RUNNING|COMPLETING|SUSPENDED)'; then
        active=1
      fi
    done
    [ $active -eq 0 ] && return 0
    if [ $((SECONDS - t0)) -ge "$JOB_TIMEOUT" ]; then
      fail "jobs $* still not finished after $JOB_TIMEOUT s:"
      squeue | sed -e 's/^/    | /'
      return 1
    fi
    sleep 0.2
  done
}

# expect_job NAME ID STATE EXIT: the job (every task of an array) ended in STATE with exit code EXIT
expect_job() {
  local name=$1 id=$2 want_state=$3 want_exit=$4 line n=0 bad=0
  [ -n "$id" ] || { fail "$name: no job"; return 1; }
  while IFS= read -r line; do
    n=$((n + 1))
    local state exit task
    state=$(tr ' ' '\n' <<<"$line" | sed -n 's/^JobState=//p')
    exit=$(tr ' ' '\n' <<<"$line" | sed -n 's/^ExitCode=//p')
    task=$(tr ' ' '\n' <<<"$line" | sed -n 's/^ArrayTaskId=//p')
    if [ "$state" != "$want_state" ] || [ "$exit" != "$want_exit" ]; then
      fail "$name: job $id${task:+_$task} is $state, exit $exit; expected $want_state, exit $want_exit"
      bad=1
    fi
  done < <(scontrol show job -o "$id" 2>/dev/null)
  if [ $n -eq 0 ]; then
    fail "$name: scontrol does not know job $id"
    return 1
  fi
  [ $bad -eq 0 ] && pass "$name: job $id: $n job record(s) (array tasks) $want_state, exit code $want_exit"
  return $bad
}

# same_h5 NAME A B: equal datasets, /provenance (input paths, command line) excluded
same_h5() {
  local name=$1 a=$2 b=$3
  if [ ! -f "$a" ]; then
    fail "$name: the job wrote no $a"
    return 1
  fi
  if h5diff -r --exclude-path /provenance "$a" "$b" >"$name.h5diff" 2>&1; then
    pass "$name: h5diff --exclude-path /provenance finds $a and $b identical"
  else
    fail "$name: $a and $b differ:"
    show "$name.h5diff" 20
  fi
}

# ranks_were NAME FILE N: the file's /provenance says N processes wrote it (so the MPI jobs did run
# as N ranks, not as one process each)
ranks_were() {
  local name=$1 f=$2 want=$3 got
  [ -f "$f" ] || return 0
  got=$(h5dump -a /provenance/processes "$f" 2>/dev/null | sed -n 's/^ *(0): *\([0-9]*\).*/\1/p')
  if [ "$got" = "$want" ]; then
    pass "$name: /provenance processes = $want"
  else
    fail "$name: /provenance processes is '$got', expected $want"
  fi
}

# --- inputs and the direct runs to compare with
section "inputs: generated tables; the same runs without Slurm"
"$REGIO" gen --preset demo -o demo.csv 2>gen.err || { fail "regio gen"; show gen.err; }
"$REGIO" gen --preset demo --seed 7 -o demo7.csv.gz 2>>gen.err || { fail "regio gen"; show gen.err; }
"$REGIO" gen --preset demo --seed 11 --rows 5000 -o demo11.csv 2>>gen.err || { fail "regio gen"; show gen.err; }
OPTS=(--sector-levels 2,5 --categories "$SRC/inputs/categories_ksic10.csv" --screen)
run_expect direct 0 run "${OPTS[@]}" demo.csv demo7.csv.gz -q -o direct.h5
run_expect direct7 0 run --sector-levels 2,5 demo7.csv.gz -q -o direct7.h5
run_expect direct11 0 run --sector-levels 2,5 --on-bad-row skip demo11.csv -q -o direct11.h5
run_expect direct_plain 0 run demo11.csv -q -o direct_plain.h5
mkdir -p out

# --- the template: arguments, variables, mpirun, a serial binary as 2 tasks, the job array
section "sbatch regio.sbatch"
export REGIO
submit args -c "$CPUS" --mem=1G --time=5 -o args.log "$TEMPLATE" "${OPTS[@]}" demo.csv demo7.csv.gz -o out/args.h5
REGIO_INPUTS=demo11.csv REGIO_OUTPUT=$SCRATCH/out/vars.h5 submit vars -c 1 --mem=512M -o vars.log "$TEMPLATE"
REGIO_LAUNCHER=mpirun submit mpirun -c 1 --mem=512M -o mpirun.log "$TEMPLATE" demo11.csv -o out/mpirun.h5
submit serial2 --ntasks-per-node=2 -c 1 --mem=512M -o serial2.log "$TEMPLATE" demo11.csv -o out/serial2.h5
printf '%s\n' '# output   inputs and per-run options' '' 'out/array7.h5  demo7.csv.gz' \
  'out/array11.h5 --on-bad-row skip demo11.csv' >jobs.list
submit array --array=1-2 -c 1 --mem=512M -o 'array-%a.log' "$ARRAY" jobs.list --sector-levels 2,5
if [ -n "${REGIO_TEST_SLURM_MPI_REGIO:-}" ]; then
  REGIO=$REGIO_TEST_SLURM_MPI_REGIO submit mpi_srun -n 2 --ntasks-per-node=2 -c 1 --mem=1G -o mpi_srun.log "$TEMPLATE" "${OPTS[@]}" demo.csv demo7.csv.gz -o out/mpi_srun.h5
  REGIO=$REGIO_TEST_SLURM_MPI_REGIO REGIO_LAUNCHER=mpirun submit mpi_mpirun -n 2 --ntasks-per-node=2 -c 1 --mem=1G -o mpi_mpirun.log "$TEMPLATE" "${OPTS[@]}" demo.csv demo7.csv.gz -o out/mpi_mpirun.h5
fi

t=$SECONDS
wait_jobs "${JOB_args:-}" "${JOB_vars:-}" "${JOB_mpirun:-}" "${JOB_serial2:-}" "${JOB_array:-}" "${JOB_mpi_srun:-}" "${JOB_mpi_mpirun:-}"
echo "jobs finished in $((SECONDS - t)) s"

section "results"
expect_job args "${JOB_args:-}" COMPLETED 0:0 || show args.log
same_h5 args out/args.h5 direct.h5
grep_file args_threads args.log "regio run --threads $CPUS " "the template passes --threads \$SLURM_CPUS_PER_TASK ($CPUS)"
expect_job vars "${JOB_vars:-}" COMPLETED 0:0 || show vars.log
same_h5 vars out/vars.h5 direct_plain.h5
expect_job mpirun "${JOB_mpirun:-}" COMPLETED 0:0 || show mpirun.log
same_h5 mpirun out/mpirun.h5 direct_plain.h5
expect_job serial2 "${JOB_serial2:-}" FAILED 2:0 || show serial2.log
grep_file serial2_message serial2.log "is the serial build; it runs as one task, not 2" "a serial binary is not started as 2 tasks"
[ ! -e out/serial2.h5 ] && pass "serial2: no output file" || fail "serial2: out/serial2.h5 exists"
expect_job array "${JOB_array:-}" COMPLETED 0:0 || show array-1.log
same_h5 array7 out/array7.h5 direct7.h5
same_h5 array11 out/array11.h5 direct11.h5
if [ -n "${REGIO_TEST_SLURM_MPI_REGIO:-}" ]; then
  expect_job mpi_srun "${JOB_mpi_srun:-}" COMPLETED 0:0 || show mpi_srun.log
  same_h5 mpi_srun out/mpi_srun.h5 direct.h5
  ranks_were mpi_srun_ranks out/mpi_srun.h5 2
  expect_job mpi_mpirun "${JOB_mpi_mpirun:-}" COMPLETED 0:0 || show mpi_mpirun.log
  same_h5 mpi_mpirun out/mpi_mpirun.h5 direct.h5
  ranks_were mpi_mpirun_ranks out/mpi_mpirun.h5 2
fi

# --- the launch paths of the MPI build, with a small MPI program (until regio's MPI mode runs
# under the template: REGIO_TEST_SLURM_MPI_REGIO above)
section "MPI under Slurm: srun --mpi=pmix, mpirun inside an allocation"
if command -v mpicc >/dev/null 2>&1 && mpicc -O1 -o mpi_hello "$SRC/tests/slurm/mpi_hello.c" 2>mpicc.err; then
  want=$'rank 0 of 2 sum 1\nrank 1 of 2 sum 1'
  got=$(timeout 120 srun -n 2 -c 1 --mem=256M --mpi=pmix ./mpi_hello 2>srun_pmix.err | sort)
  [ "$got" = "$want" ] && pass "srun -n 2 --mpi=pmix: 2 ranks, MPI_Allreduce right" ||
    { fail "srun -n 2 --mpi=pmix ./mpi_hello printed '$got'"; show srun_pmix.err; }
  root=()
  [ "$(id -u)" -eq 0 ] && root=(--allow-run-as-root)
  got=$(timeout 120 salloc -n 2 -c 1 --mem=256M mpirun "${root[@]}" ./mpi_hello 2>salloc_mpirun.err | sort)
  [ "$got" = "$want" ] && pass "salloc -n 2 mpirun: 2 ranks, MPI_Allreduce right" ||
    { fail "salloc -n 2 mpirun ./mpi_hello printed '$got'"; show salloc_mpirun.err; }
else
  echo "no mpicc (Debian libopenmpi-dev): the MPI launch checks are left out"
  [ -f mpicc.err ] && show mpicc.err
fi

section "stopping the cluster"
dir=$CLUSTER
pids=$(cat "$dir"/run/*.pid 2>/dev/null | tr '\n' ' ')
t=$SECONDS
if stop_cluster; then
  pass "local-cluster.sh stop: daemons stopped, no process of the cluster left ($((SECONDS - t)) s)"
else
  fail "local-cluster.sh stop reported processes left (above)"
fi
left=""
for p in $pids; do kill -0 "$p" 2>/dev/null && left="$left $p"; done
[ -z "$left" ] && pass "munged, slurmctld and slurmd (pids $pids) are gone" || fail "still running:$left"
echo "total $((SECONDS - T0)) s"
finish
