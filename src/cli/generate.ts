/**
 * `generate`: samples crystals from a trained model with annealed Langevin dynamics and writes
 * one file per crystal plus `summary.json`.
 *
 * @module
 */

import { type Command, counted, intFlag, seedFlag, UsageError } from "./command.ts";
import { checkOutputDir, PendingOutputDir } from "./output_dir.ts";
import { writeTextAtomic } from "./_io.ts";
import { renderPath } from "./render.ts";
import { CIF_SYMMETRY_OPTION, cifSymmetryFlag, crystalsText } from "./cif_symmetry.ts";
import { progressCallback } from "./progress.ts";
import { parseShard } from "./shard.ts";
import { getBackend } from "../compute/backend.ts";
import { formula } from "../crystal/crystal.ts";
import { FORMATS, isFormatName } from "../crystal/formats.ts";
import { latticeParameters } from "../crystal/lattice.ts";
import { spaceGroupNumberMany, spaceGroupSymbol } from "../core/symmetry.ts";
import { structureValidity } from "../eval/validity.ts";
import { densityOrNaN } from "../eval/metrics.ts";
import { CDVAE } from "../model/cdvae.ts";
import { type GeneratedCrystal, residentLoopOn } from "../model/sampler.ts";
import type { SamplerStats } from "../model/host_dynamics.ts";
import {
  isScheduleName,
  parseStepsByLevel,
  SAMPLING_SCHEDULES,
  type SamplingSchedule,
  type SamplingScheduleName,
} from "../model/schedules.ts";

/** The schedule of `generate` and `reconstruct` without `--schedule`. */
export const DEFAULT_SCHEDULE: SamplingScheduleName = "paper";

type BackendName = "webgpu" | "wasm" | "reference";

/** Distance tolerance (Å) of the space groups in summary.json unless `--symprec` says otherwise. */
export const REPORT_SYMPREC = 0.1;

/** The `--symprec` option of the commands that report space groups. */
export const SYMPREC_OPTION: Command["options"][string] = {
  type: "string",
  value: "Å",
  default: String(REPORT_SYMPREC),
  description: "Distance tolerance of the space group reported for each crystal in summary.json (and of " +
    "the CIFs' groups with --cif-symmetry)",
};

/** Reads `--symprec` (a positive number). */
export function symprecFlag(args: Parameters<Command["run"]>[0]): number {
  const symprec = Number(args.values.symprec ?? REPORT_SYMPREC);
  if (!(symprec > 0 && Number.isFinite(symprec))) {
    throw new UsageError(`--symprec must be a positive number of Å, got "${args.values.symprec}"`);
  }
  return symprec;
}

/**
 * The space group of a crystal for a report: number and Hermann–Mauguin symbol, or `null` when the
 * search fails (a generated crystal may have overlapping atoms or a degenerate cell).
 */
export function reportSpaceGroup(
  c: GeneratedCrystal,
  symprec: number,
): { number: number; symbol: string } | null {
  try {
    const [number] = spaceGroupNumberMany([c], { symprec });
    return { number, symbol: spaceGroupSymbol(number) };
  } catch {
    return null;
  }
}

/** One row of `summary.json`. */
export function describeCrystal(
  c: GeneratedCrystal,
  file: string,
  symprec: number = REPORT_SYMPREC,
): Record<string, unknown> {
  const v = structureValidity(c);
  const p = latticeParameters(c.lattice);
  const rho = densityOrNaN(c);
  const round = (x: number, d = 4) => Number.isFinite(x) ? +x.toFixed(d) : null;
  return {
    file,
    formula: formula(c.numbers),
    atoms: c.numbers.length,
    lattice: {
      a: round(p.a),
      b: round(p.b),
      c: round(p.c),
      alpha: round(p.alpha, 2),
      beta: round(p.beta, 2),
      gamma: round(p.gamma, 2),
    },
    density: round(rho),
    minDistance: round(v.minDistance),
    structurallyValid: v.valid,
    spaceGroup: reportSpaceGroup(c, symprec),
    ...(v.reason ? { invalidBecause: v.reason } : {}),
    ...(c.problem ? { problem: c.problem } : {}),
  };
}

/** Parses a backend flag. */
export async function backendFromFlag(flag: unknown): Promise<Awaited<ReturnType<typeof getBackend>>> {
  if (flag === undefined) return await getBackend();
  if (!["webgpu", "wasm", "reference"].includes(String(flag))) {
    throw new UsageError(`Unknown backend "${flag}": expected webgpu, wasm or reference`);
  }
  return await getBackend({ prefer: flag as BackendName });
}

/** Reads `--format` (one of {@linkcode FORMATS}). */
export function formatFlag(args: Parameters<Command["run"]>[0]): string {
  const format = String(args.values.format);
  if (!isFormatName(format)) {
    throw new UsageError(`Unknown format "${format}": expected one of ${Object.keys(FORMATS).join(", ")}`);
  }
  return format;
}

/** What {@linkcode langevinFlags} reads: the schedule's knobs plus the loop. */
export type LangevinFlags =
  & Required<Pick<SamplingSchedule, "levels" | "stepsPerLevel" | "stepRule">>
  & Omit<SamplingSchedule, "levels" | "stepsPerLevel" | "stepRule">
  & {
    schedule: SamplingScheduleName;
    stepLr: number;
    minSigma: number;
    resident?: boolean;
  };

/** A positive number flag, or undefined when absent. */
function positiveFlag(args: Parameters<Command["run"]>[0], name: string): number | undefined {
  const raw = args.values[name];
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (!(v > 0 && Number.isFinite(v))) {
    throw new UsageError(`--${name} must be a positive number, got "${raw}"`);
  }
  return v;
}

/**
 * The steps of each level: `--level-steps`, else the schedule's own unless `--steps` or `--levels`
 * replace its shape (then every level has the same steps).
 */
function stepsByLevelFlag(
  args: Parameters<Command["run"]>[0],
  sched: SamplingSchedule,
  steps: number | undefined,
  levels: number | undefined,
): readonly number[] | undefined {
  const spec = args.values["level-steps"];
  if (spec === undefined) return steps === undefined && levels === undefined ? sched.stepsByLevel : undefined;
  if (steps !== undefined) {
    throw new UsageError("--level-steps and --steps both set the steps per level: give one of them");
  }
  let byLevel: number[];
  try {
    byLevel = parseStepsByLevel(String(spec));
  } catch (e) {
    throw new UsageError(`--level-steps: ${(e as Error).message}`);
  }
  if (levels !== undefined && levels !== byLevel.length) {
    throw new UsageError(`--levels ${levels} but --level-steps "${spec}" has ${byLevel.length} levels`);
  }
  return byLevel;
}

/**
 * Parses the Langevin flags shared by `generate` and `reconstruct`: the named `--schedule` (default
 * {@linkcode DEFAULT_SCHEDULE}), each of whose knobs an explicit flag overrides.
 */
export function langevinFlags(args: Parameters<Command["run"]>[0]): LangevinFlags {
  const loop = String(args.values.loop ?? "auto");
  if (!["auto", "host", "resident"].includes(loop)) {
    throw new UsageError(`--loop must be auto, host or resident, got "${loop}"`);
  }
  const name = String(args.values.schedule ?? DEFAULT_SCHEDULE);
  if (!isScheduleName(name)) {
    throw new UsageError(
      `Unknown --schedule "${name}": expected one of ${Object.keys(SAMPLING_SCHEDULES).join(", ")}`,
    );
  }
  const sched: SamplingSchedule = SAMPLING_SCHEDULES[name];
  const stepLr = Number(args.values["step-lr"]), minSigma = Number(args.values["min-sigma"]);
  if (!(stepLr > 0)) {
    throw new UsageError(`--step-lr must be a positive number, got "${args.values["step-lr"]}"`);
  }
  if (!(minSigma >= 0)) throw new UsageError(`--min-sigma must be ≥ 0, got "${args.values["min-sigma"]}"`);
  const rule = String(args.values["step-rule"] ?? sched.stepRule ?? "reference");
  if (rule !== "reference" && rule !== "matched") {
    throw new UsageError(`--step-rule must be reference or matched, got "${rule}"`);
  }
  const snr = positiveFlag(args, "snr") ?? sched.snr, settle = positiveFlag(args, "settle") ?? sched.settle;
  const noiseScale = positiveFlag(args, "noise-scale") ?? sched.noiseScale;
  const steps = intFlag(args, "steps", { min: 1 }), levels = intFlag(args, "levels", { min: 1, max: 1000 });
  const stepsByLevel = stepsByLevelFlag(args, sched, steps, levels);
  if (stepsByLevel && rule === "matched") {
    throw new UsageError(
      "--step-rule matched needs the same steps at every level: drop --level-steps or the rule",
    );
  }
  return {
    schedule: name,
    stepsPerLevel: steps ?? sched.stepsPerLevel,
    levels: stepsByLevel?.length ?? levels ?? sched.levels,
    ...(stepsByLevel ? { stepsByLevel } : {}),
    stepRule: rule,
    stepLr,
    minSigma,
    ...(args.values.denoise || sched.denoise ? { denoise: true } : {}),
    ...(args.values.predictor || sched.predictor ? { predictor: true } : {}),
    ...(snr !== undefined ? { snr } : {}),
    ...(noiseScale !== undefined ? { noiseScale } : {}),
    ...(settle !== undefined ? { settle } : {}),
    ...(loop === "auto" ? {} : { resident: loop === "resident" }),
  };
}

/** Options shared by `generate` and `reconstruct`. */
export const SAMPLING_OPTIONS: Command["options"] = {
  model: {
    type: "string",
    value: "NAME|DIR|URL",
    default: "default",
    description: "A shipped model (perov_5, mp_20, carbon_24), a model folder or URL; default is perov_5",
  },
  format: {
    type: "string",
    value: "NAME",
    default: "cif",
    description: "Output format: cif, poscar, extxyz or json",
  },
  seed: { type: "string", value: "N", default: "0", description: "Seed of the latents and the dynamics" },
  schedule: {
    type: "string",
    value: "NAME",
    default: DEFAULT_SCHEDULE,
    description: "Sampling schedule: paper (50 levels × 100 steps), fast (50 × 9 + a final denoising step, " +
      "Langevin noise × 0.7071: 451 decoder calls) or short (20 × 10); the flags below override its parts",
  },
  steps: {
    type: "string",
    value: "N",
    description: "Langevin steps per noise level (default: the schedule's)",
  },
  levels: {
    type: "string",
    value: "N",
    description:
      "Noise levels used, evenly spaced from σ = 10 to 0.01 (default: the schedule's); more than " +
      "the model's 50 are spaced geometrically between them",
  },
  "level-steps": {
    type: "string",
    value: "SPEC",
    description: "Steps of each level instead of --steps and --levels, as runs LEVELSxSTEPS from the " +
      "first level on: 40x5,10x30 is 40 levels of 5 steps, then 10 of 30",
  },
  "step-rule": {
    type: "string",
    value: "NAME",
    description: "reference (ε·(σ/σ_L)²) or matched (ε re-derived for the levels' spacing and steps)",
  },
  denoise: { type: "boolean", description: "End with a denoising step x + σ²·score at the last level" },
  predictor: { type: "boolean", description: "A reverse-diffusion predictor step before each level" },
  snr: { type: "string", value: "R", description: "Langevin step sizes from the score's norm (host loop)" },
  "noise-scale": {
    type: "string",
    value: "F",
    description: "Factor on the Langevin steps' noise (default 1; 0.707 re-noises each step at σ, not √2·σ)",
  },
  settle: {
    type: "string",
    value: "Å",
    description: "End a level once no atom's denoised position moves more than this in a step (host loop)",
  },
  "step-lr": { type: "string", value: "X", default: "0.0001", description: "Langevin step size ε" },
  "min-sigma": { type: "string", value: "X", default: "0", description: "Skip noise levels below this σ" },
  "batch-size": { type: "string", value: "N", default: "64", description: "Crystals per batch of dynamics" },
  loop: {
    type: "string",
    value: "NAME",
    default: "auto",
    description: "resident (state and graph stay on the device; auto on WebGPU) or host (auto on CPUs)",
  },
  backend: {
    type: "string",
    value: "NAME",
    description: "webgpu, wasm or reference (default: fastest here)",
  },
};

/** Most crystals one command samples: they are all kept in memory until written. */
export const MAX_CRYSTALS = 100_000;

/**
 * Writes crystals one file each plus summary.json into `outDir`, replacing an earlier output there
 * whole (see output_dir.ts); returns the number structurally valid.
 *
 * @param prefix File names `<prefix><index>`, or a function giving the name (without extension)
 * @param extra Fields of summary.json besides the crystals; a numeric `symprec` among them is the
 *   tolerance of the reported space groups (default {@linkcode REPORT_SYMPREC}), and
 *   `cifSymmetry: true` writes CIFs with their space group at that tolerance (P1 for a crystal whose
 *   group cannot be found; its row says `cifSymmetry: false`)
 * @param rowExtra Fields added to each crystal's row of summary.json
 * @param numbering With a string prefix: crystals[i] is number `first + i` of a run of `total`
 * (a shard), which sets its name and the zero padding (default: these crystals alone)
 */
export async function writeCrystals(
  crystals: GeneratedCrystal[],
  outDir: string,
  format: string,
  prefix: string | ((i: number) => string),
  extra: Record<string, unknown> = {},
  rowExtra?: (i: number) => Record<string, unknown>,
  numbering: { first: number; total: number } = { first: 0, total: crystals.length },
): Promise<number> {
  if (!isFormatName(format)) {
    throw new UsageError(`Unknown format "${format}": expected one of ${Object.keys(FORMATS).join(", ")}`);
  }
  const f = FORMATS[format];
  await using out = await PendingOutputDir.open(outDir, "summary.json");
  const rows: Record<string, unknown>[] = [];
  const symprec = typeof extra.symprec === "number" ? extra.symprec : REPORT_SYMPREC;
  const withSymmetry = extra.cifSymmetry === true && format === "cif";
  for (let i = 0; i < crystals.length; i++) {
    const k = numbering.first + i;
    const stem = typeof prefix === "string"
      ? `${prefix}${String(k).padStart(String(numbering.total - 1).length, "0")}`
      : prefix(i);
    const name = `${stem}.${f.extension}`;
    const c = { ...crystals[i], name: typeof prefix === "string" ? `${prefix}${k}` : stem };
    const { text, fallbacks } = crystalsText([c], format, withSymmetry ? symprec : undefined);
    await writeTextAtomic(`${out.dir}/${name}`, text);
    rows.push({
      ...describeCrystal(crystals[i], name, symprec),
      ...(withSymmetry ? { cifSymmetry: fallbacks === 0 } : {}),
      ...rowExtra?.(i),
    });
  }
  const valid = rows.filter((r) => r.structurallyValid).length;
  await writeTextAtomic(
    `${out.dir}/summary.json`,
    JSON.stringify({ ...extra, count: rows.length, structurallyValid: valid, crystals: rows }, null, 1) +
      "\n",
  );
  await out.commit();
  return valid;
}

export const generate: Command = {
  name: "generate",
  summary: "Sample new crystals from a trained model (annealed Langevin dynamics) and write them to files",
  usage: "",
  description: "Writes OUT/gen_000.cif … and OUT/summary.json (formula, atoms, lattice, density, minimum " +
    "distance, structural validity and space group of each crystal). Crystal k depends only on the model, the seed, " +
    "the schedule and k, so `--shard i/n` in n processes (each with its own --out) writes exactly the " +
    "files of one run with the same -n and --seed; `evaluate` takes the n folders as one set.",
  options: {
    n: { type: "string", short: "n", value: "N", default: "16", description: "Number of crystals" },
    out: { type: "string", value: "DIR", default: "generated", description: "Output folder" },
    symprec: SYMPREC_OPTION,
    "cif-symmetry": CIF_SYMMETRY_OPTION,
    shard: {
      type: "string",
      value: "I/K",
      description:
        "Make only shard I of K (I = 0 … K−1): crystals ⌊I·n/K⌋ … ⌊(I+1)·n/K⌋ − 1, named as in the whole run",
    },
    ...SAMPLING_OPTIONS,
    render: {
      type: "boolean",
      description: "Also draw every crystal file in OUT as an SVG (as `render OUT`)",
    },
  },
  async run(args) {
    const n = intFlag(args, "n", { min: 1 })!;
    const shard = parseShard(args.values.shard as string | undefined, n);
    const seed = seedFlag(args);
    const symprec = symprecFlag(args);
    if (shard.end - shard.first > MAX_CRYSTALS) {
      throw new UsageError(
        `-n ${n}${shard.count > 1 ? ` with --shard ${shard.index}/${shard.count}` : ""} makes ` +
          `${shard.end - shard.first} crystals in one process, more than the ${MAX_CRYSTALS} it can hold: ` +
          `split the run with --shard i/K, K ≥ ${Math.ceil(n / MAX_CRYSTALS)}`,
      );
    }
    const batchSize = intFlag(args, "batch-size", { min: 1 })!;
    const format = formatFlag(args);
    const cifSymmetry = cifSymmetryFlag(args, format);
    const lf = langevinFlags(args);
    await checkOutputDir(String(args.values.out), "summary.json");
    const backend = await backendFromFlag(args.values.backend);
    const model = await CDVAE.load(String(args.values.model), { backend });
    const t0 = performance.now();
    try {
      const stats: SamplerStats = { decoderCalls: 0 };
      const crystals = await model.generate({
        n: shard.end - shard.first,
        firstIndex: shard.first,
        seed,
        batchSize,
        ...lf,
        stats,
        onStep: progressCallback("generate (Langevin steps)"),
      });
      const outDir = String(args.values.out);
      const valid = await writeCrystals(
        crystals,
        outDir,
        format,
        "gen_",
        {
          model: String(args.values.model),
          seed,
          symprec,
          ...(cifSymmetry ? { cifSymmetry } : {}),
          // Crystals first … end − 1 of a run of `total` (`evaluate` merges shards by these).
          shard,
          ...lf,
          backend: model.backend.name,
          loop: residentLoopOn(model.backend, lf.resident) ? "resident" : "host",
          // Summed over the batches of dynamics (a batch of crystals shares each call).
          decoderCalls: stats.decoderCalls,
          batches: Math.ceil((shard.end - shard.first) / batchSize),
          seconds: +((performance.now() - t0) / 1000).toFixed(1),
        },
        (i) => ({ index: shard.first + i }),
        shard,
      );
      if (args.values.render) {
        console.error(`Drew ${(await renderPath(outDir)).length} pictures in ${outDir}/`);
      }
      const part = shard.count > 1
        ? ` (shard ${shard.index}/${shard.count}: from index ${shard.first} of ${n})`
        : "";
      console.error(
        `Wrote ${counted(crystals.length, "crystal")}${part} to ${outDir}/ (${valid} structurally valid)`,
      );
      return 0;
    } finally {
      model.dispose();
    }
  },
};
