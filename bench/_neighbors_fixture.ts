/**
 * The 340 dataset crystals of tests/fixtures/neighbors_datasets.json (Perov-5, Carbon-24, MP-20
 * test splits, as pymatgen parsed them), shared by the neighbour-list benchmarks.
 *
 * @module
 */

import type { Crystal } from "../src/crystal/crystal.ts";

/** Reads the fixture's crystals as typed arrays. */
export async function neighborFixtureCrystals(): Promise<Crystal[]> {
  const fixture = JSON.parse(
    await Deno.readTextFile(new URL("../tests/fixtures/neighbors_datasets.json", import.meta.url)),
  );
  return fixture.crystals.map((c: { lattice: number[]; frac: number[]; numbers: number[] }) => ({
    lattice: new Float64Array(c.lattice),
    frac: new Float64Array(c.frac),
    numbers: new Uint8Array(c.numbers),
  }));
}
