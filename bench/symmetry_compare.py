#!/usr/bin/env python3
"""Side-by-side space-group search throughput: spglib's Python call and cdvae's wasm core (moyo), on the
same crystals: the first 1 000 rows of each test.csv (as tools/make_symmetry_fixtures.py reads them).

Usage (from the repository root, CDVAE_DATA_DIR set):
  /work/pyenv-moyo/bin/python bench/symmetry_compare.py

spglib: `get_symmetry_dataset((lattice, frac, numbers), symprec)` in a Python loop over structures parsed
beforehand (pymatgen), best of 5 passes. cdvae: `deno run -A bench/symmetry_bench.ts --json` (best of 7
batch calls after warm-up): "numbers" is `spaceGroupNumberMany` (moyo computes the whole dataset but returns
the numbers), "datasets" is `spaceGroupMany` (standardised cells, transforms and per-atom data returned
to TypeScript). Rates are crystals per second.
"""

import csv
import json
import os
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

import numpy as np
import spglib
from pymatgen.core import Structure

ROOT = Path(__file__).resolve().parent.parent
DATASETS = ["perov_5", "carbon_24", "mp_20"]
SYMPRECS = [0.1, 0.01]
ROWS = 1000

csv.field_size_limit(1 << 30)


def cells(path: Path):
    out = []
    with path.open(newline="") as f:
        for row in csv.DictReader(f):
            if len(out) == ROWS:
                break
            s = Structure.from_str(row["cif"], fmt="cif")
            out.append((np.array(s.lattice.matrix), np.array(s.frac_coords), np.array(s.atomic_numbers)))
    return out


def spglib_rate(cs, symprec: float) -> float:
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        for c in cs:
            spglib.get_symmetry_dataset(c, symprec=symprec)
        best = min(best, time.perf_counter() - t0)
    return len(cs) / best


def main() -> None:
    data = Path(os.environ["CDVAE_DATA_DIR"])
    ours = json.loads(
        subprocess.run(
            ["deno", "run", "-A", "bench/symmetry_bench.ts", "--json"], cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout
    )
    print(f"spglib {version('spglib')} (Python loop) vs cdvae wasm (moyo), crystals/s, first {ROWS} test rows")
    print("| dataset | symprec | spglib | cdvae numbers | cdvae datasets | ratio (numbers / spglib) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name in DATASETS:
        cs = cells(data / name / "test.csv")
        for p in SYMPRECS:
            s = spglib_rate(cs, p)
            n, d = ours[name][f"numbers@{p}"], ours[name][f"datasets@{p}"]
            print(f"| {name} | {p} | {s:,.0f} | {n:,.0f} | {d:,.0f} | {n / s:.2f}× |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
