"""Writes data/elements/atomic_masses.json: standard atomic masses (u) for Z = 1..118.

The numbers are pymatgen's `Element.from_Z(z).atomic_mass` (pinned pymatgen in
tools/requirements-fixtures.txt), so `density()` in the wasm core agrees with pymatgen's
`Structure.density`. The wasm crate embeds the file with `include_str!`.

Run: /work/pyenv-fixtures/bin/python tools/make_atomic_masses.py
"""

import json
import pathlib

import pymatgen.core
from pymatgen.core import Element
from pymatgen.core.units import Mass

OUT = pathlib.Path(__file__).resolve().parent.parent / "data" / "elements" / "atomic_masses.json"


def main() -> None:
    masses = [float(Element.from_Z(z).atomic_mass) for z in range(1, 119)]
    doc = {
        "description": "Standard atomic masses in unified atomic mass units (u); masses[z - 1] is element z",
        "source": f"pymatgen {pymatgen.core.__version__} Element.from_Z(z).atomic_mass "
        "(pymatgen's periodic_table data), written by tools/make_atomic_masses.py",
        "amu_in_grams": float(Mass(1, "amu").to("g")),
        "masses": masses,
    }
    text = json.dumps(doc, indent=2)
    OUT.write_text(text + "\n")
    print(f"wrote {OUT} ({len(masses)} elements)")


if __name__ == "__main__":
    main()
