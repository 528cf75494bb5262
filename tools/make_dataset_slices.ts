/**
 * Writes the committed dataset slices the tests read when the full CSVs are absent: the header and
 * the first rows of every split present under `$CDVAE_DATA_DIR` (default `../shared/data`), cut at
 * a record boundary so each slice is a byte-exact prefix of its source file.
 *
 * Run from the repository root: `deno run -A tools/make_dataset_slices.ts [OUT]`
 * (OUT defaults to `tests/fixtures/datasets`).
 *
 * @module
 */

import { readCsvStream } from "../src/data/csv.ts";
import {
  availableSplits,
  dataDir,
  type DatasetName,
  DATASETS,
  type Split,
  splitPath,
} from "../src/data/datasets.ts";

/** Rows kept per split: the test splits feed the CLI and metric tests, the others only the parse check. */
export const SLICE_ROWS: Readonly<Record<Split, number>> = { train: 50, val: 50, test: 150 };

/** The header and the first `rows` records of a CSV file, byte for byte. */
export async function csvPrefix(path: string, rows: number): Promise<{ text: string; rows: number }> {
  const text = await Deno.readTextFile(path);
  // Record k + 1 (0 is the header) starts on this line; everything before it is the slice.
  let endLine: number | undefined, seen = -1;
  for await (const rec of readCsvStream(ReadableStream.from([new TextEncoder().encode(text)]), path)) {
    if (seen === rows) {
      endLine = rec.line;
      break;
    }
    seen++;
  }
  if (endLine === undefined) return { text, rows: seen };
  let at = 0;
  for (let line = 1; line < endLine; line++) at = text.indexOf("\n", at) + 1;
  return { text: text.slice(0, at), rows };
}

if (import.meta.main) {
  const out = (Deno.args[0] ?? "tests/fixtures/datasets").replace(/\/+$/, "");
  const dir = dataDir();
  for (const name of Object.keys(DATASETS) as DatasetName[]) {
    const { present } = await availableSplits(name, dir);
    for (const split of present) {
      const { text, rows } = await csvPrefix(splitPath(name, split, dir), SLICE_ROWS[split]);
      await Deno.mkdir(`${out}/${name}`, { recursive: true });
      await Deno.writeTextFile(`${out}/${name}/${split}.csv`, text);
      console.log(`${name}/${split}.csv: ${rows} rows, ${text.length} characters`);
    }
  }
}
