/**
 * Plain-TS reference kernels: one per WGSL entry point, with the same buffers (in binding order)
 * and the same named parameters. They define what each kernel computes; tests compare the GPU with
 * them, and the reference backend runs them. Written for clarity, not speed (f64 accumulators
 * are allowed; results are stored as f32).
 *
 * @module
 */

import type { CpuKernel } from "./backend_interface.ts";

/** Activation codes shared by `matmul`, `unary` and their backwards (`ACT` constant). */
export const ACT = { none: 0, relu: 1, silu: 2, sigmoid: 3, softplus: 4, sin: 5, exp: 6, ssilu: 7 } as const;

/** The factor of ScaledSiLU (`ssilu`, code 7): silu(x)·(1/0.6), GemNet's "swish". */
export const SSILU_FACTOR: number = 1 / 0.6;

/** Activation name. */
export type Activation = keyof typeof ACT;

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const softplus = (x: number) => (x > 20 ? x : Math.log1p(Math.exp(x)));

/** Applies activation `act` (an {@linkcode ACT} code). */
export function activate(act: number, x: number): number {
  switch (act) {
    case 1:
      return x > 0 ? x : 0;
    case 2:
      return x * sigmoid(x);
    case 3:
      return sigmoid(x);
    case 4:
      return softplus(x);
    case 5:
      return Math.sin(x);
    case 6:
      return Math.exp(x);
    case 7:
      return x * sigmoid(x) * SSILU_FACTOR;
    default:
      return x;
  }
}

/** Derivative of activation `act` at pre-activation `x`. */
export function activateGrad(act: number, x: number): number {
  switch (act) {
    case 1:
      return x > 0 ? 1 : 0;
    case 2: {
      const s = sigmoid(x);
      return s * (1 + x * (1 - s));
    }
    case 3: {
      const s = sigmoid(x);
      return s * (1 - s);
    }
    case 4:
      return sigmoid(x);
    case 5:
      return Math.cos(x);
    case 6:
      return Math.exp(x);
    case 7: {
      const s = sigmoid(x);
      return s * (1 + x * (1 - s)) * SSILU_FACTOR;
    }
    default:
      return 1;
  }
}

/** out[M,N] = act(a[M,K]·b[K,N] + bias[N]); pre = the value before the activation. */
export const matmul: CpuKernel = ([a, b, bias, out, pre], p) => {
  const { m, n, k } = p;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = p.BIAS ? bias[j] : 0;
      for (let q = 0; q < k; q++) s += a[i * k + q] * b[q * n + j];
      if (p.PRE) pre[i * n + j] = s;
      out[i * n + j] = activate(p.ACT, s);
    }
  }
};

/** out[M,N] = a[M,K]·b[N,K]ᵀ. */
export const matmulNT: CpuKernel = ([a, b, out], { m, n, k }) => {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let q = 0; q < k; q++) s += a[i * k + q] * b[j * k + q];
      out[i * n + j] = s;
    }
  }
};

/** out[M,N] = a[K,M]ᵀ·b[K,N], added to what out holds when ACC = 1. */
export const matmulTN: CpuKernel = ([a, b, out], p) => {
  const { m, n, k } = p;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = p.ACC ? out[i * n + j] : 0;
      for (let q = 0; q < k; q++) s += a[q * m + i] * b[q * n + j];
      out[i * n + j] = s;
    }
  }
};

/** out[i] = op(a[i])·op(b[i]) for r batch items: a [r, M, K] (TA: [r, K, M]), b [r, K, N] (TB: [r, N, K]). */
export const bmm: CpuKernel = ([a, b, out], p) => {
  const { r, m, n, k } = p;
  for (let e = 0; e < r; e++) {
    const ao = e * m * k, bo = e * k * n, oo = e * m * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) {
          s += a[ao + (p.TA ? q * m + i : i * k + q)] * b[bo + (p.TB ? j * k + q : q * n + j)];
        }
        out[oo + i * n + j] = s;
      }
    }
  }
};

/** out[C,R] = x[R,C]ᵀ. */
export const transpose: CpuKernel = ([x, out], { r, c }) => {
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = x[i * c + j];
};

/** Offset of output element `i` in an input with strides `s0..s3` (output shape `d0..d3`). */
function bcastIndex(i: number, p: Record<string, number>, s: string): number {
  const c3 = i % p.d3, c2 = Math.floor(i / p.d3) % p.d2, c1 = Math.floor(i / (p.d3 * p.d2)) % p.d1;
  const c0 = Math.floor(i / (p.d3 * p.d2 * p.d1));
  return c0 * p[s + "0"] + c1 * p[s + "1"] + c2 * p[s + "2"] + c3 * p[s + "3"];
}

/** out = alpha·(a ∘ b) with broadcasting (OP: 0 add, 1 sub, 2 mul); strides are 0 along broadcast dims. */
export const binary: CpuKernel = ([a, b, out], p) => {
  for (let i = 0; i < p.n; i++) {
    const x = a[bcastIndex(i, p, "a")], y = b[bcastIndex(i, p, "b")];
    out[i] = p.alpha * (p.OP === 0 ? x + y : p.OP === 1 ? x - y : x * y);
  }
};

/** out = alpha·a broadcast to the output shape. */
export const expand: CpuKernel = ([a, out], p) => {
  for (let i = 0; i < p.n; i++) out[i] = p.alpha * a[bcastIndex(i, p, "a")];
};

/** out = alpha·x + beta. */
export const scale: CpuKernel = ([x, out], { n, alpha, beta }) => {
  for (let i = 0; i < n; i++) out[i] = alpha * x[i] + beta;
};

/** out = value. */
export const fill: CpuKernel = ([out], { n, value }) => {
  out.fill(value, 0, n);
};

/** out = act(x). */
export const unary: CpuKernel = ([x, out], p) => {
  for (let i = 0; i < p.n; i++) out[i] = activate(p.ACT, x[i]);
};

/** dx = g · act′(x) with x the pre-activation. */
export const unaryBackward: CpuKernel = ([g, x, out], p) => {
  for (let i = 0; i < p.n; i++) out[i] = g[i] * activateGrad(p.ACT, x[i]);
};

/** dst[r, dst_off + c] = src[r, src_off + c] for c < width. */
export const copyCols: CpuKernel = ([src, dst], p) => {
  for (let r = 0; r < p.rows; r++) {
    for (let c = 0; c < p.width; c++) {
      dst[r * p.dst_cols + p.dst_off + c] = src[r * p.src_cols + p.src_off + c];
    }
  }
};

/** out[i, :] = x[idx[i], :] (zeros for an index ≥ n). */
export const gatherRows: CpuKernel = ([x, idx, out], { r, c, n }) => {
  for (let i = 0; i < r; i++) {
    const j = idx[i];
    for (let q = 0; q < c; q++) out[i * c + q] = j >= 0 && j < n ? x[j * c + q] : 0;
  }
};

/** out[s, :] = Σ x[perm[e], :] over e in rowptr[s]..rowptr[s+1] (mean with MEAN; perm = identity unless PERM). */
export const segmentSum: CpuKernel = ([x, rowptr, perm, out], p) => {
  const { r, c } = p;
  for (let s = 0; s < r; s++) {
    const lo = rowptr[s], hi = rowptr[s + 1];
    const inv = p.MEAN && hi > lo ? 1 / (hi - lo) : 1;
    for (let q = 0; q < c; q++) {
      let acc = 0;
      for (let e = lo; e < hi; e++) acc = Math.fround(acc + x[(p.PERM ? perm[e] : e) * c + q]);
      out[s * c + q] = acc * inv;
    }
  }
};

/** out[e, :] = g[s, :] (÷ count with MEAN) for the segment s that holds e. */
export const segmentExpand: CpuKernel = ([g, rowptr, out], p) => {
  out.fill(0, 0, p.e * p.c);
  for (let s = 0; s < p.r; s++) {
    const lo = rowptr[s], hi = rowptr[s + 1];
    const inv = p.MEAN && hi > lo ? 1 / (hi - lo) : 1;
    for (let e = lo; e < hi; e++) for (let q = 0; q < p.c; q++) out[e * p.c + q] = g[s * p.c + q] * inv;
  }
};

/** Row-wise softmax (log-softmax with LOG). */
export const softmax: CpuKernel = ([x, out], p) => {
  for (let i = 0; i < p.r; i++) {
    const row = x.subarray(i * p.c, (i + 1) * p.c);
    const mx = Math.max(...row);
    let s = 0;
    for (const v of row) s += Math.exp(v - mx);
    for (let q = 0; q < p.c; q++) {
      out[i * p.c + q] = p.LOG ? row[q] - mx - Math.log(s) : Math.exp(row[q] - mx) / s;
    }
  }
};

/** Backward of softmax given its output y (LOG: of log-softmax). */
export const softmaxBackward: CpuKernel = ([g, y, out], p) => {
  for (let i = 0; i < p.r; i++) {
    let s = 0;
    for (let q = 0; q < p.c; q++) s += p.LOG ? g[i * p.c + q] : g[i * p.c + q] * y[i * p.c + q];
    for (let q = 0; q < p.c; q++) {
      const j = i * p.c + q;
      out[j] = p.LOG ? g[j] - Math.exp(y[j]) * s : y[j] * (g[j] - s);
    }
  }
};

/** loss[i] = w[i]·(logsumexp(x[i]) − x[i, t[i]]). */
export const crossEntropy: CpuKernel = ([x, t, w, out], p) => {
  for (let i = 0; i < p.r; i++) {
    const row = x.subarray(i * p.c, (i + 1) * p.c);
    const mx = Math.max(...row);
    let s = 0;
    for (const v of row) s += Math.exp(v - mx);
    out[i] = (p.WEIGHT ? w[i] : 1) * (mx + Math.log(s) - row[t[i]]);
  }
};

/** dx[i, :] = g[i]·w[i]·(softmax(x[i]) − onehot(t[i])). */
export const crossEntropyBackward: CpuKernel = ([g, x, t, w, out], p) => {
  for (let i = 0; i < p.r; i++) {
    const row = x.subarray(i * p.c, (i + 1) * p.c);
    const mx = Math.max(...row);
    let s = 0;
    for (const v of row) s += Math.exp(v - mx);
    for (let q = 0; q < p.c; q++) {
      out[i * p.c + q] = g[i] * (p.WEIGHT ? w[i] : 1) * (Math.exp(row[q] - mx) / s - (q === t[i] ? 1 : 0));
    }
  }
};

/** out[0] = mean((a − b)²). */
export const mse: CpuKernel = ([a, b, out], { n }) => {
  let s = 0;
  for (let i = 0; i < n; i++) s += (a[i] - b[i]) ** 2;
  out[0] = s / n;
};

/** da = g[0]·2(a − b)/n. */
export const mseBackward: CpuKernel = ([g, a, b, out], { n }) => {
  for (let i = 0; i < n; i++) out[i] = (g[0] * 2 * (a[i] - b[i])) / n;
};

/** out[0] = Σx (÷ n with MEAN). */
export const sumAll: CpuKernel = ([x, out], p) => {
  let s = 0;
  for (let i = 0; i < p.n; i++) s += x[i];
  out[0] = p.MEAN ? s / p.n : s;
};

/** Sums x over the reduced dims r0..r3 (strides q0..q3) into the target shape d0..d3 (strides a0..a3). */
export const sumTo: CpuKernel = ([x, out], p) => {
  for (let i = 0; i < p.n; i++) {
    const base = bcastIndex(i, p, "a");
    let s = 0;
    for (let j = 0; j < p.nr; j++) {
      const c3 = j % p.r3, c2 = Math.floor(j / p.r3) % p.r2, c1 = Math.floor(j / (p.r3 * p.r2)) % p.r1;
      const c0 = Math.floor(j / (p.r3 * p.r2 * p.r1));
      s += x[base + c0 * p.q0 + c1 * p.q1 + c2 * p.q2 + c3 * p.q3];
    }
    out[i] = s;
  }
};

/** Adam with gradient clipping by value and decoupled weight decay; updates p, m, v in place. */
export const adam: CpuKernel = ([w, g, m, v], p) => {
  for (let i = 0; i < p.n; i++) {
    const gi = Math.min(Math.max(g[i], -p.clip), p.clip);
    m[i] = p.b1 * m[i] + (1 - p.b1) * gi;
    v[i] = p.b2 * v[i] + (1 - p.b2) * gi * gi;
    const mh = m[i] / p.bc1, vh = v[i] / p.bc2;
    w[i] = w[i] - p.lr * (mh / (Math.sqrt(vh) + p.eps) + p.wd * w[i]);
  }
};

/** High and low 32 bits of the 64-bit product of two u32 (as the WGSL kernel computes them). */
export function mulhilo(a: number, b: number): [number, number] {
  const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  const hi = (p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) >>> 0;
  return [hi, Math.imul(a, b) >>> 0];
}

/** Philox4x32-10 (Salmon et al. 2011) of counter `c` under key `k`. */
export function philox(c: number[], k0: number, k1: number): number[] {
  let [x0, x1, x2, x3] = c;
  for (let round = 0; round < 10; round++) {
    const [h0, l0] = mulhilo(0xd2511f53, x0);
    const [h1, l1] = mulhilo(0xcd9e8d57, x2);
    [x0, x1, x2, x3] = [(h1 ^ x1 ^ k0) >>> 0, l1, (h0 ^ x3 ^ k1) >>> 0, l0];
    k0 = (k0 + 0x9e3779b9) >>> 0;
    k1 = (k1 + 0xbb67ae85) >>> 0;
  }
  return [x0, x1, x2, x3];
}

/** u32 → f32 in [0, 1) from the top 24 bits (exact in f32). */
const unit = (x: number) => (x >>> 8) * (1 / 16777216);

/** out[i] = lo + (hi − lo)·u, u uniform in [0, 1); 4 numbers per Philox counter (i/4, offset). */
export const randUniform: CpuKernel = ([out], p) => {
  for (let i = 0; i < p.n; i += 4) {
    const x = philox([i / 4, p.offset, 0, 0], p.seed_lo, p.seed_hi);
    for (let j = 0; j < 4 && i + j < p.n; j++) out[i + j] = p.lo + (p.hi - p.lo) * unit(x[j]);
  }
};

/** out[i] = mean + std·z, z standard normal by Box–Muller on the same Philox stream. */
export const randNormal: CpuKernel = ([out], p) => {
  for (let i = 0; i < p.n; i += 4) {
    const x = philox([i / 4, p.offset, 0, 0], p.seed_lo, p.seed_hi);
    const z: number[] = [];
    for (let j = 0; j < 4; j += 2) {
      const u1 = Math.fround(Math.fround((x[j] >>> 8) + 1) / 16777216), u2 = unit(x[j + 1]);
      const r = Math.sqrt(-2 * Math.log(u1)), th = 2 * Math.PI * u2;
      z.push(r * Math.cos(th), r * Math.sin(th));
    }
    for (let j = 0; j < 4 && i + j < p.n; j++) out[i + j] = p.mean + p.std * z[j];
  }
};
