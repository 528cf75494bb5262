/**
 * What is particular to the wasm-SIMD backend: determinism of a whole step, one vs two threads,
 * buffer handling and backend selection. Per-op forward/backward checks for every backend are in
 * `ops_test.ts`, the MLP fit in `mlp_test.ts`.
 */

import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { type Backend, getBackend, type HostArray, isCpuAdapter } from "../../src/compute/backend.ts";
import * as F from "../../src/compute/functional.ts";
import { Adam } from "../../src/compute/adam.ts";
import { zerosParam } from "../../src/compute/init.ts";
import { Tape } from "../../src/compute/tape.ts";
import { Tensor } from "../../src/compute/tensor.ts";
import { createWasmBackend } from "../../src/compute/wasm.ts";
import { assertClose, randoms, ref, wasm } from "./_op_helper.ts";

const be = wasm;

/** A small graph-network step: gather, matmul+silu, segment mean, softmax, loss and its backward. */
async function step(b: Backend, seed = 5): Promise<Float32Array[]> {
  const x = Tensor.from(b, randoms(300 * 32, seed), [300, 32]);
  const w = Tensor.from(b, randoms(32 * 20, seed + 1), [32, 20]);
  w.requiresGrad = true;
  const ix = Tensor.from(b, Uint32Array.from({ length: 900 }, (_, i) => (i * 7) % 300));
  const rp = Tensor.from(b, Uint32Array.from({ length: 31 }, (_, i) => i * 30));
  const tape = new Tape();
  const loss = tape.record(() => {
    const h = F.matmul(F.gather(x, ix), w, { act: "silu" });
    const s = F.segmentMean(h, rp);
    return F.mean(F.crossEntropy(s, Tensor.from(b, Uint32Array.from({ length: 30 }, (_, i) => i % 20))));
  });
  tape.backward(loss);
  const out = [await loss.read(), await w.grad!.read()] as Float32Array[];
  tape.dispose();
  return [...out, await F.randNormal(b, [1000], { seed }).read() as Float32Array];
}

Deno.test("wasm backend: same inputs and seed give identical bits, close to the reference", async () => {
  const [a, b] = [await step(be), await step(be)];
  a.forEach((x, i) => assertEquals(new Uint32Array(x.buffer), new Uint32Array(b[i].buffer)));
  const r = await step(ref);
  a.forEach((x, i) => assertClose(x, r[i], 1e-5, 1e-4, `output ${i}`));
});

Deno.test("wasm backend: two threads give the same bits as one on work large enough to split", async () => {
  const one = await createWasmBackend({ threads: 1 }), two = await createWasmBackend({ threads: 2 });
  assertEquals([one.threads, two.threads], [1, 2]);
  const run = async (b: Backend): Promise<HostArray[]> => {
    const x = Tensor.from(b, randoms(1001 * 72, 1), [1001, 72]);
    const w = Tensor.from(b, randoms(72 * 36, 2), [72, 36]), bias = Tensor.from(b, randoms(36, 3));
    const ix = Tensor.from(b, Uint32Array.from({ length: 3000 }, (_, i) => (i * 7919) % 1001));
    const rp = Tensor.from(b, Uint32Array.from({ length: 1001 }, (_, i) => 3 * i));
    const h = F.matmul(x, w, { bias, act: "silu" }); // 5.2 Mflop: split by rows
    const g = F.gather(h, ix); // 108 000 elements
    const s = F.segmentMean(g, rp);
    const p = zerosParam(b, [1000, 36]);
    p.grad = F.scale(s, 3, -1);
    new Adam([p], { lr: 0.1 }).step();
    const ba = Tensor.from(b, randoms(2000 * 6 * 9, 4), [2000, 6, 9]);
    const bb = Tensor.from(b, randoms(2000 * 7 * 9, 5), [2000, 7, 9]);
    const bm = F.bmm(ba, bb, { transB: true }); // 1.5 Mflop: split by batch items
    return await Promise.all([h, g, s, F.silu(g), F.fill(b, [40000], 2), p, bm].map((t) => t.read()));
  };
  const [a, c] = [await run(one), await run(two)];
  a.forEach((x, i) => assertEquals(new Uint32Array(x.buffer), new Uint32Array(c[i].buffer), `output ${i}`));
  const r = await run(ref);
  a.forEach((x, i) => assertClose(x, r[i], 1e-5, 1e-4, `output ${i} vs reference`));
});

Deno.test("wasm backend: buffers round-trip every dtype and reject use after free", async () => {
  for (
    const data of [new Float32Array([1.5, -2]), new Uint32Array([7, 2 ** 32 - 1]), new Int32Array([-3, 4])]
  ) {
    const t = Tensor.from(be, data);
    assertEquals(await t.read(), data);
    t.dispose();
  }
  const b = wasm.alloc("f32", 3);
  wasm.free(b);
  await assertRejects(() => wasm.read(b), Error, /freed/);
});

Deno.test("getBackend() picks wasm on CPU adapters and honours prefer", async () => {
  assertEquals((await getBackend({ prefer: "wasm" })).name, "wasm");
  assert(isCpuAdapter({ description: "llvmpipe (LLVM 15.0.6, 256 bits)" }));
  assert(isCpuAdapter({ description: "SwiftShader Device (Subzero)" }));
  assert(!isCpuAdapter({ description: "NVIDIA H100 80GB HBM3" }));
  const adapter = await (async () => {
    try {
      return await navigator.gpu?.requestAdapter();
    } catch {
      return null;
    }
  })();
  const want = adapter && !isCpuAdapter(adapter.info) ? "webgpu" : "wasm";
  assertEquals((await getBackend()).name, want);
});
