#!/usr/bin/env bash
# A throw-away single-node Slurm cluster on this machine, for testing the sbatch templates
# (tests/slurm/slurm_job.sh) and for trying `srun` / `mpirun` by hand. Not for production.
#
#   scripts/slurm/local-cluster.sh start DIR   # config, munge key, munged, slurmctld, slurmd in DIR
#   export SLURM_CONF=DIR/etc/slurm.conf       # then sbatch, srun, squeue, scontrol ... as usual
#   scripts/slurm/local-cluster.sh stop DIR    # cancels the jobs, stops the daemons, checks none is left
#   scripts/slurm/local-cluster.sh start DIR PID   # ... and stop by itself once process PID has ended
#
# With a PID (a test passes its own), a watcher started beside the daemons stops the cluster when
# that process is gone, so that a test killed without a chance to clean up (a ctest timeout sends
# SIGKILL) leaves no daemon running for long.
#
# Needs root (the daemons run as root, jobs run as the submitting user) and the Debian packages
# slurmd, slurmctld, slurm-client and munge (scripts/install-deps.sh --slurm). There is no systemd
# here, and none is used: the daemons are started directly with their pid files in DIR/run. Nothing
# outside DIR is written or read (not /etc/slurm, /etc/munge or /run/munge): munged listens on its own
# socket (DIR/munge/socket, named in AuthInfo), the daemons on two free TCP ports of 127.0.0.1, so
# the cluster does not collide with a system Slurm or with a second test cluster on the machine.
#
# The node is the machine as `slurmd -C` sees it (all CPUs, all memory), partition `debug`.
# Plugins: select/cons_tres with CR_Core_Memory (so --cpus-per-task and --mem are allocated as on a
# real cluster), proctrack/linuxproc and task/none (no cgroups: a sandbox without systemd has no
# delegated cgroup tree, so --mem is allocated but not enforced), no accounting (no slurmdbd:
# sacct does not work; use squeue and `scontrol show job`). MpiDefault=none, as in Slurm's own
# default: MPI jobs ask for `srun --mpi=pmix` (the templates do), which Debian's
# slurm-wlm-basic-plugins provides (mpi_pmix_v4).
#
# The daemons and slurmstepd have REGIO_LOCAL_SLURM=DIR in their environment: `stop` finds
# stragglers by that marker, so it never stops a process by name.
set -uo pipefail

usage() {
  echo "usage: $0 start DIR [PID] | stop DIR | status DIR" >&2
  exit 2
}
[ $# -ge 2 ] && [ $# -le 3 ] || usage
cmd=$1
dir=$2
watch_pid=${3:-}
case $cmd:$watch_pid in start:* | watch:?*) ;; *:) ;; *) usage ;; esac
case $dir in /*) ;; *) dir=$PWD/$dir ;; esac
case $dir in / | "") usage ;; esac
conf=$dir/etc/slurm.conf
export SLURM_CONF=$conf

log() { echo "local-cluster: $*" >&2; }

# free TCP port on 127.0.0.1 (asks the kernel for one)
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
    echo $((20000 + RANDOM % 20000))
}

pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
pid_of() { [ -s "$1" ] && cat "$1"; }

# the processes whose environment mentions DIR (the cluster's own), except this script's shell
cluster_pids() {
  local p
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [ "$p" = "$$" ] && continue
    [ "$p" = "$BASHPID" ] && continue
    if { tr '\0' '\n' <"/proc/$p/environ"; } 2>/dev/null | grep -xF "REGIO_LOCAL_SLURM=$dir" >/dev/null; then
      echo "$p"
    fi
  done
}

# waits up to $2 seconds for pid $1 to end
wait_gone() {
  local pid=$1 t=$(( $2 * 10 ))
  while pid_alive "$pid" && [ $t -gt 0 ]; do
    sleep 0.1
    t=$((t - 1))
  done
  ! pid_alive "$pid"
}

start() {
  local missing=()
  for tool in munged slurmctld slurmd sbatch srun squeue scontrol; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "missing: ${missing[*]} (Debian packages slurmd slurmctld slurm-client munge; scripts/install-deps.sh --slurm)"
    return 3
  fi
  [ "$(id -u)" -eq 0 ] || { log "the daemons must be started as root"; return 3; }
  # the daemons (and slurmstepd, which inherits their environment) carry this marker; `stop` finds
  # stragglers by it
  export REGIO_LOCAL_SLURM=$dir
  if [ -e "$dir/run/slurmctld.pid" ] && pid_alive "$(pid_of "$dir/run/slurmctld.pid")"; then
    log "a cluster is already running in $dir"
    return 1
  fi
  mkdir -p "$dir"/{etc,state,spool,log,run,munge} || return 1
  rm -f "$dir/run/stopped"
  chmod 0700 "$dir/munge"

  # munge: a fresh key, its own socket, pid, seed and log files
  rm -f "$dir/munge/key"
  mungekey --create --keyfile="$dir/munge/key" 2>/dev/null ||
    { dd if=/dev/urandom of="$dir/munge/key" bs=1024 count=1 status=none && chmod 0400 "$dir/munge/key"; } || return 1
  munged --force --socket="$dir/munge/socket" --key-file="$dir/munge/key" --pid-file="$dir/run/munged.pid" \
    --seed-file="$dir/munge/seed" --log-file="$dir/log/munged.log" || { log "munged did not start (log: $dir/log/munged.log)"; return 1; }

  local host node ctld_port slurmd_port
  host=$(hostname -s)
  # the node as slurmd sees it: CPUs, sockets, cores, threads, RealMemory
  node=$(slurmd -C 2>/dev/null | head -n 1 | sed -e "s/^NodeName=[^ ]* *//")
  [ -n "$node" ] || node="CPUs=$(nproc) RealMemory=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 ))"
  ctld_port=$(free_port)
  slurmd_port=$(free_port)
  while [ "$slurmd_port" = "$ctld_port" ]; do slurmd_port=$(free_port); done
  : >"$dir/etc/plugstack.conf"
  cat >"$conf" <<EOF
# generated by scripts/slurm/local-cluster.sh: a single-node test cluster, state in $dir
ClusterName=regiotest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
PlugStackConfig=$dir/etc/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/builtin
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
ReturnToService=2
MinJobAge=3600
InactiveLimit=0
KillWait=5
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=$host NodeAddr=127.0.0.1 $node State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF

  slurmctld -f "$conf" -i || { log "slurmctld did not start (log: $dir/log/slurmctld.log)"; return 1; }
  slurmd -f "$conf" -N "$host" || { log "slurmd did not start (log: $dir/log/slurmd.log)"; return 1; }

  # wait until the node is idle (it registers with slurmctld within a second or two)
  local t=0 state=""
  while [ $t -lt 300 ]; do
    state=$(sinfo -h -N -o '%t' 2>/dev/null | head -n 1)
    case $state in idle | idle*) break ;; esac
    sleep 0.1
    t=$((t + 1))
  done
  case $state in
    idle*)
      log "up in $dir: node $host ($node), partition debug, ports $ctld_port/$slurmd_port"
      if [ -n "$watch_pid" ]; then
        # not a child of the caller's process tree, and without the marker (stop must not take it
        # for a straggler)
        env -u REGIO_LOCAL_SLURM setsid bash "$0" watch "$dir" "$watch_pid" </dev/null >>"$dir/log/watch.log" 2>&1 &
      fi
      ;;
    *)
      log "the node did not become idle within 30 s (state '$state'); logs in $dir/log:"
      tail -n 5 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2
      return 1
      ;;
  esac
}

stop() {
  [ -f "$conf" ] || { log "no cluster in $dir"; return 0; }
  : >"$dir/run/stopped" # tells the watcher, if any, to leave
  local ctld slurmd munge rc=0
  ctld=$(pid_of "$dir/run/slurmctld.pid")
  slurmd=$(pid_of "$dir/run/slurmd.pid")
  munge=$(pid_of "$dir/run/munged.pid")
  if pid_alive "$ctld"; then
    # cancel the jobs first: slurmstepd outlives slurmd by design
    local jobs
    jobs=$(squeue -h -o '%i' 2>/dev/null)
    if [ -n "$jobs" ]; then
      log "cancelling jobs $(echo $jobs)"
      scancel $jobs 2>/dev/null
      local t=0
      while [ -n "$(squeue -h -o '%i' 2>/dev/null)" ] && [ $t -lt 150 ]; do
        sleep 0.2
        t=$((t + 1))
      done
    fi
  fi
  # SIGTERM is how the daemons are stopped (what their init scripts do); `scontrol shutdown` left
  # slurmd running for 15 s and more here
  local p
  for p in "$slurmd" "$ctld"; do pid_alive "$p" && kill -TERM "$p"; done
  for p in "$slurmd" "$ctld"; do
    wait_gone "$p" 15 || { log "pid $p did not stop on SIGTERM within 15 s: KILL"; kill -KILL "$p"; wait_gone "$p" 2; }
  done
  if pid_alive "$munge"; then
    kill -TERM "$munge"
    wait_gone "$munge" 5 || kill -KILL "$munge"
  fi
  # stragglers: processes of this cluster (slurmstepd, job steps) that outlived the daemons
  local left
  left=$(cluster_pids)
  if [ -n "$left" ]; then
    log "stopping leftover processes of this cluster: $(echo $left)"
    kill -TERM $left 2>/dev/null
    sleep 1
    left=$(cluster_pids)
    [ -n "$left" ] && kill -KILL $left 2>/dev/null
    sleep 0.2
    left=$(cluster_pids)
    [ -n "$left" ] && { log "still running: $(echo $left)"; rc=1; }
  fi
  [ $rc -eq 0 ] && log "stopped (state and logs kept in $dir)"
  return $rc
}

status() {
  local name
  for name in munged slurmctld slurmd; do
    local p
    p=$(pid_of "$dir/run/$name.pid")
    if pid_alive "$p"; then echo "$name: running, pid $p"; else echo "$name: not running"; fi
  done
  [ -f "$conf" ] && sinfo 2>/dev/null
  return 0
}

# watch DIR PID: waits until PID has ended (then stops the cluster) or the cluster was stopped
watch() {
  while kill -0 "$watch_pid" 2>/dev/null; do
    [ -e "$dir/run/stopped" ] || [ ! -d "$dir/run" ] && return 0
    sleep 1
  done
  [ -e "$dir/run/stopped" ] || [ ! -d "$dir/run" ] && return 0
  log "process $watch_pid has ended without stopping the cluster: stopping it"
  stop
}

case $cmd in
  start) start ;;
  watch) watch ;;
  stop) stop ;;
  status) status ;;
  *) usage ;;
esac
