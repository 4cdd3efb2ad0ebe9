#!/usr/bin/env python3
"""The read + aggregate peer: DuckDB reads the CSV (plain or gzip) and sums employees (and
establishments) by district and sector, the result fetched into numpy arrays, as a user of DuckDB
would do it. Codes are read as text (leading zeros kept); employees as DECIMAL(18,3), the exact
fixed point regio uses, or DOUBLE (usually a little faster).

usage: duckdb_aggregate.py FILE THREADS decimal|double DISTRICT_COL SECTOR_COL EMPLOYEES_COL [ESTAB_COL]
prints: seconds groups total_employees
"""
import sys
import time

import duckdb


def main():
    path, threads, kind, dcol, scol, ecol = sys.argv[1:7]
    estab = sys.argv[7] if len(sys.argv) > 7 else None
    etype = "DECIMAL(18,3)" if kind == "decimal" else "DOUBLE"
    con = duckdb.connect()
    con.execute(f"SET threads = {int(threads)}")
    types = {dcol: "VARCHAR", scol: "VARCHAR", ecol: etype}
    if estab:
        types[estab] = "BIGINT"
    count = f"sum({estab})" if estab else "count(*)"
    query = (f"SELECT {dcol}, {scol}, sum({ecol}) AS employees, {count} AS establishments "
             f"FROM read_csv('{path}', header = true, types = {types!r}) GROUP BY ALL")
    t0 = time.perf_counter()
    res = con.execute(query).fetchnumpy()
    dt = time.perf_counter() - t0
    total = float(sum(float(v) for v in res["employees"]))
    print(f"{dt:.6f} {len(res['employees'])} {total:.3f}")


if __name__ == "__main__":
    main()
