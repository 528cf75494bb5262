/**
 * The structure matcher against pymatgen 2022.11.7's `StructureMatcher(ltol=0.3, stol=0.5,
 * angle_tol=10).get_rms_dist` on 320 (pred, gt) pairs of Perov-5 / Carbon-24 / MP-20 test crystals
 * and perturbed, permuted, shifted, re-based, rotated, supercell, species-swapped copies and other
 * crystals (tests/fixtures/matcher.json, written by tools/make_matcher_fixtures.py), plus property
 * tests of the invariances a matcher must have.
 *
 * Coverage: on this fixture every match decision is identical and every RMS agrees to ~1e-15. On a
 * larger one-off run (`make_matcher_fixtures.py --scale 8`, 2 560 pairs) 2 555 agree the same way;
 * the other 5 are species-swapped copies of unperturbed crystals, where pairings or minimum images
 * tie exactly and pymatgen's choice depends on last-bit differences of its numpy/LAPACK arithmetic
 * (2 decisions flip with the RMS within 0.01 of stol, 3 RMS values differ). Those ties are not
 * reproducible without pymatgen's exact floating-point operation order.
 */
import fc from "fast-check";
import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { arbitraryCrystal, arbitraryRotation, PROPERTY_SEED } from "../_arbitrary.ts";
import type { Crystal } from "../../src/crystal/crystal.ts";
import { matchMany, matchStructures } from "../../src/eval/matcher.ts";
import { GeometryError } from "../../src/core/wasm.ts";
import { matmul3 } from "../../src/crystal/lattice.ts";

interface FixtureCrystal {
  lattice: number[];
  frac: number[];
  numbers: number[];
}
interface MatcherFixture {
  header: Record<string, unknown>;
  pairs: { name: string; kind: string; a: FixtureCrystal; b: FixtureCrystal; rms: [number, number] | null }[];
}

const FIXTURE: MatcherFixture = JSON.parse(
  await Deno.readTextFile(new URL("../fixtures/matcher.json", import.meta.url)),
);

const crystal = (c: FixtureCrystal): Crystal => ({
  lattice: new Float64Array(c.lattice),
  frac: new Float64Array(c.frac),
  numbers: new Uint8Array(c.numbers),
});

/**
 * RMS agreement with pymatgen. Both sides run the same algorithm in f64; what differs is
 * summation order (numpy's dot/BLAS vs plain loops) and the 3×3 inverse (LAPACK LU vs adjugate), which
 * move the result by ~1e-15 (the worst pair here: 1.3e-15). Issue #18 asks for 1e-6 on every pair.
 */
const RMS_TOL = 1e-6;
/** Below pymatgen's early exit (1e-5) only "below 1e-5" is defined: the search stops at the first such value. */
const EARLY_EXIT = 1e-5;

Deno.test("matchMany() agrees with pymatgen get_rms_dist on the fixture pairs", () => {
  const pairs = FIXTURE.pairs.map((p) => [crystal(p.a), crystal(p.b)] as const);
  const got = matchMany(pairs);
  const decisionDiffs: string[] = [];
  const rmsDiffs: string[] = [];
  let worst = 0;
  FIXTURE.pairs.forEach((p, i) => {
    const g = got[i];
    if (g.match !== (p.rms !== null)) {
      decisionDiffs.push(
        `${i} ${p.name}: ours ${g.match ? g.rms : "none"}, pymatgen ${p.rms?.[0] ?? "none"}`,
      );
      return;
    }
    if (!p.rms || !g.match) return;
    const [rms, maxDist] = p.rms;
    if (rms < EARLY_EXIT) {
      if (!(g.rms! < EARLY_EXIT)) rmsDiffs.push(`${i} ${p.name}: ours ${g.rms}, pymatgen ${rms} (< 1e-5)`);
      return;
    }
    const d = Math.max(Math.abs(g.rms! - rms), Math.abs(g.maxDist! - maxDist));
    worst = Math.max(worst, d);
    if (d > RMS_TOL) {
      rmsDiffs.push(`${i} ${p.name}: ours [${g.rms}, ${g.maxDist}], pymatgen [${rms}, ${maxDist}]`);
    }
  });
  assertEquals(decisionDiffs, [], `match decisions differ on ${decisionDiffs.length} pairs`);
  assertEquals(rmsDiffs, [], `rms differs by more than ${RMS_TOL} (worst ${worst})`);
  // The fixture must exercise both outcomes and every kind of variant.
  const matches = FIXTURE.pairs.filter((p) => p.rms !== null).length;
  assert(matches > 100 && FIXTURE.pairs.length - matches > 50, `fixture has ${matches} matches`);
});

Deno.test("matchStructures() rejects invalid input with typed errors", async (t) => {
  const ok: Crystal = {
    lattice: new Float64Array([4, 0, 0, 0, 4, 0, 0, 0, 4]),
    frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0.5]),
    numbers: new Uint8Array([55, 17]),
  };
  const cases: [string, Crystal, string, Record<string, number>?][] = [
    ["flat lattice", { ...ok, lattice: new Float64Array([1, 0, 0, 0, 1, 0, 1, 1, 0]) }, "degenerate-lattice"],
    ["NaN coordinate", { ...ok, frac: new Float64Array([NaN, 0, 0, 0.5, 0.5, 0.5]) }, "non-finite"],
    ["no atoms", { ...ok, frac: new Float64Array(0), numbers: new Uint8Array(0) }, "no-atoms"],
    ["atomic number 0", { ...ok, numbers: new Uint8Array([0, 17]) }, "bad-parameter"],
    ["atomic number 119", { ...ok, numbers: new Uint8Array([119, 17]) }, "bad-parameter"],
    ["frac of the wrong length", { ...ok, frac: new Float64Array(5) }, "bad-shape"],
    ["negative stol", ok, "bad-parameter", { stol: -1 }],
    ["angleTol 180", ok, "bad-parameter", { angleTol: 180 }],
    ["ltol NaN", ok, "bad-parameter", { ltol: NaN }],
  ];
  for (const [name, bad, kind, opts] of cases) {
    await t.step(name, () => {
      const e = assertThrows(() => matchMany([[ok, ok], [ok, bad]], opts), GeometryError);
      assertEquals(e.kind, kind, e.message);
      if (!opts) assertEquals(e.index, 1, e.message);
    });
  }
});

// ---- property tests ------------------------------------------------------------------------------

/** Crystals whose primitive cell is themselves is not guaranteed; the properties hold either way. */
const arbCrystal = arbitraryCrystal({
  minAtoms: 1,
  maxAtoms: 8,
  maxZ: 10,
  minSeparation: 0.05,
  minLength: 3,
  maxLength: 8,
});

function permuteShift(c: Crystal, perm: number[], shift: number[]): Crystal {
  const n = c.numbers.length;
  const frac = new Float64Array(3 * n);
  const numbers = new Uint8Array(n);
  perm.forEach((src, dst) => {
    for (let k = 0; k < 3; k++) frac[3 * dst + k] = c.frac[3 * src + k] + shift[k];
    numbers[dst] = c.numbers[src];
  });
  return { lattice: c.lattice, frac, numbers };
}

/** `c` described by the supercell `m` (rows: new vectors in the old basis, det > 0). */
function supercell(c: Crystal, m: number[]): Crystal {
  const det = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) +
    m[2] * (m[3] * m[7] - m[4] * m[6]);
  const inv = [
    m[4] * m[8] - m[5] * m[7],
    m[2] * m[7] - m[1] * m[8],
    m[1] * m[5] - m[2] * m[4],
    m[5] * m[6] - m[3] * m[8],
    m[0] * m[8] - m[2] * m[6],
    m[2] * m[3] - m[0] * m[5],
    m[3] * m[7] - m[4] * m[6],
    m[1] * m[6] - m[0] * m[7],
    m[0] * m[4] - m[1] * m[3],
  ].map((x) => x / det);
  const frac: number[] = [];
  const numbers: number[] = [];
  const r = 3;
  for (let i = 0; i < c.numbers.length; i++) {
    for (let x = -r; x <= r; x++) {
      for (let y = -r; y <= r; y++) {
        for (let z = -r; z <= r; z++) {
          const f = [c.frac[3 * i] + x, c.frac[3 * i + 1] + y, c.frac[3 * i + 2] + z];
          const g = [0, 1, 2].map((k) => f[0] * inv[k] + f[1] * inv[3 + k] + f[2] * inv[6 + k]);
          if (g.every((v) => v >= -1e-9 && v < 1 - 1e-9)) {
            frac.push(...g);
            numbers.push(c.numbers[i]);
          }
        }
      }
    }
  }
  return {
    lattice: matmul3(new Float64Array(m), c.lattice),
    frac: new Float64Array(frac),
    numbers: new Uint8Array(numbers),
  };
}

Deno.test("matchStructures() matches a crystal to itself under permutation and origin shift", () => {
  fc.assert(
    fc.property(
      arbCrystal.chain((c) =>
        fc.tuple(
          fc.constant(c),
          fc.shuffledSubarray([...c.numbers.keys()], { minLength: c.numbers.length }),
          fc.tuple(
            fc.double({ min: -1, max: 1, noNaN: true }),
            fc.double({ min: -1, max: 1, noNaN: true }),
            fc.double({ min: -1, max: 1, noNaN: true }),
          ),
        )
      ),
      ([c, perm, shift]) => {
        const r = matchStructures(permuteShift(c, perm, shift), c);
        assert(r.match && r.rms! < 1e-5, `rms ${r.rms}`);
      },
    ),
    { seed: PROPERTY_SEED, numRuns: 60 },
  );
});

Deno.test("matchStructures() matches a crystal to its rotated supercell in a skewed basis", () => {
  const cells = [
    [2, 0, 0, 0, 1, 0, 0, 0, 1],
    [1, 1, 0, -1, 1, 0, 0, 0, 1],
    [1, 0, 0, 1, 1, 0, 0, 1, 2],
    [1, 0, 0, 0, 1, 0, 0, 0, 1],
    [1, 2, 0, 0, 1, 0, 0, 0, 1],
  ];
  fc.assert(
    fc.property(arbCrystal, fc.constantFrom(...cells), arbitraryRotation, (c, m, rot) => {
      const sc = supercell(c, m);
      const rotated = { ...sc, lattice: matmul3(sc.lattice, rot) };
      const r = matchStructures(rotated, c);
      const back = matchStructures(c, rotated);
      assert(r.match && r.rms! < 1e-5, `pred = supercell: rms ${r.rms}, m=${m}`);
      assert(back.match && back.rms! < 1e-5, `gt = supercell: rms ${back.rms}, m=${m}`);
    }),
    { seed: PROPERTY_SEED, numRuns: 40 },
  );
});
