/**
 * `convert`: any supported crystal format to any other, and a dataset split to a folder of files.
 *
 * @module
 */

import { type Command, counted, UsageError } from "./command.ts";
import { DOWNLOAD_OPTION, ensureDatasetInput } from "./datasets.ts";
import { intFlag } from "./command.ts";
import { isDirectory, readStdinText, writeTextAtomic } from "./_io.ts";
import { Progress } from "./progress.ts";
import { CIF_SYMMETRY_OPTION, cifSymmetryFlag, crystalsText } from "./cif_symmetry.ts";
import { REPORT_SYMPREC, symprecFlag } from "./generate.ts";
import type { Crystal } from "../crystal/crystal.ts";
import { formatFromPath, type FormatName, FORMATS, isFormatName } from "../crystal/formats.ts";
import { isDatasetName, loadDataset, type Split, SPLITS } from "../data/datasets.ts";

function pickFormat(flag: unknown, path: string | undefined, role: "input" | "output"): FormatName {
  if (typeof flag === "string") {
    if (!isFormatName(flag)) {
      throw new UsageError(
        `Unknown ${role} format "${flag}": expected one of ${Object.keys(FORMATS).join(", ")}`,
      );
    }
    return flag;
  }
  const guess = path ? formatFromPath(path) : undefined;
  if (!guess) {
    const what = path && path !== "-" ? `from the name "${path}"` : "for standard input/output";
    throw new UsageError(
      `Cannot tell the ${role} format ${what}: give --${role === "input" ? "from" : "to"}`,
    );
  }
  return guess;
}

/** Reads an input file, naming it in the error when it is missing. */
async function readInputFile(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new Deno.errors.NotFound(`Cannot read "${path}": no such file`);
    }
    throw e;
  }
}

/** Crystals named by a `dataset:NAME:SPLIT` argument. */
async function readDatasetArg(spec: string, limit: number | undefined): Promise<Crystal[]> {
  const [, name, split] = spec.split(":");
  if (!name || !isDatasetName(name) || !SPLITS.includes(split as Split)) {
    throw new UsageError(
      `Invalid dataset "${spec}": expected dataset:NAME:SPLIT with NAME perov_5, carbon_24 or mp_20 and SPLIT train, val or test`,
    );
  }
  const bar = new Progress(`reading ${name}/${split}`);
  const ds = await loadDataset(name, split as Split, { limit, onProgress: (n) => bar.set(n) });
  bar.set(ds.entries.length);
  bar.finish();
  return ds.entries.map((e) => e.crystal);
}

/** A file name for crystal `i` of a batch written into a folder. */
function fileNameFor(c: Crystal, i: number, width: number, ext: string): string {
  const safe = (c.name ?? "").replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^[._]+/, "").slice(0, 80);
  return `${String(i).padStart(width, "0")}${safe ? `_${safe}` : ""}.${ext}`;
}

/** Says how many crystals `--cif-symmetry` had to write as P1. */
function p1Note(fallbacks: number): string {
  return fallbacks ? ` (${counted(fallbacks, "crystal")} as P1: no space group found)` : "";
}

export const convert: Command = {
  name: "convert",
  summary: "Convert crystals between CIF, POSCAR, extended XYZ and pymatgen JSON",
  usage: "INPUT [OUTPUT]",
  description: [
    "INPUT is a file, '-' for standard input, or dataset:NAME:SPLIT (e.g. dataset:perov_5:test).",
    "OUTPUT is a file, or a folder (existing, or ending in '/') that gets one file per crystal",
    "(CIF unless --to says otherwise); without OUTPUT the result goes to standard output.",
    "Formats follow the file names unless --from/--to say otherwise: cif, poscar (POSCAR, CONTCAR,",
    "*.vasp), extxyz (*.xyz, *.extxyz), json (pymatgen Structure.as_dict(), one object or a list).",
  ].join("\n"),
  options: {
    from: { type: "string", value: "FORMAT", description: "Input format: cif, poscar, extxyz or json" },
    to: { type: "string", value: "FORMAT", description: "Output format: cif, poscar, extxyz or json" },
    limit: { type: "string", value: "N", description: "Convert at most N crystals" },
    download: DOWNLOAD_OPTION,
    "cif-symmetry": CIF_SYMMETRY_OPTION,
    symprec: {
      type: "string",
      value: "Å",
      default: String(REPORT_SYMPREC),
      description: "Distance tolerance of the space groups of --cif-symmetry",
    },
  },
  async run(args) {
    const [input, output, ...extra] = args.positionals;
    if (!input) throw new UsageError("Missing INPUT");
    if (extra.length > 0) throw new UsageError(`Unexpected arguments: ${extra.join(" ")}`);
    const limit = intFlag(args, "limit", { min: 1 });

    // Settle the output format before reading anything, so a usage error costs no work.
    const toFolder = output !== undefined && (output.endsWith("/") || await isDirectory(output));
    const to = toFolder && args.values.to === undefined
      ? "cif"
      : pickFormat(args.values.to, output, "output");
    const fmt = FORMATS[to];
    const symprec = cifSymmetryFlag(args, to) ? symprecFlag(args) : undefined;
    let crystals: Crystal[];
    if (input.startsWith("dataset:")) {
      await ensureDatasetInput(input, args);
      crystals = await readDatasetArg(input, limit);
    } else {
      const from = pickFormat(args.values.from, input === "-" ? undefined : input, "input");
      const text = input === "-" ? await readStdinText() : await readInputFile(input);
      crystals = FORMATS[from].read(text, { name: input === "-" ? "<stdin>" : input });
      if (limit !== undefined) crystals = crystals.slice(0, limit);
    }
    if (crystals.length === 0) throw new RangeError(`No crystals found in "${input}"`);

    if (!toFolder) {
      if (crystals.length > 1 && !fmt.multi) {
        throw new UsageError(
          `${to} holds one crystal but "${input}" has ${crystals.length}: give a folder as OUTPUT`,
        );
      }
      const { text, fallbacks } = crystalsText(crystals, to, symprec);
      if (output === undefined) await Deno.stdout.write(new TextEncoder().encode(text));
      else await writeTextAtomic(output, text);
      console.error(`Wrote ${counted(crystals.length, "crystal")} as ${to}${p1Note(fallbacks)}`);
      return 0;
    }
    await Deno.mkdir(output, { recursive: true });
    const width = String(crystals.length - 1).length;
    const bar = new Progress(`writing ${to}`, crystals.length);
    let p1 = 0;
    for (let i = 0; i < crystals.length; i++) {
      const { text, fallbacks } = crystalsText([crystals[i]], to, symprec);
      p1 += fallbacks;
      await writeTextAtomic(
        `${output.replace(/\/+$/, "")}/${fileNameFor(crystals[i], i, width, fmt.extension)}`,
        text,
      );
      bar.tick();
    }
    bar.finish(`→ ${output}${p1Note(p1)}`);
    return 0;
  },
};
