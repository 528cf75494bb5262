/**
 * PyG's `glorot_orthogonal(W, scale)` initialiser (`nn/inits.py` @ 2.0.1), computed on the host in
 * f64 and written into an existing dense weight: W ← orthogonal_(W), then W ← W·sqrt(scale /
 * ((fan_in + fan_out)·Var(W))) with the unbiased variance over all entries (audit O5). The random
 * stream is our own (seeded from the store seed and the parameter name), so weights are
 * reproducible across backends but not equal to PyTorch's draws.
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

/** Standard normal draws from mulberry32 and Box–Muller (host only; speed does not matter here). */
function normals(seed: number, n: number): Float64Array {
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

/**
 * A `rows × cols` matrix (row-major) as torch's `orthogonal_` makes it: a Gaussian matrix, its QR
 * factor Q with R's diagonal made positive (modified Gram–Schmidt gives that directly), transposed
 * when rows < cols so that the shorter side is orthonormal.
 */
function orthogonal(rows: number, cols: number, seed: number): Float64Array {
  const m = Math.max(rows, cols), n = Math.min(rows, cols);
  const a = normals(seed, m * n); // column-major m × n: column c at a[c·m …]
  for (let c = 0; c < n; c++) {
    const col = a.subarray(c * m, (c + 1) * m);
    for (let p = 0; p < c; p++) {
      const q = a.subarray(p * m, (p + 1) * m);
      let d = 0;
      for (let i = 0; i < m; i++) d += q[i] * col[i];
      for (let i = 0; i < m; i++) col[i] -= d * q[i];
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += col[i] * col[i];
    norm = Math.sqrt(norm);
    for (let i = 0; i < m; i++) col[i] /= norm;
  }
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[r * cols + c] = rows >= cols ? a[c * m + r] : a[r * m + c];
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
  const w = orthogonal(
    rows,
    cols,
    (hashName(`${lin.name}.weight`) ^ Math.imul(store.seed, 0x9e3779b1)) >>> 0,
  );
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
