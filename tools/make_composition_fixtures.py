"""Writes the composition-metric fixtures (tests/fixtures/composition_*.json) from the reference tools.

  composition_smact.json   CDVAE's `smact_validity` (eval_utils.py @ f857f59, SMACT 2.2.1) on every
                           distinct composition of the Perov-5 / Carbon-24 / MP-20 test splits, with
                           how many crystals have it, plus perturbed and odd compositions
  composition_magpie.json  matminer 0.8.0 ElementProperty.from_preset("magpie") (132 raw features)
                           and CDVAE's CompScaler transform on a deterministic sample of those

Compositions are sorted [[Z, count], ...] lists of raw atom counts (CDVAE's Crystal keeps raw
counts for Magpie and divides by the gcd for SMACT). Crystals are read as CDVAE reads them:
`Structure.from_str(cif, fmt="cif")`, no Niggli or primitive reduction (neither changes counts).

Run with the pinned environment of tools/requirements-metrics.txt:

  /work/pyenv-metrics/bin/python tools/make_composition_fixtures.py [DATA_DIR] [reference-constants.json]
"""

import collections
import itertools
import json
import math
import os
import random
import sys
import warnings

import numpy as np
import pandas as pd
import smact
from ase.data import chemical_symbols
from matminer.featurizers.composition.composite import ElementProperty
from pymatgen.core import Composition, Structure
from smact.screening import pauling_test

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
DATASETS = ["perov_5", "carbon_24", "mp_20"]
# Paper Table 2 ground-truth composition validity (percent); printed next to ours.
PAPER = {"perov_5": 98.60, "carbon_24": 100.0, "mp_20": 91.13}
SEED = 20240601
MAGPIE_SAMPLE = {"perov_5": 150, "carbon_24": 1000, "mp_20": 450}
# Every SCALED_EVERY-th case also stores the CompScaler-transformed vector.
SCALED_EVERY = 8


def smact_validity(comp, count, use_pauling_test=True, include_alloys=True):
    """CDVAE's eval_utils.smact_validity, transcribed for the oracle (same calls, same order)."""
    elem_symbols = tuple([chemical_symbols[elem] for elem in comp])
    space = smact.element_dictionary(elem_symbols)
    smact_elems = [e[1] for e in space.items()]
    electronegs = [e.pauling_eneg for e in smact_elems]
    ox_combos = [e.oxidation_states for e in smact_elems]
    if len(set(elem_symbols)) == 1:
        return True
    if include_alloys:
        is_metal_list = [elem_s in smact.metals for elem_s in elem_symbols]
        if all(is_metal_list):
            return True
    threshold = np.max(count)
    compositions = []
    for ox_states in itertools.product(*ox_combos):
        stoichs = [(c,) for c in count]
        cn_e, cn_r = smact.neutral_ratios(ox_states, stoichs=stoichs, threshold=threshold)
        if cn_e:
            if use_pauling_test:
                try:
                    electroneg_OK = pauling_test(ox_states, electronegs)
                except TypeError:
                    electroneg_OK = True
            else:
                electroneg_OK = True
            if electroneg_OK:
                for ratio in cn_r:
                    compositions.append(tuple([elem_symbols, ox_states, ratio]))
    compositions = [(i[0], i[2]) for i in compositions]
    compositions = list(set(compositions))
    return len(compositions) > 0


def cdvae_comp_valid(pairs):
    """Crystal.get_composition (sorted Z, counts / gcd) then smact_validity; an exception -> its name."""
    elems = tuple(z for z, _ in pairs)
    counts = np.array([c for _, c in pairs])
    counts = counts / np.gcd.reduce(counts)
    comps = tuple(np.array(counts).astype("int"))
    try:
        return bool(smact_validity(elems, comps)), None
    except Exception as e:  # the reference crashes here (e.g. Z > 103: NameError)
        return None, type(e).__name__


FEATURIZER = ElementProperty.from_preset("magpie")


def magpie(pairs, means, stds):
    raw = np.array(FEATURIZER.featurize(Composition({z: c for z, c in pairs})), dtype=float)
    scaled = (raw - means) / stds
    scaled = np.where(np.isnan(scaled), 0.0, scaled)
    return raw, scaled


def num(x):
    x = float(x)
    return None if math.isnan(x) else float("%.12g" % x)


def dataset_compositions(data_dir, name):
    path = os.path.join(data_dir, name, "test.csv")
    if not os.path.exists(path):
        return None
    df = pd.read_csv(path)
    counter = collections.Counter()
    for cif in df["cif"]:
        s = Structure.from_str(cif, fmt="cif")
        counter[tuple(sorted(collections.Counter(s.atomic_numbers).items()))] += 1
    return counter


def odd_compositions(rng, base):
    """Perturbed dataset compositions and random ones over the whole table (noble gases, Pm, Tc,
    actinides, Z > 103 included)."""
    out = set()
    special = [2, 10, 18, 36, 54, 86, 43, 61, 89, 90, 92, 94, 95, 100, 102, 103, 104, 110, 118, 40, 82, 1, 5, 14]
    base = sorted(base)
    for _ in range(500):  # perturb a test composition
        comp = dict(rng.choice(base))
        z = rng.choice(list(comp))
        r = rng.random()
        if r < 0.4:
            comp[z] += rng.choice([1, 2, 3])
        elif r < 0.7 and len(comp) < 6:
            comp[rng.choice(special + list(range(1, 104)))] = rng.randint(1, 4)
        else:
            c = comp.pop(z)
            comp[rng.randint(1, 118)] = comp.get(z, 0) + c
        out.add(tuple(sorted(comp.items())))
    for _ in range(400):  # random compositions, 1-5 elements
        k = rng.choice([1, 2, 2, 3, 3, 3, 4, 4, 5])
        zs = rng.sample(special + list(range(1, 104)) * 2 if rng.random() < 0.5 else range(1, 119), k)
        comp = {}
        for z in zs:
            comp[z] = comp.get(z, 0) + rng.randint(1, 8)
        out.add(tuple(sorted(comp.items())))
    # hand-picked: alloys, metals with metalloids, elements without states, ties in Magpie's mode
    hand = [
        [(26, 1)], [(2, 1)], [(118, 3)], [(2, 1), (9, 2)], [(18, 1), (9, 2)], [(54, 1), (9, 2)], [(54, 1), (9, 4)],
        [(61, 2), (8, 3)], [(43, 1), (8, 2)], [(92, 1), (8, 2)], [(104, 1), (8, 2)], [(11, 1), (17, 1)],
        [(32, 1), (51, 1)], [(26, 1), (14, 1)], [(26, 1), (5, 1)], [(40, 1), (8, 2)], [(40, 1), (1, 2)],
        [(86, 1), (9, 2)], [(86, 1), (8, 1)], [(103, 1), (17, 3)], [(1, 1), (3, 1)], [(6, 1), (14, 1)],
        [(3, 2), (8, 1), (26, 2), (25, 1), (15, 2)], [(12, 3), (13, 2), (14, 3), (8, 12)],
        [(1, 1), (2, 1), (10, 1)], [(10, 1), (26, 1)], [(113, 1), (8, 1)], [(87, 1), (35, 1)],
    ]
    out.update(tuple(sorted(h)) for h in hand)
    return sorted(out - set(base))


def main():
    data_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "data")
    consts = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "..", "shared", "docs",
                                                                "reference-constants.json")
    with open(consts) as f:
        c = json.load(f)
    means, stds = np.array(c["CompScalerMeans"]), np.array(c["CompScalerStds"])
    rng = random.Random(SEED)
    warnings.filterwarnings("ignore")

    smact_fx = {"source": "", "datasets": {}, "odd": []}
    magpie_fx = {"source": "", "cases": []}
    all_base = set()
    for name in DATASETS:
        counter = dataset_compositions(data_dir, name)
        if counter is None:
            print(name, "missing, skipped")
            continue
        entries, n_valid, n = [], 0, 0
        for pairs, mult in sorted(counter.items()):
            valid, err = cdvae_comp_valid(pairs)
            entries.append([[list(p) for p in pairs], mult, valid] + ([err] if err else []))
            n += mult
            n_valid += mult if valid else 0
        pct = 100 * n_valid / n
        print(f"{name}: {n} crystals, {len(counter)} compositions, comp valid {pct:.2f} % (paper {PAPER[name]})")
        smact_fx["datasets"][name] = {"crystals": n, "validPercent": pct, "paperPercent": PAPER[name],
                                      "compositions": entries}
        all_base.update(counter)
        keys = sorted(counter)
        for pairs in rng.sample(keys, min(MAGPIE_SAMPLE[name], len(keys))):
            magpie_fx["cases"].append(pairs)
    odd = odd_compositions(rng, all_base)
    for pairs in odd:
        valid, err = cdvae_comp_valid(pairs)
        smact_fx["odd"].append([[list(p) for p in pairs], valid] + ([err] if err else []))
    magpie_fx["cases"] += rng.sample(odd, min(200, len(odd)))
    magpie_fx["cases"] = [[list(p) for p in pairs] for pairs in magpie_fx["cases"]]
    cases = []
    for i, pairs in enumerate(magpie_fx["cases"]):
        raw, scaled = magpie(pairs, means, stds)
        case = {"composition": pairs, "raw": [num(x) for x in raw]}
        if i % SCALED_EVERY == 0:
            case["scaled"] = [num(x) for x in scaled]
        cases.append(case)
    magpie_fx["cases"] = cases
    magpie_fx["labels"] = FEATURIZER.feature_labels()

    tools = "SMACT 2.2.1, matminer 0.8.0, pymatgen 2022.11.7, ase 3.22.1, numpy 1.24.4 (tools/requirements-metrics.txt)"
    smact_fx["source"] = ("CDVAE f857f59 scripts/eval_utils.py smact_validity (use_pauling_test, include_alloys) "
                          "on Crystal.get_composition counts; valid null + error name = the reference raises; "
                          f"{tools}; written by tools/make_composition_fixtures.py")
    magpie_fx["source"] = ("matminer ElementProperty.from_preset('magpie').featurize(Composition({Z: count})) "
                           "(null = NaN); scaled (every 8th case) = CDVAE CompScaler ((x - mean) / std, NaN -> 0), values "
                           f"rounded to 12 significant digits; {tools}; written by tools/make_composition_fixtures.py")
    for fname, obj in [("composition_smact.json", smact_fx), ("composition_magpie.json", magpie_fx)]:
        path = os.path.join(ROOT, "tests", "fixtures", fname)
        with open(path, "w") as f:
            json.dump(obj, f, separators=(",", ":"))
            f.write("\n")
        print("wrote", path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
