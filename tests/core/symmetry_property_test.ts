/**
 * Properties of the space-group search: the group of a crystal does not depend on how it is written
 * down (atom order, origin, orientation, choice of cell, supercell), and symmetrising is idempotent.
 * Inputs are the dataset crystals stored in tests/fixtures/symmetry_spglib.json (many space groups)
 * and random crystals; fast-check prints the seed and the transformation of a failing case.
 *
 * Only crystals away from the tolerance edge take part: those whose group is the same at half and
 * at twice `SYMPREC`. At the edge the answer may depend on the order of atoms of one species, in
 * spglib as here (its pivot atom is the first of the rarest species; see wasm/src/symmetry.rs).
 */

import fc from "fast-check";
import { assert, assertEquals } from "../_assert.ts";
import { arbitraryCrystal, arbitraryRotation, PROPERTY_RUNS, PROPERTY_SEED } from "../_arbitrary.ts";
import type { Crystal } from "../../src/crystal/crystal.ts";
import { fracToCart, inverse3, matmul3 } from "../../src/crystal/lattice.ts";
import { spaceGroupNumberMany, symmetrize } from "../../src/core/symmetry.ts";

const SYMPREC = 0.01;

const fixture = JSON.parse(
  await Deno.readTextFile(new URL("../fixtures/symmetry_spglib.json", import.meta.url)),
);
/** Whether a crystal's group is the same at half, once and twice `symprec` (off the tolerance edge). */
function offTheEdge(c: Crystal, symprec: number): boolean {
  const [a, b, d] = [0.5, 1, 2].map((k) => spaceGroupNumberMany([c], { symprec: k * symprec })[0]);
  return a === b && b === d;
}

const datasetCrystals: Crystal[] = Object.values(fixture.splits).flatMap((s) =>
  (s as { crystals: [number, number[], number[], number[]][] }).crystals.map((
    [, lattice, frac, numbers],
  ) => ({
    lattice: new Float64Array(lattice),
    frac: new Float64Array(frac),
    numbers: new Uint8Array(numbers),
  }))
);
const stableCrystals = datasetCrystals.filter((c) => offTheEdge(c, SYMPREC));

/** Integer matrices of determinant ±1 built from shears and row swaps (another basis of the lattice). */
const arbitraryUnimodular = fc.array(
  fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: -2, max: 2 })),
  { maxLength: 5 },
).map((ops) => {
  let u: Float64Array = new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  for (const [i, j, k] of ops) {
    const m = new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    if (i !== j) m[3 * i + j] = k; // row i += k · row j
    else {
      const n = (i + 1) % 3; // swap rows i and i + 1
      m[3 * i + i] = m[3 * n + n] = 0;
      m[3 * i + n] = m[3 * n + i] = 1;
    }
    u = matmul3(m, u);
  }
  return u;
});

/** One way of writing the same crystal down differently. */
interface Rewrite {
  order: number[];
  shift: [number, number, number];
  rotation: Float64Array;
  basis: Float64Array;
  /** Repeat the cell this many times along a (1: no supercell). */
  repeat: number;
}

const arbitraryRewrite: fc.Arbitrary<Rewrite> = fc.record({
  order: fc.array(fc.integer(), { minLength: 200, maxLength: 200 }),
  shift: fc.tuple(
    fc.double({ min: -1, max: 1, noNaN: true }),
    fc.double({ min: -1, max: 1, noNaN: true }),
    fc.double({ min: -1, max: 1, noNaN: true }),
  ),
  rotation: arbitraryRotation,
  basis: arbitraryUnimodular,
  repeat: fc.constantFrom(1, 1, 2),
});

/** Applies a rewrite: supercell along a, permutation, origin shift, new basis U·L, rotation L·R. */
function rewrite(c: Crystal, r: Rewrite): Crystal {
  let frac = Array.from(c.frac), numbers = Array.from(c.numbers);
  let lattice: Float64Array = Float64Array.from(c.lattice);
  if (r.repeat > 1) {
    const copies = Array.from(
      { length: r.repeat },
      (_, k) => frac.map((x, i) => i % 3 === 0 ? (x + k) / r.repeat : x),
    );
    frac = copies.flat();
    numbers = Array.from({ length: r.repeat }, () => numbers).flat();
    for (let k = 0; k < 3; k++) lattice[k] *= r.repeat;
  }
  const m = numbers.length;
  const order = Array.from({ length: m }, (_, i) => i).sort((a, b) =>
    r.order[a % 200] - r.order[b % 200] || a - b
  );
  const shifted = new Float64Array(3 * m);
  order.forEach((from, to) => {
    for (let k = 0; k < 3; k++) shifted[3 * to + k] = frac[3 * from + k] + r.shift[k];
  });
  // Cartesian x = f·L = (f·U⁻¹)·(U·L).
  const newFrac = fracToCart(shifted, inverse3(r.basis));
  lattice = matmul3(matmul3(r.basis, lattice), r.rotation);
  return { lattice, frac: newFrac, numbers: Uint8Array.from(order.map((i) => numbers[i])) };
}

Deno.test("spaceGroupNumberMany() is invariant under permutation, translation, rotation, basis and supercell", async (t) => {
  const check = (c: Crystal, r: Rewrite) => {
    const [before, after] = spaceGroupNumberMany([c, rewrite(c, r)], { symprec: SYMPREC });
    assertEquals(after, before, `basis ${[...r.basis]} repeat ${r.repeat} shift ${r.shift}`);
  };
  await t.step("dataset crystals", () => {
    assert(
      stableCrystals.length >= 200,
      `only ${stableCrystals.length} stored crystals off the tolerance edge`,
    );
    fc.assert(fc.property(fc.constantFrom(...stableCrystals), arbitraryRewrite, check), {
      seed: PROPERTY_SEED,
      numRuns: PROPERTY_RUNS,
    });
  });
  await t.step("random crystals", () => {
    const stable = arbitraryCrystal({ maxAtoms: 8, minSeparation: 0.05 }).filter((c) =>
      offTheEdge(c, SYMPREC)
    );
    fc.assert(fc.property(stable, arbitraryRewrite, check), {
      seed: PROPERTY_SEED,
      numRuns: PROPERTY_RUNS,
    });
  });
});

Deno.test("symmetrize() is idempotent and its group survives a tiny symprec", () => {
  fc.assert(
    fc.property(fc.constantFrom(...datasetCrystals), fc.constantFrom(0.01, 0.1), (c, symprec) => {
      fc.pre(offTheEdge(c, symprec));
      const [group] = spaceGroupNumberMany([c], { symprec });
      const ideal = symmetrize(c, { symprec });
      assertEquals(spaceGroupNumberMany([ideal], { symprec: 1e-5 })[0], group, "ideal at 1e-5");
      const again = symmetrize(ideal, { symprec });
      for (let k = 0; k < 9; k++) {
        if (Math.abs(again.lattice[k] - ideal.lattice[k]) > 1e-9) throw new Error(`lattice[${k}] moved`);
      }
      for (let k = 0; k < ideal.frac.length; k++) {
        const d = again.frac[k] - ideal.frac[k];
        if (Math.abs(d - Math.round(d)) > 1e-9) throw new Error(`frac[${k}] moved by ${d}`);
      }
    }),
    { seed: PROPERTY_SEED, numRuns: PROPERTY_RUNS },
  );
});
