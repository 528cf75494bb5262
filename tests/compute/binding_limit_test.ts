/**
 * Row-wise ops split their work when a buffer exceeds the WebGPU binding limit: the limit is lowered
 * and each op, forward and backward, must match the unsplit WebGPU run exactly and the reference.
 *
 * @module
 */

import { assertAllClose, assertEquals, assertThrows } from "../_assert.ts";
import type { Backend } from "../../src/compute/backend.ts";
import * as F from "../../src/compute/functional.ts";
import { Tape } from "../../src/compute/tape.ts";
import { Tensor } from "../../src/compute/tensor.ts";
import { ignore } from "../_gpu.ts";
import { gpu, randoms, ref } from "./_op_helper.ts";

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
async function lowered<T>(limit: number, run: () => T | Promise<T>): Promise<T> {
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
    assertAllClose(s, want[i], { atol: tol, rtol: tol });
  });
}

/** Split run ≈ unsplit WebGPU run and ≈ the reference (for sums split into partial sums). */
async function checkClose(run: Run, limit: number, tol = 1e-5): Promise<void> {
  const whole = await run(gpu!);
  const split = await lowered(limit, () => run(gpu!));
  const want = await run(ref);
  assertEquals(split.length, want.length);
  split.forEach((s, i) => {
    assertAllClose(s, whole[i], { atol: tol, rtol: tol }, `output ${i} vs one dispatch`);
    assertAllClose(s, want[i], { atol: tol, rtol: tol }, `output ${i} vs reference`);
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
      // The backward reads gradient rows in any order: above the limit it reduces ranges of them
      // into partial gradients added in order (close to, not the bits of, one reduction).
      const grad = withGrad([[table, [n, c]]], (be, [x]) => F.gather(x, Tensor.from(be, idx)));
      await check(grad, 2 * r * 4 * c);
      await checkClose(grad, 128 * 4 * c);
      await lowered(128 * 4 * c, () => {
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

Deno.test({
  name: "matmul() with transA / transB splits over k / rows, forward and backward (bits of one dispatch)",
  ignore,
  fn: async () => {
    const [k, m, n] = [300, 6, 10];
    // aᵀ·b: a [k, m], b [k, n]; k splits into ranges added in order to out (ACC), same bits.
    const tn = withGrad(
      [[randoms(k * m, 41), [k, m]], [randoms(k * n, 42), [k, n]]],
      (_, [a, b]) => F.matmul(a, b, { transA: true }),
    );
    await check(tn, 64 * 4 * n);
    // a·bᵀ: a [k, n] split over rows, b [m, n] whole; the plain matmul's backward uses both.
    const nt = withGrad(
      [[randoms(k * n, 43), [k, n]], [randoms(m * n, 44), [m, n]]],
      (_, [a, b]) => F.matmul(a, b, { transB: true }),
    );
    await check(nt, 64 * 4 * n);
    const plain = withGrad(
      [[randoms(k * n, 45), [k, n]], [randoms(n * m, 46), [n, m]]],
      (_, [a, b]) => F.matmul(a, b, { act: "silu" }),
    );
    await check(plain, 64 * 4 * n);
  },
});

Deno.test({
  name: "concat(), split() and transpose() split over rows, forward and backward",
  ignore,
  fn: async () => {
    const r = 300;
    const parts: [Float32Array, number[]][] = [[randoms(r * 3, 51), [r, 3]], [randoms(r * 5, 52), [r, 5]]];
    await check(withGrad(parts, (_, xs) => F.concat(xs)), 64 * 4 * 8);
    await check(withGrad([[randoms(r * 8, 53), [r, 8]]], (_, [x]) => F.split(x, [3, 5])[1]), 64 * 4 * 8);
    // [200, 70]ᵀ: chunks of 128 rows of x, each transposed and copied into its columns of out in
    // chunks of 64 of its rows.
    await check(withGrad([[randoms(200 * 70, 54), [200, 70]]], (_, [x]) => F.transpose(x)), 64 * 4 * 200);
  },
});

Deno.test({
  name: "broadcast add/sub/mul, expand() and sumTo() split over output boxes (and sumTo over reduced rows)",
  ignore,
  fn: async () => {
    const [r, c] = [300, 8];
    const x = randoms(r * c, 61), row = randoms(c, 62), col = randoms(r, 63);
    for (const op of [F.add, F.sub, F.mul]) {
      // Forward: each output element computed as in one dispatch: same bits.
      const fwd: Run = async (be) => [
        await op(Tensor.from(be, x, [r, c]), Tensor.from(be, row, [c])).read() as Float32Array,
        await op(Tensor.from(be, col, [r, 1]), Tensor.from(be, x, [r, c])).read() as Float32Array,
      ];
      await check(fwd, 64 * 4 * c);
      // Backward: the broadcast operand's gradient is a sum over rows, split into partial sums.
      await checkClose(withGrad([[x, [r, c]], [row, [c]]], (_, [a, b]) => op(a, b)), 64 * 4 * c);
    }
    const ex: Run = async (
      be,
    ) => [await F.expand(Tensor.from(be, row, [1, c]), [r, c], 0.5).read() as Float32Array];
    await check(ex, 64 * 4 * c);
    // Kept rows: split over them (same bits); reduced rows: partial sums.
    const keep: Run = async (
      be,
    ) => [await F.sumTo(Tensor.from(be, x, [r, c]), [r, 1]).read() as Float32Array];
    await check(keep, 64 * 4 * c);
    await checkClose(withGrad([[x, [r, c]]], (_, [t]) => F.sumTo(t, [c])), 64 * 4 * c);
    await checkClose(
      withGrad([[randoms(r * 128, 64), [r, 2, 64]]], (_, [t]) => F.sumTo(t, [2, 64])),
      64 * 4 * 128,
    );
  },
});

Deno.test({
  name: "sum(), mean() and mse() split into partial sums, forward and backward",
  ignore,
  fn: async () => {
    const n = 1000;
    const a = randoms(n, 71), b = randoms(n, 72);
    await checkClose(withGrad([[a, [n]]], (_, [x]) => F.sum(x)), 256 * 4);
    await checkClose(withGrad([[a, [n]]], (_, [x]) => F.mean(x)), 256 * 4);
    await checkClose(withGrad([[a, [n]], [b, [n]]], (_, [x, y]) => F.mse(x, y)), 256 * 4);
  },
});
