/**
 * Property: a crystal written with `writeCif(c, { symprec })` and read back by `readCif` is the
 * same structure — the same composition, the same number of atoms per volume (the file holds the
 * conventional cell, which may be larger or smaller than the input's), and a match with a small
 * RMS. Inputs are the dataset crystals stored in tests/fixtures/symmetry_spglib.json (many space
 * groups), rewritten as a sampler might produce them: atoms moved a little, sites shuffled, the
 * origin shifted, the cell rotated, sometimes doubled along a.
 */

import fc from "fast-check";
import { assert, assertEquals } from "../_assert.ts";
import { arbitraryRotation, PROPERTY_RUNS, PROPERTY_SEED } from "../_arbitrary.ts";
import type { Crystal } from "../../src/crystal/crystal.ts";
import { pymatgenFormulas, readCif } from "../../src/crystal/cif.ts";
import { latticeVolume, matmul3 } from "../../src/crystal/lattice.ts";
import { writeCif } from "../../src/core/symmetry_cif.ts";
import { matchStructures } from "../../src/eval/matcher.ts";

const fixture = JSON.parse(
  await Deno.readTextFile(new URL("../fixtures/symmetry_spglib.json", import.meta.url)),
);
const datasetCrystals: Crystal[] = Object.values(fixture.splits).flatMap((s) =>
  (s as { crystals: [number, number[], number[], number[]][] }).crystals.map((
    [, lattice, frac, numbers],
  ) => ({
    lattice: new Float64Array(lattice),
    frac: new Float64Array(frac),
    numbers: new Uint8Array(numbers),
  }))
);

/** How a crystal is written down differently and disturbed. */
interface Disturbance {
  /** Per-coordinate displacements in [−1, 1], scaled by `amplitude` (fractional). */
  noise: number[];
  amplitude: number;
  order: number[];
  shift: [number, number, number];
  rotation: Float64Array;
  /** Copies along a (1: no supercell). */
  repeat: number;
}

const unit = fc.double({ min: -1, max: 1, noNaN: true });
const arbitraryDisturbance: fc.Arbitrary<Disturbance> = fc.record({
  noise: fc.array(unit, { minLength: 300, maxLength: 300 }),
  amplitude: fc.constantFrom(0, 1e-4, 1e-3, 3e-3),
  order: fc.array(fc.integer(), { minLength: 100, maxLength: 100 }),
  shift: fc.tuple(unit, unit, unit),
  rotation: arbitraryRotation,
  repeat: fc.constantFrom(1, 1, 2),
});

function disturb(c: Crystal, d: Disturbance): Crystal {
  const n = c.numbers.length * d.repeat;
  const source = Array.from({ length: n }, (_, i) => i).sort((a, b) =>
    d.order[a % 100] - d.order[b % 100] || a - b
  );
  const frac = new Float64Array(3 * n), numbers = new Uint8Array(n);
  source.forEach((s, i) => {
    const atom = s % c.numbers.length, copy = Math.floor(s / c.numbers.length);
    numbers[i] = c.numbers[atom];
    for (let k = 0; k < 3; k++) {
      const x = c.frac[3 * atom + k] + (k === 0 ? copy : 0);
      frac[3 * i + k] = (k === 0 ? x / d.repeat : x) + d.shift[k] + d.amplitude * d.noise[(3 * i + k) % 300];
    }
  });
  const lattice = Float64Array.from(c.lattice);
  for (let k = 0; k < 3; k++) lattice[k] *= d.repeat;
  return { lattice: matmul3(lattice, d.rotation), frac, numbers };
}

Deno.test("writeCif(symprec) then readCif gives back the same structure", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...datasetCrystals),
      arbitraryDisturbance,
      fc.constantFrom(0.01, 0.1),
      (c, d, symprec) => {
        const input = disturb(c, d);
        const text = writeCif(input, { symprec });
        const [back] = readCif(text);
        assertEquals(pymatgenFormulas(back.numbers).reduced, pymatgenFormulas(input.numbers).reduced);
        // The same number density: the file's cell holds N_in · V_file / V_in atoms (refining
        // the lattice changes its volume by far less than the 0.5 % allowed here).
        const ratio = latticeVolume(back.lattice) / latticeVolume(input.lattice);
        const expected = input.numbers.length * ratio;
        assert(
          Math.abs(back.numbers.length - expected) < 0.005 * expected,
          `${back.numbers.length} atoms read, ${expected} expected`,
        );
        const rows = text.split("\n").filter((l) => /^ {2}[A-Z][a-z]? {2}/.test(l)).length;
        assert(rows <= back.numbers.length, `${rows} rows for ${back.numbers.length} atoms`);
        const m = matchStructures(back, input);
        assert(m.match && m.rms! < 0.05, `match ${JSON.stringify(m)}`);
      },
    ),
    { seed: PROPERTY_SEED, numRuns: PROPERTY_RUNS },
  );
});
