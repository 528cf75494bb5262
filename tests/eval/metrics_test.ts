/** Set metrics: Wasserstein-1 against scipy's values, validity shares, reconstruction of identical crystals. */

import { assert, assertAlmostEquals, assertEquals } from "../_assert.ts";
import { generationMetrics, reconstructionMetrics, wasserstein1 } from "../../src/eval/metrics.ts";

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
  assertEquals(perCrystal.map((v) => v.valid), [true, true, false, true, false]);
  assert(perCrystal[2].reason!.includes("apart"));
  assert(metrics.wdistDensity > 0 && Number.isFinite(metrics.wdistDensity));
  // #elements: samples {2, 2, 1} vs reference {2, 2} → |F| differs by 1/3 on [1, 2)
  assertAlmostEquals(metrics.wdistNumElements, 1 / 3, 1e-12);
});

Deno.test("reconstructionMetrics: identical crystals all match with RMS 0; invalid ones miss", () => {
  const orig = [rocksalt(4, [11, 17]), rocksalt(5, [19, 35]), rocksalt(4, [11, 17])];
  const rec = [rocksalt(4, [11, 17]), rocksalt(5, [19, 35]), rocksalt(0.5, [11, 17])];
  const { metrics, rms } = reconstructionMetrics(rec, orig);
  assertAlmostEquals(metrics.matchRate, 2 / 3, 1e-12);
  assert(metrics.meanRms < 1e-6);
  assertEquals(rms[2], null);
});
