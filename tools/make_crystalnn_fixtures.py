"""Writes tests/fixtures/crystalnn.json and data/elements/crystalnn.json: pymatgen CrystalNN and matminer
CrystalNNFingerprint.from_preset("ops") as CDVAE uses them.

Pinned environment (tools/requirements-metrics.txt): pymatgen 2022.11.7, matminer 0.8.0, scipy 1.10.1,
numpy 1.24.4, Python 3.11, run as

  /work/pyenv-metrics/bin/python tools/make_crystalnn_fixtures.py [DATA_DIR] [--scale K --out PATH --no-timing]

DATA_DIR defaults to $CDVAE_DATA_DIR or /work/shared/data. --scale K draws K times as many dataset crystals
(a larger one-off agreement check), --out writes the fixture elsewhere and --no-timing skips the timing.

What it records, per crystal (lattice rows = vectors in Angstrom, fractional coordinates and atomic numbers
exactly as passed to pymatgen):
  encoder      CDVAE's encoder graph: CrystalNN(distance_cutoffs=None, x_diff_weight=-1,
               porous_adjustment=False).get_nn_info(s, i) for every site i, as [site_index, a, b, c, w]
               rows, where w is the neighbour's rounded CrystalNN weight in get_nn_data (get_nn_info itself
               sets every weight to 1)
  fingerprint  CrystalNN() (matminer's defaults) get_nn_data(s, i): every kept neighbour as
               [site_index, a, b, c, w] and the CN probabilities {cn: weight} per site
  fp           CDVAE's structure fingerprint: the mean over sites of
               CrystalNNFingerprint.from_preset("ops").featurize(s, i) (61 values), or null with the
               exception's type when featurize raises (CDVAE then marks the crystal invalid)

Dataset crystals are test-split crystals of Perov-5, Carbon-24 and MP-20 built as CDVAE's build_crystal
builds them: CIF -> get_reduced_structure() (Niggli) -> Lattice.from_parameters(*parameters) with the
reduced fractional coordinates. A few hand-made cells exercise the paths the datasets do not (1-atom cells,
noble gases without electronegativity, an element without any radius, unwrapped coordinates, a slab and a
molecule in a box whose Voronoi cells are unbounded at 7 A, coincident atoms).

The script also times matminer over all dataset crystals (single thread, best of TIMING_ROUNDS) and
records crystals per second in the header, for bench/RESULTS.md.

data/elements/crystalnn.json gets pymatgen's per-element facts CrystalNN reads: the default radius
(`_get_default_radius`: CovalentRadius.radius, Cordero et al. 2008, else Element.atomic_radius, else null)
and the Pauling electronegativity Element.X (null where pymatgen has none, i.e. NaN).
"""

import json
import math
import os
import sys
import time
import warnings

import numpy as np
import pandas as pd
import pymatgen
from matminer.featurizers.site import CrystalNNFingerprint
from pymatgen.analysis.local_env import CrystalNN, _get_default_radius
from pymatgen.analysis.molecule_structure_comparator import CovalentRadius
from pymatgen.core import Element, Lattice, Structure

# pymatgen 2022.11.7's compiled code still uses `np.int`, which numpy 1.24 removed (it was an alias of
# the builtin int). Restoring the alias changes nothing else.
if not hasattr(np, "int"):
    np.int = int  # type: ignore[attr-defined]

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
N_PER_SPLIT = {"perov_5": 20, "carbon_24": 20, "mp_20": 24}
TIMING_ROUNDS = 2


def build_crystal(cif):
    """CDVAE's build_crystal(niggli=True): Niggli-reduce, then a from_parameters lattice."""
    s = Structure.from_str(cif, fmt="cif").get_reduced_structure()
    return Structure(
        Lattice.from_parameters(*s.lattice.parameters), s.species, s.frac_coords, coords_are_cartesian=False
    )


def record(s):
    return {
        "lattice": [float(x) for x in s.lattice.matrix.reshape(-1)],
        "frac": [float(x) for x in np.asarray(s.frac_coords).reshape(-1)],
        "numbers": [int(sp.Z) for sp in s.species],
    }


def rows(entries):
    return [[int(e["site_index"]), *[int(x) for x in e["image"]], float(e["weight"])] for e in entries]


def encoder_site(cnn, s, i):
    d = cnn.get_nn_data(s, i)
    key = max(d.cn_weights, key=lambda k: d.cn_weights[k])  # what get_nn_info picks
    return rows(d.cn_nninfo[key])


def fingerprint_site(cnn, s, i):
    d = cnn.get_nn_data(s, i)
    return {"nn": rows(d.all_nninfo), "cn": {str(k): float(v) for k, v in d.cn_weights.items()}}


def hand_made():
    cubic = Lattice.cubic
    out = []
    a = 3.6
    out.append(("fcc Cu (1 atom)", Structure(Lattice([[0, a / 2, a / 2], [a / 2, 0, a / 2], [a / 2, a / 2, 0]]), ["Cu"], [[0, 0, 0]])))
    out.append(("bcc Fe (1 atom)", Structure(Lattice([[-1.435, 1.435, 1.435], [1.435, -1.435, 1.435], [1.435, 1.435, -1.435]]), ["Fe"], [[0, 0, 0]])))
    out.append(("sc Al", Structure(cubic(3.52), ["Al"], [[0, 0, 0]])))
    out.append(("CsCl distorted", Structure(cubic(4.209), ["Cs", "Cl"], [[0, 0, 0], [0.45, 0.5, 0.5]])))
    out.append(("rock salt NaCl", Structure(Lattice([[0, 2.82, 2.82], [2.82, 0, 2.82], [2.82, 2.82, 0]]), ["Na", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])))
    out.append(("SrTiO3", Structure(cubic(3.905), ["Sr", "Ti", "O", "O", "O"], [[0, 0, 0], [0.5, 0.5, 0.5], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]])))
    out.append(("diamond Si", Structure(Lattice([[0, 2.715, 2.715], [2.715, 0, 2.715], [2.715, 2.715, 0]]), ["Si", "Si"], [[0, 0, 0], [0.25, 0.25, 0.25]])))
    out.append(("wurtzite ZnO", Structure(Lattice.hexagonal(3.25, 5.207), ["Zn", "Zn", "O", "O"], [[1 / 3, 2 / 3, 0], [2 / 3, 1 / 3, 0.5], [1 / 3, 2 / 3, 0.382], [2 / 3, 1 / 3, 0.882]])))
    out.append(("graphite", Structure(Lattice.hexagonal(2.46, 6.7), ["C"] * 4, [[0, 0, 0.25], [0, 0, 0.75], [1 / 3, 2 / 3, 0.25], [2 / 3, 1 / 3, 0.75]])))
    out.append(("rutile TiO2", Structure(Lattice.tetragonal(4.594, 2.959), ["Ti", "Ti", "O", "O", "O", "O"], [[0, 0, 0], [0.5, 0.5, 0.5], [0.305, 0.305, 0], [0.695, 0.695, 0], [0.805, 0.195, 0.5], [0.195, 0.805, 0.5]])))
    out.append(("fcc Ar (no electronegativity)", Structure(Lattice([[0, 2.63, 2.63], [2.63, 0, 2.63], [2.63, 2.63, 0]]), ["Ar"], [[0, 0, 0]])))
    out.append(("XeF2-like (X missing only for none) and ArF", Structure(cubic(4.5), ["Xe", "F", "Ar", "F"], [[0, 0, 0], [0.45, 0, 0], [0.5, 0.5, 0.5], [0.5, 0.5, 0.9]])))
    out.append(("tiny cell 2.5 A", Structure(Lattice([[2.5, 0, 0], [0.4, 2.4, 0], [0.3, 0.5, 2.6]]), ["Li"], [[0, 0, 0]])))
    out.append(("unwrapped coordinates", Structure(cubic(4.0), ["Cs", "Cl"], [[-1.1, 2.0, 0.3], [0.6, -0.5, 3.8]], to_unit_cell=False)))
    out.append(("molecule in a 16 A box (cutoff doubles)", Structure(cubic(16.0), ["O", "H", "H"], [[0.5, 0.5, 0.5], [0.56, 0.5, 0.5], [0.485, 0.558, 0.5]])))
    out.append(("slab with 20 A vacuum (cutoff doubles to max_cutoff)", Structure(Lattice([[3, 0, 0], [0, 3, 0], [0, 0, 23]]), ["Cu"], [[0, 0, 0]])))
    out.append(("Bk (no radius: fingerprint fails)", Structure(cubic(3.6), ["Bk", "O"], [[0, 0, 0], [0.5, 0.5, 0.5]])))
    out.append(("two atoms 0.3 A apart", Structure(cubic(4.0), ["C", "C"], [[0, 0, 0], [0.075, 0, 0]])))
    out.append(("coincident atoms (Qhull drops the duplicate)", Structure(cubic(4.0), ["C", "C", "O"], [[0, 0, 0], [0, 0, 0], [0.5, 0.5, 0.5]])))
    out.append(("skewed triclinic", Structure(Lattice.from_parameters(3.1, 4.7, 5.3, 71, 102, 118), ["Mg", "Si", "O", "O"], [[0.1, 0.2, 0.3], [0.55, 0.6, 0.25], [0.3, 0.8, 0.7], [0.85, 0.1, 0.9]])))
    return out


def element_table():
    radius, x = [], []
    for z in range(1, 119):
        el = Element.from_Z(z)

        class _Site:
            specie = el

        r = _get_default_radius(_Site())
        radius.append(None if r is None else float(r))
        xv = el.X
        x.append(None if xv is None or math.isnan(xv) else float(xv))
    return {
        "description": "Per-element facts pymatgen's CrystalNN reads (radius[z - 1], x[z - 1] are element z; null = none). "
        "radius: _get_default_radius, i.e. the Cordero covalent radius (Angstrom), else Element.atomic_radius, else "
        "null (then the distance-cutoff step raises TypeError and the fingerprint fails). x: Pauling "
        "electronegativity Element.X (null where pymatgen gives NaN: He, Ne, Ar).",
        "source": "pymatgen 2022.11.7: analysis/molecule_structure_comparator.py CovalentRadius.radius (B. Cordero et "
        "al., Dalton Trans. 2008, 2832-2838) and core/periodic_table.json ('Atomic radius', 'X'); written by "
        "tools/make_crystalnn_fixtures.py",
        "covalent_table_size": len(CovalentRadius.radius),
        "radius": radius,
        "x": x,
    }


def main():
    args = sys.argv[1:]
    scale, out_path = 1, os.path.join(ROOT, "tests", "fixtures", "crystalnn.json")
    if "--scale" in args:
        i = args.index("--scale")
        scale = int(args[i + 1])
        del args[i : i + 2]
    if "--out" in args:
        i = args.index("--out")
        out_path = args[i + 1]
        del args[i : i + 2]
    timing = "--no-timing" not in args
    args = [a for a in args if a != "--no-timing"]
    data_dir = args[0] if args else os.environ.get("CDVAE_DATA_DIR", "/work/shared/data")
    warnings.simplefilter("ignore")

    crystals = [(name, "hand", s) for name, s in hand_made()]
    for ds, n in N_PER_SPLIT.items():
        df = pd.read_csv(os.path.join(data_dir, ds, "test.csv"))
        for r in np.linspace(0, len(df) - 1, n * scale).astype(int):
            crystals.append((f"{ds}[{int(r)}] {df['material_id'].iloc[r]}", ds, build_crystal(df["cif"].iloc[r])))

    enc = CrystalNN(distance_cutoffs=None, x_diff_weight=-1, porous_adjustment=False)
    cnnfp = CrystalNNFingerprint.from_preset("ops")
    fpnn = CrystalNN()  # what from_preset("ops") builds: every argument at its default

    records = []
    for name, kind, s in crystals:
        rec = {"name": name, "kind": kind, **record(s)}
        try:
            rec["encoder"] = [encoder_site(enc, s, i) for i in range(len(s))]
        except Exception as e:  # noqa: BLE001 (the reference's failure is the datum)
            rec["encoder"] = None
            rec["encoder_error"] = type(e).__name__
        try:
            sites = [fingerprint_site(fpnn, s, i) for i in range(len(s))]
            rec["fp_nn"] = [x["nn"] for x in sites]
            rec["fp_cn"] = [x["cn"] for x in sites]
        except Exception as e:  # noqa: BLE001
            rec["fp_nn"] = rec["fp_cn"] = None
        try:
            rec["fp"] = [float(v) for v in np.array([cnnfp.featurize(s, i) for i in range(len(s))]).mean(axis=0)]
        except Exception as e:  # noqa: BLE001 (CDVAE: valid=False, struct_fp=None)
            rec["fp"] = None
            rec["fp_error"] = type(e).__name__
        records.append(rec)

    # Timing: matminer's fingerprint (CDVAE's per-crystal mean) and the encoder graph on the dataset crystals.
    ds_structs = [s for _, kind, s in crystals if kind != "hand"]
    fp_seconds = enc_seconds = float("inf")
    for _ in range(TIMING_ROUNDS if timing else 0):
        t0 = time.perf_counter()
        for s in ds_structs:
            np.array([cnnfp.featurize(s, i) for i in range(len(s))]).mean(axis=0)
        fp_seconds = min(fp_seconds, time.perf_counter() - t0)
        t0 = time.perf_counter()
        for s in ds_structs:
            for i in range(len(s)):
                enc.get_nn_info(s, i)
        enc_seconds = min(enc_seconds, time.perf_counter() - t0)

    if not timing:
        fp_seconds = enc_seconds = float("nan")
    doc = {
        "header": {
            "what": "pymatgen CrystalNN neighbours (encoder and fingerprint settings) and matminer "
            "CrystalNNFingerprint.from_preset('ops') structure fingerprints (mean over sites); rows are "
            "[site_index, image a, image b, image c, rounded weight]",
            "script": "tools/make_crystalnn_fixtures.py",
            "versions": {
                "pymatgen": getattr(pymatgen, "__version__", "2022.11.7"),
                "matminer": "0.8.0",
                "numpy": np.__version__,
            },
            "crystals": len(records),
            "dataset_crystals": len(ds_structs),
            "dataset_sites": sum(len(s) for s in ds_structs),
            "matminer_fingerprint_seconds": fp_seconds,
            "matminer_crystals_per_second": len(ds_structs) / fp_seconds,
            "pymatgen_encoder_seconds": enc_seconds,
            "pymatgen_encoder_crystals_per_second": len(ds_structs) / enc_seconds,
        },
        "crystals": records,
    }
    if not timing:
        doc["header"] = {k: v for k, v in doc["header"].items() if "seconds" not in k and "per_second" not in k}
    with open(out_path, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    if out_path.endswith(os.path.join("tests", "fixtures", "crystalnn.json")):
        with open(os.path.join(ROOT, "data", "elements", "crystalnn.json"), "w") as f:
            json.dump(element_table(), f, indent=2)
            f.write("\n")
    failed = [(r["name"], r.get("fp_error"), r.get("encoder_error")) for r in records if r["fp"] is None or r["encoder"] is None]
    print(f"wrote {out_path}: {len(records)} crystals ({len(ds_structs)} from the datasets); failures: {failed}")
    print(f"matminer {fp_seconds:.2f} s ({len(ds_structs) / fp_seconds:.2f} crystals/s), "
          f"encoder {enc_seconds:.2f} s ({len(ds_structs) / enc_seconds:.2f} crystals/s)")


if __name__ == "__main__":
    main()
