/**
 * Property optimisation on a tiny random model: the gradient of the property head with respect to
 * z against central finite differences, Adam lowering the head step after step, the reference's
 * decode schedule.
 */

import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../_assert.ts";
import { getBackend } from "../../src/compute/backend.ts";
import { decodeSchedule, optimizeLatents, propertyHeadGradient } from "../../src/model/optimize.ts";
import { priorLatents } from "../../src/model/sampler.ts";
import { CDVAE } from "../../src/model/cdvae.ts";
import { tinyConfig, tinyModel } from "./_tiny.ts";

const be = await getBackend({ prefer: "wasm" });

Deno.test("decodeSchedule() is the reference's: multiples of 555 and step 4999, 11 decodes", () => {
  const s = decodeSchedule(5000);
  assertEquals(s, [0, 555, 1110, 1665, 2220, 2775, 3330, 3885, 4440, 4995, 4999]);
  assertEquals(decodeSchedule(5000, 555), s);
  assertEquals(decodeSchedule(10, 5), [0, 5, 9]);
  assertEquals(decodeSchedule(11, 5), [0, 5, 10]); // the last step is a multiple: decoded once
  assertEquals(decodeSchedule(1), [0]);
  assertEquals(decodeSchedule(4), [0, 1, 2, 3]); // ⌊4 / 9⌋ = 0 → every step
  assertThrows(() => decodeSchedule(0), RangeError);
  assertThrows(() => decodeSchedule(10, 0), RangeError);
});

Deno.test("propertyHeadGradient() matches central finite differences of mean fc_property(z)", async () => {
  const model = await tinyModel(be, 11, 2);
  const d = model.config.latentDim, rows = 3;
  const z = priorLatents(rows, d, 4);
  const { values, grad } = await propertyHeadGradient(model, z);
  assertEquals([values.length, grad.length], [rows, rows * d]);
  const f = async (x: Float32Array) => {
    const v = (await propertyHeadGradient(model, x)).values;
    return v.reduce((a, b) => a + b, 0) / rows;
  };
  const h = 1e-3; // small enough not to cross a ReLU kink of the head, large for f32
  let largest = 0;
  for (let i = 0; i < z.length; i++) {
    const [up, down] = [z.slice(), z.slice()];
    up[i] += h;
    down[i] -= h;
    const fd = ((await f(up)) - (await f(down))) / (2 * h);
    assertAlmostEquals(grad[i], fd, 5e-4 + 1e-2 * Math.abs(fd), `∂/∂z[${i}]`);
    largest = Math.max(largest, Math.abs(fd));
  }
  assert(largest > 1e-2, "the head is flat here: the check would prove nothing");
  // The head's weights were frozen: no gradient lands on them.
  for (const l of model.fcProperty!.layers) {
    assertEquals(l.weight.grad, undefined);
    assert(l.weight.requiresGrad);
  }
  model.dispose();
});

Deno.test("optimizeLatents(): every Adam step lowers the head; decodes after the update", async () => {
  const model = await tinyModel(be, 12, 2);
  const z0 = priorLatents(2, model.config.latentDim, 7);
  let langevinSteps = 0, adamSteps = 0;
  const r = await optimizeLatents(model, z0, {
    steps: 12,
    decodeEvery: 8,
    levels: 1,
    stepsPerLevel: 1,
    seed: 3,
    onAdamStep: (done) => adamSteps = done,
    onLangevinStep: (done, total) => {
      langevinSteps = done;
      assertEquals(total, 3);
    },
  });
  assertEquals([adamSteps, langevinSteps], [12, 3]);
  for (let i = 1; i < r.meanHead.length; i++) {
    assert(r.meanHead[i] < r.meanHead[i - 1], `step ${i}: ${r.meanHead[i]} ≥ ${r.meanHead[i - 1]}`);
  }
  assertEquals(r.decodes.map((d) => d.step), [0, 8, 11]);
  // Decode k sees z after step k's update: its head is the next step's starting value.
  const mean = (xs: Float64Array) => (xs[0] + xs[1]) / 2;
  assertAlmostEquals(mean(r.decodes[0].head), r.meanHead[1], 1e-5);
  assertAlmostEquals(mean(r.decodes[1].head), r.meanHead[9], 1e-5);
  assert(mean(r.decodes[2].head) < r.meanHead[11]);
  for (const d of r.decodes) {
    assertEquals(d.crystals.length, 2);
    assert(d.crystals.every((c) => c.frac.every((f) => f >= 0 && f < 1)));
  }
  // Adam's first step moves every coordinate by lr against the gradient's sign.
  const g = (await propertyHeadGradient(model, z0)).grad;
  r.decodes[0].z.forEach((v, i) => assertAlmostEquals(v, z0[i] - 1e-3 * Math.sign(g[i]), 1e-6));
  model.dispose();
});

Deno.test("optimizeLatents() decodes with the whole schedule: steps by level and the denoising step", async () => {
  const model = await tinyModel(be, 12, 2);
  const stats = { decoderCalls: 0 };
  const r = await optimizeLatents(model, priorLatents(1, model.config.latentDim, 7), {
    steps: 2,
    stepsByLevel: [2, 1],
    denoise: true,
    stats,
  });
  assertEquals(stats.decoderCalls, r.decodes.length * (2 + 1 + 1));
  model.dispose();
});

Deno.test("optimizeLatents() explains a model without a property head", async () => {
  const model = new CDVAE(be, { ...tinyConfig(), predictProperty: false }, 1);
  try {
    let msg = "";
    await optimizeLatents(model, priorLatents(1, model.config.latentDim, 1), { steps: 1 }).catch((e) =>
      msg = e.message
    );
    assert(msg.includes("no property head"), msg);
  } finally {
    model.dispose();
  }
});
