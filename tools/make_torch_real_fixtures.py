"""Makes the real-PyTorch fixtures of tests/fixtures/torch/ (files written by torch.save itself)
and the values the tests expect of them. Needs torch==2.5.1 from PyPI (in a venv outside the
repository, e.g. /work/pyenv-torch); tests never run this.

Run from the repository root: python tools/make_torch_real_fixtures.py
"""

import json
import os

import torch

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "torch")


def flat(t):
    if t.dtype == torch.bfloat16 or t.dtype == torch.float16:
        t = t.float()
    if t.dtype == torch.bool:
        t = t.to(torch.uint8)
    return t.contiguous().flatten().tolist()


def main():
    torch.manual_seed(20)
    net = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4) / 8
    value = {
        "state_dict": net.state_dict(),  # OrderedDict with _metadata; a BatchNorm's int64 counter
        "weight_parameter": net[0].weight,  # an nn.Parameter: torch._utils._rebuild_parameter
        "transposed": base.t(),  # a strided view
        "column": base[:, 1],  # an offset, strided view of the same storage
        "f64": torch.tensor([1e-300, -2.5, 1 / 3], dtype=torch.float64),
        "f16": torch.tensor([1.0, -0.5, 65504.0], dtype=torch.float16),
        "bf16": torch.tensor([1.0, -2.0, 3.140625], dtype=torch.bfloat16),
        "i32": torch.tensor([-7, 2**31 - 1], dtype=torch.int32),
        "i64": torch.tensor([-1, 2**40], dtype=torch.int64),
        "u8": torch.tensor([0, 255], dtype=torch.uint8),
        "bool": torch.tensor([True, False, True]),
        "scalar": torch.tensor(2.5),
        "meta": {"epoch": 3, "name": "tiny", "lr": 1e-3, "list": [1, 2], "tuple": (1, "a")},
    }
    expected = {}
    for k, v in value.items():
        if k == "state_dict":
            expected[k] = {n: {"shape": list(t.shape), "values": flat(t)} for n, t in v.items()}
        elif torch.is_tensor(v):
            expected[k] = {"shape": list(v.shape), "values": flat(v.detach())}
    torch.save(value, f"{OUT}/real_torch_2.5.1.pt")
    torch.save(value, f"{OUT}/real_torch_2.5.1_protocol4.pt", pickle_protocol=4)
    torch.save({"w": base}, f"{OUT}/real_torch_2.5.1_legacy.pt", _use_new_zipfile_serialization=False)
    with open(f"{OUT}/real_torch_2.5.1.json", "w") as f:
        json.dump({"made_by": f"tools/make_torch_real_fixtures.py, torch {torch.__version__}", "expected": expected}, f, indent=1)


if __name__ == "__main__":
    main()
