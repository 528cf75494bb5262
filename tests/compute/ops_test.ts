/**
 * Every op on every backend under test (WebGPU when an adapter exists, wasm-SIMD always): forward
 * vs the plain-TS reference on random shapes and values (fast-check), backward through the tape vs
 * central finite differences, and a check that the cases dispatched every registry kernel.
 */

import fc from "fast-check";
import { assertAllClose, assertEquals } from "../_assert.ts";
import type { Backend } from "../../src/compute/backend.ts";
import { OPS } from "../../src/compute/ops.ts";
import { Tensor } from "../../src/compute/tensor.ts";
import { Adam } from "../../src/compute/adam.ts";
import { ACTIVATIONS, CASES, dims } from "./_op_cases.ts";
import {
  checkBackward,
  checkForward,
  gpu,
  type Input,
  PROPERTY_SEED,
  randoms,
  recording,
  ref,
  wasm,
} from "./_op_helper.ts";

/** Backends under test, each recording the kernels it ran. */
const UNDER_TEST: { be: Backend; seen: Set<string> }[] = [gpu, wasm]
  .filter((b): b is Backend => b !== undefined)
  .map((b) => {
    const seen = new Set<string>();
    return { be: recording(b, seen), seen };
  });

const nonZero = (x: Input): Input => ({ ...x, data: x.data.map((v) => (v < 0 ? v - 0.2 : v + 0.2)) });

for (const { be } of UNDER_TEST) {
  Deno.test(`ops: ${be.name} forward matches the reference on random shapes`, async (t) => {
    for (const c of CASES) {
      await t.step(c.name, async () => {
        await fc.assert(
          fc.asyncProperty(dims(24), async (d) => {
            const { inputs, fn } = c.make(d);
            await checkForward(be, fn, inputs, 1e-5, 1e-4, `${c.name} ${JSON.stringify(d)}`);
          }),
          { seed: PROPERTY_SEED, numRuns: 8 },
        );
      });
    }
  });
}

Deno.test("ops: backward matches central finite differences on every backend", async (t) => {
  const backends = [ref, ...UNDER_TEST.map((u) => u.be)];
  for (const c of CASES) {
    if (c.noGrad) continue;
    await t.step(c.name, async () => {
      for (const d of [{ a: 3, b: 4, c: 5, seed: 11 }, { a: 5, b: 2, c: 3, seed: 12 }]) {
        const { inputs, fn } = c.make(d);
        // Activations are checked on [-4, 4], where f32 finite differences resolve them.
        const ins = inputs.map((x, i) => {
          const y = ACTIVATIONS.some((a) => a === c.name) ? { ...x, data: x.data.map((v) => v / 7.5) } : x;
          return c.awayFromZero && i === 0 && y.grad ? nonZero(y) : y;
        });
        await checkBackward(
          backends,
          fn as (xs: Tensor[], be: Backend) => Tensor,
          ins,
          1e-2,
          2e-2,
          `${c.name} ${JSON.stringify(d)}`,
        );
      }
    });
  }
});

Deno.test("ops: Adam steps with clipping match the reference on every backend", async () => {
  const run = async (be: Backend) => {
    const p = Tensor.from(be, randoms(37 * 5, 1), [37, 5]);
    p.requiresGrad = true;
    const opt = new Adam([p], { lr: 0.05, clip: 0.5, weightDecay: 0.01 });
    for (let s = 0; s < 3; s++) {
      p.grad = Tensor.from(be, randoms(37 * 5, 10 + s, -2, 2), [37, 5]);
      opt.step();
    }
    return await p.read();
  };
  const want = await run(ref);
  for (const { be } of UNDER_TEST) assertAllClose(await run(be), want, { atol: 1e-6, rtol: 1e-5 }, be.name);
});

Deno.test("ops: the cases above dispatched every registry kernel on every backend", () => {
  const all = [...new Set(Object.values(OPS).map((k) => k.entry))];
  for (const { be, seen } of UNDER_TEST) {
    assertEquals(all.filter((e) => !seen.has(e)), [], be.name);
  }
});
