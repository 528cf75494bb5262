"""The Python side of bench/composition_bench.ts: times CDVAE's composition metrics with the
reference tools on the compositions the Deno side passes, and returns their answers for an
agreement check over the whole list.

  python bench/composition_compare.py IN.json OUT.json

IN.json:  {"compositions": [[[Z, count], ...], ...], "timed": N}
OUT.json: {"versions": {...}, "smact": [true|false|null, ...], "magpie": [[132 floats|null], ...],
           "timing": {"smact_s": ..., "magpie_s": ..., "magpie_scaled_s": ..., "n": N}}

Timing covers what CDVAE does per crystal (compute_metrics.py Crystal): Crystal.get_composition
plus smact_validity, and ElementProperty.featurize(Composition(Counter(atom_types))) then the
CompScaler transform, on the first N compositions, one pass after a warm-up pass on 50. Needs the
pinned environment of tools/requirements-metrics.txt.
"""

import collections
import json
import math
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from make_composition_fixtures import FEATURIZER, cdvae_comp_valid  # noqa: E402

import matminer  # noqa: E402
import pymatgen.core  # noqa: E402
from pymatgen.core import Composition  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def main():
    warnings.filterwarnings("ignore")
    with open(sys.argv[1]) as f:
        inp = json.load(f)
    comps = [[tuple(p) for p in c] for c in inp["compositions"]]
    n = min(inp.get("timed", len(comps)), len(comps))
    with open(os.path.join(ROOT, "data", "elements", "magpie.json")) as f:
        scaler = json.load(f)["compScaler"]
    means, stds = np.array(scaler["means"]), np.array(scaler["stds"])
    atom_lists = [[z for z, c in pairs for _ in range(c)] for pairs in comps]

    def smact_one(atoms):
        counter = collections.Counter(atoms)
        return cdvae_comp_valid(sorted(counter.items()))

    def magpie_one(atoms):
        return np.array(FEATURIZER.featurize(Composition(collections.Counter(atoms))), dtype=float)

    def magpie_scaled_one(atoms):
        x = (magpie_one(atoms) - means) / stds
        return np.where(np.isnan(x), 0.0, x)

    timing = {"n": n}
    for name, fn in [("smact_s", smact_one), ("magpie_s", magpie_one), ("magpie_scaled_s", magpie_scaled_one)]:
        for atoms in atom_lists[:50]:
            fn(atoms)
        t0 = time.perf_counter()
        for atoms in atom_lists[:n]:
            fn(atoms)
        timing[name] = time.perf_counter() - t0

    smact_all = [smact_one(a)[0] for a in atom_lists]
    magpie_all = [[None if math.isnan(x) else float(x) for x in magpie_one(a)] for a in atom_lists]
    out = {
        "versions": {"python": sys.version.split()[0], "smact": "2.2.1", "matminer": matminer.__version__,
                     "pymatgen": pymatgen.core.__version__, "numpy": np.__version__},
        "smact": smact_all,
        "magpie": magpie_all,
        "timing": timing,
    }
    with open(sys.argv[2], "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
