/**
 * Every op: forward on WebGPU vs the plain-TS reference on random shapes and values (fast-check),
 * and backward on both backends vs central finite differences.
 */

import fc from "fast-check";
import * as F from "../../src/compute/functional.ts";
import type { Tensor } from "../../src/compute/tensor.ts";
import { ignore } from "../_gpu.ts";
import { checkBackward, checkForward, type Input, type OpFn, PROPERTY_SEED, randoms } from "./_op_helper.ts";

/** Random sizes for one case: three dimensions in 1..maxDim and a data seed. */
interface Dims {
  a: number;
  b: number;
  c: number;
  seed: number;
}

interface Case {
  name: string;
  make: (d: Dims) => { inputs: Input[]; fn: OpFn };
  /** Keep values away from kinks (relu) for finite differences. */
  awayFromZero?: boolean;
}

const f = (n: number, seed: number, shape: number[], grad = true, lo = -1, hi = 1): Input => ({
  data: randoms(n, seed, lo, hi),
  shape,
  grad,
});
const nonZero = (x: Input): Input => ({ ...x, data: x.data.map((v) => (v < 0 ? v - 0.2 : v + 0.2)) });

function indices(n: number, max: number, seed: number): Input {
  return { data: Uint32Array.from(randoms(n, seed, 0, max), Math.floor), shape: [n] };
}

/** A random CSR row pointer over `e` rows into `r` segments (some empty). */
function rowptr(e: number, r: number, seed: number): Input {
  const cuts = Array.from(randoms(r - 1, seed, 0, e + 1), Math.floor).sort((x, y) => x - y);
  return { data: Uint32Array.from([0, ...cuts, e]), shape: [r + 1] };
}

const acts = ["relu", "silu", "sigmoid", "softplus"] as const;

const CASES: Case[] = [
  {
    name: "matmul",
    make: ({ a, b, c, seed }) => ({
      inputs: [f(a * b, seed, [a, b]), f(b * c, seed + 1, [b, c])],
      fn: ([x, w]) => F.matmul(x, w),
    }),
  },
  {
    name: "matmul (vec4 columns, bias, silu)",
    make: ({ a, b, c, seed }) => ({
      inputs: [f(a * b, seed, [a, b]), f(b * 4 * c, seed + 1, [b, 4 * c]), f(4 * c, seed + 2, [4 * c])],
      fn: ([x, w, bias]) => F.matmul(x, w, { bias, act: "silu" }),
    }),
  },
  ...acts.map((act): Case => ({
    name: `matmul (bias, ${act})`,
    awayFromZero: act === "relu",
    make: ({ a, b, c, seed }) => ({
      inputs: [f(a * b, seed, [a, b]), f(b * c, seed + 1, [b, c]), f(c, seed + 2, [c])],
      fn: ([x, w, bias]) => F.matmul(x, w, { bias, act }),
    }),
  })),
  {
    name: "transpose",
    make: ({ a, b, seed }) => ({ inputs: [f(a * b, seed, [a, b])], fn: ([x]) => F.transpose(x) }),
  },
  ...(["add", "sub", "mul"] as const).flatMap((op) =>
    ([[0, 0], [0, 1], [2, 0], [0, 3]] as const).map(([ka, kb]): Case => ({
      name: `${op} (broadcast ${ka}/${kb})`,
      make: ({ a, b, seed }) => {
        const shapes = [[a, b], [b], [a, 1], [1]];
        const [sa, sb] = [shapes[ka], shapes[kb]];
        const n = (s: number[]) => s.reduce((x, y) => x * y, 1);
        return { inputs: [f(n(sa), seed, sa), f(n(sb), seed + 1, sb)], fn: ([x, y]) => F[op](x, y) };
      },
    }))
  ),
  {
    name: "scale",
    make: ({ a, b, seed }) => ({ inputs: [f(a * b, seed, [a, b])], fn: ([x]) => F.scale(x, -1.5, 0.25) }),
  },
  {
    name: "expand",
    make: ({ a, b, seed }) => ({ inputs: [f(b, seed, [1, b])], fn: ([x]) => F.expand(x, [a, b], 0.5) }),
  },
  {
    name: "sumTo",
    make: ({ a, b, seed }) => ({ inputs: [f(a * b, seed, [a, b])], fn: ([x]) => F.sumTo(x, [b]) }),
  },
  ...acts.map((act): Case => ({
    name: act,
    awayFromZero: act === "relu",
    make: ({ a, b, seed }) => ({ inputs: [f(a * b, seed, [a, b], true, -4, 4)], fn: ([x]) => F[act](x) }),
  })),
  {
    name: "concat",
    make: ({ a, b, c, seed }) => ({
      inputs: [f(a * b, seed, [a, b]), f(a * c, seed + 1, [a, c]), f(a, seed + 2, [a, 1])],
      fn: (xs) => F.concat(xs),
    }),
  },
  {
    name: "split",
    make: ({ a, b, c, seed }) => ({
      inputs: [f(a * (b + c), seed, [a, b + c])],
      fn: ([x]) => F.split(x, [c, b]),
    }),
  },
  {
    name: "gather",
    make: ({ a, b, c, seed }) => ({
      inputs: [f(a * b, seed, [a, b]), indices(c + 2, a, seed + 1)],
      fn: ([x, i]) => F.gather(x, i),
    }),
  },
  {
    name: "embedding",
    make: ({ a, b, c, seed }) => ({
      inputs: [f(a * b, seed, [a, b]), indices(2 * c, a, seed + 1)],
      fn: ([x, i]) => F.embedding(x, i),
    }),
  },
  ...(["segmentSum", "segmentMean"] as const).map((op): Case => ({
    name: op,
    make: ({ a, b, c, seed }) => ({
      inputs: [f(a * c, seed, [a, c]), rowptr(a, b, seed + 1)],
      fn: ([x, rp]) => F[op](x, rp),
    }),
  })),
  {
    name: "softmax",
    make: ({ a, b, seed }) => ({ inputs: [f(a * b, seed, [a, b], true, -3, 3)], fn: ([x]) => F.softmax(x) }),
  },
  {
    name: "logSoftmax",
    make: ({ a, b, seed }) => ({
      inputs: [f(a * b, seed, [a, b], true, -3, 3)],
      fn: ([x]) => F.logSoftmax(x),
    }),
  },
  {
    name: "crossEntropy",
    make: ({ a, b, seed }) => ({
      inputs: [f(a * b, seed, [a, b], true, -3, 3), indices(a, b, seed + 1)],
      fn: ([x, t]) => F.crossEntropy(x, t),
    }),
  },
  {
    name: "crossEntropy (row weights)",
    make: ({ a, b, seed }) => ({
      inputs: [
        f(a * b, seed, [a, b], true, -3, 3),
        indices(a, b, seed + 1),
        f(a, seed + 2, [a], false, 0, 2),
      ],
      fn: ([x, t, w]) => F.crossEntropy(x, t, w),
    }),
  },
  {
    name: "mse",
    make: ({ a, b, seed }) => ({
      inputs: [f(a * b, seed, [a, b]), f(a * b, seed + 1, [a, b])],
      fn: ([x, y]) => F.mse(x, y),
    }),
  },
  { name: "sum", make: ({ a, b, seed }) => ({ inputs: [f(a * b, seed, [a, b])], fn: ([x]) => F.sum(x) }) },
  { name: "mean", make: ({ a, b, seed }) => ({ inputs: [f(a * b, seed, [a, b])], fn: ([x]) => F.mean(x) }) },
];

const dims = (max: number) =>
  fc.record({
    a: fc.integer({ min: 1, max }),
    b: fc.integer({ min: 1, max }),
    c: fc.integer({ min: 1, max }),
    seed: fc.integer({ min: 1, max: 2 ** 30 }),
  });

Deno.test({
  name: "ops: WebGPU forward matches the reference on random shapes",
  ignore,
  fn: async (t) => {
    for (const c of CASES) {
      await t.step(c.name, async () => {
        await fc.assert(
          fc.asyncProperty(dims(24), async (d) => {
            const { inputs, fn } = c.make(d);
            await checkForward(fn, inputs, 1e-5, 1e-4, `${c.name} ${JSON.stringify(d)}`);
          }),
          { seed: PROPERTY_SEED, numRuns: 8 },
        );
      });
    }
  },
});

Deno.test("ops: backward matches central finite differences", async (t) => {
  for (const c of CASES) {
    await t.step(c.name, async () => {
      for (const d of [{ a: 3, b: 4, c: 5, seed: 11 }, { a: 5, b: 2, c: 3, seed: 12 }]) {
        const { inputs, fn } = c.make(d);
        const ins = c.awayFromZero ? inputs.map((x, i) => (i === 0 && x.grad ? nonZero(x) : x)) : inputs;
        await checkBackward(
          fn as (xs: Tensor[]) => Tensor,
          ins,
          1e-2,
          2e-2,
          `${c.name} ${JSON.stringify(d)}`,
        );
      }
    });
  }
});
