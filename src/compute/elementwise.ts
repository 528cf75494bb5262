/**
 * Elementwise ops: broadcasting binary ops, scaling, expand/sum-to, activations and their
 * backward. Re-exported by `functional.ts`.
 *
 * @module
 */

import { ACT, type Activation } from "./_cpu.ts";
import {
  extent,
  flatView,
  grid1d,
  launch,
  launchBroadcast,
  launchElementwise,
  out,
  ROW_ALIGN,
  splitBoxes,
} from "./_launch.ts";
import { OPS } from "./ops.ts";
import { recordOp } from "./recording.ts";
import type { Tensor } from "./tensor.ts";

/**
 * The broadcast shape of `a` and `b` (NumPy rules, rank ≤ 4).
 *
 * @example NumPy rules
 * ```ts
 * import { getBackend } from "./backend.ts";
 * import { broadcastShape } from "./functional.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = await getBackend({ prefer: "reference" });
 * assertEquals(broadcastShape([4, 1], [3]), [4, 3]);
 * ```
 */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  if (r > 4) throw new RangeError(`Cannot broadcast rank ${r}: at most 4 dimensions are supported`);
  const o: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1, y = b[b.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new TypeError(`Cannot broadcast shapes [${a}] and [${b}]`);
    o.push(x === 1 ? y : x);
  }
  return o;
}

/** Output dims d0..d3 and strides `${key}0..3` of `shape` broadcast into `outShape` (padded to rank 4). */
function bcastParams(
  shape: readonly number[],
  outShape: readonly number[],
  key: string,
): Record<string, number> {
  const o = [...Array(4 - outShape.length).fill(1), ...outShape];
  const s = [...Array(4 - shape.length).fill(1), ...shape];
  const p: Record<string, number> = {};
  let stride = 1;
  for (let i = 3; i >= 0; i--) {
    p[`d${i}`] = o[i];
    p[`${key}${i}`] = s[i] === 1 ? 0 : stride;
    stride *= s[i];
  }
  return p;
}

const BINARY = { add: 0, sub: 1, mul: 2 } as const;
/** The padded dims d0..d3 and the strides `${key}0..3` of a broadcast parameter set. */
function dimsOf(p: Record<string, number>, key = "d"): number[] {
  return [0, 1, 2, 3].map((i) => p[`${key}${i}`]);
}

/** Uniforms of a broadcasting kernel for a box of dims `d`: the dims, each operand's strides, n. */
function boxParams(d: number[], strides: Record<string, number[]>): Record<string, number> {
  const p: Record<string, number> = { n: d.reduce((x, y) => x * y, 1) };
  d.forEach((x, i) => p[`d${i}`] = x);
  for (const [key, s] of Object.entries(strides)) s.forEach((x, i) => p[`${key}${i}`] = x);
  return p;
}

/** Elementwise a op b with broadcasting (split over output boxes above the binding limit); not recorded. */
function binaryLaunch(kind: keyof typeof BINARY, a: Tensor, b: Tensor, shape: number[], alpha = 1): Tensor {
  const o = out(a.backend, shape);
  const pa = bcastParams(a.shape, shape, "a"), pb = bcastParams(b.shape, shape, "b");
  const sa = dimsOf(pa, "a"), sb = dimsOf(pb, "b");
  const ins = [{ t: a, s: sa }, { t: b, s: sb }];
  launchBroadcast(
    a.backend,
    "binary",
    ins,
    o,
    dimsOf(pa),
    (d) => ({ ...boxParams(d, { a: sa, b: sb }), alpha }),
    {
      OP: BINARY[kind],
    },
  );
  return o;
}

function binary(kind: keyof typeof BINARY, a: Tensor, b: Tensor, alpha = 1): Tensor {
  const o = binaryLaunch(kind, a, b, broadcastShape(a.shape, b.shape), alpha);
  recordOp(OPS.binary, [a, b], [o], alpha === 1 ? { kind } : { kind, alpha });
  return o;
}

/**
 * a + b with broadcasting.
 *
 * @example Broadcast a row over a matrix
 * ```ts
 * import { getBackend } from "./backend.ts";
 * import { Tensor } from "./tensor.ts";
 * import { add } from "./functional.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = await getBackend({ prefer: "reference" });
 * const y = add(Tensor.from(be, [1, 2, 3, 4], [2, 2]), Tensor.from(be, [10, 20]));
 * assertEquals(await y.read(), new Float32Array([11, 22, 13, 24]));
 * ```
 */
export const add = (a: Tensor, b: Tensor): Tensor => binary("add", a, b);
/**
 * alpha·(a + b) with broadcasting, in one pass (the same values as `scale(add(a, b), alpha)`);
 * GemNet's residual sums (x + f(x))/√2.
 *
 * @example A scaled sum
 * ```ts
 * import { getBackend } from "./backend.ts";
 * import { Tensor } from "./tensor.ts";
 * import { addScaled } from "./functional.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = await getBackend({ prefer: "reference" });
 * const y = addScaled(Tensor.from(be, [1, 2]), Tensor.from(be, [3, 4]), 0.5);
 * assertEquals(await y.read(), new Float32Array([2, 3]));
 * ```
 */
export const addScaled = (a: Tensor, b: Tensor, alpha: number): Tensor => binary("add", a, b, alpha);
/**
 * a − b with broadcasting.
 *
 * @example Subtract a scalar
 * ```ts
 * import { getBackend } from "./backend.ts";
 * import { Tensor } from "./tensor.ts";
 * import { sub } from "./functional.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = await getBackend({ prefer: "reference" });
 * assertEquals(await sub(Tensor.from(be, [3, 4]), Tensor.from(be, [1])).read(), new Float32Array([2, 3]));
 * ```
 */
export const sub = (a: Tensor, b: Tensor): Tensor => binary("sub", a, b);
/**
 * a · b (elementwise) with broadcasting.
 *
 * @example Scale each row
 * ```ts
 * import { getBackend } from "./backend.ts";
 * import { Tensor } from "./tensor.ts";
 * import { mul } from "./functional.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = await getBackend({ prefer: "reference" });
 * assertEquals(await mul(Tensor.from(be, [1, 2, 3, 4], [2, 2]), Tensor.from(be, [2, 3], [2, 1])).read(), new Float32Array([2, 4, 9, 12]));
 * ```
 */
export const mul = (a: Tensor, b: Tensor): Tensor => binary("mul", a, b);

/**
 * alpha·x + beta.
 *
 * @example alpha·x + beta
 * ```ts
 * import { getBackend } from "./backend.ts";
 * import { Tensor } from "./tensor.ts";
 * import { scale } from "./functional.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = await getBackend({ prefer: "reference" });
 * assertEquals(await scale(Tensor.from(be, [1, 2]), 2, 1).read(), new Float32Array([3, 5]));
 * ```
 */
export function scale(x: Tensor, alpha: number, beta = 0): Tensor {
  const o = out(x.backend, x.shape);
  launchElementwise(x.backend, "scale", [x, o], { alpha, beta });
  recordOp(OPS.scale, [x], [o], { alpha });
  return o;
}

/**
 * alpha·x broadcast to `shape`.
 *
 * @example Row to matrix
 * ```ts
 * import { getBackend } from "./backend.ts";
 * import { Tensor } from "./tensor.ts";
 * import { expand } from "./functional.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = await getBackend({ prefer: "reference" });
 * assertEquals(await expand(Tensor.from(be, [1, 2], [1, 2]), [2, 2]).read(), new Float32Array([1, 2, 1, 2]));
 * ```
 */
export function expand(x: Tensor, shape: readonly number[], alpha = 1): Tensor {
  const s = broadcastShape(x.shape, shape);
  if (s.join() !== [...shape].join()) throw new TypeError(`Cannot expand [${x.shape}] to [${shape}]`);
  const o = out(x.backend, shape);
  const p = bcastParams(x.shape, shape, "a"), sa = dimsOf(p, "a");
  launchBroadcast(
    x.backend,
    "expand",
    [{ t: x, s: sa }],
    o,
    dimsOf(p),
    (d) => ({ ...boxParams(d, { a: sa }), alpha }),
  );
  recordOp(OPS.expand, [x], [o], { alpha });
  return o;
}

/**
 * Sums x over the dims where `shape` is 1 (or missing), the reverse of broadcasting.
 *
 * @example Column sums (a bias gradient)
 * ```ts
 * import { getBackend } from "./backend.ts";
 * import { Tensor } from "./tensor.ts";
 * import { sumTo } from "./functional.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = await getBackend({ prefer: "reference" });
 * const y = sumTo(Tensor.from(be, [1, 2, 3, 4], [2, 2]), [2]);
 * assertEquals(await y.read(), new Float32Array([4, 6]));
 * ```
 */
export function sumTo(x: Tensor, shape: readonly number[]): Tensor {
  if (x.shape.join() === [...shape].join()) return x;
  const s = [...Array(4 - x.shape.length).fill(1), ...x.shape];
  const t = [...Array(4 - shape.length).fill(1), ...shape];
  if (broadcastShape(shape, x.shape).join() !== x.shape.join()) {
    throw new TypeError(`Cannot sum [${x.shape}] to [${shape}]`);
  }
  const o = out(x.backend, shape);
  // Per padded dim: kept (out dim d, x stride a) or reduced (size r, x stride q).
  const plan: SumPlan = { d: [], a: [], r: [], q: [] };
  let stride = 1;
  for (let i = 3; i >= 0; i--) {
    const kept = t[i] === s[i];
    plan.d[i] = t[i];
    plan.a[i] = kept ? stride : 0;
    plan.r[i] = kept ? 1 : s[i];
    plan.q[i] = kept ? 0 : stride;
    stride *= s[i];
  }
  sumToInto(x, 0, plan, o, 0);
  recordOp(OPS.sum_to, [x], [o]);
  return o;
}

/** A sum_to dispatch: out dims d with x strides a, reduced sizes r with x strides q (4 each). */
interface SumPlan {
  d: number[];
  a: number[];
  r: number[];
  q: number[];
}

/**
 * Sums x (from element `xOff`) by `plan` into `o` (from element `oOff`). Above the binding limit it
 * splits: the output over boxes of its kept dims (same bits), then, once the output fits, the
 * outermost reduced dim into parts summed into temporaries and added in order (deterministic; the
 * rounding differs from one dispatch).
 */
function sumToInto(x: Tensor, xOff: number, plan: SumPlan, o: Tensor, oOff: number): void {
  const be = x.backend, lim = Math.floor(be.maxBindingBytes / 4);
  const n = plan.d.reduce((p, v) => p * v, 1);
  const span = (pl: SumPlan) => extent(pl.a, pl.d) + extent(pl.q, pl.r) - 1;
  if (n === 0) return;
  const dispatch = (pl: SumPlan, xo: number, oo: number) => {
    if (xo % ROW_ALIGN !== 0 || oo % ROW_ALIGN !== 0) {
      throw new RangeError(`Cannot split sumTo of [${x.shape}] at aligned offsets under the binding limit`);
    }
    const m = pl.d.reduce((p, v) => p * v, 1);
    const p = { ...boxParams(pl.d, { a: pl.a, r: pl.r, q: pl.q }), nr: pl.r.reduce((p, v) => p * v, 1) };
    launch(be, "sum_to", [flatView(x, xo, span(pl)), flatView(o, oo, m)], p, grid1d(m));
  };
  if (n <= lim && span(plan) <= lim) return dispatch(plan, xOff, oOff);
  const os = [plan.d[1] * plan.d[2] * plan.d[3], plan.d[2] * plan.d[3], plan.d[3], 1];
  const outFits = n <= lim;
  // Outermost dim to cut: a kept one while the output is too big, else any with more than one index.
  const L = [0, 1, 2, 3].find((i) => plan.d[i] > 1 || (outFits && plan.r[i] > 1));
  if (L === undefined) throw new RangeError(`Cannot split sumTo of [${x.shape}] under the binding limit`);
  if (plan.d[L] > 1) {
    const fits = (d: number[]) => d.reduce((p, v) => p * v, 1) <= lim && span({ ...plan, d }) <= lim;
    const only = (d: number[]) => d.map((v, i) => (i === L ? v : 1));
    // Cut dim L alone; what is inside a cut recurses (it may still be too big).
    splitBoxes(
      only(plan.d),
      (d) => fits(plan.d.map((v, i) => (i === L ? d[L] : v))),
      () => [os[L], plan.a[L]],
      (d, at) => {
        const sub = { ...plan, d: plan.d.map((v, i) => (i === L ? d[L] : v)) };
        sumToInto(x, xOff + at[L] * plan.a[L], sub, o, oOff + at[L] * os[L]);
      },
    );
    return;
  }
  // Reduced dim L: parts into temporaries (each the output's size), added in order.
  const rdims = plan.r.map((v, i) => (i === L ? v : 1));
  let acc: Tensor | undefined;
  splitBoxes(
    rdims,
    (d) => span({ ...plan, r: plan.r.map((v, i) => (i === L ? d[L] : v)) }) <= lim,
    () => [plan.q[L]],
    (d, at) => {
      const part = out(be, [n]);
      sumToInto(
        x,
        xOff + at[L] * plan.q[L],
        { ...plan, r: plan.r.map((v, i) => (i === L ? d[L] : v)) },
        part,
        0,
      );
      if (acc) {
        const next = binaryLaunch("add", acc, part, [n]);
        acc.dispose();
        part.dispose();
        acc = next;
      } else acc = part;
    },
  );
  // Copy the total into place (one row of n values).
  const p = { rows: 1, width: n, src_cols: n, src_off: 0, dst_cols: n, dst_off: 0 };
  launch(be, "copy_cols", [acc!, flatView(o, oOff, n)], p, grid1d(n));
  acc!.dispose();
}

/**
 * act(x) elementwise.
 *
 * @example By name
 * ```ts
 * import { getBackend } from "./backend.ts";
 * import { Tensor } from "./tensor.ts";
 * import { activation } from "./functional.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = await getBackend({ prefer: "reference" });
 * assertEquals(await activation(Tensor.from(be, [-1, 2]), "relu").read(), new Float32Array([0, 2]));
 * ```
 */
export function activation(x: Tensor, act: Activation): Tensor {
  const o = out(x.backend, x.shape);
  launchElementwise(x.backend, "unary", [x, o], {}, { ACT: ACT[act] });
  recordOp(OPS.unary, [x], [o], { act: ACT[act] });
  return o;
}

/**
 * max(x, 0).
 *
 * @example Clamp negatives
 * ```ts
 * import { getBackend } from "./backend.ts";
 * import { Tensor } from "./tensor.ts";
 * import { relu } from "./functional.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = await getBackend({ prefer: "reference" });
 * assertEquals(await relu(Tensor.from(be, [-1, 2])).read(), new Float32Array([0, 2]));
 * ```
 */
export const relu = (x: Tensor): Tensor => activation(x, "relu");
/**
 * x·σ(x).
 *
 * @example Zero at zero
 * ```ts
 * import { getBackend } from "./backend.ts";
 * import { Tensor } from "./tensor.ts";
 * import { silu } from "./functional.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = await getBackend({ prefer: "reference" });
 * assertEquals(await silu(Tensor.from(be, [0])).read(), new Float32Array([0]));
 * ```
 */
export const silu = (x: Tensor): Tensor => activation(x, "silu");
/**
 * 1 / (1 + e^−x).
 *
 * @example One half at zero
 * ```ts
 * import { getBackend } from "./backend.ts";
 * import { Tensor } from "./tensor.ts";
 * import { sigmoid } from "./functional.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = await getBackend({ prefer: "reference" });
 * assertEquals(await sigmoid(Tensor.from(be, [0])).read(), new Float32Array([0.5]));
 * ```
 */
export const sigmoid = (x: Tensor): Tensor => activation(x, "sigmoid");
/**
 * log(1 + eˣ).
 *
 * @example log 2 at zero
 * ```ts
 * import { getBackend } from "./backend.ts";
 * import { Tensor } from "./tensor.ts";
 * import { softplus } from "./functional.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = await getBackend({ prefer: "reference" });
 * assertEquals(await softplus(Tensor.from(be, [0])).read(), new Float32Array([Math.LN2]));
 * ```
 */
export const softplus = (x: Tensor): Tensor => activation(x, "softplus");

/**
 * sin(x) elementwise (backward: cos(x)); also a fused matmul activation (`act: "sin"`).
 *
 * @example Zero at zero
 * ```ts
 * import { getBackend } from "./backend.ts";
 * import { Tensor } from "./tensor.ts";
 * import { sin } from "./functional.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = await getBackend({ prefer: "reference" });
 * assertEquals(await sin(Tensor.from(be, [0, Math.PI / 2])).read(), new Float32Array([0, 1]));
 * ```
 */
export const sin = (x: Tensor): Tensor => activation(x, "sin");

/**
 * eˣ elementwise (backward: eˣ); the VAE's σ = exp(½ log σ²) and its KL term need it.
 *
 * @example One at zero
 * ```ts
 * import { getBackend } from "./backend.ts";
 * import { Tensor } from "./tensor.ts";
 * import { exp } from "./functional.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = await getBackend({ prefer: "reference" });
 * assertEquals(await exp(Tensor.from(be, [0])).read(), new Float32Array([1]));
 * ```
 */
export const exp = (x: Tensor): Tensor => activation(x, "exp");

/**
 * GemNet's ScaledSiLU, silu(x)/0.6 (backward: silu′(x)/0.6), one pass; also fusable into
 * `matmul` as `{ act: "ssilu" }`.
 *
 * @example Zero at zero
 * ```ts
 * import { getBackend } from "./backend.ts";
 * import { Tensor } from "./tensor.ts";
 * import { ssilu } from "./functional.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = await getBackend({ prefer: "reference" });
 * assertEquals(await ssilu(Tensor.from(be, [0])).read(), new Float32Array([0]));
 * ```
 */
export const ssilu = (x: Tensor): Tensor => activation(x, "ssilu");

/** g · act′(x) (the backward of an activation at pre-activation x); not recorded. */
export function activationBackward(g: Tensor, x: Tensor, act: number): Tensor {
  const o = out(x.backend, x.shape);
  launchElementwise(x.backend, "unary_backward", [g, x, o], {}, { ACT: act });
  return o;
}
