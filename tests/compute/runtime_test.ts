/** Determinism, random numbers, binding-limit splitting, errors and the tape's bookkeeping. */

import { assert, assertAllClose, assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import { getBackend, isCpuAdapter } from "../../src/compute/backend.ts";
import * as F from "../../src/compute/functional.ts";
import { Tape, zeroGrad } from "../../src/compute/tape.ts";
import { Tensor } from "../../src/compute/tensor.ts";
import { createWebGPUBackend, DeviceLostError, NoAdapterError } from "../../src/compute/webgpu.ts";
import { OPS } from "../../src/compute/ops.ts";
import { ignore } from "../_gpu.ts";
import { gpu, randoms, ref } from "./_op_helper.ts";

/** A small graph-network step: gather, matmul+silu, segment mean, softmax, loss and its backward. */
async function step(be = gpu!, seed = 5): Promise<Float32Array[]> {
  const x = Tensor.from(be, randoms(40 * 16, seed), [40, 16]);
  const w = Tensor.from(be, randoms(16 * 8, seed + 1), [16, 8]);
  w.requiresGrad = true;
  const idx = Tensor.from(be, Uint32Array.from({ length: 60 }, (_, i) => (i * 7) % 40));
  const rowptr = Tensor.from(be, new Uint32Array([0, 10, 10, 35, 60]));
  const tape = new Tape();
  const loss = tape.record(() => {
    const h = F.matmul(F.gather(x, idx), w, { act: "silu" });
    const s = F.segmentMean(h, rowptr);
    return F.mean(F.crossEntropy(s, Tensor.from(be, new Uint32Array([1, 2, 3, 4]))));
  });
  tape.backward(loss);
  const out = [await loss.read(), await w.grad!.read()] as Float32Array[];
  tape.dispose();
  return [...out, await F.randNormal(be, [1000], { seed }).read() as Float32Array];
}

Deno.test({
  name: "runtime: same inputs and seed give identical bits on WebGPU",
  ignore,
  fn: async () => {
    const [a, b] = [await step(), await step()];
    a.forEach((x, i) => assertEquals(new Uint32Array(x.buffer), new Uint32Array(b[i].buffer)));
  },
});

Deno.test({
  name: "runtime: WebGPU and reference agree on a whole step",
  ignore,
  fn: async () => {
    const [a, b] = [await step(gpu!), await step(ref)];
    a.forEach((x, i) => assertAllClose(x, b[i], { atol: 1e-4, rtol: 1e-3 }, `result ${i}`));
  },
});

Deno.test({
  name: "randUniform() is bit-identical across backends and seeds differ",
  ignore,
  fn: async () => {
    const u = await F.randUniform(gpu!, [1001], { seed: 42, offset: 3 }).read() as Float32Array;
    assertEquals(u, await F.randUniform(ref, [1001], { seed: 42, offset: 3 }).read());
    const v = await F.randUniform(gpu!, [1001], { seed: 43, offset: 3 }).read() as Float32Array;
    assert(u.some((x, i) => x !== v[i]));
    const mean = u.reduce((s, x) => s + x, 0) / u.length;
    assert(Math.abs(mean - 0.5) < 0.05, `mean ${mean}`);
  },
});

Deno.test({
  name: "randNormal() has mean 0 and variance 1",
  ignore,
  fn: async () => {
    const z = await F.randNormal(gpu!, [20000], { seed: 9 }).read() as Float32Array;
    const m = z.reduce((s, x) => s + x, 0) / z.length;
    const v = z.reduce((s, x) => s + (x - m) ** 2, 0) / z.length;
    assert(Math.abs(m) < 0.03 && Math.abs(v - 1) < 0.05, `mean ${m} var ${v}`);
  },
});

Deno.test({
  name: "matmul() and elementwise ops split work above the binding limit",
  ignore,
  fn: async () => {
    const [m, k, n] = [300, 24, 16];
    const a = randoms(m * k, 1), b = randoms(k * n, 2);
    const run = async (be = gpu!) =>
      await F.matmul(Tensor.from(be, a, [m, k]), Tensor.from(be, b, [k, n])).read();
    const whole = await run();
    const siluWhole = await F.silu(Tensor.from(gpu!, a, [m, k])).read();
    const saved = gpu!.maxBindingBytes;
    gpu!.maxBindingBytes = 64 * 4 * k; // 64 rows per dispatch
    try {
      assertEquals(await run(), whole);
      assertEquals(await F.silu(Tensor.from(gpu!, a, [m, k])).read(), siluWhole);
      // Reductions split too (partial sums added in order): close to the one-dispatch sum.
      const sumWhole = (await F.sum(Tensor.from(ref, a, [m, k])).read())[0];
      assertAllClose(await F.sum(Tensor.from(gpu!, a, [m, k])).read(), new Float32Array([sumWhole]), {
        atol: 1e-5,
        rtol: 1e-4,
      });
    } finally {
      gpu!.maxBindingBytes = saved;
    }
    assertAllClose(whole, await run(ref), { atol: 1e-5, rtol: 1e-4 });
  },
});

Deno.test("ops reject mismatched shapes with TypeError", () => {
  const a = Tensor.from(ref, randoms(6, 1), [2, 3]);
  assertThrows(() => F.matmul(a, a), TypeError, /inner sizes differ/);
  assertThrows(() => F.add(a, Tensor.from(ref, [1, 2], [2])), TypeError, /Cannot broadcast/);
  assertThrows(() => F.gather(a, a), TypeError, /u32 or i32/);
  assertThrows(() => F.split(a, [1, 1]), TypeError, /Cannot split/);
  assertThrows(() => F.concat([]), RangeError);
  assertThrows(() => Tensor.from(ref, [1, 2, 3], [2, 2]), TypeError, /expected 4 values/);
  assertThrows(() => F.reshape(a, [4, 2]), TypeError, /Cannot reshape/);
  assertThrows(() => F.reshape(a, [4, -1]), TypeError, /Cannot reshape/);
  assertThrows(() => F.reshape(a, [-1, -1]), TypeError, /Cannot reshape/);
  const b3 = Tensor.from(ref, randoms(12, 2), [2, 3, 2]);
  assertThrows(() => F.bmm(a, b3), TypeError, /rank 3/);
  assertThrows(() => F.bmm(b3, b3), TypeError, /inner sizes differ/);
  assertThrows(() => F.bmm(Tensor.from(ref, randoms(6, 3), [1, 2, 3]), b3), TypeError, /batch/);
  a.dispose();
  assertThrows(() => a.buffer, Error, /disposed/);
});

Deno.test("reshape() copies: the dtype and an index tensor's host data are kept, the buffer is not shared", async () => {
  for (const be of [ref, ...(gpu ? [gpu] : [])]) {
    const data = new Uint32Array([0, 1, 2 ** 32 - 1, 5, 7, 9]);
    const i = Tensor.from(be, data, [2, 3]);
    const j = F.reshape(i, [3, 2]);
    assertEquals([j.dtype, j.shape, j.host], ["u32", [3, 2], data]);
    assertEquals(await j.read(), data);
    const x = Tensor.from(be, [-0, 1, 2, 3], [4]), y = F.reshape(x, [2, 2]);
    x.dispose();
    assertEquals(await y.read(), new Float32Array([-0, 1, 2, 3]));
  }
});

Deno.test("NoAdapterError says what to install", () => {
  assert(new NoAdapterError("requestAdapter() returned null").message.includes("mesa-vulkan-drivers"));
});

Deno.test({
  name: "getBackend() prefers WebGPU on a real GPU, wasm on a CPU adapter",
  ignore,
  fn: async () => {
    const info = (await navigator.gpu.requestAdapter())!.info;
    assertEquals((await getBackend()).name, isCpuAdapter(info) ? "wasm" : "webgpu");
    await assertRejects(async () => {
      const t = Tensor.from(gpu!, [1, 2, 3]);
      t.dispose();
      await t.read();
    }, Error);
  },
});

Deno.test("Tape frees what it created and zeroGrad clears gradients", async () => {
  const w = Tensor.from(ref, [1, 2]);
  w.requiresGrad = true;
  const tape = new Tape();
  const loss = tape.record(() => F.sum(F.mul(w, w)));
  tape.backward(loss);
  tape.backward(loss); // accumulates
  assertEquals(await w.grad!.read(), new Float32Array([4, 8]));
  const owned = [...tape.owned];
  tape.dispose();
  assert(owned.every((t) => t.disposed) && tape.nodes.length === 0 && !w.disposed);
  zeroGrad([w]);
  assertEquals(w.grad, undefined);
});

Deno.test("split() backward fills unused parts with zeros", async () => {
  const x = Tensor.from(ref, [1, 2, 3, 4], [2, 2]);
  x.requiresGrad = true;
  const tape = new Tape();
  const loss = tape.record(() => F.sum(F.split(x, [1, 1])[1]));
  tape.backward(loss);
  assertEquals(await x.grad!.read(), new Float32Array([0, 1, 0, 1]));
  tape.dispose();
});

Deno.test({
  name: "WebGPU backend surfaces device loss as DeviceLostError",
  ignore,
  fn: async () => {
    const be = await createWebGPUBackend();
    const t = Tensor.from(be, [1, 2]);
    be.device.destroy();
    await new Promise((r) => setTimeout(r, 50));
    assertThrows(() => Tensor.from(be, [1]), DeviceLostError, /device lost/);
    await assertRejects(() => t.read(), DeviceLostError);
  },
});

Deno.test({
  name: "WebGPU backend names the kernel whose shader fails to compile",
  ignore,
  fn: async () => {
    const be = await createWebGPUBackend();
    const broken = { ...OPS.fill, name: "broken_fill", entry: "no_such_entry" };
    const out = be.alloc("f32", 4);
    be.dispatch({ kernel: broken, buffers: [out], params: { n: 4, value: 1 }, grid: [1, 1] });
    await assertRejects(() => be.read(out), Error, /broken_fill/);
    be.device.destroy();
  },
});

Deno.test("gather() gives zeros for out-of-range and negative i32 indices, and no gradient to them", async (t) => {
  for (const be of gpu ? [ref, gpu] : [ref]) {
    await t.step(be.name, async () => {
      const x = Tensor.from(be, [1, 2, 3, 4], [2, 2]);
      x.requiresGrad = true;
      const tape = new Tape();
      const y = tape.record(() => F.gather(x, Tensor.from(be, new Int32Array([1, -1, 5, 1]))));
      assertEquals(await y.read(), new Float32Array([3, 4, 0, 0, 0, 0, 3, 4]));
      tape.backward(y);
      assertEquals(await x.grad!.read(), new Float32Array([0, 0, 2, 2]));
      tape.dispose();
    });
  }
});
