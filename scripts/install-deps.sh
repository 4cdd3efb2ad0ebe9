#!/usr/bin/env bash
# Installs every Debian package that regio's build, tests and demo need. Idempotent: packages
# already present are not touched and apt-get is only called when something is missing.
#   --slurm   also Slurm and munge (slurmd, slurmctld, slurm-client, munge; about 3 MB to download),
#             for the test labelled slurm (tests/slurm/slurm_job.sh), which starts a single-node Slurm
set -euo pipefail
with_slurm=0
for arg in "$@"; do
  case $arg in
    --slurm) with_slurm=1 ;;
    *) echo "usage: $0 [--slurm]" >&2; exit 2 ;;
  esac
done

packages=(
  build-essential cmake pkg-config
  libomp-dev
  libhdf5-dev hdf5-tools
  libopenmpi-dev openmpi-bin
  libopenblas-openmp-dev liblapacke-dev
  zlib1g-dev libdeflate-dev libisal-dev
  libinih-dev
  libssl-dev
  python3 python3-numpy python3-h5py
  valgrind
)
if [ "$with_slurm" = 1 ]; then
  packages+=(slurmd slurmctld slurm-client munge)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep "install ok installed" >/dev/null || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  echo "install-deps: installing ${missing[*]}" >&2
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The tests run with the python3 found on PATH. When that is not Debian's (pyenv, venv), give it
# numpy and h5py from PyPI; Debian's python3 already has them from the packages above.
if ! python3 -c 'import numpy, h5py' 2>/dev/null; then
  echo "install-deps: installing numpy and h5py for $(command -v python3)" >&2
  python3 -m pip install --quiet --disable-pip-version-check numpy h5py
fi
