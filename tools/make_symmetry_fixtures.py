#!/usr/bin/env python3
"""Writes tests/fixtures/symmetry_spglib.json: spglib's space-group numbers for the first 1 000 crystals of
each test split, at symprec 0.1 and 0.01 Å (angle_tolerance left at spglib's default), and the crystals
themselves for a subset of rows so that the test runs without the datasets.

Reference (pinned in tools/requirements-fixtures.txt): spglib 2.7.0 `get_symmetry_dataset(cell, symprec)`
on the structure pymatgen 2025.10.7 parses from the CSV's cif column (`Structure.from_str(cif, fmt="cif")`,
as the other fixture scripts do).

Layout, per split:
  "numbers":  {"0.1": [n_0, …, n_999], "0.01": […]}  spglib's number for CSV rows 0..999 (data rows, in order)
  "crystals": [[row, lattice(9, rows = vectors, Å), frac(3N), atomic numbers(N)], …] every 10th row plus the
              rows named with --also, coordinates rounded to 8 decimals and lattices to 10; the script checks
              that spglib gives the same numbers on the rounded crystals as on pymatgen's.
The header also records spglib's time per crystal (get_symmetry_dataset in a Python loop, best of 5 passes)
for bench/RESULTS.md.

Usage: /work/pyenv-moyo/bin/python tools/make_symmetry_fixtures.py [DATA_DIR] [--also perov_5:12,mp_20:40]
DATA_DIR defaults to $CDVAE_DATA_DIR or ../shared/data relative to the repository root.
"""

import csv
import json
import os
import sys
import time
from importlib.metadata import version
from pathlib import Path

import numpy as np
import spglib
from pymatgen.core import Structure

ROOT = Path(__file__).resolve().parent.parent
DATASETS = ["perov_5", "carbon_24", "mp_20"]
SYMPRECS = ["0.1", "0.01"]
ROWS = 1000
STRIDE = 10
FRAC_DECIMALS = 8
LATTICE_DECIMALS = 10

csv.field_size_limit(1 << 30)


def read_rows(path: Path, limit: int) -> list[Structure]:
    out = []
    with path.open(newline="") as f:
        for row in csv.DictReader(f):
            if len(out) == limit:
                break
            out.append(Structure.from_str(row["cif"], fmt="cif"))
    return out


def cell_of(s: Structure):
    return (np.array(s.lattice.matrix), np.array(s.frac_coords), np.array(s.atomic_numbers))


def number(cell, symprec: float) -> int:
    d = spglib.get_symmetry_dataset(cell, symprec=symprec)
    if d is None:
        raise RuntimeError(f"spglib failed: {spglib.get_error_message()}")
    return int(d.number)


def seconds_per_crystal(cells, symprec: float) -> float:
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        for c in cells:
            spglib.get_symmetry_dataset(c, symprec=symprec)
        best = min(best, time.perf_counter() - t0)
    return best / len(cells)


def main() -> None:
    args = sys.argv[1:]
    also: dict[str, set[int]] = {name: set() for name in DATASETS}
    if "--also" in args:
        i = args.index("--also")
        for item in args[i + 1].split(","):
            name, row = item.split(":")
            also[name].add(int(row))
        del args[i : i + 2]
    data_dir = Path(args[0] if args else os.environ.get("CDVAE_DATA_DIR", ROOT.parent / "shared" / "data"))
    splits = {}
    timing = {}
    for name in DATASETS:
        structures = read_rows(data_dir / name / "test.csv", ROWS)
        cells = [cell_of(s) for s in structures]
        numbers = {p: [number(c, float(p)) for c in cells] for p in SYMPRECS}
        crystals = []
        for row in sorted(set(range(0, len(cells), STRIDE)) | also[name]):
            lattice, frac, z = cells[row]
            lattice = np.round(lattice, LATTICE_DECIMALS)
            frac = np.round(frac, FRAC_DECIMALS)
            for p in SYMPRECS:
                got = number((lattice, frac, z), float(p))
                if got != numbers[p][row]:
                    raise RuntimeError(f"{name} row {row}: rounding changes spglib's number at {p}")
            crystals.append([row, lattice.ravel().tolist(), frac.ravel().tolist(), z.tolist()])
        splits[name] = {"rows": len(cells), "numbers": numbers, "crystals": crystals}
        timing[name] = {p: seconds_per_crystal(cells, float(p)) for p in SYMPRECS}
        print(f"{name}: {len(cells)} rows, {len(crystals)} crystals stored", file=sys.stderr)
    out = {
        "header": {
            "script": "tools/make_symmetry_fixtures.py",
            "versions": {k: version(k) for k in ["spglib", "pymatgen", "numpy"]},
            "what": "spglib get_symmetry_dataset(cell, symprec).number for the first rows of each test.csv "
            "(pymatgen Structure.from_str of the cif column); crystals: [row, lattice, frac, numbers]",
            "symprecs": SYMPRECS,
            "spglib_seconds_per_crystal": timing,
        },
        "splits": splits,
    }
    path = ROOT / "tests" / "fixtures" / "symmetry_spglib.json"
    path.write_text(json.dumps(out, separators=(",", ":")) + "\n")
    print(f"wrote {path} ({path.stat().st_size} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
