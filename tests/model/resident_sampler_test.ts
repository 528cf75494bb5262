/**
 * The resident Langevin loop (state, graph, noise and update on the device): the update kernel
 * against the host's f64 formula, one near-zero step against the host loop, and the loop's
 * determinism and range on the reference and wasm backends and, where an adapter exists, WebGPU.
 */

import { assert, assertAllClose, assertEquals } from "../_assert.ts";
import { ignore } from "../_gpu.ts";
import { tinyModel } from "./_tiny.ts";
import { type Backend, getBackend } from "../../src/compute/backend.ts";
import { HostRng } from "../../src/compute/host_rng.ts";
import { langevinStep } from "../../src/model/device/langevin.ts";
import { Tensor } from "../../src/compute/tensor.ts";
import {
  cartToFrac,
  fracToCart,
  inverse3,
  latticeFromParameters,
  wrapFrac,
} from "../../src/crystal/lattice.ts";
import { langevin, priorLatents } from "../../src/model/sampler.ts";

const backends: Backend[] = [
  await getBackend({ prefer: "reference" }),
  await getBackend({ prefer: "wasm" }),
  ...(ignore ? [] : [await getBackend({ prefer: "webgpu" })]),
];

for (const be of backends) {
  Deno.test(`langevinStep() on ${be.name} is the host's update`, async () => {
    const rng = new HostRng(11), n = 7, t = 5;
    const lat = [
      latticeFromParameters({ a: 4, b: 5, c: 6, alpha: 80, beta: 95, gamma: 110 }),
      latticeFromParameters({ a: 3, b: 3, c: 9, alpha: 90, beta: 90, gamma: 120 }),
    ].map((l) => Float64Array.from(Float32Array.from(l)));
    const crystal = new Uint32Array([0, 0, 0, 1, 1, 1, 1]);
    const r = (len: number, s = 1) => Float32Array.from({ length: len }, () => s * rng.normal());
    const frac = Float32Array.from({ length: 3 * n }, () => rng.uniform());
    const scores = r(3 * n, 3), logits = r(n * t), noise = r(3 * n);
    scores[4] = NaN, scores[8] = Infinity; // counted as 0
    logits.fill(2, 5 * t, 5 * t + t); // a tie: the first class wins
    const opts = { stepSize: 0.01, noiseStd: Math.sqrt(0.02), sigma: 0.5 };
    const state = {
      frac: Tensor.from(be, frac, [n, 3]),
      types: Tensor.from(be, new Uint32Array(n)),
      lattices: Tensor.from(be, Float32Array.from(lat.flatMap((l) => [...l])), [2, 9]),
      inverses: Tensor.from(be, Float32Array.from(lat.flatMap((l) => [...inverse3(l)])), [2, 9]),
      crystal: Tensor.from(be, crystal),
    };
    const ts = [
      Tensor.from(be, scores, [n, 3]),
      Tensor.from(be, logits, [n, t]),
      Tensor.from(be, noise, [n, 3]),
    ];
    langevinStep(state, ts[0], ts[1], ts[2], opts);
    const want = new Float64Array(3 * n), wantTypes: number[] = [];
    for (let i = 0; i < n; i++) {
      const L = lat[crystal[i]], x = fracToCart(frac.subarray(3 * i, 3 * i + 3), L);
      for (let c = 0; c < 3; c++) {
        const s = scores[3 * i + c] / opts.sigma;
        x[c] += opts.stepSize * (Number.isFinite(s) ? s : 0) + opts.noiseStd * noise[3 * i + c];
      }
      cartToFrac(x, L).forEach((v, c) => want[3 * i + c] = wrapFrac(v));
      const row = [...logits.subarray(i * t, i * t + t)];
      wantTypes.push(row.indexOf(Math.max(...row)));
    }
    const got = await state.frac.read();
    // Wrapped coordinates compare modulo 1 (a value within rounding of 0 may come back near 1).
    const diff = Array.from(got, (g, k) => Math.abs(g - want[k])).map((d) => Math.min(d, 1 - d));
    assertAllClose(diff, new Float64Array(3 * n), { atol: 2e-5, rtol: 0 }, "frac");
    assert(got.every((v) => v >= 0 && v < 1));
    assertEquals([...await state.types.read()], wantTypes);
    assertEquals(wantTypes[5], 0);
    [...Object.values(state), ...ts].forEach((x) => x.dispose());
  });

  Deno.test(`the resident loop on ${be.name}: deterministic, in [0, 1), finite; one tiny step = the host's`, async () => {
    const model = await tinyModel(be, 5);
    const z = priorLatents(3, model.config.latentDim, 1);
    const opts = { seed: 4, stepsPerLevel: 2, minSigma: 0.5, numAtoms: [5, 2, 3], resident: true };
    const a = await langevin(model, z, { ...opts, trajectory: true });
    const b = await langevin(model, z, opts);
    assertEquals(a.trajectory!.length, 2 * [...model.sigmas].filter((s) => s >= 0.5).length);
    for (let i = 0; i < 3; i++) {
      assertEquals(a.crystals[i].frac, b.crystals[i].frac);
      assertEquals(a.crystals[i].numbers, b.crystals[i].numbers);
      assert(a.crystals[i].frac.every((f) => f >= 0 && f < 1 && Number.isFinite(f)));
      assert(a.crystals[i].numbers.every((n) => n >= 1 && n <= 100));
    }
    // A step of 1e-12 (stepLr·(σ₁/σ_L)² = 1e-18·1e6): both loops start from the same draw and move by < 1e-5, and the types are
    // the argmax of the decoder on the same structure, graph built on the device or on the host.
    const tiny = { seed: 9, stepsPerLevel: 1, levels: 1, stepLr: 1e-18, numAtoms: [5, 2, 3] };
    const dev = await langevin(model, z, { ...tiny, resident: true });
    const host = await langevin(model, z, { ...tiny, resident: false });
    for (let i = 0; i < 3; i++) {
      const d = Array.from(dev.crystals[i].frac, (f, k) => Math.abs(f - host.crystals[i].frac[k]))
        .map((x) => Math.min(x, 1 - x));
      assert(d.every((x) => x < 1e-5), `crystal ${i}: coordinates moved apart by ${Math.max(...d)}`);
      assertEquals(dev.crystals[i].numbers, host.crystals[i].numbers);
    }
    model.dispose();
  });
  Deno.test(`the resident loop on ${be.name}: final denoising step = the host's, predictor steps and steps by level counted`, async () => {
    const model = await tinyModel(be, 6);
    const z = priorLatents(3, model.config.latentDim, 2);
    // Tiny Langevin steps, then x + σ²·score with no noise: both loops make the same move.
    const tiny = { seed: 3, stepsPerLevel: 1, levels: 1, stepLr: 1e-18, numAtoms: [4, 2, 3], denoise: true };
    const stats = { decoderCalls: 0 };
    const dev = await langevin(model, z, { ...tiny, resident: true, stats });
    const host = await langevin(model, z, { ...tiny, resident: false });
    const plain = await langevin(model, z, { ...tiny, denoise: false, resident: true });
    assertEquals(stats.decoderCalls, 2);
    for (let i = 0; i < 3; i++) {
      const d = Array.from(dev.crystals[i].frac, (f, k) => Math.abs(f - host.crystals[i].frac[k]))
        .map((x) => Math.min(x, 1 - x));
      assert(d.every((x) => x < 1e-4), `crystal ${i}: coordinates moved apart by ${Math.max(...d)}`);
    }
    assert(
      dev.crystals.some((c, i) => c.frac.some((f, k) => Math.abs(f - plain.crystals[i].frac[k]) > 1e-4)),
    );
    const pc = { seed: 3, stepsPerLevel: 2, levels: 3, numAtoms: [4, 2, 3], predictor: true, resident: true };
    const counted = { decoderCalls: 0 };
    const r = await langevin(model, z, { ...pc, stats: counted, trajectory: true });
    assertEquals([counted.decoderCalls, r.trajectory!.length], [3 * 2 + 2, 3 * 2 + 2]);
    assert(r.crystals.every((c) => c.frac.every((f) => f >= 0 && f < 1)));
    // Steps by level: each level draws and runs its own count of steps.
    const byLevel = { decoderCalls: 0 };
    const { levels: _, stepsPerLevel: _s, ...varying } = pc;
    const v = await langevin(model, z, {
      ...varying,
      stepsByLevel: [3, 1, 2],
      stats: byLevel,
      trajectory: true,
    });
    assertEquals([byLevel.decoderCalls, v.trajectory!.length], [6 + 2, 6 + 2]);
    assert(v.crystals.every((c) => c.frac.every((f) => f >= 0 && f < 1)));
    let refused = "";
    await langevin(model, z, { ...pc, settle: 0.1 }).catch((e) => refused = (e as Error).message);
    assert(refused.includes("host loop only"), refused);
    model.dispose();
  });
}
