/**
 * Composition agreement of reconstructions with their originals (`evaluate` on reconstructions).
 *
 * @module
 */

import fc from "fast-check";
import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { PROPERTY_RUNS, PROPERTY_SEED } from "../_arbitrary.ts";
import { compositionKept, sameComposition } from "../../src/eval/composition_kept.ts";

Deno.test("compositionKept separates atom count, element set and full composition", () => {
  const fe2o3 = [26, 26, 8, 8, 8];
  const kept = compositionKept(
    [[8, 26, 8, 26, 8], [26, 8, 8, 8, 8], [26, 26, 8, 8], [26, 26, 8, 8, 16]],
    [fe2o3, fe2o3, fe2o3, fe2o3],
    [false, true, false, false],
  );
  // 1st: same atoms in another order; 2nd: same count and elements, other counts (a match of it
  // does not count among the kept); 3rd: one atom fewer; 4th: another element.
  assertEquals(kept, {
    pairs: 4,
    atomCount: 0.75,
    elements: 0.75,
    composition: 0.25,
    matchGivenComposition: 0,
  });
  assert(Number.isNaN(compositionKept([[8]], [[26]], [false]).matchGivenComposition));
  assertEquals(compositionKept([], [], []).pairs, 0);
  assertThrows(
    () => compositionKept([[8]], [], []),
    RangeError,
    "Cannot compare compositions: 1 reconstructions, 0 originals, 0 match results",
  );
});

Deno.test("sameComposition does not depend on the order of the atoms", () => {
  const numbers = fc.array(fc.integer({ min: 1, max: 94 }), { minLength: 1, maxLength: 20 });
  fc.assert(
    fc.property(numbers, fc.integer(), fc.integer({ min: 1, max: 94 }), (zs, seed, other) => {
      // A seeded shuffle of the same atoms keeps the composition; changing one atom's element does not.
      const shuffled = zs.map((z, i) => [((seed + 1) * 2654435761 * (i + 1)) % 1000003, z])
        .sort((a, b) => a[0] - b[0]).map(([, z]) => z);
      assert(sameComposition(zs, shuffled));
      const changed = [...zs];
      changed[0] = other;
      assertEquals(sameComposition(zs, changed), other === zs[0]);
    }),
    { seed: PROPERTY_SEED, numRuns: PROPERTY_RUNS },
  );
});
