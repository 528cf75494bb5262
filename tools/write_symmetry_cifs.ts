/**
 * Writes CIFs with symmetry (`writeCif(c, { symprec })`) for pymatgen and spglib to check
 * (`tools/make_symmetry_cif_fixtures.py`, which makes tests/fixtures/pymatgen_symmetry_cif.json). A
 * manual tool: tests never need Python.
 *
 * Crystals: rows 0, step, 2·step, … of each dataset's committed test slice
 * (tests/fixtures/datasets/<name>/test.csv, so the fixture does not depend on the full data), as
 * read by `readCif`, and "generated-like" copies of others: strained, rotated, shuffled, every
 * coordinate moved a little (`perturb` of check_written_cifs.ts at a quarter or an eighth of its
 * amplitude: up to ±0.005 or ±0.0025 fractional, ±0.5 % strain), as a sampler's almost-symmetric output.
 * Each is written at `--symprec` (default 0.1 Å). The output folder gets `NNN.cif` and
 * `expected.json` (the input crystals, the group we found and the CIF text).
 *
 * ```sh
 * deno run -A tools/write_symmetry_cifs.ts --out /tmp/symcifs [--per-dataset 10] [--perturbed 10]
 * /work/pyenv-moyo/bin/python tools/make_symmetry_cif_fixtures.py /tmp/symcifs tests/fixtures/pymatgen_symmetry_cif.json
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { perturb, rng } from "./check_written_cifs.ts";
import { readCif } from "../src/crystal/cif.ts";
import { elementSymbol } from "../src/crystal/elements.ts";
import { parseCsv } from "../src/data/csv.ts";
import { spaceGroup } from "../src/core/symmetry.ts";
import { writeCif } from "../src/core/symmetry_cif.ts";

const DATASETS = ["perov_5", "carbon_24", "mp_20"] as const;
const SLICES = new URL("../tests/fixtures/datasets/", import.meta.url);

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      out: { type: "string" },
      "per-dataset": { type: "string", default: "10" },
      perturbed: { type: "string", default: "10" },
      symprec: { type: "string", default: "0.1" },
      seed: { type: "string", default: "20261207" },
    },
  });
  const perDataset = Number(values["per-dataset"]), perturbed = Number(values.perturbed);
  const symprec = Number(values.symprec), seed = Number(values.seed);
  const out = values.out ?? await Deno.makeTempDir({ prefix: "cdvae_symcif_" });
  await Deno.mkdir(out, { recursive: true });
  const rand = rng(seed);
  const items: Record<string, unknown>[] = [];
  for (const name of DATASETS) {
    const rows = parseCsv(await Deno.readTextFile(new URL(`${name}/test.csv`, SLICES)));
    const header = rows[0];
    const cifCol = header.indexOf("cif");
    const data = rows.slice(1).filter((r) => r.length === header.length);
    const step = Math.floor(data.length / (perDataset + perturbed));
    for (let k = 0; k < perDataset + perturbed; k++) {
      const row = k * step;
      const [read] = readCif(data[row][cifCol], { name: `${name}/test.csv#${row}` });
      const kind = k < perDataset ? "dataset" : "perturbed";
      const c = kind === "dataset" ? read : perturb(read, rand, k % 2 ? 0.25 : 0.125);
      const file = `${String(items.length).padStart(3, "0")}.cif`;
      const cif = writeCif(c, { symprec });
      await Deno.writeTextFile(`${out}/${file}`, cif);
      const sg = spaceGroup(c, { symprec });
      items.push({
        source: `${name}/test.csv#${row}`,
        kind,
        file,
        symprec,
        number: sg.number,
        symbol: sg.symbol,
        lattice: Array.from(c.lattice),
        frac: Array.from(c.numbers, (_, i) => Array.from(c.frac.subarray(3 * i, 3 * i + 3))),
        species: Array.from(c.numbers, (z) => elementSymbol(z)),
        cif,
      });
    }
  }
  await Deno.writeTextFile(`${out}/expected.json`, JSON.stringify({ seed, items }));
  console.log(`wrote ${items.length} CIFs with symmetry (symprec ${symprec}, seed ${seed}) to ${out}`);
}

if (import.meta.main) await main();
