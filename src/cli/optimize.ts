/**
 * `optimize`: the paper's property optimisation: gradient descent on latents against the model's
 * property head, decoding along the way, scored by an independent property model (SR5/SR10/SR15).
 *
 * @module
 */

import { type Command, counted, intFlag, seedFlag, UsageError } from "./command.ts";
import { DOWNLOAD_OPTION, ensureSplits } from "./datasets.ts";
import { checkOutputDir } from "./output_dir.ts";
import { progressCallback } from "./progress.ts";
import {
  backendFromFlag,
  formatFlag,
  langevinFlags,
  MAX_CRYSTALS,
  SAMPLING_OPTIONS,
  writeCrystals,
} from "./generate.ts";
import { loadPropertyModel, PROPERTY_MODEL_OPTION } from "./evaluate.ts";
import { type DatasetName, DATASETS, isDatasetName, loadDataset } from "../data/datasets.ts";
import { optimizationMetrics, SR_PERCENTILES } from "../eval/metrics.ts";
import { CDVAE } from "../model/cdvae.ts";
import { decodeSchedule, type OptimizationResult, optimizeLatents } from "../model/optimize.ts";
import type { PropertyModel } from "../model/property.ts";
import { levelPlan, priorLatents } from "../model/sampler.ts";

/** The paper's CDVAE success rates (Table 4: SR5, SR10, SR15). */
const PAPER_SR: Record<DatasetName, readonly [number, number, number]> = {
  perov_5: [0.52, 0.65, 0.79],
  carbon_24: [0, 0.06, 0.06],
  mp_20: [0.78, 0.86, 0.9],
};

const round = (x: number | null, d = 4) => (x !== null && Number.isFinite(x) ? +x.toFixed(d) : null);
const seconds = (s: number) =>
  s < 120 ? `${s.toFixed(0)} s` : s < 7200 ? `${(s / 60).toFixed(1)} min` : `${(s / 3600).toFixed(1)} h`;

/** Starting latents: the encoder's sampled z of the first test crystals, or the prior. */
async function startLatents(
  model: CDVAE,
  start: string,
  dataset: string,
  n: number,
  seed: number,
  batchSize: number,
): Promise<{ z: Float32Array; ids?: string[] }> {
  if (start === "random") return { z: priorLatents(n, model.config.latentDim, seed) };
  if (!isDatasetName(dataset)) {
    throw new UsageError(`--start data needs a dataset (perov_5, carbon_24, mp_20), got "${dataset}"`);
  }
  const ds = await loadDataset(dataset, "test", { limit: n });
  const z = new Float32Array(ds.entries.length * model.config.latentDim);
  for (let b = 0; b < ds.entries.length; b += batchSize) {
    const part = ds.entries.slice(b, b + batchSize).map((e) => e.crystal);
    z.set((await model.encode(part, seed + b)).z, b * model.config.latentDim);
  }
  return { z, ids: ds.entries.map((e) => e.id) };
}

export const optimize: Command = {
  name: "optimize",
  summary: "Optimise a property in latent space (the paper's third task) and report SR5/SR10/SR15",
  usage: "",
  description:
    "Adam on the latents of the first N test crystals (or of N prior draws) minimises the model's " +
    "property head; z is decoded with Langevin dynamics after step 0 and every --decode-every steps and after " +
    "the last (11 decodes for the reference's 5 000 steps). An independent property model scores the valid " +
    "decoded crystals; SR_p = share of starts whose best is ≤ the training set's p-th percentile. Writes " +
    "OUT/s<start>_step<step>.cif … and OUT/summary.json. The full schedule decodes 11 × N crystals with 50 × 100 " +
    "Langevin steps each (hours on a CPU): --levels and --steps shorten it.",
  options: {
    dataset: {
      type: "string",
      value: "NAME",
      description: `${
        Object.keys(DATASETS).join(", ")
      }: starting crystals and percentiles (default: the model's)`,
    },
    start: {
      type: "string",
      value: "data|random",
      default: "data",
      description: "Start from test crystals or N(0, I)",
    },
    n: { type: "string", short: "n", value: "N", default: "100", description: "Number of starting points" },
    "opt-steps": { type: "string", value: "N", default: "5000", description: "Adam steps on the latents" },
    lr: { type: "string", value: "X", default: "0.001", description: "Adam learning rate" },
    "decode-every": {
      type: "string",
      value: "N",
      description:
        "Decode when the step is a multiple of N, and after the last (default: opt-steps ÷ 9 = 555)",
    },
    "property-model": PROPERTY_MODEL_OPTION,
    out: { type: "string", value: "DIR", default: "optimized", description: "Output folder" },
    ...SAMPLING_OPTIONS,
    download: DOWNLOAD_OPTION,
  },
  async run(args) {
    const start = String(args.values.start);
    if (start !== "data" && start !== "random") {
      throw new UsageError(`--start must be data or random, got "${start}"`);
    }
    const n = intFlag(args, "n", { min: 1, max: MAX_CRYSTALS })!,
      steps = intFlag(args, "opt-steps", { min: 1 })!;
    const decodeEvery = intFlag(args, "decode-every", { min: 1 }) ?? Math.max(1, Math.floor(steps / 9));
    const lr = Number(args.values.lr);
    if (!(lr > 0)) throw new UsageError(`--lr must be a positive number, got "${args.values.lr}"`);
    const seed = seedFlag(args), batchSize = intFlag(args, "batch-size", { min: 1 })!;
    const lf = langevinFlags(args), format = formatFlag(args);
    await checkOutputDir(String(args.values.out), "summary.json");
    const backend = await backendFromFlag(args.values.backend);
    const model = await CDVAE.load(String(args.values.model), { backend });
    let propModel: PropertyModel | undefined;
    try {
      if (!model.fcProperty) {
        throw new Error(`The model ${args.values.model} has no property head (predictProperty is off)`);
      }
      const dataset = String(args.values.dataset ?? model.config.dataset), property = model.config.property;
      if (args.values.dataset !== undefined && !isDatasetName(dataset)) {
        throw new UsageError(
          `Unknown dataset "${dataset}": expected one of ${Object.keys(DATASETS).join(", ")}`,
        );
      }
      propModel = await loadPropertyModel(String(args.values["property-model"]), dataset);
      if (propModel && property && propModel.config.property !== property) {
        throw new UsageError(
          `The property model predicts ${propModel.config.property} but the model's head is ${property}`,
        );
      }
      const outDir = String(args.values.out);
      if (start === "data" && isDatasetName(dataset)) await ensureSplits(dataset, ["test"], args);
      const { z, ids } = await startLatents(model, start, dataset, n, seed, batchSize);
      const starts = z.length / model.config.latentDim, schedule = decodeSchedule(steps, decodeEvery);
      const { sigmas, steps: perLevel } = levelPlan(model.sigmas, lf);
      const langevinSteps = perLevel.reduce((t, k) => t + k, 0);
      console.error(
        `optimize: ${starts} starts (${
          start === "data" ? `${dataset} test` : "N(0, I)"
        }), ${steps} Adam steps, ` +
          `${schedule.length} decodes × ${starts} crystals × ${langevinSteps} Langevin steps (${sigmas.length} levels)`,
      );
      const t0 = performance.now();
      const run: OptimizationResult = await optimizeLatents(model, z, {
        steps,
        lr,
        decodeEvery,
        seed,
        batchSize,
        ...lf,
        onLangevinStep: progressCallback("optimize (Langevin steps of all decodes)"),
        onDecode: (_, k, count) => {
          if (k !== 0 || count === 1) return;
          const s = (performance.now() - t0) / 1000;
          console.error(
            `${Deno.stderr.isTerminal() ? "\n" : ""}first decode after ${seconds(s)}: about ${
              seconds(s * (count - 1))
            } to go`,
          );
        },
      });
      const { decodes } = run, scaler = model.config.scalers.property;
      const unit = (v: number) => scaler ? v * scaler.std[0] + scaler.mean[0] : v;
      const percentiles = isDatasetName(dataset) ? SR_PERCENTILES[dataset] : undefined;
      const scores = propModel
        ? await optimizationMetrics(
          decodes.map((d) => d.crystals),
          (cs) => propModel!.predict(cs),
          percentiles,
        )
        : undefined;
      const pad = (x: number, m: number) => String(x).padStart(String(m).length, "0");
      const flat = Array.from({ length: starts }, (_, j) => decodes.map((d) => d.crystals[j])).flat();
      const at = (i: number) => ({ j: Math.floor(i / decodes.length), k: i % decodes.length });
      const sr = scores?.successRates, stride = Math.ceil(steps / 500);
      await writeCrystals(
        flat,
        outDir,
        format,
        (i) => `s${pad(at(i).j, starts - 1)}_step${pad(decodes[at(i).k].step, steps - 1)}`,
        {
          task: "optimization",
          model: String(args.values.model),
          dataset,
          start,
          ids,
          property: property ?? null,
          adam: { steps, lr, betas: [0.9, 0.999], eps: 1e-8 },
          decodeSteps: schedule,
          seed,
          ...lf,
          propertyModel: propModel ? String(args.values["property-model"]) : null,
          successRates: sr ?? null,
          percentiles: percentiles ?? null,
          best: scores?.best.map((b) => round(b)) ?? null,
          meanHead: {
            every: stride,
            values: Array.from(run.meanHead.filter((_, i) => i % stride === 0), (v) => round(unit(v))),
          },
          seconds: +((performance.now() - t0) / 1000).toFixed(1),
        },
        (i) => {
          const { j, k } = at(i);
          return {
            start: j,
            step: decodes[k].step,
            head: round(unit(decodes[k].head[j])),
            headStandardised: round(decodes[k].head[j]),
            ...(scores ? { valid: scores.valid[k][j], predicted: round(scores.property[k][j]) } : {}),
          };
        },
      );
      const mean = (xs: ArrayLike<number>) => Array.from(xs).reduce((a, b) => a + b, 0) / xs.length;
      const name = property ?? "property";
      console.log(
        `${name} head (mean over starts): ${round(unit(run.meanHead[0]))} → ${
          round(unit(mean(decodes.at(-1)!.head)))
        } after ${steps} steps`,
      );
      if (scores) {
        const valid = scores.valid.flat().filter((v) => v).length;
        console.log(`valid decoded crystals: ${valid} / ${flat.length}`);
      }
      if (sr) {
        const paper = PAPER_SR[dataset as DatasetName];
        console.log(
          `SR5 ${sr.sr5.toFixed(2)}, SR10 ${sr.sr10.toFixed(2)}, SR15 ${
            sr.sr15.toFixed(2)
          } over ${starts} starts ` +
            `(CDVAE paper on ${dataset}: ${paper.join(" / ")})`,
        );
      } else console.log("no success rates: no property model or percentiles for this dataset");
      console.error(`Wrote ${counted(flat.length, "crystal")} and summary.json to ${outDir}/`);
      return 0;
    } finally {
      propModel?.dispose();
      model.dispose();
    }
  },
};
