/**
 * The reference trainer's settings, named once with their source: CDVAE's `conf/optim/default.yaml`
 * and `conf/train/default.yaml` (cdvae-reference-details.md §3, item 8; cdvae-reference-audit.md
 * decision 4). The training loops take their defaults from here.
 *
 * @module
 */

/**
 * The reference's optimiser: Adam (lr 1e-3; betas 0.9/0.999, eps 1e-8 and no weight decay, which
 * are also `Adam`'s defaults here) with gradients clipped by value at 0.5
 * (`gradient_clip_val: 0.5`, `gradient_clip_algorithm: value`).
 */
export const REFERENCE_OPTIMIZER: Readonly<{
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  gradientClipValue: number;
}> = Object.freeze({
  lr: 1e-3,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0,
  gradientClipValue: 0.5,
});

/**
 * The reference's learning-rate schedule: `ReduceLROnPlateau(factor=0.6, patience=30,
 * min_lr=1e-4)` on the validation loss, stepped once per epoch (PyTorch's relative threshold 1e-4
 * and no cooldown are `ReduceLROnPlateau`'s defaults here).
 */
export const REFERENCE_PLATEAU: Readonly<{ factor: number; patience: number; minLr: number }> = Object
  .freeze({ factor: 0.6, patience: 30, minLr: 1e-4 });

/** The reference validates every 5 epochs (`check_val_every_n_epoch`, `logging.val_check_interval`). */
export const REFERENCE_VALIDATE_EVERY = 5;
