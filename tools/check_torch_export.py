"""Checks, with real PyTorch, the files `convert-model --to pt` writes (issue 20, item 3), and the
fixtures tools/make_torch_fixtures.py emulates. Needs torch (pinned: torch==2.5.1 from PyPI, in a
venv outside the repository, e.g. /work/pyenv-torch); tests never run this.

Run from the repository root:
    deno run -A mod.ts convert-model --to pt default /tmp/export/perov_5.pt --force
    deno run -A mod.ts convert-model --to pt data/models/perov_5-prop-reference /tmp/export/perov_5-prop.pt --force
    python tools/check_torch_export.py /tmp/export [CDVAE_PROP_DIR]

Checks:
1. torch.load(..., weights_only=True) reads both exports (so only allowed globals are used).
2. The CDVAE export loads into a module tree with exactly its keys via load_state_dict(strict=True)
   (a ParameterDict-based stand-in without torch_geometric; tools/check_reference_load.py loads
   the exports into the reference CDVAE itself and runs it).
3. The property export equals, tensor for tensor, the authors' checkpoint's state_dict (read by
   torch.load with stand-ins for the Lightning and omegaconf classes it pickles).
4. The emulated fixtures of tests/fixtures/torch/ read in torch.load and hold the values their
   test expects.
"""

import json
import os
import pickle
import struct
import sys
import types

import torch

ROOT = os.path.join(os.path.dirname(__file__), "..")


def stub_pickle_module():
    """A pickle module whose Unpickler turns unknown classes (Lightning, omegaconf) into stubs."""

    class Stub:
        def __init__(self, *a, **k):
            pass

        def __setstate__(self, state):
            self.state = state

    class Unpickler(pickle.Unpickler):
        def find_class(self, module, name):
            if module.split(".")[0] in ("torch", "collections", "builtins", "__builtin__", "_codecs", "copyreg"):
                return super().find_class(module, name)
            return type(name, (Stub,), {"__module__": module})

    mod = types.ModuleType("stub_pickle")
    mod.__dict__.update({k: getattr(pickle, k) for k in dir(pickle) if not k.startswith("__")})
    mod.Unpickler = Unpickler
    return mod


def main():
    out = sys.argv[1]
    prop_dir = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "..", "shared", "reference-models", "cdvae-prop")
    print("torch", torch.__version__)

    sd = torch.load(f"{out}/perov_5.pt", weights_only=True)
    holder = torch.nn.Module()
    holder.p = torch.nn.ParameterDict({k.replace(".", "/"): torch.nn.Parameter(torch.empty_like(v)) for k, v in sd.items()})
    fixed = {f"p.{k.replace('.', '/')}": v for k, v in sd.items()}
    holder.load_state_dict(fixed, strict=True)
    print(f"1-2. perov_5.pt: weights_only=True read {len(sd)} tensors, all float32 contiguous:",
          all(v.dtype == torch.float32 and v.is_contiguous() for v in sd.values()))
    # The reference CDVAE's own state_dict names (tests/fixtures/cdvae_reference, made by the
    # reference code): the export must have exactly these keys for load_state_dict(strict=True).
    with open(os.path.join(ROOT, "tests", "fixtures", "cdvae_reference", "weights.safetensors"), "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        ref_keys = {k for k in json.loads(f.read(n)) if k != "__metadata__"}
    # The shipped model is the small preset: fewer blocks, so the reference's keys of the blocks
    # it does not have are set aside (the TS test tests/model/torch/writer_test.ts compares a
    # reference-size export with the full list).
    with open(os.path.join(ROOT, "data", "models", "perov_5", "config.json")) as f:
        cfg = json.load(f)
    enc, dec = cfg["encoder"]["numBlocks"], cfg["decoder"]["numBlocks"]
    limits = {"encoder.interaction_blocks": enc - 1, "encoder.output_blocks": enc,
              "decoder.gemnet.int_blocks": dec - 1, "decoder.gemnet.out_blocks": dec}

    def kept(k):
        for prefix, last in limits.items():
            if k.startswith(prefix + "."):
                return int(k[len(prefix) + 1:].split(".")[0]) <= last
        return True

    ref_keys = {k for k in ref_keys if kept(k)}
    print(f"2b. perov_5.pt keys == the reference CDVAE.state_dict() keys of its blocks ({len(ref_keys)}): {set(sd) == ref_keys}")
    if set(sd) != ref_keys:
        print("   missing", sorted(ref_keys - set(sd))[:5], "unexpected", sorted(set(sd) - ref_keys)[:5])
        sys.exit(1)

    ours = torch.load(f"{out}/perov_5-prop.pt", weights_only=True)
    ckpt = torch.load(f"{prop_dir}/perovskite/epoch=2664-step=61294.ckpt", map_location="cpu",
                      weights_only=False, pickle_module=stub_pickle_module())
    ref = ckpt["state_dict"]
    same = list(ours.keys()) == list(ref.keys()) and all(torch.equal(ours[k], ref[k]) for k in ref)
    print(f"3. perov_5-prop.pt equals the authors' state_dict ({len(ref)} tensors, same order and bits): {same}")
    if not same:
        sys.exit(1)

    fx = os.path.join(ROOT, "tests", "fixtures", "torch")
    for name in ["tiny_state_dict.pt", "tiny_state_dict_protocol5.pt", "tiny_state_dict_big_endian.pt",
                 "tiny_state_dict_deflated.pt", "prop_scaler_perovskite.pt"]:
        try:
            # weights_only=False: the emulated fixtures use torch.UntypedStorage + _rebuild_tensor_v3
            # (torch's form for dtypes without a legacy storage class) and protocol 5, which
            # torch 2.5's weights-only unpickler does not take; the stub module still runs nothing.
            v = torch.load(f"{fx}/{name}", weights_only=False, pickle_module=stub_pickle_module())
        except Exception as e:  # noqa: BLE001 (report and go on)
            print(f"4. {name}: torch.load failed: {e}")
            continue
        if isinstance(v, dict):
            print(f"4. {name}: " + ", ".join(f"{k} {v[k].dtype} {list(v[k].shape)} {v[k].flatten().tolist()}" for k in v))
        else:
            print(f"4. {name}: {type(v).__name__} means {v.state['means']} stds {v.state['stds']}")


if __name__ == "__main__":
    main()
