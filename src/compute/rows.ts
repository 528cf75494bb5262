/**
 * Row-wise ops: concat/split on the feature axis, gathers and embeddings (and the gather's
 * backward), softmax, losses and full reductions. Re-exported by `functional.ts`.
 *
 * @module
 */

import { OPS } from "./ops.ts";
import { inverseIndex, segmentReduce } from "./segments.ts";
import { recordOp } from "./recording.ts";
import type { Tensor } from "./tensor.ts";
import type { BufferView } from "./backend_interface.ts";
import {
  checkIndex,
  dummy,
  expectRank,
  grid1d,
  launch,
  launchElementwise,
  launchRows,
  out,
  ROW_ALIGN,
  type RowBuf,
  rowChunk,
  rowsCols,
  rowView,
} from "./_launch.ts";

/** Workgroup size of the single-workgroup tree reductions (`sum_all`, `mse`). */
export const REDUCE_WG = 256;

/**
 * Concatenates 2-D tensors with equal row counts along the feature axis.
 *
 * @example Two feature blocks
 * ```ts
 * import { getBackend } from "./backend.ts";
 * import { Tensor } from "./tensor.ts";
 * import { concat } from "./functional.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = await getBackend({ prefer: "reference" });
 * const y = concat([Tensor.from(be, [1, 2], [2, 1]), Tensor.from(be, [3, 4], [2, 1])]);
 * assertEquals(await y.read(), new Float32Array([1, 3, 2, 4]));
 * ```
 */
export function concat(xs: Tensor[]): Tensor {
  if (xs.length === 0) throw new RangeError("Cannot concat: no tensors given");
  const rows = xs[0].shape[0];
  for (const x of xs) {
    expectRank(x, 2, "concat");
    if (x.shape[0] !== rows) {
      throw new TypeError(`Cannot concat: row counts ${rows} and ${x.shape[0]} differ`);
    }
  }
  const widths = xs.map((x) => x.shape[1]);
  const total = widths.reduce((a, b) => a + b, 0);
  const o = out(xs[0].backend, [rows, total]);
  let off = 0;
  for (const x of xs) {
    const w = x.shape[1];
    copyColumns(x, o, rows, { width: w, src_cols: w, src_off: 0, dst_cols: total, dst_off: off });
    off += w;
  }
  recordOp(OPS.concat, xs, [o], { widths });
  return o;
}

/** Columns of one `copy_cols` dispatch: `width` columns from `src_off` of src rows into `dst_off` of dst rows. */
export interface CopyColumns {
  width: number;
  src_cols: number;
  src_off: number;
  dst_cols: number;
  dst_off: number;
}

/**
 * Copies columns of `rows` rows of src into dst (`copy_cols`), in several dispatches over aligned
 * row ranges when a buffer exceeds the binding limit; not recorded.
 */
export function copyColumns(src: Tensor, dst: Tensor, rows: number, p: CopyColumns): void {
  const be = src.backend;
  const chunk = rowChunk(be, rows, 4 * Math.max(p.src_cols, p.dst_cols));
  for (let r0 = 0; r0 < rows; r0 += chunk) {
    const n = Math.min(chunk, rows - r0);
    const bufs = [rowView(src, r0, n, p.src_cols), rowView(dst, r0, n, p.dst_cols)];
    launch(be, "copy_cols", bufs, { ...p, rows: n }, grid1d(n * p.width));
  }
}

/**
 * Splits a 2-D tensor along the feature axis into parts of the given widths.
 *
 * @example Two blocks
 * ```ts
 * import { getBackend } from "./backend.ts";
 * import { Tensor } from "./tensor.ts";
 * import { split } from "./functional.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = await getBackend({ prefer: "reference" });
 * const [a, b] = split(Tensor.from(be, [1, 2, 3, 4, 5, 6], [2, 3]), [1, 2]);
 * assertEquals(await a.read(), new Float32Array([1, 4]));
 * assertEquals(await b.read(), new Float32Array([2, 3, 5, 6]));
 * ```
 */
export function split(x: Tensor, widths: number[]): Tensor[] {
  expectRank(x, 2, "split");
  const [rows, cols] = x.shape;
  if (widths.reduce((a, b) => a + b, 0) !== cols) {
    throw new TypeError(`Cannot split ${cols} columns into widths [${widths}]`);
  }
  let off = 0;
  const outs = widths.map((w) => {
    const o = out(x.backend, [rows, w]);
    if (rows * w > 0) {
      copyColumns(x, o, rows, { width: w, src_cols: cols, src_off: off, dst_cols: w, dst_off: 0 });
    }
    off += w;
    return o;
  });
  recordOp(OPS.split, [x], outs, { widths });
  return outs;
}

function gatherImpl(op: "gather" | "embedding", x: Tensor, idx: Tensor): Tensor {
  checkIndex(idx, op);
  const [n, c] = rowsCols(x);
  const r = idx.size;
  const o = out(x.backend, x.shape.length === 1 ? [r] : [r, ...x.shape.slice(1)]);
  const vec = c % 4 === 0 ? 4 : 1;
  const be = x.backend;
  if (x.size * 4 > be.maxBindingBytes) {
    throw new RangeError(
      `Cannot ${op}: the source table [${x.shape}] (${
        x.size * 4
      } bytes) is above the binding limit ${be.maxBindingBytes}`,
    );
  }
  // Split over output rows; the table is bound whole.
  launchRows(be, "gather_rows", r, [x, [idx, 1], [o, c]], { c, n }, (k) => grid1d((k * c) / vec), {
    VEC: vec,
  });
  recordOp(OPS[op], [x], [o], { idx });
  return o;
}

/**
 * Rows x[idx[i]] for every i (out of range → zeros); backward sums over sorted segments.
 *
 * @example Rows by index
 * ```ts
 * import { getBackend } from "./backend.ts";
 * import { Tensor } from "./tensor.ts";
 * import { gather } from "./functional.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = await getBackend({ prefer: "reference" });
 * const x = Tensor.from(be, [1, 2, 3, 4, 5, 6], [3, 2]);
 * const y = gather(x, Tensor.from(be, new Uint32Array([2, 0])));
 * assertEquals(await y.read(), new Float32Array([5, 6, 1, 2]));
 * ```
 */
export const gather = (x: Tensor, idx: Tensor): Tensor => gatherImpl("gather", x, idx);
/**
 * Embedding lookup: rows of `table` for the indices `idx`.
 *
 * @example Atom types to vectors
 * ```ts
 * import { getBackend } from "./backend.ts";
 * import { Tensor } from "./tensor.ts";
 * import { embedding } from "./functional.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = await getBackend({ prefer: "reference" });
 * const table = Tensor.from(be, [0, 0, 1, 1, 2, 2], [3, 2]);
 * assertEquals(await embedding(table, Tensor.from(be, new Uint32Array([2, 1]))).read(), new Float32Array([2, 2, 1, 1]));
 * ```
 */
export const embedding = (table: Tensor, idx: Tensor): Tensor => gatherImpl("embedding", table, idx);

function softmaxImpl(x: Tensor, log: boolean): Tensor {
  const [r, c] = rowsCols(x);
  const o = out(x.backend, x.shape);
  launchRows(x.backend, "softmax", r, [[x, c], [o, c]], { c }, grid1d, { LOG: log ? 1 : 0 });
  recordOp(OPS.softmax, [x], [o], { log });
  return o;
}

/**
 * Softmax over the last axis.
 *
 * @example Rows sum to one
 * ```ts
 * import { getBackend } from "./backend.ts";
 * import { Tensor } from "./tensor.ts";
 * import { softmax } from "./functional.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = await getBackend({ prefer: "reference" });
 * const y = await softmax(Tensor.from(be, [0, 0], [1, 2])).read();
 * assertEquals(y, new Float32Array([0.5, 0.5]));
 * ```
 */
export const softmax = (x: Tensor): Tensor => softmaxImpl(x, false);
/**
 * Log-softmax over the last axis.
 *
 * @example Two equal logits
 * ```ts
 * import { getBackend } from "./backend.ts";
 * import { Tensor } from "./tensor.ts";
 * import { logSoftmax } from "./functional.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = await getBackend({ prefer: "reference" });
 * assertEquals(await logSoftmax(Tensor.from(be, [0, 0], [1, 2])).read(), new Float32Array([-Math.LN2, -Math.LN2]));
 * ```
 */
export const logSoftmax = (x: Tensor): Tensor => softmaxImpl(x, true);

/**
 * Per-row cross-entropy `w[i]·(logsumexp(x[i]) − x[i, t[i]])` of logits x [R, C], targets t [R]
 * (u32) and optional row weights w [R]. Returns [R]; reduce it with {@linkcode sum} or {@linkcode mean}.
 *
 * @example Uniform logits
 * ```ts
 * import { getBackend } from "./backend.ts";
 * import { Tensor } from "./tensor.ts";
 * import { crossEntropy } from "./functional.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = await getBackend({ prefer: "reference" });
 * const l = await crossEntropy(Tensor.from(be, [0, 0], [1, 2]), Tensor.from(be, new Uint32Array([1]))).item();
 * assertEquals(Math.abs(l - Math.LN2) < 1e-6, true);
 * ```
 */
export function crossEntropy(logits: Tensor, target: Tensor, weight?: Tensor): Tensor {
  expectRank(logits, 2, "crossEntropy");
  checkIndex(target, "crossEntropy");
  const [r, c] = logits.shape;
  if (target.size !== r || (weight && weight.size !== r)) {
    throw new TypeError(
      `Cannot crossEntropy: ${r} rows but ${target.size} targets / ${weight?.size} weights`,
    );
  }
  const o = out(logits.backend, [r]);
  const w: RowBuf = weight ? [weight, 1] : dummy(logits.backend).f;
  launchRows(logits.backend, "cross_entropy", r, [[logits, c], [target, 1], w, [o, 1]], { c }, grid1d, {
    WEIGHT: weight ? 1 : 0,
  });
  recordOp(OPS.cross_entropy, [logits], [o], { target, weight });
  return o;
}

/**
 * mean((a − b)²) as a [1] tensor.
 *
 * @example Mean of squared differences
 * ```ts
 * import { getBackend } from "./backend.ts";
 * import { Tensor } from "./tensor.ts";
 * import { mse } from "./functional.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = await getBackend({ prefer: "reference" });
 * const l = await mse(Tensor.from(be, [1, 2]), Tensor.from(be, [0, 0])).item();
 * assertEquals(l, 2.5);
 * ```
 */
export function mse(a: Tensor, b: Tensor): Tensor {
  if (a.shape.join() !== b.shape.join()) {
    throw new TypeError(`Cannot mse: shapes [${a.shape}] and [${b.shape}] differ`);
  }
  const be = a.backend, n = a.size, o = out(be, [1]);
  const max = maxElements(be);
  if (n <= max) launch(be, "mse", [a, b, o], { n }, [1, 1]);
  else {
    // Above the binding limit: the mean of each range, weighted by its share of n, summed in order.
    const parts = ranges(n, max).map(([off, len]) => {
      const m = out(be, [1]), w = out(be, [1]);
      launch(be, "mse", [view(a, off, len), view(b, off, len), m], { n: len }, [1, 1]);
      launch(be, "scale", [m, w], { n: 1, alpha: len / n, beta: 0 }, [1, 1]);
      m.dispose();
      return w;
    });
    sumInto(parts, o, 1);
  }
  recordOp(OPS.mse, [a, b], [o]);
  return o;
}

/** The mse gradient g·2(a − b)/n into a new tensor, over ranges when above the binding limit. */
export function mseGrad(g: Tensor, a: Tensor, b: Tensor): Tensor {
  const be = a.backend, n = a.size, da = out(be, a.shape);
  const max = maxElements(be);
  if (n <= max) {
    launch(be, "mse_backward", [g, a, b, da], { n }, grid1d(n));
    return da;
  }
  for (const [off, len] of ranges(n, max)) {
    // The kernel divides by its own n: scale g by len/n for each range.
    const gs = out(be, [1]);
    launch(be, "scale", [g, gs], { n: 1, alpha: len / n, beta: 0 }, [1, 1]);
    const bufs = [gs, view(a, off, len), view(b, off, len), view(da, off, len)];
    launch(be, "mse_backward", bufs, { n: len }, grid1d(len));
    gs.dispose();
  }
  return da;
}

/** Most elements one binding holds, a multiple of ROW_ALIGN. */
function maxElements(be: Tensor["backend"]): number {
  return Math.max(ROW_ALIGN, Math.floor(be.maxBindingBytes / 4 / ROW_ALIGN) * ROW_ALIGN);
}

/** [offset, length] ranges of at most \`max\` elements covering [0, n). */
function ranges(n: number, max: number): [number, number][] {
  const r: [number, number][] = [];
  for (let off = 0; off < n; off += max) r.push([off, Math.min(max, n - off)]);
  return r;
}

function view(t: Tensor, offset: number, length: number): Tensor | BufferView {
  return offset === 0 && length === t.size ? t : { buffer: t.buffer, offset, length };
}

/**
 * Writes alpha · Σ parts (same-size tensors, added in order) into `o`, over ranges when above the
 * binding limit, then frees the parts.
 */
function sumInto(parts: Tensor[], o: Tensor, alpha: number): void {
  const be = o.backend, n = o.size, max = maxElements(be);
  let acc = parts[0];
  for (const p of parts.slice(1)) {
    const next = out(be, o.shape);
    for (const [off, len] of ranges(n, max)) {
      const flat = {
        d0: 1,
        d1: 1,
        d2: 1,
        d3: len,
        a0: 0,
        a1: 0,
        a2: 0,
        a3: 1,
        b0: 0,
        b1: 0,
        b2: 0,
        b3: 1,
        n: len,
        alpha: 1,
      };
      const bufs = [view(acc, off, len), view(p, off, len), view(next, off, len)];
      launch(be, "binary", bufs, flat, grid1d(len), { OP: 0 });
    }
    acc.dispose();
    p.dispose();
    acc = next;
  }
  launchElementwise(be, "scale", [acc, o], { alpha, beta: 0 });
  acc.dispose();
}

/**
 * The gradient of `gather(x, idx)` for x with `n` rows: the rows of g summed into the rows they
 * were read from, over sorted segments (deterministic). When g is above the binding limit (the
 * permuted rows must be bound whole), its rows are taken in ranges, each reduced with its own
 * inverse index into a partial gradient, and the partials added in order.
 */
export function gatherGrad(g: Tensor, idx: Tensor, n: number): Tensor {
  const be = g.backend;
  if (g.size * 4 <= be.maxBindingBytes) {
    const { rowptr, perm } = inverseIndex(idx, n);
    return segmentReduce(g, rowptr, false, perm);
  }
  const [r, c] = rowsCols(g);
  const chunk = rowChunk(be, r, 4 * c), parts: Tensor[] = [];
  for (let r0 = 0; r0 < r; r0 += chunk) {
    const rows = Math.min(chunk, r - r0);
    const gc = out(be, [rows, ...g.shape.slice(1)]);
    const len = rows * c, p = { rows: 1, width: len, src_cols: len, src_off: 0, dst_cols: len, dst_off: 0 };
    launch(be, "copy_cols", [rowView(g, r0, rows, c), gc], p, grid1d(len));
    const { rowptr, perm } = inverseIndex(idx, n, r0, rows);
    parts.push(segmentReduce(gc, rowptr, false, perm));
    gc.dispose();
  }
  const o = out(be, parts[0].shape);
  sumInto(parts, o, 1);
  return o;
}

function reduceAll(x: Tensor, mean: boolean): Tensor {
  const be = x.backend, n = x.size, o = out(be, [1]);
  const max = maxElements(be);
  if (n <= max) launch(be, "sum_all", [x, o], { n }, [1, 1], { MEAN: mean ? 1 : 0 });
  else {
    // Above the binding limit: the sums of ranges, added in order (÷ n at the end for the mean).
    const parts = ranges(n, max).map(([off, len]) => {
      const p = out(be, [1]);
      launch(be, "sum_all", [view(x, off, len), p], { n: len }, [1, 1], { MEAN: 0 });
      return p;
    });
    sumInto(parts, o, mean ? 1 / n : 1);
  }
  recordOp(OPS.sum_all, [x], [o], { mean });
  return o;
} /**
 * Σ x as a [1] tensor (one workgroup, fixed order: deterministic).
 *
 * @example Scalar sum
 * ```ts
 * import { getBackend } from "./backend.ts";
 * import { Tensor } from "./tensor.ts";
 * import { sum } from "./functional.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = await getBackend({ prefer: "reference" });
 * assertEquals(await sum(Tensor.from(be, [1, 2, 3])).item(), 6);
 * ```
 */

export const sum = (x: Tensor): Tensor => reduceAll(x, false);
/**
 * mean(x) as a [1] tensor.
 *
 * @example Scalar mean
 * ```ts
 * import { getBackend } from "./backend.ts";
 * import { Tensor } from "./tensor.ts";
 * import { mean } from "./functional.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = await getBackend({ prefer: "reference" });
 * assertEquals(await mean(Tensor.from(be, [1, 2, 3])).item(), 2);
 * ```
 */
export const mean = (x: Tensor): Tensor => reduceAll(x, true);
