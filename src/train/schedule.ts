/**
 * Learning-rate schedule of the reference: PyTorch's `ReduceLROnPlateau` in "min" mode with its
 * default relative threshold 1e-4 and no cooldown (factor 0.6, patience 30, min 1e-4 in CDVAE).
 *
 * @module
 */

/** The schedule's state (JSON-safe, saved in checkpoints). */
export interface PlateauState {
  best: number;
  badEpochs: number;
}

/**
 * Multiplies the learning rate by `factor` when the monitored value has not improved by more
 * than `threshold` (relative) for more than `patience` epochs.
 *
 * @example Reduces after patience + 1 bad epochs
 * ```ts
 * import { ReduceLROnPlateau } from "./schedule.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const s = new ReduceLROnPlateau({ factor: 0.5, patience: 1, minLr: 0.1 });
 * let lr = 1;
 * for (const v of [3, 3, 3]) lr = s.step(v, lr);
 * assertEquals(lr, 0.5);
 * ```
 */
export class ReduceLROnPlateau {
  state: PlateauState = { best: Infinity, badEpochs: 0 };

  constructor(readonly opts: { factor: number; patience: number; minLr: number; threshold?: number }) {}

  /** Feeds one epoch's value; returns the learning rate to use next. */
  step(value: number, lr: number): number {
    const threshold = this.opts.threshold ?? 1e-4;
    if (value < this.state.best * (1 - threshold)) {
      this.state = { best: value, badEpochs: 0 };
      return lr;
    }
    this.state.badEpochs++;
    if (this.state.badEpochs > this.opts.patience) {
      this.state.badEpochs = 0;
      const next = Math.max(lr * this.opts.factor, this.opts.minLr);
      // PyTorch skips updates smaller than eps = 1e-8.
      return lr - next > 1e-8 ? next : lr;
    }
    return lr;
  }
}
