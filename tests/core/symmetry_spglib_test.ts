/**
 * Space groups against spglib 2.7.0 (tests/fixtures/symmetry_spglib.json, made by
 * tools/make_symmetry_fixtures.py) on the first 1 000 test crystals of each dataset at symprec 0.1
 * and 0.01 Å: the agreement at least `MIN_AGREEMENT`, and every disagreement one of those listed
 * (and explained) in tests/fixtures/README.md. The stored crystals (every 10th row) run on a bare clone;
 * all 1 000 rows run when CDVAE_DATA_DIR is set, read from the CSVs by our own CIF reader.
 */

import { assert, assertEquals } from "../_assert.ts";
import type { Crystal } from "../../src/crystal/crystal.ts";
import { DATA_DIR_VARIABLE, type DatasetName, readDatasetCsv, splitPath } from "../../src/data/datasets.ts";
import { spaceGroupNumberMany } from "../../src/core/symmetry.ts";

interface SplitFixture {
  rows: number;
  numbers: Record<string, number[]>;
  crystals: [number, number[], number[], number[]][];
}

interface Fixture {
  header: { symprecs: string[] };
  splits: Record<DatasetName, SplitFixture>;
}

/**
 * Lowest share of the 1 000 crystals on which our number must equal spglib's, per dataset and
 * symprec: the measured rates, rounded down. The goal is 0.995 everywhere; it is met for
 * Perov-5 at 0.1 and MP-20, not for Perov-5 at 0.01 (0.991) and Carbon-24 (0.985 / 0.949), see
 * tests/fixtures/README.md. Raise a floor when the core gets closer; never lower one silently.
 */
const MIN_AGREEMENT: Record<string, number> = {
  "perov_5 0.1": 0.995,
  "perov_5 0.01": 0.99,
  "carbon_24 0.1": 0.985,
  "carbon_24 0.01": 0.949,
  "mp_20 0.1": 0.995,
  "mp_20 0.01": 0.995,
};

/**
 * Every known disagreement, per "dataset symprec": "row:spglib>ours" entries, for the CSV rows and
 * the stored crystals (whose atom order is pymatgen's, which can change spglib's pivot atom).
 * tests/fixtures/README.md explains them by kind; a new one fails the test until it is understood
 * and listed.
 */
const KNOWN_DISAGREEMENTS: Record<string, string> = {
  "perov_5 0.1": "361:25>47 454:221>99 467:25>123 999:123>25",
  "perov_5 0.01":
    "225:123>99 258:123>25 422:123>25 547:221>99 596:25>123 646:99>221 662:99>123 788:25>123 966:123>99",
  "carbon_24 0.1":
    "34:8>1 93:12>2 94:10>65 103:12>2 311:12>2 424:12>2 461:2>12 506:8>1 517:2>12 520:12>2 621:2>12 628:12>2 712:2>12 760:15>2 771:12>2",
  "carbon_24 0.01":
    "0:2>227 29:2>12 46:42>8 49:8>1 90:8>1 124:40>6 180:2>1 202:12>1 203:6>1 234:9>1 268:8>1 275:8>12 289:12>69 305:8>1 307:8>1 356:1>12 375:2>12 377:5>1 378:8>12 386:8>12 390:1>5 397:5>1 406:8>1 423:44>1 443:227>1 468:3>1 471:2>1 490:2>63 491:2>12 515:2>1 532:2>1 536:2>12 549:12>69 558:5>2 571:8>1 623:2>12 652:1>5 673:5>1 702:160>166 710:8>1 725:5>1 730:46>1 814:5>12 819:2>1 832:5>1 849:8>1 855:8>1 865:12>2 876:8>1 933:2>12 984:160>1",
  "mp_20 0.1": "700:35>3 930:12>166",
  "mp_20 0.01": "836:12>2",
};

/** Whether "row:spglib>ours" is a listed disagreement. */
function known(name: string, symprec: string, row: number, theirs: number, ours: number): boolean {
  return (KNOWN_DISAGREEMENTS[`${name} ${symprec}`] ?? "").split(" ").includes(`${row}:${theirs}>${ours}`);
}

const fixture: Fixture = JSON.parse(
  await Deno.readTextFile(new URL("../fixtures/symmetry_spglib.json", import.meta.url)),
);

function stored([, lattice, frac, numbers]: SplitFixture["crystals"][number]): Crystal {
  return {
    lattice: new Float64Array(lattice),
    frac: new Float64Array(frac),
    numbers: new Uint8Array(numbers),
  };
}

/**
 * Compares our numbers for `rows` with spglib's: every disagreement must be listed, and with
 * `checkRate` the agreement must reach the floor.
 */
function compare(name: DatasetName, rows: number[], crystals: Crystal[], checkRate: boolean): void {
  const fx = fixture.splits[name];
  for (const symprec of fixture.header.symprecs) {
    const ours = spaceGroupNumberMany(crystals, { symprec: Number(symprec) });
    const unexplained: string[] = [];
    let agree = 0;
    rows.forEach((row, i) => {
      const theirs = fx.numbers[symprec][row];
      if (ours[i] === theirs) return void agree++;
      if (!known(name, symprec, row, theirs, ours[i])) unexplained.push(`${row}:${theirs}>${ours[i]}`);
    });
    assertEquals(unexplained, [], `${name} at symprec ${symprec}: disagreements not in KNOWN_DISAGREEMENTS`);
    if (checkRate) {
      const floor = MIN_AGREEMENT[`${name} ${symprec}`];
      assert(
        agree / rows.length >= floor,
        `${name} at symprec ${symprec}: ${agree} of ${rows.length} agree, floor ${floor}`,
      );
    }
  }
}

/** All rows of one test split, read from the CSV by our CIF reader. */
async function csvCrystals(name: DatasetName, rows: number): Promise<Crystal[]> {
  const path = splitPath(name, "test");
  const crystals: Crystal[] = [];
  try {
    for await (const e of readDatasetCsv(path, { limit: rows })) crystals.push(e.crystal);
  } catch (e) {
    throw new Error(`Cannot read "${path}" (${DATA_DIR_VARIABLE} names the datasets' folder): ${e}`);
  }
  assertEquals(crystals.length, rows, `${path}: too few rows`);
  return crystals;
}

Deno.test(`spaceGroupNumberMany() agrees with spglib on the stored crystals (and on 1 000 per dataset when ${DATA_DIR_VARIABLE} is set)`, async (t) => {
  const withData = Boolean(Deno.env.get(DATA_DIR_VARIABLE));
  for (const name of Object.keys(fixture.splits) as DatasetName[]) {
    const fx = fixture.splits[name];
    await t.step(`${name}: ${fx.crystals.length} stored crystals`, () => {
      assert(fx.crystals.length >= 100, `${name}: only ${fx.crystals.length} stored crystals`);
      compare(name, fx.crystals.map(([row]) => row), fx.crystals.map(stored), false);
    });
    if (withData) {
      await t.step(`${name}: first ${fx.rows} rows of test.csv`, async () => {
        const crystals = await csvCrystals(name, fx.rows);
        compare(name, crystals.map((_, i) => i), crystals, true);
      });
    }
  }
});
