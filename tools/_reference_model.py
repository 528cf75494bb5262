"""The reference PyTorch CDVAE (txie-93/cdvae @ f857f59) built around a model folder of ours, for the
tools that run it (tools/check_reference_load.py, bench/sampler_vs_reference.py): our config.json
mapped onto the reference's Hydra config, the weights exported by `convert-model --to pt` and loaded
with `load_state_dict(strict=True)`. Import after `_reference_env.enter_reference` (it imports the
reference and its stand-ins). Nothing of the reference is copied: it is imported from the checkout.
"""

import json
import subprocess
from pathlib import Path

import numpy as np
import torch
from omegaconf import OmegaConf

import hydra.utils  # stand-in
from cdvae.common.data_utils import StandardScalerTorch
from cdvae.pl_modules.decoder import GemNetTDecoder
from cdvae.pl_modules.gemnet.gemnet import GemNetT

ROOT = Path(__file__).resolve().parent.parent

# GemNetT's constructor defaults in the reference (cdvae/pl_modules/gemnet/gemnet.py), which its
# GemNetTDecoder leaves in place.
GEMNET_DEFAULTS = {
    "num_spherical": 7, "num_radial": 128, "num_blocks": 3, "emb_size_trip": 64, "emb_size_rbf": 16,
    "emb_size_cbf": 16, "emb_size_bil_trip": 64, "num_before_skip": 1, "num_after_skip": 2,
    "num_concat": 1, "num_atom": 3,
}


class SizedGemNetTDecoder(GemNetTDecoder):
    """The reference's GemNetTDecoder (its forward unchanged) with a GemNetT of the given sizes:
    the reference passes only hidden_dim, radius and max_neighbors on and keeps GemNetT's defaults
    for the rest, which a smaller model of ours does not have."""

    def __init__(self, hidden_dim=128, latent_dim=256, max_neighbors=20, radius=6.0, scale_file=None, **sizes):
        super().__init__(hidden_dim, latent_dim, max_neighbors, radius, scale_file)
        self.gemnet = GemNetT(
            num_targets=1, latent_dim=latent_dim, emb_size_atom=hidden_dim, emb_size_edge=hidden_dim,
            regress_forces=True, cutoff=radius, max_neighbors=max_neighbors, otf_graph=True,
            scale_file=scale_file, **sizes,
        )


def ints(x):
    return np.asarray(x).astype(int).tolist()


def reference_hparams(cfg, data_name, reference):
    """Our config.json mapped onto the reference's Hydra config (model with encoder and decoder,
    and the data keys the model reads)."""
    enc, dec = cfg["encoder"], cfg["decoder"]
    if dec["embSizeAtom"] != dec["embSizeEdge"]:
        raise SystemExit("GemNetTDecoder has one hidden_dim for atoms and edges; this model has two")
    sizes = {
        "num_spherical": dec["numSpherical"], "num_radial": dec["numRadial"], "num_blocks": dec["numBlocks"],
        "emb_size_trip": dec["embSizeTrip"], "emb_size_rbf": dec["embSizeRbf"], "emb_size_cbf": dec["embSizeCbf"],
        "emb_size_bil_trip": dec["embSizeBilTrip"], "num_before_skip": dec["numBeforeSkip"],
        "num_after_skip": dec["numAfterSkip"], "num_concat": dec["numConcat"], "num_atom": dec["numAtomResidual"],
    }
    decoder = {
        "_target_": "cdvae.pl_modules.decoder.GemNetTDecoder",
        "hidden_dim": dec["embSizeAtom"],
        "latent_dim": cfg["latentDim"],
        "max_neighbors": dec["maxNeighbors"],
        "radius": float(dec["cutoff"]),
        "scale_file": f"{reference}/cdvae/pl_modules/gemnet/gemnet-dT.json",
    }
    if sizes != GEMNET_DEFAULTS:
        decoder["_target_"] = f"{__name__}.SizedGemNetTDecoder"
        decoder.update(sizes)
    data = OmegaConf.load(f"{reference}/conf/data/{data_name}.yaml")
    model = {
        "_target_": "cdvae.pl_modules.model.CDVAE",
        "hidden_dim": cfg["hiddenDim"],
        "latent_dim": cfg["latentDim"],
        "fc_num_layers": cfg["fcNumLayers"],
        "max_atoms": cfg["maxAtoms"],
        "cost_natom": cfg["cost"]["natom"], "cost_coord": cfg["cost"]["coord"], "cost_type": cfg["cost"]["type"],
        "cost_lattice": cfg["cost"]["lattice"], "cost_composition": cfg["cost"]["composition"],
        "cost_edge": 10.0, "cost_property": cfg["cost"]["property"],
        "beta": cfg["beta"],
        "teacher_forcing_lattice": True,
        "teacher_forcing_max_epoch": cfg["teacherForcingMaxEpoch"],
        "max_neighbors": dec["maxNeighbors"],
        "radius": float(dec["cutoff"]),
        "sigma_begin": cfg["sigmaBegin"], "sigma_end": cfg["sigmaEnd"],
        "type_sigma_begin": cfg["typeSigmaBegin"], "type_sigma_end": cfg["typeSigmaEnd"],
        "num_noise_level": cfg["numNoiseLevels"],
        "predict_property": cfg["predictProperty"],
        "encoder": {
            "_target_": "cdvae.pl_modules.gnn.DimeNetPlusPlusWrap",
            "num_targets": cfg["latentDim"],
            "hidden_channels": enc["hiddenChannels"], "num_blocks": enc["numBlocks"],
            "int_emb_size": enc["intEmbSize"], "basis_emb_size": enc["basisEmbSize"],
            "out_emb_channels": enc["outEmbChannels"], "num_spherical": enc["numSpherical"],
            "num_radial": enc["numRadial"], "otf_graph": enc["graph"] == "radius",
            "cutoff": float(enc["cutoff"]), "max_num_neighbors": enc["maxNeighbors"],
            "envelope_exponent": enc["envelopeExponent"], "num_before_skip": enc["numBeforeSkip"],
            "num_after_skip": enc["numAfterSkip"], "num_output_layers": enc["numOutputLayers"],
            "readout": "mean",
        },
        "decoder": decoder,
    }
    if cfg["numTypes"] != 100:
        raise SystemExit(f"numTypes {cfg['numTypes']}: the reference's type tables have 100 classes")
    data_keys = {
        "prop": cfg.get("property", str(data.prop)), "niggli": bool(data.niggli), "primitive": bool(data.primitive),
        "graph_method": str(data.graph_method), "lattice_scale_method": str(data.lattice_scale_method),
        "otf_graph": enc["graph"] == "radius", "max_atoms": cfg["maxAtoms"], "readout": "mean",
    }
    return OmegaConf.create({"model": model, "data": data_keys})


def export_pt(model_dir, out_path):
    subprocess.run(
        ["deno", "run", "-A", "mod.ts", "convert-model", "--to", "pt", str(model_dir), str(out_path), "--force"],
        cwd=ROOT, check=True,
    )


def load_reference_cdvae(model_dir, data_name, reference, tmp):
    """Our model folder as the reference `CDVAE` in eval mode, with our scalers:
    (model, our config, the Hydra config, the state dict, the exported .pt path)."""
    cfg = json.loads((Path(model_dir) / "config.json").read_text())
    pt = Path(tmp) / f"{Path(model_dir).name}.pt"
    export_pt(model_dir, pt)
    hp = reference_hparams(cfg, data_name, reference)
    # PyG 2.0.1's BesselBasisLayer.reset_parameters writes into a leaf Parameter with
    # torch.arange(out=...), which newer torch refuses outside no_grad (values are unchanged).
    with torch.no_grad():
        model = hydra.utils.instantiate(hp.model, optim={}, data=hp.data, logging={}, _recursive_=False)
    sd = torch.load(pt, map_location="cpu", weights_only=True)
    result = model.load_state_dict(sd, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    lat = cfg["scalers"]["lattice"]
    model.lattice_scaler = StandardScalerTorch(torch.tensor(lat["mean"]), torch.tensor(lat["std"]))
    if cfg.get("scalers", {}).get("property"):
        p = cfg["scalers"]["property"]
        model.scaler = StandardScalerTorch(torch.tensor(p["mean"]), torch.tensor(p["std"]))
    model.eval()
    return model, cfg, hp, sd, pt
