/**
 * GemNet's `he_orthogonal_init` (cdvae-reference-audit.md O5), computed on the host: a random
 * (semi-)orthogonal matrix, standardised per output unit, times fan_in^(−½). The random numbers
 * come from a small counter-free generator seeded by the parameter's stream, so a store's seed
 * fixes the weights on every backend (not PyTorch's numbers, only their distribution).
 *
 * @module
 */

/** splitmix32 then Box–Muller: deterministic standard normals for one seed pair. */
function normals(count: number, seed: number, seedHi: number): Float64Array {
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
 * torch's `orthogonal_` on a (rows, cols) matrix: QR of a Gaussian matrix with the sign of R's
 * diagonal folded in, i.e. orthonormal rows when rows ≤ cols, orthonormal columns otherwise.
 * Modified Gram–Schmidt on the columns of the tall orientation (its R diagonal is positive).
 */
function orthogonal(rows: number, cols: number, seed: number, seedHi: number): Float64Array {
  const tall = rows >= cols;
  const [m, k] = tall ? [rows, cols] : [cols, rows];
  const a = normals(m * k, seed, seedHi); // column c of the m×k matrix at a[c·m …]
  for (let c = 0; c < k; c++) {
    for (let p = 0; p < c; p++) {
      let dot = 0;
      for (let i = 0; i < m; i++) dot += a[c * m + i] * a[p * m + i];
      for (let i = 0; i < m; i++) a[c * m + i] -= dot * a[p * m + i];
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += a[c * m + i] ** 2;
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
  const w = orthogonal(rows, cols, seed, seedHi);
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
