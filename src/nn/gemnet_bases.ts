/**
 * GemNet-T's radial basis, evaluated on the host in f64 (no gradients flow through geometry; the
 * decoder predicts scores directly): Gaussians under the polynomial envelope.
 * cdvae-reference-details.md §2.3 "Bases"; `pl_modules/gemnet/layers/radial_basis.py` in the
 * reference. The angular part, Y_l⁰(cos φ_cab), is `sphericalHarmonicsY0` of `bases.ts`, shared
 * with the encoder.
 *
 * @module
 */

/**
 * The polynomial envelope u(x) = 1 − (p+1)(p+2)/2·xᵖ + p(p+2)·xᵖ⁺¹ − p(p+1)/2·xᵖ⁺² for x < 1,
 * else 0 (GemNet's `PolynomialEnvelope`; p = 5 gives 1 − 21x⁵ + 35x⁶ − 15x⁷).
 *
 * @param x Scaled distance d / cutoff
 * @param p Exponent (5 in the reference)
 * @returns The envelope value, smooth to second order at x = 1
 *
 * @example Ends
 * ```ts
 * import { assertAlmostEquals } from "../../tests/_assert.ts";
 * assertAlmostEquals(polynomialEnvelope(0, 5), 1);
 * assertAlmostEquals(polynomialEnvelope(1, 5), 0);
 * ```
 */
export function polynomialEnvelope(x: number, p: number): number {
  if (!(x < 1)) return 0;
  const a = -((p + 1) * (p + 2)) / 2, b = p * (p + 2), c = -(p * (p + 1)) / 2;
  const xp = x ** p;
  return 1 + a * xp + b * xp * x + c * xp * x * x;
}

/**
 * The radial basis of GemNet: rbf_k(d) = u(d/c)·exp(−½((d/c − μ_k)/Δ)²), μ_k = k/(K−1) for
 * k = 0…K−1 and Δ = 1/(K−1) (PyG's `GaussianSmearing(0, 1, K)` on the scaled distance).
 *
 * @param distances `[E]` edge lengths (Å)
 * @param cutoff c (Å)
 * @param numRadial K ≥ 2
 * @param envelopeExponent p of {@linkcode polynomialEnvelope}
 * @param centres μ_k (default k/(K−1)); the width Δ = 1/(K−1) stays (the reference fixes its
 *   `coeff` at construction, and keeps the centres as the `state_dict` buffer `rbf.offset`)
 * @param out `[E·K]` to fill: a Float32Array receives the f64 values rounded to f32, and
 *   exponentials that round to 0 there (exponent below −104) are skipped
 * @returns `out` (default: a new Float64Array), row-major
 * @throws {RangeError} When `numRadial` < 2 (the width Δ is the centre spacing)
 *
 * @example One edge at the origin: only the first Gaussian is 1
 * ```ts
 * import { assertAlmostEquals } from "../../tests/_assert.ts";
 * const r = gaussianRadialBasis([0], 7, 4, 5);
 * assertAlmostEquals(r[0], 1);
 * assertAlmostEquals(r[1], Math.exp(-0.5));
 * ```
 */
export function gaussianRadialBasis<T extends Float64Array | Float32Array = Float64Array>(
  distances: ArrayLike<number>,
  cutoff: number,
  numRadial: number,
  envelopeExponent: number,
  centres?: ArrayLike<number>,
  out?: T,
): T {
  if (!Number.isInteger(numRadial) || numRadial < 2) {
    throw new RangeError(
      `Cannot build the radial basis: numRadial must be an integer ≥ 2, got "${numRadial}"`,
    );
  }
  const step = 1 / (numRadial - 1);
  const coeff = -0.5 / (step * step);
  const o = out ?? new Float64Array(distances.length * numRadial);
  // exp(−104) ≈ 6.8e-46 is below half the smallest f32 subnormal: it would be stored as 0.
  const floor = o instanceof Float32Array ? -104 : -Infinity;
  for (let e = 0; e < distances.length; e++) {
    const x = distances[e] / cutoff;
    const env = polynomialEnvelope(x, envelopeExponent);
    for (let k = 0; k < numRadial; k++) {
      const t = x - (centres ? centres[k] : k * step), a = coeff * t * t;
      o[e * numRadial + k] = a < floor || env === 0 ? 0 : env * Math.exp(a);
    }
  }
  return o as T;
}
