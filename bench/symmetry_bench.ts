/**
 * Space-group search throughput (moyo in the wasm core) on dataset test crystals.
 *
 * Inputs: the first 1 000 rows of each test.csv when CDVAE_DATA_DIR is set (the crystals
 * tools/make_symmetry_fixtures.py gives spglib), else the 100 per dataset stored in
 * tests/fixtures/symmetry_spglib.json. `deno bench -A bench/symmetry_bench.ts` gives one group per
 * dataset: numbers only (the baseline), full datasets with cells, and symmetrisation, at symprec
 * 0.01. `deno run -A bench/symmetry_bench.ts --json` prints crystals per second for
 * `bench/symmetry_compare.py`, which times spglib's Python call on the same crystals.
 *
 * @module
 */

import type { Crystal } from "../src/crystal/crystal.ts";
import { DATA_DIR_VARIABLE, type DatasetName, readDatasetCsv, splitPath } from "../src/data/datasets.ts";
import { spaceGroupMany, spaceGroupNumberMany, symmetrizeMany } from "../src/core/symmetry.ts";

const DATASETS: DatasetName[] = ["perov_5", "carbon_24", "mp_20"];
const SYMPRECS = [0.1, 0.01];
const ROWS = 1000;

/** The benchmark's crystals of one dataset (see the module comment). */
async function crystalsOf(name: DatasetName): Promise<Crystal[]> {
  if (Deno.env.get(DATA_DIR_VARIABLE)) {
    const out: Crystal[] = [];
    for await (const e of readDatasetCsv(splitPath(name, "test"), { limit: ROWS })) out.push(e.crystal);
    return out;
  }
  const fx = JSON.parse(
    await Deno.readTextFile(new URL("../tests/fixtures/symmetry_spglib.json", import.meta.url)),
  );
  return fx.splits[name].crystals.map(([, lattice, frac, numbers]: number[][]) => ({
    lattice: new Float64Array(lattice),
    frac: new Float64Array(frac),
    numbers: new Uint8Array(numbers),
  }));
}

/** Crystals per second of one call: the best of `repeats` timed runs after 0.5 s of warm-up. */
function rate(fn: () => void, count: number, repeats = 7): number {
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
  await Promise.all(DATASETS.map(async (n) => [n, await crystalsOf(n)] as const)),
);

if (import.meta.main && Deno.args.includes("--json")) {
  const out: Record<string, unknown> = { source: Deno.env.get(DATA_DIR_VARIABLE) ? "csv" : "fixture" };
  for (const name of DATASETS) {
    const cs = inputs[name];
    const row: Record<string, number> = { crystals: cs.length };
    for (const symprec of SYMPRECS) {
      row[`numbers@${symprec}`] = rate(() => spaceGroupNumberMany(cs, { symprec }), cs.length);
      row[`datasets@${symprec}`] = rate(() => spaceGroupMany(cs, { symprec }), cs.length);
    }
    out[name] = row;
  }
  console.log(JSON.stringify(out));
} else {
  for (const name of DATASETS) {
    const cs = inputs[name];
    const group = `${name} (${cs.length} crystals, symprec 0.01)`;
    Deno.bench({
      name: "spaceGroupNumberMany",
      group,
      baseline: true,
      fn: () => void spaceGroupNumberMany(cs),
    });
    Deno.bench({ name: "spaceGroupMany (cells)", group, fn: () => void spaceGroupMany(cs) });
    Deno.bench({ name: "symmetrizeMany", group, fn: () => void symmetrizeMany(cs) });
  }
}
