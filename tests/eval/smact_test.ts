/**
 * Composition validity against CDVAE's `smact_validity` (SMACT 2.2.1): every distinct composition of
 * the three test splits and ~900 perturbed/odd ones (tests/fixtures/composition_smact.json, written
 * by tools/make_composition_fixtures.py), the paper's ground-truth percentages, one test per branch,
 * and property tests against a brute-force transcription of the reference loop.
 */
import fc from "fast-check";
import { assert, assertAlmostEquals, assertEquals } from "../_assert.ts";
import { PROPERTY_RUNS, PROPERTY_SEED } from "../_arbitrary.ts";
import { paulingTest, smactCheck, type SmactCode, smactValid } from "../../src/eval/smact.ts";
import oxidationTable from "../../data/elements/oxidation_states.json" with { type: "json" };
import enegTable from "../../data/elements/electronegativity.json" with { type: "json" };
import { type DatasetName, loadDataset } from "../../src/data/datasets.ts";
import { dataDirFor, SLICES_DIR } from "../_datasets.ts";

type Pairs = [number, number][];
interface SmactFixture {
  source: string;
  datasets: Record<string, {
    crystals: number;
    validPercent: number;
    paperPercent: number;
    /** [composition, number of crystals, valid (null: the reference raised), error name?] */
    compositions: [Pairs, number, boolean | null, string?][];
  }>;
  /** [composition, valid (null: the reference raised), error name?] */
  odd: [Pairs, boolean | null, string?][];
}

const FIXTURE: SmactFixture = JSON.parse(
  await Deno.readTextFile(new URL("../fixtures/composition_smact.json", import.meta.url)),
);

/** Expands [[Z, count], …] into one atomic number per atom. */
function atoms(pairs: Pairs): number[] {
  return pairs.flatMap(([z, c]) => new Array<number>(c).fill(z));
}

function label(pairs: Pairs): string {
  return pairs.map(([z, c]) => `${z}:${c}`).join(",");
}

/** Where the reference raises we answer invalid; the fixture stores null and the error name. */
function assertAgrees(pairs: Pairs, expected: boolean | null, error?: string) {
  const r = smactCheck(atoms(pairs));
  if (expected === null) {
    assertEquals([r.valid, r.code], [false, "no-smact-data"], `${label(pairs)} (reference: ${error})`);
  } else {
    assertEquals(r.valid, expected, `${label(pairs)}: ${r.reason}`);
  }
}

Deno.test("smactCheck() agrees with smact_validity on every test-split composition", async (t) => {
  for (const [name, ds] of Object.entries(FIXTURE.datasets)) {
    await t.step(`${name} (${ds.compositions.length} compositions)`, () => {
      let valid = 0, crystals = 0;
      for (const [pairs, mult, expected, error] of ds.compositions) {
        assertAgrees(pairs, expected, error);
        crystals += mult;
        if (smactValid(atoms(pairs))) valid += mult;
      }
      assertEquals(crystals, ds.crystals);
      assertAlmostEquals(100 * valid / crystals, ds.validPercent, 1e-9);
      // The paper's Table 2 ground truth, to its two decimals.
      assertEquals((100 * valid / crystals).toFixed(2), ds.paperPercent.toFixed(2));
    });
  }
});

Deno.test("smactCheck() agrees with smact_validity on perturbed and odd compositions", () => {
  assert(FIXTURE.odd.length > 500);
  for (const [pairs, expected, error] of FIXTURE.odd) assertAgrees(pairs, expected, error);
});

Deno.test("smactCheck() gives the same answers without its cache", () => {
  for (const [pairs] of FIXTURE.odd.slice(0, 300)) {
    const a = smactCheck(atoms(pairs)), b = smactCheck(atoms(pairs), { cache: false });
    assertEquals(b, a, label(pairs));
  }
});

const PAPER: Record<DatasetName, string> = { perov_5: "98.60", carbon_24: "100.00", mp_20: "91.13" };

Deno.test("dataset test splits: each crystal's composition as the fixture has it; the paper's percentages on full splits", async (t) => {
  for (const name of Object.keys(PAPER) as DatasetName[]) {
    const dir = await dataDirFor(name, "test");
    const full = dir !== SLICES_DIR;
    await t.step(`${name} (${full ? `full: ${PAPER[name]} %` : "slice"})`, async () => {
      const known = new Map(FIXTURE.datasets[name].compositions.map(([pairs, , v]) => [label(pairs), v]));
      const ds = await loadDataset(name, "test", { dir });
      for (const e of ds.entries) {
        // The CSV → crystal → composition path: every row's composition is one the fixture lists.
        const counts = new Map<number, number>();
        for (const z of e.crystal.numbers) counts.set(z, (counts.get(z) ?? 0) + 1);
        const key = label([...counts].sort((a, b) => a[0] - b[0]));
        assert(known.has(key), `${e.id}: composition ${key} is not in the fixture`);
        assertEquals(smactValid(e.crystal.numbers), known.get(key) === true, `${e.id}: ${key}`);
      }
      if (full) {
        const valid = ds.entries.filter((e) => smactValid(e.crystal.numbers)).length;
        assertEquals((100 * valid / ds.entries.length).toFixed(2), PAPER[name]);
      }
    });
  }
});

Deno.test("smactCheck() names the rule for each branch", async (t) => {
  const cases: [string, number[], boolean, SmactCode][] = [
    ["no atoms", [], false, "empty"],
    ["Z = 0", [0, 8], false, "unknown-element"],
    ["Z = 119", [119], false, "unknown-element"],
    ["Z = 2.5", [2.5, 8], false, "unknown-element"],
    ["Rf (no SMACT data), even alone", [104], false, "no-smact-data"],
    ["Og with O", [118, 8], false, "no-smact-data"],
    ["one element", [6, 6, 6], true, "single-element"],
    ["a noble gas alone", [2], true, "single-element"],
    ["alloy", [26, 28, 28], true, "all-metals"],
    ["actinide alloy", [92, 94, 26], true, "all-metals"],
    ["Ge and Sb are SMACT metals", [32, 51], true, "all-metals"],
    ["B is not: FeB only as Fe- B+", [26, 5], false, "electronegativity"],
    ["HeF2", [2, 9, 9], false, "no-oxidation-states"],
    ["ArF2", [18, 9, 9], false, "no-oxidation-states"],
    ["Ne in an alloy", [10, 26], false, "no-oxidation-states"],
    ["XeF2 (Xe has states)", [54, 9, 9], true, "charge-balanced"],
    ["Li2F", [3, 3, 9], false, "not-charge-balanced"],
    ["Na2Cl (neutral only as Na- Cl2+)", [11, 11, 17], false, "electronegativity"],
    ["Pm2O3 (Pm has no electronegativity)", [61, 61, 8, 8, 8], true, "charge-balanced"],
    ["TcO2", [43, 8, 8], true, "charge-balanced"],
    ["ZrO2 (SMACT's Zr is 0.33)", [40, 8, 8], true, "charge-balanced"],
    ["LrCl3", [103, 17, 17, 17], true, "charge-balanced"],
    ["UO2", [92, 8, 8], true, "charge-balanced"],
  ];
  for (const [name, numbers, valid, code] of cases) {
    await t.step(name, () => {
      const r = smactCheck(numbers);
      assertEquals([r.valid, r.code], [valid, code], r.reason);
      assert(r.reason.length > 0);
    });
  }
  await t.step("a Uint8Array works like an array", () => {
    assertEquals(smactCheck(new Uint8Array([26, 26, 8, 8, 8])), smactCheck([8, 26, 8, 26, 8]));
  });
  await t.step("the oxidation states found are neutral", () => {
    const r = smactCheck([38, 22, 8, 8, 8]);
    assertEquals(r.oxidationStates, { O: -2, Ti: 4, Sr: 2 });
  });
});

Deno.test("paulingTest() follows SMACT's eneg_states_test with CDVAE's TypeError rule", () => {
  assert(paulingTest([2, -2], [1.0, 3.44]));
  assert(!paulingTest([2, -2], [3.44, 3.44]), "equal electronegativity fails");
  assert(paulingTest([1, 1], [1.0, 2.0]), "two cations need no order");
  assert(paulingTest([-1, 2], [null, 1.0]), "an anion without electronegativity: TypeError → pass");
  assert(!paulingTest([2, 1], [null, 1.0]), "same signs with a missing value fail");
  assert(!paulingTest([2, -2, 1], [3.5, 1.0, null]), "an earlier failing pair decides first");
  assert(paulingTest([1, -2, 1], [null, 1.0, 3.5]), "an earlier TypeError decides first");
});

// Brute force: CDVAE's loop over itertools.product of the states, as written in eval_utils.py.
const OX: (number[] | null)[] = [null, ...oxidationTable.oxidationStates];
const EN: (number | null)[] = [null, ...enegTable.pauling];
const METALS = new Set(oxidationTable.metals);

function referenceLoop(pairs: Pairs): boolean {
  if (pairs.length === 1) return true;
  if (pairs.every(([z]) => METALS.has(z))) return true;
  const states = pairs.map(([z]) => OX[z]!), enegs = pairs.map(([z]) => EN[z]);
  const idx = new Array<number>(pairs.length).fill(0);
  if (states.some((s) => s.length === 0)) return false;
  for (;;) {
    const ox = idx.map((k, i) => states[i][k]);
    if (ox.reduce((s, o, i) => s + o * pairs[i][1], 0) === 0 && paulingTest(ox, enegs)) return true;
    let i = pairs.length - 1;
    while (i >= 0 && ++idx[i] === states[i].length) idx[i--] = 0;
    if (i < 0) return false;
  }
}

/** Random compositions over Z = 1–103 (SMACT's elements), 2–5 elements, counts 1–8. */
const compositions = fc.uniqueArray(fc.integer({ min: 1, max: 103 }), { minLength: 2, maxLength: 5 }).chain((
  zs,
) => fc.tuple(...zs.map((z) => fc.tuple(fc.constant(z), fc.integer({ min: 1, max: 8 }))))).map((ps) =>
  (ps as Pairs).sort((a, b) => a[0] - b[0])
);

Deno.test("smactCheck() matches a brute-force transcription of the reference loop", () => {
  fc.assert(
    fc.property(compositions, (pairs) => {
      assertEquals(smactCheck(atoms(pairs), { cache: false }).valid, referenceLoop(pairs), label(pairs));
    }),
    { seed: PROPERTY_SEED, numRuns: 4 * PROPERTY_RUNS },
  );
});

Deno.test("smactCheck() ignores atom order and a common factor of the counts", () => {
  fc.assert(
    fc.property(compositions, fc.integer({ min: 2, max: 4 }), fc.integer(), (pairs, k, seed) => {
      const base = atoms(pairs);
      const shuffled = [...base].sort((a, b) => ((a * 7919 + seed) % 13) - ((b * 7919 + seed) % 13));
      const scaled = atoms(pairs.map(([z, c]) => [z, c * k]));
      const v = smactValid(base);
      assertEquals(smactValid(shuffled), v, label(pairs));
      assertEquals(smactValid(scaled), v, label(pairs));
    }),
    { seed: PROPERTY_SEED, numRuns: PROPERTY_RUNS },
  );
});
