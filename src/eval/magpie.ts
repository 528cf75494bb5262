/**
 * The Magpie composition fingerprint as CDVAE computes it (cdvae-reference-details.md §5.3):
 * matminer 0.8.0 `ElementProperty.from_preset("magpie").featurize(Composition({Z: count}))`,
 * 22 elemental properties × 6 statistics = 132 values, property-major (index = 6·property +
 * statistic), then CDVAE's `CompScaler`: (x − mean) / std with NaN replaced by 0
 * (metrics-reference-matcher-magpie.md Part B, audit O10).
 *
 * Weights are the raw atom counts. NaN follows matminer: minimum, maximum and range are NaN when
 * any element lacks the property, mean and avg_dev propagate NaN, and the mode (the smallest value
 * among the elements of largest count, ties by `numpy.isclose`) is NaN only when a tied element
 * lacks it. Every element of the table has a defined result (Z 113–118 have no data: all NaN); so
 * does an atomic number outside 1–118, treated as an element without data, and an empty crystal
 * (all NaN), where matminer raises.
 *
 * @module
 */

import magpieTable from "../../data/elements/magpie.json" with { type: "json" };
import { elementCounts, isElement } from "./composition.ts";

/** The 22 Magpie properties of the preset, in feature order (`data/elements/magpie.json`). */
export const MAGPIE_PROPERTIES: readonly string[] = magpieTable.properties;
/** The 6 statistics per property, in feature order. */
export const MAGPIE_STATS: readonly string[] = magpieTable.stats;
/** Length of the fingerprint: 22 × 6. */
export const MAGPIE_LENGTH = 132;
/** matminer's feature labels, `"MagpieData {stat} {property}"`, in feature order. */
export const MAGPIE_LABELS: readonly string[] = MAGPIE_PROPERTIES.flatMap((p) =>
  MAGPIE_STATS.map((s) => `MagpieData ${s} ${p}`)
);

/** `np.isclose` defaults, used by matminer's weighted mode to find the tied largest weights. */
const MODE_RTOL = 1e-5, MODE_ATOL = 1e-8;
const N_PROPS = MAGPIE_PROPERTIES.length;
/** `TABLE[z * N_PROPS + p]`: property p of element z (NaN where matminer has none, and for z = 0). */
const TABLE: Float64Array = (() => {
  const t = new Float64Array(119 * N_PROPS).fill(NaN);
  const values = magpieTable.values as Record<string, (number | null)[]>;
  MAGPIE_PROPERTIES.forEach((p, k) => {
    values[p].forEach((v, i) => t[(i + 1) * N_PROPS + k] = v === null ? NaN : v);
  });
  return t;
})();
/** CDVAE's `CompScalerMeans` (cdvae/common/constants.py). */
const SCALER_MEANS = Float64Array.from(magpieTable.compScaler.means);
/** CDVAE's `CompScalerStds`. */
const SCALER_STDS = Float64Array.from(magpieTable.compScaler.stds);

/**
 * The raw 132-value Magpie fingerprint (NaN where matminer gives NaN).
 *
 * @param numbers Atomic numbers of the atoms, one per site
 * @returns 132 values, `[min, max, range, mean, avg_dev, mode]` for each property in turn
 * @example Fe₂O₃, the "Number" property (matminer's own unit test)
 * ```ts
 * import { assertEquals } from "../../tests/_assert.ts";
 * const fp = magpieFingerprint([26, 26, 8, 8, 8]);
 * assertEquals(Array.from(fp.slice(0, 6), (x) => +x.toFixed(10)), [8, 26, 18, 15.2, 8.64, 8]);
 * ```
 */
export function magpieFingerprint(numbers: Uint8Array | readonly number[]): Float64Array {
  const out = new Float64Array(MAGPIE_LENGTH);
  const { numbers: zs, counts } = elementCounts(numbers, "first");
  const k = zs.length;
  if (k === 0) return out.fill(NaN);
  const rows = zs.map((z) => (isElement(z) ? z : 0) * N_PROPS);
  let total = 0, wMax = -Infinity;
  for (const c of counts) {
    total += c;
    if (c > wMax) wMax = c;
  }
  const tied = counts.map((c) => Math.abs(c - wMax) <= MODE_ATOL + MODE_RTOL * Math.abs(wMax));
  for (let p = 0; p < N_PROPS; p++) {
    let min = Infinity, max = -Infinity, sum = 0, mode = Infinity, anyNaN = false, modeNaN = false;
    for (let i = 0; i < k; i++) {
      const x = TABLE[rows[i] + p];
      if (Number.isNaN(x)) anyNaN = true;
      if (x < min) min = x;
      if (x > max) max = x;
      sum += counts[i] * x;
      if (tied[i]) {
        if (Number.isNaN(x)) modeNaN = true; // numpy's min propagates NaN
        else if (x < mode) mode = x;
      }
    }
    const mean = sum / total;
    let dev = 0;
    for (let i = 0; i < k; i++) dev += counts[i] * Math.abs(TABLE[rows[i] + p] - mean);
    const o = 6 * p;
    out[o] = anyNaN ? NaN : min;
    out[o + 1] = anyNaN ? NaN : max;
    out[o + 2] = anyNaN ? NaN : max - min;
    out[o + 3] = mean;
    out[o + 4] = dev / total;
    out[o + 5] = modeNaN ? NaN : mode;
  }
  return out;
}

/**
 * CDVAE's `CompScaler` applied to a raw fingerprint: (x − mean) / std, NaN → 0. Returns a new array.
 *
 * @param raw A 132-value fingerprint from {@linkcode magpieFingerprint}
 * @returns The standardised fingerprint, without NaN
 * @throws {RangeError} If `raw` does not have 132 values
 * @example
 * ```ts
 * import { assert } from "../../tests/_assert.ts";
 * const scaled = scaleMagpie(magpieFingerprint([2, 9, 9])); // ArF₂-like: He has no electronegativity
 * assert(scaled.every(Number.isFinite));
 * ```
 */
export function scaleMagpie(raw: Float64Array | readonly number[]): Float64Array {
  if (raw.length !== MAGPIE_LENGTH) {
    throw new RangeError(
      `Cannot scale Magpie fingerprint: expected ${MAGPIE_LENGTH} values, found ${raw.length}`,
    );
  }
  const out = new Float64Array(MAGPIE_LENGTH);
  for (let i = 0; i < MAGPIE_LENGTH; i++) {
    const v = (raw[i] - SCALER_MEANS[i]) / SCALER_STDS[i];
    out[i] = Number.isNaN(v) ? 0 : v;
  }
  return out;
}

/**
 * The Magpie fingerprint as CDVAE's metrics use it: {@linkcode magpieFingerprint} then
 * {@linkcode scaleMagpie}.
 *
 * @param numbers Atomic numbers of the atoms
 * @returns 132 standardised values, NaN replaced by 0
 * @example
 * ```ts
 * import { assertAlmostEquals } from "../../tests/_assert.ts";
 * const fp = magpieFingerprintScaled([26, 26, 8, 8, 8]);
 * assertAlmostEquals(fp[0], (8 - 21.194441759304013) / 16.35781741152948, 1e-12);
 * ```
 */
export function magpieFingerprintScaled(numbers: Uint8Array | readonly number[]): Float64Array {
  return scaleMagpie(magpieFingerprint(numbers));
}
