// Unbounded-work findings of issue #18: minimum distances of skewed cells and of large crystals
// finish quickly and agree with the exact pair search.
import { assert, assertEquals, assertMatch } from "../_assert.ts";
import fc from "fast-check";
import { minDistance } from "../../src/core/geometry.ts";
import { minPairDistanceCells } from "../../src/core/_min_distance_cells.ts";
import { latticeFromParameters } from "../../src/crystal/lattice.ts";
import { structureValidity } from "../../src/eval/validity.ts";
import { arbitraryLattice, PROPERTY_SEED } from "../_arbitrary.ts";

/** A seeded uniform generator on [0, 1) (mulberry32). */
function random(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function cscl(gamma: number) {
  const lattice = latticeFromParameters({ a: 1, b: 1000, c: 1, alpha: 90, beta: 90, gamma });
  return { lattice, frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0.5]), numbers: new Uint8Array([55, 17]) };
}

Deno.test("minDistance of a cell with γ = 0.001° is fast and equals the unreduced search", () => {
  // γ = 1° is cheap for the unreduced search too (0.6 s before the fix; 1/sin² growth after).
  const t0 = performance.now();
  const d = minDistance(cscl(0.001), { selfImages: false });
  assert(performance.now() - t0 < 1000, `took ${performance.now() - t0} ms`);
  assert(Number.isFinite(d) && d > 0.5 && d < 1, String(d));
  assert(Math.abs(minDistance(cscl(0.1), { selfImages: false }) - 1.1228454091269986) < 1e-9);
  // evaluate's validity check finishes too, with its reason (this cell is only 0.017 Å³).
  const v = structureValidity(cscl(0.001));
  assertEquals(v.valid, false);
  assertMatch(v.reason ?? "", /volume 0\.017/);
});

Deno.test("the cell list agrees with the pair search on random crystals", () => {
  const crystal = fc.record({
    lattice: arbitraryLattice({ minLength: 5, maxLength: 14 }),
    n: fc.integer({ min: 50, max: 400 }),
    seed: fc.integer(),
  }).map(({ lattice, n, seed }) => ({
    lattice,
    frac: new Float64Array(3 * n).map(random(seed)),
    numbers: new Uint8Array(n).fill(6),
  }));
  let compared = 0;
  fc.assert(
    fc.property(crystal, (c) => {
      const cells = minPairDistanceCells(c);
      if (cells === undefined) return; // too thin for bins: the pair search handles it
      compared++;
      const exact = minDistance(c, { selfImages: false });
      assert(Math.abs(cells - exact) < 1e-9, `${cells} != ${exact}`);
    }),
    { seed: PROPERTY_SEED, numRuns: 60 },
  );
  assert(compared > 10, `only ${compared} crystals used the cell list`);
});

Deno.test("minDistance of 100 000 atoms takes well under the old 326 s", () => {
  const n = 100_000, side = Math.cbrt(n) * 2.5;
  const frac = new Float64Array(3 * n).map(random(7));
  const c = {
    lattice: new Float64Array([side, 0, 0, 0.5, side, 0, 0, 0, side]),
    frac,
    numbers: new Uint8Array(n).fill(6),
  };
  const t0 = performance.now();
  const d = minDistance(c, { selfImages: false });
  assert(performance.now() - t0 < 30_000, `took ${performance.now() - t0} ms`);
  assert(d > 0 && d < 1, String(d));
  // selfImages adds the shortest lattice vector, here much longer than d.
  assertEquals(minDistance(c), d);
});
