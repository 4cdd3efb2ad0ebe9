#!/usr/bin/env python3
"""A model of regio's distributed mode: the bytes each phase sends between ranks, and the time of a
run on many nodes. docs/HPC.md explains it; bench/run.py --only mpi checks the byte counts against
the ones regio measures (its `regio: mpi:` line).

usage:
  mpi_model.py bytes RESULT.h5 ROWS RANKS [--actors A] [--categories C] [--io-sectors N]
      the predicted bytes per phase (read+aggregate, indices), summed over ranks, for a run of the
      table whose one-process result is RESULT.h5 (its shape: districts, sectors and non-empty
      cells per level) with ROWS establishment rows
  mpi_model.py cluster
      the 1-, 10- and 100-node predictions of docs/HPC.md (parameters in cluster_time())

The byte model follows the code (src/aggregate/merge.c, src/indices/*.c, src/core/dist.c, which
counts what a rank sends to others: each part of a personalised exchange or gather addressed to
another rank, each reduction's vector once per rank, a broadcast's bytes times the other ranks at
its root):
  read+aggregate
    - every rank's distinct district and sector codes to every other rank (gather_codes): a rank
      reading n = ROWS / P random rows sees D_r = D (1 - exp(-n / D)) districts (Poisson), codes of
      w bytes, plus 8 bytes of header;
    - the cell weights, D int64 reduced once per rank;
    - the cells: a rank sees C_r = nnz (1 - exp(-n / nnz)) distinct (district, sector) cells and sends
      the (P - 1) / P of them whose district another rank owns, 24 bytes each; plus a 24-byte record
      per district seen with micro establishments (establishment rows), also (P - 1) / P of D_r;
    - per-sector reductions: establishments (16 bytes a sector: value and overflow flag), sums of
      squared sizes (16 bytes);
  indices
    - per level: national sector totals (16 bytes a sector); every district's total to every other
      rank (8 bytes a district, its owner sends it to P - 1 ranks); the transpose: each non-empty
      cell of the level to the rank owning its sector unless that is the cell's own rank, 16 bytes;
      the six localisation indices of each rank's sectors to the P - 1 others (48 bytes a sector).
The small terms (agreements, file statistics, the national total) are left out: well under 1 KB.
"""
import math
import sys


def shape(path):
    import h5py
    import numpy as np
    with h5py.File(path, "r") as f:
        d = f["/districts/code"]
        D, w = d.shape[0], d.dtype.itemsize
        levels = []
        for name in f["/levels"]:
            e = f[f"/levels/{name}/employment"]
            nnz = 0
            for start in range(0, e.shape[0], 4096):
                nnz += int(np.count_nonzero(e[start:start + 4096]))
            levels.append((name, e.shape[1], nnz, f[f"/levels/{name}/sectors/code"].dtype.itemsize))
        micro = "/districts/micro_establishments" in f
    return D, w, levels, micro


def predicted_bytes(D, w, levels, micro, rows, P):
    """(read+aggregate, indices) bytes summed over ranks."""
    if P == 1:
        return 0.0, 0.0
    n = rows / P
    # the finest level is the one with the most sectors: the aggregate's cells
    finest = max(levels, key=lambda l: l[1])
    S, nnz, ws = finest[1], finest[2], finest[3]
    Dr = D * (1 - math.exp(-n / D))
    Sr = S * (1 - math.exp(-n / S))
    Cr = nnz * (1 - math.exp(-n / nnz))
    off = (P - 1) / P
    read = P * ((P - 1) * ((8 + Dr * w) + (8 + Sr * ws)))  # the codes
    read += P * 8 * D  # the weights
    read += P * 24 * off * (Cr + (Dr if micro else 0))  # the cells and the micro records
    read += P * (16 * S + (16 * S if micro else 0))  # per-sector reductions
    indices = 0.0
    for _, S_l, nnz_l, _ in levels:
        indices += P * 16 * S_l  # sector totals
        indices += (P - 1) * 8 * D  # district totals: each owner's block to P - 1 ranks
        indices += 16 * nnz_l * off  # the transpose
        indices += (P - 1) * 48 * S_l  # the localisation indices gathered
    return read, indices


def cluster_time(nodes, cores, rows, D, levels, io_sectors, startup):
    """Seconds per phase of one run on `nodes` nodes (one rank per node, `cores` threads each)."""
    # measured on the 2-core test machine (bench/RESULTS.md): read + aggregate of the 6 million kr
    # rows (44 bytes each) in 0.45 s with 2 threads; the indices of us-tract (two levels, 84,000 x
    # 1,000 and 84,000 x 25) in 2.1-3.0 s with 2 threads; the FLQ regionalization of 3,500 districts
    # with a 381-sector table in 0.69 s with 2 threads (per district about n^2 work: scaled by (n/381)^2)
    read_rate_core = 6e6 / 0.45 / 2  # rows/s per core
    idx_rate_core = 84e6 * 1.025 / 3.0 / 2  # cells/s per core, all levels
    io_core_s = 0.69 * 2 / 3500 * (io_sectors / 381) ** 2 if io_sectors else 0.0  # core-seconds per district
    # assumed for a current cluster (not measured here)
    bw_node = 10e9  # bytes/s a node injects into the network (100 Gb/s InfiniBand, 80% of it)
    latency = 2e-6  # seconds per message
    client_write = 2e9  # bytes/s one client (rank 0) writes to the parallel file system
    cells = sum(D * S_l for _, S_l, _, _ in levels)
    out_bytes = 3 * 8 * cells  # employment, LQ and symmetric LQ of every level, before compression
    P = nodes
    read_b, idx_b = predicted_bytes(D, 11, levels, True, rows, P)
    t = {}
    t["MPI start-up (assumed)"] = startup if P > 1 else 0.0
    t["read + aggregate, local"] = rows / P / (read_rate_core * cores)
    t["read + aggregate, exchange"] = read_b / P / bw_node + latency * P * 4 if P > 1 else 0.0
    t["indices, local"] = cells / P / (idx_rate_core * cores)
    t["indices, exchange"] = idx_b / P / bw_node + latency * P * 4 * len(levels) if P > 1 else 0.0
    t["regional IO (local; the chain of ranks)"] = D / P * io_core_s / cores + (latency * P if P > 1 else 0.0)
    # the write (src/output/h5util.c): every rank compresses its own rows' chunks on its cores at the
    # rate measured here (us-tract: 2.19 GB of datasets in 1.41 s with 2 threads, the LQ values
    # computed on the way) and sends rank 0 the compressed chunks (about a tenth: 208 MB for
    # us-tract), which rank 0 writes as one client
    compress_rate_core = 2.19e9 / 1.41 / 2
    file_bytes = 0.095 * out_bytes
    t["write: compress, every rank"] = out_bytes / P / (compress_rate_core * cores)
    t["write: chunks to rank 0"] = file_bytes * (P - 1) / P / bw_node if P > 1 else 0.0
    t["write: the file, one client"] = file_bytes / client_write
    return t, read_b, idx_b, out_bytes


def cluster():
    """The 100-node prediction of docs/HPC.md: 1, 10 and 100 nodes of 32 cores, one rank per node, on
    a national tract-level table (every US tract, 1,000 5-digit sectors), for 10 million
    establishment rows (the us-tract preset) and for a billion rows (e.g. job-level records, or a
    stack of years). Per-core rates measured here; network, file system and start-up assumed."""
    D = 84_000
    for rows, label in ((10_000_000, "10 million rows (us-tract)"), (1_000_000_000, "1 billion rows")):
        # non-empty cells of the 5-digit level: bounded by D x S and by the rows
        nnz5 = min(D * 1_000, int(D * 1_000 * (1 - math.exp(-rows / (D * 1_000)))))
        levels = [("2", 25, D * 25, 2), ("5", 1_000, nnz5, 5)]
        print(f"\n{label}, {D:,} tracts x 1,000 sectors (levels 2 and 5), FLQ with a 71-sector IO table:")
        rows_out = []
        for nodes in (1, 10, 100):
            t, rb, ib, ob = cluster_time(nodes, 32, rows, D, levels, 71, startup=0.5 + 0.01 * nodes)
            rows_out.append((nodes, t, rb, ib))
        names = list(rows_out[0][1])
        print("| phase | " + " | ".join(f"{n} node{'s' if n > 1 else ''}" for n, _, _, _ in rows_out) + " |")
        print("| --- | " + " | ".join("---:" for _ in rows_out) + " |")
        for name in names:
            print(f"| {name} | " + " | ".join(f"{t[name]:.3f}" for _, t, _, _ in rows_out) + " |")
        print("| **total** | " + " | ".join(f"**{sum(t.values()):.2f}**" for _, t, _, _ in rows_out) + " |")
        print("| bytes sent, read / indices (GB) | " +
              " | ".join(f"{rb / 1e9:.2f} / {ib / 1e9:.2f}" for _, _, rb, ib in rows_out) + " |")


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "cluster":
        cluster()
        return
    if len(sys.argv) < 5 or sys.argv[1] != "bytes":
        sys.exit(__doc__)
    D, w, levels, micro = shape(sys.argv[2])
    read, indices = predicted_bytes(D, w, levels, micro, int(sys.argv[3]), int(sys.argv[4]))
    print(f"{read / 1e6:.3f} {indices / 1e6:.3f}")


if __name__ == "__main__":
    main()
