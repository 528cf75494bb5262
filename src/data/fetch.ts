/**
 * Downloads the benchmark CSVs into the data folder, safely: each file goes to `<split>.csv.part`,
 * resumes with an HTTP Range request after an interruption (or starts over when the server ignores
 * the range), is checked against the SHA-256 of {@linkcode PUBLISHED_FILES} and only then renamed
 * into place. A file whose hash differs is deleted, so the folder never holds unverified data
 * under a dataset's name.
 *
 * @module
 */

import { createHash } from "node:crypto";
import {
  DATA_DIR_VARIABLE,
  type DatasetName,
  downloadDir,
  type Split,
  splitPath,
  SPLITS,
} from "./datasets.ts";
import {
  DATASETS_URL_VARIABLE,
  DEFAULT_DATASETS_URL,
  PUBLISHED_FILES,
  type PublishedFile,
  type PublishedTable,
} from "./dataset_sources.ts";

/** A download whose bytes are not the published file (wrong hash or size); nothing was kept. */
export class DatasetChecksumError extends Error {
  /**
   * A refused download.
   *
   * @param url The file's URL
   * @param message The full message
   */
  constructor(readonly url: string, message: string) {
    super(message);
    this.name = "DatasetChecksumError";
  }
}

/** A download cut short; its `.part` file is kept so the next try resumes where it stopped. */
export class DownloadInterruptedError extends Error {
  /**
   * An interrupted download.
   *
   * @param partPath The partial file kept
   * @param message The full message
   */
  constructor(readonly partPath: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "DownloadInterruptedError";
  }
}

/** Options of {@linkcode downloadVerified} and {@linkcode fetchDataset}. */
export interface DownloadOptions {
  /** Called as bytes arrive with the bytes on disk and the file's size. */
  onProgress?: (done: number, total: number) => void;
  /** Called with a one-line note when a download resumes, restarts or retries. */
  onNote?: (note: string) => void;
  /** Tries in one call before giving up with {@linkcode DownloadInterruptedError} (default 3). */
  attempts?: number;
  /** Pause before a retry, in milliseconds (default 1000; tests use 0). */
  retryDelayMs?: number;
  /** The fetch to use (default the global one). */
  fetch?: typeof fetch;
}

/** The SHA-256 of a file, streamed (lower-case hex). */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  using file = await Deno.open(path);
  for await (const chunk of file.readable) hash.update(chunk);
  return hash.digest("hex");
}

/** Size of a file, or undefined when there is none. */
async function fileSize(path: string): Promise<number | undefined> {
  try {
    return (await Deno.stat(path)).size;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

async function removeIfPresent(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let off = 0; off < bytes.length;) off += await file.write(bytes.subarray(off));
}

/** How one request ended: the part file complete, or cut short (to retry). */
type AttemptResult = { complete: true } | { complete: false; cause: unknown };

/** One request: appends to `part` from `have` bytes (Range) or rewrites it from the start. */
async function attempt(
  url: string,
  part: string,
  expected: PublishedFile,
  have: number,
  opts: DownloadOptions,
): Promise<AttemptResult> {
  const doFetch = opts.fetch ?? fetch;
  let resp: Response;
  try {
    // identity: byte offsets (Range, Content-Length, the hash) are those of the file itself, not of a
    // gzip stream that fetch would decode behind our back.
    const headers: Record<string, string> = { "accept-encoding": "identity" };
    if (have > 0) headers.range = `bytes=${have}-`;
    resp = await doFetch(url, { headers });
  } catch (e) {
    return { complete: false, cause: e };
  }
  if (resp.status === 416) {
    // The range is past the server's file: the part is not a prefix of it. Start over.
    await resp.body?.cancel();
    await removeIfPresent(part);
    opts.onNote?.(`${url}: the server refused to resume at byte ${have}; starting over`);
    return attempt(url, part, expected, 0, opts);
  }
  if (resp.status >= 500 || resp.status === 429) {
    // Busy or failing for now: worth another try, keeping what is on disk.
    await resp.body?.cancel();
    return { complete: false, cause: new Error(`HTTP ${resp.status} ${resp.statusText}`.trimEnd()) };
  }
  if (!resp.ok) {
    await resp.body?.cancel();
    throw new Error(`Cannot download "${url}": HTTP ${resp.status} ${resp.statusText}`.trimEnd());
  }
  const resumed = resp.status === 206 &&
    (resp.headers.get("content-range") ?? "").startsWith(`bytes ${have}-`);
  if (have > 0 && !resumed) {
    opts.onNote?.(`${url}: the server does not resume (HTTP ${resp.status}); starting over`);
  }
  let done = resumed ? have : 0;
  const encoded = (resp.headers.get("content-encoding") ?? "identity") !== "identity";
  const length = encoded ? NaN : Number(resp.headers.get("content-length") ?? NaN);
  if (Number.isFinite(length) && done + length !== expected.size) {
    await resp.body?.cancel();
    await removeIfPresent(part);
    throw new DatasetChecksumError(
      url,
      `Refused "${url}": the server offers ${done + length} bytes, the published file has ${expected.size}`,
    );
  }
  if (!resp.body) return { complete: false, cause: new Error("empty response") };
  const file = await Deno.open(
    part,
    resumed ? { append: true } : { write: true, create: true, truncate: true },
  );
  opts.onProgress?.(done, expected.size);
  let refused: DatasetChecksumError | undefined, cut: unknown;
  try {
    for await (const chunk of resp.body) {
      if (done + chunk.length > expected.size) {
        refused = new DatasetChecksumError(
          url,
          `Refused "${url}": more than the published ${expected.size} bytes arrived`,
        );
        await resp.body.cancel().catch(() => {});
        break;
      }
      await writeAll(file, chunk);
      done += chunk.length;
      opts.onProgress?.(done, expected.size);
    }
  } catch (e) {
    cut = e;
  } finally {
    if (!refused) await file.syncData();
    file.close();
  }
  if (refused) {
    await removeIfPresent(part);
    throw refused;
  }
  if (cut !== undefined) return { complete: false, cause: cut };
  return done === expected.size ? { complete: true } : {
    complete: false,
    cause: new Error(`the connection closed after ${done} of ${expected.size} bytes`),
  };
}

/**
 * Downloads `url` to `dest` through `dest.part`, resuming a part left by an earlier try, and
 * renames it into place only when its size and SHA-256 are the published ones.
 *
 * @param url The file's URL
 * @param dest Where the verified file goes (its folder must exist)
 * @param expected The published size and SHA-256
 * @param opts Progress, retries, the fetch to use
 * @throws {DatasetChecksumError} When the bytes are not the published file (nothing is kept)
 * @throws {DownloadInterruptedError} When every try was cut short (the `.part` file is kept)
 * @example Refusing bytes that are not the published ones
 * ```ts
 * import { assertRejects } from "../../tests/_assert.ts";
 * const dir = await Deno.makeTempDir();
 * const fake = () => Promise.resolve(new Response("not the file"));
 * await assertRejects(
 *   () => downloadVerified("http://x/a.csv", `${dir}/a.csv`, { size: 12, sha256: "0".repeat(64) }, { fetch: fake }),
 *   DatasetChecksumError,
 * );
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function downloadVerified(
  url: string,
  dest: string,
  expected: PublishedFile,
  opts: DownloadOptions = {},
): Promise<void> {
  const part = `${dest}.part`;
  const attempts = opts.attempts ?? 3;
  let cause: unknown;
  for (let i = 0; i < attempts; i++) {
    let have = (await fileSize(part)) ?? 0;
    if (have > expected.size) {
      await removeIfPresent(part);
      have = 0;
    }
    if (have === expected.size) break;
    if (i > 0) {
      opts.onNote?.(`${url}: connection lost at byte ${have} (${describe(cause)}); retrying`);
      await new Promise((r) => setTimeout(r, opts.retryDelayMs ?? 1000));
    } else if (have > 0) {
      opts.onNote?.(`${url}: resuming at byte ${have} of ${expected.size}`);
    }
    const result = await attempt(url, part, expected, have, opts);
    if (result.complete) {
      cause = undefined;
      break;
    }
    cause = result.cause;
  }
  if (cause !== undefined && (await fileSize(part)) !== expected.size) {
    throw new DownloadInterruptedError(
      part,
      `Cannot download "${url}": interrupted after ${
        (await fileSize(part)) ?? 0
      } of ${expected.size} bytes ` +
        `(${describe(cause)}); run the command again to resume`,
      { cause },
    );
  }
  const sha256 = await sha256File(part);
  if (sha256 !== expected.sha256) {
    await removeIfPresent(part);
    throw new DatasetChecksumError(
      url,
      `Refused "${url}": its SHA-256 ${sha256} is not the published ${expected.sha256} (nothing was kept)`,
    );
  }
  await Deno.rename(part, dest);
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message.split("\n")[0] : String(e);
}

/** Options of {@linkcode fetchDataset}. */
export interface FetchDatasetOptions extends Omit<DownloadOptions, "onProgress"> {
  /** The folder that gets `<name>/<split>.csv` (default `$CDVAE_DATA_DIR` or the cache folder). */
  dir?: string;
  /** Base URL of `<name>/<split>.csv` (default `$CDVAE_DATASETS_URL` or txie-93/cdvae at its pinned commit). */
  baseUrl?: string;
  /** The sizes and hashes to verify against (default {@linkcode PUBLISHED_FILES}). */
  table?: PublishedTable;
  /** Which splits (default every split the table lists for the dataset). */
  splits?: readonly Split[];
  /** Replace a file already there whose hash is not the published one. */
  force?: boolean;
  /** Called as bytes arrive, with the file (`perov_5/train.csv`), the bytes done and its size. */
  onProgress?: (file: string, done: number, total: number) => void;
}

/** What {@linkcode fetchDataset} did for one split. */
export interface FetchedSplit {
  /** The split. */
  split: Split;
  /** Where the file is. */
  path: string;
  /**
   * `downloaded`; `present` (already there and verified); `differs` (already there, another hash,
   * left alone: pass `force` to replace it).
   */
  status: "downloaded" | "present" | "differs";
  /** The file's size in bytes. */
  bytes: number;
}

/** The base URL in effect: `$CDVAE_DATASETS_URL` or {@linkcode DEFAULT_DATASETS_URL}. */
export function datasetsBaseUrl(): string {
  return Deno.env.get(DATASETS_URL_VARIABLE) || DEFAULT_DATASETS_URL;
}

/**
 * Downloads the CSVs of one dataset into `<dir>/<name>/`, each verified (see
 * {@linkcode downloadVerified}). Files already there with the published hash are kept as they are.
 *
 * @param name The dataset
 * @param opts Target folder, base URL, hash table, splits, progress
 * @returns One entry per split, in the order of `SPLITS`
 * @throws {DatasetChecksumError} When a download is not the published file (it is not kept)
 * @throws {DownloadInterruptedError} When a download was cut short every try (its `.part` is kept)
 * @example Fetching Perov-5 into the cache (needs the network)
 * ```ts ignore
 * const done = await fetchDataset("perov_5", { onProgress: (f, n, t) => console.log(f, n, t) });
 * console.log(done.map((s) => `${s.split}: ${s.status}`));
 * ```
 */
export async function fetchDataset(
  name: DatasetName,
  opts: FetchDatasetOptions = {},
): Promise<FetchedSplit[]> {
  const table = opts.table ?? PUBLISHED_FILES;
  const files = table[name];
  if (!files) throw new RangeError(`Cannot fetch dataset "${name}": it has no published files`);
  const dir = opts.dir ?? downloadDir();
  const base = (opts.baseUrl ?? datasetsBaseUrl()).replace(/\/+$/, "");
  const splits = opts.splits ?? SPLITS.filter((s) => files[s]);
  const out: FetchedSplit[] = [];
  for (const split of splits) {
    const expected = files[split];
    if (!expected) throw new RangeError(`Cannot fetch "${name}/${split}.csv": no such published file`);
    const path = splitPath(name, split, dir);
    if ((await fileSize(path)) !== undefined) {
      const same = (await sha256File(path)) === expected.sha256;
      if (same || !opts.force) {
        out.push({ split, path, status: same ? "present" : "differs", bytes: (await fileSize(path))! });
        continue;
      }
    }
    const folder = path.slice(0, path.lastIndexOf("/"));
    const created = (await fileSize(folder)) === undefined;
    try {
      await Deno.mkdir(folder, { recursive: true });
      await downloadVerified(`${base}/${name}/${split}.csv`, path, expected, {
        ...opts,
        onProgress: (done, total) => opts.onProgress?.(`${name}/${split}.csv`, done, total),
      });
    } catch (e) {
      // A refused file leaves nothing: not even the dataset folder this call made.
      if (created && !(e instanceof DownloadInterruptedError)) await Deno.remove(folder).catch(() => {});
      if (e instanceof Deno.errors.PermissionDenied) {
        throw new Error(
          `Cannot fetch "${name}/${split}.csv" into "${dir}": the folder is not writable (${describe(e)}); ` +
            `set ${DATA_DIR_VARIABLE} to a writable folder`,
          { cause: e },
        );
      }
      throw e;
    }
    out.push({ split, path, status: "downloaded", bytes: expected.size });
  }
  return out;
}
