/**
 * Neighbour-list and cell-geometry benchmarks on the wasm core.
 *
 * Inputs: the 340 dataset crystals of tests/fixtures/neighbors_datasets.json (Perov-5, Carbon-24,
 * MP-20 test splits, as pymatgen parsed them), built once outside the timed functions. One
 * iteration handles the whole set in one batch call, so structures per second = 340 / time.
 * The baseline of each group is a plain TypeScript loop over a box of images (no wasm), which
 * returns the same edges. bench/neighbors_compare.py times pymatgen's `get_neighbor_list` on the
 * same crystals and reads these figures with `deno bench --json`.
 *
 * Run: deno bench -A bench/neighbors_bench.ts
 *
 * @module
 */

import type { Crystal } from "../src/crystal/crystal.ts";
import { neighborFixtureCrystals } from "./_neighbors_fixture.ts";
import { fracToCart, latticeVolume } from "../src/crystal/lattice.ts";
import {
  densityMany,
  minDistanceMany,
  minImageDisplacementMany,
  type NeighborListBatch,
  neighborListMany,
} from "../src/core/geometry.ts";
import { NeighborListPool } from "../src/core/neighbor_pool.ts";
import { CDVAE_DECODER_GRAPH } from "../src/model/config.ts";

const crystals: Crystal[] = await neighborFixtureCrystals();
/** Number of crystals in one iteration (printed in the group names). */
const M = crystals.length;

/**
 * The plain-TypeScript baseline: for each pair (i, j), every image in the box bounded by the
 * cell's perpendicular heights, kept when d² ≤ r² + 1e-8 (the core's rule). Returns the edge count.
 */
function boxSearch(c: Crystal, r: number): number {
  const l = c.lattice, n = c.numbers.length, cart = fracToCart(c.frac, l);
  const v = Math.abs(latticeVolume(l));
  const row = (k: number) => [l[3 * k], l[3 * k + 1], l[3 * k + 2]];
  const cross = (
    a: number[],
    b: number[],
  ) => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
  const h = [0, 1, 2].map((k) => v / Math.hypot(...cross(row((k + 1) % 3), row((k + 2) % 3))));
  // Coordinates may lie outside [0, 1), so widen the box by the spread of each fractional axis.
  const spread = [0, 1, 2].map((k) => {
    let lo = Infinity, hi = -Infinity;
    for (let a = 0; a < n; a++) [lo, hi] = [Math.min(lo, c.frac[3 * a + k]), Math.max(hi, c.frac[3 * a + k])];
    return hi - lo;
  });
  const m = h.map((hk, k) => Math.ceil(r / hk + spread[k]));
  const r2 = r * r + 1e-8;
  let count = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const d = [
        cart[3 * j] - cart[3 * i],
        cart[3 * j + 1] - cart[3 * i + 1],
        cart[3 * j + 2] - cart[3 * i + 2],
      ];
      for (let s0 = -m[0]; s0 <= m[0]; s0++) {
        for (let s1 = -m[1]; s1 <= m[1]; s1++) {
          for (let s2 = -m[2]; s2 <= m[2]; s2++) {
            if (i === j && s0 === 0 && s1 === 0 && s2 === 0) continue;
            const x = d[0] + s0 * l[0] + s1 * l[3] + s2 * l[6];
            const y = d[1] + s0 * l[1] + s1 * l[4] + s2 * l[7];
            const z = d[2] + s0 * l[2] + s1 * l[5] + s2 * l[8];
            if (x * x + y * y + z * z <= r2) count++;
          }
        }
      }
    }
  }
  return count;
}

// Sanity check outside the timings: the baseline and the core agree on the edge count.
const coreEdges = neighborListMany(crystals, { cutoff: 7 }).senders.length;
const boxEdges = crystals.reduce((s, c) => s + boxSearch(c, 7), 0);
if (coreEdges !== boxEdges) {
  throw new Error(`Edge counts differ: core ${coreEdges}, TS box search ${boxEdges}`);
}

const ALL = `neighbour list, ${M} crystals, r = 7 Å, all images`;
Deno.bench("plain TS box search (edge count only)", { group: ALL, baseline: true }, () => {
  for (const c of crystals) boxSearch(c, 7);
});
Deno.bench("neighborListMany, no vectors (pymatgen's outputs)", { group: ALL }, () => {
  neighborListMany(crystals, { cutoff: 7, vectors: false });
});
Deno.bench("neighborListMany, with vectors", { group: ALL }, () => {
  neighborListMany(crystals, { cutoff: 7 });
});
// Two workers (this machine's cores), started before the timings; the process ends with the
// last bench, which leaves the pool open on purpose (Deno.bench has no teardown hook).
const pool = new NeighborListPool({ workers: 2 });
await pool.neighborListMany(crystals, { cutoff: 7 });
Deno.bench("NeighborListPool (2 workers), no vectors", { group: ALL }, async () => {
  await pool.neighborListMany(crystals, { cutoff: 7, vectors: false });
});
Deno.bench("NeighborListPool (2 workers), with vectors", { group: ALL }, async () => {
  await pool.neighborListMany(crystals, { cutoff: 7 });
});
// Each call hands the previous result back, as a loop done with it would (no zero-filled memory).
let last: NeighborListBatch | undefined;
Deno.bench("NeighborListPool (2 workers), reusing the last result, no vectors", { group: ALL }, async () => {
  last = await pool.neighborListMany(crystals, { cutoff: 7, vectors: false }, { reuse: last });
});

const TOP = `20 nearest within 7 Å, ${M} crystals`;
Deno.bench("neighborListMany, all images, top 20", { group: TOP, baseline: true }, () => {
  neighborListMany(crystals, { cutoff: 7, maxNeighbors: 20 });
});
Deno.bench("neighborListMany, CDVAE decoder graph (27 images)", { group: TOP }, () => {
  neighborListMany(crystals, CDVAE_DECODER_GRAPH);
});

const packed = {
  lattices: new Float64Array(crystals.flatMap((c) => [...c.lattice])),
  frac: new Float64Array(crystals.flatMap((c) => [...c.frac])),
  offsets: Uint32Array.from([0, ...crystals.map((c) => c.numbers.length)].map((_, k, a) => {
    let s = 0;
    for (let i = 0; i <= k; i++) s += a[i];
    return s;
  })),
};
const noisy = packed.frac.map((x, k) => x + 0.05 * Math.sin(7 * k));

const CELL = `cell geometry, ${M} crystals`;
Deno.bench("minImageDisplacementMany, 27 images (d_min)", { group: CELL, baseline: true }, () => {
  minImageDisplacementMany(packed.lattices, noisy, packed.frac, packed.offsets);
});
Deno.bench("minImageDisplacementMany, exact (all images)", { group: CELL }, () => {
  minImageDisplacementMany(packed.lattices, noisy, packed.frac, packed.offsets, { images: "all" });
});
Deno.bench("minDistanceMany", { group: CELL }, () => {
  minDistanceMany(crystals);
});
Deno.bench("densities", { group: CELL }, () => {
  densityMany(crystals);
});
