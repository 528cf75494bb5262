"""Writes the neighbour-list fixtures tests/fixtures/neighbors_*.json from pymatgen.

Run: /work/pyenv-fixtures/bin/python tools/make_neighbor_fixtures.py [--data /work/shared/data]
(pins in tools/requirements-fixtures.txt). Output is deterministic for fixed inputs.

neighbors_datasets.json: 340 crystals from the test splits (fixed stride per dataset: 110 Perov-5,
100 Carbon-24, 130 MP-20), parsed with pymatgen's `Structure.from_str(cif, fmt="cif")` (the
parser CDVAE uses) so the tests do not depend on our CIF reader. Per crystal: the lattice (rows,
Å), fractional coordinates and atomic numbers exactly as pymatgen holds them; `volume` and
`density` (`Structure.volume`, `Structure.density`); and, for r = 7 Å, a summary of
`Structure.get_neighbor_list(7.0)` (exclude_self, numerical_tol 1e-8):
  - count, per-atom neighbour counts and per-atom sums of distances;
  - sha256 of the canonical triple list: lines "i j s0 s1 s2\\n" sorted by (i, j, s0, s1, s2),
    so any missing, extra or wrong (receiver, sender, image) triple changes it;
  - minDistance (over all edges, self-images included) and minDistanceDistinct (i != j only),
    null when no such edge lies within 7 Å.
  Plus two "top-20" digests of the ordered decoder graph, lines "i j s0 s1 s2\\n" per receiver,
  nearest first, ties (distances within 1e-8 Å of each other, chained in sorted order) broken by
  (sender, image):
  - top20All: from pymatgen's full 7 Å list (every image);
  - top20Cdvae: from CDVAE's `radius_graph_pbc` rule, computed here with numpy: images
    S in {-1, 0, 1}^3 only, kept when 1e-4 < d^2 <= 49.
neighbors_pathological.json: hand-made cells (1 atom, skewed, needle-thin, flat, tiny with many
images, left-handed, unwrapped and coincident atoms, distances exactly at the cutoff) with the
full triple list and distances for r = 7 Å and r = 3 Å.
"""

import argparse
import csv
import hashlib
import json
import pathlib
import warnings

import numpy as np
import pymatgen.core
from pymatgen.core import Lattice, Structure

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "tests" / "fixtures"
# dataset -> (number of crystals, stride through test.csv rows)
SELECTION = {"perov_5": (110, 34), "carbon_24": (100, 20), "mp_20": (130, 69)}
CUTOFF = 7.0
TOP_K = 20
TIE_TOL = 1e-8
CDVAE_MIN_D2 = 1e-4


def header(what: str) -> dict:
    return {
        "generator": "tools/make_neighbor_fixtures.py",
        "pymatgen": pymatgen.core.__version__,
        "numpy": np.__version__,
        "description": what,
    }


def triples_digest(lines: list[str]) -> str:
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def neighbor_list(s: Structure, r: float):
    c, p, im, d = s.get_neighbor_list(r)
    im = np.rint(im).astype(int)
    order = np.lexsort((im[:, 2], im[:, 1], im[:, 0], p, c))
    return c[order], p[order], im[order], d[order]


def nearest_first(cands: list[tuple[float, int, tuple[int, int, int]]]) -> list[tuple[int, tuple]]:
    """The TOP_K nearest of (distance, sender, image) candidates, with the tie rule above."""
    cands = sorted(cands)
    out, start = [], 0
    while start < len(cands):
        end = start + 1
        while end < len(cands) and cands[end][0] - cands[end - 1][0] <= TIE_TOL:
            end += 1
        out.extend(sorted((j, s) for _, j, s in cands[start:end]))
        start = end
    return out[:TOP_K]


def top_digest(n: int, per_receiver: list[list]) -> tuple[str, int]:
    lines = []
    for i in range(n):
        for j, s in nearest_first(per_receiver[i]):
            lines.append(f"{i} {j} {s[0]} {s[1]} {s[2]}\n")
    return triples_digest(lines), len(lines)


def cdvae27_candidates(s: Structure) -> list[list]:
    lat = s.lattice.matrix
    cart = s.frac_coords @ lat
    n = len(s)
    shifts = [(a, b, c) for a in (-1, 0, 1) for b in (-1, 0, 1) for c in (-1, 0, 1)]
    out = [[] for _ in range(n)]
    for i in range(n):
        for j in range(n):
            d = cart[j] - cart[i]
            for sh in shifts:
                v = d + np.array(sh, dtype=float) @ lat
                d2 = float(v @ v)
                if CDVAE_MIN_D2 < d2 <= CUTOFF * CUTOFF:
                    out[i].append((float(np.sqrt(d2)), j, sh))
    return out


def crystal_record(name: str, s: Structure) -> dict:
    n = len(s)
    c, p, im, d = neighbor_list(s, CUTOFF)
    lines = [f"{a} {b} {x[0]} {x[1]} {x[2]}\n" for a, b, x in zip(c, p, im)]
    per_atom = np.bincount(c, minlength=n)
    dist_sum = np.bincount(c, weights=d, minlength=n)
    distinct = d[c != p]
    per_receiver = [[] for _ in range(n)]
    for a, b, x, dd in zip(c, p, im, d):
        per_receiver[int(a)].append((float(dd), int(b), tuple(int(v) for v in x)))
    top_all, top_all_n = top_digest(n, per_receiver)
    top_cdvae, top_cdvae_n = top_digest(n, cdvae27_candidates(s))
    return {
        "name": name,
        "lattice": s.lattice.matrix.flatten().tolist(),
        "frac": s.frac_coords.flatten().tolist(),
        "numbers": [site.specie.Z for site in s],
        "volume": s.volume,
        "density": float(s.density),
        "r7": {
            "count": len(c),
            "sha256": triples_digest(lines),
            "perAtom": per_atom.tolist(),
            "distSum": dist_sum.tolist(),
            "minDistance": float(d.min()) if len(d) else None,
            "minDistanceDistinct": float(distinct.min()) if len(distinct) else None,
        },
        "top20All": {"count": top_all_n, "sha256": top_all},
        "top20Cdvae": {"count": top_cdvae_n, "sha256": top_cdvae},
    }


def dataset_crystals(data: pathlib.Path) -> list[dict]:
    csv.field_size_limit(1 << 30)
    records = []
    for ds, (count, stride) in SELECTION.items():
        with open(data / ds / "test.csv", newline="") as f:
            rows = list(csv.DictReader(f))
        for k in range(count):
            row_index = k * stride
            row = rows[row_index]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                s = Structure.from_str(row["cif"], fmt="cif")
            records.append(crystal_record(f"{ds}/test.csv row {row_index} {row['material_id']}", s))
    return records


def pathological_cells() -> list[tuple[str, Lattice, list[str], list[list[float]]]]:
    """Hand-made cells: (name, lattice, species, fractional coordinates)."""
    return [
        ("1 atom, 1 Å cube", Lattice.cubic(1.0), ["Li"], [[0.5, 0.5, 0.5]]),
        ("1 atom, fcc primitive", Lattice([[0, 1.8, 1.8], [1.8, 0, 1.8], [1.8, 1.8, 0]]), ["Cu"], [[0, 0, 0]]),
        (
            "very skewed (b = 10 a + small), 2 atoms",
            Lattice([[3.0, 0, 0], [30.2, 1.3, 0], [1.1, 0.7, 3.9]]),
            ["Na", "Cl"],
            [[0.1, 0.2, 0.3], [0.6, 0.55, 0.8]],
        ),
        (
            "acute skew, gamma = 10 degrees",
            Lattice.from_parameters(4.0, 4.2, 5.0, 80, 85, 10),
            ["O", "Si"],
            [[0, 0, 0], [0.3, 0.4, 0.5]],
        ),
        ("needle-thin 0.6 x 0.7 x 25 Å", Lattice([[0.6, 0, 0], [0.1, 0.7, 0], [0.0, 0.0, 25.0]]), ["H"], [[0, 0, 0]]),
        ("flat slab 15 x 15 x 0.8 Å", Lattice([[15.0, 0, 0], [7.5, 13.0, 0], [0.3, 0.2, 0.8]]), ["C", "C"],
         [[0, 0, 0], [0.5, 0.5, 0.5]]),
        ("tiny 1.3 Å cube, 2 atoms (many images)", Lattice.cubic(1.3), ["He", "He"], [[0, 0, 0], [0.5, 0.5, 0.5]]),
        (
            "left-handed lattice",
            Lattice([[0, 3.2, 0], [3.0, 0, 0], [0.4, 0.3, 4.1]]),
            ["Fe", "Ni"],
            [[0.25, 0.1, 0.0], [0.75, 0.6, 0.5]],
        ),
        (
            "unwrapped coordinates",
            Lattice.hexagonal(3.1, 5.0),
            ["Zn", "O", "Zn"],
            [[2.333333, -1.333333, 0.0], [-0.666667, 0.666667, 3.38], [0.1, 0.2, -7.6]],
        ),
        ("coincident atoms", Lattice.cubic(4.0), ["Ca", "Ca", "O"], [[0.1, 0.1, 0.1], [0.1, 0.1, 0.1], [0.6, 0.6, 0.6]]),
        ("hexagonal, exact symmetric ties", Lattice.hexagonal(2.46, 6.7), ["C"] * 4,
         [[0, 0, 0.25], [0, 0, 0.75], [1 / 3, 2 / 3, 0.25], [2 / 3, 1 / 3, 0.75]]),
        ("cubic 3.5 Å: neighbours exactly at 7 Å", Lattice.cubic(3.5), ["Po"], [[0, 0, 0]]),
        ("cubic 3.5 Å + 4e-10: just outside 7 Å + tol", Lattice.cubic(3.5 + 4e-10), ["Po"], [[0, 0, 0]]),
    ]


def pathological_record(name: str, s: Structure) -> dict:
    rec = {
        "name": name,
        "lattice": s.lattice.matrix.flatten().tolist(),
        "frac": s.frac_coords.flatten().tolist(),
        "numbers": [site.specie.Z for site in s],
        "volume": s.volume,
        "density": float(s.density),
        "lists": [],
    }
    for r in (CUTOFF, 3.0):
        c, p, im, d = neighbor_list(s, r)
        rec["lists"].append({
            "cutoff": r,
            "triples": np.column_stack([c, p, im]).flatten().tolist(),
            "distances": d.tolist(),
        })
    return rec


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/work/shared/data", type=pathlib.Path)
    args = ap.parse_args()
    OUT_DIR.mkdir(parents=True, exist_ok=True)

    crystals = dataset_crystals(args.data)
    doc = header("pymatgen get_neighbor_list(7.0) summaries, volume and density on dataset test crystals")
    doc["cutoff"] = CUTOFF
    doc["crystals"] = crystals
    (OUT_DIR / "neighbors_datasets.json").write_text(json.dumps(doc, separators=(",", ":")) + "\n")

    cells = []
    for name, lat, species, frac in pathological_cells():
        s = Structure(lat, species, frac, coords_are_cartesian=False, to_unit_cell=False)
        cells.append(pathological_record(name, s))
    doc = header("pymatgen get_neighbor_list full triple lists on hand-made pathological cells")
    doc["cells"] = cells
    (OUT_DIR / "neighbors_pathological.json").write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    total = sum(len(c["r7"]["perAtom"]) for c in crystals)
    print(f"{len(crystals)} crystals ({total} atoms), {len(cells)} pathological cells")


if __name__ == "__main__":
    main()
