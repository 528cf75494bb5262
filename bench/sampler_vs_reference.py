"""Issue 19, item 3: generation with our sampler at the fast schedule beside the reference PyTorch
CDVAE's own sampler at the paper's schedule, on the same weights, the same number of latents and the
same machine, in one script: materials per hour and the quality of both.

1. The reference: our model folder exported with `convert-model --to pt`, loaded strictly into the
   reference `CDVAE` (txie-93/cdvae @ f857f59, imported from the checkout given; tools/_reference_model.py),
   then its `langevin_dynamics(z, ld_kwargs)` exactly as its scripts/evaluate.py generation task calls it:
   z ~ N(0, I) (torch seed), `n_step_each` 100 at every one of the 50 noise levels, `step_lr` 1e-4,
   `min_sigma` 0 (5 000 decoder calls per batch), outside `torch.no_grad()` as that script runs it. Timed from the first latent to the last coordinate;
   the crystals are written as CIF files (pymatgen) to OUT/reference/.
2. Ours: `deno run -A mod.ts generate -n N --schedule fast` (451 decoder calls; the process's whole
   wall time, start-up and file writing included) into OUT/ours/; with --ours-paper also ours at the
   paper's schedule, which measures the sampler's speed alone at equal work.
3. `evaluate` scores every folder against the dataset's test split; a table goes to stdout and to
   OUT/report.md, the figures to OUT/report.json.

The latents differ (torch's generator vs ours), so the two sets are two samples of one model's
distribution, not the same crystals. Both sides use the same number of threads (--threads).

Pinned environment: tools/requirements-reference-forward.txt (torch 2.5.1 CPU, torch_geometric 2.0.1,
pymatgen 2022.11.7), plus the stand-ins described in tests/fixtures/README.md.

Usage (repository root, deno on PATH):
  python bench/sampler_vs_reference.py --reference /work/refrun/cdvae --standins /work/refrun/standins \
      [--model perov_5] [--n 100] [--threads 2] [--seed 1] [--ours-paper] [--out out/sampler_vs_reference]
"""

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

from _reference_env import add_reference_arguments, enter_reference  # noqa: E402

# Our dataset name and the reference's conf/data file of that dataset.
DATA_NAMES = {"perov_5": "perov", "mp_20": "mp_20", "carbon_24": "carbon"}
PAPER = {"levels": 50, "steps": 100, "step_lr": 1e-4}


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_reference_arguments(p)
    p.add_argument("--model", default="perov_5", choices=sorted(DATA_NAMES), help="a shipped model")
    p.add_argument("--n", type=int, default=100, help="latents (crystals) per side")
    p.add_argument("--threads", type=int, default=2, help="threads of both samplers")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--ours-paper", action="store_true", help="also time ours at the paper's schedule")
    p.add_argument("--out", default=str(ROOT / "out/sampler_vs_reference"))
    return p.parse_args()


ARGS = parse_args()
enter_reference(ARGS)

import torch  # noqa: E402
from pymatgen.core import Lattice, Structure  # noqa: E402

from _reference_model import load_reference_cdvae  # noqa: E402


def write_cifs(out, folder):
    """The reference's output dict as one CIF per crystal."""
    folder.mkdir(parents=True, exist_ok=True)
    offsets = [0, *torch.cumsum(out["num_atoms"], 0).tolist()]
    for i in range(len(out["num_atoms"])):
        a0, a1 = offsets[i], offsets[i + 1]
        lattice = Lattice.from_parameters(*out["lengths"][i].tolist(), *out["angles"][i].tolist())
        s = Structure(lattice, out["atom_types"][a0:a1].tolist(), out["frac_coords"][a0:a1].tolist())
        s.to(filename=str(folder / f"{i:04d}.cif"))


def run_reference(model_dir, out_dir):
    torch.set_num_threads(ARGS.threads)
    with tempfile.TemporaryDirectory() as tmp:
        model, cfg, *_ = load_reference_cdvae(model_dir, DATA_NAMES[ARGS.model], ARGS.reference, tmp)
    ld_kwargs = SimpleNamespace(n_step_each=PAPER["steps"], step_lr=PAPER["step_lr"], min_sigma=0,
                                save_traj=False, disable_bar=True)
    assert len(model.sigmas) == PAPER["levels"], f"{len(model.sigmas)} noise levels"
    torch.manual_seed(ARGS.seed)
    t0 = time.perf_counter()
    # As scripts/evaluate.py runs it: outside torch.no_grad().
    z = torch.randn(ARGS.n, cfg["latentDim"])
    out = {k: v.detach() if torch.is_tensor(v) else v for k, v in model.langevin_dynamics(z, ld_kwargs).items()}
    seconds = time.perf_counter() - t0
    write_cifs(out, out_dir)
    return seconds


def run_ours(model_dir, out_dir, schedule):
    # Our wasm backend runs 2 threads where the process may use 2 cores: one core for one thread.
    pin = ["taskset", "-c", "0"] if ARGS.threads == 1 else []
    cmd = [*pin, "deno", "run", "-A", "mod.ts", "generate", "-n", str(ARGS.n), "--model", str(model_dir),
           "--schedule", schedule, "--seed", str(ARGS.seed), "--batch-size", str(ARGS.n),
           "--backend", "wasm", "--out", str(out_dir)]
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def evaluate(folder):
    subprocess.run(["deno", "run", "-A", "mod.ts", "evaluate", str(folder), "--dataset", ARGS.model],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return json.loads((folder / "eval/metrics.json").read_text())["metrics"]


def main():
    if ARGS.threads not in (1, 2):
        raise SystemExit("--threads: 1 or 2 (our wasm backend runs one or two threads)")
    model_dir = ROOT / "data/models" / ARGS.model
    out = Path(ARGS.out)
    runs = [("reference (PyTorch)", "paper 50 × 100", 5000, out / "reference", None),
            ("ours", "fast 50 × 9 + denoise", 451, out / "ours", "fast")]
    if ARGS.ours_paper:
        runs.append(("ours", "paper 50 × 100", 5000, out / "ours_paper", "paper"))
    rows = []
    for side, schedule, calls, folder, ours_schedule in runs:
        shutil.rmtree(folder, ignore_errors=True)
        print(f"{time.strftime('%H:%M:%S')} {side}, {schedule}, {ARGS.n} latents …", file=sys.stderr)
        seconds = run_reference(model_dir, folder) if ours_schedule is None else run_ours(model_dir, folder, ours_schedule)
        m = evaluate(folder)
        rows.append({"side": side, "schedule": schedule, "decoder_calls": calls, "seconds": seconds,
                     "materials_per_hour": ARGS.n / seconds * 3600, **m})
    ref = rows[0]["materials_per_hour"]
    lines = [
        f"{ARGS.model}, {ARGS.n} latents per side, {ARGS.threads} thread(s), seed {ARGS.seed}",
        "",
        "| sampler | schedule | decoder calls | s | materials / h | × reference | struct. valid | comp. valid "
        "| COV-R | COV-P | EMD ρ | EMD #elem |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r['side']} | {r['schedule']} | {r['decoder_calls']} | {r['seconds']:.0f} | "
            f"{r['materials_per_hour']:.0f} | {r['materials_per_hour'] / ref:.1f} | {100 * r['structValid']:.1f} % | "
            f"{100 * r['compValid']:.1f} % | {100 * r['covRecall']:.1f} % | {100 * r['covPrecision']:.1f} % | "
            f"{r['wdistDensity']:.3f} | {r['wdistNumElements']:.3f} |")
    text = "\n".join(lines) + "\n"
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.md").write_text(text)
    (out / "report.json").write_text(json.dumps({"args": vars(ARGS), "rows": rows}, indent=1) + "\n")
    print(text)


if __name__ == "__main__":
    main()
