/**
 * One annealed-Langevin update of every atom on the device (kernel `langevin_step`, registered
 * here with its reference `_cpu_sampler.ts` and `shaders/langevin.wgsl`): the step of a sampler
 * that keeps its state — coordinates, types, noise — on the device between steps.
 *
 * @module
 */

import type { Tensor } from "../../compute/tensor.ts";
import {
  checkIndex,
  defineKernel,
  expectRank,
  grid1d,
  launch,
  registerKernel,
} from "../../compute/kernels.ts";
import { langevinStep as langevinStepReference } from "./_cpu_sampler.ts";

// One invocation per atom; the wasm backend runs the reference (its sampler stays on the host).
registerKernel({
  ...defineKernel(
    "langevin_step",
    "langevin.wgsl",
    "langevin_step",
    "frac scores logits noise lattices inverses crystal types",
    "n t step:f32 noise_std:f32 inv_sigma:f32",
    langevinStepReference,
  ),
  wasmUsesReference: true,
});

/** The step's constants: ε = step size at this σ, noise √(2ε), and σ. */
export interface LangevinStepOptions {
  /** ε. */
  stepSize: number;
  /** Standard deviation of the added noise, √(2ε) in Algorithm 1. */
  noiseStd: number;
  /** σ of the level: the score is divided by it. */
  sigma: number;
}

/** The sampler's state on the device, updated in place by {@linkcode langevinStep}. */
export interface LangevinState {
  /** `[N, 3]` f32 fractional coordinates in [0, 1). */
  frac: Tensor;
  /** `[N]` u32 atom classes (Z − 1). */
  types: Tensor;
  /** `[B, 9]` f32 lattices (rows = vectors). */
  lattices: Tensor;
  /** `[B, 9]` f32 their inverses. */
  inverses: Tensor;
  /** `[N]` u32 crystal of each atom. */
  crystal: Tensor;
}

/**
 * x ← x + ε·score/σ + noiseStd·noise (Cartesian; a non-finite score component counts as 0), then
 * back to fractional coordinates wrapped into [0, 1); types ← argmax of the logits (first maximum).
 *
 * @param state Updated in place (`frac`, `types`)
 * @param scores `[N, 3]` the decoder's scores
 * @param logits `[N, T]` the decoder's type logits
 * @param noise `[N, 3]` standard normal draws
 * @param opts Step size, noise and σ
 * @throws {TypeError} When shapes disagree
 */
export function langevinStep(
  state: LangevinState,
  scores: Tensor,
  logits: Tensor,
  noise: Tensor,
  opts: LangevinStepOptions,
): void {
  const what = "take a Langevin step";
  [scores, logits].forEach((t) => expectRank(t, 2, what));
  [state.types, state.crystal].forEach((t) => checkIndex(t, what));
  const n = state.frac.shape[0];
  if (scores.size !== 3 * n || noise.size !== 3 * n || logits.shape[0] !== n || state.types.size !== n) {
    throw new TypeError(
      `Cannot ${what}: ${n} atoms but scores [${scores.shape}], logits [${logits.shape}], noise [${noise.shape}], ${state.types.size} types`,
    );
  }
  const bufs = [
    state.frac,
    scores,
    logits,
    noise,
    state.lattices,
    state.inverses,
    state.crystal,
    state.types,
  ];
  const params = {
    n,
    t: logits.shape[1],
    step: opts.stepSize,
    noise_std: opts.noiseStd,
    inv_sigma: 1 / opts.sigma,
  };
  launch(state.frac.backend, "langevin_step", bufs, params, grid1d(n));
}
