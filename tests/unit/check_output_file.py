#!/usr/bin/env python3
"""Checks a regio result file (schema version 1, docs/SCHEMA.md) with h5py and numpy.

Usage: check_output_file.py FILE.h5 [--quiet]

Checks the structure (every dataset of the schema, shapes, types, string encoding, description
attributes, dimension scales) and recomputes from the stored employment matrices, independently of
regio's C code: district and sector totals, location quotients, entropy and its decomposition into
unrelated and related variety. Exits 0 when everything holds, 1 otherwise (each failure printed).
"""
import sys

import h5py
import numpy as np

RTOL = 1e-9


class Checker:
    def __init__(self, path):
        self.path = path
        self.failures = []

    def expect(self, cond, message):
        if not cond:
            self.failures.append(message)
        return cond

    def dataset(self, f, name, ndim, kind):
        if not self.expect(name in f and isinstance(f[name], h5py.Dataset), f"{name}: missing"):
            return None
        d = f[name]
        self.expect(d.ndim == ndim, f"{name}: rank {d.ndim}, expected {ndim}")
        self.expect(d.dtype.kind == kind, f"{name}: dtype {d.dtype}, expected kind {kind}")
        desc = d.attrs.get("description")
        self.expect(isinstance(desc, str) and len(desc) > 10, f"{name}: no description attribute")
        if kind == "S":
            tid = d.id.get_type()
            self.expect(tid.get_strpad() == h5py.h5t.STR_NULLPAD, f"{name}: strings not NUL-padded")
            self.expect(tid.get_cset() == h5py.h5t.CSET_UTF8, f"{name}: strings not UTF-8")
        return d

    def scale(self, f, name, dim, scale_name):
        d = f[name]
        attached = [s.name for s in d.dims[dim].values()] if dim < d.ndim else []
        self.expect(scale_name in attached, f"{name}: dim {dim} lacks scale {scale_name} (has {attached})")

    def close(self, name, got, want):
        got = np.asarray(got, dtype=float)
        want = np.asarray(want, dtype=float)
        if not self.expect(got.shape == want.shape, f"{name}: shape {got.shape}, expected {want.shape}"):
            return
        ok = np.isclose(got, want, rtol=RTOL, atol=1e-12, equal_nan=True)
        if not ok.all():
            i = np.argwhere(~ok)[0]
            self.expect(False, f"{name}: {int((~ok).sum())} values differ, first at {tuple(i)}: "
                        f"{got[tuple(i)]!r} vs {want[tuple(i)]!r}")


def entropy_bits(weights, axis=-1):
    """Shannon entropy (log2, 0 log 0 = 0) of the shares of weights along axis; NaN for zero rows."""
    total = weights.sum(axis=axis, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = weights / total
        terms = np.where(p > 0, -p * np.log2(np.where(p > 0, p, 1.0)), 0.0)
    h = terms.sum(axis=axis)
    return np.where(np.squeeze(total, axis=axis) > 0, h, np.nan)


def check(path):
    c = Checker(path)
    with h5py.File(path, "r") as f:
        c.expect(f.attrs.get("schema_version") == 1, "root attribute schema_version != 1")
        c.expect(str(f.attrs.get("generator", "")).startswith("regio "), "root attribute generator missing")

        codes = c.dataset(f, "/districts/code", 1, "S")
        emp_d = c.dataset(f, "/districts/employment", 1, "f")
        est_d = c.dataset(f, "/districts/establishments", 1, "i")
        if codes is None or emp_d is None or est_d is None:
            return c
        districts = codes.asstr()[:]
        n_districts = len(districts)
        c.expect(list(districts) == sorted(districts, key=lambda s: s.encode()), "district codes not sorted")
        c.expect(len(set(districts)) == n_districts, "district codes not unique")
        e_d = emp_d[:]
        c.expect(emp_d.shape == (n_districts,) and est_d.shape == (n_districts,), "district dataset shapes")
        c.scale(f, "/districts/employment", 0, "/districts/code")
        c.scale(f, "/districts/establishments", 0, "/districts/code")
        total = float(f["/districts"].attrs.get("total_employment", e_d.sum()))
        c.close("total employment", total, e_d.sum())

        levels = {}
        for name, group in f["/levels"].items():
            sc = c.dataset(f, f"/levels/{name}/sectors/code", 1, "S")
            se = c.dataset(f, f"/levels/{name}/sectors/employment", 1, "f")
            emp = c.dataset(f, f"/levels/{name}/employment", 2, "f")
            lq = c.dataset(f, f"/levels/{name}/lq", 2, "f")
            if sc is None or se is None or emp is None or lq is None:
                continue
            sectors = sc.asstr()[:]
            n_sectors = len(sectors)
            c.expect(emp.shape == (n_districts, n_sectors), f"/levels/{name}/employment shape {emp.shape}")
            c.expect(lq.shape == (n_districts, n_sectors), f"/levels/{name}/lq shape {lq.shape}")
            for ds in ("employment", "lq"):
                c.scale(f, f"/levels/{name}/{ds}", 0, "/districts/code")
                c.scale(f, f"/levels/{name}/{ds}", 1, f"/levels/{name}/sectors/code")
            c.scale(f, f"/levels/{name}/sectors/employment", 0, f"/levels/{name}/sectors/code")
            m = emp[:]
            c.close(f"/levels/{name}: district totals", m.sum(axis=1), e_d)
            c.close(f"/levels/{name}/sectors/employment", se[:], m.sum(axis=0))
            e_s = m.sum(axis=0)
            with np.errstate(divide="ignore", invalid="ignore"):
                want = (m / e_d[:, None]) / (e_s[None, :] / e_d.sum())
            want[(e_d[:, None] == 0) | (e_s[None, :] == 0)] = np.nan
            c.close(f"/levels/{name}/lq", lq[:], want)
            levels[name] = (int(group.attrs.get("prefix", 0)), sectors, m)

        if "/variety" in f:
            fine = f["/variety"].attrs.get("fine_level")
            c.expect(f["/variety"].attrs.get("log_base") == 2, "/variety log_base != 2")
            ent = c.dataset(f, "/variety/entropy", 1, "f")
            if ent is not None and c.expect(fine in levels, f"/variety fine_level {fine!r} is not a level"):
                c.scale(f, "/variety/entropy", 0, "/districts/code")
                _, fine_sectors, fine_m = levels[fine]
                c.close("/variety/entropy", ent[:], entropy_bits(fine_m))
                coarse = f["/variety"].attrs.get("coarse_level")
                if coarse is not None:
                    un = c.dataset(f, "/variety/unrelated", 1, "f")
                    rel = c.dataset(f, "/variety/related", 1, "f")
                    if un is not None and rel is not None and c.expect(coarse in levels, "bad coarse_level"):
                        prefix, coarse_sectors, coarse_m = levels[coarse]
                        c.close("/variety/unrelated", un[:], entropy_bits(coarse_m))
                        # related = sum_g P_g H_g, groups = fine codes cut to the coarse prefix
                        group_of = np.array([list(coarse_sectors).index(s[:prefix]) for s in fine_sectors],
                                            dtype=np.int64) if len(fine_sectors) else np.zeros(0, np.int64)
                        related = np.zeros(n_districts)
                        for g in range(len(coarse_sectors)):
                            sub = fine_m[:, group_of == g]
                            p_g = np.divide(sub.sum(axis=1), e_d, out=np.zeros(n_districts), where=e_d > 0)
                            h_g = np.nan_to_num(entropy_bits(sub))
                            related += p_g * h_g
                        related[e_d == 0] = np.nan
                        c.close("/variety/related", rel[:], related)
                        c.close("entropy = unrelated + related", ent[:], un[:] + rel[:])
                else:
                    c.expect(isinstance(f["/variety"].attrs.get("note"), str), "/variety: no note without decomposition")

        p = f.get("/provenance")
        if c.expect(p is not None, "/provenance missing"):
            for a in ("regio_version", "command_line", "config", "hdf5_version"):
                c.expect(isinstance(p.attrs.get(a), str), f"/provenance attribute {a} missing")
            c.expect(p.attrs.get("schema_version") == 1, "/provenance schema_version != 1")
            reasons = c.dataset(f, "/provenance/skip_reasons", 1, "S")
            c.dataset(f, "/provenance/skip_reason_descriptions", 1, "S")
            paths = c.dataset(f, "/provenance/inputs/path", 1, "S")
            c.dataset(f, "/provenance/inputs/sha256", 1, "S")
            if reasons is not None and paths is not None:
                n_in, n_r = paths.shape[0], reasons.shape[0]
                for name in ("bytes", "rows_read", "rows_used"):
                    d = c.dataset(f, f"/provenance/inputs/{name}", 1, "i")
                    if d is not None:
                        c.expect(d.shape == (n_in,), f"/provenance/inputs/{name} shape")
                sk = c.dataset(f, "/provenance/inputs/rows_skipped", 2, "i")
                fl = c.dataset(f, "/provenance/inputs/first_skipped_line", 2, "i")
                if sk is not None and fl is not None:
                    c.expect(sk.shape == (n_in, n_r) and fl.shape == (n_in, n_r), "rows_skipped shape")
                    rr, ru = f["/provenance/inputs/rows_read"][:], f["/provenance/inputs/rows_used"][:]
                    c.expect(np.array_equal(rr, ru + sk[:].sum(axis=1)), "rows_read != rows_used + skipped")
                    c.expect(np.array_equal(sk[:] > 0, fl[:] > 0), "first_skipped_line set iff rows skipped")
    return c


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__)
        return 2
    c = check(argv[1])
    for msg in c.failures:
        print(f"{argv[1]}: {msg}", file=sys.stderr)
    if not c.failures and "--quiet" not in argv:
        print(f"{argv[1]}: ok")
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
