#!/usr/bin/env python3
"""The peer of regio's regional input-output phase: what a Python user does with pymrio or
ioanalysis, a numpy loop over the districts with a full Leontief inverse per district.

It reads the national coefficients and the district employment by IO sector from a regio output
file (so both sides start from the same numbers), regionalises every district with the same
location-quotient conventions as regio (docs/SCHEMA.md), inverts I - A^r with numpy.linalg.inv and
takes the output multipliers (column sums), the forward row sums and the employment multipliers.
Only the loop is timed. Writes the three [districts x sectors] matrices to OUT.npz.

usage: io_numpy_loop.py REGIO_OUTPUT.h5 EMPLOYMENT_COEFFICIENTS.npy OUT.npz   (prints: seconds districts)
(the national employment coefficients e = employment / x come from the generated table, since regio
does not store the national employment vector)
"""
import sys
import time

import h5py
import numpy as np


def main():
    src, ec_path, out = sys.argv[1], sys.argv[2], sys.argv[3]
    ec = np.load(ec_path)
    with h5py.File(src, "r") as f:
        A = f["/io/national/A"][:]
        E = f["/io/regional/employment"][:]
        method = f["/io/regional"].attrs["method"]
        method = method.decode() if isinstance(method, bytes) else str(method)
        delta = float(f["/io/regional"].attrs["delta"])
    assert method == "FLQ", "the peer implements FLQ, the default"
    n = A.shape[0]
    D = E.shape[0]
    ne = E.sum(0)
    tne = ne.sum()
    share = ne / tne
    om = np.full((D, n), np.nan)
    fl = np.full((D, n), np.nan)
    em = np.full((D, n), np.nan)
    eye = np.eye(n)
    t0 = time.perf_counter()
    for d in range(D):
        re = E[d]
        tre = re.sum()
        if tre <= 0:
            continue
        slq = np.where(re > 0, (re / tre) / share, 0.0)
        lam = np.log2(1 + tre / tne) ** delta
        with np.errstate(divide="ignore", invalid="ignore"):
            Q = lam * (slq[:, None] / slq[None, :])
        Q[:, re == 0] = 1.0
        np.fill_diagonal(Q, lam * slq)
        Q[re == 0, :] = 0.0
        L = np.linalg.inv(eye - A * np.minimum(Q, 1.0))
        om[d] = L.sum(0)
        fl[d] = L.sum(1)
        with np.errstate(divide="ignore", invalid="ignore"):
            em[d] = np.where(ec != 0, (ec @ L) / ec, np.nan)
    dt = time.perf_counter() - t0
    np.savez(out, output_multiplier=om, row_sums=fl, employment_multiplier=em)
    print(f"{dt:.6f} {D}")


if __name__ == "__main__":
    main()
