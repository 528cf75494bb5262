"""Writes the element tables of the composition metrics into data/elements/.

  oxidation_states.json  SMACT 2.2.1 `Element(sym).oxidation_states` (its default list,
                         smact/data/oxidation_states.txt) and `smact.metals`
  electronegativity.json SMACT 2.2.1 `Element(sym).pauling_eneg` (smact/data/element_data.txt)
  magpie.json            matminer 0.8.0 `MagpieData()` for the 22 properties of the "magpie"
                         preset of `ElementProperty`, plus CDVAE's CompScaler means/stds

Run with the pinned environment of tools/requirements-metrics.txt:

  /work/pyenv-metrics/bin/python tools/make_element_tables.py [path/to/reference-constants.json]

Elements are indexed by atomic number: `table[z - 1]` is element z, z = 1..118 (ASE's
`chemical_symbols`, the names CDVAE's `smact_validity` passes to SMACT). JSON has no NaN, so a
missing value is written as null.
"""

import json
import math
import os
import sys
import warnings

import matminer
import pymatgen.core
import smact
from ase.data import chemical_symbols
from matminer.featurizers.composition.composite import ElementProperty
from matminer.utils.data import MagpieData
from pymatgen.core import Element as PmgElement

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "data", "elements")
MAX_Z = 118


def num(x):
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


def write(name, obj):
    path = os.path.join(OUT, name)
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")
    print("wrote", path)


def smact_tables():
    ox, eneg, diffs = [], [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for z in range(1, MAX_Z + 1):
            sym = chemical_symbols[z]
            try:
                el = smact.Element(sym)
            except NameError:  # SMACT has data up to Lr (103) only
                ox.append(None)
                eneg.append(None)
                continue
            ox.append(None if el.oxidation_states is None else [int(s) for s in el.oxidation_states])
            eneg.append(num(el.pauling_eneg))
            pmg = num(PmgElement.from_Z(z).X)
            if eneg[-1] != pmg:
                diffs.append({"z": z, "symbol": sym, "smact": eneg[-1], "pymatgen": pmg})
    version = f"smact {smact.__version__ if hasattr(smact, '__version__') else '2.2.1'}"
    write("oxidation_states.json", {
        "description": "SMACT's default oxidation states per element (oxidationStates[z - 1] is element z; "
        + "[] = listed without states, null = SMACT has no data and smact.Element raises) and SMACT's "
        + "`metals` list (atomic numbers), as CDVAE's smact_validity uses them",
        "source": f"{version} (PyPI), smact.Element(symbol).oxidation_states from smact/data/oxidation_states.txt "
        + "and smact.metals from smact/__init__.py; written by tools/make_element_tables.py",
        "oxidationStates": ox,
        "metals": sorted(chemical_symbols.index(s) for s in smact.metals),
    })
    write("electronegativity.json", {
        "description": "Pauling electronegativities as SMACT has them (pauling[z - 1] is element z; null = none). "
        + "They differ from pymatgen's Element.X for the elements in `differsFromPymatgen` (e.g. SMACT's Zr "
        + "is 0.33, a typo of 1.33, and CDVAE's validity inherits it); keep SMACT's values to reproduce the reference",
        "source": f"{version} (PyPI), smact.Element(symbol).pauling_eneg from smact/data/element_data.txt; "
        + f"compared with pymatgen {pymatgen.core.__version__} Element.X; written by tools/make_element_tables.py",
        "pauling": eneg,
        "differsFromPymatgen": diffs,
    })


def magpie_table(constants_path):
    ep = ElementProperty.from_preset("magpie")
    data = MagpieData()
    values = {}
    for prop in ep.features:
        values[prop] = [num(data.all_elemental_props[prop].get(chemical_symbols[z], float("nan")))
                        for z in range(1, MAX_Z + 1)]
    with open(constants_path) as f:
        consts = json.load(f)
    write("magpie.json", {
        "description": "Magpie elemental properties of matminer's ElementProperty.from_preset('magpie') "
        + "(values[prop][z - 1] is element z; null = NaN in matminer), the statistics in feature order "
        + "(feature index = 6 * property + statistic), and CDVAE's CompScaler (cdvae/common/constants.py)",
        "source": f"matminer {matminer.__version__} (PyPI) MagpieData().all_elemental_props, read from "
        + "matminer/utils/data_files/magpie_elementdata/*.table with pymatgen "
        + f"{pymatgen.core.__version__}; CompScalerMeans/Stds from CDVAE f857f59 cdvae/common/constants.py "
        + "(via shared/docs/reference-constants.json); written by tools/make_element_tables.py",
        "properties": list(ep.features),
        "stats": list(ep.stats),
        "values": values,
        "compScaler": {"means": consts["CompScalerMeans"], "stds": consts["CompScalerStds"],
                       "replaceNanToken": 0.0},
    })


if __name__ == "__main__":
    consts = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "docs",
                                                                "reference-constants.json")
    smact_tables()
    magpie_table(consts)
