/**
 * The ops as functions on tensors. Each allocates its outputs, records one or more dispatches of
 * a registry kernel (`ops.ts`) on the tensors' backend and, when a tape records, a tape node.
 * Nothing here reads back to the host.
 *
 * @module
 */

import type { Backend } from "./backend.ts";
import { ACT, type Activation } from "./_cpu.ts";
import {
  type Buf,
  dummy,
  expectRank,
  extent,
  flatView,
  grid1d,
  launch,
  launchBroadcast,
  launchElementwise,
  launchRows,
  out,
  ROW_ALIGN,
  rowChunk,
  rowView,
  splitBoxes,
} from "./_launch.ts";
import { OPS } from "./ops.ts";
import { copyColumns } from "./rows.ts";
import { recordOp, willRecord } from "./tape.ts";
import { Tensor } from "./tensor.ts";

export type { Activation } from "./_cpu.ts";

// ---- creation ------------------------------------------------------------------------------

/**
 * A new f32 tensor filled with `value`.
 *
 * @example Ones
 * ```ts
 * import { getBackend } from "./backend.ts";
 * import { fill } from "./functional.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = await getBackend({ prefer: "reference" });
 * assertEquals(await fill(be, [3], 1).read(), new Float32Array([1, 1, 1]));
 * ```
 */
export function fill(be: Backend, shape: readonly number[], value: number): Tensor {
  const o = out(be, shape);
  launchElementwise(be, "fill", [o], { value });
  return o;
}

/**
 * A copy of `x` (same shape).
 *
 * @example An independent copy
 * ```ts
 * import { getBackend } from "./backend.ts";
 * import { Tensor } from "./tensor.ts";
 * import { copy } from "./functional.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = await getBackend({ prefer: "reference" });
 * assertEquals(await copy(Tensor.from(be, [1, 2])).read(), new Float32Array([1, 2]));
 * ```
 */
export function copy(x: Tensor): Tensor {
  return scale(x, 1);
}

/** Options of the random generators: a seed (two u32 words) and a stream offset. */
export interface RandomOptions {
  /** Seed; the same seed and offset give the same numbers. */
  seed: number;
  /** Upper seed word (default 0). */
  seedHi?: number;
  /** Counter offset, to draw independent streams from one seed (default 0). */
  offset?: number;
}

/** The uniforms every Philox kernel takes: element count, the two seed words and the counter offset. */
function philoxParams(n: number, opts: RandomOptions) {
  return { n, seed_lo: opts.seed >>> 0, seed_hi: (opts.seedHi ?? 0) >>> 0, offset: opts.offset ?? 0 };
}

/**
 * Uniform numbers in [lo, hi) from counter-based Philox4x32-10.
 *
 * @example Same seed, same numbers
 * ```ts
 * import { getBackend } from "./backend.ts";
 * import { Tensor } from "./tensor.ts";
 * import { randUniform } from "./functional.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = await getBackend({ prefer: "reference" });
 * const a = await randUniform(be, [8], { seed: 7 }).read();
 * assertEquals(await randUniform(be, [8], { seed: 7 }).read(), a);
 * ```
 */
export function randUniform(
  be: Backend,
  shape: readonly number[],
  opts: RandomOptions,
  lo = 0,
  hi = 1,
): Tensor {
  const o = out(be, shape);
  const p = philoxParams(o.size, opts);
  launch(be, "rand_uniform", [o], { ...p, lo, hi }, grid1d(Math.ceil(o.size / 4)));
  return o;
}

/**
 * Normal numbers N(mean, std²) from Philox4x32-10 and Box–Muller.
 *
 * @example Same seed, same numbers
 * ```ts
 * import { getBackend } from "./backend.ts";
 * import { randNormal } from "./functional.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = await getBackend({ prefer: "reference" });
 * const z = await randNormal(be, [6], { seed: 3 }, 1, 0.5).read();
 * assertEquals(await randNormal(be, [6], { seed: 3 }, 1, 0.5).read(), z);
 * ```
 */
export function randNormal(
  be: Backend,
  shape: readonly number[],
  opts: RandomOptions,
  mean = 0,
  std = 1,
): Tensor {
  const o = out(be, shape);
  const p = philoxParams(o.size, opts);
  launch(be, "rand_normal", [o], { ...p, mean, std }, grid1d(Math.ceil(o.size / 4)));
  return o;
}

/**
 * `x` with a new shape of the same element count (one dimension may be −1: inferred), as a copy
 * into a new tensor (tensors own their buffers); the dtype is kept, and so is the host copy of an
 * index tensor. Backward reshapes the gradient back.
 *
 * @example Matrix to rows of three
 * ```ts
 * import { getBackend } from "./backend.ts";
 * import { Tensor } from "./tensor.ts";
 * import { reshape } from "./functional.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = await getBackend({ prefer: "reference" });
 * const y = reshape(Tensor.from(be, [1, 2, 3, 4, 5, 6], [3, 2]), [2, -1]);
 * assertEquals(y.shape, [2, 3]);
 * assertEquals(await y.read(), new Float32Array([1, 2, 3, 4, 5, 6]));
 * ```
 */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const known = shape.reduce((p, d) => (d === -1 ? p : p * d), 1);
  const free = shape.filter((d) => d === -1).length;
  const bad = free > 1 || shape.some((d) => !Number.isInteger(d) || d < -1) ||
    (free === 0 ? known !== x.size : known === 0 || x.size % known !== 0);
  if (bad) throw new TypeError(`Cannot reshape [${x.shape}] (${x.size} values) to [${shape}]`);
  const s = shape.map((d) => (d === -1 ? x.size / known : d));
  const be = x.backend, n = x.size;
  const o = Tensor.empty(be, s, x.dtype);
  // A bit-exact copy (copy_cols over one row per chunk), split at the binding limit.
  const max = Math.max(ROW_ALIGN, Math.floor(be.maxBindingBytes / 4 / ROW_ALIGN) * ROW_ALIGN);
  for (let off = 0; off < n; off += max) {
    const len = Math.min(max, n - off);
    const view = (t: Tensor): Buf => (len === n ? t : { buffer: t.buffer, offset: off, length: len });
    const p = { rows: 1, width: len, src_cols: len, src_off: 0, dst_cols: len, dst_off: 0 };
    launch(be, "reshape", [view(x), view(o)], p, grid1d(len));
  }
  if (x.host) o.host = x.host.slice();
  recordOp(OPS.reshape, [x], [o]);
  return o;
}

/**
 * x under another shape without a copy: the result shares x's buffer ({@linkcode Tensor.view}),
 * so neither may be written in place while the other is used (no op here writes its inputs; Adam
 * writes parameters, so view parameters only inside a forward). One `-1` dim is inferred, as in
 * {@linkcode reshape}; recorded as a reshape (the backward copies g into x's shape).
 *
 * @example A view
 * ```ts
 * import { getBackend } from "./backend.ts";
 * import { Tensor } from "./tensor.ts";
 * import { reshapeView } from "./functional.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = await getBackend({ prefer: "reference" });
 * const x = Tensor.from(be, [1, 2, 3, 4, 5, 6], [3, 2]);
 * const y = reshapeView(x, [2, -1]);
 * x.dispose();
 * assertEquals(y.shape, [2, 3]);
 * assertEquals(await y.read(), new Float32Array([1, 2, 3, 4, 5, 6]));
 * ```
 */
export function reshapeView(x: Tensor, shape: readonly number[]): Tensor {
  const known = shape.reduce((p, d) => (d === -1 ? p : p * d), 1);
  const free = shape.filter((d) => d === -1).length;
  const bad = free > 1 || shape.some((d) => !Number.isInteger(d) || d < -1) ||
    (free === 0 ? known !== x.size : known === 0 || x.size % known !== 0);
  if (bad) throw new TypeError(`Cannot reshape [${x.shape}] (${x.size} values) to [${shape}]`);
  const o = x.view(shape.map((d) => (d === -1 ? x.size / known : d)));
  recordOp(OPS.reshape, [x], [o]);
  return o;
}

// ---- dense ---------------------------------------------------------------------------------

/** Rows and columns of the output block one invocation of the vec4 matmul computes (matmul.wgsl). */
const MM_BLOCK_ROWS = 64, MM_BLOCK_COLS = 16;
/** The vec4 matmul's workgroup is MM_WG × 1 invocations (one 8-wide SIMD batch on llvmpipe). */
const MM_WG = 8;
/** Most workgroups along one dispatch dimension (WebGPU's default limit). */
const MAX_GROUPS = 65535;

/** Options of {@linkcode matmul}. */
export interface MatmulOptions {
  /** Bias [N] added to every row. */
  bias?: Tensor;
  /** Activation applied after the bias (fused into the matmul kernel). */
  act?: Activation;
  /** Use aᵀ: a is [K, M] (read in place; not with `transB`, `bias` or `act`). */
  transA?: boolean;
  /** Use bᵀ: b is [N, K] (read in place; not with `transA`, `bias` or `act`). */
  transB?: boolean;
}

/**
 * `act(a·b + bias)` for a [M, K] and b [K, N], in one kernel (register-blocked when N % 4 = 0).
 * Rows are split into several dispatches when a or the output exceed the binding limit. With
 * `transA` / `transB` one operand is read transposed in place (aᵀ·b, a·bᵀ: the backward's products).
 *
 * @example Fused bias and ReLU
 * ```ts
 * import { getBackend } from "./backend.ts";
 * import { Tensor } from "./tensor.ts";
 * import { matmul } from "./functional.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = await getBackend({ prefer: "reference" });
 * const a = Tensor.from(be, [1, 2, 3, 4], [2, 2]);
 * const w = Tensor.from(be, [1, 0, 0, -1], [2, 2]);
 * const y = matmul(a, w, { bias: Tensor.from(be, [0, 1]), act: "relu" });
 * assertEquals(await y.read(), new Float32Array([1, 0, 3, 0]));
 * ```
 */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  expectRank(a, 2, "matmul");
  expectRank(b, 2, "matmul");
  const ta = !!opts.transA, tb = !!opts.transB;
  const [m, k] = ta ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
  const [kb, n] = tb ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
  const what = `[${a.shape}]${ta ? "ᵀ" : ""}·[${b.shape}]${tb ? "ᵀ" : ""}`;
  if (kb !== k) throw new TypeError(`Cannot matmul ${what}: inner sizes differ`);
  if ((ta || tb) && (opts.bias || (opts.act ?? "none") !== "none" || (ta && tb))) {
    throw new TypeError(
      `Cannot matmul ${what}: a transposed operand takes no bias, activation or second transpose`,
    );
  }
  if (ta || tb) {
    const o = transposedMatmul(a, b, ta, m, n, k);
    recordOp(OPS.matmul, [a, b], [o], { act: 0, ta, tb });
    return o;
  }
  if (opts.bias && opts.bias.size !== n) {
    throw new TypeError(`Cannot matmul: bias has ${opts.bias.size} values, expected ${n}`);
  }
  const be = a.backend, act = ACT[opts.act ?? "none"];
  const inputs = opts.bias ? [a, b, opts.bias] : [a, b];
  const keepPre = act !== 0 && willRecord(inputs);
  const o = out(be, [m, n]);
  const pre = keepPre ? out(be, [m, n]) : undefined;
  const d = dummy(be);
  const vec = n % 4 === 0;
  const rowBytes = 4 * Math.max(k, n);
  let chunk = rowChunk(be, m, rowBytes);
  if (vec) chunk = Math.min(chunk, MAX_GROUPS * MM_BLOCK_ROWS);
  for (let r0 = 0; r0 < m; r0 += chunk) {
    const rows = Math.min(chunk, m - r0);
    const view = (t: Tensor, w: number): Buf => rowView(t, r0, rows, w);
    const bufs = [view(a, k), b, opts.bias ?? d.f, view(o, n), pre ? view(pre, n) : d.g];
    const grid: [number, number] = vec
      ? [Math.ceil(n / MM_BLOCK_COLS / MM_WG), Math.ceil(rows / MM_BLOCK_ROWS)]
      : grid1d(rows * n);
    const consts = { ACT: act, BIAS: opts.bias ? 1 : 0, PRE: pre ? 1 : 0 };
    launch(be, vec ? "matmul" : "matmul_naive", bufs, { m: rows, n, k }, grid, consts);
  }
  recordOp(OPS.matmul, inputs, [o], { act, pre });
  return o;
}

/** Invocations of the transposed matmuls (matmul_t.wgsl): one per 4 × 4 block of out. */
const tGrid = (m: number, n: number) => grid1d(Math.ceil(m / 4) * Math.ceil(n / 4));

/**
 * aᵀ·b (`ta`: a [K, M], b [K, N]) or a·bᵀ (a [M, K], b [N, K]) into a new [M, N] tensor. a·bᵀ
 * splits over rows of a and out like the plain matmul (b is bound whole); aᵀ·b splits over k,
 * each dispatch after the first adding to out (ACC), and binds out whole.
 */
function transposedMatmul(a: Tensor, b: Tensor, ta: boolean, m: number, n: number, k: number): Tensor {
  const be = a.backend, o = out(be, [m, n]);
  if (!ta) {
    if (b.size * 4 > be.maxBindingBytes) {
      throw new RangeError(`Cannot matmul by [${b.shape}]ᵀ: ${b.size * 4} bytes above the binding limit`);
    }
    const chunk = rowChunk(be, m, 4 * Math.max(k, n));
    for (let r0 = 0; r0 < m; r0 += chunk) {
      const rows = Math.min(chunk, m - r0);
      const bufs = [rowView(a, r0, rows, k), b, rowView(o, r0, rows, n)];
      launch(be, "matmul_nt", bufs, { m: rows, n, k }, tGrid(rows, n));
    }
    return o;
  }
  if (m * n * 4 > be.maxBindingBytes) {
    throw new RangeError(`Cannot matmul to [${m}, ${n}]: ${m * n * 4} bytes above the binding limit`);
  }
  const chunk = rowChunk(be, k, 4 * Math.max(m, n));
  for (let q0 = 0; q0 < k || q0 === 0; q0 += chunk) {
    const rows = Math.min(chunk, k - q0);
    const bufs = [rowView(a, q0, rows, m), rowView(b, q0, rows, n), o];
    launch(be, "matmul_tn", bufs, { m, n, k: rows }, tGrid(m, n), { ACC: q0 > 0 ? 1 : 0 });
    if (k === 0) break;
  }
  return o;
}

/**
 * xᵀ for a 2-D x.
 *
 * @example 2 × 3 → 3 × 2
 * ```ts
 * import { getBackend } from "./backend.ts";
 * import { Tensor } from "./tensor.ts";
 * import { transpose } from "./functional.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = await getBackend({ prefer: "reference" });
 * assertEquals(await transpose(Tensor.from(be, [1, 2, 3, 4, 5, 6], [2, 3])).read(), new Float32Array([1, 4, 2, 5, 3, 6]));
 * ```
 */
export function transpose(x: Tensor): Tensor {
  expectRank(x, 2, "transpose");
  const [r, c] = x.shape;
  const be = x.backend, o = out(be, [c, r]);
  const chunk = rowChunk(be, r, 4 * c);
  if (chunk >= r) launch(be, "transpose", [x, o], { r, c }, grid1d(r * c));
  else {
    // Above the binding limit: transpose chunks of rows of x, each into a [c, rows] block copied
    // into its columns of out (split over rows of out in turn).
    for (let r0 = 0; r0 < r; r0 += chunk) {
      const rows = Math.min(chunk, r - r0), t = out(be, [c, rows]);
      launch(be, "transpose", [rowView(x, r0, rows, c), t], { r: rows, c }, grid1d(rows * c));
      copyColumns(t, o, c, { width: rows, src_cols: rows, src_off: 0, dst_cols: r, dst_off: r0 });
      t.dispose();
    }
  }
  recordOp(OPS.transpose, [x], [o]);
  return o;
}

/** Options of {@linkcode bmm}. */
export interface BmmOptions {
  /** Use aᵀ of every batch item: a is [B, K, M]. */
  transA?: boolean;
  /** Use bᵀ of every batch item: b is [B, N, K]. */
  transB?: boolean;
}

/**
 * Batched matmul `out[i] = op(a[i])·op(b[i])` for a [B, M, K] and b [B, K, N] (op = transpose with
 * `transA` (a [B, K, M]) / `transB` (b [B, N, K])) → [B, M, N]. Made for many small products (one
 * per edge): one invocation per output element; batches are split into several dispatches when a
 * buffer exceeds the binding limit. Backward: bmm with the transposes adjusted.
 *
 * @example Two 1 × 2 by 2 × 1 products
 * ```ts
 * import { getBackend } from "./backend.ts";
 * import { Tensor } from "./tensor.ts";
 * import { bmm } from "./functional.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = await getBackend({ prefer: "reference" });
 * const a = Tensor.from(be, [1, 2, 3, 4], [2, 1, 2]);
 * const b = Tensor.from(be, [1, 1, 2, -1], [2, 1, 2]);
 * const y = bmm(a, b, { transB: true });
 * assertEquals(y.shape, [2, 1, 1]);
 * assertEquals(await y.read(), new Float32Array([3, 2]));
 * ```
 */
export function bmm(a: Tensor, b: Tensor, opts: BmmOptions = {}): Tensor {
  expectRank(a, 3, "bmm");
  expectRank(b, 3, "bmm");
  const ta = !!opts.transA, tb = !!opts.transB;
  const bsz = a.shape[0];
  const [m, k] = ta ? [a.shape[2], a.shape[1]] : [a.shape[1], a.shape[2]];
  const [kb, n] = tb ? [b.shape[2], b.shape[1]] : [b.shape[1], b.shape[2]];
  if (b.shape[0] !== bsz || kb !== k) {
    throw new TypeError(
      `Cannot bmm [${a.shape}]${ta ? "ᵀ" : ""}·[${b.shape}]${tb ? "ᵀ" : ""}: batch or inner sizes differ`,
    );
  }
  const be = a.backend;
  const o = out(be, [bsz, m, n]);
  const grid = (r: number) => grid1d(r * m * n);
  launchRows(be, "bmm", bsz, [[a, m * k], [b, k * n], [o, m * n]], { m, n, k }, grid, {
    TA: ta ? 1 : 0,
    TB: tb ? 1 : 0,
  });
  recordOp(OPS.bmm, [a, b], [o], { ta, tb });
  return o;
}

// ---- elementwise ---------------------------------------------------------------------------

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

export * from "./rows.ts";
