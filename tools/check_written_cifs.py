#!/usr/bin/env python3
"""Reads the CIF and POSCAR files written by tools/check_written_cifs.ts with pymatgen and ASE and checks
that each is the structure in expected.json: same lattice, same species, same sites up to order.

    deno run -A tools/check_written_cifs.ts --out /tmp/written
    /work/pyenv-fixtures/bin/python tools/check_written_cifs.py /tmp/written

Lattice: a CIF stores only lengths and angles, so for CIFs the cell parameters must agree (1e-6 Å and
1e-6°) and pymatgen's matrix must equal Lattice.from_parameters of the expected parameters (1e-6 Å);
a POSCAR stores the matrix, so both readers' matrices must equal the expected one (1e-6 Å).
Sites: a one-to-one map between read and expected sites of the same species with periodic
fractional distance below 1e-6. Pinned versions: tools/requirements-fixtures.txt.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import ase
import ase.io
import numpy as np
import pymatgen.core
from ase.geometry import cell_to_cellpar
from pymatgen.core import Lattice, Structure

TOL = 1e-6
warnings.filterwarnings("ignore")


def cellpar(matrix: np.ndarray) -> np.ndarray:
    return np.asarray(cell_to_cellpar(np.asarray(matrix)))


def compare(lattice: np.ndarray, frac: np.ndarray, species: list[str], exp: dict, kind: str) -> str | None:
    """Why (lattice, frac, species) differs from the expected item, or None when it matches."""
    exp_lat = np.array(exp["lattice"]).reshape(3, 3)
    if kind == "cif":
        dp = np.abs(cellpar(lattice) - cellpar(exp_lat)).max()
        if dp > TOL:
            return f"cell parameters {cellpar(lattice)} != {cellpar(exp_lat)} (max diff {dp:.2e})"
    elif np.abs(lattice - exp_lat).max() > TOL:
        return f"lattice {lattice.tolist()} != {exp_lat.tolist()}"
    if sorted(species) != sorted(exp["species"]):
        return f"species {sorted(species)} != {sorted(exp['species'])}"
    exp_frac = np.array(exp["frac"])
    used = np.zeros(len(exp_frac), dtype=bool)
    for i, (sym, f) in enumerate(zip(species, frac)):
        d = exp_frac - f
        d = np.abs(d - np.round(d)).max(axis=1)
        d[used | (np.array(exp["species"]) != sym)] = np.inf
        j = int(np.argmin(d))
        if not d[j] < TOL:
            return f"site {i} ({sym} at {f.tolist()}) has no expected site within {TOL} (nearest {d[j]:.2e})"
        used[j] = True
    return None


def read_pymatgen(path: Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    s = Structure.from_file(str(path))
    return s.lattice.matrix, s.frac_coords, [site.specie.symbol for site in s]


def read_ase(path: Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    fmt = "cif" if path.suffix == ".cif" else "vasp"
    atoms = ase.io.read(str(path), format=fmt)
    return np.array(atoms.cell), atoms.get_scaled_positions(wrap=False), atoms.get_chemical_symbols()


def main() -> int:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    expected = json.loads((folder / "expected.json").read_text())
    print(f"pymatgen {pymatgen.core.__version__}, ase {ase.__version__}, numpy {np.__version__}; seed {expected['seed']}")
    counts: dict[str, list[int]] = {}
    failures: list[str] = []
    for item in expected["items"]:
        for kind in ("cif", "poscar"):
            path = folder / item[kind]
            for reader_name, reader in (("pymatgen", read_pymatgen), ("ase", read_ase)):
                key = f"{kind} read by {reader_name}"
                ok_fail = counts.setdefault(key, [0, 0])
                try:
                    lat, frac, species = reader(path)
                    why = compare(lat, frac, species, item, kind)
                    if why is None and kind == "cif" and reader_name == "pymatgen":
                        std = Lattice.from_parameters(*cellpar(np.array(item["lattice"]).reshape(3, 3)))
                        if np.abs(lat - std.matrix).max() > TOL:
                            why = f"matrix {lat.tolist()} != from_parameters {std.matrix.tolist()}"
                except Exception as e:  # noqa: BLE001 - any reader error is a failure to report
                    why = f"{type(e).__name__}: {e}"
                if why is None:
                    ok_fail[0] += 1
                else:
                    ok_fail[1] += 1
                    failures.append(f"{item['source']} ({path.name}, {reader_name}): {why}")
    for key, (ok, bad) in counts.items():
        print(f"{key}: {ok} same, {bad} different")
    for f in failures:
        print("  " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
