/**
 * Niggli reduction throughput on the datasets' lattices (from the fixtures, so no CSV is needed).
 *
 * `deno bench -A bench/niggli_bench.ts` gives one group per dataset: one batch call for all
 * lattices (the baseline), one call per lattice, and whole structures (atoms included, random
 * positions). `deno run -A bench/niggli_bench.ts --json` prints lattices per second for
 * `bench/niggli_compare.py`, which times pymatgen and spglib on the same lattices.
 *
 * @module
 */

import type { Crystal } from "../src/crystal/crystal.ts";
import { latticeFromParameters } from "../src/crystal/lattice.ts";
import { niggliReduceLatticeMany, niggliReduceMany } from "../src/core/lattice.ts";

const DATASETS = ["perov_5", "carbon_24", "mp_20"] as const;

/** Flat `[9·M]` input lattices of a dataset's fixture (CIF parameters → pymatgen's matrix convention). */
async function fixtureLattices(name: string): Promise<Float64Array> {
  const url = new URL(`../tests/fixtures/niggli_${name}.json`, import.meta.url);
  const rows: [string, number, number, number, number, number, number][] =
    JSON.parse(await Deno.readTextFile(url)).rows;
  const out = new Float64Array(9 * rows.length);
  rows.forEach(([, a, b, c, alpha, beta, gamma], i) =>
    out.set(latticeFromParameters({ a, b, c, alpha, beta, gamma }), 9 * i)
  );
  return out;
}

/** Deterministic crystals on the given lattices with `atoms` atoms at pseudo-random positions. */
function crystalsOn(lattices: Float64Array, atoms: number): Crystal[] {
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const out: Crystal[] = [];
  for (let i = 0; i < lattices.length / 9; i++) {
    out.push({
      lattice: lattices.slice(9 * i, 9 * i + 9),
      frac: Float64Array.from({ length: 3 * atoms }, rand),
      numbers: new Uint8Array(atoms).fill(6),
    });
  }
  return out;
}

/**
 * Lattices per second of one batch call: the best of `repeats` timed runs (the machine is shared, so
 * the fastest run is the best estimate of uncontended speed) after at least 0.5 s of warm-up (V8
 * first runs wasm with its baseline compiler and tiers up hot functions later).
 */
function rate(fn: () => void, count: number, repeats = 25): number {
  for (const start = performance.now(); performance.now() - start < 500;) fn();
  let best = Infinity;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
  }
  return count / (best / 1000);
}

const inputs = Object.fromEntries(
  await Promise.all(DATASETS.map(async (d) => [d, await fixtureLattices(d)] as const)),
);

if (import.meta.main) {
  // Throughput for bench/niggli_compare.py: {dataset: {count, batch, per_call, structures_12}} per second.
  const result: Record<string, Record<string, number>> = {};
  for (const name of DATASETS) {
    const lattices = inputs[name];
    const m = lattices.length / 9;
    const singles = Array.from({ length: m }, (_, i) => lattices.subarray(9 * i, 9 * i + 9));
    const crystals = crystalsOn(lattices, 12);
    result[name] = {
      count: m,
      batch: rate(() => niggliReduceLatticeMany(lattices), m),
      per_call: rate(() => singles.forEach((l) => niggliReduceLatticeMany(l)), m, 5),
      structures_12: rate(() => niggliReduceMany(crystals), m, 9),
    };
  }
  console.log(JSON.stringify(result));
} else {
  for (const name of DATASETS) {
    const lattices = inputs[name];
    const m = lattices.length / 9;
    const singles = Array.from({ length: m }, (_, i) => lattices.subarray(9 * i, 9 * i + 9));
    const crystals = crystalsOn(lattices, 12);
    const group = `${name} (${m} lattices)`;
    Deno.bench(`${name}: one batch call`, { group, baseline: true }, () => {
      niggliReduceLatticeMany(lattices);
    });
    Deno.bench(`${name}: one call per lattice`, { group }, () => {
      for (const l of singles) niggliReduceLatticeMany(l);
    });
    Deno.bench(`${name}: structures, 12 atoms each, one batch call`, { group }, () => {
      niggliReduceMany(crystals);
    });
  }
}
