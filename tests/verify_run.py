#!/usr/bin/env python3
"""Independent check of a `regio run` result file.

    verify_run.py OUT.h5 [run options] FILE...

Re-reads the input tables with Python's csv and gzip modules, aggregates employment exactly (integer
thousandths), recomputes the sector levels, location quotients and variety (entropy decomposition)
with numpy in extended precision, and compares everything with the HDF5 file written by regio.
Accepts the options of `regio run` that change the result (--district-col, --sector-col,
--employees-col, --establishments-col, --delimiter, --sector-digits, --sector-levels,
--variety-levels, --on-bad-row, --no-checksum, --config) and ignores --threads.

What is compared (docs/SCHEMA.md, schema 1): codes and exact employment of districts and of each
level's sectors and matrix, establishments per district and per sector, the prefix of each level,
LQ (rtol 1e-12, NaN positions identical), entropy, unrelated and related variety (rtol 1e-12, atol
1e-14) and the identity entropy = unrelated + related (1e-12), and the provenance of each input:
path, size, SHA-256, rows read/used, rows skipped and the first skipped line per reason.

Exit status: 0 when everything matches, 1 on any mismatch (each one is printed), 2 on usage errors.
Shares no code with regio: it is the "independent implementation" the tests compare against.

How the input is read (the parts the spec leaves to the reader are marked *):
  * Files are plain or gzip (by content, magic 1f 8b). Bytes are decoded as latin-1 so that every
    code is compared, sorted, cut to prefixes and measured byte by byte; a UTF-8 BOM is dropped.
  * The delimiter, unless given, is the most frequent of , ; TAB | in the header line outside
    quotes (ties in that order).
  * Fields follow RFC 4180: double quotes, doubled quotes inside, delimiters and newlines inside
    quotes; CRLF or LF line ends. The line of a record is the physical line where it starts.
  * (*) An empty physical line is not a record (it is neither read nor skipped).
  * A record with more fields than the header: too_many_fields. Fewer: missing fields are empty.
  * (*) Checks, in this order; the first failing one gives the reason: too_many_fields; the sector
    code: empty (empty_code), length in bytes != --sector-digits (sector_digits, a filter that is
    never an error), bad_code, shorter than the longest prefix level (sector_too_short); the
    district: any of its columns empty (empty_code), bad_code after concatenation; then
    bad_employees, bad_establishments. bad_code: longer than 64 bytes, a control byte (< 0x20 or
    0x7f) or invalid UTF-8.
  * Employees: digits with an optional decimal point and decimals ((*) "5." and ".5" are accepted,
    "." and "" are not); decimal places beyond the third must be zeros; the value in thousandths
    must fit in int64. No sign, exponent, separators or spaces.
  * Establishments: (*) the same syntax, and the value must be whole ("3.0" is 3, "3.5" is bad).
"""

import argparse
import configparser
import csv
import gzip
import hashlib
import io
import itertools
import math
import os
import re
import sys
import time

import h5py
import numpy as np

SKIP_REASONS = [
    "sector_digits",
    "empty_code",
    "bad_code",
    "sector_too_short",
    "bad_employees",
    "bad_establishments",
    "too_many_fields",
]
R = {name: i for i, name in enumerate(SKIP_REASONS)}
CODE_MAX = 64
INT64_MAX = 2**63 - 1
CANDIDATE_DELIMITERS = [",", ";", "\t", "|"]
LQ_RTOL = 1e-12
VARIETY_RTOL = 1e-12
VARIETY_ATOL = 1e-14  # entropies are O(1) bits; allows for rounding of values that are almost 0
IDENTITY_ATOL = 1e-12
# specialisation and localisation indices (sums of O(1) terms with cancellation in Theil, the
# normalised HHI and the symmetric LQ near LQ = 1): relative 1e-12, absolute 1e-13
INDEX_RTOL = 1e-12
INDEX_ATOL = 1e-13
GAMMA_ATOL = 1e-12  # divided by (1 - sum x^2)(1 - H) of each sector
MICRO_MILLI = 10 * 1000  # a micro establishment has fewer than 10 employees

csv.field_size_limit(1 << 30)


class Failures:
    def __init__(self):
        self.items = []

    def add(self, msg):
        self.items.append(msg)
        print("MISMATCH: " + msg, flush=True)

    def check(self, cond, msg):
        if not cond:
            self.add(msg)
        return cond


def log(msg):
    print(msg, flush=True)


# --------------------------------------------------------------------------------------------------
# options


def split_list(text):
    return [t.strip() for t in text.split(",") if t.strip() != ""]


def parse_level(tok):
    if tok == "full":
        return "full"
    if not re.fullmatch(r"[0-9]+", tok) or int(tok) <= 0:
        raise SystemExit("verify_run.py: bad level %r" % tok)
    return int(tok)


def parse_args(argv):
    p = argparse.ArgumentParser(description="Check a regio run result against an independent computation.")
    p.add_argument("out")
    p.add_argument("files", nargs="*")
    p.add_argument("--district-col")
    p.add_argument("--sector-col")
    p.add_argument("--employees-col")
    p.add_argument("--establishments-col")
    p.add_argument("--delimiter")
    p.add_argument("--sector-digits", type=int)
    p.add_argument("--sector-levels")
    p.add_argument("--variety-levels")
    p.add_argument("--on-bad-row", choices=["fail", "skip"])
    p.add_argument("--categories")
    p.add_argument("--district-area")
    p.add_argument("--specialised-lq", type=float)
    p.add_argument("--specialised-min-employment")
    p.add_argument("--no-checksum", action="store_true", default=None)
    p.add_argument("--config")
    p.add_argument("--threads")  # does not change the result
    p.add_argument("-o", "--output", help="ignored (the result file is the first argument)")
    a = p.parse_intermixed_args(argv)
    if not a.files:
        p.error("no input files")

    # --config FILE.ini, section [run], keys = long option names; the command line wins.
    if a.config:
        cp = configparser.ConfigParser(interpolation=None)
        with open(a.config, encoding="utf-8") as f:
            cp.read_file(f)
        if cp.has_section("run"):
            for key, value in cp.items("run"):
                attr = key.replace("-", "_")
                if attr == "no_checksum":
                    if a.no_checksum is None:
                        a.no_checksum = value.strip().lower() in ("1", "true", "yes", "on")
                elif attr == "checksum":
                    if a.no_checksum is None:
                        a.no_checksum = value.strip().lower() in ("0", "false", "no", "off")
                elif attr in ("district_col", "sector_col", "employees_col", "establishments_col",
                              "delimiter", "sector_levels", "variety_levels", "on_bad_row"):
                    if getattr(a, attr) is None:
                        setattr(a, attr, value.strip())
                elif attr == "sector_digits":
                    if a.sector_digits is None:
                        a.sector_digits = int(value)
                elif attr in ("categories", "district_area"):
                    if getattr(a, attr) is None:
                        setattr(a, attr, value.strip())
                elif attr == "specialised_lq":
                    if a.specialised_lq is None:
                        a.specialised_lq = float(value)
                elif attr == "specialised_min_employment":
                    if a.specialised_min_employment is None:
                        a.specialised_min_employment = value.strip()
                elif attr in ("threads", "output", "o"):
                    pass
                else:
                    log("note: config key %r not understood by verify_run.py (ignored)" % key)

    a.district_cols = split_list(a.district_col or "district")
    a.sector_col = a.sector_col or "sector"
    a.employees_col = a.employees_col or "employees"
    a.on_bad_row = a.on_bad_row or "fail"
    a.no_checksum = bool(a.no_checksum)
    a.sector_digits = a.sector_digits or 0
    a.specialised_lq = a.specialised_lq if a.specialised_lq is not None else 1.25
    a.specialised_min_milli = parse_milli(a.specialised_min_employment) if a.specialised_min_employment else 0
    if a.specialised_min_milli is None:
        p.error("--specialised-min-employment: not a number of employees")
    if a.delimiter is not None:
        d = a.delimiter
        d = {"tab": "\t", "\\t": "\t", "TAB": "\t"}.get(d, d)
        if len(d) != 1:
            p.error("--delimiter must be one character")
        a.delimiter = d

    # Levels: prefix lengths (ints) or "full".
    if a.sector_levels:
        levels = [parse_level(t) for t in split_list(a.sector_levels)]
    else:
        levels = ["full"]
    variety = None
    if a.variety_levels:
        variety = [parse_level(t) for t in split_list(a.variety_levels)]
        if len(variety) != 2:
            p.error("--variety-levels needs FINE,COARSE")
        for v in variety:
            if v not in levels:
                levels.append(v)
    levels = sorted(set(levels), key=level_key)
    if variety is None:
        variety = [levels[-1], levels[0]]  # finest, coarsest
    a.levels = levels
    a.variety = variety
    a.prefix_levels = [l for l in levels if l != "full"]
    a.min_sector_len = max(a.prefix_levels) if a.prefix_levels else 0
    return a


def level_key(l):
    return (1, 0) if l == "full" else (0, l)


def level_name(l):
    return "full" if l == "full" else str(l)


# --------------------------------------------------------------------------------------------------
# reading


class InputStats:
    def __init__(self, path):
        self.path = path
        self.bytes = 0
        self.sha256 = ""
        self.rows_read = 0
        self.rows_used = 0
        self.skipped = [0] * len(SKIP_REASONS)
        self.first_line = [0] * len(SKIP_REASONS)
        self.delimiter = None


def detect_delimiter(header):
    counts = {d: 0 for d in CANDIDATE_DELIMITERS}
    inq = False
    for ch in header:
        if ch == '"':
            inq = not inq
        elif not inq and ch in counts:
            counts[ch] += 1
    best = max(CANDIDATE_DELIMITERS, key=lambda d: (counts[d], -CANDIDATE_DELIMITERS.index(d)))
    return best if counts[best] > 0 else ","


def sha256_and_size(path):
    h = hashlib.sha256()
    n = 0
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 22)
            if not b:
                break
            h.update(b)
            n += len(b)
    return h.hexdigest(), n


EMP_RE = re.compile(r"([0-9]*)(?:\.([0-9]*))?\Z")


def parse_milli(text):
    """Employees text -> thousandths, or None when not a valid value."""
    m = EMP_RE.match(text)
    if not m:
        return None
    ip, fp = m.group(1), m.group(2) or ""
    if ip == "" and fp == "":
        return None  # "", "."
    if len(fp) > 3:
        if fp[3:].strip("0"):
            return None
        fp = fp[:3]
    v = int(ip or "0") * 1000 + int(fp.ljust(3, "0"))
    return v if v <= INT64_MAX else None


def parse_count(text):
    """Establishments: a whole number, written like employees ("3", "3.0" and "3." are 3)."""
    v = parse_milli(text)
    if v is None or v % 1000:
        return None
    return v // 1000


def code_problem(code):
    """None if a non-empty code is acceptable, else the skip reason."""
    if len(code) > CODE_MAX:
        return "bad_code"
    for ch in code:
        o = ord(ch)
        if o < 0x20 or o == 0x7F:
            return "bad_code"
    if max(code) >= "\x80":
        try:
            code.encode("latin-1").decode("utf-8")
        except UnicodeDecodeError:
            return "bad_code"
    return None


class BadRowFailure(Exception):
    pass


def read_inputs(opts, fail):
    """Returns (cell, (district_est, sector_est), stats, first_bad); cell maps (district, sector) -> milli."""
    cell = {}
    dist_est = {}
    sect_est = {}
    sect_sq = {}  # establishment rows only: sector -> sum of squared milli sizes (exact)
    dist_micro = {}  # establishment rows only: district -> establishments with < 10 employees
    sizes_known = opts.establishments_col is None
    all_stats = []
    first_bad = None
    code_cache = {}
    emp_cache = {}
    est_cache = {}
    skip_mode = opts.on_bad_row == "skip"
    for path in opts.files:
        st = InputStats(path)
        all_stats.append(st)
        if opts.no_checksum:
            st.bytes = os.path.getsize(path)
        else:
            st.sha256, st.bytes = sha256_and_size(path)
        with open(path, "rb") as f:
            magic = f.read(2)
        raw = gzip.open(path, "rb") if magic == b"\x1f\x8b" else open(path, "rb")
        with raw:
            text = io.TextIOWrapper(raw, encoding="latin-1", newline="")
            lines = iter(text)
            first = next(lines, "")
            if first.startswith("\xef\xbb\xbf"):
                first = first[3:]
            delim = opts.delimiter or detect_delimiter(first.rstrip("\r\n"))
            st.delimiter = delim
            reader = csv.reader(itertools.chain([first], lines), delimiter=delim, quotechar='"',
                                doublequote=True, skipinitialspace=False, strict=False)
            header = next(reader, None)
            if header is None:
                fail.add("%s: no header line" % path)
                continue
            nh = len(header)
            cols = {}
            for i, name in enumerate(header):
                cols.setdefault(name, i)

            def col(name, what):
                key = name.encode("utf-8").decode("latin-1")
                if key not in cols:
                    raise SystemExit("verify_run.py: %s: no column %r (%s); columns: %s"
                                     % (path, name, what, ", ".join(header)))
                return cols[key]

            di = [col(c, "district") for c in opts.district_cols]
            si = col(opts.sector_col, "sector")
            ei = col(opts.employees_col, "employees")
            ki = col(opts.establishments_col, "establishments") if opts.establishments_col else None
            need = max(di + [si, ei] + ([ki] if ki is not None else [])) + 1
            one_district = len(di) == 1
            d0 = di[0]
            digits = opts.sector_digits
            min_len = opts.min_sector_len

            rows_read = 0
            rows_used = 0
            skipped = st.skipped
            prev_line = reader.line_num
            for row in reader:
                start_line = prev_line + 1
                prev_line = reader.line_num
                n = len(row)
                if n == 0:
                    continue  # empty physical line: not a record
                rows_read += 1
                reason = None
                if n > nh:
                    reason = "too_many_fields"
                else:
                    if n < need:
                        row = row + [""] * (need - n)
                    sector = row[si]
                    if sector == "":
                        reason = "empty_code"
                    elif digits and len(sector) != digits:
                        reason = "sector_digits"
                    else:
                        p = code_cache.get(sector, 0)
                        if p == 0:
                            p = code_cache[sector] = code_problem(sector)
                        if p is not None:
                            reason = p
                        elif len(sector) < min_len:
                            reason = "sector_too_short"
                        else:
                            if one_district:
                                district = row[d0]
                                empty = district == ""
                            else:
                                parts = [row[i] for i in di]
                                district = "".join(parts)
                                empty = "" in parts
                            if empty:
                                reason = "empty_code"
                            else:
                                p = code_cache.get(district, 0)
                                if p == 0:
                                    p = code_cache[district] = code_problem(district)
                            if reason is None and p is not None:
                                reason = p
                            if reason is None:
                                etext = row[ei]
                                milli = emp_cache.get(etext, -1)
                                if milli == -1:
                                    milli = emp_cache[etext] = parse_milli(etext)
                                if milli is None:
                                    reason = "bad_employees"
                                else:
                                    if ki is None:
                                        est = 1
                                    else:
                                        ktext = row[ki]
                                        est = est_cache.get(ktext, -1)
                                        if est == -1:
                                            est = est_cache[ktext] = parse_count(ktext)
                                    if est is None:
                                        reason = "bad_establishments"
                                    else:
                                        key = (district, sector)
                                        cell[key] = cell.get(key, 0) + milli
                                        dist_est[district] = dist_est.get(district, 0) + est
                                        sect_est[sector] = sect_est.get(sector, 0) + est
                                        if sizes_known:
                                            sect_sq[sector] = sect_sq.get(sector, 0) + milli * milli
                                            if milli < MICRO_MILLI:
                                                dist_micro[district] = dist_micro.get(district, 0) + 1
                                        rows_used += 1
                                        continue
                r = R[reason]
                skipped[r] += 1
                if not st.first_line[r]:
                    st.first_line[r] = start_line
                if reason != "sector_digits" and not skip_mode and first_bad is None:
                    first_bad = (path, start_line, reason, row)
            st.rows_read = rows_read
            st.rows_used = rows_used
    sizes = (sect_sq, dist_micro) if sizes_known else None
    return cell, (dist_est, sect_est, sizes), all_stats, first_bad


# --------------------------------------------------------------------------------------------------
# computing


def compute(opts, cell, establishments):
    dist_est, sect_est, sizes = establishments
    districts = sorted({d for d, _ in cell})
    sectors = sorted({s for _, s in cell})
    dix = {d: i for i, d in enumerate(districts)}
    six = {s: i for i, s in enumerate(sectors)}
    D, S = len(districts), len(sectors)
    full = np.zeros((D, S), dtype=np.int64)
    for (d, s), m in cell.items():
        full[dix[d], six[s]] = m  # each (d, s) once; sums were exact Python ints
    if cell and max(cell.values()) > INT64_MAX:
        raise SystemExit("verify_run.py: a cell exceeds int64 thousandths")
    est = np.array([dist_est[d] for d in districts], dtype=np.int64)
    sest = np.array([sect_est[s] for s in sectors], dtype=np.int64)
    res = {"districts": districts, "district_milli": full.sum(axis=1), "district_est": est, "levels": {}}
    # establishment sizes (Python ints: squares exceed int64): per full sector, per district
    res["sizes_known"] = sizes is not None
    if sizes is not None:
        res["district_micro"] = np.array([sizes[1].get(d, 0) for d in districts], dtype=np.int64)
        full_sq = [sizes[0].get(s, 0) for s in sectors]
    for lev in opts.levels:
        if lev == "full":
            codes, mat, lest = sectors, full, sest
            lsq = list(full_sq) if sizes is not None else None
        else:
            cut = [s[:lev] for s in sectors]
            # sectors are sorted bytewise, so equal prefixes are contiguous
            starts = [i for i in range(S) if i == 0 or cut[i] != cut[i - 1]]
            codes = [cut[i] for i in starts]
            mat = np.add.reduceat(full, starts, axis=1) if S else np.zeros((D, 0), np.int64)
            lest = np.add.reduceat(sest, starts) if S else np.zeros(0, np.int64)
            if sizes is not None:
                bounds = starts + [S]
                lsq = [sum(full_sq[bounds[k]:bounds[k + 1]]) for k in range(len(starts))]
            else:
                lsq = None
        res["levels"][level_name(lev)] = {"codes": codes, "milli": mat, "sector_milli": mat.sum(axis=0),
                                          "sector_est": lest, "prefix": 0 if lev == "full" else lev,
                                          "size_squares": lsq}
    E = int(full.sum())
    res["total_milli"] = E

    L = np.longdouble
    for name, lv in res["levels"].items():
        m = lv["milli"].astype(L)
        ed = res["district_milli"].astype(L)[:, None]
        es = lv["sector_milli"].astype(L)[None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            lq = (m / ed) / (es / L(E))
        bad = (res["district_milli"][:, None] == 0) | (lv["sector_milli"][None, :] == 0)
        lq = np.where(bad, np.nan, lq)
        lv["lq"] = lq

    for lv in res["levels"].values():
        specialisation_and_localisation(lv, res["district_milli"], E, opts)
    if sizes is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            res["micro_share"] = np.where(est > 0, res["district_micro"] / np.where(est > 0, est, 1), np.nan)
    if opts.categories:
        res["categories"] = categories(opts, res["levels"][level_name(opts.levels[-1])], res["district_milli"], E)
    if opts.district_area:
        areas = {}
        with open(opts.district_area, encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(l for l in f if l.strip() and not l.startswith("#")))
        for r in rows[1:]:
            areas[r[0].strip()] = float(r[1])
        area = np.array([areas.get(d, np.nan) for d in districts], dtype=np.float64)
        res["area"] = area
        res["density"] = est / area

    fine, coarse = opts.variety
    F = res["levels"][level_name(fine)]
    ed_i = res["district_milli"]
    ed = ed_i.astype(L)[:, None]
    zero = ed_i == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        Fm = F["milli"].astype(L)
        p = Fm / ed
        terms = np.where(F["milli"] > 0, -p * np.log2(np.where(p > 0, p, 1)), L(0))
        entropy = terms.sum(axis=1)
        entropy = np.where(zero, np.nan, entropy)
        res["entropy"] = entropy
        res["unrelated"] = res["related"] = None
        if len(opts.levels) > 1:
            C = res["levels"][level_name(coarse)]
            # group of each fine code: its coarse prefix (or itself when coarse is "full")
            cidx = {c: i for i, c in enumerate(C["codes"])}
            group = np.array([cidx[c if coarse == "full" else c[:coarse]] for c in F["codes"]], dtype=np.int64)
            G = C["milli"].astype(L)
            P = G / ed
            unrel = np.where(C["milli"] > 0, -P * np.log2(np.where(P > 0, P, 1)), L(0)).sum(axis=1)
            Eg = G[:, group] if len(group) else np.zeros_like(Fm)
            q = np.where(F["milli"] > 0, Fm / np.where(Eg > 0, Eg, 1), L(1))
            rel = -(np.where(F["milli"] > 0, Fm * np.log2(q), L(0)).sum(axis=1)) / ed[:, 0]
            res["unrelated"] = np.where(zero, np.nan, unrel)
            res["related"] = np.where(zero, np.nan, rel)
    return res


def categories(opts, lv, district_milli, E):
    """Functional categories of the finest level from the map file (read here with the csv module):
    longest prefix wins, unmapped -> "other" (last); shares, LQs and the mixed-use index."""
    with open(opts.categories, encoding="utf-8-sig", newline="") as f:
        lines = [l for l in f if l.strip() and not l.startswith("#")]
    rows = [[x.strip() for x in r] for r in csv.reader(lines)]
    header, rows = rows[0], rows[1:]
    names, use = [], {}
    for r in rows:
        if r[1] not in names:
            names.append(r[1])
            use[r[1]] = r[2] if len(r) > 2 else ""
    if "other" in names:
        names.remove("other")
    names.append("other")
    use["other"] = ""
    prefixes = sorted(((r[0], r[1]) for r in rows), key=lambda x: -len(x[0]))
    def lookup(code):
        for pre, cat in prefixes:  # longest first
            if code.startswith(pre):
                return cat
        return "other"
    idx = {n: i for i, n in enumerate(names)}
    sector_cat = np.array([idx[lookup(c)] for c in lv["codes"]], dtype=np.int64)
    C = len(names)
    D = lv["milli"].shape[0]
    emp = np.zeros((D, C), dtype=np.int64)
    for c in range(C):
        emp[:, c] = lv["milli"][:, sector_cat == c].sum(axis=1)
    L = np.longdouble
    ed = district_milli.astype(L)[:, None]
    ec = emp.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(district_milli[:, None] > 0, emp / ed, np.nan)
        lq = np.where((district_milli[:, None] > 0) & (ec[None, :] > 0), share / (ec.astype(L) / L(E))[None, :], np.nan)
    out = {"names": names, "use": np.array([{"": 0, "none": 0, "work": 1, "living": 2, "leisure": 3}[use[n]]
                                            for n in names], dtype=np.int64),
           "sector_category": sector_cat, "employment": emp, "share": share, "lq": lq, "mixed_use": None}
    if len(header) == 3:
        by_use = np.zeros((D, 3), dtype=np.int64)
        for c, n in enumerate(names):
            u = out["use"][c]
            if u:
                by_use[:, u - 1] += emp[:, c]
        tot = by_use.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            q = by_use.astype(L) / tot.astype(L)[:, None]
            h = -np.where(by_use > 0, q * np.log(np.where(by_use > 0, q, 1)), L(0)).sum(axis=1) / np.log(L(3))
        out["mixed_use"] = np.where(tot > 0, h, np.nan)
    return out


def specialisation_and_localisation(lv, district_milli, E, opts):
    """The specialisation (per district) and localisation (per sector) indices of one level, written
    from the formulas of docs/SCHEMA.md in extended precision, vectorised over districts and sectors."""
    L = np.longdouble
    m_i = lv["milli"]
    D, S = m_i.shape
    m = m_i.astype(L)
    Ed_i, Es_i = district_milli, lv["sector_milli"]
    Ed, Es = Ed_i.astype(L), Es_i.astype(L)
    zero_d = Ed_i == 0
    lq = lv["lq"]
    with np.errstate(divide="ignore", invalid="ignore"):
        s = m / np.where(zero_d, 1, Ed)[:, None]  # s_ds
        p = Es / L(E)  # p_s
        dev = np.abs(s - p[None, :]).sum(axis=1)
        hhi = (s * s).sum(axis=1)
        n = int((Es_i > 0).sum())
        hhin = (hhi - L(1) / n) / (L(1) - L(1) / n) if n > 1 else np.full(D, np.nan, dtype=L)
        # s ln(s / p) with s / p from the shares themselves (not the LQ of the file)
        ratio = np.where(m_i > 0, s / np.where(Es_i > 0, p, 1)[None, :], L(1))
        theil = np.where(m_i > 0, s * np.log(ratio), L(0)).sum(axis=1)
        lq_fill = np.where(np.isnan(lq), -np.inf, lq)
        max_lq = lq_fill.max(axis=1) if S else np.full(D, -np.inf)
        max_sector = np.argmax(lq_fill, axis=1) if S else np.zeros(D, np.int64)  # first of ties
        rd = np.where(dev == 0, np.inf, L(1) / np.where(dev == 0, 1, dev))
    thr = opts.specialised_lq
    spec = ((~np.isnan(lq)) & (lq >= thr) & (m_i >= opts.specialised_min_milli)).sum(axis=1)
    nanv = lambda a: np.where(zero_d, np.nan, a)
    lv["spec"] = {
        "krugman": nanv(dev), "hoover": nanv(dev / 2), "hhi": nanv(hhi), "hhi_normalised": nanv(hhin),
        "theil": nanv(theil), "max_lq": nanv(max_lq), "relative_diversity": nanv(rd),
        "max_lq_sector": np.where(zero_d, -1, max_sector).astype(np.int64),
        "n_specialised": np.where(zero_d, 0, spec).astype(np.int64),
    }
    with np.errstate(divide="ignore", invalid="ignore"):
        sym = (lq - 1) / (lq + 1)
    lv["lq_symmetric"] = sym

    # localisation: x_d = E_d / E, s_sd = E_ds / E_s
    zero_s = Es_i == 0
    x = Ed / L(E)
    sx2 = (x * x).sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        sh = m / np.where(zero_s, 1, Es)[None, :]  # s_sd
        d = sh - x[:, None]
        hoover = np.abs(d).sum(axis=0) / 2
        G = (d * d).sum(axis=0)
        ss2 = (sh * sh).sum(axis=0)
        # Gini: districts by ascending LQ (E_d = 0 last: they add nothing), Lorenz area
        key = np.where(np.isnan(lq), np.inf, lq)
        order = np.argsort(key, axis=0, kind="stable")
        so = np.take_along_axis(sh, order, axis=0)
        xo = x[order]
        Y = np.cumsum(so, axis=0)
        Yprev = Y - so
        gini = 1 - (xo * (Yprev + Y)).sum(axis=0)
    sn = lambda a: np.where(zero_s, np.nan, a)
    loc = {"hoover": sn(hoover), "gini": sn(gini), "concentration": sn(G)}
    # the Gini again, from its definition as half the relative mean difference of the LQs weighted
    # by x (no sorting): 1/2 sum_i sum_j x_i x_j |LQ_i - LQ_j|, on small levels
    if D * D * S <= 2e8:
        lqe = np.where(zero_d[:, None], 0, sh / np.where(zero_d, 1, x)[:, None])
        pair = np.zeros(S, dtype=L)
        for i in range(D):
            pair += x[i] * (x[:, None] * np.abs(lqe[i][None, :] - lqe)).sum(axis=0)
        loc["gini_pairwise"] = sn(pair / 2)
    if lv["size_squares"] is not None:
        H = np.array([L(q) / (L(int(e)) * L(int(e))) if e > 0 else L("nan")
                      for q, e in zip(lv["size_squares"], Es_i.tolist())], dtype=L)
        one = np.array([e > 0 and q == int(e) * int(e) for q, e in zip(lv["size_squares"], Es_i.tolist())])
        with np.errstate(divide="ignore", invalid="ignore"):
            den = (1 - sx2) * (1 - H)
            eg = (G - (1 - sx2) * H) / den
            ms = (ss2 - sx2 - H * (1 - sx2)) / den
        undefined = zero_s | one | (sx2 >= 1)
        loc["plant_herfindahl"] = sn(H)
        loc["ellison_glaeser"] = np.where(undefined, np.nan, eg)
        loc["maurel_sedillot"] = np.where(undefined, np.nan, ms)
        loc["gamma_denominator"] = np.where(undefined, np.nan, den)
    else:
        for k in ("plant_herfindahl", "ellison_glaeser", "maurel_sedillot"):
            loc[k] = np.full(S, np.nan)
    lv["loc"] = loc


# --------------------------------------------------------------------------------------------------
# comparing


def as_str(v):
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, np.ndarray) and v.shape == ():
        return as_str(v[()])
    if isinstance(v, np.generic):
        return as_str(v.item())
    return str(v)


def codes_of(h5, path, fail):
    if path not in h5:
        fail.add("%s missing" % path)
        return None
    ds = h5[path]
    tid = ds.id.get_type()
    if not isinstance(tid, h5py.h5t.TypeStringID) or tid.is_variable_str():
        fail.add("%s: expected fixed-length strings, got %s" % (path, ds.dtype))
        return None
    fail.check(tid.get_strpad() == h5py.h5t.STR_NULLPAD, "%s: strings are not NUL-padded" % path)
    if ds.ndim != 1:
        fail.add("%s: expected 1-D, shape %s" % (path, ds.shape))
        return None
    raw = ds[()]
    return [bytes(x) for x in raw.tolist()]


def check_codes(h5, path, expected, fail):
    got = codes_of(h5, path, fail)
    if got is None:
        return False
    exp = [c.encode("latin-1") for c in expected]
    if got != exp:
        miss = sorted(set(exp) - set(got))[:5]
        extra = sorted(set(got) - set(exp))[:5]
        first = next((i for i, (a, b) in enumerate(zip(got, exp)) if a != b), min(len(got), len(exp)))
        fail.add("%s: %d codes, expected %d; first difference at index %d; missing %s; unexpected %s"
                 % (path, len(got), len(exp), first, miss, extra))
        return False
    fail.check(all(got[i] < got[i + 1] for i in range(len(got) - 1)), "%s: not sorted/unique" % path)
    return True


def dataset(h5, path, shape, kind, fail):
    if path not in h5:
        fail.add("%s missing" % path)
        return None
    ds = h5[path]
    if not isinstance(ds, h5py.Dataset):
        fail.add("%s is not a dataset" % path)
        return None
    if tuple(ds.shape) != tuple(shape):
        fail.add("%s: shape %s, expected %s" % (path, ds.shape, tuple(shape)))
        return None
    if kind == "f8" and ds.dtype != np.float64:
        fail.add("%s: dtype %s, expected float64" % (path, ds.dtype))
    if kind == "i8" and ds.dtype != np.int64:
        fail.add("%s: dtype %s, expected int64" % (path, ds.dtype))
    return ds[()]


def milli_to_f8(m):
    m = np.asarray(m, dtype=np.int64)
    if m.size and np.abs(m).max() >= 2**53:
        # beyond 2^53 the int->double conversion rounds; do it exactly with Python ints
        return np.array([x / 1000 for x in m.ravel().tolist()], dtype=np.float64).reshape(m.shape)
    return m.astype(np.float64) / 1000.0


def compare_exact(path, got, exp_milli, fail, stats):
    exp = milli_to_f8(exp_milli)
    if got is None:
        return
    stats["exact_values"] += exp.size
    if not np.array_equal(got, exp):
        bad = np.argwhere(got != exp)
        i = tuple(bad[0])
        fail.add("%s: %d of %d values differ from the exact sums; first at %s: %r, expected %r"
                 % (path, len(bad), exp.size, list(map(int, i)), float(got[i]), float(exp[i])))


def compare_close(path, got, exp, rtol, atol, fail, stats, key):
    """exp in longdouble (NaN allowed). NaN positions must agree; elsewhere |d| <= rtol|e| + atol."""
    if got is None:
        return
    stats["close_values"] += exp.size
    gn, en = np.isnan(got), np.isnan(exp.astype(np.float64))
    if not np.array_equal(gn, en):
        bad = np.argwhere(gn != en)
        i = tuple(bad[0])
        fail.add("%s: NaN positions differ at %d places; first at %s: %r, expected %r"
                 % (path, len(bad), list(map(int, i)), float(got[i]), float(exp[i])))
        return
    ok = ~en
    if not ok.any():
        return
    g = got[ok].astype(np.longdouble)
    e = exp[ok]
    diff = np.abs(g - e)
    rel = np.where(e != 0, diff / np.abs(np.where(e != 0, e, 1)), np.where(diff == 0, 0, np.inf))
    stats[key + "_max_rel"] = max(stats.get(key + "_max_rel", 0.0), float(rel.max()))
    stats[key + "_max_abs"] = max(stats.get(key + "_max_abs", 0.0), float(diff.max()))
    if np.ndim(atol):
        atol = np.asarray(atol)[ok]
    badmask = diff > rtol * np.abs(e) + atol
    if badmask.any():
        idx_all = np.argwhere(ok)
        j = int(np.argmax(np.where(badmask, rel, -1)))
        i = tuple(idx_all[j])
        fail.add("%s: %d values outside rtol %g (atol %g); worst at %s: %.17g, expected %.17g (rel %.3g)"
                 % (path, int(badmask.sum()), rtol, atol, list(map(int, i)), float(got[i]), float(exp[i]),
                    float(rel[j])))


def compare_indices(h5, name, lv, D, S, opts, fail, st):
    """/specialisation/<name> and /localisation/<name> against specialisation_and_localisation()."""
    base = "/specialisation/%s" % name
    if base in h5:
        g = h5[base]
        thr, mn = g.attrs.get("lq_threshold"), g.attrs.get("min_employment")
        fail.check(thr is not None and float(thr) == opts.specialised_lq,
                   "%s attribute lq_threshold %r, expected %r" % (base, thr, opts.specialised_lq))
        fail.check(mn is not None and float(mn) == opts.specialised_min_milli / 1000,
                   "%s attribute min_employment %r, expected %r" % (base, mn, opts.specialised_min_milli / 1000))
    # which sectors pass the threshold, and which LQ is largest, on the LQs as stored (checked
    # above to 1e-12): an LQ that is exactly the threshold in exact arithmetic may round either way
    lq_path = "/levels/%s/lq" % name
    if lq_path in h5 and h5[lq_path].shape == (D, S):
        flq = h5[lq_path][()]
        zero_d = np.isnan(lv["spec"]["krugman"])
        fill = np.where(np.isnan(flq), -np.inf, flq)
        if S:
            lv["spec"]["max_lq_sector"] = np.where(zero_d, -1, np.argmax(fill, axis=1)).astype(np.int64)
        with np.errstate(invalid="ignore"):
            passing = (~np.isnan(flq)) & (flq >= opts.specialised_lq) & (lv["milli"] >= opts.specialised_min_milli)
        lv["spec"]["n_specialised"] = np.where(zero_d, 0, passing.sum(axis=1)).astype(np.int64)
    for key, exp in lv["spec"].items():
        path = "%s/%s" % (base, key)
        if exp.dtype == np.int64:
            got = dataset(h5, path, (D,), "i8", fail)
            if got is not None:
                st["exact_values"] += D
                if not np.array_equal(got, exp):
                    i = int(np.argmax(got != exp))
                    fail.add("%s: differs at district %d: %d, expected %d" % (path, i, int(got[i]), int(exp[i])))
        else:
            compare_close(path, dataset(h5, path, (D,), "f8", fail), exp, INDEX_RTOL, INDEX_ATOL, fail, st, "index")
    base = "/localisation/%s" % name
    loc = lv["loc"]
    for key in ("hoover", "gini", "concentration", "plant_herfindahl"):
        path = "%s/%s" % (base, key)
        compare_close(path, dataset(h5, path, (S,), "f8", fail), loc[key], INDEX_RTOL, INDEX_ATOL, fail, st, "index")
    if "gini_pairwise" in loc:
        compare_close(base + "/gini (pairwise definition)", dataset(h5, base + "/gini", (S,), "f8", fail),
                      loc["gini_pairwise"], INDEX_RTOL, INDEX_ATOL, fail, st, "index")
        st["gini_pairwise_levels"] = st.get("gini_pairwise_levels", 0) + 1
    for key in ("ellison_glaeser", "maurel_sedillot"):
        path = "%s/%s" % (base, key)
        # the numerators are differences of O(1) terms, each known to ~1e-16; the denominator
        # (1 - sum x^2)(1 - H) can be small, so the absolute tolerance scales with its inverse
        den = loc.get("gamma_denominator")
        atol = GAMMA_ATOL / np.abs(np.where(np.isnan(den), 1, den)) if den is not None else GAMMA_ATOL
        compare_close(path, dataset(h5, path, (S,), "f8", fail), loc[key], INDEX_RTOL, atol, fail, st, "gamma")


def attr_str(obj, name, fail, where):
    if name not in obj.attrs:
        fail.add("%s: attribute %s missing" % (where, name))
        return None
    return as_str(obj.attrs[name])


def compare(h5, opts, res, stats_in, fail):
    st = {"exact_values": 0, "close_values": 0}
    D = len(res["districts"])
    check_codes(h5, "/districts/code", res["districts"], fail)
    compare_exact("/districts/employment", dataset(h5, "/districts/employment", (D,), "f8", fail),
                  res["district_milli"], fail, st)
    if "districts" in h5:
        tot = h5["districts"].attrs.get("total_employment")
        exp_tot = milli_to_f8(np.array([res["total_milli"]]))[0] if res["total_milli"] < 2**63 else None
        fail.check(tot is not None and float(tot) == exp_tot,
                   "/districts attribute total_employment %r, expected %r" % (tot, None if exp_tot is None else float(exp_tot)))
    est = dataset(h5, "/districts/establishments", (D,), "i8", fail)
    if est is not None:
        st["exact_values"] += D
        if not np.array_equal(est, res["district_est"]):
            i = int(np.argmax(est != res["district_est"]))
            fail.add("/districts/establishments: differs at %d (%r): %d, expected %d"
                     % (i, res["districts"][i], int(est[i]), int(res["district_est"][i])))

    exp_levels = sorted(res["levels"])
    if "levels" not in h5:
        fail.add("/levels missing")
    else:
        got_levels = sorted(h5["levels"].keys())
        fail.check(got_levels == exp_levels, "/levels has %s, expected %s" % (got_levels, exp_levels))
    for name, lv in res["levels"].items():
        base = "/levels/%s" % name
        if base not in h5:
            continue
        S = len(lv["codes"])
        check_codes(h5, base + "/sectors/code", lv["codes"], fail)
        compare_exact(base + "/sectors/employment", dataset(h5, base + "/sectors/employment", (S,), "f8", fail),
                      lv["sector_milli"], fail, st)
        pre = h5[base].attrs.get("prefix")
        fail.check(pre is not None and int(pre) == lv["prefix"], "%s attribute prefix %r, expected %d"
                   % (base, pre, lv["prefix"]))
        sest = dataset(h5, base + "/sectors/establishments", (S,), "i8", fail)
        if sest is not None:
            st["exact_values"] += S
            if not np.array_equal(sest, lv["sector_est"]):
                i = int(np.argmax(sest != lv["sector_est"]))
                fail.add("%s/sectors/establishments: differs at %d (%r): %d, expected %d"
                         % (base, i, lv["codes"][i], int(sest[i]), int(lv["sector_est"][i])))
        compare_exact(base + "/employment", dataset(h5, base + "/employment", (D, S), "f8", fail),
                      lv["milli"], fail, st)
        compare_close(base + "/lq", dataset(h5, base + "/lq", (D, S), "f8", fail), lv["lq"], LQ_RTOL, 0.0,
                      fail, st, "lq")
        compare_close(base + "/lq_symmetric", dataset(h5, base + "/lq_symmetric", (D, S), "f8", fail),
                      lv["lq_symmetric"], LQ_RTOL, INDEX_ATOL, fail, st, "index")
        compare_indices(h5, name, lv, D, S, opts, fail, st)

    # variety
    fine, coarse = opts.variety
    if "variety" not in h5:
        fail.add("/variety missing")
    else:
        v = h5["variety"]
        fl = attr_str(v, "fine_level", fail, "/variety")
        fail.check(fl is None or fl == level_name(fine), "/variety fine_level %r, expected %r" % (fl, level_name(fine)))
        ent = dataset(h5, "/variety/entropy", (D,), "f8", fail)
        compare_close("/variety/entropy", ent, res["entropy"], VARIETY_RTOL, VARIETY_ATOL, fail, st, "variety")
        if res["unrelated"] is None:
            fail.check("unrelated" not in v and "related" not in v,
                       "/variety/unrelated|related present although there is one level only")
        else:
            cl = attr_str(v, "coarse_level", fail, "/variety")
            fail.check(cl is None or cl == level_name(coarse),
                       "/variety coarse_level %r, expected %r" % (cl, level_name(coarse)))
            un = dataset(h5, "/variety/unrelated", (D,), "f8", fail)
            re_ = dataset(h5, "/variety/related", (D,), "f8", fail)
            compare_close("/variety/unrelated", un, res["unrelated"], VARIETY_RTOL, VARIETY_ATOL, fail, st, "variety")
            compare_close("/variety/related", re_, res["related"], VARIETY_RTOL, VARIETY_ATOL, fail, st, "variety")
            if ent is not None and un is not None and re_ is not None:
                ok = ~np.isnan(ent)
                fail.check(np.array_equal(np.isnan(ent), np.isnan(un)) and np.array_equal(np.isnan(ent), np.isnan(re_)),
                           "/variety: NaN positions of entropy, unrelated and related differ")
                gap = np.abs(ent[ok] - (un[ok] + re_[ok]))
                st["identity_max_abs"] = float(gap.max()) if gap.size else 0.0
                if gap.size and gap.max() > IDENTITY_ATOL:
                    i = int(np.flatnonzero(ok)[int(np.argmax(gap))])
                    fail.add("/variety: entropy != unrelated + related at district %d (%r): %.17g vs %.17g + %.17g"
                             % (i, res["districts"][i], ent[i], un[i], re_[i]))

    if res["sizes_known"]:
        compare_close("/districts/micro_share", dataset(h5, "/districts/micro_share", (D,), "f8", fail),
                      res["micro_share"].astype(np.longdouble), INDEX_RTOL, 0.0, fail, st, "index")
    if "area" in res:
        compare_close("/districts/area_km2", dataset(h5, "/districts/area_km2", (D,), "f8", fail),
                      res["area"].astype(np.longdouble), 0.0, 0.0, fail, st, "index")
        compare_close("/districts/establishment_density", dataset(h5, "/districts/establishment_density", (D,), "f8",
                      fail), res["density"].astype(np.longdouble), INDEX_RTOL, 0.0, fail, st, "index")
    if "categories" in res:
        cat = res["categories"]
        C = len(cat["names"])
        names = codes_of(h5, "/categories/name", fail)
        if names is not None:
            got = [n.decode("utf-8", "replace") for n in names]
            fail.check(got == cat["names"], "/categories/name %s, expected %s" % (got, cat["names"]))
        for key in ("use", "sector_category"):
            exp = cat[key]
            got = dataset(h5, "/categories/" + key, exp.shape, "i8", fail)
            fail.check(got is None or np.array_equal(got, exp), "/categories/%s differs: %s, expected %s"
                       % (key, None if got is None else got[:20], exp[:20]))
        compare_exact("/categories/employment", dataset(h5, "/categories/employment", (D, C), "f8", fail),
                      cat["employment"], fail, st)
        for key in ("share", "lq"):
            compare_close("/categories/" + key, dataset(h5, "/categories/" + key, (D, C), "f8", fail), cat[key],
                          INDEX_RTOL, INDEX_ATOL, fail, st, "index")
        if cat["mixed_use"] is None:
            fail.check("/categories/mixed_use" not in h5, "/categories/mixed_use present without a use column")
        else:
            compare_close("/categories/mixed_use", dataset(h5, "/categories/mixed_use", (D,), "f8", fail),
                          cat["mixed_use"], INDEX_RTOL, INDEX_ATOL, fail, st, "index")
    else:
        fail.check("categories" not in h5, "/categories present without --categories")
    micro = "/districts/micro_establishments"
    if res["sizes_known"]:
        got = dataset(h5, micro, (D,), "i8", fail)
        if got is not None:
            st["exact_values"] += D
            fail.check(np.array_equal(got, res["district_micro"]), "%s differs from the count of rows with fewer "
                       "than 10 employees" % micro)
    else:
        fail.check(micro not in h5, "%s present although the input is pre-aggregated" % micro)

    # provenance
    F = len(opts.files)
    if "provenance" not in h5:
        fail.add("/provenance missing")
        return st
    pv = h5["provenance"]
    for a in ("command_line", "config", "regio_version"):
        attr_str(pv, a, fail, "/provenance")
    config = as_str(pv.attrs["config"]) if "config" in pv.attrs else None
    if config is not None:
        check_config_attr(config, opts, fail)
    reasons = codes_of(h5, "/provenance/skip_reasons", fail)
    if reasons is not None:
        reasons = [r.decode("utf-8", "replace") for r in reasons]
        fail.check(reasons == SKIP_REASONS, "/provenance/skip_reasons %s, expected %s" % (reasons, SKIP_REASONS))
    if "inputs" not in pv:
        fail.add("/provenance/inputs missing")
        return st
    paths = codes_of(h5, "/provenance/inputs/path", fail)
    if paths is not None:
        if len(paths) != F:
            fail.add("/provenance/inputs/path: %d files, expected %d" % (len(paths), F))
        else:
            for got, s in zip(paths, stats_in):
                g = got.decode("utf-8", "replace")
                fail.check(g == s.path or os.path.realpath(g) == os.path.realpath(s.path),
                           "/provenance/inputs/path %r, expected %r" % (g, s.path))
    for name, attr in (("bytes", "bytes"), ("rows_read", "rows_read"), ("rows_used", "rows_used")):
        got = dataset(h5, "/provenance/inputs/" + name, (F,), "i8", fail)
        if got is not None:
            exp = [getattr(s, attr) for s in stats_in]
            fail.check(got.tolist() == exp, "/provenance/inputs/%s %s, expected %s" % (name, got.tolist(), exp))
    sha = codes_of(h5, "/provenance/inputs/sha256", fail)
    if sha is not None:
        got = [x.decode("ascii", "replace") for x in sha]
        exp = [s.sha256 for s in stats_in]
        fail.check(got == exp, "/provenance/inputs/sha256 %s, expected %s" % (got, exp))
    if reasons is not None:
        sk = dataset(h5, "/provenance/inputs/rows_skipped", (F, len(reasons)), "i8", fail)
        if sk is not None:
            for f, s in enumerate(stats_in):
                for j, rname in enumerate(reasons):
                    exp = s.skipped[R[rname]] if rname in R else 0
                    fail.check(int(sk[f, j]) == exp, "/provenance/inputs/rows_skipped[%s][%s] = %d, expected %d"
                               % (s.path, rname, int(sk[f, j]), exp))
        fl = dataset(h5, "/provenance/inputs/first_skipped_line", (F, len(reasons)), "i8", fail)
        if fl is not None:
            for f, s in enumerate(stats_in):
                for j, rname in enumerate(reasons):
                    exp = s.first_line[R[rname]] if rname in R else 0
                    fail.check(int(fl[f, j]) == exp, "/provenance/inputs/first_skipped_line[%s][%s] = %d, expected %d"
                               % (s.path, rname, int(fl[f, j]), exp))
    return st


def check_config_attr(config, opts, fail):
    """The effective configuration as INI text: the keys it has must agree with our options."""
    cp = configparser.ConfigParser(interpolation=None)
    try:
        cp.read_string(config)
    except configparser.Error as e:
        fail.add("/provenance config attribute is not INI text: %s" % e)
        return
    if not cp.has_section("run"):
        fail.add("/provenance config attribute has no [run] section")
        return
    norm = lambda s: s.replace(" ", "")
    expect = {
        "district-col": ",".join(opts.district_cols),
        "sector-col": opts.sector_col,
        "employees-col": opts.employees_col,
        "on-bad-row": opts.on_bad_row,
    }
    if opts.establishments_col:
        expect["establishments-col"] = opts.establishments_col
    if opts.sector_digits:
        expect["sector-digits"] = str(opts.sector_digits)
    for k, v in expect.items():
        if cp.has_option("run", k):
            g = cp.get("run", k)
            fail.check(norm(g) == norm(v), "/provenance config: %s = %r, expected %r" % (k, g, v))


# --------------------------------------------------------------------------------------------------


def main(argv):
    t0 = time.time()
    opts = parse_args(argv)
    fail = Failures()
    cell, establishments, stats_in, first_bad = read_inputs(opts, fail)
    t1 = time.time()
    rows = sum(s.rows_read for s in stats_in)
    used = sum(s.rows_used for s in stats_in)
    log("verify_run: read %d file(s), %d rows, %d used, %.1f s" % (len(stats_in), rows, used, t1 - t0))
    for s in stats_in:
        sk = ", ".join("%s %d (first line %d)" % (n, s.skipped[i], s.first_line[i])
                       for i, n in enumerate(SKIP_REASONS) if s.skipped[i])
        log("  %s: delimiter %r, rows %d, used %d%s" % (s.path, s.delimiter, s.rows_read, s.rows_used,
                                                         ", skipped: " + sk if sk else ""))
    if first_bad is not None:
        path, line, reason, row = first_bad
        fail.add("with --on-bad-row fail regio should have failed: %s:%d is a bad row (%s): %r"
                 % (path, line, reason, row[:12]))
    if not os.path.exists(opts.out):
        fail.add("result file %s does not exist" % opts.out)
        return finish(fail)
    res = compute(opts, cell, establishments)
    with h5py.File(opts.out, "r") as h5:
        st = compare(h5, opts, res, stats_in, fail)
    log("verify_run: %d districts; levels %s (%s sectors); variety fine %s coarse %s"
        % (len(res["districts"]), ", ".join(res["levels"]),
           ", ".join(str(len(lv["codes"])) for lv in res["levels"].values()),
           level_name(opts.variety[0]), level_name(opts.variety[1]) if len(opts.levels) > 1 else "-"))
    log("verify_run: total employment %s; %d values compared exactly, %d with tolerance"
        % (fmt_milli(res["total_milli"]), st["exact_values"], st["close_values"]))
    log("verify_run: LQ max rel err %.3g (rtol %g); variety max rel err %.3g, max abs err %.3g (rtol %g, atol %g);"
        " identity max |H - (UV + RV)| %.3g (atol %g)"
        % (st.get("lq_max_rel", 0.0), LQ_RTOL, st.get("variety_max_rel", 0.0), st.get("variety_max_abs", 0.0),
           VARIETY_RTOL, VARIETY_ATOL, st.get("identity_max_abs", 0.0), IDENTITY_ATOL))
    log("verify_run: specialisation/localisation max rel err %.3g, max abs err %.3g (rtol %g, atol %g); EG/MS max "
        "rel err %.3g (atol %g / ((1 - sum x^2)(1 - H))); Gini against its pairwise definition on %d level(s); "
        "establishment sizes %s"
        % (st.get("index_max_rel", 0.0), st.get("index_max_abs", 0.0), INDEX_RTOL, INDEX_ATOL,
           st.get("gamma_max_rel", 0.0), GAMMA_ATOL, st.get("gini_pairwise_levels", 0),
           "known (rows are establishments)" if res["sizes_known"] else "unknown (pre-aggregated): H, EG, MS NaN"))
    log("verify_run: provenance: %d inputs, %s, skip counts per reason, rows read/used"
        % (len(stats_in), "sha256 off" if opts.no_checksum else "sha256 checked"))
    log("verify_run: %.1f s in all" % (time.time() - t0))
    return finish(fail)


def fmt_milli(m):
    return "%d.%03d" % divmod(m, 1000)


def finish(fail):
    if fail.items:
        print("verify_run: FAILED, %d mismatch(es)" % len(fail.items), flush=True)
        return 1
    print("verify_run: OK", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
