/**
 * Sampling speed of the CDVAE: seconds per annealed-Langevin step (decoder graph on the host, the
 * GemNet-T decoder on the current structure, the coordinate/type update) of `langevin` in
 * src/model/sampler.ts, for a batch of materials with the atom count fixed, and materials per second
 * for the full reference schedule (50 σ levels × 100 steps) extrapolated from a few levels.
 *
 *   deno run -A bench/sample_bench.ts --preset small --batch 32 --levels 3 --per-level 3
 *   deno run -A bench/sample_bench.ts --preset reference --batch 256 --json
 *   deno bench -A bench/sample_bench.ts    # a quick Deno.bench case (small preset, batch 8)
 *
 * Options: `--preset small|medium|reference`, `--batch N` materials of `--atoms N` atoms (default 5),
 * `--levels L` σ levels (the largest ones) × `--per-level S` steps, `--threads 1|2`, `--backend
 * wasm|webgpu`, `--resident` (the device-resident loop instead of the host loop), `--go-file
 * PATH` (build the model, print READY, start only when PATH exists), `--json`. Latents come from
 * the prior with a fixed seed; the model is freshly initialised (speed does not depend on training,
 * except through the number of edges, which the neighbour cap bounds). The full-schedule figure is
 * start-up + first step + 4 999 × the mean of the other steps. The reference side runs in a separate
 * PyTorch script; see bench/RESULTS.md.
 *
 * @module
 */

import { getBackend } from "../src/compute/backend.ts";
import { createWasmBackend } from "../src/compute/wasm.ts";
import { type PresetName, PRESETS } from "../src/model/config.ts";
import { CDVAE } from "../src/model/cdvae.ts";
import { langevin, priorLatents } from "../src/model/sampler.ts";
import { waitFor } from "./_go_file.ts";

/** Options of {@linkcode benchSample}. */
export interface SampleBenchOptions {
  preset: PresetName;
  batch: number;
  atoms: number;
  levels: number;
  perLevel: number;
  threads: 1 | 2;
  /** Backend: the wasm CPU backend (default) or WebGPU (whatever adapter this machine has). */
  backend?: "wasm" | "webgpu";
  /** Run the resident loop (state, graph and update on the device; see src/model/sampler.ts). */
  resident?: boolean;
  /** Wait for this file to exist before sampling. */
  goFile?: string;
}

/** Timings of {@linkcode benchSample}. */
export interface SampleBenchResult {
  preset: string;
  batch: number;
  atoms: number;
  threads: number;
  backend: string;
  levels: number;
  perLevel: number;
  /** Start of `langevin` to the end of its first step (heads, initial state, first step), ms. */
  firstStepMs: number;
  /** Every later step, ms. */
  stepMs: number[];
  medianStepMs: number;
  meanStepMs: number;
  /** Start-up + first step + 4 999 × mean step, s. */
  fullScheduleS: number;
  materialsPerS: number;
  finite: boolean;
}

/** Builds a fresh model and runs `levels × perLevel` Langevin steps, timing each. */
export async function benchSample(opts: SampleBenchOptions): Promise<SampleBenchResult> {
  const be = opts.backend === "webgpu" ? await getBackend({ prefer: "webgpu" }) : await createWasmBackend({
    threads: opts.threads,
  });
  const model = new CDVAE(be, PRESETS[opts.preset]("perov_5"), 0);
  try {
    const z = priorLatents(opts.batch, model.config.latentDim, 7);
    const minSigma = model.sigmas[opts.levels - 1] * (1 - 1e-6);
    const stamps: number[] = [];
    if (opts.goFile) {
      console.log("READY");
      await waitFor(opts.goFile);
    }
    const t0 = performance.now();
    const out = await langevin(model, z, {
      seed: 1,
      stepsPerLevel: opts.perLevel,
      minSigma,
      numAtoms: new Array(opts.batch).fill(opts.atoms),
      resident: opts.resident ?? false,
      onStep: () => stamps.push(performance.now()),
    });
    if (stamps.length !== opts.levels * opts.perLevel) throw new Error(`ran ${stamps.length} steps`);
    const stepMs = stamps.slice(1).map((t, i) => t - stamps[i]);
    const sorted = [...stepMs].sort((a, b) => a - b);
    const meanStepMs = stepMs.reduce((a, b) => a + b, 0) / stepMs.length;
    const firstStepMs = stamps[0] - t0;
    const fullScheduleS = (firstStepMs + (50 * 100 - 1) * meanStepMs) / 1000;
    return {
      preset: opts.preset,
      batch: opts.batch,
      atoms: opts.atoms,
      threads: "threads" in be ? be.threads as number : 0,
      backend: `${be.name} (${
        "description" in be ? be.description : "adapterName" in be ? be.adapterName : ""
      })${opts.resident ? ", resident loop" : ""}`,
      levels: opts.levels,
      perLevel: opts.perLevel,
      firstStepMs,
      stepMs,
      medianStepMs: sorted[Math.floor(sorted.length / 2)],
      meanStepMs,
      fullScheduleS,
      materialsPerS: opts.batch / fullScheduleS,
      finite: out.crystals.every((c) => c.frac.every(Number.isFinite)),
    };
  } finally {
    model.dispose();
  }
}

function parseArgs(args: string[]): SampleBenchOptions & { json: boolean } {
  const o: SampleBenchOptions & { json: boolean } = {
    preset: "small",
    batch: 32,
    atoms: 5,
    levels: 3,
    perLevel: 3,
    threads: 2,
    json: false,
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i], v = () => args[++i];
    if (a === "--preset") o.preset = v() as SampleBenchOptions["preset"];
    else if (a === "--batch") o.batch = Number(v());
    else if (a === "--atoms") o.atoms = Number(v());
    else if (a === "--levels") o.levels = Number(v());
    else if (a === "--per-level") o.perLevel = Number(v());
    else if (a === "--threads") o.threads = Number(v()) === 1 ? 1 : 2;
    else if (a === "--go-file") o.goFile = v();
    else if (a === "--backend") o.backend = v() === "webgpu" ? "webgpu" : "wasm";
    else if (a === "--resident") o.resident = true;
    else if (a === "--json") o.json = true;
    else throw new Error(`unknown option ${a}`);
  }
  if (!(o.preset in PRESETS)) throw new Error(`unknown preset ${o.preset}`);
  if (o.levels * o.perLevel < 2) throw new Error("need at least 2 steps");
  return o;
}

if (import.meta.main) {
  const opts = parseArgs(Deno.args);
  const r = await benchSample(opts);
  if (opts.json) console.log(JSON.stringify({ what: "sample", ...r }));
  else {
    console.log(`${r.backend}; preset ${r.preset}, ${r.batch} materials × ${r.atoms} atoms`);
    console.log(
      `${r.levels} levels × ${r.perLevel} steps; first step (with start-up) ${r.firstStepMs.toFixed(0)} ms`,
    );
    console.log(`later steps ms: ${r.stepMs.map((x) => x.toFixed(0)).join(", ")}`);
    console.log(`median ${r.medianStepMs.toFixed(0)} ms, mean ${r.meanStepMs.toFixed(0)} ms per step`);
    console.log(
      `full 50 × 100 schedule (extrapolated): ${r.fullScheduleS.toFixed(0)} s = ${
        r.materialsPerS.toFixed(3)
      } materials/s; finite: ${r.finite}`,
    );
  }
} else {
  Deno.bench({
    name: "Langevin, small preset, 8 materials × 5 atoms, 2 steps (wasm)",
    n: 1,
    warmup: 0,
    async fn() {
      await benchSample({ preset: "small", batch: 8, atoms: 5, levels: 1, perLevel: 2, threads: 2 });
    },
  });
}
