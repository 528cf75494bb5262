/**
 * The networks' weight initialisers, computed on the host in f64 from one `orthogonal_` (torch's,
 * cdvae-reference-audit.md O5):
 * - {@linkcode glorotOrthogonal}: PyG's `glorot_orthogonal(W, scale)` (`nn/inits.py` @ 2.0.1) for
 *   DimeNet++, written into an existing dense weight: W ← orthogonal_(W), then W ← W·sqrt(scale /
 *   ((fan_in + fan_out)·Var(W))) with the unbiased variance over all entries.
 * - {@linkcode heOrthogonal}: GemNet's `he_orthogonal_init`: a (semi-)orthogonal matrix,
 *   standardised per output unit, times fan_in^(−½).
 * - {@linkcode zeroParameter}: zeros.
 *
 * The random streams are our own, one per initialiser (seeded from the store seed and the
 * parameter's name or stream), so weights are reproducible across backends but not equal to
 * PyTorch's draws, only distributed as they are. Each keeps the stream it has always had, so a seed
 * gives the same weights as before the two initialisers shared a module.
 *
 * @module
 */

import type { Linear, ParamStore } from "./module.ts";

/** A 32-bit FNV-1a hash of a parameter name (one random stream per name). */
function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** Standard normal draws from mulberry32 and Box–Muller: glorot_orthogonal's stream. */
function mulberryNormals(seed: number, n: number): Float64Array {
  let s = seed >>> 0;
  const u = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  const out = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(u())), a = 2 * Math.PI * u();
    out[i] = r * Math.cos(a);
    if (i + 1 < n) out[i + 1] = r * Math.sin(a);
  }
  return out;
}

/** splitmix32 then Box–Muller: he_orthogonal_init's stream, for one seed pair. */
function splitmixNormals(count: number, seed: number, seedHi: number): Float64Array {
  let s = (Math.imul(seed ^ 0x85ebca6b, 0xc2b2ae35) ^ Math.imul(seedHi, 0x27d4eb2f)) >>> 0;
  const next = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return ((z ^ (z >>> 15)) >>> 0) / 4294967296;
  };
  const out = new Float64Array(count);
  for (let i = 0; i < count; i += 2) {
    const u1 = 1 - next(), u2 = next();
    const r = Math.sqrt(-2 * Math.log(u1));
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < count) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}

/**
 * A `rows × cols` matrix (row-major) as torch's `orthogonal_` makes it from Gaussian draws: QR of
 * the Gaussian matrix with R's diagonal made positive (modified Gram–Schmidt on the columns of the
 * tall orientation gives that directly), so the shorter side is orthonormal.
 *
 * @param rows Rows
 * @param cols Columns
 * @param a `rows·cols` standard normals, read as the column-major m × k matrix of the tall
 *   orientation (m = max, k = min; column c at a[c·m …]); overwritten
 */
function orthogonal(rows: number, cols: number, a: Float64Array): Float64Array {
  const tall = rows >= cols;
  const [m, k] = tall ? [rows, cols] : [cols, rows];
  for (let c = 0; c < k; c++) {
    for (let p = 0; p < c; p++) {
      let dot = 0;
      for (let i = 0; i < m; i++) dot += a[c * m + i] * a[p * m + i];
      for (let i = 0; i < m; i++) a[c * m + i] -= dot * a[p * m + i];
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += a[c * m + i] * a[c * m + i];
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < m; i++) a[c * m + i] /= norm;
  }
  const out = new Float64Array(rows * cols);
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < m; i++) {
      if (tall) out[i * cols + c] = a[c * m + i];
      else out[c * cols + i] = a[c * m + i];
    }
  }
  return out;
}

/**
 * Overwrites `lin.weight` with glorot_orthogonal(scale) drawn for the torch layout [out, in].
 *
 * @param store The store that owns the layer (its seed picks the stream)
 * @param lin The dense layer
 * @param scale PyG's `scale` (2 everywhere in DimeNet++)
 */
export function glorotOrthogonal(store: ParamStore, lin: Linear, scale = 2): void {
  const rows = lin.outFeatures, cols = lin.inFeatures;
  const seed = (hashName(`${lin.name}.weight`) ^ Math.imul(store.seed, 0x9e3779b1)) >>> 0;
  const w = orthogonal(rows, cols, mulberryNormals(seed, rows * cols));
  let mean = 0;
  for (const v of w) mean += v;
  mean /= w.length;
  let ss = 0;
  for (const v of w) ss += (v - mean) ** 2;
  const variance = w.length > 1 ? ss / (w.length - 1) : 1;
  const k = Math.sqrt(scale / ((rows + cols) * variance));
  const ours = new Float32Array(rows * cols); // [in, out]
  for (let o = 0; o < rows; o++) for (let i = 0; i < cols; i++) ours[i * rows + o] = w[o * cols + i] * k;
  store.be.write(lin.weight.buffer, ours);
}

/**
 * Overwrites a parameter with zeros (the reference zero-initialises each output block's last
 * weight, so the encoder's output is exactly 0 at initialisation).
 *
 * @param store The store that owns the parameter
 * @param name Its state_dict name
 */
export function zeroParameter(store: ParamStore, name: string): void {
  const t = store.get(name);
  store.be.write(t.buffer, new Float32Array(t.size));
}

/**
 * `he_orthogonal_init` of a weight in PyTorch's layout, returned in the layout we store:
 * - 2-D torch weight [out, in] (`nn.Linear`): orthogonal, each output row standardised over its
 *   inputs (unbiased variance, ε = 1e-6), × in^(−½); returned transposed, as our [in, out].
 * - 3-D weight [d0, d1, d2] (GemNet's efficient layers): orthogonal on the (d0, d1·d2) flattening,
 *   standardised over (d0, d1) for each last index, × (d0·d1)^(−½); returned as is.
 *
 * @param torchShape The weight's shape in PyTorch
 * @param seed Seed word of the parameter's stream
 * @param seedHi Stream word
 * @returns f32 values, row-major in our layout
 *
 * @example Every output unit has mean 0 and variance 1/fan_in
 * ```ts
 * import { heOrthogonal } from "./init.ts";
 * import { assertAlmostEquals } from "../../tests/_assert.ts";
 * const w = heOrthogonal([3, 8], 1, 2); // our [8, 3]
 * let m = 0, v = 0;
 * for (let i = 0; i < 8; i++) m += w[i * 3] / 8;
 * for (let i = 0; i < 8; i++) v += (w[i * 3] - m) ** 2 / 7;
 * assertAlmostEquals(m, 0, 1e-6);
 * assertAlmostEquals(v, 1 / 8, 1e-5);
 * ```
 */
export function heOrthogonal(torchShape: readonly number[], seed: number, seedHi: number): Float32Array {
  const rows = torchShape[0];
  const cols = torchShape.slice(1).reduce((a, b) => a * b, 1);
  const w = orthogonal(rows, cols, splitmixNormals(rows * cols, seed, seedHi));
  // Units: the output rows (2-D) or the last axis (3-D); `at(u, r)` is the r-th fan-in element of unit u.
  const three = torchShape.length === 3;
  const units = three ? torchShape[2] : rows;
  const fanIn = three ? torchShape[0] * torchShape[1] : cols;
  const at = (u: number, r: number) => (three ? r * units + u : u * cols + r);
  for (let u = 0; u < units; u++) {
    let mean = 0;
    for (let r = 0; r < fanIn; r++) mean += w[at(u, r)];
    mean /= fanIn;
    let v = 0;
    for (let r = 0; r < fanIn; r++) v += (w[at(u, r)] - mean) ** 2;
    const sd = Math.sqrt(v / Math.max(1, fanIn - 1) + 1e-6);
    for (let r = 0; r < fanIn; r++) w[at(u, r)] = (w[at(u, r)] - mean) / sd / Math.sqrt(fanIn);
  }
  if (three) return Float32Array.from(w);
  const out = new Float32Array(rows * cols); // transpose [out, in] → our [in, out]
  for (let u = 0; u < rows; u++) for (let r = 0; r < cols; r++) out[r * rows + u] = w[u * cols + r];
  return out;
}
