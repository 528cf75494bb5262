/**
 * How often a reconstruction keeps its original's composition — the part of the reconstruction
 * match rate that the latent's composition and atom-count heads decide before any geometry: a
 * reconstruction with other elements can never match. Splitting the match rate this way tells a
 * composition problem (MP-20's `small` model names the right elements for about one crystal in eight) from
 * a geometry one.
 *
 * @module
 */

import { elementCounts } from "./composition.ts";

/** Shares of (reconstruction, original) pairs that agree on composition, and the matches among them. */
export interface CompositionKept {
  /** Pairs compared. */
  pairs: number;
  /** Share with the same number of atoms. */
  atomCount: number;
  /** Share with the same set of elements (counts may differ). */
  elements: number;
  /** Share with the same atoms: the same count of every element. */
  composition: number;
  /** Share of structure matches among the pairs with the same composition (NaN when none). */
  matchGivenComposition: number;
}

/** Whether two crystals hold the same count of every element. */
export function sameComposition(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  const x = elementCounts(a, "sorted"), y = elementCounts(b, "sorted");
  return x.numbers.length === y.numbers.length &&
    x.numbers.every((z, i) => z === y.numbers[i] && x.counts[i] === y.counts[i]);
}

function sameElements(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  const x = new Set(Array.from(a)), y = new Set(Array.from(b));
  return x.size === y.size && [...x].every((z) => y.has(z));
}

/**
 * Composition agreement of reconstructions with their originals, given as atomic numbers per
 * crystal, and the structure match rate among the pairs whose compositions agree.
 *
 * @param reconstructed Atomic numbers of each reconstruction
 * @param originals Atomic numbers of each original, same order
 * @param matched Whether each pair matched (StructureMatcher), same order
 * @returns The shares
 * @throws {RangeError} When the three lists differ in length
 * @example One of two keeps its composition, and matches
 * ```ts
 * import { assertEquals } from "../../tests/_assert.ts";
 * const kept = compositionKept([[26, 8, 8], [26, 26, 8]], [[8, 26, 8], [26, 8, 8]], [true, false]);
 * assertEquals(kept, { pairs: 2, atomCount: 1, elements: 1, composition: 0.5, matchGivenComposition: 1 });
 * ```
 */
export function compositionKept(
  reconstructed: readonly ArrayLike<number>[],
  originals: readonly ArrayLike<number>[],
  matched: readonly boolean[],
): CompositionKept {
  if (reconstructed.length !== originals.length || matched.length !== originals.length) {
    throw new RangeError(
      `Cannot compare compositions: ${reconstructed.length} reconstructions, ` +
        `${originals.length} originals, ${matched.length} match results`,
    );
  }
  const n = originals.length;
  let atomCount = 0, elements = 0, composition = 0, matchedToo = 0;
  originals.forEach((orig, i) => {
    const rec = reconstructed[i];
    if (rec.length === orig.length) atomCount++;
    if (sameElements(rec, orig)) elements++;
    if (sameComposition(rec, orig)) {
      composition++;
      if (matched[i]) matchedToo++;
    }
  });
  const share = (k: number) => (n ? k / n : NaN);
  return {
    pairs: n,
    atomCount: share(atomCount),
    elements: share(elements),
    composition: share(composition),
    matchGivenComposition: composition ? matchedToo / composition : NaN,
  };
}
