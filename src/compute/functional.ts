/**
 * The ops as functions on tensors. Each allocates its outputs, records one or more dispatches of
 * a registry kernel (`ops.ts`) on the tensors' backend and, when a tape records, a tape node.
 * Nothing here reads back to the host. This module holds creation, random numbers and reshapes,
 * and re-exports the rest: dense ops (`dense.ts`), elementwise ops (`elementwise.ts`), row ops
 * (`rows.ts`) and segment ops (`segments.ts`); import them from here.
 *
 * @module
 */

import type { Backend } from "./backend_interface.ts";
import { type Buf, grid1d, launch, launchElementwise, out, ROW_ALIGN } from "./_launch.ts";
import { OPS } from "./ops.ts";
import { recordOp } from "./recording.ts";
import { scale } from "./elementwise.ts";
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

export * from "./dense.ts";
export * from "./elementwise.ts";
export * from "./rows.ts";
export * from "./segments.ts";
