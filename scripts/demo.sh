#!/usr/bin/env bash
# The demo: installs what is missing, builds, runs regio on the demo establishment table shipped in
# inputs/ with the demo national input-output table (national analysis and FLQ regional tables for
# every district), and prints the districts with the highest related variety and location quotients.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/build.sh"
out="${1:-$root/demo.h5}"
"$root/build/regio" run "$root/inputs/demo_establishments.csv" \
  --district-col district --sector-col sector --employees-col employees \
  --sector-levels 2,5 -o "$out" \
  --io-table "$root/inputs/demo_io_table.csv" --io-output-row 'Total output' \
  --io-compensation-row 'Compensation of employees' --io-employment-row Employment --io-household-col Households \
  --io-sector-map "$root/inputs/demo_io_sector_map.csv" --regionalize flq
"$root/build/regio" info "$out"
