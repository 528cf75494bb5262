"""Makes the small PyTorch-format fixtures of tests/fixtures/torch/ with the Python standard library
only (Python 3.11; no torch needed, nothing to pin).

torch.save is pickle + zip: it pickles the object with `persistent_id` returning
("storage", torch.FloatStorage, key, location, numel) for each storage, each tensor reducing to
torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, OrderedDict()), and
writes the pickle as <archive>/data.pkl, the storages as <archive>/data/<key>, plus
<archive>/byteorder and <archive>/version, all stored uncompressed. This script does the same with
stand-in `torch` modules so Python's own pickler writes the opcodes (GLOBAL names, memo, BINPERSID)
exactly as it does under torch.save. The real torch.save output the tests also use is
prop_scaler_perovskite.pt, a copy of the CDVAE authors' file (see README.md).

Run from the repository root: python3 tools/make_torch_fixtures.py
"""

import collections
import io
import os
import pickle
import random
import struct
import sys
import types
import zipfile

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "torch")

# --- stand-in torch modules (only names; pickle checks that module.name resolves to the object) ---
torch = types.ModuleType("torch")
torch_utils = types.ModuleType("torch._utils")
sys.modules["torch"] = torch
sys.modules["torch._utils"] = torch_utils
torch._utils = torch_utils


def _named(module, name, obj):
    obj.__module__ = module.__name__
    obj.__qualname__ = name
    obj.__name__ = name
    setattr(module, name, obj)
    return obj


for fn in ["_rebuild_tensor_v2", "_rebuild_tensor_v3", "_rebuild_parameter"]:
    _named(torch_utils, fn, (lambda *a: None))
STORAGE_TYPES = {}
for st in ["FloatStorage", "DoubleStorage", "HalfStorage", "LongStorage", "UntypedStorage"]:
    STORAGE_TYPES[st] = _named(torch, st, type(st, (), {}))
BFLOAT16 = _named(torch, "bfloat16", type("dtype", (), {}))

FMT = {"FloatStorage": ("f", 4), "DoubleStorage": ("d", 8), "HalfStorage": ("e", 2), "LongStorage": ("q", 8)}


class Storage:
    def __init__(self, key, type_name, values=None, raw=None):
        self.key, self.type_name = key, type_name
        if raw is not None:  # 16-bit words of an untyped storage: 2 bytes each
            self.raw, self.numel = raw, 2 * len(raw)
        else:
            self.values = values
            self.numel = len(values)

    def bytes(self, order):
        if self.type_name == "UntypedStorage":
            return struct.pack(("<" if order == "little" else ">") + "H" * len(self.raw), *self.raw)
        f, _ = FMT[self.type_name]
        return struct.pack(("<" if order == "little" else ">") + f * self.numel, *self.values)


class Tensor:
    def __init__(self, storage, offset, size, stride=None, requires_grad=False, v3_dtype=None):
        if stride is None:
            stride, acc = [], 1
            for s in reversed(size):
                stride.insert(0, acc)
                acc *= s
        self.args = (storage, offset, tuple(size), tuple(stride), requires_grad, collections.OrderedDict())
        self.v3_dtype = v3_dtype

    def __reduce_ex__(self, proto):
        if self.v3_dtype is not None:
            return (torch_utils._rebuild_tensor_v3, self.args + (self.v3_dtype,))
        return (torch_utils._rebuild_tensor_v2, self.args)


class Parameter:
    def __init__(self, data):
        self.data = data

    def __reduce_ex__(self, proto):
        return (torch_utils._rebuild_parameter, (self.data, True, collections.OrderedDict()))


# A state_dict is an OrderedDict with a `_metadata` attribute (pickled as REDUCE + BUILD).
StateDict = collections.OrderedDict


def save(path, obj, protocol=2, order="little", archive="archive", compression=zipfile.ZIP_STORED):
    """torch.save's layout: stored zip entries under one folder (deflated only to test re-zipped files)."""
    storages = {}

    class Pickler(pickle.Pickler):
        def persistent_id(self, o):
            if isinstance(o, Storage):
                storages[o.key] = o
                return ("storage", STORAGE_TYPES[o.type_name], o.key, "cpu", o.numel)
            return None

    buf = io.BytesIO()
    Pickler(buf, protocol=protocol).dump(obj)
    with zipfile.ZipFile(path, "w", compression=compression) as z:
        def put(name, data):  # a fixed timestamp keeps the files byte-for-byte reproducible
            z.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data, compress_type=compression)

        put(f"{archive}/data.pkl", buf.getvalue())
        put(f"{archive}/byteorder", order)
        for key, s in storages.items():
            put(f"{archive}/data/{key}", s.bytes(order))
        put(f"{archive}/version", "3\n")


def tiny_state_dict():
    """Every tensor flavour the reader must get right; the test spells out the expected values."""
    w = Storage("0", "FloatStorage", [0.5 * i for i in range(8)])  # shared by w, wt, tail
    sd = StateDict()
    sd["w"] = Tensor(w, 0, [2, 3])  # [[0, .5, 1], [1.5, 2, 2.5]]
    sd["wt"] = Tensor(w, 0, [3, 2], [1, 3])  # its transpose, a strided view
    sd["tail"] = Tensor(w, 6, [2])  # [3, 3.5], an offset view
    sd["d"] = Tensor(Storage("1", "DoubleStorage", [1e-300, -2.5, 1 / 3]), 0, [3])
    sd["n"] = Tensor(Storage("2", "LongStorage", [-1, 2**40, 7]), 0, [3])
    sd["h"] = Tensor(Storage("3", "HalfStorage", [1.0, -0.5, 65504.0]), 0, [3])
    sd["p"] = Parameter(Tensor(Storage("4", "FloatStorage", [42.0]), 0, []))
    # bfloat16 over an untyped storage (_rebuild_tensor_v3): 1.0 = 0x3f80, -2.0 = 0xc000
    sd["bf"] = Tensor(Storage("5", "UntypedStorage", raw=(0x3F80, 0xC000)), 0, [2], v3_dtype=BFLOAT16)
    sd._metadata = collections.OrderedDict([("", {"version": 1})])
    return sd


# --- a tiny Lightning checkpoint of the reference property model (CrystGNN_Supervise) ---
TINY = dict(hidden=8, blocks=1, int_emb=4, basis=2, out_emb=8, spherical=3, radial=2, out_layers=1, before=1, after=1)


def dimenet_shapes(c):
    """Parameter names and shapes of PyG 2.0.1's DimeNet++ as CDVAE wraps it (num_targets = 1)."""
    h, r, o = c["hidden"], c["radial"], c["out_emb"]
    out = [("encoder.rbf.freq", [r]), ("encoder.emb.emb.weight", [95, h]), ("encoder.emb.lin_rbf.weight", [h, r]),
           ("encoder.emb.lin_rbf.bias", [h]), ("encoder.emb.lin.weight", [h, 3 * h]), ("encoder.emb.lin.bias", [h])]
    for b in range(c["blocks"] + 1):
        p = f"encoder.output_blocks.{b}"
        out += [(f"{p}.lin_rbf.weight", [h, r]), (f"{p}.lin_up.weight", [o, h]), (f"{p}.lin_up.bias", [o])]
        for i in range(c["out_layers"]):
            out += [(f"{p}.lins.{i}.weight", [o, o]), (f"{p}.lins.{i}.bias", [o])]
        out += [(f"{p}.lin.weight", [1, o])]
    for b in range(c["blocks"]):
        p = f"encoder.interaction_blocks.{b}"
        out += [(f"{p}.lin_rbf1.weight", [c["basis"], r]), (f"{p}.lin_rbf2.weight", [h, c["basis"]]),
                (f"{p}.lin_sbf1.weight", [c["basis"], c["spherical"] * r]), (f"{p}.lin_sbf2.weight", [c["int_emb"], c["basis"]]),
                (f"{p}.lin_kj.weight", [h, h]), (f"{p}.lin_kj.bias", [h]), (f"{p}.lin_ji.weight", [h, h]), (f"{p}.lin_ji.bias", [h]),
                (f"{p}.lin_down.weight", [c["int_emb"], h]), (f"{p}.lin_up.weight", [h, c["int_emb"]])]
        res = lambda q: [(f"{q}.lin1.weight", [h, h]), (f"{q}.lin1.bias", [h]), (f"{q}.lin2.weight", [h, h]), (f"{q}.lin2.bias", [h])]
        for i in range(c["before"]):
            out += res(f"{p}.layers_before_skip.{i}")
        out += [(f"{p}.lin.weight", [h, h]), (f"{p}.lin.bias", [h])]
        for i in range(c["after"]):
            out += res(f"{p}.layers_after_skip.{i}")
    return out


class Inert:
    """Stands for a class the reader does not know (a Lightning callback): NEWOBJ + BUILD."""


def inert(module, name, state):
    cls = type(name, (Inert,), {})
    parts = module.split(".")
    for i in range(1, len(parts) + 1):  # __import__ needs the parent packages too
        sys.modules.setdefault(".".join(parts[:i]), types.ModuleType(".".join(parts[:i])))
    mod = sys.modules[module]
    _named(mod, name, cls)
    o = cls.__new__(cls)
    o.__dict__.update(state)
    return o


def tiny_property_checkpoint():
    rng = random.Random(20)
    sd = StateDict()
    for k, (name, shape) in enumerate(dimenet_shapes(TINY)):
        n = 1
        for s in shape:
            n *= s
        if name.endswith("rbf.freq"):
            vals = [3.141592653589793 * (i + 1) for i in range(n)]
        else:
            vals = [rng.uniform(-0.5, 0.5) for _ in range(n)]
        sd[name] = Tensor(Storage(str(k), "FloatStorage", vals), 0, shape)
    early = inert("pytorch_lightning.callbacks.early_stopping", "EarlyStopping", {"wait_count": 0, "patience": 100000})
    return {"epoch": 7, "global_step": 70, "pytorch-lightning_version": "1.3.8", "state_dict": sd,
            "callbacks": {type(early): early.__dict__}, "hparams_name": "kwargs"}


TINY_HPARAMS = """\
data:
  root_path: ${{oc.env:PROJECT_ROOT}}/data/perov_5
  prop: heat_ref
  num_targets: 1
  niggli: true
  graph_method: crystalnn
  readout: mean
  otf_graph: false
model:
  encoder:
    _target_: cdvae.pl_modules.gnn.DimeNetPlusPlusWrap
    num_targets: ${{data.num_targets}}
    hidden_channels: {hidden}
    num_blocks: {blocks}
    int_emb_size: {int_emb}
    basis_emb_size: {basis}
    out_emb_channels: {out_emb}
    num_spherical: {spherical}
    num_radial: {radial}
    otf_graph: ${{data.otf_graph}}
    cutoff: 7.0
    max_num_neighbors: 20
    envelope_exponent: 5
    num_before_skip: {before}
    num_after_skip: {after}
    num_output_layers: {out_layers}
    readout: ${{data.readout}}
  _target_: cdvae.pl_modules.model.CrystGNN_Supervise
  hidden_dim: 128
  fc_num_layers: 4
expname: tiny_supervise
"""


def scaler(path, means, stds):
    """cdvae.common.data_utils.StandardScalerTorch with tensors `means` and `stds` (NEWOBJ + BUILD)."""
    o = inert("cdvae.common.data_utils", "StandardScalerTorch", {})
    o.__dict__.update(means=Tensor(Storage("0", "FloatStorage", means), 0, [len(means)]),
                      stds=Tensor(Storage("1", "FloatStorage", stds), 0, [len(stds)]))
    save(path, o)


# --- hostile and unusual pickles ---
class Evil:
    def __init__(self, fn, *args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return (self.fn, self.args)


def main():
    os.makedirs(OUT, exist_ok=True)
    save(f"{OUT}/tiny_state_dict.pt", tiny_state_dict())
    save(f"{OUT}/tiny_state_dict_protocol5.pt", tiny_state_dict(), protocol=5)
    save(f"{OUT}/tiny_state_dict_big_endian.pt", tiny_state_dict(), order="big")
    save(f"{OUT}/tiny_state_dict_deflated.pt", tiny_state_dict(), compression=zipfile.ZIP_DEFLATED)
    prop = f"{OUT}/tiny_property"
    os.makedirs(prop, exist_ok=True)
    save(f"{prop}/epoch=6-step=70.ckpt", tiny_property_checkpoint(), archive="epoch=6-step=70")
    with open(f"{prop}/hparams.yaml", "w") as f:
        f.write(TINY_HPARAMS.format(**TINY))
    scaler(f"{prop}/prop_scaler.pt", [1.5], [0.25])
    scaler(f"{prop}/lattice_scaler.pt", [2.4, 2.4, 2.4, 90, 90, 90], [0.2, 0.2, 0.2, 1e-5, 1e-5, 1e-5])
    import os as _os, subprocess  # noqa: E401 (only to name them in the hostile pickles)
    hostile = {
        "os_system": Evil(_os.system, "echo pwned"),
        "builtins_eval": Evil(eval, "__import__('os').system('echo pwned')"),
        "subprocess_popen": Evil(subprocess.Popen, ["echo", "pwned"]),
    }
    for name, obj in hostile.items():
        sd = StateDict()
        sd["w"] = obj
        # Protocol 2 names subprocess.Popen by its Python 2 name (commands.Popen); protocol 4
        # keeps the name and reaches it through STACK_GLOBAL.
        save(f"{OUT}/hostile_{name}.pt", sd, protocol=4 if name == "subprocess_popen" else 2)
    # An unknown (not refused) callable used as a state_dict value: inert, refused by name on use.
    mod = types.ModuleType("mylib.weights")
    sys.modules["mylib"] = types.ModuleType("mylib")
    sys.modules["mylib.weights"] = mod
    make = _named(mod, "make_weight", lambda *a: None)
    sd = StateDict()
    sd["w"] = Evil(make, 3)
    save(f"{OUT}/unknown_call.pt", sd)


def plain_pickles():
    """One value pickled with every protocol 0-5 (base64), for the pickle reader's own test."""
    import base64
    import json
    value = {"a": [1, -2, 2.5, "x\u00e9", None, True, False], "b": (1,), "big": 2**70, "neg": -(2**70),
             "s": {1, 2}, "by": b"\x00\xff"}
    out = {str(p): base64.b64encode(pickle.dumps(value, protocol=p)).decode() for p in range(6)}
    with open(f"{OUT}/plain_pickles.json", "w") as f:
        json.dump({"made_by": "tools/make_torch_fixtures.py (Python 3.11 pickle)", "protocols": out}, f, indent=1)


if __name__ == "__main__":
    plain_pickles()
    main()
