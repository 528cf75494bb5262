/**
 * `datasets`: `datasets fetch NAME…` downloads the benchmark CSVs (verified, resumable) into
 * `$CDVAE_DATA_DIR` or the cache folder; `datasets list` shows which splits are where. Also the
 * `--download` option of the commands that read datasets ({@linkcode ensureSplits}).
 *
 * @module
 */

import { type Command, type OptionSpec, type ParsedArgs, UsageError } from "./command.ts";
import { Progress } from "./progress.ts";
import { closest } from "./suggest.ts";
import {
  dataDirs,
  type DatasetName,
  DATASETS,
  downloadDir,
  findSplit,
  isDatasetName,
  type Split,
  SPLITS,
} from "../data/datasets.ts";
import { DATASETS_URL_VARIABLE, PUBLISHED_FILES } from "../data/dataset_sources.ts";
import { fetchDataset, type FetchDatasetOptions, sha256File } from "../data/fetch.ts";

/** The `--download` option of commands that read a dataset. */
export const DOWNLOAD_OPTION: OptionSpec = {
  type: "boolean",
  description: "Download a missing dataset split first (verified; as `datasets fetch` does)",
};

/** Progress bars per file, on stderr, and notes (resume, retry) as lines of their own. */
function progressOptions(): Pick<FetchDatasetOptions, "onProgress" | "onNote"> & { finish(): void } {
  const bars = new Map<string, Progress>();
  return {
    onProgress(file, done, total) {
      let bar = bars.get(file);
      if (!bar) bars.set(file, bar = new Progress(`downloading ${file} (bytes)`, total));
      bar.set(done);
    },
    onNote: (note) => console.error(note),
    finish() {
      for (const bar of bars.values()) bar.finish();
      bars.clear();
    },
  };
}

/**
 * With `--download`, fetches each of `splits` that no data folder holds, into `$CDVAE_DATA_DIR`
 * or the cache folder; without it, does nothing (the loader then says how to get the file).
 *
 * @param name The dataset
 * @param splits The splits the command will read
 * @param args The command's parsed arguments (reads `--download`)
 */
export async function ensureSplits(
  name: DatasetName,
  splits: readonly Split[],
  args: ParsedArgs,
): Promise<void> {
  if (args.values.download !== true) return;
  const missing: Split[] = [];
  for (const split of splits) if ((await findSplit(name, split)) === undefined) missing.push(split);
  if (missing.length === 0) return;
  const progress = progressOptions();
  try {
    await fetchDataset(name, { splits: missing, ...progress });
  } finally {
    progress.finish();
  }
}

/**
 * {@linkcode ensureSplits} for an input argument that names a split (`dataset:NAME:SPLIT`); other
 * inputs (files, folders) and malformed specs are left to the command to judge.
 */
export async function ensureDatasetInput(spec: unknown, args: ParsedArgs): Promise<void> {
  const m = typeof spec === "string" ? /^dataset:([a-z0-9_]+):([a-z]+)$/.exec(spec) : null;
  if (m && isDatasetName(m[1]) && SPLITS.includes(m[2] as Split)) {
    await ensureSplits(m[1], [m[2] as Split], args);
  }
}

function datasetArg(raw: string): DatasetName {
  if (isDatasetName(raw)) return raw;
  const names = Object.keys(DATASETS);
  const meant = closest(raw, names);
  throw new UsageError(
    `Unknown dataset "${raw}"${meant ? ` (did you mean ${meant}?)` : ""}: expected ${names.join(", ")}`,
  );
}

async function runFetch(args: ParsedArgs): Promise<number> {
  const names = args.positionals.slice(1);
  if (names.length === 0) throw new UsageError("datasets fetch needs a dataset: perov_5, carbon_24 or mp_20");
  const datasets = names.map(datasetArg);
  let splits: Split[] | undefined;
  if (typeof args.values.split === "string") {
    const s = args.values.split;
    if (!SPLITS.includes(s as Split)) {
      throw new UsageError(`Unknown split "${s}": expected ${SPLITS.join(", ")}`);
    }
    splits = [s as Split];
  }
  const dir = typeof args.values.dir === "string" ? args.values.dir : downloadDir();
  const baseUrl = typeof args.values["base-url"] === "string" ? args.values["base-url"] : undefined;
  let differs = 0;
  for (const name of datasets) {
    const progress = progressOptions();
    try {
      const done = await fetchDataset(name, {
        dir,
        baseUrl,
        splits,
        force: args.values.force === true,
        ...progress,
      });
      progress.finish();
      for (const s of done) {
        if (s.status === "differs") differs++;
        const what = s.status === "downloaded"
          ? "downloaded and verified"
          : s.status === "present"
          ? "already present, verified"
          : "present but not the published file (kept; --force replaces it)";
        console.log(`${name}/${s.split}.csv: ${what} (${s.bytes} bytes) → ${s.path}`);
      }
    } finally {
      progress.finish();
    }
  }
  if (differs === 0) return 0;
  console.error(
    `Error: ${
      differs === 1 ? "1 file is" : `${differs} files are`
    } present but not the published file; --force replaces them`,
  );
  return 1;
}

async function runList(args: ParsedArgs): Promise<number> {
  const dirs = typeof args.values.dir === "string" ? [args.values.dir] : dataDirs();
  const quick = args.values.quick === true;
  console.log(`Data folders searched, in order: ${dirs.map((d) => `"${d}"`).join(", ")}`);
  console.log(`Downloads go to "${typeof args.values.dir === "string" ? args.values.dir : downloadDir()}"`);
  for (const name of Object.keys(DATASETS) as DatasetName[]) {
    for (const split of SPLITS) {
      const published = PUBLISHED_FILES[name][split];
      const path = await findSplit(name, split, dirs);
      let line: string;
      if (path === undefined) {
        line = `missing (datasets fetch ${name}: ${published.size} bytes)`;
      } else {
        const size = (await Deno.stat(path)).size;
        const check = quick
          ? "not checked"
          : (await sha256File(path)) === published.sha256
          ? "verified"
          : "not the published file";
        line = `${size} bytes, ${check}: ${path}`;
      }
      console.log(`${`${name}/${split}.csv`.padEnd(19)} ${line}`);
    }
  }
  return 0;
}

/** `datasets fetch NAME…` and `datasets list`. */
export const datasets: Command = {
  name: "datasets",
  summary: "Download the benchmark datasets (verified, resumable) or list where they are",
  usage: "fetch perov_5|carbon_24|mp_20 [...] | list",
  description: "fetch downloads each split's CSV from the public CDVAE repository (txie-93/cdvae, data/), " +
    "checks its SHA-256 against the table in src/data/dataset_sources.ts and only then moves it into " +
    "$CDVAE_DATA_DIR, or else the platform cache folder ($XDG_CACHE_HOME/cdvae or ~/.cache/cdvae; " +
    "~/Library/Caches/cdvae on macOS; %LOCALAPPDATA%\\cdvae on Windows). An interrupted download resumes " +
    `from its .part file; a file with another hash is refused and not kept. ${DATASETS_URL_VARIABLE} or ` +
    "--base-url replaces the server. list shows each split's folder, size and whether its hash is the published one.",
  options: {
    split: { type: "string", value: "SPLIT", description: "Only this split (train, val or test)" },
    dir: {
      type: "string",
      value: "DIR",
      description: "Folder to download into or list (default: see above)",
    },
    "base-url": {
      type: "string",
      value: "URL",
      description:
        `Where <name>/<split>.csv are served (default: $${DATASETS_URL_VARIABLE} or txie-93/cdvae)`,
    },
    force: { type: "boolean", description: "Replace a present file whose hash is not the published one" },
    quick: { type: "boolean", description: "list: skip hashing the files" },
  },
  run(args) {
    const [action] = args.positionals;
    if (action === "fetch") return runFetch(args);
    if (action === "list") {
      if (args.positionals.length > 1) {
        throw new UsageError(`Unexpected arguments: ${args.positionals.slice(1).join(" ")}`);
      }
      return runList(args);
    }
    const meant = action ? closest(action, ["fetch", "list"]) : undefined;
    throw new UsageError(
      action === undefined
        ? "datasets needs an action: fetch or list"
        : `Unknown action "${action}"${meant ? ` (did you mean ${meant}?)` : ""}: expected fetch or list`,
    );
  },
};
