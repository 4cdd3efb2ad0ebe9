#!/usr/bin/env python3
"""regio benchmark harness.

Generates the inputs deterministically (regio gen), keeps them in the page cache, runs each
measurement several times and reports the best wall time, with the machine's own limits measured in
the same run (cat and wc -l from the page cache), into bench/RESULTS.md.

usage: bench/run.py [--only read|io|peers|e2e|mpi|memory] [--rows N] [--repeat K] [--data DIR] [--work DIR]
                    [--memory-rows N] [--wait MINUTES] [--out FILE]

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
    return timed_rounds([cmd], repeat)[0]


def rounds(cmds, repeat):
    """The commands taking turns (each once, then again, repeat rounds), so that a slower spell of
    this VM falls on all of them rather than on one: their ratios (2 threads against 1, regio against
    a peer) are what the targets compare. Returns, per command, its runs as (wall time, stdout,
    stderr)."""
    runs = [[] for _ in cmds]
    for _ in range(repeat):
        for i, cmd in enumerate(cmds):
            t0 = time.perf_counter()
            p = subprocess.run(cmd, shell=True, capture_output=True, text=True)
            dt = time.perf_counter() - t0
            if p.returncode != 0:
                sys.exit(f"bench: command failed ({p.returncode}): {cmd}\n{p.stderr}")
            runs[i].append((dt, p.stdout, p.stderr))
    return runs


def best_run(runs):
    """The fastest of one command's runs (from rounds()), as (wall time, stderr of that run)."""
    wall, _, err = min(runs, key=lambda x: x[0])
    return wall, err


def timed_rounds(cmds, repeat):
    """rounds(), reduced to best_run() per command."""
    return [best_run(r) for r in rounds(cmds, repeat)]


SCALING_ITERATIONS = 400_000_000  # about 0.4-0.8 s with 1 thread on the Intel VM


def scaling_cmds():
    """The commands of the machine's own speed-up probe (bench/scaling.c), 1 and 2 threads, to take
    turns with regio's runs."""
    return [f"{os.path.join(ROOT, 'build', 'regio_scaling_bench')} {SCALING_ITERATIONS} {threads}" for threads in (1, 2)]


def scaling_of(runs):
    """The probe's 2 threads / 1 thread from its runs (rounds() of scaling_cmds()): best time of each,
    as the program reports it."""
    best = [min(float(out.split()[1]) for _, out, _ in r) for r in runs]
    return best[0] / best[1], best


SCALING_TEXT = ("the machine's own 2 threads / 1 thread on work that touches no memory (`build/regio_scaling_bench`, "
                "bench/scaling.c: an integer loop in registers shared between the threads; 2.00x where the two "
                "cores are the program's alone), best of its runs in turns with regio's")


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


def wide_table(regio, data):
    """The CBP-like wide table: 20 million rows of about 160 bytes, every field quoted."""
    wide = os.path.join(data, "wide_20000000.csv")
    if not os.path.exists(wide):
        print(f"bench: generating {wide}", file=sys.stderr)
        sh(f"{regio} gen --preset wide --seed 1 -o {wide}")
    return wide


def h5_sizes(py, path):
    """Byte counts of a regio result (bench/h5_sizes.py, with the venv's h5py)."""
    import json
    return json.loads(sh(f"{py} {os.path.join(ROOT, 'bench', 'h5_sizes.py')} {path}").stdout)


def log_floor(build, repeat, sizes):
    """The logarithms of the indices phase alone (bench/logs.c) for the result's levels: log2 of p and q
    for each non-zero cell of the finest level, of p for each of the coarsest (the variety), log for
    each non-zero cell of every level (the Theil index). {threads: (n_log2, n_log, seconds with glibc's,
    seconds with regio's)}."""
    levels = sorted(sizes["levels"].values(), key=lambda v: v["S"])
    fine, coarse = levels[-1]["nonzero"], levels[0]["nonzero"] if len(levels) > 1 else 0
    n_log2 = 2 * fine + coarse if coarse else fine
    n_log = sum(v["nonzero"] for v in levels)
    out = {}
    for threads in (1, 2):
        t, a, b, sec, sec_regio = sh(f"{build}/regio_log_bench {n_log2} {n_log} {max(repeat, 3)} {threads}").stdout.split()
        out[int(t)] = (int(a), int(b), float(sec), float(sec_regio))
    return out


def stream_bandwidth(build, repeat, mib=1024):
    """The machine's memory bandwidth (bench/stream.c): {(pass, threads): (bytes, seconds, GB/s)}."""
    out = {}
    for threads in (1, 2):
        for line in sh(f"{build}/regio_stream_bench {mib} {max(repeat, 3)} {threads}").stdout.splitlines():
            name, t, nbytes, sec, gbs = line.split()
            out[(name, int(t))] = (float(nbytes), float(sec), float(gbs))
    return out


WAIT_BUDGET = [5]  # minutes that a run may spend in all waiting for the machine to be quiet (--wait)


def wait_for_quiet(limit=2.0):
    """Wait (a minute at a time, within the run's budget) until the 1-minute load average is at most
    limit; returns the load average at the start of the measurement."""
    while True:
        load = os.getloadavg()[0]
        if load <= limit or WAIT_BUDGET[0] <= 0:
            return load
        print(f"bench: load average {load:.1f} > {limit}: waiting a minute", file=sys.stderr)
        WAIT_BUDGET[0] -= 1
        time.sleep(60)


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
    floor = {1: float("inf"), 2: float("inf")}  # the least work (bench/floor.c): a machine limit, not a peer
    for _ in range(args.repeat):  # 1 and 2 threads taking turns, as timed_rounds
        for threads in (1, 2):
            out = sh(f"{os.path.join(ROOT, 'build', 'regio_floor_bench')} {table} {threads} 1").stdout.split()
            floor[threads] = min(floor[threads], float(out[2]))
    for threads in (1, 2):
        rows.append((f"least work (bench/floor.c), {threads} thread{'s' if threads > 1 else ''}", floor[threads],
                     size / floor[threads] / 1e9, args.rows / floor[threads] / 1e6,
                     "no validation, numeric codes as array indices"))

    base = (f"{regio} run {table} --establishments-col establishments --sector-levels 2,5 -o {out_h5}")
    results = {}
    variants = [(threads, checksum) for threads in (1, 2) for checksum in (False, True)]
    all_runs = rounds([base + f" --threads {threads}" + ("" if checksum else " --no-checksum")
                       for threads, checksum in variants] + scaling_cmds(), args.repeat)
    runs = [best_run(r) for r in all_runs[:len(variants)]]
    machine_speedup, machine_best = scaling_of(all_runs[len(variants):])
    for (threads, checksum), (_, err) in zip(variants, runs):
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
    kr_runs = timed_rounds([f"{regio} run {kr} --sector-levels 2,5 --no-checksum --threads {threads} "
                            f"-o {os.path.join(args.data, 'kr.h5')}" for threads in (1, 2)], args.repeat)
    for threads, (_, err) in zip((1, 2), kr_runs):
        t = phase(err, "read\\+aggregate")
        kr_results.append((threads, t, err))
    # the same establishment layout with as many rows as `narrow`: the size of table the core issue
    # describes (50 million rows, about 1.8 GB), where `narrow`'s rows are 16 bytes
    big = os.path.join(args.data, f"kr_{args.rows}.csv")
    if not os.path.exists(big):
        print(f"bench: generating {big}", file=sys.stderr)
        sh(f"{regio} gen --preset kr --seed 1 --rows {args.rows} -o {big}")
    big_size = os.path.getsize(big)
    sh(f"cat {big} > /dev/null")
    big_results = []
    big_runs = timed_rounds([f"{regio} run {big} --sector-levels 2,5 --no-checksum --threads {threads} "
                             f"-o {os.path.join(args.data, 'kr_big.h5')}" for threads in (1, 2)], args.repeat)
    for threads, (_, err) in zip((1, 2), big_runs):
        big_results.append((threads, phase(err, "read\\+aggregate"), err))

    f = []
    f.append(f"## Read + aggregate, `narrow` table\n\n")
    f.append(f"`regio gen --preset narrow --seed 1 --rows {args.rows}`: {args.rows:,} rows, "
             f"{size / 1e9:.3f} GB ({size / args.rows:.1f} bytes per row), columns "
             f"`district,sector,employees,establishments`, rows in random order; file in the page cache. "
             f"Best of {args.repeat} runs; the runs with 1 and 2 threads (and the least work's) take turns, so "
             f"that a slower spell of the machine does not fall on one thread count alone. The regio times are "
             f"the read + aggregate phase as regio reports "
             f"it (`regio: time:` line): mapping, parsing, validating, exact aggregation and the merge into the "
             f"sorted district x sector matrix.\n\n")
    f.append("| what | seconds | GB/s | million rows/s | notes |\n| --- | ---: | ---: | ---: | --- |\n")
    for label, t, gbs, mrs, note in rows:
        f.append(f"| {label} | {t:.3f} | {gbs:.2f} | {mrs:.1f} | {note} |\n")
    f.append(f"\n2 threads / 1 thread speed-up (no checksum): {speedup:.2f}x (the least work: "
             f"{floor[1] / floor[2]:.2f}x). regio takes {results[(1, False)] / floor[1]:.2f}x the time of the least "
             f"work with 1 thread, {results[(2, False)] / floor[2]:.2f}x with 2; {SCALING_TEXT}: "
             f"{machine_speedup:.2f}x ({machine_best[0]:.3f} s and {machine_best[1]:.3f} s). "
             f"Peak resident memory of the whole 2-thread run: {rss / 1024:.0f} MiB.\n")
    f.append("\nThe least work (`build/regio_floor_bench FILE THREADS REPEAT`, bench/floor.c) reads the file as regio "
             "does and only finds the fields, turns the numeric codes into ids through arrays indexed by their "
             "values, parses the numbers and adds each row to a dense per-thread table (cells prefetched 16 rows "
             "ahead), then adds the tables up; no quotes, no validation, no strings, no sorted output. It bounds "
             "what any reader of this table can reach on this machine.\n")
    f.append(f"\n## Read + aggregate, `kr` table\n\n`regio gen --preset kr --seed 1`: {kr_rows:,} "
             f"establishment rows, {kr_size / 1e9:.3f} GB ({kr_size / kr_rows:.1f} bytes per row), columns "
             f"`establishment_id,name,region,district,sector,employees` with quoted names containing commas "
             f"and doubled quotes; 3,500 districts x 1,200 sectors; no checksum; best of {args.repeat}.\n\n")
    f.append("| threads | seconds | GB/s | million rows/s | notes |\n| ---: | ---: | ---: | ---: | --- |\n")
    for threads, t, err in kr_results:
        f.append(f"| {threads} | {t:.3f} | {kr_size / t / 1e9:.2f} | {kr_rows / t / 1e6:.1f} | "
                 f"indices {phase(err, 'indices'):.3f} s, HDF5 write {phase(err, 'write'):.3f} s |\n")
    f.append(f"\nThe same layout with {args.rows:,} rows (`regio gen --preset kr --seed 1 --rows {args.rows}`): "
             f"{big_size / 1e9:.3f} GB ({big_size / args.rows:.1f} bytes per row), the size of the table of the "
             f"core issue's throughput target (50 million rows, about 1.8 GB; `narrow`'s rows are 16 bytes); no "
             f"checksum; best of {args.repeat}.\n\n")
    f.append("| threads | seconds | GB/s | million rows/s | notes |\n| ---: | ---: | ---: | ---: | --- |\n")
    for threads, t, err in big_results:
        f.append(f"| {threads} | {t:.3f} | {big_size / t / 1e9:.2f} | {args.rows / t / 1e6:.1f} | "
                 f"indices {phase(err, 'indices'):.3f} s, HDF5 write {phase(err, 'write'):.3f} s |\n")
    f.append(f"\n2 threads / 1 thread: {big_results[0][1] / big_results[1][1]:.2f}x.\n")
    return "".join(f)


def venv_python():
    """bench/venv with the peers (pip; none of them is a dependency of regio), created if missing."""
    venv = os.path.join(ROOT, "bench", "venv")
    py = os.path.join(venv, "bin", "python")
    if not os.path.exists(py):
        print("bench: creating bench/venv with duckdb, pandas, numpy, h5py", file=sys.stderr)
        sh(f"{sys.executable} -m venv {venv}")
        sh(f"{py} -m pip install -q duckdb pandas numpy h5py")
    return py


def gz_of(path):
    gz = path + ".gz"
    if not os.path.exists(gz):
        print(f"bench: compressing {path}", file=sys.stderr)
        sh(f"gzip -6 -k -c {path} > {gz}.part && mv {gz}.part {gz}")
    sh(f"cat {gz} > /dev/null")
    return gz


def bench_peers(args, regio):
    """regio beside DuckDB (read + aggregate) and pandas (indices), with the machine's limits, in one run."""
    py = venv_python()
    peers = os.path.join(ROOT, "bench", "peers")
    versions = sh(f"{py} -c \"import duckdb, pandas, numpy; print(duckdb.__version__, pandas.__version__, "
                  f"numpy.__version__)\"").stdout.split()
    narrow = os.path.join(args.data, f"narrow_{args.rows}.csv")
    if not os.path.exists(narrow):
        sh(f"{regio} gen --preset narrow --seed 1 --rows {args.rows} -o {narrow}")
    kr = kr_table(regio, args.data)
    wide = wide_table(regio, args.data)
    tables = [("narrow", narrow, args.rows, "district", "sector", "employees", "establishments",
               "--establishments-col establishments"),
              ("kr", kr, 6_000_000, "district", "sector", "employees", None, ""),
              ("wide", wide, 20_000_000, "district", "sector", "employees", None, "")]
    out_h5 = os.path.join(args.work, "peers.h5")
    load_start = {}
    lines = []
    ratios = []
    wide_figs = {}
    narrow_machine = None
    for name, path, n_rows, dcol, scol, ecol, estab, opts in tables:
        for compressed in (False, True):
            f = gz_of(path) if compressed else path
            sh(f"cat {f} > /dev/null")
            load_start[f"`{name}`" + (" gzip" if compressed else "")] = wait_for_quiet()
            size = os.path.getsize(path)  # GB/s of the uncompressed bytes, also for gzip
            label = f"`{name}`" + (" gzip" if compressed else "")
            t_cat, _ = timed(f"cat {f} > /dev/null", args.repeat)
            lines.append((label, "`cat FILE > /dev/null`", t_cat, size, n_rows, ""))
            if compressed:
                t_gz, _ = timed(f"gzip -dc {f} > /dev/null", args.repeat)
                lines.append((label, "`gzip -dc FILE > /dev/null`", t_gz, size, n_rows, ""))
            else:
                t_wc, _ = timed(f"wc -l {f} > /dev/null", args.repeat)
                lines.append((label, "`wc -l FILE`", t_wc, size, n_rows, ""))
            t_regio = {}
            # regio with 1 and 2 threads and DuckDB with each type take turns (rounds), so that the
            # ratios compare runs of the same spells of this VM
            kinds = ("decimal", "double")
            runs = rounds([f"{regio} run {f} {opts} --no-checksum --threads {threads} -o {out_h5}"
                           for threads in (1, 2)]
                          + [f"{py} {peers}/duckdb_aggregate.py {f} 2 {kind} {dcol} {scol} {ecol} {estab or ''}"
                             for kind in kinds]
                          + (scaling_cmds() if name == "narrow" and not compressed else []), args.repeat)
            if name == "narrow" and not compressed:
                narrow_machine = scaling_of(runs[4:])
            for threads, r in zip((1, 2), runs):
                t_regio[threads] = phase(best_run(r)[1], "read\\+aggregate")
                lines.append((label, f"regio read + aggregate, {threads} thread{'s' if threads > 1 else ''}",
                              t_regio[threads], size, n_rows, ""))
            t_cat_plain = t_cat if not compressed else t_cat_plain
            best_duck = None
            for kind, r in zip(kinds, runs[2:]):
                t = min(float(out.split()[0]) for _, out, _ in r)
                lines.append((label, f"DuckDB {versions[0]}, 2 threads, employees {kind.upper()}", t, size, n_rows,
                              ""))
                best_duck = t if best_duck is None else min(best_duck, t)
            ratios.append((label, best_duck / t_regio[2], t_regio[1] / t_regio[2],
                           (t_gz / t_regio[2]) if compressed else None))
            if name == "wide":
                wide_figs[compressed] = (size, t_regio[1], t_regio[2], t_cat_plain, best_duck,
                                         t_gz if compressed else None)
    # indices: regio's indices phase against pandas on the same cells (kr: 3,500 x 1,199, 2 levels)
    load_start["kr indices"] = wait_for_quiet()
    _, err = timed(f"{regio} run {kr} --sector-levels 2,5 --no-checksum --threads 2 -o {out_h5}", args.repeat)
    t_idx = phase(err, "indices")
    writes = [("`kr`", phase(err, "write"), h5_sizes(py, out_h5))]
    pd_out = [sh(f"{py} {peers}/pandas_indices.py {out_h5} 5 2").stdout.split() for _ in range(args.repeat)]
    t_pd = min(float(o[0]) for o in pd_out)

    # indices at tract scale: 84,000 districts x 1,000 sectors (84 million cells a level)
    ust = os.path.join(args.data, "us-tract_10000000.csv")
    if not os.path.exists(ust):
        sh(f"{regio} gen --preset us-tract --seed 1 -o {ust}")
    ust_h5 = os.path.join(args.work, "us-tract.h5")
    sh(f"cat {ust} > /dev/null")
    load_start["us-tract"] = wait_for_quiet()
    _, err = timed(f"{regio} run {ust} --sector-levels 2,5 --no-checksum --threads 2 -o {ust_h5}", args.repeat)
    t_ust_idx, t_ust_read, t_ust_write = phase(err, "indices"), phase(err, "read\\+aggregate"), phase(err, "write")
    ust_sizes = h5_sizes(py, ust_h5)
    writes.append(("`us-tract`", t_ust_write, ust_sizes))
    # the streaming bound of the indices: the machine's memory bandwidth, measured right after
    load_start["stream"] = wait_for_quiet()
    bw = stream_bandwidth(os.path.join(ROOT, "build"), args.repeat)
    logs = log_floor(os.path.join(ROOT, "build"), args.repeat, ust_sizes)
    ust_pd = sh(f"{py} {peers}/pandas_indices.py {ust_h5} 5 2").stdout.split()
    t_ust_pd = float(ust_pd[0])

    f = []
    f.append("## Against the peers: read + aggregate and indices\n\n")
    f.append(f"Peers installed by the harness into `bench/venv` (pip): DuckDB {versions[0]}, pandas {versions[1]}, "
             f"numpy {versions[2]}. DuckDB: `read_csv` (codes as VARCHAR) + `GROUP BY district, sector` + "
             f"`sum(employees)` and the establishment count, fetched into numpy "
             f"(`bench/peers/duckdb_aggregate.py`), with employees as DECIMAL(18,3) (exact, like regio) and as "
             f"DOUBLE; the faster one is compared. gzip files: `gzip -6`; GB/s always of the uncompressed bytes. "
             f"Best of {args.repeat} (regio's runs with 1 and 2 threads and DuckDB's with each type taking turns); "
             f"files in the page "
             f"cache.\n\n")
    f.append("| table | what | seconds | GB/s | million rows/s |\n| --- | --- | ---: | ---: | ---: |\n")
    for label, what, t, size, n_rows, _ in lines:
        f.append(f"| {label} | {what} | {t:.3f} | {size / t / 1e9:.2f} | {n_rows / t / 1e6:.1f} |\n")
    f.append("\n| table | DuckDB (faster type) / regio, 2 threads | regio 2 threads / 1 thread | "
             "regio 2 threads vs `gzip -dc` alone |\n| --- | ---: | ---: | ---: |\n")
    for label, r_duck, r_thr, r_gz in ratios:
        f.append(f"| {label} | {r_duck:.1f}x | {r_thr:.2f}x | "
                 f"{'' if r_gz is None else f'{r_gz:.2f} (regio takes {1 / r_gz:.2f}x the time of gzip -dc)'} |\n")
    f.append(f"\nOn `narrow`, {SCALING_TEXT}: {narrow_machine[0]:.2f}x ({narrow_machine[1][0]:.3f} s and "
             f"{narrow_machine[1][1]:.3f} s).\n")
    f.append(f"\nIndices on the `kr` cells (3,500 districts x 1,199 sectors, levels 2 and full: LQ at both, "
             f"entropy, related and unrelated variety): regio's indices phase {t_idx:.3f} s (2 threads), "
             f"pandas + numpy (`bench/peers/pandas_indices.py`, from a long DataFrame of the same cells) "
             f"{t_pd:.3f} s: **{t_pd / t_idx:.0f}x**. The peer's LQ agree with regio's to {pd_out[0][1]} "
             f"(relative), its related variety to {pd_out[0][2]}.\n")
    f.append(f"\nIndices at tract scale (`regio gen --preset us-tract`: 10 million establishments, 84,000 districts x "
             f"1,000 sectors, levels 2 and 5, so 84 million cells at level 5): regio's indices phase {t_ust_idx:.3f} s "
             f"(it also computes the symmetric LQ, specialisation and localisation of every level; read + "
             f"aggregate {t_ust_read:.3f} s, HDF5 write {t_ust_write:.3f} s), the pandas + numpy peer (LQ and "
             f"variety only, one run) {t_ust_pd:.3f} s: **{t_ust_pd / t_ust_idx:.1f}x**; the peer's LQ agree to "
             f"{ust_pd[1]}.\n")
    f.append(wide_section(wide_figs))
    f.append(stream_section(bw, ust_sizes, t_ust_idx, logs))
    f.append(write_section(writes))
    f.append("\nLoad average (1 minute) at the start of each measurement: " +
             ", ".join(f"{k} {v:.1f}" for k, v in load_start.items()) + ".\n")
    return "".join(f)


def wide_section(figs):
    """The `wide` target: at least 1 GB/s with 2 threads, with the ratios to cat and DuckDB."""
    f = ["\n### The `wide` table\n\n"]
    size, t1, t2, t_cat, t_duck, _ = figs[False]
    gbs = size / t2 / 1e9
    f.append(f"`regio gen --preset wide --seed 1`: 20,000,000 rows, {size / 1e9:.3f} GB ({size / 20e6:.0f} bytes per "
             f"row), 11 columns, every field quoted, names and labels with commas (CBP-like). regio reads and "
             f"aggregates it at **{gbs:.2f} GB/s with 2 threads** ({t2:.3f} s; 1 thread {size / t1 / 1e9:.2f} GB/s, "
             f"{t1:.3f} s; speed-up {t1 / t2:.2f}x): target at least 1 GB/s, "
             f"**{'met' if gbs >= 1.0 else 'not met'}**. `cat` from the page cache: {size / t_cat / 1e9:.2f} GB/s, "
             f"regio takes {t2 / t_cat:.1f}x its time (regio reaches {t_cat / t2:.0%} of cat's rate). DuckDB (faster "
             f"type, 2 threads): {t_duck:.3f} s, {size / t_duck / 1e9:.2f} GB/s: regio is {t_duck / t2:.1f}x faster.")
    if True in figs:
        _, g1, g2, _, g_duck, g_gz = figs[True]
        f.append(f" gzip: regio {size / g2 / 1e9:.2f} GB/s with 2 threads ({g2:.3f} s) against `gzip -dc` alone "
                 f"{g_gz:.3f} s (regio takes {g2 / g_gz:.2f}x its time), DuckDB {g_duck:.3f} s ({g_duck / g2:.1f}x).")
    f.append("\n")
    return "".join(f)


def stream_section(bw, sizes, t_idx, logs=None):
    """The streaming bound of the indices at tract scale: the bytes the phase must at least move / the
    measured bandwidth, against regio's indices phase."""
    levels = sizes["levels"]
    cells = sum(v["D"] * v["S"] for v in levels.values())
    nbytes = cells * 8
    f = ["\n### Indices of `us-tract` against the memory-streaming bound\n\n"]
    f.append("The machine's memory bandwidth (`build/regio_stream_bench 1024 K T`, bench/stream.c: OpenMP, each "
             "array 1 GiB, static schedule, best of K; bytes counted as the program asks for them, so the "
             "write-allocate reads of the stores are inside the rate):\n\n")
    f.append("| pass | bytes per element | 1 thread GB/s | 2 threads GB/s |\n| --- | --- | ---: | ---: |\n")
    desc = {"read": "8 (int64 sum)", "write": "8 (double store)", "copy": "16 (double load + store)",
            "lq": "24 (int64 load, two double stores)"}
    for name in ("read", "write", "copy", "lq"):
        f.append(f"| {name} | {desc[name]} | {bw[(name, 1)][2]:.2f} | {bw[(name, 2)][2]:.2f} |\n")
    lv = "; ".join(f"level {k}: D = {v['D']:,}, S = {v['S']:,} ({v['D'] * v['S'] / 1e6:.1f} million cells, "
                   f"{v['nonzero'] / 1e6:.2f} million non-zero)" for k, v in sorted(levels.items(), key=lambda x: int(x[0])))
    rd_t = max((1, 2), key=lambda t: bw[("read", t)][2])
    r_rd = bw[("read", rd_t)][2]
    b_rd = nbytes / (r_rd * 1e9)
    lq_t = max((1, 2), key=lambda t: bw[("lq", t)][2])
    r_lq = bw[("lq", lq_t)][2]
    b_lq = cells * 24 / (r_lq * 1e9)
    f.append(f"\nWhat the indices phase must at least move (from the us-tract result, h5py): {lv}. The phase "
             f"computes every index, every cell's LQ included (the specialisation of each district uses them), "
             f"but stores no matrix: the LQ and symmetric LQ are computed again chunk by chunk as the HDF5 file is "
             f"written (since 2026-12-04; their cost is in the write phase). The bound, as the issue sets it: "
             f"each level's int64 employment matrix read once, D x S x 8 bytes, {nbytes / 1e9:.3f} GB in all (dense: "
             f"most cells are zero). Since 2026-12-06 regio makes no dense matrix in one process: the merge gives "
             f"the non-zero cells and the phase walks them, 12 bytes each, but it has other work the bound does not "
             f"count: each level's cells from the full ones, the transpose by sector and the sorts of the "
             f"localisation, the per-district and per-sector vectors, the logarithms (below). Streaming bound: {nbytes / 1e9:.3f} GB / {r_rd:.2f} GB/s (the `read` "
             f"pass, its faster thread count: {rd_t}) = **{b_rd:.3f} s**. regio's indices phase (2 threads, best "
             f"of the runs above): {t_idx:.3f} s = **{t_idx / b_rd:.1f}x the bound**; target within 3x: "
             f"**{'met' if t_idx <= 3 * b_rd else 'not met'}**. Against the bound used before 2026-12-04, when the "
             f"phase also stored the LQ and symmetric LQ matrices (24 bytes a cell at the `lq` pass's "
             f"{r_lq:.2f} GB/s: {b_lq:.3f} s): {t_idx / b_lq:.1f}x.\n")
    if logs:
        n2, n1, t_glibc, t2 = logs[2]
        f.append(f"\nBeside the bound, the compute the phase cannot skip: its logarithms, {n2 / 1e6:.1f} million log2 "
                 f"(p and q of each non-zero cell of the finest level, p of each of the coarsest: the variety) and "
                 f"{n1 / 1e6:.1f} million log (each non-zero cell of every level: the Theil index), take alone "
                 f"(`build/regio_log_bench`, bench/logs.c: each value's logarithm times the value, summed, nothing "
                 f"else, best of 3) with regio's logarithms (src/core/log.c, 256 values at a time, as the phase takes "
                 f"them since 2026-12-06) {t2:.3f} s with 2 threads ({logs[1][3]:.3f} s with 1) = **{t2 / b_rd:.1f}x "
                 f"the streaming bound** by themselves; regio's whole phase is {t_idx / t2:.1f}x that. With glibc's "
                 f"log2 and log one value at a time, as the phase took them before: {t_glibc:.3f} s with 2 threads "
                 f"({logs[1][2]:.3f} s with 1), {t_glibc / b_rd:.1f}x the bound.\n")
    return "".join(f)


def write_section(writes):
    """HDF5 write throughput: uncompressed dataset bytes and file bytes per second of the write phase."""
    f = ["\n### HDF5 write throughput\n\n"]
    f.append("The write phase as regio reports it (2 threads, best run above; chunks compressed on all threads, "
             "shuffle + deflate level 1). Uncompressed: the sum over all datasets of size x itemsize (h5py); file: "
             "its size on disk.\n\n")
    f.append("| result | datasets | uncompressed MB | file MB | write s | uncompressed MB/s | file MB/s |\n"
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n")
    for label, t, z in writes:
        f.append(f"| {label} | {z['n_datasets']} | {z['dataset_bytes'] / 1e6:.0f} | {z['file_bytes'] / 1e6:.0f} | "
                 f"{t:.3f} | {z['dataset_bytes'] / t / 1e6:.0f} | {z['file_bytes'] / t / 1e6:.0f} |\n")
    return "".join(f)


def bench_e2e(args, regio):
    """The whole national screen of the `kr` table, regio against the peer stack, in one run."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import io_regional
    py = venv_python()
    peers = os.path.join(ROOT, "bench", "peers")
    kr = kr_table(regio, args.data)
    base = os.path.join(args.data, "kr_base.h5")
    sh(f"{regio} run {kr} --no-checksum -q -o {base}")
    sh(f"{py} -c \"import h5py; f = h5py.File('{base}'); "
       f"open('{args.data}/kr_codes.txt', 'w').write(chr(10).join(c.decode() for c in "
       f"f['/levels/full/sectors/code'][:]))\"")
    codes = open(f"{args.data}/kr_codes.txt").read().split()
    table, smap, ecp = (os.path.join(args.data, f"io381_{x}") for x in ("table.csv", "map.csv", "ec.npy"))
    io_regional.write_table(codes, table, smap, ecp)
    out = os.path.join(args.data, "kr_screen.h5")
    cmd = (f"{regio} run {kr} --sector-levels 2,5 --categories {ROOT}/inputs/categories_ksic10.csv --screen "
           f"--io-table {table} --io-output-col output --io-employment-row employment --io-sector-map {smap} "
           f"--no-checksum --threads 2 -o {out}")
    sh(cmd)  # the screen's file, which the pandas and numpy peers read
    # regio and every step of the peer stack take turns (rounds), so that the ratio compares runs of
    # the same spells of this VM; each peer's time is its own (the script's), without Python's start
    peer_cmds = [f"{py} {peers}/duckdb_aggregate.py {kr} 2 {kind} district sector employees"
                 for kind in ("decimal", "double")]
    peer_cmds.append(f"{py} {peers}/pandas_indices.py {out} 5 2")
    peer_cmds += [f"{env}{py} {peers}/io_numpy_loop.py {out} {ecp} {args.data}/peer_e2e.npz"
                  for env in ("", "OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 ")]
    runs = rounds([cmd] + peer_cmds, args.repeat)
    t_regio, err = best_run(runs[0])
    best = [min(float(o.split()[0]) for _, o, _ in r) for r in runs[1:]]
    rss = peak_rss_kb(cmd + " -q")
    phases = {"read": phase(err, "read\\+aggregate"), "indices": phase(err, "indices"), "write": phase(err, "write")}
    m = re.search(r"regional time ([0-9.]+) s", err)
    t_regional = float(m.group(1)) if m else float("nan")
    duck, pandas_t, io_t = min(best[0:2]), best[2], min(best[3:5])
    peer = duck + pandas_t + io_t
    f = []
    f.append("## End to end: the whole screen of the `kr` table\n\n")
    f.append(f"`{cmd.replace(args.data + '/', '').replace(ROOT + '/', '')}`: read and aggregate 6 million "
             f"establishments, two sector levels with LQ, symmetric LQ, variety, specialisation, localisation "
             f"(with Ellison-Glaeser and Maurel-Sedillot), KSIC categories, the national IO analysis of the 381-sector "
             f"table and its FLQ regionalization for 3,500 districts, the screen, and the HDF5 file; 2 threads, best "
             f"of {args.repeat}, wall time of the whole process. regio's runs and each step of the peer stack's take "
             f"turns; a peer's time is the one its script reports (its work, without Python's start).\n\n")
    f.append("| what | seconds |\n| --- | ---: |\n")
    f.append(f"| regio, whole run (process wall time) | {t_regio:.3f} |\n")
    f.append(f"| of which read + aggregate | {phases['read']:.3f} |\n")
    f.append(f"| of which indices, categories, screen and IO (regional IO alone: {t_regional:.3f}) | "
             f"{phases['indices']:.3f} |\n")
    f.append(f"| of which HDF5 write | {phases['write']:.3f} |\n")
    f.append(f"| peer stack: DuckDB read + aggregate (2 threads) | {duck:.3f} |\n")
    f.append(f"| peer stack: pandas + numpy LQ and variety, 2 levels | {pandas_t:.3f} |\n")
    f.append(f"| peer stack: numpy full-inverse loop for the regional IO | {io_t:.3f} |\n")
    f.append(f"| peer stack, sum | {peer:.3f} |\n")
    f.append(f"\nregio does the whole screen in {t_regio:.2f} s (target: under 5 s), **{peer / t_regio:.0f}x faster "
             f"than the peer stack** (target: at least 30x), whose sum leaves out what it does not do at all here "
             f"(specialisation, localisation, categories, the screen, writing a file), so the ratio is a lower "
             f"bound. Peak resident memory of the regio run: {rss / 1024:.0f} MiB.\n")
    return "".join(f)


def bench_mpi(args, regio):
    """Strong scaling of the distributed mode on this machine: ranks x threads within its cores,
    the kr screen and the us-tract indices, with the bytes each phase sends between ranks."""
    env = dict(os.environ, REGIO_BUILD_DIR=os.path.join(ROOT, "build-mpi"))
    subprocess.run(f"{ROOT}/scripts/build.sh -DREGIO_ENABLE_MPI=ON", shell=True, check=True, env=env)
    mregio = os.path.join(ROOT, "build-mpi", "regio")
    root_flag = " --allow-run-as-root" if os.geteuid() == 0 else ""
    kr = kr_table(regio, args.data)
    table, smap = (os.path.join(args.data, f"io381_{x}") for x in ("table.csv", "map.csv"))
    if not os.path.exists(table):
        sys.exit("bench: run the e2e part first (it writes the 381-sector IO table)")
    ust = os.path.join(args.data, "us-tract_10000000.csv")
    if not os.path.exists(ust):
        sh(f"{regio} gen --preset us-tract --seed 1 -o {ust}")
    sh(f"cat {ust} > /dev/null")
    cases = [
        ("kr screen", f"{kr} --sector-levels 2,5 --categories {ROOT}/inputs/categories_ksic10.csv --screen "
                      f"--io-table {table} --io-output-col output --io-employment-row employment "
                      f"--io-sector-map {smap} --no-checksum", os.path.join(args.data, "kr_mpi.h5")),
        ("us-tract indices", f"{ust} --sector-levels 2,5 --no-checksum", os.path.join(args.data, "ust_mpi.h5")),
    ]
    configs = [(1, 1), (1, 2), (2, 1)]
    n_rows = {"kr screen": 6_000_000, "us-tract indices": 10_000_000}
    rows, checks = [], []
    for name, opts, out in cases:
        base_t = None
        for ranks, threads in configs:
            launcher = f"mpirun --oversubscribe{root_flag} -np {ranks} --bind-to none " if ranks > 1 else ""
            cmd = f"OMP_WAIT_POLICY=passive {launcher}{mregio} run {opts} --threads {threads} -o {out}"
            t, err = timed(cmd, args.repeat)
            m = re.search(r"read\+aggregate ([0-9.]+) MB, indices ([0-9.]+) MB, write ([0-9.]+) MB", err)
            sent = tuple(float(x) for x in m.groups()) if m else (0.0, 0.0, 0.0)
            if base_t is None:
                base_t = t
            cores = ranks * threads
            rows.append((name, ranks, threads, t, phase(err, "read\\+aggregate"), phase(err, "indices"),
                         phase(err, "write"), base_t / t, base_t / (cores * t), sent))
            if ranks == 1 and threads == 1:  # the one-process result: the model's input
                sh(f"cp {out} {out}.one")
            if ranks > 1:
                model = sh(f"{sys.executable} {ROOT}/bench/mpi_model.py bytes {out}.one {n_rows[name]} {ranks}")
                checks.append((name, ranks, sent, tuple(float(x) for x in model.stdout.split())))
    f = []
    f.append("## Distributed mode (MPI): strong scaling on this machine\n\n")
    f.append(f"The MPI build (`-DREGIO_ENABLE_MPI=ON`, OpenMPI; rank 0 writes the file from the rows the other ranks send it) with ranks x threads within the "
             f"machine's {os.cpu_count()} cores, best of {args.repeat}, process wall time; phase times as rank 0 "
             f"reports them; bytes sent between ranks summed over ranks, per phase (`regio: mpi:` line). The "
             f"efficiency is T(1 x 1) / (cores x T). One machine: the ranks talk through shared memory, so the "
             f"network's part of a cluster run is not measured here (docs/HPC.md models it).\n\n")
    f.append("| case | ranks x threads | seconds | read+aggregate | indices+IO+screen | write | speed-up | "
             "efficiency | MB sent: read / indices / write |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: "
             "| --- |\n")
    for name, r, th, t, tr, ti, tw, sp, eff, sent in rows:
        f.append(f"| {name} | {r} x {th} | {t:.3f} | {tr:.3f} | {ti:.3f} | {tw:.3f} | {sp:.2f}x | {eff:.0%} | "
                 f"{sent[0]:.1f} / {sent[1]:.1f} / {sent[2]:.1f} |\n")
    f.append("\nThe traffic model of docs/HPC.md (`bench/mpi_model.py bytes RESULT.h5 ROWS RANKS`, from the shape of "
             "the one-process result and the row count) against the bytes regio counted:\n\n"
             "| case | ranks | read+aggregate MB, measured / model | indices MB, measured / model |\n"
             "| --- | ---: | --- | --- |\n")
    for name, r, sent, model in checks:
        f.append(f"| {name} | {r} | {sent[0]:.2f} / {model[0]:.2f} ({model[0] / sent[0] - 1:+.1%}) | "
                 f"{sent[1]:.2f} / {model[1]:.2f} ({model[1] / sent[1] - 1:+.1%}) |\n")
    f.append("\nThe model leaves out the screen's and the regional IO's gathers (33 bytes a district) and the "
             "agreements; the kr screen's indices figure includes them.\n")
    return "".join(f)


def run_sampled(cmd):
    """Runs cmd (a list: /usr/bin/time -f ... regio ...) and samples the resident memory of time's child
    every 20 ms from /proc: returns (returncode, stderr, max RssAnon kB, max RssFile kB)."""
    import tempfile
    with tempfile.TemporaryFile(mode="w+") as err:
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        child, anon, filed = None, 0, 0
        while p.poll() is None:
            try:
                if child is None:
                    kids = open(f"/proc/{p.pid}/task/{p.pid}/children").read().split()
                    child = kids[0] if kids else None
                if child is not None:
                    for line in open(f"/proc/{child}/status"):
                        if line.startswith("RssAnon:"):
                            anon = max(anon, int(line.split()[1]))
                        elif line.startswith("RssFile:"):
                            filed = max(filed, int(line.split()[1]))
            except (OSError, ValueError):
                pass
            time.sleep(0.02)
        err.seek(0)
        return p.returncode, err.read(), anon, filed


def bench_memory(args, regio):
    """Peak resident memory against the input's size: the 50-million-row `narrow` table (~0.8 GB) and one
    of args.memory_rows rows (~10 GB), same districts and sectors, regio run with 2 threads."""
    py = venv_python()
    cases = []
    for n_rows in (args.rows, args.memory_rows):
        table = os.path.join(args.data, f"narrow_{n_rows}.csv")
        if not os.path.exists(table):
            print(f"bench: generating {table}", file=sys.stderr)
            t0 = time.perf_counter()
            sh(f"{regio} gen --preset narrow --seed 1 --rows {n_rows} -o {table}")
            print(f"bench: generated in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        cases.append((n_rows, table))
    out_h5 = os.path.join(args.work, "memory.h5")
    rows = []
    for n_rows, table in cases:
        size = os.path.getsize(table)
        best = None
        # the larger file does not stay in the page cache next to the others: it is read once before and
        # the runs read it as it comes (from disk or the cache)
        sh(f"cat {table} > /dev/null")
        load = wait_for_quiet()
        repeat = args.repeat if size < 4e9 else 1
        for _ in range(repeat):
            cmd = ["/usr/bin/time", "-f", "bench-time %M %e", regio, "run", table, "--establishments-col",
                   "establishments", "--sector-levels", "2,5", "--no-checksum", "--threads", "2", "-o", out_h5]
            rc, stderr, anon_kb, file_kb = run_sampled(cmd)
            if rc != 0:
                sys.exit(f"bench: command failed ({rc}): {' '.join(cmd)}\n{stderr}")
            m = re.search(r"bench-time (\d+) ([0-9.]+)", stderr)
            rss_kb, wall = int(m.group(1)), float(m.group(2))
            if best is None or wall < best[1]:
                best = (rss_kb, wall, stderr, anon_kb * 1024, file_kb * 1024)
        z = h5_sizes(py, out_h5)
        rows.append((n_rows, size, best[0] * 1024, best[1], phase(best[2], "read\\+aggregate"), z, load, repeat,
                     best[3], best[4]))
    f = ["## Peak resident memory against the input's size\n\n"]
    f.append("`regio run narrow_N.csv --establishments-col establishments --sector-levels 2,5 --no-checksum "
             "--threads 2` under `/usr/bin/time -f %M` (peak resident set of the process), on `regio gen --preset "
             "narrow --seed 1 --rows N` tables: the same 3,500 districts x 1,200 sectors, so the same output, "
             "whatever N. Output in memory: the district x sector matrices of the result, estimated from the "
             "HDF5 file as the sum of size x 8 bytes of its two-dimensional datasets (employment, LQ and symmetric "
             "LQ of each level; since 2026-12-04 regio holds only the employment matrices and computes the LQ "
             "chunk by chunk as it writes them, so this counts more than it holds).\n\n")
    f.append("| rows | input GB | runs | load | wall s | read + aggregate s | peak RSS MB (`%M`) | of it, peak "
             "anonymous MB | peak file-backed MB | output matrices MB | peak anonymous - output MB |\n"
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
    for n_rows, size, rss, wall, t_read, z, load, repeat, anon, filed in rows:
        f.append(f"| {n_rows:,} | {size / 1e9:.2f} | {repeat} | {load:.1f} | {wall:.1f} | {t_read:.1f} | "
                 f"{rss / 1e6:.0f} | {anon / 1e6:.0f} | {filed / 1e6:.0f} | {z['matrix_bytes'] / 1e6:.0f} | "
                 f"{(anon - z['matrix_bytes']) / 1e6:.0f} |\n")
    def tables(z):
        """Each reading thread's cell table at the end: 24-byte slots, a power of two, at most 3/4 full,
        for (at most) the distinct cells of the finest level."""
        nz = max(z["levels"].values(), key=lambda v: v["S"])["nonzero"]
        slots = 1
        while slots * 3 < nz * 4:
            slots *= 2
        return nz, slots, slots * 24
    (r0, s0, m0, *_rest0), (r1, s1, m1, *_rest1) = rows[0], rows[-1]
    z0, z1 = rows[0][5], rows[-1][5]
    a0, a1, f0, f1 = rows[0][8], rows[-1][8], rows[0][9], rows[-1][9]
    nz0, sl0, tb0 = tables(z0)
    nz1, sl1, tb1 = tables(z1)
    out_b = z1["matrix_bytes"]
    finest = max(z1["levels"].values(), key=lambda v: v["S"])
    D1, S1 = finest["D"], finest["S"]
    def dense_width(max_sector):  # dense_width() in src/aggregate/tables.c
        n = max_sector + 1
        return (n + n // 8 + 8 + 7) // 8 * 8
    # the row width: every sector fits; at most the room of the first growth (a quarter more sectors)
    W_lo, W_hi = dense_width(S1 - 1), dense_width(S1 - 1 + (S1 - 1) // 4 + 1)
    dense_lo, dense_hi = D1 * W_lo * 8, D1 * W_hi * 8
    f.append(f"\nThe peak resident set (`%M`) counts the pages of the input file that the process has mapped: regio "
             f"maps the input (`mmap`) and hands the pages it has parsed back to the kernel as the read advances "
             f"(MADV_DONTNEED), so the file-backed part of the peak is the block being parsed and the binary's and "
             f"libraries' pages ({f0 / 1e6:.0f} MB for {s0 / 1e6:.0f} MB of input, {f1 / 1e6:.0f} MB for "
             f"{s1 / 1e6:.0f} MB): from {r0:,} to {r1:,} rows ({s1 / s0:.0f}x the input) the peak goes from "
             f"{m0 / 1e6:.0f} MB to {m1 / 1e6:.0f} MB.\n\n"
             f"The anonymous memory (sampled every 20 ms from /proc/PID/status, RssAnon) is regio's own: "
             f"{a0 / 1e6:.0f} MB and {a1 / 1e6:.0f} MB at its peak. Its largest part is the reading threads' cell "
             f"tables (each thread its own). A table starts as a hash table (24-byte slots, a power of two, at "
             f"most three quarters full) and becomes a dense matrix of the district and sector ids it has seen "
             f"(8 bytes per cell, both sums in one word, sums too large for it in a small side table): at its "
             f"first growth (49,152 cells) when that fits the threads' dense allowance (128 MB together, each "
             f"thread its share), with room for a quarter more of the sectors seen by then, else as soon as it "
             f"touches at most twice the memory of the hash table's next doubling (src/aggregate/tables.c). "
             f"Here rows {D1:,} x {W_lo:,} to {W_hi:,} (the room depends on the sectors the first growth saw). The "
             f"finest level has {nz0 / 1e6:.2f} million non-zero cells after {r0:,} rows and {nz1 / 1e6:.2f} "
             f"million after {r1:,} (of {D1 * S1 / 1e6:.1f} million possible): as hash tables they would take "
             f"{sl0 / 2**20:.0f} Mi slots = {tb0 / 1e6:.0f} MB and {sl1 / 2**20:.0f} Mi slots = {tb1 / 1e6:.0f} MB "
             f"per thread; dense, each takes {dense_lo / 1e6:.0f}-{dense_hi / 1e6:.0f} MB whatever the rows, 2 threads "
             f"x that = {2 * dense_lo / 1e6:.0f}-{2 * dense_hi / 1e6:.0f} MB. The result holds each level's non-zero "
             f"cells (12 bytes each; since 2026-12-06 no dense matrix, the file's matrices are made chunk by chunk "
             f"as they are written), allocated while the tables are merged and kept after they are freed, so the "
             f"anonymous peak is that of the read and the merge. "
             f"Bounded by the number of cells (D x S), not by the rows: threads x D x S x "
             f"8 bytes x {W_lo / S1:.2f} to {W_hi / S1:.2f} here.\n\n"
             f"Target (peak resident memory at most the output plus 300 MB, not growing with the rows): with the "
             f"10 GB input the peak resident set is {m1 / 1e6:.0f} MB = output + {(m1 - out_b) / 1e6:.0f} MB: "
             f"**{'met' if m1 - out_b < 300e6 else 'not met'}**; counting the anonymous "
             f"memory alone, {a1 / 1e6:.0f} MB = output + {(a1 - out_b) / 1e6:.0f} MB: "
             f"**{'met' if a1 - out_b < 300e6 else 'not met'}**, and it changed by {(a1 - a0) / 1e6:+.0f} MB from the "
             f"0.8 GB input to the 10 GB one.\n")
    return "".join(f)


SECTIONS = ("read", "io", "peers", "e2e", "mpi", "memory")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", choices=SECTIONS, action="append", help="run only these parts (repeatable)")
    ap.add_argument("--rows", type=int, default=50_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--data", default=os.path.join(ROOT, "bench", "data"))
    ap.add_argument("--work", help="where the HDF5 results of the peers and memory parts go (default: --data)")
    ap.add_argument("--wait", type=int, default=5, help="minutes the run may wait in all for the load average "
                    "to fall to 2 before a measurement (default 5)")
    ap.add_argument("--memory-rows", type=int, default=650_000_000, help="rows of the large narrow table of the "
                    "memory part (about 16 bytes each)")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "RESULTS.md"))
    ap.add_argument("--assemble", action="store_true", help="only put RESULTS.md together from bench/results")
    args = ap.parse_args()
    args.work = args.work or args.data
    WAIT_BUDGET[0] = args.wait
    if args.assemble:
        assemble(args.out, os.path.join(ROOT, "bench", "results"))
        return

    sh(f"{ROOT}/scripts/build.sh")
    build = os.path.join(ROOT, "build")
    regio = os.path.join(build, "regio")
    os.makedirs(args.data, exist_ok=True)
    os.makedirs(args.work, exist_ok=True)
    results_dir = os.path.join(ROOT, "bench", "results")
    os.makedirs(results_dir, exist_ok=True)
    parts = args.only or list(SECTIONS)
    stamp = (f"<!-- `bench/run.py --only {{part}} --rows {args.rows} --repeat {args.repeat}` on "
             f"{time.strftime('%Y-%m-%d')}; machine: {machine()} -->\n")
    for part in parts:
        load = os.getloadavg()[0]
        stamp_part = stamp.replace(" -->", f"; load average {load:.1f} at the start"
                                   f"{' (other jobs were running: figures are pessimistic)' if load > os.cpu_count() else ''} -->")
        if part == "read":
            text = bench_read(args, regio)
        elif part == "peers":
            text = bench_peers(args, regio)
        elif part == "e2e":
            text = bench_e2e(args, regio)
        elif part == "mpi":
            text = bench_mpi(args, regio)
        elif part == "memory":
            text = bench_memory(args, regio)
        else:
            sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
            import io_regional
            text = io_regional.bench_io(regio, build, args.data, args.repeat, kr_table(regio, args.data))
        with open(os.path.join(results_dir, f"{part}.md"), "w") as f:
            f.write(stamp_part.format(part=part) + text)

    assemble(args.out, results_dir)


def assemble(out, results_dir):
    """RESULTS.md from the sections in bench/results and bench/NOTES.md."""
    with open(out, "w") as f:
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
    print(open(out).read())


if __name__ == "__main__":
    main()
