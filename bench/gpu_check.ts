/**
 * The GPU check: on whatever WebGPU adapter this machine has, measures what a GPU should speed up,
 * each beside the wasm backend's figure — the adapter's info, the WGSL matmul GFLOP/s at a few
 * shapes, the Langevin step (resident loop and host loop, `reference` preset) and one training
 * step — prints a summary and writes one JSON file (layout: bench/_gpu_check_report.ts). Run by
 * `bench/gpu_check.sh`, which installs Deno and the Vulkan loader first; it reuses the timed code of
 * bench/sample_bench.ts, bench/train_bench.ts and bench/_timing.ts.
 *
 *   deno run -A bench/gpu_check.ts [--quick] [--out out/gpu_check.json] [--budget-s 420]
 *
 * `--quick`: smaller shapes, batches and counts, for slow adapters (llvmpipe). `--budget-s`: skip
 * (and list in `errors`) what would start after that many seconds. The file is rewritten after each
 * section, so a run cut short keeps what it measured. Exit status 1 when anything failed or was
 * skipped. The datasets' Perov-5 rows feed the training step (`CDVAE_DATA_DIR`; the script falls
 * back to the rows in tests/fixtures/datasets).
 *
 * @module
 */

import { getBackend, isCpuAdapter } from "../src/compute/backend.ts";
import { benchSample, type SampleBenchResult } from "./sample_bench.ts";
import { benchTrain } from "./train_bench.ts";
import { matmulRun, type MatmulShape, medianSeconds, type TimingBudget } from "./_timing.ts";
import {
  type AdapterReport,
  GPU_CHECK_SCHEMA,
  type GpuCheckReport,
  type LangevinReport,
  type MatmulReport,
  speedup,
  type StepTimes,
  summariseGpuCheck,
  type TrainReport,
  type TrainTimes,
  writeGpuCheck,
} from "./_gpu_check_report.ts";

/** Sizes and counts of one mode. */
interface Plan {
  matmulShapes: MatmulShape[];
  matmulReps: number;
  matmulTiming: TimingBudget;
  langevin: { preset: "reference"; batch: number; atoms: number; perLevel: number };
  train: { preset: "reference"; batch: number; warmup: number; steps: number };
}

/**
 * Full mode: the model's matmul shapes (20 000 rows: an encoder/decoder layer of a large batch) and
 * one square-ish shape where a GPU should approach its peak; Langevin at batch 256 of 5-atom cells
 * (Perov-5, the sampler benchmarks' setting); training at batch 32. Sized so that the whole check
 * fits the script's 8 minutes with the wasm side on 2 threads (≈2.6 s per Langevin step there).
 */
const FULL: Plan = {
  matmulShapes: [[20000, 128, 128], [20000, 256, 128], [4096, 1024, 1024]],
  matmulReps: 4,
  matmulTiming: { warmup: 2, minMs: 1000, minRuns: 5 },
  langevin: { preset: "reference", batch: 256, atoms: 5, perLevel: 6 },
  train: { preset: "reference", batch: 32, warmup: 1, steps: 3 },
};

/** Quick mode, for CPU adapters: a few seconds per section on llvmpipe instead of minutes. */
const QUICK: Plan = {
  matmulShapes: [[4096, 128, 128], [20000, 128, 128]],
  matmulReps: 2,
  matmulTiming: { warmup: 1, minMs: 500, minRuns: 3 },
  langevin: { preset: "reference", batch: 16, atoms: 5, perLevel: 3 },
  train: { preset: "reference", batch: 8, warmup: 1, steps: 2 },
};

/** Two significant decimals are plenty for rates measured on a shared machine. */
const round2 = (x: number) => Math.round(x * 100) / 100;

async function adapterReport(): Promise<AdapterReport | null> {
  const gpu = (globalThis.navigator as Navigator & { gpu?: GPU }).gpu;
  const adapter = await gpu?.requestAdapter();
  if (!adapter) return null;
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const l = adapter.limits;
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    isFallbackAdapter: info.isFallbackAdapter === true,
    cpuDriver: isCpuAdapter(info),
    maxBufferSize: l.maxBufferSize,
    maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
    maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
    features: [...adapter.features].sort(),
  };
}

async function gitCommit(): Promise<string | null> {
  try {
    const out = await new Deno.Command("git", { args: ["rev-parse", "--short", "HEAD"], stderr: "null" })
      .output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : null;
  } catch {
    return null;
  }
}

function stepTimes(r: SampleBenchResult): StepTimes {
  return {
    backend: r.backend,
    firstStepMs: Math.round(r.firstStepMs),
    medianStepMs: Math.round(r.medianStepMs),
    meanStepMs: Math.round(r.meanStepMs),
    finite: r.finite,
  };
}

/** Runs the check and returns the report (also written to `out` after every section). */
async function runCheck(opts: { quick: boolean; out: string; budgetS: number }): Promise<GpuCheckReport> {
  const plan = opts.quick ? QUICK : FULL;
  const t0 = performance.now();
  const report: GpuCheckReport = {
    schema: GPU_CHECK_SCHEMA,
    mode: opts.quick ? "quick" : "full",
    startedAt: new Date().toISOString(),
    wallS: 0,
    host: {
      deno: Deno.version.deno,
      os: Deno.build.os,
      arch: Deno.build.arch,
      cpus: navigator.hardwareConcurrency,
      commit: await gitCommit(),
    },
    adapter: null,
    matmul: [],
    langevin: null,
    train: null,
    errors: [],
  };
  const save = async () => {
    report.wallS = Math.round((performance.now() - t0) / 1000);
    await writeGpuCheck(opts.out, report);
  };
  /** Runs one measurement; a failure, or no time left, is listed in `errors` and gives null. */
  const attempt = async <T>(what: string, f: () => Promise<T>, needsGpu = false): Promise<T | null> => {
    if (needsGpu && !report.adapter) return null;
    if ((performance.now() - t0) / 1000 > opts.budgetS) {
      report.errors.push({ what, message: `Skipped: past the ${opts.budgetS} s budget` });
      return null;
    }
    console.error(`… ${what}`);
    try {
      return await f();
    } catch (e) {
      report.errors.push({ what, message: e instanceof Error ? e.message : String(e) });
      return null;
    }
  };

  // Outside the budget: it takes milliseconds, and without it nothing says which machine ran.
  report.adapter = await adapterReport().catch((e) => {
    report.errors.push({ what: "adapter", message: e instanceof Error ? e.message : String(e) });
    return null;
  });
  if (!report.adapter && report.errors.length === 0) {
    report.errors.push({ what: "adapter", message: "No WebGPU adapter: is a Vulkan driver installed?" });
  }
  await save();

  const gflops = async (prefer: "webgpu" | "wasm", shape: MatmulShape) => {
    const mm = matmulRun(await getBackend({ prefer }), shape, plan.matmulReps);
    try {
      return round2(mm.flops / await medianSeconds(mm.run, plan.matmulTiming) / 1e9);
    } finally {
      mm.dispose();
    }
  };
  for (const shape of plan.matmulShapes) {
    const name = `matmul ${shape.join("×")}`;
    const webgpu = await attempt(`${name} on WebGPU`, () => gflops("webgpu", shape), true);
    const wasm = await attempt(`${name} on wasm`, () => gflops("wasm", shape));
    report.matmul.push(
      {
        shape,
        reps: plan.matmulReps,
        webgpuGflops: webgpu,
        wasmGflops: wasm,
        webgpuSpeedup: speedup(webgpu, wasm),
      } satisfies MatmulReport,
    );
    await save();
  }

  const lp = plan.langevin;
  const sample = (backend: "webgpu" | "wasm", resident: boolean) => async () =>
    stepTimes(await benchSample({ ...lp, levels: 1, threads: 2, backend, resident }));
  const lname = `Langevin ${lp.preset} ×${lp.batch}`;
  const l: LangevinReport = report.langevin = {
    preset: lp.preset,
    batch: lp.batch,
    atoms: lp.atoms,
    timedSteps: lp.perLevel - 1,
    webgpuResident: null,
    webgpuHost: null,
    wasm: null,
    residentSpeedupOverWasm: null,
    residentSpeedupOverHost: null,
  };
  l.webgpuResident = await attempt(`${lname}, WebGPU resident loop`, sample("webgpu", true), true);
  await save();
  l.webgpuHost = await attempt(`${lname}, WebGPU host loop`, sample("webgpu", false), true);
  await save();
  l.wasm = await attempt(`${lname}, wasm host loop`, sample("wasm", false));
  l.residentSpeedupOverWasm = speedup(l.wasm?.medianStepMs, l.webgpuResident?.medianStepMs);
  l.residentSpeedupOverHost = speedup(l.webgpuHost?.medianStepMs, l.webgpuResident?.medianStepMs);
  await save();

  const tp = plan.train;
  const train = (backend: "webgpu" | "wasm") => async (): Promise<TrainTimes> => {
    const r = await benchTrain({ ...tp, threads: 2, backend });
    return {
      backend: r.backend,
      medianStepMs: Math.round(r.medianStepMs),
      crystalsPerS: round2(r.crystalsPerS),
      finiteLoss: r.losses.every(Number.isFinite),
    };
  };
  const tname = `training step ${tp.preset} ×${tp.batch}`;
  const t: TrainReport = report.train = {
    preset: tp.preset,
    batch: tp.batch,
    timedSteps: tp.steps,
    dataDir: Deno.env.get("CDVAE_DATA_DIR") ?? null,
    webgpu: null,
    wasm: null,
    webgpuSpeedup: null,
  };
  t.webgpu = await attempt(`${tname} on WebGPU`, train("webgpu"), true);
  await save();
  t.wasm = await attempt(`${tname} on wasm`, train("wasm"));
  t.webgpuSpeedup = speedup(t.wasm?.medianStepMs, t.webgpu?.medianStepMs);
  await save();
  return report;
}

function parseArgs(args: string[]): { quick: boolean; out: string; budgetS: number } {
  const o = { quick: false, out: "out/gpu_check.json", budgetS: Infinity };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--quick") o.quick = true;
    else if (a === "--out") o.out = args[++i];
    else if (a === "--budget-s") o.budgetS = Number(args[++i]);
    else throw new TypeError(`Unknown option "${a}": expected --quick, --out PATH or --budget-s N`);
  }
  if (!o.out) throw new TypeError("Missing path after --out");
  if (!(o.budgetS > 0)) throw new RangeError(`Invalid --budget-s "${o.budgetS}": expected seconds > 0`);
  return o;
}

if (import.meta.main) {
  const opts = parseArgs(Deno.args);
  const report = await runCheck(opts);
  console.log(summariseGpuCheck(report));
  console.log(`wrote ${opts.out}`);
  // The wasm backends' helper threads would keep the process alive.
  Deno.exit(report.errors.length ? 1 : 0);
}
