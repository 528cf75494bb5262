/**
 * Checkpoints of a training run, in one folder:
 * - `config.json`: the model config (with its fitted scalers);
 * - `last.safetensors`, `best.safetensors`: weights in PyTorch's layout (reference names);
 * - `last.optim.safetensors`: Adam's moments (`m.<param>`, `v.<param>`);
 * - `last.ema.safetensors`: the moving average of the weights, when the run keeps one (`--ema`);
 * - `state.json`: epoch, step, learning rate, schedule, host RNG state, best validation loss.
 *
 * Runs written before schedules and the EMA existed have neither `schedule` nor `emaDecay` in
 * `state.json`: they resume as the reference's plateau schedule without an average, as they ran.
 *
 * Every file is written to a temporary name and renamed, and `state.json` last, so a run killed
 * at any moment leaves the previous complete checkpoint readable.
 *
 * @module
 */

import type { Adam } from "../compute/adam.ts";
import { checkCDVAEConfig } from "../model/config_check.ts";
import type { CDVAE } from "../model/cdvae.ts";
import type { CDVAEConfig } from "../model/config.ts";
import {
  decodeSafetensors,
  encodeSafetensors,
  loadIntoStore,
  storeToSafetensors,
} from "../model/safetensors.ts";
import type { LrSchedule, PlateauState } from "./schedule.ts";
import type { WeightEma } from "./ema.ts";

/** What `state.json` holds. */
export interface TrainState {
  format: "cdvae-train-state/1";
  /** Epochs completed. */
  epoch: number;
  /** Optimiser steps taken. */
  step: number;
  /** The plateau schedule's current rate (the base the warm-up scales; unused by cosine). */
  lr: number;
  plateau: PlateauState;
  /** The learning-rate schedule (absent: the reference's plateau from `lr`, no warm-up). */
  schedule?: LrSchedule;
  /** Decay of the weights' moving average, when the run keeps one (`last.ema.safetensors`). */
  emaDecay?: number;
  /** Updates folded into the moving average (its warm-up position); absent in runs saved before the
   * warm-up existed, whose average continues with the fixed decay. */
  emaUpdates?: number;
  /** Host RNG state after the last completed epoch. */
  rng: number[];
  bestVal: number;
  bestEpoch: number;
  /** Seconds of training so far (all sessions). */
  seconds: number;
}

/** Writes bytes atomically (temp file beside the target, then rename). */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    if (typeof data === "string") await Deno.writeTextFile(tmp, data);
    else await Deno.writeFile(tmp, data);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

/** Saves weights (`<tag>.safetensors`) with the config's hash-free metadata. */
export async function saveWeights(
  dir: string,
  tag: string,
  model: CDVAE,
  meta: Record<string, string> = {},
): Promise<void> {
  await writeFileAtomic(`${dir}/${tag}.safetensors`, await storeToSafetensors(model.store, meta));
}

/** Saves the full resumable checkpoint: last weights, optimiser moments, the EMA's weights, state. */
export async function saveCheckpoint(
  dir: string,
  model: CDVAE,
  opt: Adam,
  state: TrainState,
  ema?: WeightEma,
): Promise<void> {
  await writeFileAtomic(`${dir}/config.json`, JSON.stringify(model.config, null, 1) + "\n");
  await saveWeights(dir, "last", model, { epoch: String(state.epoch) });
  if (ema) {
    await saveWeights(dir, "last.ema", ema.sync(), {
      epoch: String(state.epoch),
      ema_decay: String(ema.decay),
    });
  }
  const names = [...model.store.entries].filter(([, e]) => e.tensor.requiresGrad).map(([n]) => n);
  const { m, v } = opt.moments;
  const tensors: Record<string, { shape: readonly number[]; data: Float32Array }> = {};
  for (let i = 0; i < names.length; i++) {
    tensors[`m.${names[i]}`] = { shape: m[i].shape, data: (await m[i].read()) as Float32Array };
    tensors[`v.${names[i]}`] = { shape: v[i].shape, data: (await v[i].read()) as Float32Array };
  }
  await writeFileAtomic(`${dir}/last.optim.safetensors`, encodeSafetensors(tensors, { t: String(opt.t) }));
  await writeFileAtomic(`${dir}/state.json`, JSON.stringify(state, null, 1) + "\n");
}

/** Reads a run folder's config. */
export async function readConfig(dir: string): Promise<CDVAEConfig> {
  const path = `${dir}/config.json`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    throw new SyntaxError(`Cannot read config "${path}": ${e.message.slice(0, 200)}`);
  }
  return checkCDVAEConfig(parsed, path);
}

/** Loads weights into a model (strict: every parameter must be present). */
export async function loadWeights(path: string, model: CDVAE): Promise<void> {
  const { tensors } = decodeSafetensors(await Deno.readFile(path), path);
  loadIntoStore(model.store, tensors);
}

/** Restores the weights' moving average of a run that keeps one (`last.ema.safetensors`). */
export async function loadEmaWeights(dir: string, ema: WeightEma): Promise<void> {
  await loadWeights(`${dir}/last.ema.safetensors`, ema.model);
  await ema.readBack();
}

/** Restores last weights and optimiser moments; returns the saved state. */
export async function loadCheckpoint(dir: string, model: CDVAE, opt: Adam): Promise<TrainState> {
  const state = JSON.parse(await Deno.readTextFile(`${dir}/state.json`)) as TrainState;
  await loadWeights(`${dir}/last.safetensors`, model);
  const { tensors, metadata } = decodeSafetensors(
    await Deno.readFile(`${dir}/last.optim.safetensors`),
    `${dir}/last.optim.safetensors`,
  );
  const names = [...model.store.entries].filter(([, e]) => e.tensor.requiresGrad).map(([n]) => n);
  const { m, v } = opt.moments;
  names.forEach((n, i) => {
    for (const [key, t] of [[`m.${n}`, m[i]], [`v.${n}`, v[i]]] as const) {
      const h = tensors.get(key);
      if (!h || h.data.length !== t.size) throw new Error(`Checkpoint ${dir}: optimiser state lacks ${key}`);
      t.backend.write(t.buffer, Float32Array.from(h.data));
    }
  });
  opt.t = Number(metadata.t ?? state.step);
  opt.lr = state.lr;
  return state;
}
