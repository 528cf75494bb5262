/**
 * `train`: trains a CDVAE on a dataset with the project's trainer; resumable.
 *
 * @module
 */

import { type Command, intFlag, seedFlag, UsageError } from "./command.ts";
import { DOWNLOAD_OPTION, ensureSplits } from "./datasets.ts";
import { checkRunDir } from "./output_dir.ts";
import { Progress } from "./progress.ts";
import { backendFromFlag } from "./generate.ts";
import { DATASETS, isDatasetName } from "../data/datasets.ts";
import { isPresetName, PRESET_NAMES, PRESETS } from "../model/config.ts";
import { recentImprovement } from "../train/progress.ts";
import { BATCHES_PER_FACTOR } from "../train/fit_scales.ts";
import { readConfig } from "../train/checkpoint.ts";
import { trainPropertyModel } from "../train/property.ts";
import { type ScheduleKind, SCHEDULES } from "../train/schedule.ts";
import {
  loadCustomData,
  loadTrainingData,
  train as runTraining,
  type TrainingData,
} from "../train/trainer.ts";

/**
 * The dataset a session trains on: `--dataset` (default perov_5) for a new run; a resumed run's
 * own (its config.json), because its weights, scalers and schedule belong to that data — a
 * forgotten `--dataset` must not quietly continue an MP-20 run on Perov-5.
 */
export async function datasetToTrain(values: Record<string, unknown>): Promise<string> {
  const given = values.dataset as string | undefined;
  if (values.resume !== true || values.data !== undefined) return given ?? "perov_5";
  const out = String(values.out);
  let saved: string;
  try {
    saved = (await readConfig(out)).dataset;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return given ?? "perov_5"; // checkRunDir says what is missing
    throw e;
  }
  if (saved === "custom") {
    throw new UsageError(`--resume: "${out}" was trained on your own crystals: give the same --data again`);
  }
  if (given !== undefined && given !== saved) {
    throw new UsageError(
      `--resume: the run in "${out}" trains on ${saved}; --dataset ${given} would continue it on other data`,
    );
  }
  return saved;
}

export const train: Command = {
  name: "train",
  summary: "Train a CDVAE model on a dataset (resumable, with checkpoints, a CSV log and a loss curve)",
  usage: "",
  description:
    "Writes OUT/config.json, last.safetensors (+ optimiser state), best.safetensors, state.json, " +
    "log.csv and loss.svg after every epoch. Ctrl-C (or SIGTERM) stops after the current batch and keeps the last " +
    "complete epoch's checkpoint; --resume continues it exactly (schedule, warm-up and EMA included: with --ema, " +
    "last.ema.safetensors holds the average and best.safetensors is the average's best). Where a dataset has no train.csv, it trains " +
    "on val.csv and validates on a held-out 10 % of it (never on test.csv).",
  options: {
    dataset: {
      type: "string",
      value: "NAME",
      description: `One of ${
        Object.keys(DATASETS).join(", ")
      } (default: perov_5; with --resume, the run's own)`,
    },
    data: {
      type: "string",
      value: "CSV|DIR",
      description:
        "Train on your own crystals instead: a CSV with a cif column, or a folder of crystal files " +
        "(split 80/10/10 with --seed; the ids go to OUT/splits.json)",
    },
    property: {
      type: "string",
      value: "COLUMN",
      description: "With --data: a numeric CSV column to predict",
    },
    target: {
      type: "string",
      value: "WHAT",
      default: "cdvae",
      description:
        "cdvae (the generative model) or property (the independent property predictor the metrics use)",
    },
    preset: {
      type: "string",
      value: "NAME",
      default: "small",
      description: "Model size: small (2-core CPU), medium (between) or reference (the paper's)",
    },
    epochs: {
      type: "string",
      value: "N",
      default: "100",
      description: "Epochs to reach (a resumed run continues up to N)",
    },
    "encoder-graph": {
      type: "string",
      value: "KIND",
      description:
        "The encoder's graph: crystalnn (the reference's, default) or radius (the 20 nearest within 7 Å); " +
        "a new run's choice, kept in its config.json",
    },
    "batch-size": { type: "string", value: "N", default: "64", description: "Crystals per step" },
    out: { type: "string", value: "DIR", default: "runs/train", description: "Run folder" },
    resume: { type: "boolean", description: "Continue the run in --out from its last checkpoint" },
    seed: { type: "string", value: "N", default: "0", description: "Seed of initialisation and every draw" },
    lr: {
      type: "string",
      value: "X",
      description:
        "Adam learning rate, the schedule's peak (default: 0.001; with --resume, the run's current rate unless given)",
    },
    schedule: {
      type: "string",
      value: "KIND",
      description:
        "Learning-rate schedule: plateau (the reference's ReduceLROnPlateau, default), constant, or cosine " +
        "(from --lr down to --min-lr over the run's epochs); with --resume, the run's own unless given",
    },
    warmup: {
      type: "string",
      value: "STEPS",
      description: "Linear learning-rate warm-up over this many optimiser steps (default 0), any schedule",
    },
    "min-lr": {
      type: "string",
      value: "X",
      description: "Where the cosine schedule ends (default 0)",
    },
    ema: {
      type: "string",
      value: "DECAY",
      description:
        "Keep an exponential moving average of the weights (e.g. 0.999, warmed up as min(DECAY, (1 + n)/(10 + n)) " +
        "at update n), used for validation, the best weights and sampling; saved in the checkpoint (with --resume, the run's own unless given)",
    },
    "fit-scales": {
      type: "boolean",
      description:
        "Fit GemNet's scale factors to this model and data before the first epoch (GemNet's own procedure, " +
        `${BATCHES_PER_FACTOR} validation batches per factor) instead of the reference's; a new run only`,
    },
    limit: {
      type: "string",
      value: "N",
      description: "Use only the first N training crystals (and N validation)",
    },
    "val-every": {
      type: "string",
      value: "N",
      default: "1",
      description: "Validate and keep the best weights every N epochs",
    },
    backend: {
      type: "string",
      value: "NAME",
      description: "webgpu, wasm or reference (default: fastest here)",
    },
    download: DOWNLOAD_OPTION,
  },
  async run(args) {
    const dataset = await datasetToTrain(args.values);
    if (!isDatasetName(dataset)) {
      throw new UsageError(
        `Unknown dataset "${dataset}": expected one of ${Object.keys(DATASETS).join(", ")}`,
      );
    }
    const presetName = String(args.values.preset);
    if (args.values.target !== "cdvae" && args.values.target !== "property") {
      throw new UsageError(`Unknown --target "${args.values.target}": expected cdvae or property`);
    }
    if (!isPresetName(presetName)) {
      throw new UsageError(`Unknown preset "${presetName}": expected ${PRESET_NAMES.join(", ")}`);
    }
    const lr = args.values.lr === undefined ? undefined : Number(args.values.lr);
    if (lr !== undefined && !(lr > 0)) {
      throw new UsageError(`--lr must be a positive number, got "${args.values.lr}"`);
    }
    const schedule = args.values.schedule as string | undefined;
    if (schedule !== undefined && !(SCHEDULES as readonly string[]).includes(schedule)) {
      throw new UsageError(`Unknown --schedule "${schedule}": expected ${SCHEDULES.join(", ")}`);
    }
    const minLr = args.values["min-lr"] === undefined ? undefined : Number(args.values["min-lr"]);
    if (minLr !== undefined && !(minLr >= 0)) {
      throw new UsageError(`--min-lr must be a number ≥ 0, got "${args.values["min-lr"]}"`);
    }
    const ema = args.values.ema === undefined ? undefined : Number(args.values.ema);
    if (ema !== undefined && !(ema >= 0 && ema < 1)) {
      throw new UsageError(`--ema must be a decay in [0, 1), got "${args.values.ema}"`);
    }
    const encoderGraph = args.values["encoder-graph"] as string | undefined;
    if (encoderGraph !== undefined && encoderGraph !== "crystalnn" && encoderGraph !== "radius") {
      throw new UsageError(`Unknown --encoder-graph "${encoderGraph}": expected crystalnn or radius`);
    }
    if (encoderGraph !== undefined && args.values.resume === true) {
      throw new UsageError("--encoder-graph chooses a new run's graph; a resumed run keeps its own");
    }
    const fitScales = args.values["fit-scales"] === true;
    if (fitScales && args.values.resume === true) {
      throw new UsageError("--fit-scales fits a new run's scale factors; a resumed run keeps its own");
    }
    if (fitScales && args.values.target !== "cdvae") {
      throw new UsageError("--fit-scales applies to the cdvae target (the property model has no GemNet)");
    }
    const warmup = intFlag(args, "warmup", { min: 0 });
    const epochs = intFlag(args, "epochs", { min: 1 })!;
    const batchSize = intFlag(args, "batch-size", { min: 1 })!;
    const seed = seedFlag(args);
    const limit = intFlag(args, "limit", { min: 1 });
    const valEvery = intFlag(args, "val-every", { min: 1 })!;
    const outDir = String(args.values.out);
    const custom = args.values.data as string | undefined;
    const config = PRESETS[presetName](custom ? "mp_20" : dataset);
    if (encoderGraph) config.encoder = { ...config.encoder, graph: encoderGraph };
    await checkRunDir(outDir, args.values.resume === true);

    const backend = await backendFromFlag(args.values.backend);
    console.error(`Loading ${custom ?? dataset} …`);
    let data: TrainingData;
    if (custom) {
      const property = args.values.property as string | undefined;
      const d = await loadCustomData(custom, { property, seed });
      const all = [...d.train, ...d.val];
      Object.assign(config, {
        dataset: "custom",
        maxAtoms: Math.max(...all.map((r) => r.numbers.length)),
        predictProperty: property !== undefined,
        property,
      });
      if (limit) d.train = d.train.slice(0, limit);
      await Deno.mkdir(outDir, { recursive: true });
      if (args.values.resume !== true) {
        await Deno.writeTextFile(`${outDir}/splits.json`, JSON.stringify(d.splits, null, 1) + "\n");
      }
      data = d;
    } else {
      await ensureSplits(dataset, ["train", "val"], args);
      data = await loadTrainingData(dataset, { limit, property: config.property, seed });
    }
    if (data.train.length === 0) throw new Error(`No training crystals in ${custom ?? dataset}`);
    console.error(`Data: ${data.note}. Backend: ${backend.name}. Run folder: ${outDir}`);
    let stop = false;
    const onSigint = () => {
      if (stop) Deno.exit(130);
      stop = true;
      console.error(
        "\nStopping after this batch (Ctrl-C again to quit at once; the last complete epoch is kept) …",
      );
    };
    // SIGTERM too: background jobs started from a script ignore SIGINT, and schedulers send SIGTERM.
    const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
    for (const s of signals) Deno.addSignalListener(s, onSigint);
    let bar: Progress | undefined;
    // One progress bar per epoch, for either trainer.
    const epochBar = ({ epoch, batch, batches }: { epoch: number; batch: number; batches: number }) => {
      if (batch === 1) bar = new Progress(`epoch ${epoch}`, batches);
      bar!.set(batch);
    };
    try {
      if (args.values.target === "property") {
        if (!config.property) {
          throw new UsageError("--target property needs a property: give --property COLUMN with --data");
        }
        const r = await trainPropertyModel({
          backend,
          config: {
            format: "cdvae-property-config/1",
            dataset: config.dataset,
            property: config.property,
            encoder: { ...config.encoder },
            scaler: { mean: [0], std: [1] },
          },
          data,
          outDir,
          epochs,
          batchSize,
          seed,
          lr,
          onStep: epochBar,
          onEpoch: (row) => bar?.finish(`mse ${row.train_mse.toFixed(4)} val MAE ${row.val_mae.toFixed(4)}`),
          shouldStop: () => stop,
        });
        console.error(
          `Done: best validation MAE ${r.bestMae.toFixed(4)} at epoch ${r.bestEpoch}. Model: ${outDir}/`,
        );
        return stop ? 130 : 0;
      }
      if (fitScales) {
        console.error(`Fitting GemNet's scale factors (${BATCHES_PER_FACTOR} validation batches each) …`);
      }
      const summary = await runTraining({
        backend,
        config,
        data,
        outDir,
        epochs,
        batchSize,
        resume: args.values.resume === true,
        seed,
        lr,
        schedule: schedule as ScheduleKind | undefined,
        warmup,
        minLr,
        ema,
        fitScales,
        onScaleFactor: (key, value) => console.error(`scale factor ${key} = ${value.toPrecision(6)}`),
        valEvery,
        onStep: epochBar,
        onEpoch: (row) => {
          bar?.finish(
            `loss ${row.train_loss.toFixed(4)} val ${
              Number.isFinite(row.val_loss) ? row.val_loss.toFixed(4) : "-"
            }`,
          );
        },
        shouldStop: () => stop,
      });
      console.error(
        `${summary.stoppedEarly ? "Stopped" : "Done"}: ${summary.epochs} epochs, ${summary.steps} steps, ` +
          `best val ${summary.bestVal.toFixed(4)} at epoch ${summary.bestEpoch}, ${
            summary.seconds.toFixed(0)
          } s. ` +
          `Weights: ${outDir}/best.safetensors`,
      );
      const recent = recentImprovement(await Deno.readTextFile(`${outDir}/log.csv`));
      if (recent) {
        console.error(
          `Best validation ${recent.best.toFixed(4)} vs ${
            recent.bestBefore.toFixed(4)
          } ${recent.window} epochs ` +
            `earlier (${(100 * recent.change).toFixed(2)} %): ${
              recent.plateau ? "a plateau (under 1 %)" : "still improving"
            }`,
        );
      }
      return summary.stoppedEarly ? 130 : 0;
    } finally {
      for (const s of signals) Deno.removeSignalListener(s, onSigint);
    }
  },
};
