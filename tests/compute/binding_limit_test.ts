/**
 * Row-wise ops split their work when a buffer exceeds the WebGPU binding limit: the limit is lowered
 * and each op, forward and backward, must match the unsplit WebGPU run exactly and the reference.
 *
 * @module
 */

import { assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import type { Backend } from "../../src/compute/backend.ts";
import * as F from "../../src/compute/functional.ts";
import { Tape } from "../../src/compute/tape.ts";
import { Tensor } from "../../src/compute/tensor.ts";
import { ignore } from "../_gpu.ts";
import { assertClose, gpu, randoms, ref } from "./_op_helper.ts";

/** Forward output, then the gradient of every input that requires one. */
type Run = (be: Backend) => Promise<Float32Array[]>;

/** Records `f` on `inputs` (f32 arrays with shapes), seeds backward with a fixed gradient. */
function withGrad(
  inputs: [Float32Array, number[]][],
  f: (be: Backend, xs: Tensor[]) => Tensor,
): Run {
  return async (be) => {
    const xs = inputs.map(([a, s]) => {
      const t = Tensor.from(be, a, s);
      t.requiresGrad = true;
      return t;
    });
    const tape = new Tape();
    const y = tape.record(() => f(be, xs));
    tape.backward(y, Tensor.from(be, randoms(y.size, 99), y.shape));
    const res = [await y.read() as Float32Array];
    for (const x of xs) res.push(await x.grad!.read() as Float32Array);
    tape.dispose();
    return res;
  };
}

/** Runs `run` on WebGPU with the binding limit lowered to `limit` bytes, restoring it afterwards. */
async function lowered<T>(limit: number, run: () => Promise<T>): Promise<T> {
  const saved = gpu!.maxBindingBytes;
  gpu!.maxBindingBytes = limit;
  try {
    return await run();
  } finally {
    gpu!.maxBindingBytes = saved;
  }
}

/** Split run == unsplit WebGPU run, and ≈ the reference. */
async function check(run: Run, limit: number, tol = 1e-5): Promise<void> {
  const whole = await run(gpu!);
  const split = await lowered(limit, () => run(gpu!));
  const want = await run(ref);
  assertEquals(split.length, want.length);
  split.forEach((s, i) => {
    assertEquals(s, whole[i]);
    assertClose(s, want[i], tol, tol);
  });
}

/** Random CSR row pointers over `segs` segments (some empty) and their total row count. */
function csr(segs: number, seed: number): { rowptr: Uint32Array; rows: number } {
  const sizes = randoms(segs, seed, 0, 9);
  const rowptr = new Uint32Array(segs + 1);
  for (let s = 0; s < segs; s++) rowptr[s + 1] = rowptr[s] + (s % 7 === 3 ? 0 : Math.floor(sizes[s]));
  return { rowptr, rows: rowptr[segs] };
}

for (const c of [3, 8]) {
  Deno.test({
    name: `gather() and embedding() split over output rows (c = ${c})`,
    ignore,
    fn: async () => {
      const n = 40, r = 700;
      const idx = Uint32Array.from(randoms(r, 5, 0, n + 2), Math.floor); // a few out of range
      const table = randoms(n * c, 6);
      for (const op of [F.gather, F.embedding]) {
        const run: Run = async (be) =>
          [await op(Tensor.from(be, table, [n, c]), Tensor.from(be, idx)).read()] as Float32Array[];
        await check(run, 128 * 4 * c);
      }
      // The backward reads gradient rows in any order: they must fit one binding.
      const grad = withGrad([[table, [n, c]]], (be, [x]) => F.gather(x, Tensor.from(be, idx)));
      await check(grad, 2 * r * 4 * c);
      await lowered(128 * 4 * c, async () => {
        await assertRejects(() => grad(gpu!), RangeError, /binding limit/);
        // A table above the limit is refused.
        const big = Tensor.from(gpu!, randoms(200 * c, 7), [200, c]);
        assertThrows(() => F.gather(big, Tensor.from(gpu!, idx)), RangeError, /binding limit/);
      });
    },
  });

  Deno.test({
    name: `segmentSum() and segmentMean() split over segments, forward and backward (c = ${c})`,
    ignore,
    fn: async () => {
      const segs = 300;
      const { rowptr, rows } = csr(segs, 11 + c);
      const x = randoms(rows * c, 12);
      for (const op of [F.segmentSum, F.segmentMean]) {
        const run = withGrad([[x, [rows, c]]], (be, [t]) => op(t, Tensor.from(be, rowptr)));
        await check(run, 512 * 4 * c);
      }
      // Segment sums over a permutation (the gather backward): more segments than rows, so the
      // output splits while the permuted rows are bound whole.
      const pr = 100, pSegs = 400;
      const pptr = Uint32Array.from({ length: pSegs + 1 }, (_, s) => Math.floor((s * pr) / pSegs));
      const px = randoms(pr * c, 13);
      const perm = Uint32Array.from({ length: pr }, (_, i) => (i * 37) % pr);
      const viaPerm = async (be: Backend) => [
        await F.segmentReduce(
          Tensor.from(be, px, [pr, c]),
          Tensor.from(be, pptr),
          false,
          Tensor.from(be, perm),
        )
          .read() as Float32Array,
      ];
      await check(viaPerm, pr * 4 * c);
    },
  });

  Deno.test({
    name: `softmax(), logSoftmax() and crossEntropy() split over rows, forward and backward (c = ${c})`,
    ignore,
    fn: async () => {
      const r = 300;
      const x = randoms(r * c, 21, -3, 3);
      for (const op of [F.softmax, F.logSoftmax]) {
        await check(withGrad([[x, [r, c]]], (_, [t]) => op(t)), 64 * 4 * c);
      }
      const target = Uint32Array.from(randoms(r, 22, 0, c), Math.floor);
      const weight = randoms(r, 23, 0, 2);
      for (const w of [undefined, weight]) {
        const run = withGrad(
          [[x, [r, c]]],
          (be, [t]) => F.crossEntropy(t, Tensor.from(be, target), w && Tensor.from(be, w)),
        );
        await check(run, 64 * 4 * c);
      }
    },
  });
}

Deno.test({
  name: "bmm() splits over batch items and reshape() over elements, forward and backward",
  ignore,
  fn: async () => {
    const [r, m, k, n] = [300, 3, 5, 2];
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
      const run = withGrad(
        [[randoms(r * m * k, 31), ta ? [r, k, m] : [r, m, k]], [
          randoms(r * k * n, 32),
          tb ? [r, n, k] : [r, k, n],
        ]],
        (_, [a, b]) => F.bmm(a, b, { transA: ta, transB: tb }),
      );
      await check(run, 64 * 4 * m * k); // 64 batch items per dispatch
    }
    await check(withGrad([[randoms(1000, 33), [100, 10]]], (_, [x]) => F.reshape(x, [10, 100])), 256 * 4);
  },
});
