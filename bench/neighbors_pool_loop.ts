/**
 * Best-of-N timing of one neighbour-list batch (the 340 crystals of
 * tests/fixtures/neighbors_datasets.json, r = 7 Å): `neighborListMany` on the calling thread and
 * `NeighborListPool` on two workers, each call awaited in a loop (and the pool again with each call
 * handing the previous result back as `reuse`). `deno bench` runs few
 * iterations of an async benchmark and its minima spread widely on a shared machine; the minimum
 * of a few hundred calls is the steadier figure.
 *
 * Run: deno run -A bench/neighbors_pool_loop.ts [calls=300] [--json]
 * (`--json`: one JSON object of minima and medians in ms, for bench/neighbors_compare.py)
 *
 * @module
 */

import type { Crystal } from "../src/crystal/crystal.ts";
import { neighborFixtureCrystals } from "./_neighbors_fixture.ts";
import { type NeighborListBatch, neighborListMany, type NeighborOptions } from "../src/core/geometry.ts";
import { NeighborListPool } from "../src/core/neighbor_pool.ts";

const crystals: Crystal[] = await neighborFixtureCrystals();
const json = Deno.args.includes("--json");
const calls = Number(Deno.args.find((a) => a !== "--json") ?? 300);

/** Minimum and median of `calls` timed calls of `f`, in ms (after 20 untimed ones). */
async function best(f: () => unknown): Promise<[number, number]> {
  for (let k = 0; k < 20; k++) await f();
  const t: number[] = [];
  for (let k = 0; k < calls; k++) {
    const t0 = performance.now();
    await f();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return [t[0], t[t.length >> 1]];
}

using pool = new NeighborListPool({ workers: 2 });
const cases: [string, NeighborOptions][] = [["no vectors", { cutoff: 7, vectors: false }], [
  "with vectors",
  { cutoff: 7 },
]];
const report: Record<string, { min: number; median: number }> = {};
for (const [name, opts] of cases) {
  const [s, sm] = await best(() => neighborListMany(crystals, opts));
  const [p, pm] = await best(() => pool.neighborListMany(crystals, opts));
  // Each call hands the previous result back (`reuse`), as a loop done with it would.
  let last: NeighborListBatch | undefined;
  const [r, rm] = await best(async () => last = await pool.neighborListMany(crystals, opts, { reuse: last }));
  report[`neighborListMany, ${name}`] = { min: s, median: sm };
  report[`NeighborListPool (2 workers), ${name}`] = { min: p, median: pm };
  report[`NeighborListPool (2 workers, reuse), ${name}`] = { min: r, median: rm };
  if (!json) {
    console.log(
      `${name.padEnd(13)} neighborListMany min ${s.toFixed(2)} ms (median ${sm.toFixed(2)}), ` +
        `pool min ${p.toFixed(2)} ms (median ${pm.toFixed(2)}), ` +
        `pool reusing min ${r.toFixed(2)} ms (median ${rm.toFixed(2)})`,
    );
  }
}
if (json) console.log(JSON.stringify(report));
