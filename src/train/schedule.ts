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

/** The learning-rate schedules `train --schedule` offers. */
export const SCHEDULES = ["constant", "plateau", "cosine"] as const;
/** One of {@linkcode SCHEDULES}. */
export type ScheduleKind = typeof SCHEDULES[number];

/**
 * A run's learning-rate schedule (JSON-safe, saved in `state.json`, so a resumed run follows the
 * same curve). `plateau` is the reference's (ReduceLROnPlateau on the validation loss, from
 * `peak`); `constant` keeps `peak`; `cosine` falls from `peak` to `minLr` along half a cosine over
 * the steps after the warm-up, up to `totalSteps` (the run's `--epochs`), and stays at `minLr` after. Every kind
 * starts with a linear warm-up over `warmup` optimiser steps (step s of the warm-up, from 0, uses
 * (s + 1)/warmup of the rate); 0 = none.
 */
export interface LrSchedule {
  kind: ScheduleKind;
  /** The rate reached after the warm-up (Adam's lr; the plateau schedule's starting rate). */
  peak: number;
  /** Warm-up length in optimiser steps (0: none). */
  warmup: number;
  /** Where the cosine ends. */
  minLr: number;
  /** Steps the cosine spans from `start`, warm-up included: up to the epochs to reach of the
   * current session (`train --epochs`), set again on every resume. */
  totalSteps: number;
  /** The run's step count when this schedule started (0, unless it was switched on resume). */
  start: number;
}

/**
 * The rate of optimiser step `step` (0-based: the number of steps taken before it).
 *
 * @param s The schedule
 * @param step Steps already taken under this schedule (the run's steps less `s.start`)
 * @param base The plateau schedule's current rate (`constant` and `cosine` ignore it)
 * @returns The learning rate
 *
 * @example Warm-up then cosine
 * ```ts
 * import { scheduledLr } from "./schedule.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const s = { kind: "cosine" as const, peak: 2, warmup: 2, minLr: 0, totalSteps: 6, start: 0 };
 * assertEquals([0, 1, 2, 4, 6, 9].map((t) => scheduledLr(s, t, 2)), [1, 2, 2, 1, 0, 0]);
 * ```
 */
export function scheduledLr(s: LrSchedule, step: number, base: number): number {
  if (step < s.warmup) return (s.kind === "plateau" ? base : s.peak) * (step + 1) / s.warmup;
  if (s.kind === "plateau") return base;
  if (s.kind === "constant") return s.peak;
  const span = Math.max(1, s.totalSteps - s.warmup);
  const t = Math.min(1, (step - s.warmup) / span);
  const lr = s.minLr + 0.5 * (s.peak - s.minLr) * (1 + Math.cos(Math.PI * t));
  // cos(π) is −1 only to rounding: end exactly at the floor.
  return t >= 1 ? s.minLr : lr;
}
