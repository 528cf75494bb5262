/**
 * Where a training step's time goes: wraps the wasm backend's `dispatch`, `alloc`, `free`, `write`
 * and `read` with timers and reports, per step, the time inside kernels (by kernel) against the
 * rest (host-side graphs and bases, tape bookkeeping, uploads, allocation, GC) — the trainer's step
 * as `bench/train_bench.ts` runs it (`makeBatch`, objective with teacher forcing, backward, Adam).
 *
 *   deno run -A bench/train_profile.ts --preset small --batch 64 --steps 4 --warmup 1 --threads 1 [--no-cache]
 *
 * @module
 */

import { HostRng } from "../src/compute/host_rng.ts";
import { Tape, zeroGrad } from "../src/compute/tape.ts";
import { Adam } from "../src/compute/adam.ts";
import { createWasmBackend } from "../src/compute/wasm.ts";
import type { Dispatch } from "../src/compute/backend.ts";
import { type PresetName, PRESETS } from "../src/model/config.ts";
import { CDVAE } from "../src/model/cdvae.ts";
import { cdvaeObjective } from "../src/model/losses.ts";
import { loadTrainingData } from "../src/train/trainer.ts";
import { makeBatch } from "../src/train/batch.ts";
import { EncoderInputCache } from "../src/train/encoder_cache.ts";

const args = Object.fromEntries(
  Deno.args.map((a, i) => [a, Deno.args[i + 1]]).filter(([a]) => a.startsWith("--")),
);
const preset = (args["--preset"] ?? "small") as PresetName;
const batchSize = Number(args["--batch"] ?? 64);
const steps = Number(args["--steps"] ?? 4);
const warmup = Number(args["--warmup"] ?? 1);
const threads = Number(args["--threads"] ?? 1) === 2 ? 2 : 1;

const be = await createWasmBackend({ threads });
const data = await loadTrainingData("perov_5", { limit: batchSize * (steps + warmup), valLimit: 1 });
const model = new CDVAE(be, PRESETS[preset]("perov_5"), 0);
const params = model.store.trainable();
const opt = new Adam(params, { lr: 1e-3, clip: 0.5 });
const rng = new HostRng(1);
// As the trainer after its first epoch (`--no-cache`: as before the cache).
const cache = Deno.args.includes("--no-cache") ? undefined : new EncoderInputCache(model);
cache?.batch(data.train);

/** Milliseconds and calls, by label. */
const acc = new Map<string, { ms: number; n: number }>();
let on = false;
const shapes = new Map<string, { ms: number; n: number; flops: number }>();
function add(label: string, ms: number) {
  if (!on) return;
  const e = acc.get(label) ?? { ms: 0, n: 0 };
  e.ms += ms;
  e.n++;
  acc.set(label, e);
}
const orig = {
  dispatch: be.dispatch.bind(be),
  alloc: be.alloc.bind(be),
  free: be.free.bind(be),
  write: be.write.bind(be),
};
be.dispatch = (d: Dispatch) => {
  const t = performance.now();
  orig.dispatch(d);
  const ms = performance.now() - t;
  add(`kernel ${d.kernel.name}`, ms);
  const { m, n, k } = d.params;
  if (d.kernel.name.startsWith("matmul") && on) {
    const key = `${d.kernel.name} m=${m} n=${n} k=${k}`;
    const e = shapes.get(key) ?? { ms: 0, n: 0, flops: 2 * m * n * k };
    e.ms += ms;
    e.n++;
    shapes.set(key, e);
  }
};
be.alloc = (dt, n) => {
  const t = performance.now();
  const b = orig.alloc(dt, n);
  add("alloc", performance.now() - t);
  return b;
};
be.free = (b) => {
  const t = performance.now();
  orig.free(b);
  add("free", performance.now() - t);
};
be.write = (b, x) => {
  const t = performance.now();
  orig.write(b, x);
  add("write (upload)", performance.now() - t);
};

let wall = 0;
const phase = { makeBatch: 0, forward: 0, backward: 0, adam: 0, dispose: 0 };
for (let it = 0; it < warmup + steps; it++) {
  on = it >= warmup;
  const recs = data.train.slice(it * batchSize, (it + 1) * batchSize);
  const t0 = performance.now();
  const batch = makeBatch(model, recs, cache);
  const t1 = performance.now();
  const tape = new Tape();
  const r = await cdvaeObjective(model, batch, tape, { teacherForcing: true, rng });
  await r.total.item();
  const t2 = performance.now();
  tape.backward(r.total);
  const t3 = performance.now();
  opt.step();
  await params[0].read();
  const t4 = performance.now();
  tape.dispose();
  zeroGrad(params);
  const t5 = performance.now();
  if (on) {
    wall += t5 - t0;
    phase.makeBatch += t1 - t0;
    phase.forward += t2 - t1;
    phase.backward += t3 - t2;
    phase.adam += t4 - t3;
    phase.dispose += t5 - t4;
  }
}
const per = (ms: number) => (ms / steps).toFixed(1).padStart(8);
let kernels = 0;
for (const [k, v] of acc) if (k.startsWith("kernel ")) kernels += v.ms;
console.log(`${be.description}; preset ${preset}, batch ${batchSize}; per step (mean of ${steps}):`);
console.log(`${per(wall)} ms  wall`);
for (const [k, v] of Object.entries(phase)) console.log(`${per(v)} ms  phase ${k}`);
console.log(`${per(kernels)} ms  inside kernels (${(100 * kernels / wall).toFixed(1)} %)`);
console.log(`${per(wall - kernels)} ms  outside kernels`);
for (const [k, v] of [...acc].sort((a, b) => b[1].ms - a[1].ms).slice(0, 40)) {
  console.log(`${per(v.ms)} ms  ${(v.n / steps).toFixed(0).padStart(6)} calls  ${k}`);
}
console.log("matmul shapes by time (GFLOP/s):");
for (const [k, v] of [...shapes].sort((a, b) => b[1].ms - a[1].ms).slice(0, 30)) {
  console.log(
    `${per(v.ms)} ms  ${(v.n / steps).toFixed(0).padStart(4)} calls  ${
      (v.flops * v.n / v.ms / 1e6).toFixed(1).padStart(6)
    }  ${k}`,
  );
}
let totalFlops = 0;
const byK = new Map<string, number>();
for (const [k, v] of shapes) {
  totalFlops += v.flops * v.n;
  const kk = k.replace(/m=\d+/, "m=*").replace(/k=(39|38|40)\d\d/, "k=E").replace(
    /k=(19|20|21|22)\d\d/,
    "k=Eenc",
  );
  byK.set(kk, (byK.get(kk) ?? 0) + v.flops * v.n / steps);
}
console.log(`matmul GFLOP per step: ${(totalFlops / steps / 1e9).toFixed(2)}`);
for (const [k, f] of [...byK].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
  console.log(`${(f / 1e6).toFixed(0).padStart(7)} MFLOP  ${k}`);
}
