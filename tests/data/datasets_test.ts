import { assert, assertEquals, assertMatch, assertRejects } from "../_assert.ts";
import {
  availableSplits,
  type DatasetName,
  DatasetNotFoundError,
  DATASETS,
  loadDataset,
  readDatasetCsv,
  splitPath,
  SPLITS,
} from "../../src/data/datasets.ts";
import { latticeVolume } from "../../src/crystal/lattice.ts";
import { DATA_SOURCES, FULL_DATA_DIR, SLICES_DIR } from "../_datasets.ts";
import { SLICE_ROWS } from "../../tools/make_dataset_slices.ts";

const names = Object.keys(DATASETS) as DatasetName[];

/** Counts CIF data blocks by scanning raw lines: independent of the CSV and CIF parsers. */
async function countDataBlocks(path: string): Promise<number> {
  const text = await Deno.readTextFile(path);
  return text.match(/^data_/gm)?.length ?? 0;
}

Deno.test("every row of every present dataset CSV parses into a crystal", async (t) => {
  for (const { label, dir } of DATA_SOURCES) {
    let checked = 0;
    const missing: string[] = [];
    for (const name of names) {
      const { present, missing: absent } = await availableSplits(name, dir);
      missing.push(...absent.map((s) => `${name}/${s}`));
      for (const split of present) {
        await t.step(`${label}: ${name}/${split}`, async () => {
          const path = splitPath(name, split, dir);
          const expected = await countDataBlocks(path);
          let rows = 0;
          const ids = new Set<string>();
          for await (const e of readDatasetCsv(path)) {
            rows++;
            ids.add(e.id);
            const n = e.crystal.numbers.length;
            assert(n >= 1 && n <= DATASETS[name].maxAtoms, `${e.id}: ${n} atoms`);
            assert(latticeVolume(e.crystal.lattice) > 0, `${e.id}: non-positive volume`);
            assert(Number.isFinite(e.props[DATASETS[name].target]), `${e.id}: no ${DATASETS[name].target}`);
            for (const f of e.crystal.frac) assert(f >= 0 && f < 1, `${e.id}: coordinate ${f} not wrapped`);
          }
          assertEquals(rows, expected, "rows parsed vs data_ blocks in the file");
          assertEquals(ids.size, rows, "material ids are unique");
          checked++;
        });
      }
    }
    if (missing.length) {
      console.log(`${label}: dataset splits not present (not checked): ${missing.join(", ")}`);
    }
    assert(checked > 0, `no dataset CSV found in ${dir}`);
  }
});

Deno.test("the committed slices hold their planned rows and are prefixes of the full CSVs", async () => {
  // CI sets CDVAE_DATA_DIR: there the full-data checks must run, not fall back to the slices.
  const variable = Deno.env.get("CDVAE_DATA_DIR");
  assert(
    !variable || FULL_DATA_DIR,
    `CDVAE_DATA_DIR is "${variable}" but holds none of perov_5/, carbon_24/, mp_20/ <split>.csv`,
  );
  let slices = 0;
  for (const name of names) {
    for (const split of (await availableSplits(name, SLICES_DIR)).present) {
      const slice = await Deno.readFile(splitPath(name, split, SLICES_DIR));
      assertEquals(
        await countDataBlocks(splitPath(name, split, SLICES_DIR)),
        SLICE_ROWS[split],
        `${name}/${split}`,
      );
      if (FULL_DATA_DIR && (await availableSplits(name, FULL_DATA_DIR)).present.includes(split)) {
        const full = await Deno.readFile(splitPath(name, split, FULL_DATA_DIR));
        assertEquals(
          full.subarray(0, slice.length),
          slice,
          `${name}/${split} is not a prefix of the full file`,
        );
      }
      slices++;
    }
  }
  // Perov-5 train/val/test, Carbon-24 and MP-20 val/test (their train splits are not shipped).
  assertEquals(slices, 7);
});

Deno.test("loadDataset() names the path, the present splits and CDVAE_DATA_DIR when a split is missing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/mp_20`);
    await Deno.writeTextFile(`${dir}/mp_20/val.csv`, "material_id,cif\n");
    const err = await assertRejects(() => loadDataset("mp_20", "train", { dir }), DatasetNotFoundError);
    assertMatch(err.message, /mp_20\/train\.csv/);
    assertMatch(err.message, /splits present for "mp_20": val/);
    assertMatch(err.message, /CDVAE_DATA_DIR/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readDatasetCsv() names the line and material id of a broken CIF", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/bad.csv`;
    await Deno.writeTextFile(path, 'material_id,cif,e\nmp-1,"data_x\n_cell_length_a 3\n",1.5\n');
    const err = await assertRejects(async () => {
      for await (const _ of readDatasetCsv(path)) { /* consume */ }
    }, SyntaxError);
    assertMatch(err.message, /line 2/);
    assertMatch(err.message, /mp-1/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readDatasetCsv() rejects a file without a cif column and an empty file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/a.csv`, "material_id,x\n1,2\n");
    await assertRejects(
      async () => {
        for await (const _ of readDatasetCsv(`${dir}/a.csv`)) { /* consume */ }
      },
      SyntaxError,
      /no "cif" column/,
    );
    await Deno.writeTextFile(`${dir}/b.csv`, "");
    await assertRejects(
      async () => {
        for await (const _ of readDatasetCsv(`${dir}/b.csv`)) { /* consume */ }
      },
      SyntaxError,
      /empty/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SPLITS lists train, val, test", () => assertEquals([...SPLITS], ["train", "val", "test"]));
