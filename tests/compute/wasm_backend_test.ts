/**
 * The wasm-SIMD backend: every registry kernel against the plain-TS reference on random shapes
 * (fast-check, fixed seed), backward through the tape vs central finite differences computed on
 * the wasm backend itself, determinism, a 2-layer MLP fit with Adam, and backend selection.
 */

import fc from "fast-check";
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import {
  type Backend,
  type Dispatch,
  getBackend,
  type HostArray,
  isCpuAdapter,
} from "../../src/compute/backend.ts";
import * as F from "../../src/compute/functional.ts";
import { Adam } from "../../src/compute/adam.ts";
import { glorotUniform, heNormal, zerosParam } from "../../src/compute/init.ts";
import { OPS } from "../../src/compute/ops.ts";
import { Tape, zeroGrad } from "../../src/compute/tape.ts";
import { Tensor } from "../../src/compute/tensor.ts";
import { createWasmBackend, wasmBackend } from "../../src/compute/wasm.ts";
import { assertClose, PROPERTY_SEED, randoms } from "./_op_helper.ts";

const ref = await getBackend({ prefer: "reference" });
const wasm = await wasmBackend();

/** Registry entry points dispatched on the wasm backend by this file (checked at the end). */
const seen = new Set<string>();
/** The wasm backend, recording which kernels run. */
const be: Backend = {
  name: wasm.name,
  maxBindingBytes: wasm.maxBindingBytes,
  alloc: (dtype, length) => wasm.alloc(dtype, length),
  write: (buf, data) => wasm.write(buf, data),
  read: (buf) => wasm.read(buf),
  free: (buf) => wasm.free(buf),
  dispatch: (d: Dispatch) => {
    seen.add(d.kernel.entry);
    wasm.dispatch(d);
  },
  flush: () => wasm.flush(),
  sync: () => wasm.sync(),
};

interface Input {
  data: HostArray;
  shape: number[];
  grad?: boolean;
}
type OpFn = (xs: Tensor[]) => Tensor | Tensor[];
interface Dims {
  a: number;
  b: number;
  c: number;
  seed: number;
}
interface Case {
  name: string;
  make: (d: Dims) => { inputs: Input[]; fn: OpFn };
  /** Keep the first input away from the relu kink for finite differences. */
  awayFromZero?: boolean;
  /** No backward (creation ops). */
  noGrad?: boolean;
}

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
const acts = ["relu", "silu", "sigmoid", "softplus"] as const;

const CASES: Case[] = [
  {
    name: "fill",
    noGrad: true,
    make: ({ a, b }) => ({ inputs: [], fn: () => F.fill(be0(), [a, b], 0.75) }),
  },
  {
    name: "randUniform",
    noGrad: true,
    make: ({ a, b, seed }) => ({
      inputs: [],
      fn: () => F.randUniform(be0(), [a, b], { seed, offset: 3 }, -2, 1),
    }),
  },
  {
    name: "randNormal",
    noGrad: true,
    make: ({ a, b, seed }) => ({
      inputs: [],
      fn: () => F.randNormal(be0(), [a, b + 1], { seed, seedHi: 9 }, 0.5, 2),
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
    ([[0, 0], [0, 1], [2, 0], [0, 3], [2, 1]] as const).map(([ka, kb]): Case => ({
      name: `${op} (broadcast ${ka}/${kb})`,
      make: ({ a, b, seed }) => {
        const [sa, sb] = [[[a, b], [b], [a, 1], [1]][ka], [[a, b], [b], [a, 1], [1]][kb]];
        return { inputs: [f(size(sa), seed, sa), f(size(sb), seed + 1, sb)], fn: ([x, y]) => F[op](x, y) };
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
  ...acts.map((act): Case => ({
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
];

/** The backend creation ops run on (set by `outputs`; inputs carry it otherwise). */
let current: Backend = be;
const be0 = () => current;

async function outputs(b: Backend, fn: OpFn, inputs: Input[]): Promise<HostArray[]> {
  current = b;
  const r = fn(inputs.map((x) => Tensor.from(b, x.data, x.shape)));
  return await Promise.all((Array.isArray(r) ? r : [r]).map((t) => t.read()));
}

const dims = (max: number) =>
  fc.record({
    a: fc.integer({ min: 1, max }),
    b: fc.integer({ min: 1, max }),
    c: fc.integer({ min: 1, max }),
    seed: fc.integer({ min: 1, max: 2 ** 30 }),
  });

Deno.test("wasm backend: every op's forward matches the reference on random shapes", async (t) => {
  for (const c of CASES) {
    await t.step(c.name, async () => {
      await fc.assert(
        fc.asyncProperty(dims(24), async (d) => {
          const { inputs, fn } = c.make(d);
          const [want, got] = [await outputs(ref, fn, inputs), await outputs(be, fn, inputs)];
          want.forEach((w, k) =>
            assertClose(got[k], w, 1e-5, 1e-4, `${c.name} ${JSON.stringify(d)} output ${k}`)
          );
        }),
        { seed: PROPERTY_SEED, numRuns: 8 },
      );
    });
  }
});

/** L = Σ_k Σ out_k · R_k with fixed random weights R_k. */
const weights = (sizes: number[]) => sizes.map((n, k) => randoms(n, 1000 + k));

async function tapeGrads(fn: OpFn, inputs: Input[]): Promise<HostArray[]> {
  const xs = inputs.map((x) => Tensor.from(be, x.data, x.shape));
  xs.forEach((x, i) => x.requiresGrad = !!inputs[i].grad);
  const tape = new Tape();
  const loss = tape.record(() => {
    const r = fn(xs);
    const outs = Array.isArray(r) ? r : [r];
    const ws = weights(outs.map((o) => o.size));
    return outs.map((o, k) => F.sum(F.mul(o, Tensor.from(be, ws[k], o.shape)))).reduce((a, b) => F.add(a, b));
  });
  tape.backward(loss);
  const grads = await Promise.all(
    xs.filter((_, i) => inputs[i].grad).map((x) =>
      x.grad ? x.grad.read() : Promise.resolve(new Float32Array(x.size))
    ),
  );
  tape.dispose();
  return grads;
}

/** Central finite differences of L, with the forward on the wasm backend (L summed in f64). */
async function fdGrads(fn: OpFn, inputs: Input[], eps: number): Promise<Float64Array[]> {
  const L = async (ins: Input[]) => {
    const outs = await outputs(be, fn, ins);
    const ws = weights(outs.map((o) => o.length));
    let s = 0;
    outs.forEach((o, k) => o.forEach((v, i) => s += v * ws[k][i]));
    return s;
  };
  const res: Float64Array[] = [];
  for (const [j, x] of inputs.entries()) {
    if (!x.grad) continue;
    const g = new Float64Array(x.data.length);
    for (let i = 0; i < x.data.length; i++) {
      const plus = x.data.slice(), minus = x.data.slice();
      plus[i] += eps;
      minus[i] -= eps;
      const with_ = (d: HostArray) => inputs.map((y, q) => (q === j ? { ...y, data: d } : y));
      g[i] = ((await L(with_(plus))) - (await L(with_(minus)))) / (2 * eps);
    }
    res.push(g);
  }
  return res;
}

const nonZero = (x: Input): Input => ({ ...x, data: x.data.map((v) => (v < 0 ? v - 0.2 : v + 0.2)) });

Deno.test("wasm backend: backward through the tape matches central finite differences", async (t) => {
  for (const c of CASES) {
    if (c.noGrad) continue;
    await t.step(c.name, async () => {
      for (const d of [{ a: 3, b: 4, c: 5, seed: 11 }, { a: 5, b: 2, c: 3, seed: 12 }]) {
        const { inputs, fn } = c.make(d);
        // Activations are checked on [-4, 4], where finite differences in f32 resolve them.
        const ins = inputs.map((x, i) => {
          const y = acts.some((a) => a === c.name) ? { ...x, data: x.data.map((v) => v / 7.5) } : x;
          return c.awayFromZero && i === 0 && y.grad ? nonZero(y) : y;
        });
        const fd = await fdGrads(fn, ins, 1e-2);
        const got = await tapeGrads(fn, ins);
        fd.forEach((want, k) =>
          assertClose(got[k], want, 2e-2, 2e-2, `${c.name} ${JSON.stringify(d)} grad ${k}`)
        );
      }
    });
  }
});

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

/** Trains y = sin(2x₀) + x₁·x₂/2 on 128 points; returns the first and last loss. */
async function fit(b: Backend, steps: number): Promise<[number, number]> {
  const n = 128, hidden = 32;
  const xs = randoms(n * 3, 3, -1, 1);
  const ys = new Float32Array(n).map((_, i) => Math.sin(2 * xs[3 * i]) + 0.5 * xs[3 * i + 1] * xs[3 * i + 2]);
  const x = Tensor.from(b, xs, [n, 3]), y = Tensor.from(b, ys, [n, 1]);
  const params = [
    heNormal(b, 3, hidden, { seed: 1 }),
    zerosParam(b, [hidden]),
    glorotUniform(b, hidden, 1, { seed: 2 }),
    zerosParam(b, [1]),
  ];
  const [w1, b1, w2, b2] = params;
  const opt = new Adam(params, { lr: 0.02, clip: 10 });
  let first = NaN, last = NaN;
  for (let s = 0; s < steps; s++) {
    const tape = new Tape();
    const loss = tape.record(() =>
      F.mse(F.matmul(F.matmul(x, w1, { bias: b1, act: "silu" }), w2, { bias: b2 }), y)
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

Deno.test("wasm backend: a 2-layer MLP fits a small regression with Adam", async () => {
  const [first, last] = await fit(be, 400);
  assert(last < 0.01 && last < first / 20, `loss ${first} → ${last}`);
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
    return await Promise.all([h, g, s, F.silu(g), F.fill(b, [40000], 2), p].map((t) => t.read()));
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

Deno.test("wasm backend: the tests above ran every registry kernel", () => {
  const missing = [...new Set(Object.values(OPS).map((k) => k.entry))].filter((e) => !seen.has(e));
  assertEquals(missing, []);
});
