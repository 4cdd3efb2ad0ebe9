#!/usr/bin/env python3
"""Independent check of /io/regional (regio run --io-table ... --io-sector-map ...).

Recomputes, from the establishment table, the sector map and the national IO table alone, the
district employment by IO sector, the location quotients of the method (formulas as in issue 3:
Flegg, Webber & Elliott 1995; Flegg & Webber 1997, 2000), the regional coefficients
a^r_ij = min(Q_ij, 1) a_ij and, per district, the full inverse (I - A^r)^-1 with numpy, then compares
every dataset at rtol 1e-10.

Conventions for undefined quotients (documented in include/regio/io.h): a sector with no employment
in the district supplies nothing (Q_ij = 0); a present supplier i and an absent buyer j give
CILQ = +inf, capped at 1; a district without employment has NaN results.

usage: verify_io_regional.py OUT.h5 ESTABLISHMENTS.csv MAP.csv IO.csv --method M [--delta D]
       [--district-level N] [--output-row LABEL] [--employment-row LABEL]
"""
import argparse
import csv
import math
import sys

import h5py
import numpy as np

RTOL = 1e-10


def read_io(path, output_row, employment_row):
    rows = list(csv.reader(open(path, newline="")))
    head = rows[0]
    labels = [r[0] for r in rows[1:]]
    # the intermediate block: column labels that also label a row, except the rows named by options
    sectors = [c for c in head[1:] if c in labels and c not in (output_row, employment_row)]
    col = {c: head.index(c) for c in sectors}
    row = {lab: rows[1 + k] for k, lab in enumerate(labels)}
    Z = np.array([[float(row[i][col[j]]) for j in sectors] for i in sectors])
    x = np.array([float(row[output_row][col[j]]) for j in sectors])
    emp = np.array([float(row[employment_row][col[j]]) for j in sectors]) if employment_row in row else None
    return sectors, Z, x, emp


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("h5")
    ap.add_argument("establishments")
    ap.add_argument("map")
    ap.add_argument("io")
    ap.add_argument("--method", required=True)
    ap.add_argument("--delta", type=float, default=0.25)
    ap.add_argument("--district-level", type=int, default=0)
    ap.add_argument("--output-row", default="Total output")
    ap.add_argument("--employment-row", default="Employment")
    a = ap.parse_args()
    method = a.method.lower()

    sectors, Z, x, emp_row = read_io(a.io, a.output_row, a.employment_row)
    n = len(sectors)
    A = np.where(x > 0, Z / np.where(x > 0, x, 1), 0.0)

    mapping = {}
    with open(a.map, newline="") as f:
        for r in csv.DictReader(f):
            mapping[r["sector"].strip()] = r["io_sector"].strip()

    def io_sector(code):
        best = None
        for k in mapping:
            if code.startswith(k) and (best is None or len(k) > len(best)):
                best = k
        if best is None:
            raise SystemExit(f"sector {code} is not mapped")
        return mapping[best]

    # district x IO-sector employment, exact in thousandths
    milli = {}
    with open(a.establishments, newline="") as f:
        for r in csv.DictReader(f):
            d = r["district"]
            if a.district_level:
                d = d[: a.district_level]
            s = io_sector(r["sector"])
            v = milli.setdefault(d, [0] * n)
            if s != "-":
                v[sectors.index(s)] += round(float(r["employees"]) * 1000)
    districts = sorted(milli, key=lambda c: c.encode())
    E = np.array([milli[d] for d in districts], dtype=float) / 1000.0
    D = len(districts)

    NE = E.sum(axis=0)
    TNE = NE.sum()
    ec = emp_row / x if emp_row is not None else None

    want = {k: np.full((D, n), np.nan) for k in ("output_multiplier", "backward_linkage", "forward_linkage")}
    want["employment_multiplier"] = np.full((D, n), np.nan)
    lam_all = np.full(D, np.nan)
    for d in range(D):
        RE = E[d]
        TRE = RE.sum()
        if TRE == 0:
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            SLQ = (RE / TRE) / (NE / TNE)
        SLQ[RE == 0] = 0.0
        Q = np.zeros((n, n))
        lam = math.log2(1 + TRE / TNE) ** a.delta
        for i in range(n):
            for j in range(n):
                if RE[i] == 0:
                    q = 0.0
                elif method == "slq":
                    q = SLQ[i]
                else:
                    if i == j:
                        cilq = SLQ[i]
                    elif RE[j] == 0:
                        cilq = math.inf
                    else:
                        cilq = SLQ[i] / SLQ[j]
                    if method == "cilq":
                        q = cilq
                    else:
                        q = lam * cilq
                        if method == "aflq" and SLQ[j] > 1:
                            q = q * math.log2(1 + SLQ[j])
                Q[i, j] = q
        if method in ("flq", "aflq"):
            lam_all[d] = lam
        Ar = np.minimum(Q, 1.0) * A
        L = np.linalg.inv(np.eye(n) - Ar)
        om = L.sum(axis=0)
        rs = L.sum(axis=1)
        want["output_multiplier"][d] = om
        want["backward_linkage"][d] = om / om.mean()
        want["forward_linkage"][d] = rs / rs.mean()
        if ec is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                want["employment_multiplier"][d] = np.where(ec != 0, (ec @ L) / ec, np.nan)
    want["employment"] = E
    want["lambda"] = lam_all

    bad = 0
    with h5py.File(a.h5, "r") as f:
        g = f["/io/regional"]
        got_codes = list(g["district_code"].asstr()[:])
        if got_codes != districts:
            print(f"MISMATCH district_code: {got_codes[:5]}... vs {districts[:5]}...")
            return 1
        print(f"ok district_code ({D} districts)")
        if list(f["/io/sectors/code"].asstr()[:]) != sectors:
            print("MISMATCH /io/sectors/code")
            bad += 1
        if g.attrs["method"] != method.upper() or abs(g.attrs["delta"] - a.delta) > 0:
            print(f"MISMATCH attributes: method {g.attrs['method']} delta {g.attrs['delta']}")
            bad += 1
        if not np.allclose(f["/io/national/A"][:], A, rtol=RTOL, atol=0):
            print("MISMATCH /io/national/A")
            bad += 1
        names = ["employment", "lambda", "output_multiplier", "backward_linkage", "forward_linkage"]
        if ec is not None:
            names.append("employment_multiplier")
        for name in names:
            if name not in g:
                print(f"MISMATCH {name}: missing")
                bad += 1
                continue
            got = g[name][:]
            w = want[name]
            if got.shape != w.shape:
                print(f"MISMATCH {name}: shape {got.shape} vs {w.shape}")
                bad += 1
                continue
            same_nan = np.array_equal(np.isnan(got), np.isnan(w))
            fin = ~np.isnan(w)
            rel = np.abs(got[fin] - w[fin]) / np.maximum(np.abs(w[fin]), 1e-300)
            worst = rel.max() if rel.size else 0.0
            if not same_nan or worst > RTOL:
                print(f"MISMATCH {name}: NaN pattern same={same_nan}, max rel err {worst:.3g}")
                bad += 1
            else:
                print(f"ok {name}: max rel err {worst:.3g}")
        print(f"empty districts: {int(np.isnan(want['output_multiplier'][:, 0]).sum())}; "
              f"zero cells in E: {int((E == 0).sum())} of {E.size}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
