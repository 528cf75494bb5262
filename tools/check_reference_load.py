"""Issue 20, item 3 ("and out"), proved against the reference PyTorch code: a model trained here,
exported with `convert-model --to pt`, loads into the reference `CDVAE` (txie-93/cdvae @ f857f59)
with `load_state_dict(strict=True)` and runs there. Writes what the reference computes with it to
tests/fixtures/torch/reference_load_forward.json, which tests/model/torch/reference_load_test.ts
compares with our own forward of the same model on the same inputs.

Nothing of the reference is copied here: it is imported from a checkout given on the command line,
with the stand-in modules (torch_scatter, torch_sparse, pytorch_lightning, hydra, ...) that
tests/fixtures/README.md describes ("Reference property models vs PyTorch").

Per shipped model (data/models/perov_5, data/models/mp_20):
1. `deno run -A mod.ts convert-model --to pt MODEL OUT.pt` (into a temporary folder).
2. The reference `CDVAE` is built by `hydra.utils.instantiate` from a config mapped from our
   config.json (`reference_hparams`): conf/model/vae.yaml's keys, encoder/dimenet.yaml's and
   decoder/gemnet.yaml's. The reference's `GemNetTDecoder` passes only `hidden_dim` (atom and edge
   width), cutoff and neighbours to `GemNetT` and leaves blocks, radial basis size and triplet widths
   at GemNetT's defaults (3 blocks, 128 radial, 64-wide triplets); our `small` preset has fewer and
   narrower ones, so when they differ the decoder's `_target_` is `SizedGemNetTDecoder` (tools/_reference_model.py): the
   reference's GemNetTDecoder (same forward) whose `gemnet` is a reference `GemNetT` built with our
   sizes. A reference-size model of ours uses the stock GemNetTDecoder.
3. `torch.load(OUT.pt, weights_only=True)` and `model.load_state_dict(sd, strict=True)`.
4. On the first COUNT rows of tests/fixtures/datasets/<dataset>/test.csv, preprocessed by the
   reference's `CrystDataset` (Niggli, CrystalNN), one PyG batch, in eval mode and float32:
   the encoder (`encoder` -> `fc_mu`, `fc_var`, with the graph it used: CrystalNN, or for
   `otf_graph` its own radius graph, recorded after the call), the four heads at z = mu, and the
   decoder (`model.decoder`, GemNet-T) at z = mu on the true atom types and coordinates noised as
   the reference's training forward does (fixed noise levels, `torch.manual_seed(0)`), with the
   radius graph it built (recorded by wrapping `radius_graph_pbc`).

And a reference-size model of ours (the `reference` preset, untrained, seed 0; written by a
`deno eval` snippet as a model folder) exported the same way loads strictly into the reference CDVAE
built from the reference's *own* configuration files (conf/model/vae.yaml with encoder/dimenet.yaml,
decoder/gemnet.yaml and conf/data/perov.yaml; only `predict_property: true` set, as our models train
that head), i.e. the stock GemNetTDecoder, and its encoder runs on the same batch; the fixture's
`reference_size` records that.

Floats are written as the shortest decimal that round-trips to the float32 value.

Pinned environment: tools/requirements-reference-forward.txt (Python 3.11, torch 2.5.1 on the CPU,
torch_geometric 2.0.1 and pymatgen 2022.11.7 with --no-deps).

Usage (from the repository root; deno on PATH):
  python tools/check_reference_load.py --reference /work/refrun/cdvae \
      --standins /work/refrun/standins [--count 2] \
      [--out tests/fixtures/torch/reference_load_forward.json]
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from _reference_env import add_reference_arguments, crystdataset_of_rows, enter_reference, f32, sha256

ROOT = Path(__file__).resolve().parent.parent

# Our dataset name and the reference's conf/data file of that dataset.
DATASETS = [("perov_5", "perov"), ("mp_20", "mp_20")]
# Fixed noise levels of the decoder input, per crystal (cycled): a large, a middle and a small sigma.
NOISE_LEVELS = [10, 30, 45]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_reference_arguments(p)
    p.add_argument("--count", type=int, default=2, help="first N rows of each test slice")
    p.add_argument("--out", default=str(ROOT / "tests/fixtures/torch/reference_load_forward.json"))
    return p.parse_args()


ARGS = parse_args()
enter_reference(ARGS)

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402
import torch_geometric  # noqa: E402
from omegaconf import OmegaConf  # noqa: E402
from torch_geometric.data import Batch  # noqa: E402

import hydra.utils  # noqa: E402  (stand-in)
import cdvae.pl_modules.gemnet.gemnet as ref_gemnet  # noqa: E402
from cdvae.common.data_utils import StandardScalerTorch, cart_to_frac_coords, frac_to_cart_coords  # noqa: E402
from _reference_model import export_pt, ints, load_reference_cdvae, reference_hparams  # noqa: E402

torch.set_num_threads(1)


def reference_batch(hp, dataset, cfg):
    rows = pd.read_csv(ROOT / "tests/fixtures/datasets" / dataset / "test.csv").iloc[: ARGS.count]
    ds = crystdataset_of_rows(rows, hp.data)
    s = cfg["scalers"]["property"]
    ds.scaler = StandardScalerTorch(torch.tensor(s["mean"]), torch.tensor(s["std"]))
    return Batch.from_data_list([ds[i] for i in range(len(ds))]), rows


def run_dataset(dataset, data_name, tmp):
    model_dir = ROOT / "data/models" / dataset
    model, cfg, hp, sd, pt = load_reference_cdvae(model_dir, data_name, ARGS.reference, tmp)
    n_model = len(model.state_dict())
    print(f"{dataset}: weights_only=True read {len(sd)} tensors; load_state_dict(strict=True) into the "
          f"reference CDVAE ({n_model} keys, decoder {type(model.decoder).__name__}): ok", file=sys.stderr)

    batch, rows = reference_batch(hp, dataset, cfg)
    with torch.no_grad():
        hidden = model.encoder(batch)  # for otf_graph, sets batch.edge_index / to_jimages / num_bonds
        mu, log_var = model.fc_mu(hidden), model.fc_var(hidden)
        z = mu
        heads = {
            "num_atoms_logits": model.fc_num_atoms(z),
            "lattice_standardized": model.fc_lattice(z),
            # predict_composition repeats z per atom; the rows of one crystal are equal.
            "composition_logits": model.fc_composition(z),
            "property_standardized": model.fc_property(z) if cfg["predictProperty"] else None,
        }
        levels = torch.tensor([NOISE_LEVELS[b % len(NOISE_LEVELS)] for b in range(len(batch.num_atoms))])
        sigma = model.sigmas[levels].repeat_interleave(batch.num_atoms, dim=0)
        torch.manual_seed(0)
        cart = frac_to_cart_coords(batch.frac_coords, batch.lengths, batch.angles, batch.num_atoms)
        cart = cart + torch.randn_like(batch.frac_coords) * sigma[:, None]
        noisy_frac = cart_to_frac_coords(cart, batch.lengths, batch.angles, batch.num_atoms)
        recorded = {}
        original = ref_gemnet.radius_graph_pbc

        def recording(*a, **k):
            out = original(*a, **k)
            recorded["edge_index"], recorded["to_jimages"] = out[0], out[1]
            return out

        ref_gemnet.radius_graph_pbc = recording
        try:
            scores, type_logits = model.decoder(
                z, noisy_frac, batch.atom_types, batch.num_atoms, batch.lengths, batch.angles
            )
        finally:
            ref_gemnet.radius_graph_pbc = original

    crystals = []
    offsets = np.concatenate([[0], np.cumsum(batch.num_atoms.numpy())])
    for b in range(len(batch.num_atoms)):
        a0, a1 = offsets[b], offsets[b + 1]
        crystals.append({
            "material_id": str(rows["material_id"].iloc[b]),
            "num_atoms": int(batch.num_atoms[b]),
            "atom_types": ints(batch.atom_types[a0:a1]),
            "frac_coords": f32(batch.frac_coords[a0:a1]),
            "lengths": f32(batch.lengths[b]),
            "angles": f32(batch.angles[b]),
        })
    return {
        "dataset": dataset,
        "model": f"data/models/{dataset}",
        "weights_sha256": sha256(model_dir / "weights.safetensors"),
        "pt_sha256": sha256(pt),
        "state_dict_tensors": len(sd),
        "reference_decoder": type(model.decoder).__name__,
        "hparams": OmegaConf.to_container(hp),
        "crystals": crystals,
        "encoder_graph": {"edge_index": ints(batch.edge_index), "to_jimages": ints(batch.to_jimages)},
        "mu": f32(mu),
        "log_var": f32(log_var),
        **{k: f32(v) for k, v in heads.items() if v is not None},
        "decoder": {
            "noise_levels": ints(levels),
            "noisy_frac_coords": f32(noisy_frac),
            "graph_raw": {"edge_index": ints(recorded["edge_index"]), "to_jimages": ints(recorded["to_jimages"])},
            "pred_cart_coord_diff": f32(scores),
            "pred_atom_type_logits": f32(type_logits),
        },
    }


# Writes a reference-preset model of ours (untrained, seed 0) as a model folder.
REFERENCE_SIZE_SNIPPET = """
import { getBackend } from "./src/compute/backend.ts";
import { CDVAE } from "./src/model/cdvae.ts";
import { PRESETS } from "./src/model/config.ts";
import { storeToSafetensors } from "./src/model/safetensors.ts";
const dir = Deno.args[0];
const model = new CDVAE(await getBackend({ prefer: "wasm" }), PRESETS.reference("perov_5"), 0);
await Deno.writeFile(`${dir}/weights.safetensors`, await storeToSafetensors(model.store));
await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify(model.config, null, 1));
model.dispose();
"""


def stock_reference_config():
    """The reference's own conf files composed as Hydra would for model=vae, data=perov."""
    conf = Path(ARGS.reference) / "conf"
    model = OmegaConf.load(conf / "model/vae.yaml")
    del model["defaults"]
    model.encoder = OmegaConf.load(conf / "model/encoder/dimenet.yaml")
    model.decoder = OmegaConf.load(conf / "model/decoder/gemnet.yaml")
    model.predict_property = True
    return OmegaConf.create({"model": model, "data": OmegaConf.load(conf / "data/perov.yaml")})


def run_reference_size(tmp, batch):
    folder = Path(tmp) / "reference_size"
    folder.mkdir()
    subprocess.run(["deno", "eval", "--ext=ts", REFERENCE_SIZE_SNIPPET, str(folder)], cwd=ROOT, check=True)
    pt = Path(tmp) / "reference_size.pt"
    export_pt(folder, pt)
    hp = stock_reference_config()
    with torch.no_grad():
        model = hydra.utils.instantiate(hp.model, optim={}, data=hp.data, logging={}, _recursive_=False)
    sd = torch.load(pt, map_location="cpu", weights_only=True)
    result = model.load_state_dict(sd, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    model.eval()
    with torch.no_grad():
        mu = model.fc_mu(model.encoder(batch))
    print(f"reference preset: weights_only=True read {len(sd)} tensors; load_state_dict(strict=True) into the "
          f"reference CDVAE of its own conf files (decoder {type(model.decoder).__name__}): ok; "
          f"mu {tuple(mu.shape)} finite: {bool(torch.isfinite(mu).all())}", file=sys.stderr)
    return {
        "preset": "reference (untrained, seed 0)",
        "reference_config": "conf/model/vae.yaml + encoder/dimenet.yaml + decoder/gemnet.yaml + data/perov.yaml, "
                            "predict_property: true",
        "reference_decoder": type(model.decoder).__name__,
        "state_dict_tensors": len(sd),
        "load_state_dict_strict": True,
        "encoder_ran": bool(torch.isfinite(mu).all()),
    }


def main():
    out = {
        "meta": {
            "made_by": "tools/check_reference_load.py",
            "reference": "txie-93/cdvae @ f857f59 (CDVAE, DimeNetPlusPlusWrap, GemNetTDecoder)",
            "python": sys.version.split()[0],
            "torch": torch.__version__,
            "torch_geometric": torch_geometric.__version__,
            "numpy": np.__version__,
            "count": ARGS.count,
            "noise_levels": NOISE_LEVELS,
            "seed": 0,
        }
    }
    with tempfile.TemporaryDirectory() as tmp:
        for dataset, data_name in DATASETS:
            out[dataset] = run_dataset(dataset, data_name, tmp)
        # The perov_5 batch (CrystalNN graph) for the reference-size encoder.
        cfg = json.loads((ROOT / "data/models/perov_5/config.json").read_text())
        batch, _ = reference_batch(reference_hparams(cfg, "perov", ARGS.reference), "perov_5", cfg)
        out["reference_size"] = run_reference_size(tmp, batch)
    text = json.dumps(out, separators=(",", ":"))
    Path(ARGS.out).write_text(text + "\n")
    print(f"wrote {ARGS.out} ({len(text)} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
