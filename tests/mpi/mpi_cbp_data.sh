# The distributed mode on the real CBP 2021 county table (labels mpi and data): one gzip file,
# read whole by one rank, its districts spread over every rank; the same datasets as one process
# for 1..4 ranks.
#
# Usage (ctest): bash mpi_cbp_data.sh REGIO_BIN PYTHON SOURCE_DIR SCRATCH_DIR SHARED_DATA_DIR
if [ ! -f "${5:-$3/../shared/data}/cbp/cbp2021_county_naics_38states.csv.gz" ]; then
  echo "SKIP: no ${5:-$3/../shared/data}/cbp/cbp2021_county_naics_38states.csv.gz (the shared real-data folder is absent)"
  exit 77
fi
. "$(dirname "${BASH_SOURCE[0]}")/../cli/common.bash"
. "$(dirname "${BASH_SOURCE[0]}")/mpi_common.bash"

section "CBP 2021 (one gzip file: read whole by one rank, districts spread over all)"
CBP="$SHARED/cbp/cbp2021_county_naics_38states.csv.gz"
if [ -f "$CBP" ]; then
  ranks_agree cbp "$CBP" --district-col state,county --sector-col NAICS2017 --employees-col EMP --sector-digits 6 \
    --sector-levels 2,6
else
  skip_test "cbp: no $CBP"
fi

finish
