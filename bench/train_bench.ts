/**
 * Training speed of the CDVAE: seconds per optimizer step (host batch + encoder graph, forward with
 * teacher forcing, the full CDVAE objective, backward, Adam with gradient clipping by value at 0.5 —
 * the trainer's step) on Perov-5 rows of train.csv, for a preset and batch size.
 *
 *   deno run -A bench/train_bench.ts --preset small --batch 64 --steps 3 --warmup 1
 *   deno run -A bench/train_bench.ts --preset reference --batch 32 --threads 2 --json
 *   deno bench -A bench/train_bench.ts     # a quick Deno.bench case (small preset, batch 8)
 *
 * Options: `--preset small|medium|reference` (src/model/config.ts PRESETS), `--batch N`, `--steps N` timed
 * steps after `--warmup N` untimed ones, `--threads 1|2` (wasm backend), `--backend wasm|webgpu`
 * (default wasm; webgpu: whatever adapter this machine has), `--go-file PATH` (load
 * data and build the model, print READY, and start timing only when PATH exists — lets a caller
 * pause other work after start-up), `--json` (one JSON line instead of the text report), `--no-cache`
 * (build the encoder's inputs in every step; by default they come from the trainer's per-crystal
 * cache, filled before timing, as in every epoch after the first). Each step
 * takes the next `batch` rows (cycling), as the trainer's epoch loop does. The reference side runs
 * in a separate PyTorch script; see bench/RESULTS.md.
 *
 * @module
 */

import { HostRng } from "../src/compute/host_rng.ts";
import { Tape, zeroGrad } from "../src/compute/tape.ts";
import { Adam } from "../src/compute/adam.ts";
import { getBackend } from "../src/compute/backend.ts";
import { createWasmBackend } from "../src/compute/wasm.ts";
import { type PresetName, PRESETS } from "../src/model/config.ts";
import { CDVAE } from "../src/model/cdvae.ts";
import { cdvaeObjective } from "../src/model/losses.ts";
import { loadTrainingData } from "../src/train/trainer.ts";
import { makeBatch } from "../src/train/batch.ts";
import { EncoderInputCache } from "../src/train/encoder_cache.ts";
import type { CrystalRecord } from "../src/data/preprocess.ts";
import { waitFor } from "./_go_file.ts";

/** Options of {@linkcode benchTrain}. */
export interface TrainBenchOptions {
  preset: PresetName;
  batch: number;
  steps: number;
  warmup: number;
  threads: 1 | 2;
  /** Backend: the wasm CPU backend (default) or WebGPU (whatever adapter this machine has). */
  backend?: "wasm" | "webgpu";
  /** Wait for this file to exist before the first step. */
  goFile?: string;
  /** Build the encoder inputs in every step (as before the trainer's per-crystal cache). */
  noCache?: boolean;
}

/** Per-step timings of {@linkcode benchTrain} (ms). */
export interface TrainBenchResult {
  preset: string;
  batch: number;
  threads: number;
  backend: string;
  params: number;
  atoms: number;
  encoderEdges: number;
  /** Host batch (packing, encoder graph, targets). */
  batchMs: number[];
  /** Forward and objective, up to reading the loss. */
  forwardMs: number[];
  /** Backward, Adam, reading one parameter back. */
  backwardAdamMs: number[];
  stepMs: number[];
  medianStepMs: number;
  crystalsPerS: number;
  losses: number[];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Loads rows, builds the model and times `warmup + steps` optimizer steps. */
export async function benchTrain(opts: TrainBenchOptions): Promise<TrainBenchResult> {
  const be = opts.backend === "webgpu"
    ? await getBackend({ prefer: "webgpu" })
    : await createWasmBackend({ threads: opts.threads });
  const n = Math.max(opts.batch, Math.min(256, opts.batch * (opts.warmup + opts.steps)));
  const data = await loadTrainingData("perov_5", { limit: n, valLimit: 1, property: "heat_ref" });
  const rows: CrystalRecord[] = data.train;
  const model = new CDVAE(be, PRESETS[opts.preset]("perov_5"), 0);
  const params = model.store.trainable();
  const opt = new Adam(params, { lr: 1e-3, clip: 0.5 });
  const rng = new HostRng(1);
  // As the trainer after its first epoch: every crystal's encoder inputs already built.
  const cache = opts.noCache ? undefined : new EncoderInputCache(model);
  cache?.batch(rows);
  const res: TrainBenchResult = {
    preset: opts.preset,
    batch: opts.batch,
    threads: "threads" in be ? be.threads as number : 0,
    backend: "description" in be
      ? be.description as string
      : `${be.name} (${"adapterName" in be ? be.adapterName : ""})`,
    params: params.reduce((a, p) => a + p.size, 0),
    atoms: 0,
    encoderEdges: 0,
    batchMs: [],
    forwardMs: [],
    backwardAdamMs: [],
    stepMs: [],
    medianStepMs: NaN,
    crystalsPerS: NaN,
    losses: [],
  };
  if (opts.goFile) {
    console.log("READY");
    await waitFor(opts.goFile);
  }
  try {
    for (let it = 0; it < opts.warmup + opts.steps; it++) {
      const recs = Array.from({ length: opts.batch }, (_, i) => rows[(it * opts.batch + i) % rows.length]);
      const t0 = performance.now();
      const batch = makeBatch(model, recs, cache);
      const t1 = performance.now();
      const tape = new Tape();
      try {
        const r = await cdvaeObjective(model, batch, tape, { teacherForcing: true, rng });
        const loss = await r.total.item();
        const t2 = performance.now();
        tape.backward(r.total);
        opt.step();
        await params[0].read();
        const t3 = performance.now();
        res.losses.push(loss);
        if (it === 0) {
          res.atoms = batch.host.numbers.length;
          const g = batch.encoderGraph;
          res.encoderEdges = "senders" in g ? g.senders.length : g.receiverZ.length;
        }
        if (it >= opts.warmup) {
          res.batchMs.push(t1 - t0);
          res.forwardMs.push(t2 - t1);
          res.backwardAdamMs.push(t3 - t2);
          res.stepMs.push(t3 - t0);
        }
      } finally {
        tape.dispose();
        zeroGrad(params);
      }
    }
  } finally {
    opt.dispose();
    model.dispose();
  }
  res.medianStepMs = median(res.stepMs);
  res.crystalsPerS = opts.batch / (res.medianStepMs / 1000);
  return res;
}

function parseArgs(args: string[]): TrainBenchOptions & { json: boolean } {
  const o: TrainBenchOptions & { json: boolean } = {
    preset: "small",
    batch: 64,
    steps: 3,
    warmup: 1,
    threads: 2,
    json: false,
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i], v = () => args[++i];
    if (a === "--preset") o.preset = v() as TrainBenchOptions["preset"];
    else if (a === "--batch") o.batch = Number(v());
    else if (a === "--steps") o.steps = Number(v());
    else if (a === "--warmup") o.warmup = Number(v());
    else if (a === "--threads") o.threads = Number(v()) === 1 ? 1 : 2;
    else if (a === "--go-file") o.goFile = v();
    else if (a === "--backend") o.backend = v() === "webgpu" ? "webgpu" : "wasm";
    else if (a === "--json") o.json = true;
    else if (a === "--no-cache") o.noCache = true;
    else throw new Error(`unknown option ${a}`);
  }
  if (!(o.preset in PRESETS)) throw new Error(`unknown preset ${o.preset}`);
  return o;
}

if (import.meta.main) {
  const opts = parseArgs(Deno.args);
  const r = await benchTrain(opts);
  if (opts.json) console.log(JSON.stringify({ what: "train", ...r }));
  else {
    const f = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(", ");
    console.log(`${r.backend}; preset ${r.preset} (${r.params} parameters), batch ${r.batch}`);
    console.log(`atoms ${r.atoms}, encoder edges ${r.encoderEdges}`);
    console.log(`host batch ms: ${f(r.batchMs)}`);
    console.log(`forward + objective ms: ${f(r.forwardMs)}`);
    console.log(`backward + Adam ms: ${f(r.backwardAdamMs)}`);
    console.log(`step ms: ${f(r.stepMs)}; median ${r.medianStepMs.toFixed(0)} ms`);
    console.log(
      `${r.crystalsPerS.toFixed(2)} crystals/s; losses ${r.losses.map((l) => l.toFixed(3)).join(", ")}`,
    );
  }
} else {
  Deno.bench({
    name: "training step, small preset, batch 8 (wasm)",
    n: 1,
    warmup: 0,
    async fn() {
      await benchTrain({ preset: "small", batch: 8, steps: 1, warmup: 1, threads: 2 });
    },
  });
}
