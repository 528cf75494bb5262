/**
 * Structure-matcher throughput on the fixture pairs (tests/fixtures/matcher.json: 320 Perov-5 /
 * Carbon-24 / MP-20 (pred, gt) pairs, 223 of which match). The fixture header records how fast
 * pymatgen's `get_rms_dist` ran on the same pairs (tools/make_matcher_fixtures.py).
 *
 * `deno bench -A bench/matcher_bench.ts` gives one group: all pairs in one batch call (the
 * baseline), one call per pair, and the matching pairs only. `deno run -A bench/matcher_bench.ts`
 * prints pairs per second (best of 10 runs after warm-up) beside the fixture's pymatgen figure.
 *
 * @module
 */

import type { Crystal } from "../src/crystal/crystal.ts";
import { matchMany, matchStructures } from "../src/eval/matcher.ts";

interface FixtureCrystal {
  lattice: number[];
  frac: number[];
  numbers: number[];
}

const fixture = JSON.parse(
  await Deno.readTextFile(new URL("../tests/fixtures/matcher.json", import.meta.url)),
) as {
  header: { pymatgen_pairs_per_second: number; versions: Record<string, string> };
  pairs: { a: FixtureCrystal; b: FixtureCrystal; rms: unknown }[];
};

const crystal = (c: FixtureCrystal): Crystal => ({
  lattice: new Float64Array(c.lattice),
  frac: new Float64Array(c.frac),
  numbers: new Uint8Array(c.numbers),
});
const pairs = fixture.pairs.map((p) => [crystal(p.a), crystal(p.b)] as const);
const matching = pairs.filter((_, i) => fixture.pairs[i].rms !== null);

if (import.meta.main && !Deno.args.includes("--bench")) {
  for (const start = performance.now(); performance.now() - start < 1000;) matchMany(pairs);
  let best = Infinity;
  for (let r = 0; r < 10; r++) {
    const t0 = performance.now();
    matchMany(pairs);
    best = Math.min(best, performance.now() - t0);
  }
  const ours = pairs.length / (best / 1000);
  const py = fixture.header.pymatgen_pairs_per_second;
  console.log(
    `${pairs.length} pairs: cdvae ${ours.toFixed(0)} pairs/s (best ${best.toFixed(1)} ms), ` +
      `pymatgen ${fixture.header.versions.pymatgen} ${py.toFixed(1)} pairs/s (fixture header): ${
        (ours / py).toFixed(0)
      }×`,
  );
}

Deno.bench({
  name: "matchMany(): all fixture pairs, one call",
  group: "matcher",
  baseline: true,
  fn: () => {
    matchMany(pairs);
  },
});

Deno.bench({
  name: "matchStructures(): all fixture pairs, one call each",
  group: "matcher",
  fn: () => {
    for (const [a, b] of pairs) matchStructures(a, b);
  },
});

Deno.bench({
  name: "matchMany(): matching pairs only",
  group: "matcher",
  fn: () => {
    matchMany(matching);
  },
});
