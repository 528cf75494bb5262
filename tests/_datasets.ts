/**
 * Where tests find dataset CSVs. A bare clone has only the committed slices
 * (`tests/fixtures/datasets/<name>/<split>.csv`, the first rows of each split); when
 * `$CDVAE_DATA_DIR` (default `../shared/data`) holds the full CSVs, tests read those and the
 * full-data checks run as well.
 *
 * @module
 */

import { availableSplits, dataDir, type DatasetName, DATASETS, type Split } from "../src/data/datasets.ts";

/** The committed slices. */
export const SLICES_DIR: string = decodeURIComponent(
  new URL("./fixtures/datasets", import.meta.url).pathname,
);

/** Whether `dir` holds at least one split of any dataset. */
async function holdsAnySplit(dir: string): Promise<boolean> {
  for (const name of Object.keys(DATASETS) as DatasetName[]) {
    if ((await availableSplits(name, dir)).present.length > 0) return true;
  }
  return false;
}

/** The folder of the full CSVs, or undefined when there is none (a bare clone). */
export const FULL_DATA_DIR: string | undefined = await holdsAnySplit(dataDir()) ? dataDir() : undefined;

/** A folder of dataset CSVs that tests read: the full files or the slices. */
export interface DataSource {
  label: "full" | "slices";
  dir: string;
}

/** Every source tests check: the slices always, the full CSVs when present. */
export const DATA_SOURCES: readonly DataSource[] = [
  { label: "slices", dir: SLICES_DIR },
  ...(FULL_DATA_DIR ? [{ label: "full" as const, dir: FULL_DATA_DIR }] : []),
];

/**
 * The folder to read `name`/`split` from for tests that need some rows of it: the full data when
 * it has that split, else the slices.
 */
export async function dataDirFor(name: DatasetName, split: Split): Promise<string> {
  if (FULL_DATA_DIR && (await availableSplits(name, FULL_DATA_DIR)).present.includes(split)) {
    return FULL_DATA_DIR;
  }
  return SLICES_DIR;
}
