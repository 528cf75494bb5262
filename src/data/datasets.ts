/**
 * The CDVAE benchmark datasets (Perov-5, Carbon-24, MP-20) as CSV files with one CIF per row,
 * found in `CDVAE_DATA_DIR`, else in `../shared/data` beside the repository or the user's cache folder
 * (where `datasets fetch` puts them: `src/data/fetch.ts`).
 *
 * @module
 */

import type { Crystal } from "../crystal/crystal.ts";
import { readCif } from "../crystal/cif.ts";
import { readCsvStream } from "./csv.ts";

/** Names of the paper's three datasets. */
export type DatasetName = "perov_5" | "carbon_24" | "mp_20";
/** Dataset splits, as the CSV file names have them. */
export type Split = "train" | "val" | "test";

/** All split names, in the order the paper uses them. */
export const SPLITS: readonly Split[] = ["train", "val", "test"];

/** Facts of each dataset used by the reference implementation (cdvae-reference-details.md §1.1). */
export interface DatasetInfo {
  /** Property column the reference predicts and optimises. */
  target: string;
  /** Largest number of atoms per cell (the number-of-atoms head has maxAtoms + 1 classes). */
  maxAtoms: number;
}

/** Per-dataset facts of the reference configs (`conf/data/*.yaml`). */
export const DATASETS: Readonly<Record<DatasetName, DatasetInfo>> = {
  perov_5: { target: "heat_ref", maxAtoms: 20 },
  carbon_24: { target: "energy_per_atom", maxAtoms: 24 },
  mp_20: { target: "formation_energy_per_atom", maxAtoms: 20 },
};

/** The environment variable that points at the folder holding `perov_5/`, `carbon_24/`, `mp_20/`. */
export const DATA_DIR_VARIABLE = "CDVAE_DATA_DIR";

/** Returns true when `name` is one of the three dataset names. */
export function isDatasetName(name: string): name is DatasetName {
  return Object.hasOwn(DATASETS, name);
}

/**
 * The data folder: `$CDVAE_DATA_DIR` if set, else `../shared/data` next to the repository root
 * (resolved from this module's location when it is a local file, else from the working directory).
 */
export function dataDir(): string {
  const fromEnv = Deno.env.get(DATA_DIR_VARIABLE);
  if (fromEnv) return fromEnv;
  const root = new URL("../../", import.meta.url);
  if (root.protocol === "file:") return decodeURIComponent(new URL("../shared/data", root).pathname);
  return "../shared/data";
}

/** The folder under the user's cache where `datasets fetch` keeps the CSVs when `CDVAE_DATA_DIR` is unset. */
export const CACHE_FOLDER_NAME = "cdvae";

/**
 * The platform cache folder for the datasets: `%LOCALAPPDATA%\\cdvae` on Windows,
 * `~/Library/Caches/cdvae` on macOS, else `$XDG_CACHE_HOME/cdvae` or `~/.cache/cdvae`.
 *
 * @param env Reads the environment (a parameter so tests can pass their own)
 * @param os The operating system (`Deno.build.os` by default)
 * @returns The folder, which need not exist yet
 * @example
 * ```ts
 * import { assertEquals } from "../../tests/_assert.ts";
 * const env = (k: string) => ({ HOME: "/home/ada" } as Record<string, string>)[k];
 * assertEquals(cacheDir(env, "linux"), "/home/ada/.cache/cdvae");
 * assertEquals(cacheDir(env, "darwin"), "/home/ada/Library/Caches/cdvae");
 * ```
 */
export function cacheDir(
  env: (key: string) => string | undefined = (k) => Deno.env.get(k),
  os: typeof Deno.build.os = Deno.build.os,
): string {
  if (os === "windows") {
    const base = env("LOCALAPPDATA") ??
      (env("USERPROFILE") ? `${env("USERPROFILE")}\\AppData\\Local` : undefined);
    if (!base) throw new Error("Cannot find the cache folder: LOCALAPPDATA and USERPROFILE are unset");
    return `${base}\\${CACHE_FOLDER_NAME}`;
  }
  const home = env("HOME");
  if (os === "darwin" && home) return `${home}/Library/Caches/${CACHE_FOLDER_NAME}`;
  const xdg = env("XDG_CACHE_HOME");
  // The XDG spec ignores a relative XDG_CACHE_HOME.
  if (xdg && xdg.startsWith("/")) return `${xdg}/${CACHE_FOLDER_NAME}`;
  if (!home) throw new Error("Cannot find the cache folder: HOME and XDG_CACHE_HOME are unset");
  return `${home}/.cache/${CACHE_FOLDER_NAME}`;
}

/**
 * Where `datasets fetch` writes: `$CDVAE_DATA_DIR` when set, else {@linkcode cacheDir}.
 *
 * @returns The folder that holds (or will hold) `perov_5/`, `carbon_24/`, `mp_20/`
 */
export function downloadDir(): string {
  return Deno.env.get(DATA_DIR_VARIABLE) || cacheDir();
}

/**
 * The folders the loader searches, in order: `$CDVAE_DATA_DIR` alone when it is set, else
 * `../shared/data` beside the repository and then the cache folder of `datasets fetch`.
 *
 * @returns Folder paths, without duplicates
 */
export function dataDirs(): string[] {
  if (Deno.env.get(DATA_DIR_VARIABLE)) return [dataDir()];
  let cache: string | undefined;
  try {
    cache = cacheDir();
  } catch {
    // No HOME: only the folder beside the repository is searched.
  }
  return [...new Set([dataDir(), ...(cache ? [cache] : [])])];
}

/**
 * The first folder of {@linkcode dataDirs} (or of `dirs`) that holds `name`/`split`.
 *
 * @returns The CSV path, or undefined when no folder has it
 */
export async function findSplit(
  name: DatasetName,
  split: Split,
  dirs: readonly string[] = dataDirs(),
): Promise<string | undefined> {
  for (const dir of dirs) {
    const path = splitPath(name, split, dir);
    if (await isFile(path)) return path;
  }
  return undefined;
}

/** Path of one split's CSV file. */
export function splitPath(name: DatasetName, split: Split, dir: string = dataDir()): string {
  return `${dir.replace(/\/+$/, "")}/${name}/${split}.csv`;
}

/** Which splits of a dataset exist on disk and which are missing. */
export async function availableSplits(
  name: DatasetName,
  dir: string = dataDir(),
): Promise<{ present: Split[]; missing: Split[] }> {
  const present: Split[] = [], missing: Split[] = [];
  for (const s of SPLITS) {
    (await isFile(splitPath(name, s, dir)) ? present : missing).push(s);
  }
  return { present, missing };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** A split that is not on disk. The message names the path and the variable to set. */
export class DatasetNotFoundError extends Error {
  /**
   * A missing split.
   *
   * @param path The file that was looked for
   * @param detail The full message
   */
  constructor(readonly path: string, detail: string) {
    super(detail);
    this.name = "DatasetNotFoundError";
  }
}

/** One dataset row: its id, the crystal its CIF describes, and every numeric column. */
export interface DatasetEntry {
  /** `material_id` column (or the row number when the file has none). */
  id: string;
  /** The crystal of the `cif` column. */
  crystal: Crystal;
  /** Numeric columns other than the index, keyed by column name. */
  props: Record<string, number>;
  /** 1-based line of the CSV record. */
  line: number;
}

/** A whole split in memory. */
export interface Dataset {
  /** Dataset name (`perov_5`, …). */
  name: string;
  /** Split name (`train`, `val`, `test`). */
  split: string;
  /** The CSV file read. */
  path: string;
  /** The rows read, in file order. */
  entries: DatasetEntry[];
  /** Names of the numeric property columns found. */
  propertyColumns: string[];
}

/** Options for reading a dataset CSV. */
export interface ReadDatasetOptions {
  /** Stop after this many rows. */
  limit?: number;
  /** Called every `progressEvery` rows (default 256) with the number of rows read. */
  onProgress?: (rows: number) => void;
  /** Rows between progress calls. */
  progressEvery?: number;
}

/**
 * Streams the rows of a CDVAE-style CSV (a `cif` column, optionally `material_id` and numeric
 * property columns) as crystals. A row whose CIF cannot be read stops the stream with an error
 * naming the file, the CSV line and the material id.
 *
 * @example A one-row CSV
 * ```ts
 * import { writeCif } from "../crystal/cif.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const nacl = {
 *   lattice: new Float64Array([4, 0, 0, 0, 4, 0, 0, 0, 4]),
 *   frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0.5]),
 *   numbers: new Uint8Array([11, 17]),
 * };
 * const path = await Deno.makeTempFile({ suffix: ".csv" });
 * await Deno.writeTextFile(path, `,material_id,heat_ref,cif\n0,x1,0.5,"${writeCif(nacl)}"\n`);
 * const rows = [];
 * for await (const e of readDatasetCsv(path)) rows.push([e.id, e.props.heat_ref, e.crystal.numbers.length]);
 * assertEquals(rows, [["x1", 0.5, 2]]);
 * await Deno.remove(path);
 * ```
 */
export async function* readDatasetCsv(
  path: string,
  opts: ReadDatasetOptions = {},
): AsyncGenerator<DatasetEntry> {
  using file = await Deno.open(path);
  let header: string[] | undefined;
  let cifCol = -1, idCol = -1;
  let rows = 0;
  const every = opts.progressEvery ?? 256;
  for await (const rec of readCsvStream(file.readable, path)) {
    if (!header) {
      header = rec.fields;
      cifCol = header.indexOf("cif");
      idCol = header.indexOf("material_id");
      if (cifCol < 0) {
        throw new SyntaxError(
          `Cannot read dataset "${path}" line ${rec.line}: no "cif" column in the header`,
        );
      }
      continue;
    }
    if (opts.limit !== undefined && rows >= opts.limit) return;
    if (rec.fields.length !== header.length) {
      throw new SyntaxError(
        `Cannot read dataset "${path}" line ${rec.line}: expected ${header.length} fields, found ${rec.fields.length}`,
      );
    }
    const id = idCol >= 0 ? rec.fields[idCol] : String(rows);
    let crystals: Crystal[];
    try {
      crystals = readCif(rec.fields[cifCol], { name: `${path} (material_id ${id})` });
    } catch (e) {
      throw new SyntaxError(
        `Cannot read dataset "${path}" line ${rec.line} (material_id "${id}"): ${(e as Error).message}`,
        { cause: e },
      );
    }
    if (crystals.length !== 1) {
      throw new SyntaxError(
        `Cannot read dataset "${path}" line ${rec.line} (material_id "${id}"): expected 1 structure, found ${crystals.length}`,
      );
    }
    const props: Record<string, number> = {};
    for (let k = 0; k < header.length; k++) {
      if (k === cifCol || k === idCol || header[k] === "") continue;
      const v = rec.fields[k].trim();
      if (v !== "" && Number.isFinite(Number(v))) props[header[k]] = Number(v);
    }
    const crystal = crystals[0];
    crystal.name = id;
    crystal.props = props;
    rows++;
    if (opts.onProgress && rows % every === 0) opts.onProgress(rows);
    yield { id, crystal, props, line: rec.line };
  }
  if (!header) throw new SyntaxError(`Cannot read dataset "${path}": the file is empty`);
}

/** The error for a split no folder holds: what was looked for where, and the two ways to get it. */
async function missingSplitError(
  name: DatasetName,
  split: Split,
  dirs: readonly string[],
): Promise<DatasetNotFoundError> {
  const path = splitPath(name, split, dirs[0]);
  const present = new Set<Split>();
  for (const dir of dirs) for (const s of (await availableSplits(name, dir)).present) present.add(s);
  const has = present.size > 0
    ? `splits present for "${name}": ${SPLITS.filter((s) => present.has(s)).join(", ")}`
    : `no splits of "${name}" found there`;
  const where = dirs.length === 1
    ? `file "${path}" does not exist`
    : `no "${name}/${split}.csv" in ${dirs.map((d) => `"${d}"`).join(" or ")}`;
  const variable = Deno.env.get(DATA_DIR_VARIABLE);
  return new DatasetNotFoundError(
    path,
    `Cannot load dataset "${name}" split "${split}": ${where} (${has}); ` +
      `run "deno run -A mod.ts datasets fetch ${name}" (or pass --download) to download it, or ` +
      `set ${DATA_DIR_VARIABLE} to the folder that holds perov_5/, carbon_24/ and mp_20/ ` +
      `(now ${variable ? `"${variable}"` : "unset"})`,
  );
}

/**
 * Loads one split of a benchmark dataset.
 *
 * @throws {DatasetNotFoundError} If no folder of {@linkcode dataDirs} (or `opts.dir`) has the split's
 *   CSV; the message names the path, the splits that do exist, `datasets fetch` and `CDVAE_DATA_DIR`
 * @example Loading Perov-5 validation crystals (needs the data folder)
 * ```ts ignore
 * const ds = await loadDataset("perov_5", "val");
 * console.log(ds.entries.length, ds.entries[0].crystal.numbers);
 * ```
 */
export async function loadDataset(
  name: DatasetName,
  split: Split,
  opts: ReadDatasetOptions & { dir?: string } = {},
): Promise<Dataset> {
  const dirs = opts.dir !== undefined ? [opts.dir] : dataDirs();
  const path = await findSplit(name, split, dirs);
  if (path === undefined) throw await missingSplitError(name, split, dirs);
  const entries: DatasetEntry[] = [];
  for await (const e of readDatasetCsv(path, opts)) entries.push(e);
  const propertyColumns = entries.length > 0 ? Object.keys(entries[0].props) : [];
  return { name, split, path, entries, propertyColumns };
}
