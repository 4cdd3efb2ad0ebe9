#!/usr/bin/env python3
"""The indices peer: how a Python user computes location quotients, entropy and related /
unrelated variety with pandas + numpy from an aggregated long table (district, sector, employees).

It starts from the cells of a regio output (/levels/FINE_LEVEL), turned into a long DataFrame before the
clock starts, and times: the coarse level by code prefix (groupby), both district x sector matrices
(unstack), the LQ matrices, Shannon entropy (log2) at the fine level, unrelated variety (entropy of
the coarse shares) and related variety (sum over coarse groups of P_g H_g). It checks its LQ and
variety against regio's and prints the largest differences.

usage: pandas_indices.py REGIO_OUTPUT.h5 FINE_LEVEL PREFIX    prints: seconds max_lq_diff max_variety_diff
"""
import sys
import time

import h5py
import numpy as np
import pandas as pd


def main():
    src, fine_level, prefix = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with h5py.File(src, "r") as f:
        E = f[f"/levels/{fine_level}/employment"][:]
        districts = f["/districts/code"][:].astype(str)
        sectors = f[f"/levels/{fine_level}/sectors/code"][:].astype(str)
        lq_regio = f[f"/levels/{fine_level}/lq"][:]
        rv_regio = f["/variety/related"][:] if "/variety/related" in f else None
    d_idx, s_idx = np.nonzero(E)
    df = pd.DataFrame({"district": districts[d_idx], "sector": sectors[s_idx], "employees": E[d_idx, s_idx]})

    t0 = time.perf_counter()
    df["group"] = df["sector"].str[:prefix]
    fine = df.pivot_table(index="district", columns="sector", values="employees", aggfunc="sum", fill_value=0)
    coarse = df.groupby(["district", "group"])["employees"].sum().unstack(fill_value=0)
    lqs = {}
    for name, m in (("fine", fine), ("coarse", coarse)):
        share = m.div(m.sum(axis=1), axis=0)
        lqs[name] = share.div(m.sum(axis=0) / m.values.sum(), axis=1)
    p = fine.div(fine.sum(axis=1), axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = (p * np.log2(p)).fillna(0)
    entropy = -plogp.sum(axis=1)
    P = coarse.div(coarse.sum(axis=1), axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        unrelated = -(P * np.log2(P)).fillna(0).sum(axis=1)
    # within each coarse group: H_g = -sum (p_s / P_g) log2 (p_s / P_g); RV = sum_g P_g H_g
    groups = pd.Index(fine.columns.str[:prefix])
    Pg = P.reindex(columns=groups).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        q = p.to_numpy() / Pg
        terms = np.where(q > 0, p.to_numpy() * np.log2(q), 0.0)
    related = -pd.Series(terms.sum(axis=1), index=p.index)
    dt = time.perf_counter() - t0

    lq = lqs["fine"].reindex(index=districts, columns=sectors).to_numpy()
    ok = np.isfinite(lq_regio)
    d_lq = float(np.max(np.abs(lq[ok] - lq_regio[ok]) / np.abs(np.where(lq_regio[ok] == 0, 1, lq_regio[ok]))))
    d_rv = float("nan")
    if rv_regio is not None:
        rv = related.reindex(districts).to_numpy()
        d_rv = float(np.nanmax(np.abs(rv - rv_regio)))
    _ = entropy, unrelated
    print(f"{dt:.6f} {d_lq:.3e} {d_rv:.3e}")


if __name__ == "__main__":
    main()
