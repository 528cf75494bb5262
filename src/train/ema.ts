/**
 * An exponential moving average of a model's weights (`train --ema DECAY`): after every optimiser
 * step, ema ← decay·ema + (1 − decay)·w for every trainable parameter, starting from the weights
 * the run starts with (no bias correction). The average lives on the host in f32 (one pass over
 * the weights per step: ~1 M values for the `small` preset, a few ms against a step's ~0.4 s), so it
 * is deterministic and saved and restored exactly; {@linkcode WeightEma.model} is a second model
 * that holds it for validation, the best weights and sampling.
 *
 * @module
 */

import type { Backend } from "../compute/backend.ts";
import { CDVAE } from "../model/cdvae.ts";
import type { Tensor } from "../compute/tensor.ts";

/**
 * The moving average and the model that carries it.
 *
 * @example Decay 0.5 halves the distance to the weights each step
 * ```ts ignore
 * const ema = await WeightEma.create(be, model, 0.5);
 * // … opt.step() …
 * await ema.update(); // ema = (w0 + w1) / 2
 * ```
 */
export class WeightEma {
  /** The averaged weights, one host array per trainable parameter of the trained model. */
  readonly values: Float32Array[];
  #synced = false;

  private constructor(
    /** The trained model. */
    readonly source: CDVAE,
    /** A model of the same config whose trainable weights are set to the average on {@linkcode sync}. */
    readonly model: CDVAE,
    readonly decay: number,
    values: Float32Array[],
  ) {
    this.values = values;
  }

  /**
   * Starts an average at the model's current weights.
   *
   * @param be Backend of the averaged model
   * @param source The trained model
   * @param decay In [0, 1)
   * @throws {RangeError} When the decay is outside [0, 1)
   */
  static async create(be: Backend, source: CDVAE, decay: number): Promise<WeightEma> {
    if (!(decay >= 0 && decay < 1)) throw new RangeError(`EMA decay must be in [0, 1), got "${decay}"`);
    const values = await Promise.all(
      source.store.trainable().map(async (p) => (await p.read()).slice() as Float32Array),
    );
    return new WeightEma(source, new CDVAE(be, source.config, 0), decay, values);
  }

  /** Folds the trained model's current weights into the average (call after each optimiser step). */
  async update(): Promise<void> {
    const d = this.decay, params = this.source.store.trainable();
    for (let i = 0; i < params.length; i++) {
      const w = (await params[i].read()) as Float32Array, e = this.values[i];
      for (let k = 0; k < e.length; k++) e[k] = d * e[k] + (1 - d) * w[k];
    }
    this.#synced = false;
  }

  /** Writes the average into {@linkcode WeightEma.model} (before validating, saving or sampling with it). */
  sync(): CDVAE {
    if (!this.#synced) {
      const params = this.model.store.trainable();
      params.forEach((p: Tensor, i) => p.backend.write(p.buffer, this.values[i]));
      this.#synced = true;
    }
    return this.model;
  }

  /** Takes the average from {@linkcode WeightEma.model} (after loading saved weights into it). */
  async readBack(): Promise<void> {
    const params = this.model.store.trainable();
    for (let i = 0; i < params.length; i++) this.values[i].set((await params[i].read()) as Float32Array);
    this.#synced = true;
  }

  /** Frees the averaged model. */
  dispose(): void {
    this.model.dispose();
  }
}
