/**
 * Output folders of the CLI commands: a command writes into a fresh folder, or replaces the folder
 * of an earlier run of its kind whole — never a mix of old and new files. The new files go to a
 * hidden folder beside the target, which is renamed into place once complete, so an interrupted
 * run leaves the previous complete folder (or, if cut between the two renames of the swap, none).
 * A folder that is not an earlier output (it lacks the marker file, e.g. `summary.json`) is never
 * replaced: the command refuses it before doing any work.
 *
 * @module
 */

import { basename, dirname, resolve } from "node:path";
import { UsageError } from "./command.ts";

/** What a path holds now. */
async function kindOf(path: string): Promise<"none" | "file" | "dir"> {
  try {
    return (await Deno.stat(path)).isDirectory ? "dir" : "file";
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return "none";
    throw e;
  }
}

async function isEmptyDir(path: string): Promise<boolean> {
  for await (const _ of Deno.readDir(path)) return false;
  return true;
}

/**
 * Checks that `path` can take a command's output folder: absent, empty, or an earlier output (it
 * holds `marker`). Commands call it before their work, so a bad `--out` costs nothing.
 *
 * @param marker The file every output of the command has (`summary.json`, `metrics.json`)
 * @param flag How the user named the folder, for messages
 * @throws {UsageError} If `path` is a file, the working folder or one above it, or a folder with
 *   other content
 */
export async function checkOutputDir(path: string, marker: string, flag = "--out"): Promise<void> {
  const abs = resolve(path), cwd = Deno.cwd();
  if (abs === cwd || cwd.startsWith(abs.endsWith("/") ? abs : `${abs}/`)) {
    throw new UsageError(`${flag} "${path}" is the working folder or holds it: give a folder of its own`);
  }
  const kind = await kindOf(abs);
  if (kind === "file") throw new UsageError(`${flag} "${path}" is a file: give a folder`);
  if (kind === "none" || await isEmptyDir(abs)) return;
  if (await kindOf(`${abs}/${marker}`) !== "file") {
    throw new UsageError(
      `${flag} "${path}" holds files but no ${marker}, so it is not an earlier output to replace: ` +
        `give a new folder or remove it`,
    );
  }
}

/**
 * A command's output folder being written: files go to `dir`, a fresh hidden folder beside the
 * target; `commit()` puts it in the target's place (an earlier output there is removed). Disposed
 * without a commit (`await using`, e.g. when the writing throws), it removes `dir` and leaves the
 * target untouched.
 */
export class PendingOutputDir implements AsyncDisposable {
  #committed = false;

  private constructor(
    /** The folder to write into now. */
    readonly dir: string,
    /** The output folder it becomes. */
    readonly target: string,
    readonly marker: string,
  ) {}

  /**
   * Starts writing the output folder `path`.
   *
   * @param marker See {@linkcode checkOutputDir}; checked here and again at the commit, so no
   *   caller replaces a folder that is not an earlier output
   */
  static async open(path: string, marker: string): Promise<PendingOutputDir> {
    await checkOutputDir(path, marker);
    const abs = resolve(path), parent = dirname(abs);
    await Deno.mkdir(parent, { recursive: true });
    const tag = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    const dir = `${parent}/.${basename(abs)}.partial-${tag}`;
    await Deno.mkdir(dir);
    return new PendingOutputDir(dir, path, marker);
  }

  /** Puts the written folder in the target's place. */
  async commit(): Promise<void> {
    // The target may have appeared or changed while the files were written.
    await checkOutputDir(this.target, this.marker);
    const abs = resolve(this.target), parent = dirname(abs), base = basename(abs);
    const old = this.dir.replace(/\.partial-([^/]*)$/, ".old-$1");
    const hadOld = await kindOf(abs) === "dir";
    if (hadOld) await Deno.rename(abs, old);
    try {
      await Deno.rename(this.dir, abs);
    } catch (e) {
      if (hadOld) await Deno.rename(old, abs).catch(() => {});
      throw e;
    }
    this.#committed = true;
    if (hadOld) await Deno.remove(old, { recursive: true });
    await removeLeftovers(parent, base);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#committed) await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}

/**
 * Writes a command's output folder whole with {@linkcode PendingOutputDir}: `write` fills the new
 * folder, which then replaces `path`.
 *
 * @returns What `write` returned
 */
export async function replaceOutputDir<T>(
  path: string,
  marker: string,
  write: (dir: string) => Promise<T>,
): Promise<T> {
  await using out = await PendingOutputDir.open(path, marker);
  const result = await write(out.dir);
  await out.commit();
  return result;
}

/** Hidden partial and old folders of `base` that an interrupted run left beside it. */
async function removeLeftovers(parent: string, base: string): Promise<void> {
  const prefixes = [`.${base}.partial-`, `.${base}.old-`];
  for await (const e of Deno.readDir(parent)) {
    if (e.isDirectory && prefixes.some((p) => e.name.startsWith(p))) {
      await Deno.remove(`${parent}/${e.name}`, { recursive: true }).catch(() => {});
    }
  }
}

/** The files of a training run; one of them in `--out` means a run is there. */
const RUN_FILES = ["state.json", "config.json", "last.safetensors", "best.safetensors", "log.csv"];

/**
 * Checks `train --out` before loading data: a new run needs a folder without a run in it (a run
 * there is continued with `--resume`, never overwritten); `--resume` needs a run to continue.
 *
 * @throws {UsageError} If `path` is a file, holds a run without `resume`, or holds none with it
 */
export async function checkRunDir(path: string, resume: boolean): Promise<void> {
  const kind = await kindOf(path);
  if (kind === "file") throw new UsageError(`--out "${path}" is a file: give a folder`);
  const found: string[] = [];
  if (kind === "dir") {
    for (const f of RUN_FILES) if (await kindOf(`${path}/${f}`) === "file") found.push(f);
  }
  if (resume && !found.includes("state.json")) {
    throw new UsageError(`--resume: "${path}" holds no training run to continue (no state.json)`);
  }
  if (!resume && found.length > 0) {
    let epoch = "";
    try {
      const state = JSON.parse(await Deno.readTextFile(`${path}/state.json`));
      if (Number.isInteger(state.epoch)) epoch = ` at epoch ${state.epoch}`;
    } catch { /* a run without a readable state: still a run */ }
    throw new UsageError(
      `--out "${path}" already holds a training run${epoch} (${found.join(", ")}): ` +
        `add --resume to continue it, or give another --out`,
    );
  }
}
