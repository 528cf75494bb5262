/**
 * Basis functions of the graph networks, as plain f64 host math: DimeNet's polynomial envelope,
 * spherical Bessel functions j_l and their zeros, the normalised spherical Bessel basis of
 * DimeNet's `SphericalBasisLayer`, and the m = 0 real spherical harmonics Y_l^0(cos θ) that both
 * DimeNet++ and GemNet-T use for angles. Geometry needs no gradient in CDVAE, so these run on the
 * host and the networks upload their values as f32 tensors.
 *
 * Conventions follow PyTorch Geometric 2.0.1 (`nn/models/dimenet.py`, `dimenet_utils.py`), which
 * the reference CDVAE encoder uses; see `cdvae-reference-details.md` §2.2 and the audit, O4.
 *
 * @module
 */

/**
 * DimeNet's smooth cutoff u(x) with p = `exponent` + 1 (PyG 2.0.1's `Envelope`):
 * u(x) = 1/x + a·x^(p−1) + b·x^p + c·x^(p+1), a = −(p+1)(p+2)/2, b = p(p+2), c = −p(p+1)/2.
 * For the default exponent 5: p = 6, a = −28, b = 48, c = −21, so u(1) = 0.
 *
 * PyG 2.0.1 has no x < 1 mask (audit A9), and neither has this: u(x) is returned for every
 * x > 0. The 1/x factor is the radial normalisation of the Bessel basis.
 *
 * @param x Distance divided by the cutoff (> 0)
 * @param exponent The envelope exponent of the config (default 5)
 * @returns u(x)
 *
 * @example Zero at the cutoff, 1/x near zero
 * ```ts
 * import { dimenetEnvelope } from "./bases.ts";
 * import { assertAlmostEquals } from "../../tests/_assert.ts";
 * assertAlmostEquals(dimenetEnvelope(1, 5), 0, 1e-12);
 * assertAlmostEquals(dimenetEnvelope(1e-3, 5), 1000, 1e-6);
 * ```
 */
export function dimenetEnvelope(x: number, exponent = 5): number {
  const p = exponent + 1;
  const a = -((p + 1) * (p + 2)) / 2, b = p * (p + 2), c = -(p * (p + 1)) / 2;
  const xp0 = x ** (p - 1);
  return 1 / x + a * xp0 + b * xp0 * x + c * xp0 * x * x;
}

/**
 * {@linkcode dimenetEnvelope} evaluated the way the reference does it in float32 (PyTorch: `x.pow(p − 1)`,
 * then products and a left-to-right sum, each rounded to f32). Near x = 1 the terms cancel, so
 * this differs from the f64 value by up to a few 1e-6 absolute; use it to reproduce the reference.
 *
 * @param x Distance divided by the cutoff (> 0), rounded to f32 first
 * @param exponent The envelope exponent (default 5)
 * @returns u(x) as an f32 value
 *
 * @example Close to the f64 value away from the cutoff
 * ```ts
 * import { dimenetEnvelope, dimenetEnvelopeF32 } from "./bases.ts";
 * import { assertAlmostEquals } from "../../tests/_assert.ts";
 * assertAlmostEquals(dimenetEnvelopeF32(0.3, 5), dimenetEnvelope(0.3, 5), 1e-5);
 * ```
 */
export function dimenetEnvelopeF32(x: number, exponent = 5): number {
  const f = Math.fround, p = exponent + 1;
  const a = f(-((p + 1) * (p + 2)) / 2), b = f(p * (p + 2)), c = f(-(p * (p + 1)) / 2);
  const xs = f(x);
  const x0 = f(xs ** (p - 1)), x1 = f(x0 * xs), x2 = f(x1 * xs);
  return f(f(f(f(1 / xs) + f(a * x0)) + f(b * x1)) + f(c * x2));
}

/**
 * The spherical Bessel function of the first kind j_l(x) in f64, accurate to a few ulp for
 * l ≤ 20 and x ≥ 0: the power series for x < l + 1 (where upward recurrence loses digits and the
 * closed forms cancel), upward recurrence from j_0 and j_1 above.
 *
 * @param l Order (integer ≥ 0)
 * @param x Argument (≥ 0)
 * @returns j_l(x)
 * @throws {RangeError} When l is not a non-negative integer
 *
 * @example j_0 and j_1 in closed form
 * ```ts
 * import { sphericalBesselJ } from "./bases.ts";
 * import { assertAlmostEquals } from "../../tests/_assert.ts";
 * assertAlmostEquals(sphericalBesselJ(0, 2), Math.sin(2) / 2, 1e-15);
 * assertAlmostEquals(sphericalBesselJ(1, 1), Math.sin(1) - Math.cos(1), 1e-15);
 * ```
 */
export function sphericalBesselJ(l: number, x: number): number {
  if (!Number.isInteger(l) || l < 0) {
    throw new RangeError(`Cannot evaluate j_l: order must be an integer ≥ 0, got "${l}"`);
  }
  if (x === 0) return l === 0 ? 1 : 0;
  if (x < l + 1) {
    // j_l(x) = x^l Σ_k (−x²/2)^k / (k! (2l+2k+1)!!): terms shrink from the second on for x < l + 1.
    let df = 1;
    for (let m = 3; m <= 2 * l + 1; m += 2) df *= m;
    let term = x ** l / df, sum = term;
    const h = -0.5 * x * x;
    for (let k = 1; k < 200; k++) {
      term *= h / (k * (2 * l + 2 * k + 1));
      sum += term;
      if (Math.abs(term) <= 1e-17 * Math.abs(sum)) break;
    }
    return sum;
  }
  const s = Math.sin(x), c = Math.cos(x);
  let jm = s / x;
  if (l === 0) return jm;
  let j = s / (x * x) - c / x;
  for (let n = 1; n < l; n++) {
    const next = ((2 * n + 1) / x) * j - jm;
    jm = j;
    j = next;
  }
  return j;
}

/** Bisection steps of the zero finder: 2⁻¹⁰⁰ of an interval of width < π is below f64 resolution. */
const ZERO_BISECTIONS = 100;

/**
 * The first `numRadial` positive zeros z_ln of j_l for l = 0 … `numSpherical` − 1, in f64, found as
 * PyG's `Jn_zeros` does: the zeros of j_l interlace those of j_(l−1), so each lies between two
 * consecutive zeros of the order below (starting from z_0n = nπ), and is bracketed there.
 *
 * @param numSpherical Number of orders L
 * @param numRadial Zeros per order R
 * @returns `[L·R]`, z_ln at index l·R + n
 *
 * @example The first zero of j_1 solves tan x = x
 * ```ts
 * import { sphericalBesselZeros } from "./bases.ts";
 * import { assertAlmostEquals } from "../../tests/_assert.ts";
 * const z = sphericalBesselZeros(2, 3);
 * assertAlmostEquals(z[0], Math.PI, 1e-15);
 * assertAlmostEquals(z[3], 4.493409457909064, 1e-13);
 * ```
 */
export function sphericalBesselZeros(numSpherical: number, numRadial: number): Float64Array {
  const out = new Float64Array(numSpherical * numRadial);
  let points = Array.from({ length: numRadial + numSpherical - 1 }, (_, k) => (k + 1) * Math.PI);
  for (let n = 0; n < numRadial; n++) out[n] = points[n];
  for (let l = 1; l < numSpherical; l++) {
    const roots: number[] = [];
    for (let k = 0; k + 1 < points.length; k++) {
      let lo = points[k], hi = points[k + 1];
      const flo = sphericalBesselJ(l, lo);
      for (let it = 0; it < ZERO_BISECTIONS && hi - lo > 0; it++) {
        const mid = 0.5 * (lo + hi);
        if (mid <= lo || mid >= hi) break;
        if (Math.sign(sphericalBesselJ(l, mid)) === Math.sign(flo)) lo = mid;
        else hi = mid;
      }
      roots.push(0.5 * (lo + hi));
    }
    points = roots;
    for (let n = 0; n < numRadial; n++) out[l * numRadial + n] = roots[n];
  }
  return out;
}

/** The constants of DimeNet's spherical Bessel basis. */
export interface SphericalBesselBasis {
  /** Number of orders L (`num_spherical`). */
  numSpherical: number;
  /** Zeros per order R (`num_radial`). */
  numRadial: number;
  /** `[L·R]` zeros z_ln, rounded to f32 as PyG stores them (`dtype='float32'`). */
  zeros: Float64Array;
  /** `[L·R]` normalisers N_ln = (½·j_(l+1)(z_ln)²)^(−½), from the f32 zeros in f64. */
  norms: Float64Array;
  /**
   * `[L][l + 1]` the integers a_lk of the closed form x^(l+1)·j_l(x) = Σ_k a_lk·x^k·trig_k(x), with
   * trig_k = sin for even k and cos for odd k (used by the float32 emulation of the reference).
   */
  closedForm: number[][];
}

/**
 * The integer coefficients of the closed form x^(l+1)·j_l(x) = Σ_k a_lk·x^k·(sin x or cos x),
 * from the recurrence S_(l+1) = (2l+1)·S_l − x²·S_(l−1) (same for the cosine part); the term of
 * degree k multiplies sin x when k is even and cos x when k is odd.
 */
function closedFormCoefficients(numSpherical: number): number[][] {
  // Full polynomials of sin and cos parts, degree ≤ l.
  let sPrev = [1], cPrev = [0]; // l = 0: sin x
  let s = [1, 0], c = [0, -1]; // l = 1: sin x − x cos x
  const out: number[][] = [[1]];
  const pick = (l: number, sp: number[], cp: number[]) =>
    Array.from({ length: l + 1 }, (_, k) => (k % 2 === 0 ? sp[k] ?? 0 : cp[k] ?? 0));
  if (numSpherical > 1) out.push(pick(1, s, c));
  for (let l = 1; l + 1 < numSpherical; l++) {
    const step = (p: number[], q: number[]) =>
      Array.from({ length: l + 2 }, (_, k) => (2 * l + 1) * (p[k] ?? 0) - (q[k - 2] ?? 0));
    const sn = step(s, sPrev), cn = step(c, cPrev);
    [sPrev, cPrev, s, c] = [s, c, sn, cn];
    out.push(pick(l + 1, s, c));
  }
  return out;
}

/**
 * The constants of DimeNet's `SphericalBasisLayer` radial part: zeros of j_l (stored as f32, as
 * PyG does) and the normalisers N_ln = 1/sqrt(½·j_(l+1)(z_ln)²).
 *
 * @param numSpherical Number of orders L (7 in CDVAE)
 * @param numRadial Zeros per order R (6 in CDVAE)
 * @returns The basis constants
 *
 * @example The audit's table (O4): z_00 = π, N_00 = 4.442883
 * ```ts
 * import { dimenetBesselBasis } from "./bases.ts";
 * import { assertAlmostEquals } from "../../tests/_assert.ts";
 * const b = dimenetBesselBasis(7, 6);
 * assertAlmostEquals(b.zeros[0], Math.fround(Math.PI), 0);
 * assertAlmostEquals(b.norms[0], 4.442883, 1e-6);
 * ```
 */
export function dimenetBesselBasis(numSpherical: number, numRadial: number): SphericalBesselBasis {
  const zeros = sphericalBesselZeros(numSpherical, numRadial).map(Math.fround);
  const norms = new Float64Array(zeros.length);
  for (let l = 0; l < numSpherical; l++) {
    for (let n = 0; n < numRadial; n++) {
      const j = sphericalBesselJ(l + 1, zeros[l * numRadial + n]);
      norms[l * numRadial + n] = 1 / Math.sqrt(0.5 * j * j);
    }
  }
  return { numSpherical, numRadial, zeros, norms, closedForm: closedFormCoefficients(numSpherical) };
}

/** How the radial part of the spherical basis is evaluated. */
export type BasisPrecision =
  /**
   * As the reference: the sympy closed form N·Σ_k a_k (z x)^k trig(z x)/(z x)^(l+1), term by term in
   * float32 (coefficients c_k = N·a_k·z^(k−l−1), descending powers, summed left to right). Its
   * high orders cancel catastrophically at small z·x (audit O4); this reproduces that, approximately.
   */
  | "reference-f32"
  /** Stable f64 evaluation of j_l (series / recurrence); a deviation from the reference. */
  | "f64";

/**
 * N_ln·j_l(z_ln·x) for every (l, n), written to `out[offset + l·R + n]` (no envelope).
 *
 * @param basis Constants from {@linkcode dimenetBesselBasis}
 * @param x Distance divided by the cutoff (> 0)
 * @param precision `"reference-f32"` (default, the reference's float32 closed form) or `"f64"`
 * @param out Destination (default: a new array of L·R values)
 * @param offset First index written
 * @returns `out`
 *
 * @example Both precisions agree where the closed form does not cancel
 * ```ts
 * import { dimenetBesselBasis, sphericalBesselBasisValues } from "./bases.ts";
 * import { assertAlmostEquals } from "../../tests/_assert.ts";
 * const b = dimenetBesselBasis(2, 2);
 * const a = sphericalBesselBasisValues(b, 0.6, "f64"), r = sphericalBesselBasisValues(b, 0.6);
 * for (let i = 0; i < 4; i++) assertAlmostEquals(r[i], a[i], 1e-5);
 * ```
 */
export function sphericalBesselBasisValues(
  basis: SphericalBesselBasis,
  x: number,
  precision: BasisPrecision = "reference-f32",
  out: Float64Array = new Float64Array(basis.numSpherical * basis.numRadial),
  offset = 0,
): Float64Array {
  const { numSpherical: L, numRadial: R, zeros, norms } = basis;
  const f = Math.fround, xs = f(x);
  for (let l = 0; l < L; l++) {
    const a = basis.closedForm[l];
    const xl1 = f(xs ** (l + 1));
    for (let n = 0; n < R; n++) {
      const z = zeros[l * R + n], norm = norms[l * R + n];
      if (precision === "f64") {
        out[offset + l * R + n] = norm * sphericalBesselJ(l, z * x);
        continue;
      }
      const zx = f(z * xs), sn = f(Math.sin(zx)), cs = f(Math.cos(zx));
      let acc = 0;
      for (let k = l; k >= 0; k--) {
        const coef = f(norm * a[k] * z ** (k - l - 1));
        const trig = k % 2 === 0 ? sn : cs;
        const lead = k === 0 ? coef : f(coef * f(xs ** k));
        const term = f(lead * trig);
        acc = k === l ? term : f(acc + term);
      }
      out[offset + l * R + n] = f(acc / xl1);
    }
  }
  return out;
}

/**
 * The m = 0 real spherical harmonics Y_l^0 = sqrt((2l+1)/4π)·P_l(cos θ) for l = 0 … `numSpherical` − 1
 * (P_l by Bonnet's recurrence), in f64. DimeNet++ (`real_sph_harm(…, zero_m_only=True)`) and GemNet-T
 * (`cbf`, spherical_harmonics) both use exactly these; note that DimeNet's θ is the angle between
 * r_ji and r_kj (π minus the bond angle at j, audit O3), GemNet's the angle between two edges
 * into the same atom — the caller supplies cos θ.
 *
 * @param numSpherical Number of orders L (7 in CDVAE: l = 0 … 6)
 * @param cosTheta cos θ in [−1, 1]
 * @param out Destination (default: a new array of L values)
 * @param offset First index written: out[offset + l] = Y_l^0
 * @returns `out`
 *
 * @example Y_0 is constant, Y_1 ∝ cos θ
 * ```ts
 * import { sphericalHarmonicsY0 } from "./bases.ts";
 * import { assertAlmostEquals } from "../../tests/_assert.ts";
 * const y = sphericalHarmonicsY0(3, 0.5);
 * assertAlmostEquals(y[0], 0.5 / Math.sqrt(Math.PI), 1e-15);
 * assertAlmostEquals(y[1], Math.sqrt(3 / (4 * Math.PI)) * 0.5, 1e-15);
 * assertAlmostEquals(y[2], Math.sqrt(5 / (4 * Math.PI)) * (3 * 0.25 - 1) / 2, 1e-15);
 * ```
 */
export function sphericalHarmonicsY0(
  numSpherical: number,
  cosTheta: number,
  out: Float64Array = new Float64Array(numSpherical),
  offset = 0,
): Float64Array {
  let pPrev = 1, p = cosTheta;
  for (let l = 0; l < numSpherical; l++) {
    let pl: number;
    if (l === 0) pl = 1;
    else if (l === 1) pl = cosTheta;
    else {
      const next = ((2 * l - 1) * cosTheta * p - (l - 1) * pPrev) / l;
      pPrev = p;
      p = next;
      pl = next;
    }
    out[offset + l] = Math.sqrt((2 * l + 1) / (4 * Math.PI)) * pl;
  }
  return out;
}
