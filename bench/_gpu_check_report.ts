/**
 * The GPU check's result (bench/gpu_check.ts): its JSON shape, the speed-up ratios against the wasm
 * backend, the text summary it prints and the file it writes. Pure apart from
 * {@linkcode writeGpuCheck}, so a test can feed it a made-up result without a GPU.
 *
 * @module
 */

/** Version tag of the JSON layout; bump it when a field changes meaning. */
export const GPU_CHECK_SCHEMA = "cdvae-gpu-check/1";

/** What the WebGPU adapter says about itself (`adapter.info`, a few limits). */
export interface AdapterReport {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** The spec's fallback flag (a software adapter); llvmpipe sets it in Deno 2.9. */
  isFallbackAdapter: boolean;
  /** Whether src/compute/backend.ts counts it as a CPU driver (llvmpipe, lavapipe, SwiftShader, fallback). */
  cpuDriver: boolean;
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
  maxComputeInvocationsPerWorkgroup: number;
  features: string[];
}

/** One matmul shape on both backends; null where that side failed or was skipped. */
export interface MatmulReport {
  /** `[m, k, n]`: `[m×k]·[k×n]` + bias with the fused silu. */
  shape: [number, number, number];
  /** Matmuls per timed call (one wait per call). */
  reps: number;
  webgpuGflops: number | null;
  wasmGflops: number | null;
  /** WebGPU GFLOP/s ÷ wasm GFLOP/s. */
  webgpuSpeedup: number | null;
}

/** Step times of one sampler loop (bench/sample_bench.ts `benchSample`). */
export interface StepTimes {
  backend: string;
  /** Start-up and the first step, ms (shader compilation, heads, initial state). */
  firstStepMs: number;
  medianStepMs: number;
  meanStepMs: number;
  /** Whether every sampled coordinate came out finite. */
  finite: boolean;
}

/** Langevin step time at one batch: WebGPU resident loop, WebGPU host loop, wasm host loop. */
export interface LangevinReport {
  preset: string;
  batch: number;
  atoms: number;
  /** Steps timed after the first (which carries the start-up). */
  timedSteps: number;
  webgpuResident: StepTimes | null;
  webgpuHost: StepTimes | null;
  /** The wasm backend's host loop (the CPU default). */
  wasm: StepTimes | null;
  /** wasm median step ÷ resident median step. */
  residentSpeedupOverWasm: number | null;
  /** WebGPU host-loop median step ÷ resident median step. */
  residentSpeedupOverHost: number | null;
}

/** One training step (bench/train_bench.ts `benchTrain`) on one backend. */
export interface TrainTimes {
  backend: string;
  medianStepMs: number;
  crystalsPerS: number;
  /** Whether every loss of the run was finite. */
  finiteLoss: boolean;
}

/** Training step time on both backends. */
export interface TrainReport {
  preset: string;
  batch: number;
  timedSteps: number;
  /** Where the Perov-5 rows came from: `$CDVAE_DATA_DIR`, or null for the default `../shared/data`. */
  dataDir: string | null;
  webgpu: TrainTimes | null;
  wasm: TrainTimes | null;
  /** wasm median step ÷ WebGPU median step. */
  webgpuSpeedup: number | null;
}

/** The whole check, as written to the JSON file. */
export interface GpuCheckReport {
  schema: typeof GPU_CHECK_SCHEMA;
  mode: "full" | "quick";
  startedAt: string;
  /** Seconds from start to the last section written. */
  wallS: number;
  host: { deno: string; os: string; arch: string; cpus: number; commit: string | null };
  /** Null when no adapter could be requested (the WebGPU measurements are then skipped). */
  adapter: AdapterReport | null;
  matmul: MatmulReport[];
  langevin: LangevinReport | null;
  train: TrainReport | null;
  /** Every measurement that failed or was skipped, with why; empty when all ran. */
  errors: { what: string; message: string }[];
}

/**
 * `slow ÷ fast` (how many times faster `fast` is), rounded to 3 significant digits; null when either
 * side is missing or the ratio is not a finite positive number.
 *
 * @param slow The baseline's time (ms), or, for rates, the measured side's rate (GFLOP/s)
 * @param fast The measured side's time, or the baseline's rate
 * @returns The ratio, or null
 */
export function speedup(slow: number | null | undefined, fast: number | null | undefined): number | null {
  if (slow == null || fast == null) return null;
  const r = slow / fast;
  return Number.isFinite(r) && r > 0 ? Number(r.toPrecision(3)) : null;
}

const fmt = (x: number | null | undefined, digits = 1) => x == null ? "—" : x.toFixed(digits);
const times = (x: number | null) => x == null ? "—" : `${x}×`;

/**
 * The report as a few lines of text (what the script prints).
 *
 * @param r The report
 * @returns Lines joined by newlines
 */
export function summariseGpuCheck(r: GpuCheckReport): string {
  const a = r.adapter;
  const lines = [
    `GPU check (${r.mode}), ${r.startedAt}, ${
      r.wallS.toFixed(0)
    } s; Deno ${r.host.deno}, ${r.host.os}/${r.host.arch}, ` +
    `${r.host.cpus} CPUs, commit ${r.host.commit ?? "?"}`,
    a
      ? `adapter: ${a.description || a.device} (vendor ${a.vendor}, architecture ${a.architecture || "?"}, ` +
        `fallback ${a.isFallbackAdapter}${a.cpuDriver ? ", a CPU driver, not a GPU" : ""})`
      : "adapter: none",
  ];
  for (const m of r.matmul) {
    lines.push(
      `matmul [${m.shape[0]}×${m.shape[1]}]·[${m.shape[1]}×${m.shape[2]}]: WebGPU ${
        fmt(m.webgpuGflops)
      } GFLOP/s, ` +
        `wasm ${fmt(m.wasmGflops)} GFLOP/s (${times(m.webgpuSpeedup)})`,
    );
  }
  const l = r.langevin;
  if (l) {
    lines.push(
      `Langevin step, ${l.preset} preset, ${l.batch} × ${l.atoms} atoms (median ms of ${l.timedSteps}): ` +
        `resident ${fmt(l.webgpuResident?.medianStepMs, 0)}, WebGPU host loop ${
          fmt(l.webgpuHost?.medianStepMs, 0)
        }, ` +
        `wasm ${fmt(l.wasm?.medianStepMs, 0)}; resident vs wasm ${times(l.residentSpeedupOverWasm)}, ` +
        `vs host loop ${times(l.residentSpeedupOverHost)}`,
    );
  }
  const t = r.train;
  if (t) {
    lines.push(
      `training step, ${t.preset} preset, batch ${t.batch} (median ms of ${t.timedSteps}): ` +
        `WebGPU ${fmt(t.webgpu?.medianStepMs, 0)}, wasm ${fmt(t.wasm?.medianStepMs, 0)} (${
          times(t.webgpuSpeedup)
        })`,
    );
  }
  for (const e of r.errors) lines.push(`not measured: ${e.what}: ${e.message}`);
  return lines.join("\n");
}

/**
 * Writes the report as indented JSON (creating the folder), replacing the file atomically so that
 * a run cut short leaves the last complete report.
 *
 * @param path Where to write
 * @param r The report
 */
export async function writeGpuCheck(path: string, r: GpuCheckReport): Promise<void> {
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : ".";
  if (dir) await Deno.mkdir(dir, { recursive: true });
  const tmp = `${path}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify(r, null, 2) + "\n");
  await Deno.rename(tmp, path);
}
