"""Writes tests/fixtures/matcher_recon.json: pymatgen's StructureMatcher.get_rms_dist on real model outputs.

The pairs are reconstructions of Perov-5 test crystals by the shipped model (written by
`deno run -A mod.ts reconstruct --input dataset:perov_5:test --limit 100 --steps 20 --seed S --out DIR`)
and their test crystals, compared as CDVAE's reconstruction metric compares them
(scripts/compute_metrics.py @ f857f59: StructureMatcher(stol=0.5, angle_tol=10, ltol=0.3),
get_rms_dist(pred, gt)). These near-cubic cells often sit near a threshold, which is where a port
slips.

Each pair stores three crystals (lattice rows = vectors in Angstrom, fractional coordinates, atomic
numbers), exactly as passed to pymatgen:
  pred    the reconstruction as written (file order; lattice = Lattice.from_parameters of the CIF cell)
  gtFile  the test crystal in the order of its CIF in test.csv (lattice from the CIF cell, coordinates
          as written, not wrapped): what our CIF reader returns
  gt      the test crystal as CDVAE's dataset holds it (build_crystal with niggli=True: pymatgen's CIF
          parser, which sorts the sites by electronegativity and wraps them into [0, 1), then
          get_reduced_structure() and Lattice.from_parameters of the reduced cell)
and pymatgen's answers rms = get_rms_dist(pred, gt) (the metric) and rmsFileOrder =
get_rms_dist(pred, gtFile), each [rms, max_dist] or null. The two differ where the anchor site (the
first site of T's rarest species) differs: pymatgen's search depends on T's site order.

A few near-threshold pairs follow the reconstructions: reconstructions that match with RMS < 0.35, moved
by t times a random Cartesian displacement pattern, with t bisected (12 steps over 0..2 Angstrom) to
the point where pymatgen's answer turns from a match into a miss; both ends are kept.

`siteOrder` holds random lists of atomic numbers (He, Ne, Ar and Z >= 104 included) with the
permutation pymatgen's get_sorted_structure applies, for the port of that order.

`disagreements` copies the cases of ../shared/data/matcher-cases/recon_disagreements.json (CIF texts
and pymatgen's values, read with pymatgen's own CIF parser) that an earlier evaluate got wrong.

Run with the pinned environment of tools/requirements-metrics.txt (pymatgen 2022.11.7, numpy 1.24.4):

  /work/pyenv-matcher/bin/python tools/make_matcher_recon_fixtures.py REC_DIR [REC_DIR ...] \
      [--data DATA_DIR] [--cases recon_disagreements.json] [--out PATH]

DATA_DIR defaults to $CDVAE_DATA_DIR or /work/shared/data. The script also times get_rms_dist over the
metric's pairs (single thread, best of 3) and records pairs per second in the header.
"""

import json
import os
import re
import sys
import time
import warnings

import numpy as np
import pandas as pd
from pymatgen.analysis.structure_matcher import StructureMatcher
from pymatgen.core import Lattice, Structure

# pymatgen 2022.11.7's compiled LinearAssignment still uses `np.int`, which numpy 1.24 removed (an alias
# of the builtin int). Restoring it changes nothing else.
if not hasattr(np, "int"):
    np.int = int  # type: ignore[attr-defined]

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
TIMING_ROUNDS = 3
SORT_CASES = 200
# Reconstructions pushed to the match threshold (two pairs each), and bisection steps (2 A / 2^12).
NEAR_PAIRS = 12
NEAR_BISECTIONS = 12
SEED = 20261207
CELL_KEYS = [f"_cell_length_{x}" for x in "abc"] + [f"_cell_angle_{x}" for x in ("alpha", "beta", "gamma")]


def read_p1_cif(text):
    """The cell parameters and the atom_site loop of a P1 CIF, in file order (no sorting, no wrapping)."""
    params = {}
    lines = [ln.strip() for ln in text.splitlines()]
    for ln in lines:
        parts = ln.split()
        if parts and parts[0] in CELL_KEYS:
            params[parts[0]] = float(parts[1])
    ops = [ln for ln in lines if re.match(r"^\d+\s+'", ln)]
    if len(ops) > 1:
        raise ValueError("not a P1 CIF")
    i = next(k for k, ln in enumerate(lines) if ln.startswith("_atom_site_"))
    cols = []
    while i < len(lines) and lines[i].startswith("_atom_site_"):
        cols.append(lines[i])
        i += 1
    species, frac = [], []
    while i < len(lines) and lines[i] and not lines[i].startswith(("loop_", "_", "#")):
        row = lines[i].split()
        species.append(row[cols.index("_atom_site_type_symbol")])
        frac.append([float(row[cols.index(f"_atom_site_fract_{x}")]) for x in "xyz"])
        i += 1
    lattice = Lattice.from_parameters(*[params[k] for k in CELL_KEYS])
    return Structure(lattice, species, np.array(frac), coords_are_cartesian=False)


def build_crystal(cif):
    """CDVAE's build_crystal(crystal_str, niggli=True, primitive=False)."""
    crystal = Structure.from_str(cif, fmt="cif")
    crystal = crystal.get_reduced_structure()
    return Structure(
        lattice=Lattice.from_parameters(*crystal.lattice.parameters),
        species=crystal.species,
        coords=crystal.frac_coords,
        coords_are_cartesian=False,
    )


def sort_cases(rng):
    """Random lists of atomic numbers and the permutation pymatgen's get_sorted_structure applies
    (Python's sorted with Site.__lt__: electronegativity, then symbol). He, Ne, Ar and Z >= 104 have no
    electronegativity (NaN): their comparisons fall through to the symbol, which makes the result
    depend on CPython's sort steps; lists of 64 or more sites keep to elements with one."""
    nan_z = [2, 10, 18, 104, 105, 110, 118]
    out = []
    for k in range(SORT_CASES):
        n = int(rng.integers(1, 24)) if k % 5 else int(rng.integers(24, 90))
        pool = list(range(1, 104)) + (nan_z if n < 64 else [])
        pool = [z for z in pool if n < 64 or z not in nan_z]
        distinct = rng.choice(pool, size=min(len(pool), int(rng.integers(1, 6))), replace=False)
        zs = [int(z) for z in rng.choice(distinct, size=n)]
        st = Structure(Lattice.cubic(10.0), zs, rng.uniform(size=(n, 3)), site_properties={"i": list(range(n))})
        out.append({"numbers": zs, "order": [int(site.properties["i"]) for site in st.get_sorted_structure()]})
    return out


def near_threshold(sm, pairs, rng):
    """Pairs that straddle the match threshold: for the first NEAR_PAIRS reconstructions that match
    with RMS < 0.35, Cartesian displacements t * D (D random, RMS 1 Angstrom) are added to the
    reconstruction and t is bisected between a match and a miss; both ends are kept."""
    out = []
    for p in pairs:
        if len(out) >= 2 * NEAR_PAIRS:
            break
        if p["rms"] is None or p["rms"][0] >= 0.35:
            continue
        pred, gt = p["pred"], p["gt"]
        d = rng.normal(size=(len(pred), 3))
        d /= np.sqrt((d**2).sum(axis=1).mean())

        def moved(t):
            cart = pred.cart_coords + t * d
            return Structure(pred.lattice, pred.species, cart, coords_are_cartesian=True)

        lo, hi = 0.0, 2.0
        if rms_dist(sm, moved(hi), gt) is not None:
            continue
        for _ in range(NEAR_BISECTIONS):
            mid = (lo + hi) / 2
            if rms_dist(sm, moved(mid), gt) is not None:
                lo = mid
            else:
                hi = mid
        for t, side in ((lo, "match side"), (hi, "miss side")):
            out.append({"name": f"{p['name']} + {t:.5f} A displacement ({side} of the threshold)",
                        "pred": moved(t), "gtFile": p["gtFile"], "gt": gt})
    return out


def record(s):
    return {
        "lattice": [float(x) for x in s.lattice.matrix.reshape(-1)],
        "frac": [float(x) for x in np.asarray(s.frac_coords).reshape(-1)],
        "numbers": [int(sp.Z) for sp in s.species],
    }


def rms_dist(sm, a, b):
    try:
        r = sm.get_rms_dist(a, b)
    except Exception:  # CDVAE's RecEval turns every exception into None
        r = None
    return None if r is None else [float(r[0]), float(r[1])]


def main():
    args = sys.argv[1:]
    opts = {"--data": os.environ.get("CDVAE_DATA_DIR", "/work/shared/data"), "--cases": None,
            "--out": os.path.join(ROOT, "tests", "fixtures", "matcher_recon.json")}
    for key in list(opts):
        if key in args:
            i = args.index(key)
            opts[key] = args[i + 1]
            del args[i : i + 2]
    if not args:
        sys.exit(__doc__)
    cases_path = opts["--cases"] or os.path.join(opts["--data"], "matcher-cases", "recon_disagreements.json")
    df = pd.read_csv(os.path.join(opts["--data"], "perov_5", "test.csv"))
    by_id = {str(m): cif for m, cif in zip(df["material_id"], df["cif"])}
    sm = StructureMatcher(ltol=0.3, stol=0.5, angle_tol=10)
    rng = np.random.default_rng(SEED)

    pairs = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for rec_dir in args:
            summary = json.load(open(os.path.join(rec_dir, "summary.json")))
            files = sorted(f for f in os.listdir(rec_dir) if re.match(r"rec_\d+\.cif$", f))
            if len(files) != len(summary["ids"]):
                raise ValueError(f"{rec_dir}: {len(files)} CIFs for {len(summary['ids'])} ids")
            for f, mid in zip(files, summary["ids"]):
                pred = read_p1_cif(open(os.path.join(rec_dir, f)).read())
                cif = by_id[str(mid)]
                pairs.append({"name": f"perov_5 test {mid} seed {summary.get('seed')}", "pred": pred,
                              "gtFile": read_p1_cif(cif), "gt": build_crystal(cif)})

        seconds = float("inf")
        for _ in range(TIMING_ROUNDS):
            t0 = time.perf_counter()
            for p in pairs:
                p["rms"] = rms_dist(sm, p["pred"], p["gt"])
            seconds = min(seconds, time.perf_counter() - t0)
        timed = len(pairs)
        near = near_threshold(sm, pairs, rng)
        for p in near:
            p["rms"] = rms_dist(sm, p["pred"], p["gt"])
        pairs += near
        for p in pairs:
            p["rmsFileOrder"] = rms_dist(sm, p["pred"], p["gtFile"])

        cases = json.load(open(cases_path))["cases"]
        disagreements = []
        for c in cases:
            pred = Structure.from_str(c["reconstructed_cif"], fmt="cif")
            gt = Structure.from_str(c["original_cif"], fmt="cif")
            disagreements.append({
                "name": f"perov_5 test {c['test_material_id']}",
                "predCif": c["reconstructed_cif"],
                "gtCif": c["original_cif"],
                "rms": rms_dist(sm, pred, gt),
            })

    out_pairs = [{"name": p["name"], "pred": record(p["pred"]), "gtFile": record(p["gtFile"]),
                  "gt": record(p["gt"]), "rms": p["rms"], "rmsFileOrder": p["rmsFileOrder"]} for p in pairs]
    def differ(a, b):
        return (a is None) != (b is None) or (a is not None and abs(a[0] - b[0]) > 1e-6)

    order_differs = sum(differ(p["rms"], p["rmsFileOrder"]) for p in pairs)
    doc = {
        "header": {
            "what": "StructureMatcher(ltol=0.3, stol=0.5, angle_tol=10).get_rms_dist(pred, gt): [rms, max_dist] or null",
            "script": "tools/make_matcher_recon_fixtures.py",
            "versions": {"pymatgen": "2022.11.7", "numpy": np.__version__},
            "reconstructions": "shipped Perov-5 model, first 100 test crystals, 50 levels x 20 steps, seeds as named",
            "pairs": len(out_pairs),
            "nearThresholdPairs": len(near),
            "matches": sum(p["rms"] is not None for p in pairs),
            "rmsDependsOnGtOrder": order_differs,
            "pymatgen_seconds": seconds,
            "pymatgen_pairs_per_second": timed / seconds,
        },
        "pairs": out_pairs,
        "disagreements": disagreements,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        doc["siteOrder"] = sort_cases(rng)
    with open(opts["--out"], "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {opts['--out']}: {len(out_pairs)} pairs, {doc['header']['matches']} matches, "
          f"{order_differs} whose answer changes with the ground truth's site order, "
          f"pymatgen {seconds:.2f} s for the {timed} reconstructions ({timed / seconds:.1f} pairs/s)")


if __name__ == "__main__":
    main()
