#!/usr/bin/env python3
"""Checks the CIFs with symmetry that tools/write_symmetry_cifs.ts wrote (our `writeCif(c, { symprec })`)
with pymatgen and spglib, and records the verdicts as tests/fixtures/pymatgen_symmetry_cif.json.

    deno run -A tools/write_symmetry_cifs.ts --out /tmp/symcifs
    /work/pyenv-moyo/bin/python tools/make_symmetry_cif_fixtures.py /tmp/symcifs tests/fixtures/pymatgen_symmetry_cif.json

For each CIF: whether pymatgen reads it (`Structure.from_str(cif, fmt="cif")`, which applies the
`_symmetry_equiv_pos_as_xyz` operations to the asymmetric unit), how many sites it reads, whether
pymatgen's `StructureMatcher()` (defaults: ltol 0.2, stol 0.3, angle_tol 5, primitive cells, scaled)
says the read structure is the input crystal, its `get_rms_dist` (normalised RMS, max), the space
group spglib finds in the read structure at 1e-3 Å (the group the file carries: its sites are
exact) and at the writing `symprec`, pymatgen's `SpacegroupAnalyzer(read, symprec).get_space_group_number()`,
and spglib's number for the input crystal at `symprec` (what our search should agree with).
Pinned versions: tools/requirements-fixtures.txt (pymatgen 2025.10.7, spglib 2.7.0, numpy 2.2.6).
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pymatgen.core
import spglib
from pymatgen.analysis.structure_matcher import StructureMatcher
from pymatgen.core import Lattice, Structure
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

warnings.filterwarnings("ignore")
TIGHT = 1e-3


def spglib_number(s: Structure, symprec: float) -> int | None:
    cell = (s.lattice.matrix, s.frac_coords, [site.specie.Z for site in s])
    d = spglib.get_symmetry_dataset(cell, symprec=symprec)
    return None if d is None else int(d.number)


def check(item: dict, folder: Path) -> dict:
    text = (folder / item["file"]).read_text()
    given = Structure(Lattice(np.array(item["lattice"]).reshape(3, 3)), item["species"], item["frac"])
    out: dict = {
        "source": item["source"],
        "kind": item["kind"],
        "symprec": item["symprec"],
        "number": item["number"],
        "symbol": item["symbol"],
        "lattice": item["lattice"],
        "frac": item["frac"],
        "species": item["species"],
        "cif": text,
        "spglibInput": spglib_number(given, item["symprec"]),
    }
    try:
        read = Structure.from_str(text, fmt="cif")
    except Exception as e:  # noqa: BLE001 - a failure to read is what we record
        return {**out, "pymatgenReads": False, "error": f"{type(e).__name__}: {e}"}
    rms = StructureMatcher().get_rms_dist(read, given)
    return {
        **out,
        "pymatgenReads": True,
        "sitesRead": len(read),
        "formulaRead": read.composition.reduced_formula,
        "matches": bool(StructureMatcher().fit(read, given)),
        "rms": None if rms is None else [float(rms[0]), float(rms[1])],
        "spglibRead": spglib_number(read, TIGHT),
        "spglibReadAtSymprec": spglib_number(read, item["symprec"]),
        "pymatgenRead": SpacegroupAnalyzer(read, symprec=item["symprec"]).get_space_group_number(),
    }


def main() -> int:
    folder = Path(sys.argv[1])
    target = Path(sys.argv[2])
    expected = json.loads((folder / "expected.json").read_text())
    items = [check(item, folder) for item in expected["items"]]
    header = {
        "generator": "tools/write_symmetry_cifs.ts + tools/make_symmetry_cif_fixtures.py",
        "versions": {"pymatgen": pymatgen.core.__version__, "spglib": spglib.__version__, "numpy": np.__version__},
        "seed": expected["seed"],
        "tightSymprec": TIGHT,
        "description": "Our writeCif(c, {symprec}) texts for dataset and perturbed crystals, read by pymatgen "
        "Structure.from_str and compared with the input by StructureMatcher(); spglib numbers of input and read.",
    }
    target.write_text(json.dumps({"header": header, "items": items}, indent=1) + "\n")
    bad = [i for i in items if not (i["pymatgenReads"] and i["matches"])]
    same = sum(i.get("spglibRead") == i["spglibInput"] for i in items)
    print(f"{len(items)} CIFs: {len(items) - len(bad)} read by pymatgen as the input structure; "
          f"spglib finds the input's group in {same}")
    for i in bad:
        print(f"  {i['source']} ({i['kind']}): {i.get('error') or 'no match'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
