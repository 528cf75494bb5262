#!/usr/bin/env python3
"""Writes tests/fixtures/niggli_<dataset>.json: Niggli reductions of every crystal in the dataset CSVs.

Reference tools (pinned in tools/requirements-fixtures.txt):
  spglib    niggli_reduce(lattice, eps=1e-5 * V^(1/3))  -- always a proper Niggli cell
  pymatgen  Lattice.get_niggli_reduced_lattice(tol=1e-5) -- what CDVAE's preprocessing calls

Tolerance: cdvae, pymatgen and Grosse-Kunstleve et al. (2004) compare with eps = 1e-5 * V^(1/3);
spglib's eps is absolute, so it is given that same value. With spglib's default (eps = 1e-5 absolute)
near-ties such as A ~ B resolve differently on a few crystals; their number is recorded in the header
("spglib_default_eps_differs") but they are not used.

Each row holds the input lattice as the six CIF parameters (a, b, c, alpha, beta, gamma, exactly as
written in the CIF; the matrix is pymatgen's Lattice.from_parameters convention, rows = vectors, c
along z, a in the xz-plane) and the integer transforms T with reduced = T . input:

  [id, a, b, c, alpha, beta, gamma, T_spglib, T_pymatgen]

T is a flat list of 9 ints, or 0 for the identity. T_pymatgen is null when pymatgen's cell has the
same parameters as spglib's (within 1e-5 A / 1e-4 deg); otherwise pymatgen's differing cell is
recorded too. Parameters of T . input are checked here against each tool's returned lattice.

Usage: /work/pyenv-fixtures/bin/python tools/make_niggli_fixtures.py [DATA_DIR] [--splits val,test]
DATA_DIR defaults to $CDVAE_DATA_DIR or ../shared/data relative to the repository root.
"""

import csv
import json
import os
import re
import sys
import time
from importlib.metadata import version
from pathlib import Path

import numpy as np
import spglib
from pymatgen.core import Lattice

ROOT = Path(__file__).resolve().parent.parent
DATASETS = ["perov_5", "carbon_24", "mp_20"]
EPS = 1e-5
LEN_TOL = 1e-5
ANGLE_TOL = 1e-4
CELL_KEYS = [
    "_cell_length_a",
    "_cell_length_b",
    "_cell_length_c",
    "_cell_angle_alpha",
    "_cell_angle_beta",
    "_cell_angle_gamma",
]

csv.field_size_limit(1 << 30)


def cell_parameters(cif: str) -> list[float]:
    """The six _cell_ values of a CIF, as written (uncertainties in parentheses dropped)."""
    out = []
    for key in CELL_KEYS:
        m = re.search(rf"^{key}\s+([-+0-9.eE]+)", cif, re.MULTILINE)
        if not m:
            raise ValueError(f"no {key}")
        out.append(float(m.group(1)))
    return out


def params_of(matrix: np.ndarray) -> np.ndarray:
    lat = Lattice(matrix)
    return np.array([*lat.abc, *lat.angles])


def same_params(p: np.ndarray, q: np.ndarray) -> bool:
    return bool(np.all(np.abs(p[:3] - q[:3]) <= LEN_TOL) and np.all(np.abs(p[3:] - q[3:]) <= ANGLE_TOL))


def transform(reduced: np.ndarray, matrix: np.ndarray, what: str):
    """Integer T with reduced = T . matrix (checked), as a flat list, or 0 for the identity."""
    t_float = reduced @ np.linalg.inv(matrix)
    t = np.rint(t_float).astype(int)
    if np.max(np.abs(t_float - t)) > 1e-6 or round(abs(np.linalg.det(t))) != 1:
        raise ValueError(f"{what}: no unimodular integer transform (residual {np.max(np.abs(t_float - t)):.2e})")
    if not same_params(params_of(t @ matrix), params_of(reduced)):
        raise ValueError(f"{what}: T . input does not reproduce the reduced cell")
    return 0 if np.array_equal(t, np.eye(3, dtype=int)) else t.flatten().tolist()


def rows_of(csv_path: Path, stats: dict) -> list[list]:
    rows = []
    with open(csv_path, newline="") as f:
        for rec in csv.DictReader(f):
            ident = rec.get("material_id") or rec.get("") or str(len(rows))
            p = cell_parameters(rec["cif"])
            matrix = Lattice.from_parameters(*p).matrix
            eps_abs = EPS * abs(np.linalg.det(matrix)) ** (1 / 3)
            t0 = time.perf_counter()
            red_spg = np.array(spglib.niggli_reduce(matrix, eps=eps_abs))
            t1 = time.perf_counter()
            red_pmg = Lattice(matrix).get_niggli_reduced_lattice(tol=EPS).matrix
            t2 = time.perf_counter()
            stats["spglib_s"] += t1 - t0
            stats["pymatgen_s"] += t2 - t1
            t_spg = transform(red_spg, matrix, f"{ident} spglib")
            red_default = np.array(spglib.niggli_reduce(matrix, eps=EPS))
            if not same_params(params_of(red_spg), params_of(red_default)):
                stats["spglib_default_eps_differs"] += 1
            t_pmg = None
            if not same_params(params_of(red_spg), params_of(red_pmg)):
                t_pmg = transform(red_pmg, matrix, f"{ident} pymatgen")
                stats["pymatgen_differs"] += 1
            rows.append([ident, *p, t_spg, t_pmg])
    return rows


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    splits = ["train", "val", "test"]
    if "--splits" in sys.argv:
        splits = sys.argv[sys.argv.index("--splits") + 1].split(",")
        args = [a for a in args if a != sys.argv[sys.argv.index("--splits") + 1]]
    data_dir = Path(args[0] if args else os.environ.get("CDVAE_DATA_DIR", ROOT.parent / "shared" / "data"))
    out_dir = ROOT / "tests" / "fixtures"
    for name in DATASETS:
        stats = {"spglib_s": 0.0, "pymatgen_s": 0.0, "pymatgen_differs": 0, "spglib_default_eps_differs": 0}
        rows, counts, missing = [], {}, []
        for split in splits:
            path = data_dir / name / f"{split}.csv"
            if not path.exists():
                missing.append(f"{name}/{split}.csv")
                continue
            split_rows = rows_of(path, stats)
            counts[split] = len(split_rows)
            rows += split_rows
        if not rows:
            print(f"{name}: no CSV found, skipped", file=sys.stderr)
            continue
        doc = {
            "source": "tools/make_niggli_fixtures.py",
            "tools": {
                "spglib": f"{version('spglib')} niggli_reduce(eps={EPS} * V^(1/3))",
                "pymatgen": f"{version('pymatgen')} Lattice.get_niggli_reduced_lattice(tol={EPS})",
                "numpy": version("numpy"),
            },
            "dataset": name,
            "splits": counts,
            "missing": missing,
            "pymatgen_differs": stats["pymatgen_differs"],
            "spglib_default_eps_differs": stats["spglib_default_eps_differs"],
            "columns": ["id", "a", "b", "c", "alpha", "beta", "gamma", "T_spglib", "T_pymatgen"],
            "rows": rows,
        }
        out = out_dir / f"niggli_{name}.json"
        with open(out, "w") as f:
            f.write(json.dumps({k: v for k, v in doc.items() if k != "rows"}, separators=(",", ":"))[:-1])
            f.write(',"rows":[\n')
            f.write(",\n".join(json.dumps(r, separators=(",", ":")) for r in rows))
            f.write("\n]}\n")
        n = len(rows)
        print(
            f"{name}: {n} crystals {counts}, pymatgen differs from spglib on {stats['pymatgen_differs']} "
            f"({100 * stats['pymatgen_differs'] / n:.1f} %), spglib with absolute eps 1e-5 on "
            f"{stats['spglib_default_eps_differs']}; spglib {n / stats['spglib_s']:.0f}/s, "
            f"pymatgen {n / stats['pymatgen_s']:.0f}/s -> {out.relative_to(ROOT)} ({out.stat().st_size} bytes)"
            + (f"; missing {missing}" if missing else ""),
            file=sys.stderr,
        )


if __name__ == "__main__":
    main()
