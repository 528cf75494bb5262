/** A 2-layer MLP fits a small regression with Adam: the whole training stack end to end. */

import { assert } from "../_assert.ts";
import type { Backend } from "../../src/compute/backend.ts";
import { Adam } from "../../src/compute/adam.ts";
import { matmul, mse } from "../../src/compute/functional.ts";
import { glorotUniform, heNormal, zerosParam } from "../../src/compute/init.ts";
import { Tape, zeroGrad } from "../../src/compute/tape.ts";
import { Tensor } from "../../src/compute/tensor.ts";
import { ignore } from "../_gpu.ts";
import { gpu, randoms, ref, wasm } from "./_op_helper.ts";

/** Trains y = sin(2x₀) + x₁·x₂/2 on 128 points; returns the first and last loss. */
async function fit(be: Backend, steps: number): Promise<[number, number]> {
  const n = 128, hidden = 32;
  const xs = randoms(n * 3, 3, -1, 1);
  const ys = new Float32Array(n).map((_, i) => Math.sin(2 * xs[3 * i]) + 0.5 * xs[3 * i + 1] * xs[3 * i + 2]);
  const x = Tensor.from(be, xs, [n, 3]), y = Tensor.from(be, ys, [n, 1]);
  const params = [
    heNormal(be, 3, hidden, { seed: 1 }),
    zerosParam(be, [hidden]),
    glorotUniform(be, hidden, 1, { seed: 2 }),
    zerosParam(be, [1]),
  ];
  const [w1, b1, w2, b2] = params;
  const opt = new Adam(params, { lr: 0.02, clip: 10 });
  let first = NaN;
  let last = NaN;
  for (let s = 0; s < steps; s++) {
    const tape = new Tape();
    const loss = tape.record(() =>
      mse(matmul(matmul(x, w1, { bias: b1, act: "silu" }), w2, { bias: b2 }), y)
    );
    tape.backward(loss);
    opt.step();
    if (s === 0) first = await loss.item();
    if (s === steps - 1) last = await loss.item();
    tape.dispose();
    zeroGrad(params);
  }
  return [first, last];
}

Deno.test({
  name: "MLP fits a small regression with Adam on WebGPU",
  ignore,
  fn: async () => {
    const [first, last] = await fit(gpu!, 400);
    assert(last < 0.01 && last < first / 20, `loss ${first} → ${last}`);
  },
});

Deno.test("MLP fits a small regression with Adam on the reference backend", async () => {
  const [first, last] = await fit(ref, 400);
  assert(last < 0.01 && last < first / 20, `loss ${first} → ${last}`);
});

Deno.test("MLP fits a small regression with Adam on the wasm backend", async () => {
  const [first, last] = await fit(wasm, 400);
  assert(last < 0.01 && last < first / 20, `loss ${first} → ${last}`);
});
