/**
 * The space-group distribution of `evaluate`: the EMD of space-group numbers against hand-computed
 * values and against the general Wasserstein-1, shares and the most-common table on small sets,
 * failed searches kept as `null` (chunk edges included), the reconstruction "kept" share, and the
 * plot's rows, bars and margin text.
 */

import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../_assert.ts";
import type { Crystal } from "../../src/crystal/crystal.ts";
import { GeometryError, spaceGroupNumberMany } from "../../src/core/symmetry.ts";
import { wasserstein1 } from "../../src/eval/metrics.ts";
import {
  compareSpaceGroups,
  spaceGroupEmd,
  spaceGroupKept,
  spaceGroupNumbersOrNull,
} from "../../src/eval/space_groups.ts";
import { printedSymbol, spaceGroupBarsSvg } from "../../src/eval/space_group_plot.ts";
import { spaceGroupNumbersInWorkers } from "../../src/eval/space_group_workers.ts";
import { HostRng } from "../../src/compute/host_rng.ts";

Deno.test("spaceGroupEmd: hand-computed distances", () => {
  // All mass moves from 1 to 225: 224 steps.
  assertEquals(spaceGroupEmd([1], [225]), 224);
  assertEquals(spaceGroupEmd([225, 225], [1]), 224);
  // Half the mass moves one step (P1 → P-1).
  assertEquals(spaceGroupEmd([1, 1], [1, 2]), 0.5);
  // a = {14, 14, 62, 225}, b = {14, 62, 62, 62}: F_a − F_b is 1/4 on [14, 62) and 1/4 on [62, 225)
  // (F_a(62) = 3/4, F_b(62) = 1): 48/4 + 163/4 = 52.75.
  assertEquals(spaceGroupEmd([14, 14, 62, 225], [14, 62, 62, 62]), 52.75);
  // Symmetric, zero on equal distributions of different sizes, failed searches left out.
  assertEquals(spaceGroupEmd([14, 62, 62, 62], [14, 14, 62, 225]), 52.75);
  assertEquals(spaceGroupEmd([194, 12], [12, 194, 12, 194]), 0);
  assertEquals(spaceGroupEmd([1, null, 1], [2, null]), 1);
  assert(Number.isNaN(spaceGroupEmd([], [1])));
  assert(Number.isNaN(spaceGroupEmd([null], [1])));
  assertThrows(() => spaceGroupEmd([0], [1]), RangeError, /"0"/);
  assertThrows(() => spaceGroupEmd([1], [231]), RangeError, /"231"/);
  assertThrows(() => spaceGroupEmd([1.5], [1]), RangeError);
});

Deno.test("spaceGroupEmd equals wasserstein1 of the numbers on random samples", () => {
  const rng = new HostRng(7);
  for (let trial = 0; trial < 20; trial++) {
    const draw = (n: number) => Array.from({ length: n }, () => 1 + Math.floor(rng.uniform() * 230));
    const a = draw(1 + trial * 7), b = draw(3 + trial * 3);
    assertAlmostEquals(spaceGroupEmd(a, b), wasserstein1(a, b), 1e-9);
  }
});

Deno.test("compareSpaceGroups: shares, table order, others and failed searches", () => {
  // Generated: P1 ×3, P-1, P2_1/c, Fm-3m, one failed; test: P2_1/c ×2, Pnma, Fm-3m ×4, P1.
  const gen = [1, 1, 1, 2, 14, 225, null];
  const test = [14, 14, 62, 225, 225, 225, 225, 1];
  const c = compareSpaceGroups(gen, test, 3);
  assertEquals(c.generated, { count: 6, failed: 1, p1: 0.5, orthorhombicOrHigher: 1 / 6 });
  assertEquals(c.reference, { count: 8, failed: 0, p1: 0.125, orthorhombicOrHigher: 5 / 8 });
  // Sums of shares: Fm-3m 1/6 + 1/2 = 0.667, P1 1/2 + 1/8 = 0.625, P2_1/c 1/6 + 1/4 = 0.417,
  // P-1 1/6, Pnma 1/8.
  assertEquals(c.top.map((r) => [r.number, r.symbol]), [[225, "Fm-3m"], [1, "P1"], [14, "P2_1/c"]]);
  assertAlmostEquals(c.top[0].generated, 1 / 6, 1e-15);
  assertEquals(c.top[0].reference, 0.5);
  assertEquals(c.others.groups, 2);
  assertAlmostEquals(c.others.generated, 1 / 6, 1e-15);
  assertAlmostEquals(c.others.reference, 1 / 8, 1e-15);
  assertAlmostEquals(c.wdistSpaceGroup, wasserstein1([1, 1, 1, 2, 14, 225], test), 1e-12);
  // Default: ten rows; all five groups fit, so nothing is left over.
  const all = compareSpaceGroups(gen, test);
  assertEquals(all.top.length, 5);
  assertEquals(all.others, { groups: 0, generated: 0, reference: 0 });
  // Equal sums are ordered by number.
  assertEquals(compareSpaceGroups([62, 12], [62, 12]).top.map((r) => r.number), [12, 62]);
  // No crystals with a group: shares are NaN, the table is empty.
  const none = compareSpaceGroups([null], []);
  assertEquals([none.generated.count, none.generated.failed, none.top.length], [0, 1, 0]);
  assert(Number.isNaN(none.generated.p1) && Number.isNaN(none.wdistSpaceGroup));
});

/** A primitive cubic cell of one polonium atom (Pm-3m, 221) with side `a`. */
function po(a = 3.35): Crystal {
  return {
    lattice: new Float64Array([a, 0, 0, 0, a, 0, 0, 0, a]),
    frac: new Float64Array(3),
    numbers: new Uint8Array([84]),
  };
}

/** Two atoms on one site: the search fails for this one. */
function overlapping(): Crystal {
  return { ...po(), frac: new Float64Array(6), numbers: new Uint8Array([84, 84]) };
}

/** A tetragonal cell (P4/mmm, 123). */
function tetragonal(): Crystal {
  return { ...po(), lattice: new Float64Array([3.35, 0, 0, 0, 3.35, 0, 0, 0, 4]) };
}

Deno.test("spaceGroupNumbersOrNull: null for the crystals that fail, at chunk edges too", () => {
  assertThrows(() => spaceGroupNumberMany([po(), overlapping()], { symprec: 0.1 }), GeometryError);
  const bad = new Set([0, 1, 255, 256, 299]);
  const set = Array.from({ length: 300 }, (_, i) => bad.has(i) ? overlapping() : i % 3 ? po() : tetragonal());
  const seen: number[] = [];
  const got = spaceGroupNumbersOrNull(set, 0.1, (done, total) => {
    assertEquals(total, 300);
    seen.push(done);
  });
  assertEquals(got, set.map((_, i) => bad.has(i) ? null : i % 3 ? 221 : 123));
  assertEquals(seen, [0, 256, 300]);
  assertEquals(spaceGroupNumbersOrNull([], 0.1), []);
  // A tolerance the core refuses is the caller's error, not a crystal's.
  assertThrows(() => spaceGroupNumbersOrNull([po()], -1), GeometryError);
});

Deno.test("spaceGroupNumbersInWorkers: the same numbers as on one thread, in order, with progress", async () => {
  const bad = new Set([3, 14, 39]);
  const set = Array.from({ length: 40 }, (_, i) => bad.has(i) ? overlapping() : i % 3 ? po() : tetragonal());
  let last = -1, total = 0;
  const got = await spaceGroupNumbersInWorkers(set, 0.1, {
    workers: 3,
    onProgress: (done, n) => {
      assert(done >= last, "progress never goes back");
      [last, total] = [done, n];
    },
  });
  assertEquals(got, spaceGroupNumbersOrNull(set, 0.1));
  assertEquals([last, total], [40, 40]);
  assertEquals(await spaceGroupNumbersInWorkers([], 0.1, { workers: 2 }), []);
  // Small sets without a worker count run on this thread: same answer.
  assertEquals(await spaceGroupNumbersInWorkers(set.slice(0, 5), 0.1), got.slice(0, 5));
});

Deno.test("spaceGroupKept: share over the pairs whose two searches succeeded", () => {
  assertEquals(spaceGroupKept([225, 1, null, 14], [225, 2, 1, 14]), { share: 2 / 3, pairs: 3, failed: 1 });
  const none = spaceGroupKept([null], [1]);
  assertEquals([none.pairs, none.failed], [0, 1]);
  assert(Number.isNaN(none.share));
  assertThrows(() => spaceGroupKept([1], [1, 2]), RangeError);
});

/** The `<rect>` widths of bars filled with `color`, in drawing order (legend squares left out). */
function barWidths(svg: string, color: string): number[] {
  return [
    ...svg.matchAll(
      /<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)" height="[\d.]+" fill="(#\w+)" fill-opacity="0.75"/g,
    ),
  ]
    .filter((m) => m[2] === color).map((m) => Number(m[1]));
}

Deno.test("spaceGroupBarsSvg: one labelled row per group plus others, bars in proportion, figures in the margin", () => {
  assertEquals(printedSymbol("P6_3/mmc"), "P6₃/mmc");
  assertEquals(printedSymbol("Fm-3m"), "Fm-3m");
  const c = compareSpaceGroups([1, 1, 1, 14], [14, 14, 225, 62], 2);
  const svg = spaceGroupBarsSvg(c, ["generated (valid)", "mp_20 test"], 0.1);
  for (const label of ["P2₁/c (14)", "P1 (1)", "2 other groups", "share of crystals (%)", "symprec 0.1 Å"]) {
    assert(svg.includes(`${label}`), label);
  }
  // Row order: P1 (3/4 + 0) and P2_1/c (1/4 + 1/2) tie, so by number; then others (0 + 1/2).
  assert(svg.indexOf("P1 (1)") < svg.indexOf("P2₁/c (14)"));
  const gen = barWidths(svg, "#1f77b4"), ref = barWidths(svg, "#d62728");
  assertEquals(gen.length, 3);
  assertEquals(ref.length, 3);
  assertAlmostEquals(gen[0] / gen[1], 3, 0.02);
  assertEquals(gen[2], 0);
  assertEquals(ref[0], 0);
  assertAlmostEquals(ref[1] / ref[2], 1, 0.02);
  // P1 75.0 % / 0.0 %, number > 15: 0.0 % / 50.0 %, and the EMD, under the legend.
  assert(svg.includes("P1: 75.0 % / 0.0 %"), svg);
  assert(svg.includes("number &gt; 15: 0.0 % / 50.0 %"));
  assert(svg.includes(`EMD of numbers: ${c.wdistSpaceGroup.toFixed(2)}`));
  assert(spaceGroupBarsSvg(compareSpaceGroups([], []), ["g", "t"], 0.1).includes("no space groups"));
});

Deno.test("the margin text fits the canvas: the legend column is as wide as its longest note", () => {
  const svg = spaceGroupBarsSvg(compareSpaceGroups([1], [225]), ["g", "t"], 0.1);
  const width = Number(/width="(\d+)"/.exec(svg)![1]);
  for (const m of svg.matchAll(/<text x="([\d.]+)" y="[\d.]+">([^<]*)<\/text>/g)) {
    // 6.6 px per character at 12 px sans-serif, as the chart frame estimates.
    assert(Number(m[1]) + 6.6 * m[2].length <= width, `"${m[2]}" runs past the canvas`);
  }
});
