/**
 * Writes CIF and POSCAR files with our writers for pymatgen and ASE to read back
 * (`tools/check_written_cifs.py`). A manual tool: tests never need Python.
 *
 * For a sample of dataset CIFs (rows start, start + step, … of each test.csv), reads the CIF with
 * `readCif`, perturbs the crystal with a seeded generator (lattice strain and rotation, coordinate
 * jitter that may leave [0, 1), shuffled site order) so the output is not an echo of the input, and
 * writes `NNN.cif` (writeCif), `NNN.vasp` (writePoscar) and `expected.json` to the output folder.
 *
 * ```sh
 * deno run -A tools/check_written_cifs.ts [--out DIR] [--per-dataset 40] [--seed 20240611] [--data DIR]
 * /work/pyenv-fixtures/bin/python tools/check_written_cifs.py DIR
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { rotationFromQuaternion } from "../tests/_arbitrary.ts";
import type { Crystal } from "../src/crystal/crystal.ts";
import { elementSymbol } from "../src/crystal/elements.ts";
import { matmul3 } from "../src/crystal/lattice.ts";
import { readCif, writeCif } from "../src/crystal/cif.ts";
import { writePoscar } from "../src/crystal/poscar.ts";
import { parseCsv } from "../src/data/csv.ts";
import { dataDir } from "../src/data/datasets.ts";

const DATASETS = ["perov_5", "carbon_24", "mp_20"] as const;

/** mulberry32: a small seeded generator of floats in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Strains the lattice by up to ±2 % (symmetric strain), rotates it, moves each coordinate by up to
 * ±0.02 (not wrapped) and shuffles the sites; `scale` multiplies both amplitudes.
 */
export function perturb(c: Crystal, rand: () => number, scale = 1): Crystal {
  const e = Array.from({ length: 6 }, () => (rand() * 2 - 1) * 0.02 * scale);
  const strain = new Float64Array([
    1 + e[0],
    e[3],
    e[4],
    e[3],
    1 + e[1],
    e[5],
    e[4],
    e[5],
    1 + e[2],
  ]);
  const lattice = matmul3(
    matmul3(c.lattice, strain),
    rotationFromQuaternion([0, 0, 0, 0].map(() => rand() * 2 - 1)),
  );
  const n = c.numbers.length;
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const frac = new Float64Array(3 * n);
  const numbers = new Uint8Array(n);
  order.forEach((src, dst) => {
    numbers[dst] = c.numbers[src];
    for (let k = 0; k < 3; k++) frac[3 * dst + k] = c.frac[3 * src + k] + (rand() * 2 - 1) * 0.02 * scale;
  });
  return { lattice, frac, numbers, name: c.name };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      out: { type: "string" },
      "per-dataset": { type: "string", default: "40" },
      seed: { type: "string", default: "20240611" },
      data: { type: "string", default: dataDir() },
    },
  });
  const perDataset = Number(values["per-dataset"]);
  const seed = Number(values.seed);
  const out = values.out ?? await Deno.makeTempDir({ prefix: "cdvae_written_" });
  await Deno.mkdir(out, { recursive: true });
  const rand = rng(seed);
  const expected = [];
  for (const name of DATASETS) {
    const rows = parseCsv(await Deno.readTextFile(`${values.data}/${name}/test.csv`));
    const header = rows[0];
    const cifCol = header.indexOf("cif"), idCol = header.indexOf("material_id");
    const data = rows.slice(1).filter((r) => r.length === header.length);
    const step = Math.floor(data.length / perDataset);
    for (let k = 0; k < perDataset; k++) {
      const row = 5 + k * step;
      const source = `${name}/test.csv#${row}`;
      const [c] = readCif(data[row][cifCol], { name: source });
      const p = perturb({ ...c, name: data[row][idCol] }, rand);
      const file = String(expected.length).padStart(3, "0");
      await Deno.writeTextFile(`${out}/${file}.cif`, writeCif(p));
      await Deno.writeTextFile(`${out}/${file}.vasp`, writePoscar(p));
      expected.push({
        source,
        cif: `${file}.cif`,
        poscar: `${file}.vasp`,
        lattice: Array.from(p.lattice),
        frac: Array.from(p.numbers, (_, i) => Array.from(p.frac.subarray(3 * i, 3 * i + 3))),
        species: Array.from(p.numbers, (z) => elementSymbol(z)),
      });
    }
  }
  await Deno.writeTextFile(`${out}/expected.json`, JSON.stringify({ seed, items: expected }));
  console.log(`wrote ${expected.length} CIF + ${expected.length} POSCAR files (seed ${seed}) to ${out}`);
  console.log(`next: python tools/check_written_cifs.py ${out}`);
}

if (import.meta.main) await main();
