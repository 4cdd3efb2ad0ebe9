"""The regional input-output benchmark (imported by bench/run.py; see the IO issue, section 6).

A national 381-sector table is generated with the sparsity of a real one (the UK 2010 127-product
table has 61% of its intermediate cells nonzero; a table three times finer is sparser: each buyer
here has a third of the sectors as suppliers, lognormal amounts, intermediate inputs 20-70% of
output), total output x = L f for a lognormal final demand f, an employment row. Its 381 sectors are
contiguous blocks of the sorted sectors of the `kr` establishment table (3,500 districts x 1,200
sectors). regio runs the whole command (read, indices, national and regional IO, HDF5 write) and
reports the regional phase alone; the peer is a numpy loop with a full inverse per district
(bench/peers/io_numpy_loop.py) on the same district employment, and the two results are compared.
The machine's LU throughput (dgetrf, n = 381) is measured in the same run.
"""
import os
import re
import subprocess
import sys
import time

import numpy as np

N_SECTORS = 381


def _sh(cmd):
    p = subprocess.run(cmd, shell=True, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"bench: command failed ({p.returncode}): {cmd}\n{p.stderr}")
    return p


def write_table(codes, path_table, path_map, path_ec, seed=1):
    """The national table (CSV in regio's wide layout) and the concordance from the kr sectors."""
    n = N_SECTORS
    rng = np.random.default_rng(seed)
    A = np.zeros((n, n))
    for j in range(n):
        mask = rng.random(n) < 1 / 3
        mask[j] = True
        v = rng.lognormal(0.0, 1.5, n) * mask
        A[:, j] = v / v.sum() * rng.uniform(0.2, 0.7)
    f = rng.lognormal(0.0, 1.0, n) * 1000
    x = np.linalg.solve(np.eye(n) - A, f)
    Z = A * x[None, :]
    emp = x * rng.lognormal(0.0, 0.5, n) * 3
    labels = [f"IO{i + 1:03d}" for i in range(n)]
    with open(path_table, "w") as out:
        out.write("label," + ",".join(labels) + ",final_demand,output\n")
        for i in range(n):
            out.write(labels[i] + "," + ",".join(repr(float(v)) for v in Z[i]) + f",{float(f[i])!r},{float(x[i])!r}\n")
        out.write("employment," + ",".join(repr(float(v)) for v in emp) + ",,\n")
    blocks = np.array_split(np.arange(len(codes)), n)
    with open(path_map, "w") as out:
        out.write("sector,io_sector\n")
        for i, b in enumerate(blocks):
            for k in b:
                out.write(f"{codes[k]},{labels[i]}\n")
    np.save(path_ec, emp / x)
    return float((A != 0).mean())


def dgetrf_gflops(build, threads, count):
    p = _sh(f"{build}/regio_dgetrf_bench {N_SECTORS} {count} {threads}")
    return float(p.stdout.split()[4])


def bench_io(regio, build, data, repeat, kr):
    """Runs the benchmark; returns the markdown section."""
    import h5py

    base = os.path.join(data, "kr_base.h5")
    _sh(f"{regio} run {kr} --no-checksum -q -o {base}")
    with h5py.File(base, "r") as f:
        codes = [c.decode() for c in f["/levels/full/sectors/code"][:]]
    table, smap, ecp = (os.path.join(data, f"io{N_SECTORS}_{s}") for s in ("table.csv", "map.csv", "ec.npy"))
    density = write_table(codes, table, smap, ecp)
    out = os.path.join(data, "kr_io.h5")
    cmd = (f"{regio} run {kr} --no-checksum --threads 2 -o {out} --io-table {table} --io-output-col output "
           f"--io-employment-row employment --io-sector-map {smap}")
    pat = re.compile(r"regional time ([0-9.]+) s, ([0-9.e+-]+) GFLOP")

    def regional(extra, k):
        best = None
        for _ in range(k):
            p = _sh(cmd + extra)
            m = pat.search(p.stderr)
            t, gf = float(m.group(1)), float(m.group(2))
            if best is None or t < best[0]:
                best = (t, gf, p.stderr)
        return best

    lu_out = out.replace(".h5", "_lu.h5")
    t_lu, gf_lu, _ = regional(f" --io-solver lu -o {lu_out}", 1)
    t_it, gf_it, err_it = regional("", repeat)
    fallbacks = int(re.search(r"([0-9]+) LU fallbacks", err_it).group(1))
    peer_npz = os.path.join(data, "peer_io.npz")
    peer = os.path.join(os.path.dirname(os.path.abspath(__file__)), "peers", "io_numpy_loop.py")
    # the peer with numpy's default BLAS threading and with one BLAS thread; the faster one counts
    peer_times = {}
    for label, env in (("default BLAS threads", ""), ("1 BLAS thread", "OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 ")):
        p = _sh(f"{env}{sys.executable} {peer} {out} {ecp} {peer_npz}")
        peer_times[label] = float(p.stdout.split()[0])
        n_districts = int(p.stdout.split()[1])
    peer_label = min(peer_times, key=peer_times.get)
    t_peer = peer_times[peer_label]
    lu1 = dgetrf_gflops(build, 1, 400)
    lu2 = dgetrf_gflops(build, 2, 800)

    with h5py.File(out, "r") as f:
        om = f["/io/regional/output_multiplier"][:]
        flk = f["/io/regional/forward_linkage"][:]
        em = f["/io/regional/employment_multiplier"][:]
        sweeps = f["/io/regional/solver_sweeps"][:]
        present = (f["/io/regional/employment"][:] > 0).sum(1)
    with h5py.File(lu_out, "r") as f:
        om_lu = f["/io/regional/output_multiplier"][:]
    peer_res = np.load(peer_npz)
    rs = peer_res["row_sums"]
    fl_peer = rs / rs.mean(1, keepdims=True)

    def rel(a, b):
        ok = np.isfinite(b)
        return float(np.max(np.abs(a[ok] - b[ok]) / np.abs(b[ok])))

    d_om, d_fl = rel(om, peer_res["output_multiplier"]), rel(flk, fl_peer)
    d_em, d_lu = rel(em, peer_res["employment_multiplier"]), rel(om, om_lu)
    lu_flops = 2.0 / 3.0 * N_SECTORS**3 * n_districts
    s = []
    s.append("## Regional input-output, `kr` districts and a 381-sector national table\n")
    s.append(f"`regio gen --preset kr --seed 1` ({n_districts:,} districts); a generated national table of "
             f"{N_SECTORS} sectors ({density:.0%} of the intermediate cells nonzero; bench/io_regional.py says how "
             f"it is made) and a concordance of the 1,199 sectors to it. FLQ (delta 0.25), output multipliers, "
             f"backward and forward linkages and employment multipliers for every district. Per district the "
             f"sectors present: median {int(np.median(present))}, max {int(present.max())} of {N_SECTORS}. "
             f"regio: the regional phase as it reports it (`regio: io:` line), 2 threads, best of {repeat}; "
             f"the peer: `bench/peers/io_numpy_loop.py`, a numpy loop with `numpy.linalg.inv` per district "
             f"(as pymrio and ioanalysis do), numpy {np.__version__} with its own BLAS threads, loop only.\n")
    s.append("| what | seconds | GFLOP/s | notes |\n| --- | ---: | ---: | --- |")
    s.append(f"| LU throughput of this machine, dgetrf n = {N_SECTORS}, 1 thread | | {lu1:.1f} | "
             f"`regio_dgetrf_bench {N_SECTORS} 400 1` |")
    s.append(f"| LU throughput, 2 threads | | {lu2:.1f} | `regio_dgetrf_bench {N_SECTORS} 800 2` |")
    for label, t in peer_times.items():
        s.append(f"| numpy loop with a full inverse per district (peer), {label} | {t:.3f} | | "
                 f"{n_districts / t:,.0f} districts/s{' (the faster: compared below)' if label == peer_label else ''} |")
    s.append(f"| regio `--io-solver lu` (one dgetrf per district, the reference) | {t_lu:.3f} | {gf_lu / t_lu:.1f} | "
             f"{gf_lu / t_lu / lu2:.0%} of the measured dgetrf throughput |")
    s.append(f"| regio, iterative solver (default) | {t_it:.3f} | {gf_it / t_it:.1f} | {gf_it:.2f} GFLOP done; "
             f"sweeps per district median {int(np.median(sweeps[sweeps > 0]))}, max {int(sweeps.max())}; "
             f"{fallbacks} LU fallbacks; {gf_it / t_it / lu2:.0%} of the dgetrf throughput |")
    s.append("")
    s.append(f"**regio (iterative) is {t_peer / t_it:.0f}x faster than the numpy peer** (target: at least 20x) and "
             f"{t_lu / t_it:.0f}x faster than its own LU path. Counted as LU work (2/3 n^3 per district, "
             f"{lu_flops / 1e9:.0f} GFLOP), the iterative solver delivers the equivalent of "
             f"{lu_flops / t_it / 1e9:.0f} GFLOP/s, {lu_flops / t_it / 1e9 / lu2:.1f}x the machine's dgetrf "
             f"throughput: it does {gf_it / (lu_flops / 1e9):.1%} of the LU's flops.\n")
    s.append(f"Agreement in the same run (max relative difference over all districts and sectors): regio iterative "
             f"vs the numpy peer: output multipliers {d_om:.1e}, forward linkages {d_fl:.1e}, employment "
             f"multipliers {d_em:.1e}; regio iterative vs regio LU, output multipliers {d_lu:.1e}.\n")
    return "\n".join(s) + "\n"
