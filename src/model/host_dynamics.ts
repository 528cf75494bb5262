/**
 * The sampler's host loop, over any score function: annealed Langevin steps in f64 on the host
 * with the host RNG, plus the schedule options (predictor steps between levels, step sizes from
 * the score's norm, early exit of a level, a final denoising step). `sampler.ts` runs it with the
 * decoder as the score; the tests run it with toy scores whose answers are known.
 *
 * @module
 */

import type { HostRng } from "../compute/host_rng.ts";
import { fracToCart, inverse3, wrapFrac } from "../crystal/lattice.ts";

/** The sampler's host-side state: atoms of crystal b at atomOffsets[b]..atomOffsets[b + 1]. */
export interface HostState {
  atomOffsets: Uint32Array;
  lattices: Float64Array;
  numbers: Uint8Array;
  frac: Float64Array;
}

/** What the score function returns at σ: the decoder's `[N·3]` output (score = out/σ) and
 * optionally `[N·T]` type logits. */
export interface ScoreOutput {
  scores: ArrayLike<number>;
  logits?: ArrayLike<number>;
}

/** The decoder (or a toy) at the current state and noise level σ. */
export type ScoreFn = (state: HostState, sigma: number) => Promise<ScoreOutput>;

/** The plan of one run: levels, steps, step sizes and options (see `schedules.ts`). */
export interface DynamicsPlan {
  sigmas: number[];
  /** Langevin steps of every level, or of each level in turn (one count per σ). */
  steps: number | readonly number[];
  /** Base step ε: the step at σ is ε·(σ/σ_L)². */
  stepLr: number;
  /** σ_L of the step rule (the model's last level). */
  sigmaLast: number;
  predictor?: boolean;
  snr?: number;
  /** Factor on the Langevin steps' noise √(2·step) (default 1). */
  noiseScale?: number;
  settle?: number;
  denoise?: boolean;
}

/** Counters a caller can pass to see what a run did. */
export interface SamplerStats {
  /** Decoder (score function) calls, added to across runs. */
  decoderCalls: number;
}

/** Callbacks and counters of a run. */
export interface DynamicsHooks {
  onStep?: (done: number, total: number) => void;
  trajectory?: { frac: Float64Array; numbers: Uint8Array }[];
  stats?: SamplerStats;
}

/** Step size ε·(σ/σ_L)² and noise √(2·step)·noiseScale of a level under the plan's base step. */
export function levelStep(plan: DynamicsPlan, sigma: number): { stepSize: number; noiseStd: number } {
  const stepSize = plan.stepLr * (sigma / plan.sigmaLast) ** 2;
  return { stepSize, noiseStd: Math.sqrt(2 * stepSize) * (plan.noiseScale ?? 1) };
}

/** Langevin steps of the plan's level `level` (an index into its σ). */
export function stepsAt(plan: DynamicsPlan, level: number): number {
  return typeof plan.steps === "number" ? plan.steps : plan.steps[level];
}

/** Score calls of a plan without early exit (the progress total). */
export function plannedCalls(plan: DynamicsPlan): number {
  const levels = plan.sigmas.length;
  let steps = 0;
  for (let l = 0; l < levels; l++) steps += stepsAt(plan, l);
  return steps + (plan.predictor ? levels - 1 : 0) + (plan.denoise ? 1 : 0);
}

/**
 * The step size of the score-norm rule (Song et al. 2021, Langevin corrector): ε = 2·(r·‖z‖/‖s‖)²
 * for noise z and score s of one crystal, capped at σ² (a full denoising step); the level's own
 * step where the score is zero or not finite.
 *
 * @example Twice the squared ratio of the norms
 * ```ts
 * import { snrStepSize } from "./host_dynamics.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * assertEquals(snrStepSize(0.5, 2, 4, 1, 0.1), 2 * (0.5 * 2 / 4) ** 2);
 * ```
 */
export function snrStepSize(
  snr: number,
  noiseNorm: number,
  scoreNorm: number,
  sigma: number,
  fallback: number,
): number {
  const eps = 2 * (snr * noiseNorm / scoreNorm) ** 2;
  return Number.isFinite(eps) && scoreNorm > 0 ? Math.min(eps, sigma * sigma) : fallback;
}

/**
 * Largest distance (Å, minimum image) between two sets of fractional coordinates of the same
 * atoms, in their crystals' cells.
 */
export function maxMoved(st: HostState, a: Float64Array, b: Float64Array): number {
  let worst = 0;
  for (let c = 0; c + 1 < st.atomOffsets.length; c++) {
    const L = st.lattices.subarray(9 * c, 9 * c + 9);
    const d = new Float64Array(3 * (st.atomOffsets[c + 1] - st.atomOffsets[c]));
    for (let j = 0; j < d.length; j++) {
      const x = a[3 * st.atomOffsets[c] + j] - b[3 * st.atomOffsets[c] + j];
      d[j] = x - Math.round(x);
    }
    const cart = fracToCart(d, L);
    for (let i = 0; i < cart.length; i += 3) {
      worst = Math.max(worst, Math.hypot(cart[i], cart[i + 1], cart[i + 2]));
    }
  }
  return worst;
}

function argmax(xs: ArrayLike<number>, off: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (xs[off + i] > xs[off + best]) best = i;
  return best;
}

/**
 * Runs the plan on `st` (updated in place). Each move is x ← x + step·out/σ + noiseStd·z in
 * Cartesian Å, wrapped back into the cell; types ← argmax of the logits of the coordinates
 * before the move (as the reference).
 *
 * @param st The state, updated in place
 * @param plan Levels, steps and options
 * @param score The score function
 * @param rngs Crystal b's noise stream
 * @param numTypes Columns of the logits
 * @param hooks Progress, trajectory, counters
 */
export async function runHostDynamics(
  st: HostState,
  plan: DynamicsPlan,
  score: ScoreFn,
  rngs: HostRng[],
  numTypes: number,
  hooks: DynamicsHooks = {},
): Promise<void> {
  const { atomOffsets, lattices, numbers, frac } = st;
  const nCrystals = atomOffsets.length - 1, nAtoms = numbers.length;
  const inverses = Array.from({ length: nCrystals }, (_, b) => inverse3(lattices.subarray(9 * b, 9 * b + 9)));
  const total = plannedCalls(plan);
  let done = 0;
  const call = async (sigma: number): Promise<Float64Array> => {
    const out = await score(st, sigma);
    if (hooks.stats) hooks.stats.decoderCalls++;
    const s = Float64Array.from(out.scores, (v) => Number.isFinite(v) ? v / sigma : 0);
    if (out.logits) {
      for (let i = 0; i < nAtoms; i++) numbers[i] = argmax(out.logits, i * numTypes, numTypes) + 1;
    }
    return s;
  };
  // One move of every crystal: step(b, noise of b, score of b) gives that crystal's step size.
  const move = (
    s: Float64Array,
    step: (b: number, z: Float64Array, sb: Float64Array) => number,
    noise: number,
  ) => {
    for (let b = 0; b < nCrystals; b++) {
      const a0 = atomOffsets[b], a1 = atomOffsets[b + 1];
      const L = lattices.subarray(9 * b, 9 * b + 9);
      const z = new Float64Array(3 * (a1 - a0));
      if (noise > 0) { for (let j = 0; j < z.length; j++) z[j] = rngs[b].normal(); }
      const sb = s.subarray(3 * a0, 3 * a1);
      const eps = step(b, z, sb);
      const std = noise * Math.sqrt(2 * eps);
      const cart = fracToCart(frac.subarray(3 * a0, 3 * a1), L);
      for (let j = 0; j < cart.length; j++) cart[j] += eps * sb[j] + std * z[j];
      const f = fracToCart(cart, inverses[b]);
      for (let j = 0; j < f.length; j++) frac[3 * a0 + j] = wrapFrac(f[j]);
    }
  };
  const tick = () => {
    hooks.trajectory?.push({ frac: frac.slice(), numbers: numbers.slice() });
    hooks.onStep?.(++done, total);
  };
  const norm = (v: Float64Array) => Math.sqrt(v.reduce((t, x) => t + x * x, 0));

  for (const [level, sigma] of plan.sigmas.entries()) {
    if (plan.predictor && level > 0) {
      // Reverse diffusion from σ_prev to σ: x + (σ_prev² − σ²)·s(x, σ_prev) + √(σ_prev² − σ²)·z
      // (noise factor √(2ε)/√2 with ε = σ_prev² − σ², hence the 1/√2).
      const prev = plan.sigmas[level - 1], d2 = prev * prev - sigma * sigma;
      const s = await call(prev);
      move(s, () => d2, Math.SQRT1_2);
      tick();
    }
    const { stepSize } = levelStep(plan, sigma);
    let denoised: Float64Array | undefined;
    for (let k = 0; k < stepsAt(plan, level); k++) {
      const before = frac.slice();
      const s = await call(sigma);
      move(
        s,
        (_b, z, sb) => plan.snr ? snrStepSize(plan.snr, norm(z), norm(sb), sigma, stepSize) : stepSize,
        plan.noiseScale ?? 1,
      );
      tick();
      if (plan.settle !== undefined) {
        // Where the step's denoised positions x + σ²·s stopped moving, the level has converged.
        const now = denoisedFrac(st, before, s, sigma, inverses);
        const moved = denoised ? maxMoved(st, now, denoised) : Infinity;
        denoised = now;
        if (moved < plan.settle) break;
      }
    }
  }
  if (plan.denoise) {
    // Tweedie's formula at the last level: E[x₀ | x] = x + σ²·∇log p_σ(x).
    const sigma = plan.sigmas[plan.sigmas.length - 1];
    const s = await call(sigma);
    move(s, () => sigma * sigma, 0);
    tick();
  }
}

/** Fractional coordinates of x + σ²·s for the coordinates `frac` (before a move). */
function denoisedFrac(
  st: HostState,
  frac: Float64Array,
  s: Float64Array,
  sigma: number,
  inverses: Float64Array[],
): Float64Array {
  const out = new Float64Array(frac.length);
  for (let b = 0; b + 1 < st.atomOffsets.length; b++) {
    const a0 = st.atomOffsets[b], a1 = st.atomOffsets[b + 1];
    const cart = fracToCart(frac.subarray(3 * a0, 3 * a1), st.lattices.subarray(9 * b, 9 * b + 9));
    for (let j = 0; j < cart.length; j++) cart[j] += sigma * sigma * s[3 * a0 + j];
    out.set(fracToCart(cart, inverses[b]), 3 * a0);
  }
  return out;
}
