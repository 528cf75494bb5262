"""What the tools that run the reference PyTorch CDVAE share (tools/check_reference_load.py,
tools/make_reference_property_fixture.py): the two command-line arguments naming the reference
checkout and the stand-in modules, entering that environment, and the reference's own dataset
preprocessing of a few CSV rows. Nothing of the reference is copied: it is imported from the
checkout given (txie-93/cdvae @ f857f59); the stand-ins are described in tests/fixtures/README.md.
"""

import hashlib
import os
import sys
import tempfile
from pathlib import Path


def add_reference_arguments(parser):
    parser.add_argument("--reference", required=True, help="checkout of txie-93/cdvae (f857f59)")
    parser.add_argument("--standins", required=True, help="folder with the stand-in modules")


def enter_reference(args):
    """Makes the reference and the stand-ins importable; call before importing torch_geometric."""
    # PyG 2.0.1 torch.jit.script()s helpers that would call the stand-ins: run them as Python.
    os.environ["PYTORCH_JIT"] = "0"
    os.environ["PROJECT_ROOT"] = args.reference
    sys.path[:0] = [args.standins, args.reference]


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def f32(x):
    """A float32 value, or nested ones, as the shortest decimals that round-trip."""
    import numpy as np

    a = np.asarray(x, dtype=np.float32)
    if a.ndim == 0:
        return float(repr(np.float32(a)))
    return [f32(v) for v in a]


def crystdataset_of_rows(rows, data):
    """The CSV rows (a pandas frame) through the reference's CrystDataset, with the preprocessing
    and graph method of the Hydra data config `data` (Niggli, canonical cell, CrystalNN, ...)."""
    from cdvae.pl_data.dataset import CrystDataset

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "rows.csv")
        rows.to_csv(path, index=False)
        return CrystDataset(
            name="fixture", path=path, prop=data.prop, niggli=data.niggli, primitive=data.primitive,
            graph_method=data.graph_method, preprocess_workers=1,
            lattice_scale_method=data.lattice_scale_method,
        )
