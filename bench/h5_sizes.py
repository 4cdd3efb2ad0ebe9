#!/usr/bin/env python3
"""The sizes in a regio result, for the benchmark's byte counts (run with the venv's python: h5py).

usage: h5_sizes.py RESULT.h5
prints one JSON object:
  file_bytes     the file's size on disk
  dataset_bytes  sum over all datasets of size x itemsize (the uncompressed bytes written)
  n_datasets     number of datasets
  matrix_bytes   the same sum over the two-dimensional datasets with more than 10,000 elements (the
                 district x sector matrices; in memory regio holds employment as int64 and LQ and
                 symmetric LQ as double, 8 bytes each like the file's float64)
  levels         {level: {"D": districts, "S": sectors, "nonzero": cells with employment > 0}}
"""
import json
import os
import sys

import h5py
import numpy as np


def main():
    path = sys.argv[1]
    out = {"file_bytes": os.path.getsize(path), "dataset_bytes": 0, "n_datasets": 0, "matrix_bytes": 0,
           "matrices": [], "levels": {}}

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            nbytes = int(obj.size) * obj.dtype.itemsize
            out["dataset_bytes"] += nbytes
            out["n_datasets"] += 1
            if obj.ndim == 2 and obj.size > 10_000:
                out["matrix_bytes"] += nbytes
                out["matrices"].append(name)

    with h5py.File(path, "r") as f:
        f.visititems(visit)
        for level in f["levels"]:
            emp = f[f"levels/{level}/employment"]
            nonzero = 0
            step = max(1, (1 << 24) // max(1, emp.shape[1]))
            for r in range(0, emp.shape[0], step):
                nonzero += int(np.count_nonzero(emp[r:r + step]))
            out["levels"][level] = {"D": int(emp.shape[0]), "S": int(emp.shape[1]), "nonzero": nonzero}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
