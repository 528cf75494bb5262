/**
 * What is particular to the wasm-SIMD backend: determinism of a whole step, one vs two threads,
 * buffer handling and backend selection. Per-op forward/backward checks for every backend are in
 * `ops_test.ts`, the MLP fit in `mlp_test.ts`.
 */

import { assert, assertAllClose, assertEquals, assertRejects } from "../_assert.ts";
import { type Backend, getBackend, type HostArray, isCpuAdapter } from "../../src/compute/backend.ts";
import * as F from "../../src/compute/functional.ts";
import { Adam } from "../../src/compute/adam.ts";
import { zerosParam } from "../../src/compute/init.ts";
import { Tape } from "../../src/compute/tape.ts";
import { Tensor } from "../../src/compute/tensor.ts";
import { createWasmBackend } from "../../src/compute/wasm.ts";
import { randoms, ref, wasm } from "./_op_helper.ts";

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
  a.forEach((x, i) => assertAllClose(x, r[i], { atol: 1e-5, rtol: 1e-4 }, `output ${i}`));
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
    const tn = F.matmul(g, F.scale(g, 0.5), { transA: true }); // 3000 × 36 × 36: split over k
    const nt = F.matmul(h, w, { transB: true }); // 1001 × 72 × 36: split over rows
    const sx = Tensor.from(b, randoms(40 * 200, 6), [40, 200]),
      sw = Tensor.from(b, randoms(200 * 301, 7), [200, 301]);
    const few = F.matmul(sx, sw, { bias: Tensor.from(b, randoms(301, 8)), act: "silu" }); // 40 rows: by panels
    const lx = Tensor.from(b, randoms(20000 * 48, 9), [20000, 48]);
    const tn10 = F.matmul(lx, F.scale(lx, 0.25), { transA: true }); // 92 Mflop: ten slices of k
    const outs = [h, g, s, F.silu(g), F.fill(b, [40000], 2), p, bm, tn, nt, few, tn10];
    return await Promise.all(outs.map((t) => t.read()));
  };
  const [a, c] = [await run(one), await run(two)];
  a.forEach((x, i) => assertEquals(new Uint32Array(x.buffer), new Uint32Array(c[i].buffer), `output ${i}`));
  const r = await run(ref);
  a.forEach((x, i) => assertAllClose(x, r[i], { atol: 1e-5, rtol: 1e-4 }, `output ${i} vs reference`));
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

Deno.test("wasm backend: training steps keep allocated bytes flat; backward frees consumed gradients", async () => {
  const b = await createWasmBackend({ threads: 1 });
  const [rows, width, depth] = [512, 64, 12];
  const param = (data: Float32Array, shape: number[]) => {
    const t = Tensor.from(b, data, shape);
    t.requiresGrad = true;
    return t;
  };
  const ws = Array.from(
    { length: depth },
    (_, i) => param(randoms(width * width, 10 + i, -0.2, 0.2), [width, width]),
  );
  const bs = Array.from({ length: depth }, (_, i) => param(randoms(width, 40 + i, -0.1, 0.1), [width]));
  const params = [...ws, ...bs];
  const opt = new Adam(params, { lr: 1e-3 });
  const x = Tensor.from(b, randoms(rows * width, 1), [rows, width]);
  const y = Tensor.from(b, randoms(rows * width, 2), [rows, width]);
  const act = rows * width * 4, paramBytes = params.reduce((s, p) => s + p.size * 4, 0);
  const after: { live: number; memory: number; forward: number; backwardGrowth: number }[] = [];
  for (let it = 0; it < 5; it++) {
    const tape = new Tape();
    const loss = tape.record(() => {
      let h = x;
      for (let l = 0; l < depth; l++) {
        h = F.add(h, F.scale(F.matmul(h, ws[l], { bias: bs[l], act: "silu" }), 0.5));
      }
      return F.mse(h, y);
    });
    await loss.read();
    const forward = b.memoryStats().liveBytes;
    b.resetPeak();
    tape.backward(loss);
    const backwardGrowth = b.memoryStats().peakLiveBytes - forward;
    opt.step();
    tape.dispose();
    for (const p of params) {
      p.grad?.dispose();
      p.grad = undefined;
    }
    const s = b.memoryStats();
    after.push({ live: s.liveBytes, memory: s.memoryBytes, forward, backwardGrowth });
  }
  for (const a of after.slice(1)) {
    assertEquals(a.live, after[0].live, "live bytes after a step");
    assertEquals(a.forward, after[0].forward, "live bytes after the forward");
    assertEquals(a.backwardGrowth, after[1].backwardGrowth, "peak growth in the backward");
  }
  assertEquals(after[4].memory, after[1].memory, "linear memory grew after the first steps");
  // The forward holds ~4 activations per layer; the backward's frontier is a few activations and
  // the parameters' gradients (keeping every intermediate gradient took ~4 per layer again).
  assert(
    after[1].backwardGrowth <= 8 * act + 2 * paramBytes,
    `backward grew by ${after[1].backwardGrowth} bytes (activation ${act}, parameters ${paramBytes})`,
  );
  opt.dispose();
  for (const t of [...params, x, y]) t.dispose();
});

Deno.test("wasm backend: kernels work on buffers above 2 GiB of the threaded build's 4 GiB memory", async () => {
  const b = await createWasmBackend({ threads: 2 });
  // Two large blocks, never written (the pages stay untouched), push the next buffers past 2 GiB.
  const pad = [b.alloc("f32", 2 ** 28), b.alloc("f32", 2 ** 28 + 2 ** 24)];
  assert(b.memoryStats().memoryBytes > 2 ** 31 + 2 ** 26, "memory did not grow past 2 GiB");
  const run = async (be: Backend): Promise<HostArray[]> => {
    const x = Tensor.from(be, randoms(700 * 48, 3), [700, 48]);
    const w = Tensor.from(be, randoms(48 * 40, 4), [48, 40]);
    const h = F.matmul(x, w, { act: "silu" }); // split across both threads
    const ix = Tensor.from(be, Uint32Array.from({ length: 1500 }, (_, i) => (i * 31) % 700));
    return await Promise.all([h, F.gather(h, ix), F.scale(h, 2, 1)].map((t) => t.read()));
  };
  const [got, want] = [await run(b), await run(ref)];
  got.forEach((g, i) => assertAllClose(g, want[i], { atol: 1e-5, rtol: 1e-4 }, `output ${i}`));
  for (const p of pad) b.free(p);
});
