#!/usr/bin/env python3
"""Writes the pymatgen reference fixtures for cdvae's crystal file readers and writers.

Run from the repository root with the pinned environment (tools/requirements-fixtures.txt):

    python -m venv /tmp/pyenv && /tmp/pyenv/bin/pip install -r tools/requirements-fixtures.txt
    /tmp/pyenv/bin/python tools/make_format_fixtures.py [--data /work/shared/data] [--out tests/fixtures]

Items name their source ("mp_20/test.csv#17 cartesian") and carry material_id where it applies; a
dataset item where pymatgen's parse moves a coordinate by more than 1e-6 from the text (CifParser rounds
values within 1e-4 of 1/3 or 2/3, even in P1) has a "note" saying so.

Outputs (each a JSON object {"header": {...}, "items": [...]}, numbers at full double precision):

- pymatgen_cif_dataset.json      (a) 200 dataset CIFs and the structures pymatgen parses from them
- pymatgen_cif_symmetrized.json  (b) 100 CifWriter(structure, symprec=0.1) texts (space group not P1)
                                     and pymatgen's own P1 expansion of each
- pymatgen_poscar.json           (c) str(Poscar(structure)) texts plus edited variants (Cartesian,
                                     scaled, negative scale = volume, selective dynamics) and what
                                     pymatgen's Poscar.from_str reads from them
- pymatgen_cifwriter_layout.json (d) 5 structures and the text CifWriter(structure) writes for them

Selection (deterministic; "row" counts data rows of test.csv from 0, header excluded):

- (a) perov_5 rows 0, 75, 150, ... (50); carbon_24 rows 0, 45, 90, ... (45) plus the 5 largest cells
  (most atoms, then lowest row); mp_20 rows 0, 106, 212, ... (85) plus the 5 largest cells, the 5 with
  the most distinct elements and the 5 with the largest volume per cell, skipping rows already taken
  and moving down each ranking instead.
- (b) rows 3, 3+k, 3+2k, ... with k = 37 (perov_5, carbon_24) or 7 (mp_20) whose space group found by
  SpacegroupAnalyzer(symprec=0.1) is not P1: 20 perov_5, 20 carbon_24, and 60 mp_20 preferring a space
  group not seen yet (first pass), then any non-P1 row (second pass).
- (c) rows 11, 11+k, ... (k = 371 perov_5, 199 carbon_24, 449 mp_20): 10 + 10 + 20 base POSCARs, and 14
  variants made by editing the POSCARs of the first 14 mp_20 base items: Cartesian (scale 1, and scale 2
  with lattice and positions halved), scale line -V (lattice lines 0.9x the cell), scale 1.5 (direct),
  and Poscar(selective_dynamics=...). Cartesian with a negative scale is left out: pymatgen multiplies
  Cartesian positions by the raw (negative) scale there, unlike VASP.
- (d) perov_5 row 1, carbon_24 row 1, mp_20 rows 1, 2 and the mp_20 row with the most distinct elements,
  rebuilt as fresh Structure objects (no CIF labels) before writing.
"""

from __future__ import annotations

import argparse
import csv
import json
import warnings
from pathlib import Path

import ase
import numpy as np
import pymatgen.core
import spglib
from pymatgen.core import Lattice, Structure
from pymatgen.io.cif import CifWriter
from pymatgen.io.vasp import Poscar
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

DATASETS = ("perov_5", "carbon_24", "mp_20")
SCRIPT = "tools/make_format_fixtures.py"

csv.field_size_limit(1 << 30)
warnings.filterwarnings("ignore")


def versions() -> dict[str, str]:
    return {
        "pymatgen": pymatgen.core.__version__,
        "ase": ase.__version__,
        "spglib": spglib.__version__,
        "numpy": np.__version__,
    }


def header(description: str) -> dict:
    return {"generator": SCRIPT, "versions": versions(), "description": description}


def load_rows(data: Path) -> dict[str, list[dict[str, str]]]:
    out = {}
    for name in DATASETS:
        with open(data / name / "test.csv", newline="") as f:
            out[name] = list(csv.DictReader(f))
    return out


def parse(cif: str) -> Structure:
    return Structure.from_str(cif, fmt="cif")


def structure_fields(s: Structure) -> dict:
    """Lattice (9 numbers, rows = vectors), fractional coordinates (N×3) and element symbols."""
    return {
        "lattice": [float(x) for x in s.lattice.matrix.reshape(-1)],
        "frac": [[float(x) for x in site.frac_coords] for site in s],
        "species": [site.specie.symbol for site in s],
    }


def source(name: str, row: int) -> str:
    return f"{name}/test.csv#{row}"


def stride(n_rows: int, start: int, step: int, count: int) -> list[int]:
    return [r for r in range(start, n_rows, step)][:count]


def ranked(rows: list[dict[str, str]], key, taken: set[int], count: int) -> list[int]:
    """The `count` rows with the highest key (lowest row first on ties) not already taken."""
    order = sorted(range(len(rows)), key=lambda r: (-key(r), r))
    out = []
    for r in order:
        if r not in taken:
            out.append(r)
            taken.add(r)
        if len(out) == count:
            break
    return out


def select_dataset(rows: dict[str, list[dict[str, str]]]) -> list[tuple[str, int]]:
    picks: list[tuple[str, int]] = []
    picks += [("perov_5", r) for r in stride(len(rows["perov_5"]), 0, 75, 50)]
    for name, step, count, extra in (("carbon_24", 45, 45, ("atoms",)), ("mp_20", 106, 85, ("atoms", "elements", "volume"))):
        structures = {r: parse(rows[name][r]["cif"]) for r in range(len(rows[name]))}
        taken = set(stride(len(rows[name]), 0, step, count))
        chosen = sorted(taken)
        keys = {
            "atoms": lambda r: len(structures[r]),
            "elements": lambda r: len(structures[r].composition.elements),
            "volume": lambda r: structures[r].volume,
        }
        for k in extra:
            chosen += ranked(rows[name], keys[k], taken, 5)
        picks += [(name, r) for r in chosen]
    return picks


def snap_distance(cif: str, s: Structure) -> float:
    """Largest periodic distance between a P1 CIF's written coordinates and pymatgen's nearest site."""
    written = []
    for line in cif.splitlines():
        t = line.split()
        if len(t) == 7 and t[2] == "1":
            written.append([float(x) for x in t[3:6]])
    worst = 0.0
    for w in written:
        d = s.frac_coords - np.array(w)
        d -= np.round(d)
        worst = max(worst, float(np.abs(d).max(axis=1).min()))
    return worst


def make_dataset_items(rows) -> list[dict]:
    items = []
    for name, r in select_dataset(rows):
        row = rows[name][r]
        s = parse(row["cif"])
        item = {"source": source(name, r), "material_id": row["material_id"], "cif": row["cif"], **structure_fields(s)}
        moved = snap_distance(row["cif"], s)
        if moved > 1e-6:
            item["note"] = (
                "CifParser rounds fractional coordinates within 1e-4 of 1/3 or 2/3 to those values "
                f"(frac_tolerance); here a coordinate moves by {moved:.3g}"
            )
        items.append(item)
    assert len(items) == 200, len(items)
    return items


def make_symmetrized_items(rows) -> list[dict]:
    items = []
    plan = (("perov_5", 37, 20, False), ("carbon_24", 37, 20, False), ("mp_20", 7, 60, True))
    for name, step, count, prefer_new in plan:
        chosen: list[tuple[int, int]] = []
        seen_groups: set[int] = set()
        passes = (True, False) if prefer_new else (False,)
        for first_pass in passes:
            for r in range(3, len(rows[name]), step):
                if len(chosen) == count:
                    break
                if any(r == c for c, _ in chosen):
                    continue
                s = parse(rows[name][r]["cif"])
                number = SpacegroupAnalyzer(s, symprec=0.1).get_space_group_number()
                if number == 1 or (first_pass and number in seen_groups):
                    continue
                seen_groups.add(number)
                chosen.append((r, number))
        assert len(chosen) == count, (name, len(chosen))
        for r, number in sorted(chosen):
            row = rows[name][r]
            text = str(CifWriter(parse(row["cif"]), symprec=0.1))
            expanded = Structure.from_str(text, fmt="cif")
            items.append({
                "source": source(name, r),
                "material_id": row["material_id"],
                "space_group_number": number,
                "cif": text,
                "expanded": structure_fields(expanded),
            })
    return items


def fmt(x: float) -> str:
    return f"{x:21.16f}"


def poscar_lines(text: str) -> list[str]:
    return text.rstrip("\n").split("\n")


def cartesian_variant(s: Structure, scale: float, keyword: str) -> str:
    """POSCAR in Cartesian mode: lattice lines and coordinates are divided by `scale`."""
    lines = poscar_lines(str(Poscar(s)))
    m = s.lattice.matrix / scale
    cart = s.cart_coords / scale
    lines[1] = repr(scale)
    lines[2:5] = [" ".join(fmt(x) for x in v) for v in m]
    lines[7] = keyword
    for i, site in enumerate(s):
        lines[8 + i] = " ".join(fmt(x) for x in cart[i]) + " " + site.specie.symbol
    return "\n".join(lines) + "\n"


def scaled_direct_variant(s: Structure, scale: float, lattice_factor: float) -> str:
    """Direct POSCAR whose lattice lines are multiplied by `lattice_factor`, with scale line `scale`."""
    lines = poscar_lines(str(Poscar(s)))
    m = s.lattice.matrix * lattice_factor
    lines[1] = repr(scale)
    lines[2:5] = [" ".join(fmt(x) for x in v) for v in m]
    return "\n".join(lines) + "\n"


def selective_dynamics_variant(s: Structure) -> str:
    flags = [[i % 2 == 0, i % 3 != 0, False] for i in range(len(s))]
    return str(Poscar(s, selective_dynamics=flags))


def make_poscar_items(rows) -> list[dict]:
    base: list[tuple[str, Structure]] = []
    for name, step, count in (("perov_5", 371, 10), ("carbon_24", 199, 10), ("mp_20", 449, 20)):
        for r in stride(len(rows[name]), 11, step, count):
            base.append((source(name, r), parse(rows[name][r]["cif"])))
    texts: list[tuple[str, str]] = [(src, str(Poscar(s))) for src, s in base]
    # Variants edit the POSCAR text of the mp_20 base items (most varied cells and species).
    mp = [b for b in base if b[0].startswith("mp_20")]
    for src, s in mp[0:4]:
        texts.append((f"{src} cartesian", cartesian_variant(s, 1.0, "Cartesian")))
    for src, s in mp[4:6]:
        texts.append((f"{src} cartesian scale=2", cartesian_variant(s, 2.0, "cartesian")))
    for src, s in mp[6:9]:
        # Scale line = -V: the lattice lines (here 0.9× the cell) are rescaled to volume V.
        texts.append((f"{src} negative scale (volume)", scaled_direct_variant(s, -float(s.volume), 0.9)))
    for src, s in mp[9:11]:
        texts.append((f"{src} scale=1.5", scaled_direct_variant(s, 1.5, 1 / 1.5)))
    for src, s in mp[11:14]:
        texts.append((f"{src} selective dynamics", selective_dynamics_variant(s)))
    items = []
    for src, text in texts:
        read = Poscar.from_str(text).structure
        items.append({"source": src, "poscar": text, **structure_fields(read)})
    return items


def make_layout_items(rows) -> list[dict]:
    mp = rows["mp_20"]
    most_elements = max(range(len(mp)), key=lambda r: (len(parse(mp[r]["cif"]).composition.elements), -r))
    picks = [("perov_5", 1), ("carbon_24", 1), ("mp_20", 1), ("mp_20", 2), ("mp_20", most_elements)]
    items = []
    for name, r in picks:
        parsed = parse(rows[name][r]["cif"])
        fresh = Structure(Lattice(parsed.lattice.matrix), [site.specie for site in parsed], parsed.frac_coords)
        items.append({"source": source(name, r), **structure_fields(fresh), "cif": str(CifWriter(fresh))})
    return items


def write(path: Path, head: dict, items: list[dict]) -> None:
    body = ",\n".join(json.dumps(item, separators=(",", ":")) for item in items)
    path.write_text(f'{{"header":{json.dumps(head)},\n"items":[\n{body}\n]}}\n')
    print(f"{path}: {len(items)} items, {path.stat().st_size / 1e6:.2f} MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=Path("/work/shared/data"))
    ap.add_argument("--out", type=Path, default=Path("tests/fixtures"))
    args = ap.parse_args()
    rows = load_rows(args.data)
    args.out.mkdir(parents=True, exist_ok=True)
    write(
        args.out / "pymatgen_cif_dataset.json",
        header("Dataset CIFs (test.csv) and pymatgen's parse: Structure.from_str(cif, fmt='cif'); frac wrapped to [0,1)."),
        make_dataset_items(rows),
    )
    write(
        args.out / "pymatgen_cif_symmetrized.json",
        header("CifWriter(structure, symprec=0.1) texts; expanded = Structure.from_str(cif, fmt='cif')."),
        make_symmetrized_items(rows),
    )
    write(
        args.out / "pymatgen_poscar.json",
        header("str(Poscar(structure)) and edited variants; lattice/frac/species = Poscar.from_str(poscar).structure."),
        make_poscar_items(rows),
    )
    write(
        args.out / "pymatgen_cifwriter_layout.json",
        header("Fresh Structure(lattice, species, frac) and str(CifWriter(structure)) for it (no symprec)."),
        make_layout_items(rows),
    )


if __name__ == "__main__":
    main()
