/**
 * The paper's metrics over sets of crystals, as the reference's `compute_metrics.py` computes them:
 * validity (structural, compositional, both), Wasserstein-1 distances of density and of the number
 * of distinct elements between up to 1 000 valid samples and the test set, and the reconstruction
 * match rate and mean RMS distance, coverage (COV-R/COV-P, AMSD/AMCD) from the CrystalNN
 * structure fingerprint and the Magpie composition fingerprint, and the success rates of property
 * optimisation (SR5/SR10/SR15).
 *
 * @module
 */

import type { Crystal } from "../crystal/crystal.ts";
import { density } from "../core/geometry.ts";
import { HostRng } from "../compute/host_rng.ts";
import { smactValid } from "./smact.ts";
import { structureValidity } from "./validity.ts";
import { matchMany } from "./matcher.ts";
import { pymatgenCifOrder } from "./site_order.ts";
import { crystalNNFingerprintMany } from "../core/crystalnn.ts";
import { magpieFingerprintScaled } from "./magpie.ts";

/**
 * Wasserstein-1 distance between two 1-D empirical distributions (scipy's
 * `wasserstein_distance` with unit weights): ∫ |F_u(x) − F_v(x)| dx.
 *
 * @example Shifted samples
 * ```ts
 * import { wasserstein1 } from "./metrics.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * assertEquals(wasserstein1([0, 1, 3], [5, 6, 8]), 5);
 * ```
 */
export function wasserstein1(u: readonly number[], v: readonly number[]): number {
  if (u.length === 0 || v.length === 0) return NaN;
  const a = [...u].sort((x, y) => x - y), b = [...v].sort((x, y) => x - y);
  const all = [...a, ...b].sort((x, y) => x - y);
  let i = 0, j = 0, d = 0;
  for (let k = 0; k + 1 < all.length; k++) {
    while (i < a.length && a[i] <= all[k]) i++;
    while (j < b.length && b[j] <= all[k]) j++;
    d += Math.abs(i / a.length - j / b.length) * (all[k + 1] - all[k]);
  }
  return d;
}

/** Density in g/cm³, or NaN for a crystal whose cell cannot be measured (degenerate, no atoms). */
export function densityOrNaN(c: Crystal): number {
  try {
    return density(c);
  } catch {
    return NaN;
  }
}

/** Validity of one crystal as the reference's `Crystal` class sees it. */
export interface CrystalValidity {
  /** No two atoms closer than 0.5 Å and a cell volume above 0.1 Å³. */
  structural: boolean;
  /** Passes SMACT's charge-neutrality and electronegativity checks. */
  compositional: boolean;
  /** Both. */
  valid: boolean;
  /** Why structurally invalid, when it is. */
  reason?: string;
}

/**
 * Structural and SMACT composition validity of one crystal.
 *
 * @example Atoms too close
 * ```ts
 * import { assertEquals } from "../../tests/_assert.ts";
 * const nacl = {
 *   lattice: new Float64Array([4, 0, 0, 0, 4, 0, 0, 0, 4]),
 *   frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0.5]),
 *   numbers: new Uint8Array([11, 17]),
 * };
 * assertEquals(crystalValidity(nacl), { structural: true, compositional: true, valid: true });
 * assertEquals(crystalValidity({ ...nacl, frac: new Float64Array([0, 0, 0, 0.01, 0, 0]) }).valid, false);
 * ```
 */
export function crystalValidity(c: Crystal): CrystalValidity {
  const s = structureValidity(c);
  let comp = false;
  try {
    comp = smactValid(c.numbers);
  } catch { /* an element without data: invalid composition */ }
  return {
    structural: s.valid,
    compositional: comp,
    valid: s.valid && comp,
    ...(s.reason ? { reason: s.reason } : {}),
  };
}

/** Generation metrics of the paper (without COV). */
export interface GenerationMetrics {
  /** Number of crystals scored. */
  count: number;
  /** Share of structurally valid crystals. */
  structValid: number;
  /** Share of compositionally valid crystals. */
  compValid: number;
  /** Share of crystals valid in both senses. */
  valid: number;
  /**
   * Distinct reduced compositions over all crystals ÷ count (issue #6's "share of distinct
   * compositions": 1 when every crystal has its own composition; NaCl and Na2Cl2 are one).
   */
  distinctCompositions: number;
  /** Valid crystals used for the distribution distances (≤ 1 000). */
  samples: number;
  /** Earth mover's distance between the densities of `samples` valid crystals and the test set (g/cm³). */
  wdistDensity: number;
  /** Earth mover's distance between the numbers of distinct elements (same crystals). */
  wdistNumElements: number;
}

/** The reduced composition as a key: (Z, count / gcd of the counts), by Z. */
export function reducedCompositionKey(numbers: ArrayLike<number>): string {
  const counts = new Map<number, number>();
  for (let i = 0; i < numbers.length; i++) counts.set(numbers[i], (counts.get(numbers[i]) ?? 0) + 1);
  const gcd = (a: number, b: number): number => (b ? gcd(b, a % b) : a);
  const g = [...counts.values()].reduce(gcd, 0) || 1;
  return [...counts].sort((a, b) => a[0] - b[0]).map(([z, n]) => `${z}:${n / g}`).join(" ");
}

/** Number of distinct elements. */
function distinctElements(c: Crystal): number {
  return new Set(c.numbers).size;
}

/**
 * Validity shares and the density / #elements distances against a reference set.
 *
 * @param generated The generated crystals
 * @param reference The test crystals
 * @param opts How many valid samples the distances use (reference: 1 000) and the seed that picks them
 *
 * @example A set against itself
 * ```ts
 * import { assertEquals } from "../../tests/_assert.ts";
 * const nacl = {
 *   lattice: new Float64Array([4, 0, 0, 0, 4, 0, 0, 0, 4]),
 *   frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0.5]),
 *   numbers: new Uint8Array([11, 17]),
 * };
 * const { metrics } = generationMetrics([nacl, nacl], [nacl]);
 * assertEquals([metrics.count, metrics.valid, metrics.wdistDensity], [2, 1, 0]);
 * ```
 */
export function generationMetrics(
  generated: readonly Crystal[],
  reference: readonly Crystal[],
  opts: { samples?: number; seed?: number } = {},
): { metrics: GenerationMetrics; perCrystal: CrystalValidity[]; sampleIndices: number[] } {
  const perCrystal = generated.map(crystalValidity);
  const validIdx = perCrystal.map((v, i) => (v.valid ? i : -1)).filter((i) => i >= 0);
  const picked = new HostRng(opts.seed ?? 0).shuffle(validIdx).slice(0, opts.samples ?? 1000);
  const dens = (cs: readonly Crystal[]) => cs.map(densityOrNaN).filter(Number.isFinite);
  const sample = picked.map((i) => generated[i]);
  const n = generated.length;
  return {
    metrics: {
      count: n,
      structValid: perCrystal.filter((v) => v.structural).length / n,
      compValid: perCrystal.filter((v) => v.compositional).length / n,
      valid: validIdx.length / n,
      distinctCompositions: new Set(generated.map((c) => reducedCompositionKey(c.numbers))).size / n,
      samples: sample.length,
      wdistDensity: wasserstein1(dens(sample), dens(reference)),
      wdistNumElements: wasserstein1(sample.map(distinctElements), reference.map(distinctElements)),
    },
    perCrystal,
    sampleIndices: picked,
  };
}

/** Reconstruction metrics: match rate over all pairs, mean RMS over the matches. */
export interface ReconstructionMetrics {
  /** Number of (reconstruction, original) pairs. */
  count: number;
  /** Share of pairs that StructureMatcher matches. */
  matchRate: number;
  /** Mean normalised RMS displacement over the matched pairs (NaN when none matched). */
  meanRms: number;
}

/**
 * Match rate and RMS of reconstructions against their originals with the paper's
 * StructureMatcher(stol 0.5, angle_tol 10, ltol 0.3); an invalid reconstruction is a miss. Each
 * original is matched in pymatgen's CIF site order ({@linkcode pymatgenCifOrder}), as CDVAE's
 * datasets hold it: the matcher anchors its search on the original's first rarest-species site, so
 * file order would change some RMS values and decisions.
 *
 * @example A perfect reconstruction
 * ```ts
 * import { assert, assertEquals } from "../../tests/_assert.ts";
 * const nacl = {
 *   lattice: new Float64Array([4, 0, 0, 0, 4, 0, 0, 0, 4]),
 *   frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0.5]),
 *   numbers: new Uint8Array([11, 17]),
 * };
 * const { metrics } = reconstructionMetrics([nacl], [nacl]);
 * assertEquals(metrics.matchRate, 1);
 * assert(metrics.meanRms < 1e-6);
 * ```
 */
export function reconstructionMetrics(
  reconstructed: readonly Crystal[],
  originals: readonly Crystal[],
): { metrics: ReconstructionMetrics; rms: (number | null)[] } {
  if (reconstructed.length !== originals.length) {
    throw new RangeError(
      `Cannot compare ${reconstructed.length} reconstructions with ${originals.length} originals`,
    );
  }
  const valid = reconstructed.map((c) => crystalValidity(c).valid);
  const idx = valid.map((v, i) => (v ? i : -1)).filter((i) => i >= 0);
  const pairs = idx.map((i) => [reconstructed[i], pymatgenCifOrder(originals[i])] as [Crystal, Crystal]);
  let results;
  try {
    results = matchMany(pairs);
  } catch {
    // One bad pair fails the batch call: match one by one, counting failures as misses.
    results = pairs.map((p) => {
      try {
        return matchMany([p])[0];
      } catch {
        return { match: false };
      }
    });
  }
  const rms: (number | null)[] = reconstructed.map(() => null);
  idx.forEach((i, k) => rms[i] = results[k].match ? results[k].rms ?? null : null);
  const matched = rms.filter((r): r is number => r !== null);
  return {
    metrics: {
      count: reconstructed.length,
      matchRate: matched.length / Math.max(1, reconstructed.length),
      meanRms: matched.length ? matched.reduce((a, b) => a + b, 0) / matched.length : NaN,
    },
    rms,
  };
}

/** The per-dataset COV cutoffs of the reference (structure, composition). */
export const COV_CUTOFFS: Readonly<
  Record<"perov_5" | "carbon_24" | "mp_20", { struct: number; comp: number }>
> = {
  perov_5: { struct: 0.2, comp: 4 },
  carbon_24: { struct: 0.2, comp: 4 },
  mp_20: { struct: 0.4, comp: 10 },
};

/** The two fingerprints of one crystal that the coverage metrics compare. */
export interface CoverageFingerprint {
  /** CrystalNN 'ops' structure fingerprint, mean over sites ({@linkcode crystalNNFingerprint}). */
  struct: Float64Array;
  /** Scaled Magpie composition fingerprint ({@linkcode magpieFingerprintScaled}). */
  comp: Float64Array;
}

/**
 * Structure (CrystalNN 'ops', mean over sites) and scaled Magpie fingerprints of many crystals, the
 * input of {@linkcode coverageMetrics}; null where either fails.
 *
 * @param crystals The crystals
 * @param onProgress Called after each chunk of 512 crystals
 * @returns One fingerprint pair (or null) per crystal, in order
 *
 * @example One crystal
 * ```ts
 * import { assertEquals } from "../../tests/_assert.ts";
 * const nacl = {
 *   lattice: new Float64Array([4, 0, 0, 0, 4, 0, 0, 0, 4]),
 *   frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0.5]),
 *   numbers: new Uint8Array([11, 17]),
 * };
 * const [fp] = coverageFingerprintMany([nacl]);
 * assertEquals([fp?.struct.length, fp?.comp.length], [61, 132]);
 * ```
 */
export function coverageFingerprintMany(
  crystals: readonly Crystal[],
  onProgress?: (done: number, total: number) => void,
): (CoverageFingerprint | null)[] {
  // In chunks, so long sets report progress.
  const fps: (Float64Array | null)[] = [];
  for (let i = 0; i < crystals.length; i += 512) {
    fps.push(...crystalNNFingerprintMany(crystals.slice(i, i + 512), { failures: "null" }));
    onProgress?.(fps.length, crystals.length);
  }
  return crystals.map((c, i) => {
    const s = fps[i];
    if (!s || !s.every(Number.isFinite)) return null;
    try {
      return { struct: s, comp: magpieFingerprintScaled(c.numbers) };
    } catch {
      return null;
    }
  });
}

/** Coverage metrics (the reference's `compute_cov`). */
export interface CoverageMetrics {
  /** COV-R: share of reference crystals with a generated one within both cutoffs. */
  covRecall: number;
  /** COV-P: share of generated crystals with a reference one within both cutoffs. */
  covPrecision: number;
  /** Mean over reference crystals of the distance to the nearest generated structure fingerprint. */
  amsdRecall: number;
  /** Mean over generated crystals of the distance to the nearest reference structure fingerprint. */
  amsdPrecision: number;
  /** As `amsdRecall`, for composition fingerprints. */
  amcdRecall: number;
  /** As `amsdPrecision`, for composition fingerprints. */
  amcdPrecision: number;
  /** Generated crystals whose fingerprint failed (dropped, but still counted in COV-P's denominator). */
  failed: number;
}

function euclid(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}

/**
 * COV-R / COV-P and the mean minimum distances between generated and reference fingerprints: the
 * nearest structure and the nearest composition are found independently; COV-P is divided by the
 * number of generated crystals before failed fingerprints are dropped.
 *
 * @example A set covers itself
 * ```ts
 * import { assertEquals } from "../../tests/_assert.ts";
 * const nacl = {
 *   lattice: new Float64Array([4, 0, 0, 0, 4, 0, 0, 0, 4]),
 *   frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0.5]),
 *   numbers: new Uint8Array([11, 17]),
 * };
 * const fps = coverageFingerprintMany([nacl]);
 * const cov = coverageMetrics(fps, fps, COV_CUTOFFS.perov_5);
 * assertEquals([cov.covRecall, cov.covPrecision, cov.failed], [1, 1, 0]);
 * ```
 */
export function coverageMetrics(
  generated: readonly (CoverageFingerprint | null)[],
  reference: readonly (CoverageFingerprint | null)[],
  cutoffs: { struct: number; comp: number },
  onProgress?: (done: number, total: number) => void,
): CoverageMetrics {
  const gen = generated.filter((g): g is CoverageFingerprint => g !== null);
  const ref = reference.filter((g): g is CoverageFingerprint => g !== null);
  const recallS = new Float64Array(ref.length).fill(Infinity),
    recallC = new Float64Array(ref.length).fill(Infinity);
  const precS = new Float64Array(gen.length).fill(Infinity),
    precC = new Float64Array(gen.length).fill(Infinity);
  for (let i = 0; i < gen.length; i++) {
    if (i % 64 === 0) onProgress?.(i, gen.length);
    for (let j = 0; j < ref.length; j++) {
      const ds = euclid(gen[i].struct, ref[j].struct), dc = euclid(gen[i].comp, ref[j].comp);
      if (ds < precS[i]) precS[i] = ds;
      if (dc < precC[i]) precC[i] = dc;
      if (ds < recallS[j]) recallS[j] = ds;
      if (dc < recallC[j]) recallC[j] = dc;
    }
  }
  onProgress?.(gen.length, gen.length);
  const mean = (xs: Float64Array) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  let r = 0, p = 0;
  for (let j = 0; j < ref.length; j++) if (recallS[j] <= cutoffs.struct && recallC[j] <= cutoffs.comp) r++;
  for (let i = 0; i < gen.length; i++) if (precS[i] <= cutoffs.struct && precC[i] <= cutoffs.comp) p++;
  return {
    covRecall: r / Math.max(1, ref.length),
    covPrecision: p / Math.max(1, generated.length),
    amsdRecall: mean(recallS),
    amsdPrecision: mean(precS),
    amcdRecall: mean(recallC),
    amcdPrecision: mean(precC),
    failed: generated.length - gen.length,
  };
}

/** The reference's 5th/10th/15th percentiles of each training set's property (`Percentiles`). */
export const SR_PERCENTILES: Readonly<
  Record<"perov_5" | "carbon_24" | "mp_20", readonly [number, number, number]>
> = {
  perov_5: [0.43924842, 0.61202443, 0.7364607],
  carbon_24: [-154.527093, -154.45865733, -154.44206825],
  mp_20: [-3.17562208, -2.82196882, -2.52814761],
};

/** The lowest property of each start over the decodes (`[steps][starts]`, `null` = invalid → +∞). */
function bestPerStart(props: readonly (readonly (number | null)[])[]): number[] {
  const starts = props[0]?.length ?? 0;
  return Array.from({ length: starts }, (_, j) => Math.min(...props.map((row) => row[j] ?? Infinity)));
}

/**
 * Success rates of property optimisation (the reference's `OptEval`): for each starting point, the
 * best (lowest) property among its valid decoded crystals; SR_p = share of starting points whose
 * best is ≤ the p-th percentile. A start without a valid crystal counts as a failure.
 *
 * @param props `[steps][starts]` property of each decoded crystal, `null` where it was invalid
 * @param percentiles The 5th, 10th and 15th percentiles
 *
 * @example Two starts, one reaching the 5th percentile
 * ```ts
 * import { successRates } from "./metrics.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * assertEquals(successRates([[0.3, null], [0.9, 0.7]], [0.4, 0.6, 0.8]), { sr5: 0.5, sr10: 0.5, sr15: 1 });
 * ```
 */
export function successRates(
  props: readonly (readonly (number | null)[])[],
  percentiles: readonly [number, number, number],
): { sr5: number; sr10: number; sr15: number } {
  const best = bestPerStart(props), starts = best.length;
  const share = (p: number) => starts ? best.filter((b) => b <= p).length / starts : 0;
  return { sr5: share(percentiles[0]), sr10: share(percentiles[1]), sr15: share(percentiles[2]) };
}

/** Per-crystal verdicts and the success rates of a property optimisation run. */
export interface OptimizationMetrics {
  /** `[decodes][starts]` valid as the reference's `OptEval` counts it (structure ∧ SMACT ∧ fingerprint). */
  valid: boolean[][];
  /** `[decodes][starts]` predicted property of the valid crystals, `null` for the invalid ones. */
  property: (number | null)[][];
  /** `[starts]` lowest predicted property over the decodes of each start (`null`: none valid). */
  best: (number | null)[];
  /** SR5/SR10/SR15, when percentiles were given. */
  successRates?: { sr5: number; sr10: number; sr15: number };
}

/**
 * Scores the crystals decoded along a property optimisation (the reference's `OptEval`): a crystal
 * is valid when it is structurally and compositionally valid and its structure fingerprint can be
 * computed (audit O11); the valid ones get `predict`'s value; then {@linkcode successRates}.
 *
 * @param decoded `[decodes][starts]` crystals
 * @param predict Property of crystals (an independent property model's `predict`)
 * @param percentiles The training set's 5th, 10th and 15th percentiles (e.g. {@linkcode SR_PERCENTILES})
 *
 * @example One start reaching the 5th percentile
 * ```ts
 * import { assertEquals } from "../../tests/_assert.ts";
 * const nacl = {
 *   lattice: new Float64Array([4, 0, 0, 0, 4, 0, 0, 0, 4]),
 *   frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0.5]),
 *   numbers: new Uint8Array([11, 17]),
 * };
 * const r = await optimizationMetrics([[nacl]], (cs) => Promise.resolve(cs.map(() => -1)), [0, 0.5, 1]);
 * assertEquals(r.successRates, { sr5: 1, sr10: 1, sr15: 1 });
 * ```
 */
export async function optimizationMetrics(
  decoded: readonly (readonly Crystal[])[],
  predict: (crystals: Crystal[]) => Promise<ArrayLike<number>>,
  percentiles?: readonly [number, number, number],
): Promise<OptimizationMetrics> {
  const flat = decoded.flat(), starts = decoded[0]?.length ?? 0;
  const ok = flat.map((c) => crystalValidity(c).valid);
  const checked = flat.filter((_, i) => ok[i]);
  const fps = coverageFingerprintMany(checked);
  let k = 0;
  for (let i = 0; i < flat.length; i++) if (ok[i]) ok[i] = fps[k++] !== null;
  const validIdx = ok.map((v, i) => (v ? i : -1)).filter((i) => i >= 0);
  const pred = validIdx.length ? await predict(validIdx.map((i) => flat[i])) : [];
  const prop: (number | null)[] = flat.map(() => null);
  validIdx.forEach((i, j) => prop[i] = pred[j]);
  const rows = <T>(xs: T[]) => decoded.map((_, d) => xs.slice(d * starts, (d + 1) * starts));
  const property = rows(prop);
  return {
    valid: rows(ok),
    property,
    best: bestPerStart(property).map((b) => (Number.isFinite(b) ? b : null)),
    ...(percentiles ? { successRates: successRates(property, percentiles) } : {}),
  };
}
