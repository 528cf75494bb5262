/**
 * The crystals `evaluate` scores: one folder written by `generate` or `reconstruct` (or any folder
 * of crystal files), or several taken as one set — typically the shards of one `generate --shard`
 * run. Several folders are merged only when no crystal can be in the set twice:
 * - a folder given twice is refused;
 * - generated crystals are identified by (model, seed, index): the same seed and index give the
 *   same latent, so overlapping shards, or two runs with the same seed, are refused;
 * - folders of the same model and seed must share the schedule (else they are not one run).
 * Reconstructions are evaluated one folder at a time (each is scored against its own input).
 * Generated crystals are ordered by (first appearance of their run, index), so the shards of a run
 * give the same set, in the same order and with the same file names, as the unsharded run.
 *
 * @module
 */

import type { Crystal } from "../crystal/crystal.ts";
import { readCrystalFolder } from "../crystal/formats.ts";

/** A set of crystals to evaluate. */
export interface CrystalSet {
  crystals: Crystal[];
  /** One name per crystal: its file name, prefixed with its folder where names repeat across folders. */
  ids: string[];
  /** The folder's summary.json (empty for several folders: they are generated crystals). */
  summary: Record<string, unknown>;
  /** Set when the folders are shards of a run that do not cover all of it (a warning, not an error). */
  note?: string;
}

interface Folder {
  dir: string;
  crystals: Crystal[];
  ids: string[];
  summary: Record<string, unknown>;
}

/** Reads a folder of crystals and, when there is one, the summary.json the CLI wrote with them. */
async function readFolder(dir: string): Promise<Folder> {
  const { crystals, ids } = await readCrystalFolder(dir, "evaluate");
  let summary: Record<string, unknown> = {};
  try {
    summary = JSON.parse(await Deno.readTextFile(`${dir}/summary.json`));
  } catch { /* a plain folder of crystals */ }
  return { dir, crystals, ids, summary };
}

const isReconstruction = (s: Record<string, unknown>) => typeof s.input === "string" && Array.isArray(s.ids);

/** The fields of a generate summary that make two folders parts of one run. */
const RUN_FIELDS = [
  "stepsPerLevel",
  "stepsByLevel",
  "stepLr",
  "minSigma",
  "levels",
  "stepRule",
  "denoise",
  "predictor",
  "snr",
  "noiseScale",
  "settle",
  "loop",
] as const;

/**
 * Reads one folder, or several as one set (see the module comment).
 *
 * @throws {Error} When a folder is given twice, a crystal would be in the set twice, a run's
 * folders differ in schedule, or several folders include reconstructions
 */
export async function readCrystalSet(dirs: string[]): Promise<CrystalSet> {
  const folders: Folder[] = [];
  const real = new Map<string, string>();
  for (const dir of dirs) {
    const folder = await readFolder(dir);
    const path = await Deno.realPath(dir);
    if (real.has(path)) throw new Error(`"${dir}" is given twice (as "${real.get(path)}" too)`);
    real.set(path, dir);
    folders.push(folder);
  }
  const note = coverageNote(folders);
  if (folders.length === 1) return { ...folders[0], ...(note ? { note } : {}) };
  const recon = folders.find((f) => isReconstruction(f.summary));
  if (recon) {
    throw new Error(
      `"${recon.dir}" holds reconstructions, which are evaluated one folder at a time ` +
        "(several folders are merged for generated crystals only)",
    );
  }
  return { ...mergeGenerated(folders), ...(note ? { note } : {}) };
}

/** File names, prefixed with the folder where the same name occurs in two folders. */
function uniqueIds(parts: { dir: string; id: string }[]): string[] {
  const count = new Map<string, number>();
  for (const p of parts) count.set(p.id, (count.get(p.id) ?? 0) + 1);
  return parts.map((p) => (count.get(p.id)! > 1 ? `${p.dir}/${p.id}` : p.id));
}

function mergeGenerated(folders: Folder[]): CrystalSet {
  const runs: string[] = [];
  const runOf = new Map<string, Folder>();
  const owner = new Map<string, string>();
  const parts: { dir: string; id: string; crystal: Crystal; run: number; index: number }[] = [];
  for (const f of folders) {
    const s = f.summary;
    const known = typeof s.seed === "number" && Array.isArray(s.crystals);
    // Crystals of a folder without a generate summary are told apart by path only.
    const run = known ? `model ${s.model}, seed ${s.seed}` : `folder ${f.dir}`;
    const first = runOf.get(run);
    if (known && first) {
      const field = RUN_FIELDS.find((k) => JSON.stringify(s[k]) !== JSON.stringify(first.summary[k]));
      if (field) {
        throw new Error(
          `"${first.dir}" and "${f.dir}" have the same ${run} but different ${field} ` +
            `(${first.summary[field]} vs ${s[field]}): they are not parts of one run`,
        );
      }
    }
    if (!first) {
      runOf.set(run, f);
      runs.push(run);
    }
    const rows = new Map(
      known ? (s.crystals as { file: string; index?: number }[]).map((r, i) => [r.file, r.index ?? i]) : [],
    );
    f.crystals.forEach((crystal, i) => {
      const index = rows.get(f.ids[i]) ?? i;
      const key = `${run}, index ${index}`;
      if (owner.has(key)) {
        throw new Error(
          `Crystal ${index} of ${run} is in both "${owner.get(key)}" and "${f.dir}" (overlapping shards, ` +
            "or runs with the same seed): the set would count it twice",
        );
      }
      owner.set(key, f.dir);
      parts.push({ dir: f.dir, id: f.ids[i], crystal, run: runs.indexOf(run), index });
    });
  }
  parts.sort((a, b) => a.run - b.run || a.index - b.index);
  return { crystals: parts.map((p) => p.crystal), ids: uniqueIds(parts), summary: {} };
}

/**
 * A note when generate folders are shards that do not cover their run, e.g. "the shards cover 8 of
 * 12 crystals of model default, seed 0"; undefined otherwise.
 */
function coverageNote(folders: Folder[]): string | undefined {
  const byRun = new Map<string, { total: number; covered: number }>();
  for (const { summary: s } of folders) {
    const sh = s.shard as { total?: unknown; first?: unknown; end?: unknown } | undefined;
    if (typeof sh?.total !== "number" || typeof sh.first !== "number" || typeof sh.end !== "number") continue;
    const run = `model ${s.model}, seed ${s.seed}`;
    const r = byRun.get(run) ?? { total: sh.total, covered: 0 };
    r.covered += sh.end - sh.first;
    byRun.set(run, r);
  }
  const short = [...byRun].filter(([, r]) => r.covered < r.total);
  return short.length === 0
    ? undefined
    : short.map(([run, r]) => `the shards cover ${r.covered} of ${r.total} crystals of ${run}`).join("; ");
}
