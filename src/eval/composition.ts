/**
 * Compositions as the composition metrics see them: the distinct atomic numbers of a crystal with
 * their atom counts.
 *
 * @module
 */

import { MAX_ATOMIC_NUMBER } from "../crystal/elements.ts";

/** Distinct elements of a crystal and how many atoms each has, in one order (see {@linkcode elementCounts}). */
export interface ElementCounts {
  /** Distinct atomic numbers. */
  numbers: number[];
  /** Atom counts, `counts[i]` for `numbers[i]`. */
  counts: number[];
}

/**
 * Counts the atoms of each element. `order: "first"` keeps the order of first appearance (as a
 * Python `Counter`, hence matminer's `Composition`, has it); `"sorted"` sorts by atomic number
 * (as CDVAE's `Crystal.get_composition` does).
 *
 * @param numbers Atomic numbers of the atoms, one per site
 * @param order Order of the distinct elements
 * @returns The distinct atomic numbers and their counts
 * @example Fe₂O₃
 * ```ts
 * import { assertEquals } from "../../tests/_assert.ts";
 * assertEquals(elementCounts([26, 8, 8, 26, 8], "sorted"), { numbers: [8, 26], counts: [3, 2] });
 * assertEquals(elementCounts([26, 8, 8, 26, 8]), { numbers: [26, 8], counts: [2, 3] });
 * ```
 */
export function elementCounts(
  numbers: ArrayLike<number>,
  order: "first" | "sorted" = "first",
): ElementCounts {
  const index = new Map<number, number>();
  const out: ElementCounts = { numbers: [], counts: [] };
  for (let i = 0; i < numbers.length; i++) {
    const z = numbers[i];
    const k = index.get(z);
    if (k === undefined) {
      index.set(z, out.numbers.length);
      out.numbers.push(z);
      out.counts.push(1);
    } else {
      out.counts[k]++;
    }
  }
  if (order === "sorted" && out.numbers.length > 1) {
    const perm = out.numbers.map((_, i) => i).sort((a, b) => out.numbers[a] - out.numbers[b]);
    return { numbers: perm.map((i) => out.numbers[i]), counts: perm.map((i) => out.counts[i]) };
  }
  return out;
}

/**
 * Returns true when `z` is an atomic number of the element table (an integer in 1–118).
 *
 * @param z A value claimed to be an atomic number
 * @returns Whether it names an element
 * @example
 * ```ts
 * import { assert } from "../../tests/_assert.ts";
 * assert(isElement(118) && !isElement(0) && !isElement(2.5));
 * ```
 */
export function isElement(z: number): boolean {
  return Number.isInteger(z) && z >= 1 && z <= MAX_ATOMIC_NUMBER;
}

/**
 * Greatest common divisor of non-negative integers (0 for an empty list).
 *
 * @param values Integers ≥ 0
 * @returns Their gcd
 * @example
 * ```ts
 * import { assertEquals } from "../../tests/_assert.ts";
 * assertEquals(gcdAll([4, 6, 10]), 2);
 * ```
 */
export function gcdAll(values: readonly number[]): number {
  let g = 0;
  for (let v of values) {
    while (v !== 0) [g, v] = [v, g % v];
  }
  return g;
}
