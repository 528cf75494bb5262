/**
 * Named sampling schedules (`--schedule paper|fast|short`) and the step size rules of the
 * annealed Langevin sampler.
 *
 * The reference's rule is step = ε·(σ/σ_L)² with ε = 1e-4 and σ_L = 0.01, i.e. step = σ² at
 * every level: on a Gaussian each step is a full denoising step plus noise, whatever the spacing
 * of the levels. The "matched" rule re-derives the step for the spacing actually used (Song &
 * Ermon 2020, "Improved techniques for training score-based generative models", technique 4):
 * with γ = σ_{i−1}/σ_i and T steps per level it picks the fraction a = step/σ² that brings a
 * Gaussian's variance from γ²σ² as close as possible to σ² in T steps.
 *
 * @module
 */

/** How the step size of a level is set. */
export type StepRule = "reference" | "matched";

/** A sampling schedule: the knobs of the sampler that set its cost and quality. */
export interface SamplingSchedule {
  /** Noise levels used (evenly spaced by index over the model's σ). */
  levels: number;
  /** Langevin steps per level. */
  stepsPerLevel: number;
  /** Steps of each level, from the first (highest σ) on, instead of `stepsPerLevel` for all: its
   * length is the number of levels (`levels` must agree), e.g. more steps in the band of levels
   * where a model's samples settle. */
  stepsByLevel?: readonly number[];
  /** Step size rule (default "reference"). */
  stepRule?: StepRule;
  /** A final denoising step x + σ²·score at the last level (one more decoder call). */
  denoise?: boolean;
  /** A reverse-diffusion predictor step between levels (one more decoder call per level). */
  predictor?: boolean;
  /** Step sizes from the score's norm with this signal-to-noise ratio (Song et al. 2021). */
  snr?: number;
  /** Factor on the Langevin steps' noise (default 1; see `LangevinOptions.noiseScale`). */
  noiseScale?: number;
  /** End a level early when no atom's denoised position moved more than this (Å) in a step. */
  settle?: number;
}

/**
 * The named schedules. `paper` is the reference's 50 × 100; `short` the 20 × 10 of the model
 * cards' quality-vs-steps rows; `fast` the best schedule of ≤ 500 decoder calls measured on the
 * three shipped models (bench/RESULTS.md, "Sampling schedules"): 50 × 9, a final denoising step and
 * the Langevin noise × 0.7071 (1/√2 to the four digits measured), which re-noises each step at σ.
 */
export const SAMPLING_SCHEDULES: Readonly<Record<SamplingScheduleName, SamplingSchedule>> = {
  paper: { levels: 50, stepsPerLevel: 100 },
  short: { levels: 20, stepsPerLevel: 10 },
  fast: { levels: 50, stepsPerLevel: 9, denoise: true, noiseScale: 0.7071 },
};

/** A schedule's name. */
export type SamplingScheduleName = "paper" | "short" | "fast";

/** Whether `name` names a schedule. */
export function isScheduleName(name: string): name is SamplingScheduleName {
  return Object.hasOwn(SAMPLING_SCHEDULES, name);
}

/**
 * Decoder calls per batch of a schedule (without early exit, which can only lower it): the
 * Langevin steps, a predictor step per level after the first, and the final denoising step.
 *
 * @example The paper's 50 × 100 and a 50 × 9 with a final denoising step
 * ```ts
 * import { decoderCalls } from "./schedules.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * assertEquals(decoderCalls({ levels: 50, stepsPerLevel: 100 }), 5000);
 * assertEquals(decoderCalls({ levels: 50, stepsPerLevel: 9, denoise: true }), 451);
 * ```
 */
export function decoderCalls(s: SamplingSchedule): number {
  const steps = s.stepsByLevel ? s.stepsByLevel.reduce((t, k) => t + k, 0) : s.levels * s.stepsPerLevel;
  return steps + (s.predictor ? s.levels - 1 : 0) + (s.denoise ? 1 : 0);
}

/**
 * Parses per-level step counts written as runs `LEVELSxSTEPS`, comma-separated, from the first
 * (highest σ) level on: "40x5,10x30" is 40 levels of 5 steps then 10 of 30.
 *
 * @throws {RangeError} For anything else (a count below 1, a malformed run)
 *
 * @example 40 levels of 5 steps, then 10 of 30
 * ```ts
 * import { parseStepsByLevel } from "./schedules.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const steps = parseStepsByLevel("40x5,10x30");
 * assertEquals([steps.length, steps[39], steps[40]], [50, 5, 30]);
 * ```
 */
export function parseStepsByLevel(spec: string): number[] {
  const out: number[] = [];
  for (const run of spec.split(",")) {
    const m = /^\s*(\d+)\s*x\s*(\d+)\s*$/.exec(run);
    const [levels, steps] = m ? [Number(m[1]), Number(m[2])] : [0, 0];
    if (!(levels >= 1 && steps >= 1 && levels <= 1000)) {
      throw new RangeError(
        `"${run}" in "${spec}" is not LEVELSxSTEPS with counts ≥ 1 (e.g. "40x5,10x30": 40 levels of 5 steps, then 10 of 30)`,
      );
    }
    for (let i = 0; i < levels; i++) out.push(steps);
  }
  if (out.length > 1000) throw new RangeError(`"${spec}" has ${out.length} levels, more than 1000`);
  return out;
}

/**
 * Per-level step counts as runs `LEVELSxSTEPS` (the inverse of {@linkcode parseStepsByLevel}).
 *
 * @example
 * ```ts
 * import { formatStepsByLevel } from "./schedules.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * assertEquals(formatStepsByLevel([5, 5, 5, 30]), "3x5,1x30");
 * ```
 */
export function formatStepsByLevel(steps: readonly number[]): string {
  const runs: string[] = [];
  for (let i = 0; i < steps.length;) {
    let j = i;
    while (j < steps.length && steps[j] === steps[i]) j++;
    runs.push(`${j - i}x${steps[i]}`);
    i = j;
  }
  return runs.join(",");
}

/**
 * The variance ratio s_T²/σ² a Gaussian reaches after T Langevin steps of size a·σ² at level σ,
 * starting from variance γ²σ² (the end of the previous level): (1−a)^{2T}(γ² − v∞) + v∞ with
 * v∞ = 2/(2 − a) the chain's own stationary ratio.
 */
export function varianceRatioAfter(a: number, gamma: number, steps: number): number {
  const vInf = 2 / (2 - a);
  return (1 - a) ** (2 * steps) * (gamma * gamma - vInf) + vInf;
}

/**
 * The matched step fraction a = step/σ² for levels spaced by γ with T steps each: the a in
 * (0, 1] that brings {@linkcode varianceRatioAfter} closest to 1 (golden-section search on
 * |ratio − 1|, which falls then rises in a).
 *
 * @example Coarser spacing or fewer steps need larger steps
 * ```ts
 * import { matchedStepFraction } from "./schedules.ts";
 * import { assert } from "../../tests/_assert.ts";
 * assert(matchedStepFraction(2.15, 10) > matchedStepFraction(1.15, 10));
 * assert(matchedStepFraction(1.15, 10) > matchedStepFraction(1.15, 100));
 * ```
 */
export function matchedStepFraction(gamma: number, steps: number): number {
  const f = (a: number) => Math.abs(varianceRatioAfter(a, gamma, steps) - 1);
  let lo = 1e-9, hi = 1;
  const g = (Math.sqrt(5) - 1) / 2;
  for (let i = 0; i < 200; i++) {
    const a = hi - g * (hi - lo), b = lo + g * (hi - lo);
    if (f(a) <= f(b)) hi = b;
    else lo = a;
  }
  return (lo + hi) / 2;
}

/**
 * The base step size ε of a run (its step at σ is ε·(σ/σ_L)², σ_L the model's last level):
 * `stepLr` under the reference rule; under the matched rule a·σ_L², a from the spacing of the
 * levels used (geometric from `sigmas[0]` to the last) and the steps per level.
 *
 * @throws {RangeError} Under the matched rule, when the levels' step counts differ
 */
export function baseStepLr(
  rule: StepRule,
  stepLr: number,
  sigmas: readonly number[],
  sigmaLast: number,
  steps: number | readonly number[],
): number {
  if (rule === "reference" || sigmas.length < 2) return stepLr;
  if (typeof steps !== "number") {
    const [first] = steps;
    if (steps.some((k) => k !== first)) {
      throw new RangeError("The matched step rule needs the same number of steps at every level");
    }
    steps = first;
  }
  const gamma = (sigmas[0] / sigmas[sigmas.length - 1]) ** (1 / (sigmas.length - 1));
  return matchedStepFraction(gamma, steps) * sigmaLast * sigmaLast;
}
