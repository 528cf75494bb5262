/**
 * `reconstruct`: encodes crystals and decodes them again with Langevin dynamics (the paper's
 * reconstruction task), writing the reconstructions and a summary.
 *
 * @module
 */

import { type Command, counted, intFlag, seedFlag, UsageError } from "./command.ts";
import { DOWNLOAD_OPTION, ensureDatasetInput } from "./datasets.ts";
import { checkOutputDir } from "./output_dir.ts";
import { progressCallback } from "./progress.ts";
import { CIF_SYMMETRY_OPTION, cifSymmetryFlag } from "./cif_symmetry.ts";
import {
  backendFromFlag,
  formatFlag,
  langevinFlags,
  SAMPLING_OPTIONS,
  SYMPREC_OPTION,
  symprecFlag,
  writeCrystals,
} from "./generate.ts";
import type { Crystal } from "../crystal/crystal.ts";
import { formatFromPath, FORMATS, readCrystalFolder } from "../crystal/formats.ts";
import { isDatasetName, loadDataset, type Split, SPLITS } from "../data/datasets.ts";
import { CDVAE } from "../model/cdvae.ts";
import { residentLoopOn } from "../model/sampler.ts";
import type { SamplerStats } from "../model/host_dynamics.ts";

/**
 * Reads `dataset:NAME:SPLIT`, a folder of crystal files or a crystal file: the crystals and their ids
 * (dataset material ids, file names, or indices within one file). `evaluate` reads the originals of a
 * reconstruction with it.
 */
export async function readCrystalInput(
  spec: string,
  limit: number | undefined,
): Promise<{ crystals: Crystal[]; ids: string[] }> {
  const m = /^dataset:([a-z0-9_]+):([a-z]+)$/.exec(spec);
  if (m) {
    if (!isDatasetName(m[1])) throw new UsageError(`Unknown dataset "${m[1]}"`);
    if (!SPLITS.includes(m[2] as Split)) {
      throw new UsageError(`Unknown split "${m[2]}": expected ${SPLITS.join(", ")}`);
    }
    const ds = await loadDataset(m[1], m[2] as Split, { limit });
    return { crystals: ds.entries.map((e) => e.crystal), ids: ds.entries.map((e) => e.id) };
  }
  if ((await Deno.stat(spec).catch(() => undefined))?.isDirectory) {
    const { crystals, ids } = await readCrystalFolder(spec, "reconstruct");
    return { crystals: crystals.slice(0, limit), ids: ids.slice(0, limit) };
  }
  const fmt = formatFromPath(spec);
  if (!fmt) throw new UsageError(`Cannot tell the format of "${spec}" from its name`);
  let text: string;
  try {
    text = await Deno.readTextFile(spec);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new Error(`Cannot read "${spec}": no such file`);
    throw e;
  }
  const crystals = FORMATS[fmt].read(text, { name: spec }).slice(0, limit);
  return { crystals, ids: crystals.map((c, i) => c.name ?? String(i)) };
}

export const reconstruct: Command = {
  name: "reconstruct",
  summary: "Encode crystals and decode them again (the paper's reconstruction task)",
  usage: "--input FILE|FOLDER|dataset:NAME:SPLIT",
  description: "Writes OUT/rec_000.cif … and OUT/summary.json; the input ids are recorded in the summary.",
  options: {
    input: {
      type: "string",
      value: "SPEC",
      description: "A crystal file (CIF, POSCAR, extxyz, JSON), a folder of them, or dataset:NAME:SPLIT",
    },
    limit: { type: "string", value: "N", description: "Reconstruct only the first N crystals" },
    "force-num-atoms": {
      type: "boolean",
      description:
        "Give the dynamics each original's atom count instead of the predicted one (the reference's option)",
    },
    "force-atom-types": {
      type: "boolean",
      description:
        "Give the dynamics each original's atoms and keep them: only the lattice and the positions are reconstructed " +
        "(the reference's option; implies --force-num-atoms; host loop)",
    },
    out: { type: "string", value: "DIR", default: "reconstructed", description: "Output folder" },
    symprec: SYMPREC_OPTION,
    "cif-symmetry": CIF_SYMMETRY_OPTION,
    ...SAMPLING_OPTIONS,
    download: DOWNLOAD_OPTION,
  },
  async run(args) {
    if (typeof args.values.input !== "string") throw new UsageError("--input is required");
    const symprec = symprecFlag(args);
    const cifSymmetry = cifSymmetryFlag(args, formatFlag(args));
    const limit = intFlag(args, "limit", { min: 1 });
    const seed = seedFlag(args);
    const batchSize = intFlag(args, "batch-size", { min: 1 })!;
    const lf = langevinFlags(args);
    const forceAtomTypes = args.values["force-atom-types"] === true;
    const forceNumAtoms = forceAtomTypes || args.values["force-num-atoms"] === true;
    if (forceAtomTypes && lf.resident === true) {
      throw new UsageError("--force-atom-types runs on the host loop: leave out --loop resident");
    }
    // Kept atoms run on the host loop, also where the resident one is the default.
    if (forceAtomTypes) lf.resident = false;
    await checkOutputDir(String(args.values.out), "summary.json");
    await ensureDatasetInput(args.values.input, args);
    const { crystals, ids } = await readCrystalInput(args.values.input, limit);
    if (crystals.length === 0) throw new Error(`No crystals in ${args.values.input}`);
    const backend = await backendFromFlag(args.values.backend);
    const model = await CDVAE.load(String(args.values.model), { backend });
    try {
      const stats: SamplerStats = { decoderCalls: 0 };
      const t0 = performance.now();
      const out = await model.reconstruct(crystals, {
        seed,
        batchSize,
        ...lf,
        forceNumAtoms,
        forceAtomTypes,
        stats,
        onStep: progressCallback("reconstruct (Langevin steps)"),
      });
      const outDir = String(args.values.out);
      const valid = await writeCrystals(out, outDir, String(args.values.format), "rec_", {
        // A path is recorded absolute, so `evaluate` finds the originals from any folder.
        input: args.values.input.startsWith("dataset:")
          ? args.values.input
          : await Deno.realPath(args.values.input),
        ids,
        seed,
        symprec,
        ...(cifSymmetry ? { cifSymmetry } : {}),
        ...lf,
        ...(forceNumAtoms ? { forceNumAtoms } : {}),
        ...(forceAtomTypes ? { forceAtomTypes } : {}),
        backend: model.backend.name,
        loop: residentLoopOn(model.backend, lf.resident) ? "resident" : "host",
        decoderCalls: stats.decoderCalls,
        batches: Math.ceil(crystals.length / batchSize),
        seconds: +((performance.now() - t0) / 1000).toFixed(1),
      });
      console.error(
        `Wrote ${counted(out.length, "reconstruction")} to ${outDir}/ (${valid} structurally valid)`,
      );
      return 0;
    } finally {
      model.dispose();
    }
  },
};
