/**
 * Dense ops: matmul with fused bias and activation (and its transposed forms), transpose and
 * batched matmul. Re-exported by `functional.ts`.
 *
 * @module
 */

import { ACT, type Activation } from "./_cpu.ts";
import {
  type Buf,
  dummy,
  expectRank,
  grid1d,
  launch,
  launchRows,
  out,
  rowChunk,
  rowView,
} from "./_launch.ts";
import { OPS } from "./ops.ts";
import { copyColumns } from "./rows.ts";
import { recordOp, willRecord } from "./recording.ts";
import type { Tensor } from "./tensor.ts";

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
