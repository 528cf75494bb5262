/**
 * The training loop of the reference, resumable: Adam (lr 1e-3, gradient clipping by value
 * 0.5; `REFERENCE_OPTIMIZER` in reference.ts), ReduceLROnPlateau on the validation loss (10·coord + type), validation every epoch,
 * best and last checkpoints, a CSV log and an SVG loss curve. All randomness is drawn from one
 * host generator whose state is saved each epoch, so `resume` continues exactly as an
 * uninterrupted run would.
 *
 * @module
 */

import { Adam } from "../compute/adam.ts";
import type { Backend } from "../compute/backend.ts";
import { HostRng } from "../compute/host_rng.ts";
import { Tape, TensorScope, zeroGrad } from "../compute/tape.ts";
import { REFERENCE_OPTIMIZER, REFERENCE_PLATEAU } from "./reference.ts";
import { type DatasetName, loadDataset, readDatasetCsv } from "../data/datasets.ts";
import type { Crystal } from "../crystal/crystal.ts";
import { readCrystalFolder } from "../crystal/formats.ts";
import { type CrystalRecord, fitModelScalers, preprocessCrystals } from "../data/preprocess.ts";
import { CDVAE } from "../model/cdvae.ts";
import type { CDVAEConfig } from "../model/config.ts";
import { cdvaeObjective, LOSS_TERMS, type LossTerm } from "../model/losses.ts";
import {
  loadCheckpoint,
  loadEmaWeights,
  readConfig,
  saveCheckpoint,
  saveWeights,
  type TrainState,
  writeFileAtomic,
} from "./checkpoint.ts";
import { lossCurveSvg } from "./plot.ts";
import { EncoderInputCache } from "./encoder_cache.ts";
import { makeBatch } from "./batch.ts";
import { fitScaleFactors } from "./fit_scales.ts";
import { type LrSchedule, ReduceLROnPlateau, scheduledLr, type ScheduleKind } from "./schedule.ts";
import { WeightEma } from "./ema.ts";

/** Training and validation records, and a sentence on where they came from. */
export interface TrainingData {
  /** Records to train on. */
  train: CrystalRecord[];
  /** Records to validate on. */
  val: CrystalRecord[];
  /** E.g. "train.csv (11356) / val.csv (3785)". */
  note: string;
}

/**
 * Loads a dataset's training and validation records. Where `train.csv` is missing, trains on
 * `val.csv` and validates on a held-out 10 % of it (seeded), never on `test.csv`.
 *
 * @param dataset Dataset name
 * @param opts Row limits and the seed of the held-out slice
 *
 * @example The first rows of Perov-5 (needs the dataset CSVs)
 * ```ts ignore
 * const data = await loadTrainingData("perov_5", { limit: 100 });
 * console.log(data.train.length, data.val.length, data.note);
 * ```
 */
export async function loadTrainingData(
  dataset: DatasetName,
  opts: { limit?: number; valLimit?: number; property?: string; seed?: number } = {},
): Promise<TrainingData> {
  const toRecords = (entries: Awaited<ReturnType<typeof loadDataset>>["entries"]) =>
    preprocessCrystals(
      entries.map((e) => e.crystal),
      entries.map((e) => e.id),
      opts.property ? entries.map((e) => e.props[opts.property!] ?? NaN) : undefined,
    );
  try {
    const train = await loadDataset(dataset, "train", { limit: opts.limit });
    const val = await loadDataset(dataset, "val", { limit: opts.valLimit ?? opts.limit });
    return {
      train: toRecords(train.entries),
      val: toRecords(val.entries),
      note: `train.csv (${train.entries.length}) / val.csv (${val.entries.length})`,
    };
  } catch (e) {
    if (!(e instanceof Error) || !/split "train"/.test(e.message)) throw e;
  }
  const all = await loadDataset(dataset, "val");
  const idx = new HostRng(opts.seed ?? 0).shuffle(all.entries.map((_, i) => i));
  const nVal = Math.max(1, Math.round(all.entries.length / 10));
  const valIdx = idx.slice(0, nVal).slice(0, opts.valLimit ?? opts.limit);
  const trainIdx = idx.slice(nVal).slice(0, opts.limit);
  return {
    train: toRecords(trainIdx.map((i) => all.entries[i])),
    val: toRecords(valIdx.map((i) => all.entries[i])),
    note: `train.csv is missing: training on ${trainIdx.length} rows of val.csv, validating on a held-out ` +
      `${valIdx.length} (10 %, seed ${opts.seed ?? 0}); test.csv is never used`,
  };
}

/** Options of {@linkcode loadCustomData}. */
export interface CustomDataOptions {
  /** Numeric CSV column to predict (CSV input only). */
  property?: string;
  /** Seed of the split. */
  seed?: number;
  /** Shares of validation and test crystals (default 0.1 each; the rest trains). */
  valShare?: number;
  /** Share of test crystals (default 0.1). */
  testShare?: number;
}

/** A user's crystals split for training, with the ids of each part (recorded in the run folder). */
export interface CustomData extends TrainingData {
  /** Ids of the crystals in each part. */
  splits: { train: string[]; val: string[]; test: string[] };
}

/**
 * A user's own crystals: a CDVAE-style CSV (a `cif` column, optional `material_id` and numeric
 * columns) or a folder of crystal files (CIF, POSCAR, extended XYZ, JSON), split at random with a
 * seed into train / validation / test parts (scalers are fitted on the train part only).
 *
 * @param path CSV file or folder
 * @param opts Property column, seed, split shares
 * @throws {Error} When the input holds no crystals, or too few to split
 *
 * @example Ten POSCARs split 8 / 1 / 1
 * ```ts
 * import { writePoscar } from "../crystal/poscar.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const dir = await Deno.makeTempDir();
 * for (let i = 0; i < 10; i++) {
 *   const a = 4 + i / 10;
 *   const lattice = new Float64Array([a, 0, 0, 0, a, 0, 0, 0, a]);
 *   const c = { lattice, frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0.5]), numbers: new Uint8Array([11, 17]) };
 *   await Deno.writeTextFile(`${dir}/NaCl_${i}.vasp`, writePoscar(c));
 * }
 * const data = await loadCustomData(dir, { seed: 1 });
 * assertEquals([data.train.length, data.val.length, data.splits.test.length], [8, 1, 1]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadCustomData(path: string, opts: CustomDataOptions = {}): Promise<CustomData> {
  const entries: { id: string; crystal: Crystal; prop: number }[] = [];
  const info = await Deno.stat(path).catch(() => undefined);
  if (!info) throw new Error(`Cannot read training data "${path}": no such file or folder`);
  if (info.isFile) {
    for await (const e of readDatasetCsv(path)) {
      entries.push({
        id: e.id,
        crystal: e.crystal,
        prop: opts.property ? e.props[opts.property] ?? NaN : NaN,
      });
    }
    if (opts.property && entries.some((e) => !Number.isFinite(e.prop))) {
      throw new Error(
        `Cannot train on "${path}": column "${opts.property}" is missing or not numeric in some rows`,
      );
    }
  } else {
    const folder = await readCrystalFolder(path, "train on");
    folder.crystals.forEach((crystal, i) => entries.push({ id: folder.ids[i], crystal, prop: NaN }));
  }
  if (entries.length < 3) {
    throw new Error(`Cannot train on "${path}": it holds ${entries.length} crystals, at least 3 are needed`);
  }
  const order = new HostRng(opts.seed ?? 0).shuffle(entries.map((_, i) => i));
  const nVal = Math.max(1, Math.round(entries.length * (opts.valShare ?? 0.1)));
  const nTest = Math.max(1, Math.round(entries.length * (opts.testShare ?? 0.1)));
  const part = (idx: number[]) => {
    const es = idx.map((i) => entries[i]);
    return preprocessCrystals(
      es.map((e) => e.crystal),
      es.map((e) => e.id),
      opts.property ? es.map((e) => e.prop) : undefined,
    );
  };
  const [val, test, train] = [
    order.slice(0, nVal),
    order.slice(nVal, nVal + nTest),
    order.slice(nVal + nTest),
  ];
  const ids = (idx: number[]) => idx.map((i) => entries[i].id);
  return {
    train: part(train),
    val: part(val),
    note:
      `${path}: ${entries.length} crystals split at random (seed ${
        opts.seed ?? 0
      }) into ${train.length} train / ` +
      `${val.length} validation / ${test.length} test (ids in splits.json)`,
    splits: { train: ids(train), val: ids(val), test: ids(test) },
  };
}

/** Options of {@linkcode train}. */
export interface TrainOptions {
  /** Where to train. */
  backend: Backend;
  /** Model config (its scalers are refitted on `data.train` for a fresh run). */
  config: CDVAEConfig;
  /** Training and validation records. */
  data: TrainingData;
  /** Folder of the run (created). */
  outDir: string;
  /** Total epochs to reach (a resumed run continues up to this). */
  epochs: number;
  /** Crystals per optimiser step. */
  batchSize: number;
  /** Continue from `outDir`'s last checkpoint. */
  resume?: boolean;
  /** Seed of the initial weights, the batch order and the noise (default 0). */
  seed?: number;
  /** Adam learning rate (default 1e-3): the schedule's peak. Given with `resume`, it replaces the
   * run's current rate and peak (e.g. to anneal a run whose budget ends before the plateau
   * schedule would act). */
  lr?: number;
  /** Learning-rate schedule (default `plateau`, the reference's). With `resume`: the run's saved
   * one unless given; a new kind given on resume starts (warm-up, cosine) from the current step. */
  schedule?: ScheduleKind;
  /** Linear warm-up over this many optimiser steps (default 0; with `resume`, the saved one). */
  warmup?: number;
  /** Where the cosine schedule ends (default 0). */
  minLr?: number;
  /** Keep an exponential moving average of the weights with this decay, and validate, keep the
   * best and sample with it. With `resume`: the run's saved decay unless given (given to a run
   * that kept none, the average starts at the resumed weights). */
  ema?: number;
  /** Fit GemNet's scale factors to this model and data before the first epoch (a new run only;
   * src/train/fit_scales.ts); the fitted values go with the weights and to `scale_factors.json`.
   * Default: the reference's factors. */
  fitScales?: boolean;
  /** Called with each fitted scale factor. */
  onScaleFactor?: (key: string, value: number) => void;
  /** Validate (and checkpoint) every this many epochs (default 1). */
  valEvery?: number;
  /** Called after every optimiser step. */
  onStep?: (info: { epoch: number; batch: number; batches: number; loss: number }) => void;
  /** Called after every epoch with its log row. */
  onEpoch?: (row: Record<string, number>) => void;
  /** Polled between steps; when true, the run stops after saving the last complete epoch. */
  shouldStop?: () => boolean;
}

/**
 * The schedule a session runs: a fresh run's from the options; a resumed run's saved one (runs
 * from before schedules existed: the reference's plateau, no warm-up), with the options given on
 * resume replacing its parts (a new kind or warm-up starts at the current step).
 */
function resolveSchedule(opts: TrainOptions, state: TrainState, batchesPerEpoch: number): LrSchedule {
  const saved = state.schedule ??
    { kind: "plateau", peak: state.lr, warmup: 0, minLr: 0, totalSteps: 0, start: 0 };
  const fresh = !opts.resume;
  const restart = fresh || (opts.schedule !== undefined && opts.schedule !== saved.kind) ||
    (opts.warmup !== undefined && opts.warmup !== saved.warmup);
  const start = fresh ? 0 : restart ? state.step : saved.start;
  return {
    kind: opts.schedule ?? saved.kind,
    peak: opts.lr ?? (fresh ? state.lr : saved.peak),
    warmup: opts.warmup ?? (fresh ? 0 : saved.warmup),
    minLr: opts.minLr ?? saved.minLr,
    // Up to this session's `epochs` (so a run resumed with the same target continues its curve
    // exactly, and a larger target stretches what is left of it).
    totalSteps: state.step - start + (opts.epochs - state.epoch) * batchesPerEpoch,
    start,
  };
}

/** What a run ended with. */
export interface TrainSummary {
  /** Epochs completed. */
  epochs: number;
  /** Optimiser steps taken. */
  steps: number;
  /** Lowest validation loss. */
  bestVal: number;
  /** Epoch of the lowest validation loss. */
  bestEpoch: number;
  /** Wall time of this session (s). */
  seconds: number;
  /** True when `shouldStop` ended the run before `epochs`. */
  stoppedEarly: boolean;
}

/**
 * Lets timers, signals and I/O callbacks run. The wasm backend's reads resolve as microtasks, so a
 * training loop would otherwise hold the event loop for a whole epoch: a SIGINT/SIGTERM listener
 * (the `train` command's graceful stop) would only fire at the epoch's checkpoint writes.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

const CSV_COLUMNS = ["epoch", "step", "lr", "seconds", "train_loss", ...LOSS_TERMS, "val_loss"];

/**
 * Trains a CDVAE, writing checkpoints, `log.csv` and `loss.svg` to `outDir`.
 *
 * @param opts Data, config, schedule
 * @returns The run's summary
 *
 * @example One epoch of a tiny model
 * ```ts
 * import { getBackend } from "../compute/backend.ts";
 * import { tinyConfig, tinyRecords } from "../../tests/model/_tiny.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const outDir = await Deno.makeTempDir();
 * const records = tinyRecords();
 * const summary = await train({
 *   backend: await getBackend({ prefer: "reference" }),
 *   config: tinyConfig(),
 *   data: { train: records, val: records, note: "two hand-made crystals" },
 *   outDir,
 *   epochs: 1,
 *   batchSize: 2,
 * });
 * assertEquals([summary.epochs, summary.steps], [1, 1]);
 * await Deno.remove(outDir, { recursive: true });
 * ```
 */
export async function train(opts: TrainOptions): Promise<TrainSummary> {
  const { outDir, data } = opts;
  await Deno.mkdir(outDir, { recursive: true });
  let config = opts.config;
  if (opts.resume) config = await readConfig(outDir);
  else config = { ...config, scalers: fitModelScalers(data.train) };
  if (!config.predictProperty) delete config.scalers.property;
  const model = new CDVAE(opts.backend, config, opts.seed ?? 0);
  const params = model.store.trainable();
  const { gradientClipValue, ...adam } = REFERENCE_OPTIMIZER;
  const opt = new Adam(params, { ...adam, lr: opts.lr ?? adam.lr, clip: gradientClipValue });
  const plateau = new ReduceLROnPlateau({ ...REFERENCE_PLATEAU });
  const batchesPerEpoch = Math.ceil(data.train.length / opts.batchSize);
  let state: TrainState = {
    format: "cdvae-train-state/1",
    epoch: 0,
    step: 0,
    lr: opt.lr,
    plateau: plateau.state,
    rng: new HostRng(opts.seed ?? 0).state(),
    bestVal: Infinity,
    bestEpoch: 0,
    seconds: 0,
  };
  let ema: WeightEma | undefined;
  if (opts.resume) {
    state = await loadCheckpoint(outDir, model, opt);
    plateau.state = state.plateau;
    if (opts.lr !== undefined) opt.lr = state.lr = opts.lr;
    const decay = opts.ema ?? state.emaDecay;
    if (decay !== undefined) {
      const resumed = state.emaDecay !== undefined;
      ema = await WeightEma.create(opts.backend, model, decay, resumed ? state.emaUpdates : 0);
      if (resumed) await loadEmaWeights(outDir, ema);
    }
  } else {
    if (opts.fitScales) {
      // Its own noise stream, so that the run's batches and draws are those of an unfitted run.
      const fitted = await fitScaleFactors(model, data.val, {
        batchSize: opts.batchSize,
        seed: (opts.seed ?? 0) + 1,
        onFactor: opts.onScaleFactor,
      });
      await writeFileAtomic(`${outDir}/scale_factors.json`, JSON.stringify(fitted, null, 1) + "\n");
    }
    if (opts.ema !== undefined) ema = await WeightEma.create(opts.backend, model, opts.ema, 0);
    await writeFileAtomic(`${outDir}/log.csv`, CSV_COLUMNS.join(",") + "\n");
    await writeFileAtomic(`${outDir}/data.txt`, data.note + "\n");
  }
  state.schedule = resolveSchedule(opts, state, batchesPerEpoch);
  if (ema) state.emaDecay = ema.decay;
  const schedule = state.schedule;
  const rng = HostRng.fromState(state.rng);
  // The encoder's inputs of each crystal, built in its first epoch and reused after.
  const trainCache = new EncoderInputCache(model), valCache = new EncoderInputCache(model);
  const valEvery = opts.valEvery ?? 1;
  let stopped = false;
  try {
    while (state.epoch < opts.epochs && !stopped) {
      const t0 = performance.now();
      const epoch = state.epoch + 1;
      const teacherForcing = epoch <= config.teacherForcingMaxEpoch;
      const order = rng.shuffle(data.train.map((_, i) => i));
      const batches = Math.ceil(order.length / opts.batchSize);
      const sums = Object.fromEntries([...LOSS_TERMS, "loss"].map((k) => [k, 0])) as Record<
        LossTerm | "loss",
        number
      >;
      let seen = 0;
      for (let b = 0; b < batches; b++) {
        const recs = order.slice(b * opts.batchSize, (b + 1) * opts.batchSize).map((i) => data.train[i]);
        const batch = makeBatch(model, recs, trainCache);
        const tape = new Tape();
        try {
          const r = await cdvaeObjective(model, batch, tape, { teacherForcing, rng });
          tape.backward(r.total);
          opt.lr = scheduledLr(schedule, state.step - schedule.start, state.lr);
          opt.step();
          await ema?.update();
          const loss = await r.total.item();
          if (!Number.isFinite(loss)) {
            throw new Error(
              `Training diverged at epoch ${epoch}, batch ${b + 1}: loss ${loss}. The last complete epoch ` +
                `(${state.epoch}) is kept in ${outDir}: continue it with --resume and a lower --lr`,
            );
          }
          for (const k of LOSS_TERMS) sums[k] += (await r.terms[k].item()) * recs.length;
          sums.loss += loss * recs.length;
          seen += recs.length;
          state.step++;
          opts.onStep?.({ epoch, batch: b + 1, batches, loss });
        } finally {
          tape.dispose();
          zeroGrad(params);
        }
        await yieldToEventLoop();
        if (opts.shouldStop?.()) {
          stopped = true;
          break;
        }
      }
      if (stopped) break; // the epoch is incomplete: keep the last complete checkpoint
      const row: Record<string, number> = { epoch, step: state.step, lr: opt.lr };
      for (const k of [...LOSS_TERMS, "loss"] as const) row[k === "loss" ? "train_loss" : k] = sums[k] / seen;
      let val = NaN;
      if (epoch % valEvery === 0 || epoch === opts.epochs) {
        // The same draws every epoch, so validation losses compare across epochs (the reference redraws them).
        const evalModel = ema ? ema.sync() : model;
        val = await validate(evalModel, data.val, opts.batchSize, new HostRng(0x7a11d), valCache);
        if (schedule.kind === "plateau") state.lr = plateau.step(val, state.lr);
        if (val < state.bestVal) {
          state.bestVal = val;
          state.bestEpoch = epoch;
          await saveWeights(outDir, "best", evalModel, { epoch: String(epoch), val_loss: String(val) });
        }
      }
      state.seconds += (performance.now() - t0) / 1000;
      row.seconds = state.seconds;
      row.val_loss = val;
      state = { ...state, epoch, plateau: plateau.state, rng: rng.state() };
      if (ema?.updates !== undefined) state.emaUpdates = ema.updates;
      await saveCheckpoint(outDir, model, opt, state, ema);
      await appendLog(outDir, row);
      opts.onEpoch?.(row);
    }
  } finally {
    opt.dispose();
    ema?.dispose();
    model.dispose();
  }
  return {
    epochs: state.epoch,
    steps: state.step,
    bestVal: state.bestVal,
    bestEpoch: state.bestEpoch,
    seconds: state.seconds,
    stoppedEarly: stopped,
  };
}

/**
 * The reference's validation loss (10·coord + type, decoder on the predicted lattice), averaged
 * over crystals, with its own generator so validation never disturbs the training stream.
 * `cache` keeps the encoder's inputs of each crystal between calls.
 */
export async function validate(
  model: CDVAE,
  records: readonly CrystalRecord[],
  batchSize: number,
  rng: HostRng,
  cache?: EncoderInputCache,
): Promise<number> {
  let total = 0;
  for (let b = 0; b < records.length; b += batchSize) {
    const recs = records.slice(b, b + batchSize);
    // No tape: nothing is differentiated, so the forward keeps no pre-activations or nodes.
    const scope = new TensorScope();
    try {
      const r = await cdvaeObjective(model, makeBatch(model, recs, cache), {
        record: (f) => scope.run(f),
      }, { teacherForcing: false, rng });
      total += (await r.validation.item()) * recs.length;
    } finally {
      scope.dispose();
    }
  }
  return total / records.length;
}

async function appendLog(dir: string, row: Record<string, number>): Promise<void> {
  const line = CSV_COLUMNS.map((k) => (Number.isFinite(row[k]) ? String(+row[k].toPrecision(7)) : "")).join(
    ",",
  );
  await Deno.writeTextFile(`${dir}/log.csv`, line + "\n", { append: true });
  const rows = (await Deno.readTextFile(`${dir}/log.csv`)).trim().split("\n").slice(1).map((l) =>
    l.split(",").map(Number)
  );
  const col = (name: string) => CSV_COLUMNS.indexOf(name);
  const svg = lossCurveSvg([
    { name: "train loss", points: rows.map((r) => [r[col("epoch")], r[col("train_loss")]]) },
    { name: "val loss (10·coord + type)", points: rows.map((r) => [r[col("epoch")], r[col("val_loss")]]) },
  ]);
  await writeFileAtomic(`${dir}/loss.svg`, svg);
}
