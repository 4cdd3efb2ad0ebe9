#!/usr/bin/env python3
"""regio benchmark harness.

Generates the inputs deterministically (regio gen), keeps them in the page cache, runs each
measurement several times and reports the best wall time, with the machine's own limits measured in
the same run (cat and wc -l from the page cache), into bench/RESULTS.md.

usage: bench/run.py [--only read|io] [--rows N] [--repeat K] [--data DIR] [--out FILE]

Each part writes its section to bench/results/<part>.md; RESULTS.md is put together from the
sections present and bench/NOTES.md, so one part can be rerun alone.
"""
import argparse
import os
import platform
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=True, check=True, capture_output=True, text=True, **kw)


def timed(cmd, repeat):
    """Best wall time of cmd over repeat runs, and the stderr of the best run."""
    best, best_err = None, ""
    for _ in range(repeat):
        t0 = time.perf_counter()
        p = subprocess.run(cmd, shell=True, capture_output=True, text=True)
        dt = time.perf_counter() - t0
        if p.returncode != 0:
            sys.exit(f"bench: command failed ({p.returncode}): {cmd}\n{p.stderr}")
        if best is None or dt < best:
            best, best_err = dt, p.stderr
    return best, best_err


def phase(stderr, name):
    m = re.search(name + r" ([0-9.]+) s", stderr)
    return float(m.group(1)) if m else float("nan")


def peak_rss_kb(cmd):
    p = subprocess.run(f"/usr/bin/time -f '%M' {cmd}", shell=True, capture_output=True, text=True)
    try:
        return int(p.stderr.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return -1


def machine():
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cc = sh("cc --version").stdout.splitlines()[0]
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB, Linux {platform.release()}, {cc}"


def kr_table(regio, data):
    """The establishment-level table like a national census: quoted names with commas."""
    kr = os.path.join(data, "kr_6000000.csv")
    if not os.path.exists(kr):
        print(f"bench: generating {kr}", file=sys.stderr)
        sh(f"{regio} gen --preset kr --seed 1 -o {kr}")
    sh(f"cat {kr} > /dev/null")
    return kr


def bench_read(args, regio):
    table = os.path.join(args.data, f"narrow_{args.rows}.csv")
    if not os.path.exists(table):
        print(f"bench: generating {table}", file=sys.stderr)
        sh(f"{regio} gen --preset narrow --seed 1 --rows {args.rows} -o {table}")
    size = os.path.getsize(table)
    out_h5 = os.path.join(args.data, "narrow.h5")
    sh(f"cat {table} > /dev/null")  # into the page cache

    rows = []
    t_cat, _ = timed(f"cat {table} > /dev/null", args.repeat)
    t_wc, _ = timed(f"wc -l {table} > /dev/null", args.repeat)
    rows.append(("`cat FILE > /dev/null` (page cache)", t_cat, size / t_cat / 1e9, args.rows / t_cat / 1e6, ""))
    rows.append(("`wc -l FILE`", t_wc, size / t_wc / 1e9, args.rows / t_wc / 1e6, ""))

    base = (f"{regio} run {table} --establishments-col establishments --sector-levels 2,5 -o {out_h5}")
    results = {}
    for threads in (1, 2):
        for checksum in (False, True):
            cmd = base + f" --threads {threads}" + ("" if checksum else " --no-checksum")
            _, err = timed(cmd, args.repeat)
            t = phase(err, "read\\+aggregate")
            results[(threads, checksum)] = t
            label = f"regio read + aggregate, {threads} thread{'s' if threads > 1 else ''}" + (
                ", with SHA-256" if checksum else "")
            rows.append((label, t, size / t / 1e9, args.rows / t / 1e6, f"indices {phase(err, 'indices'):.3f} s, "
                         f"HDF5 write {phase(err, 'write'):.3f} s"))
    rss = peak_rss_kb(base + " --threads 2 -q")
    speedup = results[(1, False)] / results[(2, False)]

    kr = kr_table(regio, args.data)
    kr_size = os.path.getsize(kr)
    kr_rows = 6_000_000
    kr_results = []
    for threads in (1, 2):
        _, err = timed(f"{regio} run {kr} --sector-levels 2,5 --no-checksum --threads {threads} "
                       f"-o {os.path.join(args.data, 'kr.h5')}", args.repeat)
        t = phase(err, "read\\+aggregate")
        kr_results.append((threads, t, err))

    f = []
    f.append(f"## Read + aggregate, `narrow` table\n\n")
    f.append(f"`regio gen --preset narrow --seed 1 --rows {args.rows}`: {args.rows:,} rows, "
             f"{size / 1e9:.3f} GB ({size / args.rows:.1f} bytes per row), columns "
             f"`district,sector,employees,establishments`, rows in random order; file in the page cache. "
             f"Best of {args.repeat} runs. The regio times are the read + aggregate phase as regio reports "
             f"it (`regio: time:` line): mapping, parsing, validating, exact aggregation and the merge into the "
             f"sorted district x sector matrix.\n\n")
    f.append("| what | seconds | GB/s | million rows/s | notes |\n| --- | ---: | ---: | ---: | --- |\n")
    for label, t, gbs, mrs, note in rows:
        f.append(f"| {label} | {t:.3f} | {gbs:.2f} | {mrs:.1f} | {note} |\n")
    f.append(f"\n2 threads / 1 thread speed-up (no checksum): {speedup:.2f}x. "
             f"Peak resident memory of the whole 2-thread run: {rss / 1024:.0f} MiB.\n")
    f.append(f"\n## Read + aggregate, `kr` table\n\n`regio gen --preset kr --seed 1`: {kr_rows:,} "
             f"establishment rows, {kr_size / 1e9:.3f} GB ({kr_size / kr_rows:.1f} bytes per row), columns "
             f"`establishment_id,name,region,district,sector,employees` with quoted names containing commas "
             f"and doubled quotes; 3,500 districts x 1,200 sectors; no checksum; best of {args.repeat}.\n\n")
    f.append("| threads | seconds | GB/s | million rows/s | notes |\n| ---: | ---: | ---: | ---: | --- |\n")
    for threads, t, err in kr_results:
        f.append(f"| {threads} | {t:.3f} | {kr_size / t / 1e9:.2f} | {kr_rows / t / 1e6:.1f} | "
                 f"indices {phase(err, 'indices'):.3f} s, HDF5 write {phase(err, 'write'):.3f} s |\n")
    return "".join(f)


SECTIONS = ("read", "io")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", choices=SECTIONS, action="append", help="run only these parts (repeatable)")
    ap.add_argument("--rows", type=int, default=50_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--data", default=os.path.join(ROOT, "bench", "data"))
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "RESULTS.md"))
    args = ap.parse_args()

    sh(f"{ROOT}/scripts/build.sh")
    build = os.path.join(ROOT, "build")
    regio = os.path.join(build, "regio")
    os.makedirs(args.data, exist_ok=True)
    results_dir = os.path.join(ROOT, "bench", "results")
    os.makedirs(results_dir, exist_ok=True)
    parts = args.only or list(SECTIONS)
    stamp = (f"<!-- `bench/run.py --only {{part}} --rows {args.rows} --repeat {args.repeat}` on "
             f"{time.strftime('%Y-%m-%d')}; machine: {machine()} -->\n")
    for part in parts:
        if part == "read":
            text = bench_read(args, regio)
        else:
            sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
            import io_regional
            text = io_regional.bench_io(regio, build, args.data, args.repeat, kr_table(regio, args.data))
        with open(os.path.join(results_dir, f"{part}.md"), "w") as f:
            f.write(stamp.format(part=part) + text)

    with open(args.out, "w") as f:
        f.write("# regio benchmark results\n\n")
        f.write("Produced by `bench/run.sh` (`bench/run.py`); each section says when and with which command.\n\n")
        f.write(f"Machine: {machine()}.\n\n")
        for part in SECTIONS:
            path = os.path.join(results_dir, f"{part}.md")
            if os.path.exists(path):
                body = open(path).read()
                first, rest = body.split("\n", 1)
                f.write(rest + "\n" + first.replace("<!-- ", "Produced by ").replace(" -->", ".") + "\n\n")
        notes = os.path.join(ROOT, "bench", "NOTES.md")
        if os.path.exists(notes):
            f.write(open(notes).read())
    print(open(args.out).read())


if __name__ == "__main__":
    main()
