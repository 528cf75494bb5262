/**
 * CSR segment ops: sums and means over sorted segments (edges → atoms, atoms → crystals; no float
 * atomics exist in WGSL, and sorted segments are deterministic), their backward, and the CSR that
 * inverts a gather. Re-exported by `functional.ts`.
 *
 * @module
 */

import { OPS } from "./ops.ts";
import { recordOp } from "./recording.ts";
import { registry, Tensor } from "./tensor.ts";
import {
  checkIndex,
  dummy,
  grid1d,
  launch,
  launchElementwise,
  out,
  ROW_ALIGN,
  rowsCols,
  rowView,
} from "./_launch.ts";

/**
 * The CSR that inverts a gather: for each of `n` rows, the positions in `idx` that read it, in
 * increasing order (`rowptr` [n+1], `perm` [idx.size]); built on the host from `idx.host`, cached.
 * With `from` / `count`, only the positions from .. from + count, counted from `from`.
 */
export function inverseIndex(
  idx: Tensor,
  n: number,
  from = 0,
  count: number = idx.size - from,
): { rowptr: Tensor; perm: Tensor } {
  const key = from === 0 && count === idx.size ? `csr:${n}` : `csr:${n}:${from}:${count}`;
  if (!idx.cache.has(key)) {
    if (!idx.host) throw new TypeError("Cannot differentiate a gather: its index tensor has no host copy");
    const h = idx.host.subarray(from, from + count), rowptr = new Uint32Array(n + 1);
    const perm = new Uint32Array(h.length);
    for (const j of h) if (j >= 0 && j < n) rowptr[j + 1]++;
    for (let i = 0; i < n; i++) rowptr[i + 1] += rowptr[i];
    const fillAt = rowptr.slice(0, n);
    h.forEach((j, i) => {
      if (j >= 0 && j < n) perm[fillAt[j]++] = i;
    });
    const prev = registry.current;
    registry.current = null;
    idx.cache.set(key, Tensor.from(idx.backend, rowptr));
    idx.cache.set(key + ":perm", Tensor.from(idx.backend, perm));
    registry.current = prev;
  }
  return { rowptr: idx.cache.get(key)!, perm: idx.cache.get(key + ":perm")! };
}

/** Σ (or mean of) x rows over each CSR segment; `perm` reorders the rows first when given. */
export function segmentReduce(x: Tensor, rowptr: Tensor, mean: boolean, perm?: Tensor): Tensor {
  checkIndex(rowptr, "segment-reduce");
  const [, c] = rowsCols(x);
  const r = rowptr.size - 1;
  const be = x.backend;
  const o = out(be, x.shape.length === 1 ? [r] : [r, ...x.shape.slice(1)]);
  const vec = c % 4 === 0 ? 4 : 1;
  const consts = { MEAN: mean ? 1 : 0, PERM: perm ? 1 : 0, VEC: vec };
  const largest = Math.max(x.size, r * c, rowptr.size, perm?.size ?? 0) * 4;
  if (largest <= be.maxBindingBytes) {
    const p = perm ?? dummy(be).u;
    launch(be, "segment_sum", [x, rowptr, p, o], { r, c }, grid1d((r * c) / vec), consts);
  } else {
    for (const ch of segmentChunks(x, rowptr, perm)) {
      // Rows ch.base.. of x (or of perm) hold every row the chunk's segments read.
      const len = ch.rows * (perm ? 1 : c);
      const eView = len === 0
        ? undefined
        : { buffer: (perm ?? x).buffer, offset: ch.base * (perm ? 1 : c), length: len };
      const xb = perm ? x : eView ?? dummy(be).f;
      const pb = perm ? eView ?? dummy(be).u : dummy(be).u;
      const n = ch.s1 - ch.s0;
      launch(
        be,
        "segment_sum",
        [xb, ch.rowptr, pb, rowView(o, ch.s0, n, c)],
        { r: n, c },
        grid1d((n * c) / vec),
        consts,
      );
    }
  }
  if (!perm) recordOp(OPS.segment_sum, [x], [o], { rowptr, mean });
  return o;
}

/** One dispatch of a split segment reduction: segments s0..s1, input rows base.., rebased row pointers. */
interface SegmentChunk {
  s0: number;
  s1: number;
  base: number;
  rows: number;
  rowptr: Tensor;
}

/**
 * Splits the segments of `rowptr` into ranges (multiples of ROW_ALIGN segments) whose output rows
 * and input rows each fit one binding, with row pointers rebased to each range's first input row
 * (rounded down to ROW_ALIGN, so views stay aligned). Planned on the host from `rowptr.host`; the
 * rebased row pointers are cached on `rowptr`.
 */
function segmentChunks(x: Tensor, rowptr: Tensor, perm?: Tensor): SegmentChunk[] {
  const be = x.backend, lim = be.maxBindingBytes;
  const [, c] = rowsCols(x);
  const key = `segchunk:${lim}:${c}:${perm ? 1 : 0}`;
  const h = rowptr.host;
  const what = `Cannot segment-reduce [${x.shape}] above the binding limit ${lim}`;
  if (!h) throw new RangeError(`${what}: the row pointers have no host copy to split them by`);
  if (perm && x.size * 4 > lim) throw new RangeError(`${what}: permuted rows must fit one binding`);
  const r = rowptr.size - 1, w = perm ? 1 : c;
  const chunks: SegmentChunk[] = [];
  const prev = registry.current;
  registry.current = null;
  try {
    for (let s0 = 0; s0 < r;) {
      const base = Math.floor(h[s0] / ROW_ALIGN) * ROW_ALIGN;
      const fits = (s: number) => (s - s0) * c * 4 <= lim && (h[s] - base) * w * 4 <= lim;
      let s1 = Math.min(r, s0 + ROW_ALIGN);
      if (!fits(s1)) {
        throw new RangeError(`${what}: segments ${s0}..${s1} read more rows than one binding holds`);
      }
      while (s1 < r && fits(Math.min(r, s1 + ROW_ALIGN))) s1 = Math.min(r, s1 + ROW_ALIGN);
      const k = `${key}:${s0}`;
      if (!rowptr.cache.has(k)) {
        rowptr.cache.set(k, Tensor.from(be, Uint32Array.from(h.subarray(s0, s1 + 1), (v) => v - base)));
      }
      chunks.push({ s0, s1, base, rows: h[s1] - base, rowptr: rowptr.cache.get(k)! });
      s0 = s1;
    }
  } finally {
    registry.current = prev;
  }
  return chunks;
}

/**
 * out[s] = Σ x[e] for e in rowptr[s]..rowptr[s+1] (e.g. edges → atoms, atoms → crystals).
 *
 * @example Edges → atoms
 * ```ts
 * import { getBackend } from "./backend.ts";
 * import { Tensor } from "./tensor.ts";
 * import { segmentSum } from "./functional.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = await getBackend({ prefer: "reference" });
 * const msg = Tensor.from(be, [1, 2, 3, 4], [4, 1]);
 * const y = segmentSum(msg, Tensor.from(be, new Uint32Array([0, 1, 1, 4])));
 * assertEquals(await y.read(), new Float32Array([1, 0, 9]));
 * ```
 */
export const segmentSum = (x: Tensor, rowptr: Tensor): Tensor => segmentReduce(x, rowptr, false);
/**
 * out[s] = mean of x[e] over the segment (0 for an empty one).
 *
 * @example Atoms → crystals
 * ```ts
 * import { getBackend } from "./backend.ts";
 * import { Tensor } from "./tensor.ts";
 * import { segmentMean } from "./functional.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = await getBackend({ prefer: "reference" });
 * const y = segmentMean(Tensor.from(be, [1, 3, 5], [3, 1]), Tensor.from(be, new Uint32Array([0, 2, 3])));
 * assertEquals(await y.read(), new Float32Array([2, 5]));
 * ```
 */
export const segmentMean = (x: Tensor, rowptr: Tensor): Tensor => segmentReduce(x, rowptr, true);

/** Copies row g[s] to every row e of segment s (÷ count with `mean`); not recorded. */
export function segmentExpand(g: Tensor, rowptr: Tensor, rows: number, mean: boolean): Tensor {
  const [, c] = rowsCols(g);
  const o = out(g.backend, g.shape.length === 1 ? [rows] : [rows, ...g.shape.slice(1)]);
  const be = g.backend, r = rowptr.size - 1, consts = { MEAN: mean ? 1 : 0 };
  if (Math.max(rows * c, r * c, rowptr.size) * 4 <= be.maxBindingBytes) {
    launch(be, "segment_expand", [g, rowptr, o], { e: rows, r, c }, grid1d(rows * c), consts);
    return o;
  }
  // Rows outside every segment stay zero. Each chunk also zeroes the rows between its aligned base
  // and its first segment, which belong to the chunk before it: so dispatch the chunks last first.
  launchElementwise(be, "fill", [o], { value: 0 });
  for (const ch of segmentChunks(g, rowptr).reverse()) {
    if (ch.rows === 0) continue;
    const n = ch.s1 - ch.s0, view = { buffer: o.buffer, offset: ch.base * c, length: ch.rows * c };
    const bufs = [rowView(g, ch.s0, n, c), ch.rowptr, view];
    launch(be, "segment_expand", bufs, { e: ch.rows, r: n, c }, grid1d(ch.rows * c), consts);
  }
  return o;
}
