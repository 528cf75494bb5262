/**
 * The space-group distribution of a set of crystals against a reference set (generated vs the test
 * split): the share of P1, the share of orthorhombic-or-higher groups (number > 15), the groups most
 * common in either set, and the Earth mover's distance of the space-group numbers. CDVAE-style
 * models are known to produce low-symmetry crystals; these numbers measure by how much.
 *
 * @module
 */

import type { Crystal } from "../crystal/crystal.ts";
import { GeometryError, spaceGroupNumberMany, spaceGroupSymbol } from "../core/symmetry.ts";

/** Rows of the "most common space groups" table (and bars of its plot besides "others"). */
export const TOP_SPACE_GROUPS = 10;

/**
 * Highest space-group number of the triclinic and monoclinic systems (1–2 and 3–15): a group
 * numbered above it is orthorhombic or of higher symmetry.
 */
export const LAST_MONOCLINIC = 15;

/** Number of space-group types (ITA numbers 1–230). */
const SPACE_GROUP_TYPES = 230;

/** Crystals per call into the core; a failing crystal costs at most this many repeated searches. */
const CHUNK = 256;

/**
 * The space-group numbers of many crystals, `null` for a crystal the search cannot handle (atoms
 * closer than `symprec`, a degenerate cell) instead of failing the whole set. Batched: one call into
 * the core per {@linkcode CHUNK} crystals; after a failure the rest of its chunk is searched again.
 *
 * @param crystals The crystals
 * @param symprec Distance tolerance in Å
 * @param onProgress Called before each chunk and at the end with (done, total)
 * @returns One ITA number (1–230) or `null` per crystal
 * @example A crystal with two atoms on one site has no answer; the others do
 * ```ts
 * import { assertEquals } from "../../tests/_assert.ts";
 * const po = { lattice: new Float64Array([3.35, 0, 0, 0, 3.35, 0, 0, 0, 3.35]), frac: new Float64Array(3), numbers: new Uint8Array([84]) };
 * const twice = { ...po, frac: new Float64Array(6), numbers: new Uint8Array([84, 84]) };
 * assertEquals(spaceGroupNumbersOrNull([po, twice, po], 0.1), [221, null, 221]);
 * ```
 */
export function spaceGroupNumbersOrNull(
  crystals: readonly Crystal[],
  symprec: number,
  onProgress?: (done: number, total: number) => void,
): (number | null)[] {
  const out: (number | null)[] = [];
  for (let start = 0; start < crystals.length; start += CHUNK) {
    onProgress?.(start, crystals.length);
    let rest = crystals.slice(start, start + CHUNK);
    while (rest.length > 0) {
      try {
        out.push(...spaceGroupNumberMany(rest, { symprec }));
        rest = [];
      } catch (e) {
        // A bad tolerance (no index) is the caller's error, not the crystal's.
        if (!(e instanceof GeometryError) || e.index === undefined) throw e;
        const bad = e.index;
        if (bad > 0) out.push(...spaceGroupNumberMany(rest.slice(0, bad), { symprec }));
        out.push(null);
        rest = rest.slice(bad + 1);
      }
    }
  }
  onProgress?.(crystals.length, crystals.length);
  return out;
}

/** Symmetry of one set of crystals. */
export interface SpaceGroupShares {
  /** Crystals with a space group (searches that failed are left out of the shares). */
  count: number;
  /** Crystals whose search failed. */
  failed: number;
  /** Share of P1 (number 1) among `count`. */
  p1: number;
  /** Share of orthorhombic or higher groups (number > {@linkcode LAST_MONOCLINIC}) among `count`. */
  orthorhombicOrHigher: number;
}

/** One row of the most-common table: a space group and its share in each set. */
export interface SpaceGroupRow {
  /** ITA number. */
  number: number;
  /** Hermann–Mauguin symbol in spglib's setting ("P2_1/c"). */
  symbol: string;
  /** Share of the first set (generated). */
  generated: number;
  /** Share of the reference set (test split). */
  reference: number;
}

/** The two sets' space-group distributions side by side. */
export interface SpaceGroupComparison {
  /** The generated set. */
  generated: SpaceGroupShares;
  /** The reference set (the test split). */
  reference: SpaceGroupShares;
  /** Earth mover's distance (1-D Wasserstein) between the two sets' space-group numbers. */
  wdistSpaceGroup: number;
  /**
   * The {@linkcode TOP_SPACE_GROUPS} groups most common in the two sets together (ranked by the sum
   * of the two shares, so a group frequent in only one set still shows), most common first.
   */
  top: SpaceGroupRow[];
  /** Shares of all the other groups together: what the top rows leave out. */
  others: { groups: number; generated: number; reference: number };
}

/** Counts per space-group number (index 1–230) of the known numbers in `numbers`. */
function histogram(numbers: readonly (number | null)[]): { counts: Float64Array; total: number } {
  const counts = new Float64Array(SPACE_GROUP_TYPES + 1);
  let total = 0;
  for (const n of numbers) {
    if (n === null) continue;
    if (!Number.isInteger(n) || n < 1 || n > SPACE_GROUP_TYPES) {
      throw new RangeError(`Cannot count space group "${n}": expected an integer in 1–230`);
    }
    counts[n]++;
    total++;
  }
  return { counts, total };
}

/**
 * Earth mover's distance between two samples of space-group numbers: Σ over k of |F_a(k) − F_b(k)|,
 * the area between the two cumulative distributions, which is the 1-D Wasserstein distance of the
 * numbers (the same value as `wasserstein1` of the metrics, in O(230) after counting). `null`
 * entries (failed searches) are left out; NaN when either sample is empty.
 *
 * @param a Numbers of the first sample
 * @param b Numbers of the second sample
 * @returns The distance, in space-group numbers
 * @example Half of the mass moves from P1 to P-1, one step
 * ```ts
 * import { assertEquals } from "../../tests/_assert.ts";
 * assertEquals(spaceGroupEmd([1, 1], [1, 2]), 0.5);
 * ```
 */
export function spaceGroupEmd(a: readonly (number | null)[], b: readonly (number | null)[]): number {
  const ha = histogram(a), hb = histogram(b);
  if (ha.total === 0 || hb.total === 0) return NaN;
  let fa = 0, fb = 0, d = 0;
  for (let k = 1; k < SPACE_GROUP_TYPES; k++) {
    fa += ha.counts[k] / ha.total;
    fb += hb.counts[k] / hb.total;
    d += Math.abs(fa - fb);
  }
  return d;
}

/** Shares of one set. */
function shares(numbers: readonly (number | null)[]): SpaceGroupShares {
  const { counts, total } = histogram(numbers);
  let high = 0;
  for (let k = LAST_MONOCLINIC + 1; k <= SPACE_GROUP_TYPES; k++) high += counts[k];
  return {
    count: total,
    failed: numbers.length - total,
    p1: total ? counts[1] / total : NaN,
    orthorhombicOrHigher: total ? high / total : NaN,
  };
}

/**
 * Compares the space-group numbers of generated crystals with those of a reference set.
 *
 * @param generated Numbers of the generated crystals (`null`: search failed)
 * @param reference Numbers of the reference crystals
 * @param top Rows of the most-common table (default {@linkcode TOP_SPACE_GROUPS})
 * @returns Shares, distance and the most-common table
 * @example Generated: P1, P1, P-1, Fm-3m; test: Fm-3m, Fm-3m, P1, P-1
 * ```ts
 * import { assertEquals } from "../../tests/_assert.ts";
 * const c = compareSpaceGroups([1, 1, 2, 225], [225, 225, 1, 2]);
 * assertEquals([c.generated.p1, c.reference.p1, c.generated.orthorhombicOrHigher], [0.5, 0.25, 0.25]);
 * assertEquals(c.top.map((r) => r.symbol), ["P1", "Fm-3m", "P-1"]); // P1 and Fm-3m tie: by number
 * ```
 */
export function compareSpaceGroups(
  generated: readonly (number | null)[],
  reference: readonly (number | null)[],
  top: number = TOP_SPACE_GROUPS,
): SpaceGroupComparison {
  const g = histogram(generated), r = histogram(reference);
  const share = (h: { counts: Float64Array; total: number }, k: number) =>
    h.total ? h.counts[k] / h.total : 0;
  const present: SpaceGroupRow[] = [];
  for (let k = 1; k <= SPACE_GROUP_TYPES; k++) {
    if (g.counts[k] === 0 && r.counts[k] === 0) continue;
    present.push({ number: k, symbol: spaceGroupSymbol(k), generated: share(g, k), reference: share(r, k) });
  }
  // Most common in both sets together first, by the sum of shares scaled to integers (exact, so
  // equal sums are equal and fall back to the number: a reproducible order).
  const weight = (k: number) => g.counts[k] * Math.max(1, r.total) + r.counts[k] * Math.max(1, g.total);
  present.sort((x, y) => weight(y.number) - weight(x.number) || x.number - y.number);
  const rest = present.slice(top);
  return {
    generated: shares(generated),
    reference: shares(reference),
    wdistSpaceGroup: spaceGroupEmd(generated, reference),
    top: present.slice(0, top),
    others: {
      groups: rest.length,
      generated: rest.reduce((s, x) => s + x.generated, 0),
      reference: rest.reduce((s, x) => s + x.reference, 0),
    },
  };
}

/**
 * How many reconstructions keep their original's space group: the share over the pairs whose two
 * searches both succeeded (`pairs`), and how many pairs were left out because one failed.
 *
 * @param reconstructed Numbers of the reconstructions (`null`: search failed)
 * @param originals Numbers of their originals, in the same order
 * @returns The share kept, the pairs it counts and the pairs left out
 * @example
 * ```ts
 * import { assertEquals } from "../../tests/_assert.ts";
 * assertEquals(spaceGroupKept([225, 1, null, 14], [225, 2, 1, 14]), { share: 2 / 3, pairs: 3, failed: 1 });
 * ```
 */
export function spaceGroupKept(
  reconstructed: readonly (number | null)[],
  originals: readonly (number | null)[],
): { share: number; pairs: number; failed: number } {
  if (reconstructed.length !== originals.length) {
    throw new RangeError(
      `Cannot compare space groups: "${reconstructed.length}" reconstructions but "${originals.length}" originals`,
    );
  }
  let pairs = 0, same = 0;
  reconstructed.forEach((n, i) => {
    if (n === null || originals[i] === null) return;
    pairs++;
    if (n === originals[i]) same++;
  });
  return { share: pairs ? same / pairs : NaN, pairs, failed: reconstructed.length - pairs };
}
