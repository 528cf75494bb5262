/**
 * An exponential moving average of a model's weights (`train --ema DECAY`): after every optimiser
 * step, ema ← d·ema + (1 − d)·w for every trainable parameter, starting from the weights the run
 * starts with. With warm-up (every new average) the n-th update (from 0) uses d = min(decay,
 * (1 + n)/(10 + n)), as TensorFlow's `ExponentialMovingAverage` with `num_updates`: a fixed 0.999
 * would keep ~e^(−steps/1000) of the random initial weights in the average, which is what made it
 * lose badly to the raw weights in short runs (bench/RESULTS.md, training recipes). The average
 * lives on the host in f32 (one pass over the weights per step: ~1 M values for the `small`
 * preset, a few ms against a step's ~0.4 s), so it is deterministic and saved and restored
 * exactly; {@linkcode WeightEma.model} is a second model that holds it for validation, the best
 * weights and sampling.
 *
 * @module
 */

import type { Backend } from "../compute/backend.ts";
import { CDVAE } from "../model/cdvae.ts";
import type { Tensor } from "../compute/tensor.ts";

/**
 * The moving average and the model that carries it.
 *
 * @example Decay 0.5 without warm-up halves the distance to the weights each step
 * ```ts ignore
 * const ema = await WeightEma.create(be, model, 0.5, undefined);
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
    /** Updates folded in so far; `undefined`: no warm-up (averages saved before it existed). */
    public updates: number | undefined,
  ) {
    this.values = values;
  }

  /** The decay the next update uses. */
  get currentDecay(): number {
    return this.updates === undefined
      ? this.decay
      : Math.min(this.decay, (1 + this.updates) / (10 + this.updates));
  }

  /**
   * Starts an average at the model's current weights.
   *
   * @param be Backend of the averaged model
   * @param source The trained model
   * @param decay In [0, 1)
   * @param updates Updates already folded in (0 for a new average, with warm-up), or `undefined` for
   *   a fixed decay without warm-up
   * @throws {RangeError} When the decay is outside [0, 1)
   */
  static async create(
    be: Backend,
    source: CDVAE,
    decay: number,
    updates: number | undefined,
  ): Promise<WeightEma> {
    if (!(decay >= 0 && decay < 1)) throw new RangeError(`EMA decay must be in [0, 1), got "${decay}"`);
    const values = await Promise.all(
      source.store.trainable().map(async (p) => (await p.read()).slice() as Float32Array),
    );
    return new WeightEma(source, new CDVAE(be, source.config, 0), decay, values, updates);
  }

  /** Folds the trained model's current weights into the average (call after each optimiser step). */
  async update(): Promise<void> {
    const d = this.currentDecay, params = this.source.store.trainable();
    for (let i = 0; i < params.length; i++) {
      const w = (await params[i].read()) as Float32Array, e = this.values[i];
      for (let k = 0; k < e.length; k++) e[k] = d * e[k] + (1 - d) * w[k];
    }
    if (this.updates !== undefined) this.updates++;
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
