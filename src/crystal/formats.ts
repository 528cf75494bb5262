/**
 * One table of the crystal file formats, so the CLI and the API pick readers and writers by
 * name or file extension in one place.
 *
 * @module
 */

import type { Crystal } from "./crystal.ts";
import { CrystalParseError, type ReadOptions } from "./errors.ts";
import { shown } from "./limits.ts";
import { readCif, writeCif } from "./cif.ts";
import { readPoscar, writePoscar } from "./poscar.ts";
import { readExtxyz, writeExtxyz } from "./extxyz.ts";
import { fromPymatgenDict, toPymatgenDict } from "./pymatgen_json.ts";

/** Names of the supported formats. */
export type FormatName = "cif" | "poscar" | "extxyz" | "json";

/** A reader/writer pair for one format. */
export interface CrystalFormat {
  /** The format's name (as `--format` takes it). */
  name: FormatName;
  /** File extension written by default (without the dot). */
  extension: string;
  /** True when one file can hold several crystals. */
  multi: boolean;
  /** Reads every crystal; `keepCoincidentSites` keeps CIF P1 rows that sit on one another (other formats always keep them). */
  read(text: string, opts?: ReadOptions & { keepCoincidentSites?: boolean }): Crystal[];
  /** Writes crystals as one file's text (formats that hold one crystal per file join several as separate blocks). */
  write(crystals: Crystal[]): string;
}

function joinBlocks(parts: string[]): string {
  return parts.map((p) => p.endsWith("\n") ? p : p + "\n").join("\n");
}

/** The supported formats, by name. */
export const FORMATS: Readonly<Record<FormatName, CrystalFormat>> = {
  cif: {
    name: "cif",
    extension: "cif",
    multi: true,
    read: (t, o) => readCif(t, o),
    write: (cs) => joinBlocks(cs.map((c) => writeCif(c))),
  },
  poscar: {
    name: "poscar",
    extension: "vasp",
    multi: false,
    read: (t, o) => [readPoscar(t, o)],
    write: (cs) => {
      if (cs.length !== 1) {
        throw new RangeError(`Cannot write POSCAR: it holds one crystal, got "${cs.length}"`);
      }
      return writePoscar(cs[0]);
    },
  },
  extxyz: {
    name: "extxyz",
    extension: "extxyz",
    multi: true,
    read: (t, o) => readExtxyz(t, o),
    write: (cs) => writeExtxyz(cs),
  },
  json: {
    name: "json",
    extension: "json",
    multi: true,
    read: (t, o) => {
      let data: unknown;
      try {
        data = JSON.parse(t);
      } catch (e) {
        throw new CrystalParseError("JSON", { file: o?.name ?? "<input>" }, shown((e as Error).message));
      }
      return Array.isArray(data)
        ? data.map((d, i) => fromPymatgenDict(d, { name: `${o?.name ?? "<input>"}[${i}]` }))
        : [fromPymatgenDict(data, o)];
    },
    write: (cs) =>
      JSON.stringify(cs.length === 1 ? toPymatgenDict(cs[0]) : cs.map((c) => toPymatgenDict(c)), null, 1) +
      "\n",
  },
};

/**
 * Guesses a format from a file name: `.cif`; `.vasp`, `.poscar`, `POSCAR*`, `CONTCAR*`;
 * `.xyz`, `.extxyz`; `.json`. Returns `undefined` when nothing fits.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert";
 * strictEqual(formatFromPath("out/CONTCAR"), "poscar");
 * strictEqual(formatFromPath("a.CIF"), "cif");
 * ```
 */
export function formatFromPath(path: string): FormatName | undefined {
  const base = path.split(/[\\/]/).pop() ?? "";
  const lower = base.toLowerCase();
  if (/^(poscar|contcar)/.test(lower) || /\.(vasp|poscar|contcar)$/.test(lower)) return "poscar";
  if (lower.endsWith(".cif")) return "cif";
  if (lower.endsWith(".xyz") || lower.endsWith(".extxyz")) return "extxyz";
  if (lower.endsWith(".json")) return "json";
  return undefined;
}

/** Returns true when `name` is a supported format name. */
export function isFormatName(name: string): name is FormatName {
  return Object.hasOwn(FORMATS, name);
}

/** What {@linkcode readCrystalFolder} returns: the crystals, one id each, and the files read. */
export interface CrystalFolder {
  /** The crystals, in file-name order. */
  crystals: Crystal[];
  /** The file name, or `name#k` for the k-th crystal of a file that holds several. */
  ids: string[];
  /** The crystal files read, in order. */
  files: string[];
}

/**
 * Reads every crystal file of a folder (by extension, as {@linkcode formatFromPath}), in file-name
 * order; `summary.json` (this project's own output summaries) is skipped.
 *
 * @param dir The folder
 * @param purpose What the caller wants the folder for, for the error message ("evaluate", …)
 * @throws {Error} If the folder does not exist, or a file does not parse
 *
 * @example A folder with one POSCAR
 * ```ts
 * import { writePoscar } from "./poscar.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const nacl = {
 *   lattice: new Float64Array([4, 0, 0, 0, 4, 0, 0, 0, 4]),
 *   frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0.5]),
 *   numbers: new Uint8Array([11, 17]),
 * };
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/NaCl.vasp`, writePoscar(nacl));
 * const { crystals, ids } = await readCrystalFolder(dir, "read");
 * assertEquals(ids, ["NaCl.vasp"]);
 * assertEquals([...crystals[0].numbers], [11, 17]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readCrystalFolder(dir: string, purpose: string): Promise<CrystalFolder> {
  const files: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && e.name !== "summary.json" && formatFromPath(e.name)) files.push(e.name);
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new Error(`Cannot ${purpose} "${dir}": no such folder`);
    throw e;
  }
  files.sort();
  const out: CrystalFolder = { crystals: [], ids: [], files };
  for (const name of files) {
    // Generated crystals may overlap; evaluation must see them as written, not refuse them.
    const text = await Deno.readTextFile(`${dir}/${name}`);
    const cs = FORMATS[formatFromPath(name)!].read(text, { name, keepCoincidentSites: true });
    cs.forEach((c, k) => {
      out.crystals.push(c);
      out.ids.push(cs.length > 1 ? `${name}#${k}` : name);
    });
  }
  return out;
}
