/**
 * Private plumbing shared by the op functions: workgroup grids, placeholder buffers, dispatch
 * recording and splitting elementwise and row-wise work at the binding limit.
 *
 * @module
 */

import type { Backend, BufferView, DeviceBuffer } from "./backend_interface.ts";
import { kernelDef } from "./ops.ts";
import { numel, Tensor } from "./tensor.ts";

/** Invocations per workgroup of the 1-D kernels (elementwise, gathers, segments). */
export const WG = 64;
/** Rows (or elements) per chunk are a multiple of this, so chunk offsets meet the 256-byte binding alignment. */
export const ROW_ALIGN = 64;
/** Most workgroups per grid dimension that WebGPU guarantees. */
const MAX_GRID = 65535;

/** A 2-D grid of workgroups covering `invocations` at `wg` per workgroup (kernels linearise it). */
export function grid1d(invocations: number, wg = WG): [number, number] {
  const groups = Math.max(1, Math.ceil(invocations / wg));
  const x = Math.min(groups, MAX_GRID);
  return [x, Math.ceil(groups / x)];
}

const dummies = new WeakMap<Backend, { f: DeviceBuffer; g: DeviceBuffer; u: DeviceBuffer }>();
/** Placeholder buffers bound where a kernel's optional input or output is switched off. */
export function dummy(be: Backend) {
  let d = dummies.get(be);
  if (!d) dummies.set(be, d = { f: be.alloc("f32", 4), g: be.alloc("f32", 4), u: be.alloc("u32", 4) });
  return d;
}

/** Anything a kernel binding accepts. */
export type Buf = Tensor | BufferView | DeviceBuffer;
/** Records one dispatch of registry kernel `name` on `be`. */
export function launch(
  be: Backend,
  name: string,
  bufs: Buf[],
  params: Record<string, number>,
  grid: [number, number],
  consts: Record<string, number> = {},
): void {
  const buffers = bufs.map((b) => (b instanceof Tensor ? b.buffer : b));
  be.dispatch({ kernel: kernelDef(name), buffers, params, consts, grid });
}

/**
 * Dispatches an elementwise kernel over same-length tensors, in several dispatches over aligned
 * ranges when they exceed the backend's binding limit. Sets the parameter `n`.
 */
export function launchElementwise(
  be: Backend,
  name: string,
  ts: Tensor[],
  params: Record<string, number>,
  consts: Record<string, number> = {},
): void {
  const n = ts[ts.length - 1].size;
  const max = Math.max(ROW_ALIGN, Math.floor(be.maxBindingBytes / 4 / ROW_ALIGN) * ROW_ALIGN);
  if (n <= max) return launch(be, name, ts, { ...params, n }, grid1d(n), consts);
  for (let off = 0; off < n; off += max) {
    const len = Math.min(max, n - off);
    const views = ts.map((t) => ({ buffer: t.buffer, offset: off, length: len }));
    launch(be, name, views, { ...params, n: len }, grid1d(len), consts);
  }
}

/** Rows per dispatch so that rows of `rowBytes` bytes fit one binding: all, or a multiple of ROW_ALIGN. */
export function rowChunk(be: Backend, rows: number, rowBytes: number): number {
  if (rows * rowBytes <= be.maxBindingBytes) return rows;
  return Math.max(ROW_ALIGN, Math.floor(be.maxBindingBytes / rowBytes / ROW_ALIGN) * ROW_ALIGN);
}

/** Rows r0 .. r0 + rows of `t` seen as rows of `w` elements (`t` itself when that is all of it). */
export function rowView(t: Tensor, r0: number, rows: number, w: number): Buf {
  return r0 === 0 && rows * w === t.size ? t : { buffer: t.buffer, offset: r0 * w, length: rows * w };
}

/** A binding of {@linkcode launchRows}: a whole buffer, or a tensor split into rows of `w` elements. */
export type RowBuf = Buf | [t: Tensor, w: number];

/**
 * Dispatches a row-wise kernel over `rows` rows, in several dispatches over aligned row ranges
 * (the `[tensor, width]` bindings) when they exceed the backend's binding limit; whole buffers are
 * bound as they are. Sets the parameter `r` to the rows of each dispatch.
 */
export function launchRows(
  be: Backend,
  name: string,
  rows: number,
  bufs: RowBuf[],
  params: Record<string, number>,
  grid: (rows: number) => [number, number],
  consts: Record<string, number> = {},
): void {
  const widths = bufs.map((b) => (Array.isArray(b) ? b[1] : 0));
  const chunk = rowChunk(be, rows, 4 * Math.max(1, ...widths));
  for (let r0 = 0; r0 < rows || r0 === 0; r0 += chunk) {
    const n = Math.min(chunk, rows - r0);
    const views = bufs.map((b) => (Array.isArray(b) ? rowView(b[0], r0, n, b[1]) : b));
    launch(be, name, views, { ...params, r: n }, grid(n), consts);
    if (rows === 0) break;
  }
}

/** Allocates an output tensor. */
export function out(be: Backend, shape: readonly number[], dtype: "f32" | "u32" = "f32"): Tensor {
  return Tensor.empty(be, shape, dtype);
}

/** Throws a TypeError unless `t` has rank `rank`. */
export function expectRank(t: Tensor, rank: number, what: string): void {
  if (t.shape.length !== rank) {
    throw new TypeError(`Cannot ${what}: expected rank ${rank}, got shape [${t.shape}]`);
  }
}

/** Throws a TypeError unless `idx` holds integers (u32 or i32). */
export function checkIndex(idx: Tensor, what: string): void {
  if (idx.dtype === "f32") throw new TypeError(`Cannot ${what}: indices must be u32 or i32, got f32`);
}

/** Rows and columns of a tensor seen as a matrix (1-D: one column). */
export function rowsCols(t: Tensor): [number, number] {
  return t.shape.length === 1 ? [t.shape[0], 1] : [t.shape[0], numel(t.shape.slice(1))];
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Smallest count s such that s·stride is a multiple of ROW_ALIGN elements for every stride. */
export function alignStep(strides: number[]): number {
  let step = 1;
  for (const s of strides) {
    if (s <= 0) continue;
    const need = ROW_ALIGN / gcd(ROW_ALIGN, s);
    step = (step * need) / gcd(step, need);
  }
  return step;
}

/** Elements offset .. offset + length of `t` (`t` itself when that is all of it). */
export function flatView(t: Tensor, offset: number, length: number): Buf {
  return offset === 0 && length === t.size ? t : { buffer: t.buffer, offset, length };
}

/** Number of elements of a padded 4-D extent. */
const prod = (d: readonly number[]) => d.reduce((p, x) => p * x, 1);

/** Elements a strided operand spans over dims `d` (1 + Σ (dᵢ − 1)·sᵢ). */
export function extent(s: readonly number[], d: readonly number[]): number {
  return 1 + d.reduce((e, di, i) => e + Math.max(0, di - 1) * s[i], 0);
}

/**
 * Splits a 4-D index space `dims` into boxes whose bindings fit the limit: `fits(d)` says whether a
 * box of dims `d` fits; boxes are cut along the outermost dimension with more than one index into
 * the largest runs of a multiple of `alignStep(strides(level))` indices that fit (single indices,
 * recursing inward, when none does). `visit` gets each box's dims and its first index.
 */
export function splitBoxes(
  dims: readonly number[],
  fits: (d: number[]) => boolean,
  strides: (level: number) => number[],
  visit: (d: number[], at: number[]) => void,
): void {
  const go = (d: number[], at: number[]) => {
    if (prod(d) === 0) return;
    const L = d.findIndex((x) => x > 1);
    if (fits(d) || L < 0) return visit(d, at);
    const step = alignStep(strides(L));
    const with_ = (c: number) => d.map((x, i) => (i === L ? c : x));
    let lo = 0, hi = Math.floor(d[L] / step);
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (fits(with_(mid * step))) lo = mid;
      else hi = mid - 1;
    }
    const c = Math.max(1, lo * step);
    for (let i0 = 0; i0 < d[L]; i0 += c) {
      go(with_(Math.min(c, d[L] - i0)), at.map((x, i) => (i === L ? x + i0 : x)));
    }
  };
  go([...dims], [0, 0, 0, 0]);
}

/** One operand of a broadcasting kernel: the tensor and its element stride per padded output dim (0: broadcast). */
export interface BcastIn {
  t: Tensor;
  s: readonly number[];
}

/**
 * Dispatches a broadcasting kernel (`binary`, `expand`) over the padded 4-D output `dims` of `o`,
 * in several dispatches over boxes of the output when the output or an operand's span exceeds the
 * binding limit (each output element is computed by the same code either way, so the bits match).
 * `params(d)` gives the uniforms of a box of dims `d` (the strides do not change).
 *
 * @throws {RangeError} When a box would start at an offset the binding alignment does not allow
 */
export function launchBroadcast(
  be: Backend,
  name: string,
  ins: BcastIn[],
  o: Tensor,
  dims: readonly number[],
  params: (d: number[]) => Record<string, number>,
  consts: Record<string, number> = {},
): void {
  const lim = Math.floor(be.maxBindingBytes / 4);
  const os = [dims[1] * dims[2] * dims[3], dims[2] * dims[3], dims[3], 1];
  const fits = (d: number[]) => prod(d) <= lim && ins.every((x) => extent(x.s, d) <= lim);
  splitBoxes(dims, fits, (L) => [os[L], ...ins.map((x) => x.s[L])], (d, at) => {
    const offs = ins.map((x) => at.reduce((p, a, i) => p + a * x.s[i], 0));
    const oOff = at.reduce((p, a, i) => p + a * os[i], 0);
    if ([oOff, ...offs].some((f) => f % ROW_ALIGN !== 0)) {
      throw new RangeError(
        `Cannot split "${name}" over [${dims}] at aligned offsets under the binding limit`,
      );
    }
    const n = prod(d);
    const bufs = [...ins.map((x, i) => flatView(x.t, offs[i], extent(x.s, d))), flatView(o, oOff, n)];
    launch(be, name, bufs, params(d), grid1d(n), consts);
  });
}
