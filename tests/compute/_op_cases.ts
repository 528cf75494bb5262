/**
 * The op cases every backend is tested on: one entry per op and kernel variant, each building its
 * inputs from random sizes and a seed. `ops_test.ts` runs them against the reference backend
 * (forward) and central finite differences (backward) on every backend under test.
 *
 * @module
 */

import fc from "fast-check";
import * as F from "../../src/compute/functional.ts";
import { crystalRanges, symmetricDecoderGraph } from "../../src/model/device/decoder_edges.ts";
import { gaussianRadialBasisOnDevice, sphericalBasisOnDevice } from "../../src/nn/device/gemnet_bases.ts";
import { langevinStep } from "../../src/model/device/langevin.ts";
import { neighborTable } from "../../src/model/device/neighbors.ts";
import { Tensor } from "../../src/compute/tensor.ts";
import type { Input, OpFn } from "./_op_helper.ts";
import { randoms } from "./_op_helper.ts";

/** Random sizes for one case: three dimensions and a data seed. */
export interface Dims {
  a: number;
  b: number;
  c: number;
  seed: number;
}

/** One op under test. */
export interface Case {
  name: string;
  make: (d: Dims) => { inputs: Input[]; fn: OpFn };
  /** Keep the first input away from the relu kink for finite differences. */
  awayFromZero?: boolean;
  /** No backward (creation ops). */
  noGrad?: boolean;
}

/** fast-check generator of {@linkcode Dims} with dimensions in 1..max. */
export const dims = (max: number): fc.Arbitrary<Dims> =>
  fc.record({
    a: fc.integer({ min: 1, max }),
    b: fc.integer({ min: 1, max }),
    c: fc.integer({ min: 1, max }),
    seed: fc.integer({ min: 1, max: 2 ** 30 }),
  });

const f = (n: number, seed: number, shape: number[], grad = true, lo = -1, hi = 1): Input => ({
  data: randoms(n, seed, lo, hi),
  shape,
  grad,
});
const idx = (n: number, max: number, seed: number): Input => ({
  data: Uint32Array.from(randoms(n, seed, 0, max), Math.floor),
  shape: [n],
});
/** A random CSR row pointer over `e` rows into `r` segments (some empty). */
function rowptr(e: number, r: number, seed: number): Input {
  const cuts = Array.from(randoms(r - 1, seed, 0, e + 1), Math.floor).sort((x, y) => x - y);
  return { data: Uint32Array.from([0, ...cuts, e]), shape: [r + 1] };
}
const size = (s: number[]) => s.reduce((x, y) => x * y, 1);
/** The activations with their own kernels. */
export const ACTIVATIONS = ["relu", "silu", "sigmoid", "softplus", "sin", "exp", "ssilu"] as const;

/** One case per op (and per kernel variant: vec4 paths, tails, broadcasts, 3-D axes). */
export const CASES: Case[] = [
  {
    name: "fill",
    noGrad: true,
    make: ({ a, b }) => ({ inputs: [], fn: (_, be) => F.fill(be, [a, b], 0.75) }),
  },
  {
    name: "randUniform",
    noGrad: true,
    make: ({ a, b, seed }) => ({
      inputs: [],
      fn: (_, be) => F.randUniform(be, [a, b], { seed, offset: 3 }, -2, 1),
    }),
  },
  {
    name: "randNormal",
    noGrad: true,
    make: ({ a, b, seed }) => ({
      inputs: [],
      fn: (_, be) => F.randNormal(be, [a, b + 1], { seed, seedHi: 9 }, 0.5, 2),
    }),
  },
  {
    name: "matmul",
    make: ({ a, b, c, seed }) => ({
      inputs: [f(a * b, seed, [a, b]), f(b * c, seed + 1, [b, c])],
      fn: ([x, w]) => F.matmul(x, w),
    }),
  },
  {
    name: "matmul (large: blocks, panels and tails)",
    make: ({ a, b, c, seed }) => ({
      inputs: [f(3 * a * b, seed, [3 * a, b]), f(b * (2 * c + 4), seed + 1, [b, 2 * c + 4])],
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
  {
    name: "matmul (vec4 columns, bias, sin)",
    make: ({ a, b, c, seed }) => ({
      inputs: [f(a * b, seed, [a, b]), f(b * 4 * c, seed + 1, [b, 4 * c]), f(4 * c, seed + 2, [4 * c])],
      fn: ([x, w, bias]) => F.matmul(x, w, { bias, act: "sin" }),
    }),
  },
  {
    name: "matmul (transA: aᵀ·b over a long k)",
    make: ({ a, b, c, seed }) => ({
      inputs: [f(9 * a * b, seed, [9 * a, b]), f(9 * a * (2 * c + 4), seed + 1, [9 * a, 2 * c + 4])],
      fn: ([x, y]) => F.matmul(x, y, { transA: true }),
    }),
  },
  {
    name: "matmul (transB: a·bᵀ, blocks and tails)",
    make: ({ a, b, c, seed }) => ({
      inputs: [f(3 * a * b, seed, [3 * a, b]), f((2 * c + 4) * b, seed + 1, [2 * c + 4, b])],
      fn: ([x, w]) => F.matmul(x, w, { transB: true }),
    }),
  },
  ...ACTIVATIONS.map((act): Case => ({
    name: `matmul (bias, ${act})`,
    awayFromZero: act === "relu",
    make: ({ a, b, c, seed }) => ({
      inputs: [f(a * b, seed, [a, b]), f(b * c, seed + 1, [b, c]), f(c, seed + 2, [c])],
      fn: ([x, w, bias]) => F.matmul(x, w, { bias, act }),
    }),
  })),
  ...([[false, false], [true, false], [false, true], [true, true]] as const).map(([ta, tb]): Case => ({
    name: `bmm (transA ${ta}, transB ${tb})`,
    make: ({ a, b, c, seed }) => {
      const [m, k, n] = [b, c, 1 + ((a + b) % 5)];
      const sa = ta ? [a, k, m] : [a, m, k], sb = tb ? [a, n, k] : [a, k, n];
      return {
        inputs: [f(size(sa), seed, sa), f(size(sb), seed + 1, sb)],
        fn: ([x, y]) => F.bmm(x, y, { transA: ta, transB: tb }),
      };
    },
  })),
  {
    name: "reshape",
    make: ({ a, b, c, seed }) => ({
      inputs: [f(a * b * c, seed, [a, b, c])],
      fn: ([x]) => F.reshape(x, [b, -1]),
    }),
  },
  {
    name: "transpose",
    make: ({ a, b, seed }) => ({ inputs: [f(a * b, seed, [a, b])], fn: ([x]) => F.transpose(x) }),
  },
  ...(["add", "sub", "mul"] as const).flatMap((op) =>
    ([[0, 0], [0, 1], [2, 0], [0, 3], [2, 1]] as const).map(([ka, kb]): Case => ({
      name: `${op} (broadcast ${ka}/${kb})`,
      make: ({ a, b, seed }) => {
        const [sa, sb] = [[[a, b], [b], [a, 1], [1]][ka], [[a, b], [b], [a, 1], [1]][kb]];
        return { inputs: [f(size(sa), seed, sa), f(size(sb), seed + 1, sb)], fn: ([x, y]) => F[op](x, y) };
      },
    }))
  ),
  ...([[0, 0], [0, 1], [2, 0]] as const).map(([ka, kb]): Case => ({
    name: `addScaled (broadcast ${ka}/${kb})`,
    make: ({ a, b, seed }) => {
      const [sa, sb] = [[[a, b], [b], [a, 1]][ka], [[a, b], [b], [a, 1]][kb]];
      return {
        inputs: [f(size(sa), seed, sa), f(size(sb), seed + 1, sb)],
        fn: ([x, y]) => F.addScaled(x, y, Math.SQRT1_2),
      };
    },
  })),
  {
    name: "scale",
    make: ({ a, b, seed }) => ({ inputs: [f(a * b, seed, [a, b])], fn: ([x]) => F.scale(x, -1.5, 0.25) }),
  },
  {
    name: "expand",
    make: ({ a, b, seed }) => ({ inputs: [f(b, seed, [1, b])], fn: ([x]) => F.expand(x, [a, b], 0.5) }),
  },
  {
    name: "expand (3-D, middle axis)",
    make: ({ a, b, c, seed }) => ({
      inputs: [f(a * c, seed, [a, 1, c])],
      fn: ([x]) => F.expand(x, [a, b, c]),
    }),
  },
  {
    name: "sumTo",
    make: ({ a, b, seed }) => ({ inputs: [f(a * b, seed, [a, b])], fn: ([x]) => F.sumTo(x, [b]) }),
  },
  {
    name: "sumTo (3-D to [a, 1, c])",
    make: ({ a, b, c, seed }) => ({
      inputs: [f(a * b * c, seed, [a, b, c])],
      fn: ([x]) => F.sumTo(x, [a, 1, c]),
    }),
  },
  ...ACTIVATIONS.map((act): Case => ({
    name: act,
    awayFromZero: act === "relu",
    make: ({ a, b, seed }) => ({ inputs: [f(a * b, seed, [a, b], true, -30, 30)], fn: ([x]) => F[act](x) }),
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
      inputs: [f(a * b, seed, [a, b]), idx(c + 2, a + 1, seed + 1)],
      fn: ([x, i]) => F.gather(x, i),
    }),
  },
  {
    name: "embedding (vec4 rows)",
    make: ({ a, b, c, seed }) => ({
      inputs: [f(a * 4 * b, seed, [a, 4 * b]), idx(2 * c, a, seed + 1)],
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
  ...(["softmax", "logSoftmax"] as const).map((op): Case => ({
    name: op,
    make: ({ a, b, seed }) => ({ inputs: [f(a * b, seed, [a, b], true, -3, 3)], fn: ([x]) => F[op](x) }),
  })),
  {
    name: "crossEntropy",
    make: ({ a, b, seed }) => ({
      inputs: [f(a * b, seed, [a, b], true, -3, 3), idx(a, b, seed + 1)],
      fn: ([x, t]) => F.crossEntropy(x, t),
    }),
  },
  {
    name: "crossEntropy (row weights)",
    make: ({ a, b, seed }) => ({
      inputs: [f(a * b, seed, [a, b], true, -3, 3), idx(a, b, seed + 1), f(a, seed + 2, [a], false, 0, 2)],
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
  {
    name: "neighborTable",
    noGrad: true,
    make: ({ a, c, seed }) => ({ inputs: cells(a, 1 + (c % 3), seed), fn: neighborTableCase(1 + (c % 20)) }),
  },
  {
    name: "symmetricDecoderGraph + bases",
    noGrad: true,
    make: ({ a, c, seed }) => {
      const inputs = cells(a, 1 + (c % 3), seed);
      const range = { data: crystalRanges(inputs[2].data), shape: [2 * a] };
      return { inputs: [...inputs, range], fn: decoderGraphCase(1 + (c % 20)) };
    },
  },
  {
    name: "langevinStep",
    noGrad: true,
    make: ({ a, b, c, seed }) => {
      const [frac, crystal, offsets, lattices] = cells(a, 1 + (c % 3), seed);
      const nc = offsets.shape[0] - 1;
      return {
        inputs: [
          frac,
          f(3 * a, seed + 2, [a, 3], false, -5, 5),
          f(a * b, seed + 3, [a, b], false),
          f(3 * a, seed + 4, [a, 3], false),
          lattices,
          f(9 * nc, seed + 5, [nc, 9], false, -0.3, 0.3),
          crystal,
          { data: new Uint32Array(a), shape: [a] },
        ],
        fn: ([x, scores, logits, noise, lat, inv, cry, types]) => {
          const state = { frac: x, types, lattices: lat, inverses: inv, crystal: cry };
          langevinStep(state, scores, logits, noise, { stepSize: 0.01, noiseStd: 0.1, sigma: 0.5 });
          return [x, types];
        },
      };
    },
  },
];

/** `a` points in `b` cells (consecutive runs; the last takes the rest): frac, crystal, offsets, lattices. */
function cells(a: number, b: number, seed: number): Input[] {
  const offsets = Uint32Array.from({ length: b + 1 }, (_, i) => (i === b ? a : Math.floor((i * a) / b)));
  const crystal = new Uint32Array(a);
  for (let i = 0; i < b; i++) crystal.fill(i, offsets[i], offsets[i + 1]);
  // Near-diagonal cells of 3–6 Å: many candidates within the 7 Å cutoff, some cut by the cap.
  const lattices = randoms(9 * b, seed + 1, -0.8, 0.8).map((x, i) => ((i % 9) % 4 === 0 ? 4.5 + 2 * x : x));
  return [
    { data: randoms(3 * a, seed, 0, 1), shape: [a, 3] },
    { data: crystal, shape: [a] },
    { data: offsets, shape: [b + 1] },
    { data: lattices, shape: [b, 9] },
  ];
}

/** The table, then GemNet's graph, triplets and both bases on it (every decoder_edges kernel). */
const decoderGraphCase = (k: number): OpFn => async ([frac, crystal, offsets, lattices, range]) => {
  const t = neighborTable(frac, crystal, offsets, lattices, { cutoff: 7, maxNeighbors: k });
  const g = await symmetricDecoderGraph(t, range);
  const centres = Tensor.from(frac.backend, Float32Array.from({ length: 6 }, (_, i) => i / 5), [6]);
  const rbf = gaussianRadialBasisOnDevice(g.edgeGeometry, centres, { cutoff: 7, envelopeExponent: 5 });
  const { numEdges: _, kmax: __, dispose: ___, ...tensors } = g;
  return [...Object.values(tensors), rbf, sphericalBasisOnDevice(g, 4)];
};

const neighborTableCase = (k: number): OpFn => ([frac, crystal, offsets, lattices]) => {
  const t = neighborTable(frac, crystal, offsets, lattices, { cutoff: 7, maxNeighbors: k });
  return [t.edges, t.geom, t.count];
};
