/** Set metrics: Wasserstein-1 against scipy's values, validity shares, reconstruction of identical crystals. */

import { assert, assertAlmostEquals, assertEquals } from "../_assert.ts";
import {
  COV_CUTOFFS,
  coverageFingerprintMany,
  coverageMetrics,
  generationMetrics,
  optimizationMetrics,
  reconstructionMetrics,
  reducedCompositionKey,
  wasserstein1,
} from "../../src/eval/metrics.ts";

Deno.test("wasserstein1 equals scipy.stats.wasserstein_distance (values from scipy 1.x)", () => {
  // scipy: wasserstein_distance([0,1,3],[5,6,8]) = 5.0; ([1,2,2,3],[1,5]) = 1.5; ([0.5,1.5,1.5,7],[2,3]) = 1.875
  assertEquals(wasserstein1([0, 1, 3], [5, 6, 8]), 5);
  assertAlmostEquals(wasserstein1([1, 2, 2, 3], [1, 5]), 1.5, 1e-12);
  assertAlmostEquals(wasserstein1([0.5, 1.5, 1.5, 7], [2, 3]), 1.875, 1e-12);
  assertEquals(wasserstein1([2, 2], [2]), 0);
});

const rocksalt = (a: number, z: [number, number]) => ({
  lattice: new Float64Array([a, 0, 0, 0, a, 0, 0, 0, a]),
  frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0.5]),
  numbers: new Uint8Array(z),
});

Deno.test("generationMetrics: validity shares and distances over the valid samples", () => {
  const gen = [
    rocksalt(4, [11, 17]), // NaCl: valid
    rocksalt(0.6, [11, 17]), // atoms 0.52 Å apart, volume 0.216: valid structure, still NaCl
    rocksalt(0.5, [11, 17]), // 0.43 Å apart: structurally invalid
    rocksalt(4, [11, 11]), // Na: a single element is composition-valid
    rocksalt(4, [2, 17]), // He–Cl: helium has no oxidation state, composition-invalid
  ];
  const { metrics, perCrystal } = generationMetrics(gen, [rocksalt(4, [11, 17]), rocksalt(4.2, [19, 35])]);
  assertEquals(metrics.count, 5);
  assertEquals(metrics.structValid, 0.8);
  assertEquals(metrics.compValid, 0.8);
  assertEquals(metrics.valid, 0.6);
  assertEquals(metrics.samples, 3);
  assertEquals(metrics.distinctCompositions, 3 / 5); // NaCl ×3, Na, HeCl
  assertEquals(perCrystal.map((v) => v.valid), [true, true, false, true, false]);
  assert(perCrystal[2].reason!.includes("apart"));
  assert(metrics.wdistDensity > 0 && Number.isFinite(metrics.wdistDensity));
  // #elements: samples {2, 2, 1} vs reference {2, 2} → |F| differs by 1/3 on [1, 2)
  assertAlmostEquals(metrics.wdistNumElements, 1 / 3, 1e-12);
});

Deno.test("reducedCompositionKey: counts divided by their gcd, elements in Z order", () => {
  assertEquals(reducedCompositionKey([11, 17, 11, 17]), reducedCompositionKey([17, 11]));
  assertEquals(reducedCompositionKey([8, 8, 8, 22, 38]), "8:3 22:1 38:1");
  assert(reducedCompositionKey([11, 11, 17]) !== reducedCompositionKey([11, 17]));
});

Deno.test("reconstructionMetrics: identical crystals all match with RMS 0; invalid ones miss", () => {
  const orig = [rocksalt(4, [11, 17]), rocksalt(5, [19, 35]), rocksalt(4, [11, 17])];
  const rec = [rocksalt(4, [11, 17]), rocksalt(5, [19, 35]), rocksalt(0.5, [11, 17])];
  const { metrics, rms } = reconstructionMetrics(rec, orig);
  assertAlmostEquals(metrics.matchRate, 2 / 3, 1e-12);
  assert(metrics.meanRms < 1e-6);
  assertEquals(rms[2], null);
});

Deno.test("coverageMetrics: a set covers itself; nearest structure and composition are found independently", () => {
  const cs = [rocksalt(4, [11, 17]), rocksalt(5, [19, 35]), rocksalt(4.5, [37, 53])];
  const fps = coverageFingerprintMany(cs);
  assert(fps.every((f) => f !== null));
  const self = coverageMetrics(fps, fps, COV_CUTOFFS.perov_5);
  assertEquals([self.covRecall, self.covPrecision, self.amsdRecall, self.amcdPrecision], [1, 1, 0, 0]);
  // A generated set of one NaCl (plus a failed fingerprint) covers one of three references; COV-P counts the failure.
  const one = coverageMetrics([fps[0], null], fps, COV_CUTOFFS.perov_5);
  assertAlmostEquals(one.covRecall, 1 / 3, 1e-12);
  assertEquals(one.covPrecision, 0.5);
  assertEquals(one.failed, 1);
  // Independent minima: structure from one reference, composition from another, both within the cutoffs.
  const s = { struct: fps[0]!.struct, comp: fps[1]!.comp };
  const mixed = coverageMetrics([s], [fps[0], fps[1]], { struct: 1e-9, comp: 1e-9 });
  assertEquals(mixed.covPrecision, 1);
});

Deno.test("optimizationMetrics: only valid crystals are scored, best per start, SR5/10/15", async () => {
  const scored = new Map<unknown, number>();
  const valid = (c: ReturnType<typeof rocksalt>, p: number) => (scored.set(c, p), c);
  const decoded = [
    [
      valid(rocksalt(4, [11, 17]), 0.5),
      rocksalt(0.5, [11, 17]), // atoms 0.43 Å apart: structurally invalid
      rocksalt(4, [97, 97]), // Bk: structure and composition valid, but no Magpie data → no fingerprint (O11)
    ],
    [
      valid(rocksalt(4.2, [11, 17]), 0.3),
      rocksalt(4, [2, 17]), // He–Cl: composition-invalid
      valid(rocksalt(4.2, [19, 35]), 0.7),
    ],
  ];
  const predicted: unknown[] = [];
  const m = await optimizationMetrics(decoded, (cs) => {
    predicted.push(...cs);
    return Promise.resolve(cs.map((c) => {
      assert(scored.has(c), "an invalid crystal was passed to the property model");
      return scored.get(c)!;
    }));
  }, [0.4, 0.6, 0.8]);
  assertEquals(predicted.length, 3);
  assertEquals(m.valid, [[true, false, false], [true, false, true]]);
  assertEquals(m.property, [[0.5, null, null], [0.3, null, 0.7]]);
  assertEquals(m.best, [0.3, null, 0.7]);
  assertEquals(m.successRates, { sr5: 1 / 3, sr10: 1 / 3, sr15: 2 / 3 });
  const none = await optimizationMetrics(
    [[rocksalt(0.5, [11, 17])]],
    () => Promise.reject(new Error("unused")),
  );
  assertEquals([none.best, none.successRates], [[null], undefined]);
});
