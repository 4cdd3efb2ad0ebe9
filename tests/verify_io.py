"""Checks a `regio io` result file against an independent numpy computation from the CSV.

usage: verify_io.py OUT.h5 TABLE.csv --label-col C --output-row R [--sectors N]
           [--compensation-row R] [--value-added-rows R1,R2] [--employment-row R] [--household-col C]
           [--sensitivity-from-ghosh]

Reads the table with Python's csv module (not regio's reader), recomputes every dataset under
/io/national with numpy.linalg (explicit inverses, explicit re-solves for the extraction) and
compares at rtol 1e-10 (atol 1e-12 for values near zero). Exit 0 when everything agrees.
"""
import argparse
import csv
import hashlib
import sys

import h5py
import numpy as np

RTOL, ATOL = 1e-10, 1e-12


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("h5")
    ap.add_argument("table")
    ap.add_argument("--label-col")
    ap.add_argument("--output-row", required=True)
    ap.add_argument("--sectors", type=int, default=0)
    ap.add_argument("--compensation-row")
    ap.add_argument("--value-added-rows")
    ap.add_argument("--employment-row")
    ap.add_argument("--household-col")
    ap.add_argument("--sensitivity-from-ghosh", action="store_true")
    a = ap.parse_args()

    with open(a.table, newline="", encoding="utf-8-sig") as fh:
        rows = [r for r in csv.reader(fh) if r]
    header, body = rows[0], rows[1:]
    li = header.index(a.label_col) if a.label_col else 0
    by_label = {r[li]: r for r in body}
    va_rows = a.value_added_rows.split(",") if a.value_added_rows else []
    named = {a.output_row, a.compensation_row, a.employment_row, a.household_col, *va_rows} - {None}
    sectors = [h for j, h in enumerate(header) if j != li and h in by_label and h not in named]
    if a.sectors:
        sectors = sectors[: a.sectors]
    cols = [header.index(s) for s in sectors]
    n = len(sectors)

    def row(label):
        return np.array([float(by_label[label][j]) for j in cols])

    Z = np.array([[float(by_label[s][j]) for j in cols] for s in sectors])
    x = row(a.output_row)
    zero = x == 0
    xs = np.where(zero, 1.0, x)
    A = np.where(zero[None, :], 0.0, Z / xs[None, :])
    B = np.where(zero[:, None], 0.0, Z / xs[:, None])
    L = np.linalg.inv(np.eye(n) - A)
    with np.errstate(divide="ignore", invalid="ignore"):
        G = np.where(zero[:, None], np.nan, L * x[None, :] / x[:, None])
    m = L.sum(axis=0)
    fwd_total = G.sum(axis=1)
    bl = m / m.mean()
    sens = fwd_total if a.sensitivity_from_ghosh else L.sum(axis=1)
    fl = sens / np.nanmean(sens)
    key = np.where((bl > 1) & (fl > 1), 1, np.where(bl > 1, 2, np.where(fl > 1, 3, 4)))
    # extraction: re-solve without each sector, final demand of the others kept
    f = (np.eye(n) - A) @ x
    loss = np.empty(n)
    for j in range(n):
        keep = [i for i in range(n) if i != j]
        sub = np.eye(n - 1) - A[np.ix_(keep, keep)]
        loss[j] = x.sum() - np.linalg.solve(sub, f[keep]).sum()

    want = {
        "A": A,
        "L": L,
        "G": G,
        "output_multiplier": m,
        "forward_total": fwd_total,
        "backward_linkage": bl,
        "forward_linkage": fl,
        "cw_backward": A.sum(axis=0),
        "cw_forward": B.sum(axis=1),
        "key_sector_class": key,
        "extraction_loss": loss,
        "zero_output": zero.astype(int),
    }

    def type1(values):
        w = np.where(zero, 0.0, values / xs)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(w != 0, (w @ L) / w, np.nan), w

    w = e = None
    if a.compensation_row:
        want["income_multiplier"], w = type1(row(a.compensation_row))
    if va_rows:
        want["value_added_multiplier"], _ = type1(sum(row(r) for r in va_rows))
    if a.employment_row:
        want["employment_multiplier"], e = type1(row(a.employment_row))
    if a.compensation_row and a.household_col:
        hh = np.array([float(by_label[s][header.index(a.household_col)]) for s in sectors])
        Ab = np.zeros((n + 1, n + 1))
        Ab[:n, :n] = A
        Ab[n, :n] = w
        Ab[:n, n] = hh / row(a.compensation_row).sum()
        Lb = np.linalg.inv(np.eye(n + 1) - Ab)
        with np.errstate(divide="ignore", invalid="ignore"):
            want["type2_output_multiplier"] = Lb[:n, :n].sum(axis=0)
            want["type2_income_multiplier"] = np.where(w != 0, Lb[n, :n] / w, np.nan)
            if e is not None:
                want["type2_employment_multiplier"] = np.where(e != 0, (e @ Lb[:n, :n]) / e, np.nan)

    f5 = h5py.File(a.h5, "r")
    g = f5["/io/national"]
    bad = 0
    codes = list(f5["/io/sectors/code"].asstr()[:])
    if codes != sectors:
        print("MISMATCH: /io/sectors/code differs from the table's sector labels")
        bad += 1
    for name, ref in want.items():
        if name in ("L", "G") and name not in g:
            continue
        if name not in g:
            print("MISMATCH: /io/national/%s is missing" % name)
            bad += 1
            continue
        got = g[name][:]
        if "description" not in g[name].attrs:
            print("MISMATCH: /io/national/%s has no description" % name)
            bad += 1
        if got.shape != ref.shape:
            print("MISMATCH: %s shape %s, expected %s" % (name, got.shape, ref.shape))
            bad += 1
            continue
        ok = np.allclose(got, ref, rtol=RTOL, atol=ATOL, equal_nan=True)
        fin = np.isfinite(ref) & np.isfinite(got)
        err = np.max(np.abs(got[fin] - ref[fin]) / np.maximum(np.abs(ref[fin]), 1e-300)) if fin.any() else 0.0
        if not ok:
            print("MISMATCH: %s (max rel err %.3g)" % (name, err))
            bad += 1
        else:
            print("ok %-28s max rel err %.3g" % (name, err))
    extra = set(g.keys()) - set(want) - {"rcond", "L", "G"}
    if extra:
        print("MISMATCH: datasets not checked: %s" % sorted(extra))
        bad += 1
    rcond = g["rcond"][0]
    ref_rcond = 1.0 / (np.abs(np.eye(n) - A).sum(axis=0).max() * np.abs(L).sum(axis=0).max())
    if not (0.1 * ref_rcond <= rcond <= 10 * ref_rcond):  # dgecon estimates, within a factor 10
        print("MISMATCH: rcond %g, exact %g" % (rcond, ref_rcond))
        bad += 1
    sha = hashlib.sha256(open(a.table, "rb").read()).hexdigest()
    if f5["/provenance"].attrs["io_input_sha256"] != sha:
        print("MISMATCH: /provenance io_input_sha256")
        bad += 1
    print("verify_io: %d sectors, %d datasets, %s" % (n, len(want), "FAILED" if bad else "all agree"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
