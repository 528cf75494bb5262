/**
 * Private plumbing shared by the op functions: workgroup grids, placeholder buffers, dispatch
 * recording and splitting elementwise and row-wise work at the binding limit.
 *
 * @module
 */

import type { Backend, BufferView, DeviceBuffer } from "./backend.ts";
import { OPS } from "./ops.ts";
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
  be.dispatch({ kernel: OPS[name], buffers, params, consts, grid });
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

/** Rows and columns of a tensor seen as a matrix (1-D: one column). */
export function rowsCols(t: Tensor): [number, number] {
  return t.shape.length === 1 ? [t.shape[0], 1] : [t.shape[0], numel(t.shape.slice(1))];
}
