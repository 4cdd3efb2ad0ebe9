#!/usr/bin/env python3
"""Independent check of the screen of a `regio run --screen` result file.

    verify_screen.py OUT.h5 [--config FILE.ini] [--expected PLANTED.csv]

Recomputes, with numpy and the rules of docs/SCREENING.md (written again here, sharing no code with
regio), the scores of every district from the datasets the screen reads (/categories/employment,
/districts/employment, /districts/micro_share, /specialisation/<finest>/krugman and max_lq_sector,
/variety/related; those are checked against the input by verify_run.py), then the classes, and
compares both with /screen. The thresholds are the defaults of docs/SCREENING.md, overridden by the
[screen] section of --config. With --expected (district,class), each listed district must have that
class. Exit 0 when everything matches, 1 otherwise.
"""
import argparse
import configparser
import csv
import sys

import h5py
import numpy as np

CLASSES = ["thin", "specialised_cluster", "innovation_district", "central_lifestyle_district",
           "central_business_district", "diversified"]
DEFAULTS = {
    "thin-employment": 50.0, "cluster-krugman-z": 1.0, "cluster-related-variety-z": 0.0,
    "cluster-needs-manufacturing": True, "innovation-related-variety-z": 0.5, "innovation-knowledge-lq": 1.0,
    "innovation-mixed-use-quantile": 0.5, "innovation-micro-share-quantile": 0.5, "office-lq": 1.5,
    "amenity-lq": 1.0, "knowledge-categories": "kibs", "office-categories": "kibs,public_administration",
    "amenity-categories": "lifestyle_amenities",
    "manufacturing-categories": "high_tech_manufacturing,other_manufacturing",
    "value-chain-quantile": 0.9, "cluster-value-chain": 0.5,
}
RTOL = 1e-12


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--config")
    p.add_argument("--expected")
    p.add_argument("--io-sector-map", help="the sector map of the run: recompute the value-chain scores from "
                   "/io/national/A")
    a = p.parse_args()
    t = dict(DEFAULTS)
    if a.config:
        cp = configparser.ConfigParser(interpolation=None)
        cp.read(a.config)
        if cp.has_section("screen"):
            for k, v in cp.items("screen"):
                if isinstance(DEFAULTS[k], bool):
                    t[k] = v.strip().lower() in ("true", "1")
                elif isinstance(DEFAULTS[k], float):
                    t[k] = float(v)
                else:
                    t[k] = v.strip()
    problems = []
    f = h5py.File(a.out, "r")
    codes = list(f["/districts/code"].asstr()[:])
    E_d = f["/districts/employment"][()]
    names = list(f["/categories/name"].asstr()[:])
    emp = f["/categories/employment"][()]  # exact sums in employees
    finest = f["/categories"].attrs["level"]
    finest = finest.decode() if isinstance(finest, bytes) else str(finest)
    krugman = f["/specialisation/%s/krugman" % finest][()]
    related = f["/variety/related"][()]
    micro = f["/districts/micro_share"][()] if "/districts/micro_share" in f else None
    mixed = f["/categories/mixed_use"][()]
    max_sector = f["/specialisation/%s/max_lq_sector" % finest][()]
    sector_category = f["/categories/sector_category"][()]

    def members(key):
        wanted = [x.strip() for x in t[key].split(",") if x.strip()]
        return [names.index(w) for w in wanted]

    E = E_d.sum()

    def set_lq(key):
        m = members(key)
        local = emp[:, m].sum(axis=1)
        national = emp[:, m].sum()
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where((E_d > 0) & (national > 0), (local / E_d) / (national / E), np.nan)

    knowledge, office, amenity = set_lq("knowledge-categories"), set_lq("office-categories"), set_lq("amenity-categories")
    manuf = set(members("manufacturing-categories"))
    in_manuf = np.array([s >= 0 and sector_category[s] in manuf for s in max_sector])
    thin = (E_d < t["thin-employment"]) | (E_d == 0)
    ok = ~thin

    def z(v):
        good = ok & np.isfinite(v)
        mean = v[good].mean()
        sd = np.sqrt(((v[good] - mean) ** 2).mean())
        return (v - mean) / sd if sd > 0 else np.full(v.shape, np.nan)

    kz, rz = z(krugman), z(related)
    chain = None
    if a.io_sector_map:
        # the value chain: specialised sectors of the finest level (LQ and employment thresholds of
        # /specialisation) mapped to IO sectors by longest prefix; a pair is linked when
        # max(a_kl, a_lk) >= the quantile of the off-diagonal coefficients
        A = f["/io/national/A"][()]
        io_codes = list(f["/io/sectors/code"].asstr()[:])
        with open(a.io_sector_map, encoding="utf-8-sig", newline="") as m:
            entries = [(r[0].strip(), r[1].strip()) for r in list(csv.reader(m))[1:] if r]
        entries.sort(key=lambda e: -len(e[0]))
        sectors = list(f["/levels/%s/sectors/code" % finest].asstr()[:])
        io_of = []
        for code in sectors:
            hit = next((io for pre, io in entries if code.startswith(pre)), None)
            io_of.append(io_codes.index(hit) if hit in io_codes else -1)
        io_of = np.array(io_of)
        n = A.shape[0]
        t_chain = np.quantile(A[~np.eye(n, dtype=bool)], t["value-chain-quantile"])
        g = f["/specialisation/%s" % finest]
        thr, mn = float(g.attrs["lq_threshold"]), float(g.attrs["min_employment"])
        lq = f["/levels/%s/lq" % finest][()]
        emp_f = f["/levels/%s/employment" % finest][()]
        chain = np.full(len(codes), np.nan)
        for d in range(len(codes)):
            with np.errstate(invalid="ignore"):
                ks = io_of[(io_of >= 0) & (lq[d] >= thr) & (emp_f[d] >= mn)]
            if len(ks) < 2:
                continue
            pairs = [(ks[i], ks[j]) for i in range(len(ks)) for j in range(i + 1, len(ks))]
            chain[d] = np.mean([max(A[k, l], A[l, k]) >= t_chain for k, l in pairs])
        g = f["/screen/scores/value_chain"][()]
        if not (np.array_equal(np.isnan(g), np.isnan(chain)) and np.allclose(g[np.isfinite(g)],
                                                                              chain[np.isfinite(chain)], rtol=0,
                                                                              atol=1e-15)):
            problems.append("/screen/scores/value_chain differs from the recomputation")
        gt = float(f["/screen"].attrs["value_chain_threshold"])
        if abs(gt - t_chain) > RTOL * max(1, abs(t_chain)):
            problems.append("/screen attribute value_chain_threshold %r, expected %r" % (gt, t_chain))
        print("verify_screen: value chain threshold %.6g; %d districts with a score, mean %.3f"
              % (t_chain, int(np.isfinite(chain).sum()), float(np.nanmean(chain))))
    elif "/screen/scores/value_chain" in f:
        problems.append("/screen/scores/value_chain present; give --io-sector-map to check it")
    q_mixed = np.quantile(mixed[ok & np.isfinite(mixed)], t["innovation-mixed-use-quantile"])
    q_micro = np.quantile(micro[ok & np.isfinite(micro)], t["innovation-micro-share-quantile"]) if micro is not None \
        else np.nan
    cls = np.full(len(codes), 5)
    with np.errstate(invalid="ignore"):
        for d in range(len(codes)):
            if thin[d]:
                cls[d] = 0
            elif kz[d] >= t["cluster-krugman-z"] and rz[d] <= t["cluster-related-variety-z"] and \
                    (not t["cluster-needs-manufacturing"] or in_manuf[d] or
                     (chain is not None and chain[d] >= t["cluster-value-chain"])):
                cls[d] = 1
            elif rz[d] >= t["innovation-related-variety-z"] and knowledge[d] >= t["innovation-knowledge-lq"] and \
                    mixed[d] >= q_mixed and (micro is None or micro[d] >= q_micro):
                cls[d] = 2
            elif office[d] >= t["office-lq"] and amenity[d] >= t["amenity-lq"]:
                cls[d] = 3
            elif office[d] >= t["office-lq"]:
                cls[d] = 4
    got = f["/screen/class"][()].astype(np.int64)
    for d in np.flatnonzero(got != cls):
        problems.append("district %s: class %s, expected %s" % (codes[d], CLASSES[got[d]], CLASSES[cls[d]]))
    for name, exp in (("krugman_z", kz), ("related_variety_z", rz), ("knowledge_lq", knowledge),
                      ("office_lq", office), ("amenity_lq", amenity), ("mixed_use", mixed)):
        g = f["/screen/scores/" + name][()]
        same_nan = np.array_equal(np.isnan(g), np.isnan(exp))
        fin = np.isfinite(exp)
        bad = (not same_nan) or np.any(np.abs(g[fin] - exp[fin]) > RTOL * np.maximum(1, np.abs(exp[fin])))
        if bad:
            problems.append("/screen/scores/%s differs from the recomputation" % name)
    for attr, exp in (("mixed_use_threshold", q_mixed), ("micro_share_threshold", q_micro)):
        g = float(f["/screen"].attrs[attr])
        if not (np.isnan(g) and np.isnan(exp)) and not abs(g - exp) <= RTOL * max(1, abs(exp)):
            problems.append("/screen attribute %s %r, expected %r" % (attr, g, exp))
    if a.expected:
        with open(a.expected) as e:
            for r in csv.DictReader(e):
                d = codes.index(r["district"])
                if CLASSES[got[d]] != r["class"]:
                    problems.append("planted district %s is %s, planted as %s" % (r["district"], CLASSES[got[d]],
                                                                                   r["class"]))
    counts = np.bincount(got, minlength=len(CLASSES))
    print("verify_screen: %d districts; classes %s" % (len(codes), ", ".join(
        "%s %d" % (c, n) for c, n in zip(CLASSES, counts))))
    for msg in problems:
        print("MISMATCH: " + msg)
    print("verify_screen: " + ("FAILED" if problems else "OK"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
