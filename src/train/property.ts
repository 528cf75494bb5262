/**
 * Training of the property predictor (`train --target property`): Adam on the MSE of the
 * standardised property, ReduceLROnPlateau on the validation MAE, the best weights kept as
 * `weights.safetensors` beside `config.json`, and a CSV log. Not resumable (runs are short).
 *
 * @module
 */

import { Adam } from "../compute/adam.ts";
import type { Backend } from "../compute/backend.ts";
import { mse } from "../compute/functional.ts";
import { HostRng } from "../compute/host_rng.ts";
import { Tape, zeroGrad } from "../compute/tape.ts";
import { REFERENCE_OPTIMIZER } from "./reference.ts";
import { Tensor } from "../compute/tensor.ts";
import { type CrystalRecord, fitScaler } from "../data/preprocess.ts";
import { encoderGraph, packHost } from "../model/graphs.ts";
import { PropertyModel, type PropertyModelConfig } from "../model/property.ts";
import { storeToSafetensors } from "../model/safetensors.ts";
import { writeFileAtomic } from "./checkpoint.ts";
import { ReduceLROnPlateau } from "./schedule.ts";
import { type TrainingData, yieldToEventLoop } from "./trainer.ts";

/** Options of {@linkcode trainPropertyModel}. */
export interface PropertyTrainOptions {
  /** Where to train. */
  backend: Backend;
  /** Config; its scaler is refitted on the training records. */
  config: PropertyModelConfig;
  /** Training and validation records. */
  data: TrainingData;
  /** Folder of the run (created). */
  outDir: string;
  /** Epochs to train. */
  epochs: number;
  /** Crystals per optimiser step. */
  batchSize: number;
  /** Seed of the initial weights and the batch order (default 0). */
  seed?: number;
  /** Adam learning rate. */
  lr?: number;
  /** Called after every epoch with its log row. */
  onEpoch?: (row: { epoch: number; train_mse: number; val_mae: number; seconds: number }) => void;
  /** Called after every optimiser step. */
  onStep?: (info: { epoch: number; batch: number; batches: number }) => void;
  /** Polled between steps; when true, the run stops after the current epoch. */
  shouldStop?: () => boolean;
}

/** Mean absolute error of the model's predictions, in the property's units. */
export async function propertyMae(
  model: PropertyModel,
  records: readonly CrystalRecord[],
  batchSize: number,
): Promise<number> {
  let err = 0;
  for (let b = 0; b < records.length; b += batchSize) {
    const recs = records.slice(b, b + batchSize);
    const pred = await model.predict(
      recs.map((r) => ({ lattice: r.lattice, frac: r.frac, numbers: r.numbers })),
      batchSize,
    );
    recs.forEach((r, i) => err += Math.abs(pred[i] - r.property));
  }
  return err / records.length;
}

/**
 * Trains a property model.
 *
 * @returns The best validation MAE and its epoch
 * @throws {Error} When the records carry no property values
 *
 * @example One epoch of a tiny property model
 * ```ts
 * import { getBackend } from "../compute/backend.ts";
 * import { tinyConfig, tinyRecords } from "../../tests/model/_tiny.ts";
 * import { assert } from "../../tests/_assert.ts";
 * const outDir = await Deno.makeTempDir();
 * const records = tinyRecords();
 * const result = await trainPropertyModel({
 *   backend: await getBackend({ prefer: "reference" }),
 *   config: {
 *     format: "cdvae-property-config/1",
 *     dataset: "custom",
 *     property: "heat_ref",
 *     encoder: tinyConfig().encoder,
 *     scaler: { mean: [0], std: [1] },
 *   },
 *   data: { train: records, val: records, note: "two hand-made crystals" },
 *   outDir,
 *   epochs: 1,
 *   batchSize: 2,
 * });
 * assert(Number.isFinite(result.bestMae));
 * await Deno.remove(outDir, { recursive: true });
 * ```
 */
export async function trainPropertyModel(
  opts: PropertyTrainOptions,
): Promise<{ bestMae: number; bestEpoch: number; epochs: number }> {
  const { data, outDir } = opts;
  if (data.train.some((r) => !Number.isFinite(r.property))) {
    throw new Error(
      `Cannot train a property model: some training crystals have no "${opts.config.property}" value`,
    );
  }
  await Deno.mkdir(outDir, { recursive: true });
  const config: PropertyModelConfig = {
    ...opts.config,
    scaler: fitScaler(data.train.map((r) => [r.property])),
  };
  await writeFileAtomic(`${outDir}/config.json`, JSON.stringify(config, null, 1) + "\n");
  await writeFileAtomic(`${outDir}/log.csv`, "epoch,seconds,train_mse,val_mae,lr\n");
  const model = new PropertyModel(opts.backend, config, opts.seed ?? 0);
  const params = model.store.trainable();
  const opt = new Adam(params, { lr: opts.lr ?? REFERENCE_OPTIMIZER.lr });
  const plateau = new ReduceLROnPlateau({ factor: 0.6, patience: 10, minLr: 1e-4 });
  const rng = new HostRng(opts.seed ?? 0);
  const { mean, std } = config.scaler;
  let best = Infinity, bestEpoch = 0, epoch = 0, seconds = 0;
  try {
    for (epoch = 1; epoch <= opts.epochs; epoch++) {
      const t0 = performance.now();
      const order = rng.shuffle(data.train.map((_, i) => i));
      const batches = Math.ceil(order.length / opts.batchSize);
      let sum = 0;
      for (let b = 0; b < batches; b++) {
        const recs = order.slice(b * opts.batchSize, (b + 1) * opts.batchSize).map((i) => data.train[i]);
        const host = packHost(recs.map((r) => ({ lattice: r.lattice, frac: r.frac, numbers: r.numbers })));
        const g = encoderGraph(host, config.encoder);
        const tape = new Tape();
        try {
          const loss = tape.record(() => {
            const y = Tensor.from(
              opts.backend,
              Float32Array.from(recs, (r) => (r.property - mean[0]) / std[0]),
              [recs.length, 1],
            );
            return mse(model.forwardGraph(g), y);
          });
          tape.backward(loss);
          opt.step();
          sum += (await loss.item()) * recs.length;
        } finally {
          tape.dispose();
          zeroGrad(params);
        }
        opts.onStep?.({ epoch, batch: b + 1, batches });
        await yieldToEventLoop();
        if (opts.shouldStop?.()) break;
      }
      const mae = await propertyMae(model, data.val, opts.batchSize);
      opt.lr = plateau.step(mae, opt.lr);
      if (mae < best) {
        [best, bestEpoch] = [mae, epoch];
        await writeFileAtomic(
          `${outDir}/weights.safetensors`,
          await storeToSafetensors(model.store, { epoch: String(epoch), val_mae: String(mae) }),
        );
      }
      seconds += (performance.now() - t0) / 1000;
      const row = { epoch, train_mse: sum / data.train.length, val_mae: mae, seconds };
      await Deno.writeTextFile(
        `${outDir}/log.csv`,
        `${epoch},${seconds.toFixed(1)},${row.train_mse.toPrecision(6)},${mae.toPrecision(6)},${opt.lr}\n`,
        { append: true },
      );
      opts.onEpoch?.(row);
      if (opts.shouldStop?.()) break;
    }
  } finally {
    opt.dispose();
    model.dispose();
  }
  return { bestMae: best, bestEpoch, epochs: Math.min(epoch, opts.epochs) };
}
