/**
 * The Magpie fingerprint against matminer 0.8.0 `ElementProperty.from_preset("magpie")` and CDVAE's
 * CompScaler (tests/fixtures/composition_magpie.json, written by tools/make_composition_fixtures.py:
 * a fixed sample of test-split compositions plus perturbed and odd ones), the reference vectors of
 * metrics-reference-matcher-magpie.md §B.4, the NaN rules, and invariances.
 */
import fc from "fast-check";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../_assert.ts";
import { PROPERTY_RUNS, PROPERTY_SEED } from "../_arbitrary.ts";
import {
  MAGPIE_LABELS,
  MAGPIE_LENGTH,
  MAGPIE_PROPERTIES,
  magpieFingerprint,
  magpieFingerprintScaled,
  scaleMagpie,
} from "../../src/eval/magpie.ts";

type Pairs = [number, number][];
interface MagpieFixture {
  source: string;
  labels: string[];
  cases: { composition: Pairs; raw: (number | null)[]; scaled?: (number | null)[] }[];
}

const FIXTURE: MagpieFixture = JSON.parse(
  await Deno.readTextFile(new URL("../fixtures/composition_magpie.json", import.meta.url)),
);
/** Agreement required with matminer (absolute; the fixture keeps 12 significant digits). */
const TOL = 1e-6;

function atoms(pairs: Pairs): number[] {
  return pairs.flatMap(([z, c]) => new Array<number>(c).fill(z));
}

function assertVectorClose(actual: Float64Array, expected: (number | null)[], what: string) {
  assertEquals(actual.length, expected.length, what);
  for (let i = 0; i < actual.length; i++) {
    const e = expected[i];
    if (e === null) {
      assert(Number.isNaN(actual[i]), `${what} [${i}] ${MAGPIE_LABELS[i]}: ${actual[i]} is not NaN`);
    } else assertAlmostEquals(actual[i], e, TOL, `${what} [${i}] ${MAGPIE_LABELS[i]}`);
  }
}

const stat = (fp: Float64Array, prop: string) => {
  const p = MAGPIE_PROPERTIES.indexOf(prop);
  return Array.from(fp.slice(6 * p, 6 * p + 6));
};

Deno.test("MAGPIE_LABELS are matminer's labels in feature order", () => {
  assertEquals(MAGPIE_LENGTH, 132);
  assertEquals([...MAGPIE_LABELS], FIXTURE.labels);
});

Deno.test("magpieFingerprint() matches matminer within 1e-6 on the fixture compositions", () => {
  assert(FIXTURE.cases.length > 700);
  let scaled = 0;
  for (const c of FIXTURE.cases) {
    const what = c.composition.map(([z, n]) => `${z}:${n}`).join(",");
    const raw = magpieFingerprint(atoms(c.composition));
    assertVectorClose(raw, c.raw, what);
    if (c.scaled) {
      scaled++;
      const s = scaleMagpie(raw);
      assertVectorClose(s, c.scaled, `${what} scaled`);
      assertEquals(magpieFingerprintScaled(atoms(c.composition)), s);
    }
  }
  assert(scaled > 100);
});

Deno.test("magpieFingerprint() reproduces the reference vectors of §B.4", async (t) => {
  const close = (a: number[], b: number[], what: string) =>
    a.forEach((x, i) =>
      Number.isNaN(b[i]) ? assert(Number.isNaN(x), what) : assertAlmostEquals(x, b[i], 1e-9, what)
    );
  await t.step("Fe2O3", () => {
    const fp = magpieFingerprint([26, 26, 8, 8, 8]);
    close(stat(fp, "Number"), [8, 26, 18, 15.2, 8.64, 8], "Number");
    close(stat(fp, "AtomicWeight"), [15.9994, 55.845, 39.8456, 31.93764, 19.125888, 15.9994], "AtomicWeight");
    close(stat(fp, "GSmagmom"), [0, 2.1106628, 2.1106628, 0.84426512, 1.013118144, 0], "GSmagmom");
    close(stat(fp, "SpaceGroupNumber"), [12, 229, 217, 98.8, 104.16, 12], "SpaceGroupNumber");
  });
  await t.step("SrTiO3", () => {
    const fp = magpieFingerprint([38, 22, 8, 8, 8]);
    close(stat(fp, "Electronegativity"), [0.95, 3.44, 2.49, 2.562, 1.0536, 3.44], "Electronegativity");
    close(stat(fp, "NdUnfilled"), [0, 8, 8, 1.6, 2.56, 0], "NdUnfilled");
  });
  await t.step("ArF2: NaN everywhere but the mode", () => {
    const fp = magpieFingerprint([18, 9, 9]);
    close(stat(fp, "Electronegativity"), [NaN, NaN, NaN, NaN, NaN, 3.98], "Electronegativity");
    close(stat(fp, "MeltingT"), [53.5, 83.8, 30.3, 63.6, 13.4666666667, 53.5], "MeltingT");
  });
});

Deno.test("magpieFingerprint() follows matminer's statistics rules", async (t) => {
  await t.step("one element: range 0, avg_dev 0, mode = min = max = mean", () => {
    const [min, max, range, mean, dev, mode] = stat(magpieFingerprint([29, 29, 29]), "MeltingT");
    assertEquals([range, dev], [0, 0]);
    assertEquals([min, max, mode], [mean, mean, mean]);
  });
  await t.step("equal weights: the mode is the smaller value", () => {
    assertEquals(stat(magpieFingerprint([11, 17]), "Number")[5], 11);
  });
  await t.step("a NaN among the tied elements makes the mode NaN", () => {
    assert(Number.isNaN(stat(magpieFingerprint([2, 9]), "Electronegativity")[5]));
  });
  await t.step("He, Fr, Rn, Pm, Tc, actinides, Z 113–118: defined vectors; scaled has no NaN", () => {
    for (
      const numbers of [[2], [87, 9], [86, 8], [61, 8], [43, 8], [92, 94, 8], [113], [118, 8], [104, 105]]
    ) {
      const raw = magpieFingerprint(numbers);
      assertEquals(raw.length, 132);
      assert(scaleMagpie(raw).every(Number.isFinite), `${numbers}`);
    }
    assert(magpieFingerprint([118]).every(Number.isNaN), "Og has no Magpie data");
  });
  await t.step("no atoms, Z = 0 and Z = 119 give all-NaN vectors (scaled: zeros), no exception", () => {
    for (const numbers of [[], [0], [119], [255]]) {
      assert(magpieFingerprint(numbers).every(Number.isNaN), `${numbers}`);
      assert(magpieFingerprintScaled(numbers).every((x) => x === 0), `${numbers}`);
    }
  });
  await t.step("scaleMagpie() rejects a vector of the wrong length", () => {
    assertThrows(() => scaleMagpie(new Float64Array(131)), RangeError, /expected 132 values, found 131/);
  });
});

Deno.test("magpieFingerprint() ignores atom order and a common factor of the counts", () => {
  const comps = fc.array(fc.tuple(fc.integer({ min: 1, max: 118 }), fc.integer({ min: 1, max: 6 })), {
    minLength: 1,
    maxLength: 6,
  });
  fc.assert(
    fc.property(comps, fc.integer({ min: 2, max: 5 }), (pairs, k) => {
      const base = magpieFingerprint(atoms(pairs as Pairs));
      const reversed = magpieFingerprint(atoms(pairs as Pairs).reverse());
      const scaled = magpieFingerprint(atoms(pairs.map(([z, c]) => [z, c * k])));
      for (let i = 0; i < 132; i++) {
        for (const other of [reversed, scaled]) {
          if (Number.isNaN(base[i])) assert(Number.isNaN(other[i]), `${pairs} ${MAGPIE_LABELS[i]}`);
          else assertAlmostEquals(other[i], base[i], 1e-9 * Math.max(1, Math.abs(base[i])), MAGPIE_LABELS[i]);
        }
      }
    }),
    { seed: PROPERTY_SEED, numRuns: PROPERTY_RUNS },
  );
});
