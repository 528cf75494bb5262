/**
 * Annealed Langevin dynamics (the paper's Algorithm 1, the reference's `langevin_dynamics`):
 * z → predicted atom count, lattice and composition → random initial coordinates and types
 * drawn from the composition → for each σ level × steps: score from the decoder, step size
 * step_lr·(σ/σ_L)², Gaussian noise, back into the cell, types = argmax of the decoder's logits.
 *
 * Two loops, the same algorithm:
 * - **host** (default on CPU backends): the decoder graph is rebuilt every step by the wasm
 *   geometry core in f64, the update runs in f64 on the host with the host RNG; each step reads
 *   the scores and logits back.
 * - **resident** (default on WebGPU, `resident: true` elsewhere): coordinates, types and noise stay
 *   on the device; each step runs the neighbour-table kernel, GemNet's re-symmetrised graph,
 *   triplets and bases (src/model/device/decoder_edges.ts, src/nn/device/gemnet_bases.ts), the decoder and the update kernel
 *   (src/model/device/langevin.ts). The one value read back per step is the pair (edge count, triplet
 *   width) that sizes the edge tensors; coordinates come back at the end (every step only when a
 *   trajectory is asked for). f32 throughout and Philox noise, so its samples differ from the
 *   host loop's draw for draw, not in distribution.
 *
 * Every draw of a crystal (initial composition and coordinates, each step's noise) comes from its
 * own streams, keyed by the seed and the crystal's index in the run (`streams.ts`), never from its
 * place in the batch: a crystal comes out the same whatever batch or shard it is sampled in.
 *
 * @module
 */

import { concat, gather, randNormal } from "../compute/functional.ts";
import type { Backend } from "../compute/backend.ts";
import type { HostRng } from "../compute/host_rng.ts";
import { type LangevinState, langevinStep } from "./device/langevin.ts";
import { TensorScope } from "../compute/tape.ts";
import { Tensor } from "../compute/tensor.ts";
import type { Crystal } from "../crystal/crystal.ts";
import { inverse3 } from "../crystal/lattice.ts";
import { latticeFromTarget, unscaleRow } from "../data/preprocess.ts";
import type { CDVAE } from "./cdvae.ts";
import { decoderGraphResident, uploadBatch } from "./decoder_graph.ts";
import { buildGraph } from "./graphs.ts";
import { decoderGraphOptions } from "./config.ts";
import { softmaxRows } from "./losses.ts";
import { crystalRng, crystalSeed, STREAM } from "./streams.ts";
import {
  type DynamicsPlan,
  type HostState,
  levelStep,
  plannedCalls,
  runHostDynamics,
  type SamplerStats,
  stepsAt,
} from "./host_dynamics.ts";
import { baseStepLr, type StepRule } from "./schedules.ts";

export { priorLatents } from "./streams.ts";

/** Knobs of {@linkcode langevin}. */
export interface LangevinOptions {
  /** Seed of every draw (initial state and noise): crystal b draws from the streams of
   * (seed, firstIndex + b). */
  seed: number;
  /** Index in the run of the first crystal of `z` (default 0), so that a crystal's draws follow
   * its index, not its batch. */
  firstIndex?: number;
  /** Steps per σ level (reference: 100). */
  stepsPerLevel?: number;
  /** Steps of each level in turn, from the first on, instead of `stepsPerLevel`: its length is
   * the number of levels (`levels`, if given, must agree); `minSigma` drops levels from the end. */
  stepsByLevel?: readonly number[];
  /** Base step size (reference: 1e-4). */
  stepLr?: number;
  /** Stop at the first σ below this (reference: 0, i.e. all levels). */
  minSigma?: number;
  /** Use this many of the model's σ levels, evenly spaced by index from the first to the last
   * (default: all 50, as the reference); fewer levels is a faster schedule. */
  levels?: number;
  /** Step size rule (default "reference": ε·(σ/σ_L)²; "matched" re-derives ε for the spacing
   * and steps of the levels used, see `schedules.ts`). */
  stepRule?: StepRule;
  /** A final denoising step x + σ²·score at the last level (Tweedie; one more decoder call). */
  denoise?: boolean;
  /** A reverse-diffusion predictor step before each level after the first (one more decoder call
   * per level). */
  predictor?: boolean;
  /** Langevin step sizes from the score's norm, ε = 2·(snr·‖z‖/‖s‖)² per crystal (host loop). */
  snr?: number;
  /** Factor on the Langevin steps' noise √(2·step) (default 1, the reference). At the reference's
   * step σ² a factor 1/√2 makes each step "denoise, then noise at σ": the chain's spread at a level
   * is σ, not the √2·σ of factor 1. */
  noiseScale?: number;
  /** End a level once no atom's denoised position x + σ²·score moved more than this many Å in
   * one step (host loop). */
  settle?: number;
  /** Counts the decoder calls. */
  stats?: SamplerStats;
  /** Use these atom counts instead of the predicted ones (reconstruction with known N). */
  numAtoms?: ArrayLike<number>;
  /** Use these atom types (atomic numbers, crystal after crystal, as many as `numAtoms` adds up
   * to) and keep them: no composition draw, no type updates (the reference's `force_atom_types`,
   * reconstruction with a known composition). Runs the host loop. */
  atomTypes?: ArrayLike<number>;
  /** Called after each step with (done, total). */
  onStep?: (done: number, total: number) => void;
  /** Keep every step's fractional coordinates and types. */
  trajectory?: boolean;
  /** Run the resident loop (see the module comment); default: on the WebGPU backend only. */
  resident?: boolean;
}

/** One generated crystal, with a reason when it could not be built properly. */
export interface GeneratedCrystal extends Crystal {
  /** Why the crystal is degenerate (invalid predicted lattice, no atoms), if it is. */
  problem?: string;
}

/** What {@linkcode langevin} returns. */
export interface LangevinResult {
  crystals: GeneratedCrystal[];
  /** Per step: fractional coordinates and atomic numbers of all atoms (when asked). */
  trajectory?: { frac: Float64Array; numbers: Uint8Array }[];
}

function argmax(xs: ArrayLike<number>, off: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (xs[off + i] > xs[off + best]) best = i;
  return best;
}

/**
 * The reference's `sample_composition`: round(p·N) atoms of each element, the remainder drawn
 * from the leftover probabilities, shuffled, truncated to N.
 */
export function sampleComposition(probs: ArrayLike<number>, n: number, rng: HostRng): number[] {
  const types = probs.length;
  const out: number[] = [];
  const left = new Float64Array(types);
  for (let t = 0; t < types; t++) {
    const k = Math.round(probs[t] * n);
    for (let j = 0; j < k; j++) out.push(t + 1);
    left[t] = Math.max(0, probs[t] - k / n);
  }
  const remaining = n - out.length;
  if (remaining > 0) {
    if (left.every((v) => v === 0)) left.set(Array.from(probs).map((p) => Math.max(p, 0)));
    for (let j = 0; j < remaining; j++) out.push(rng.categorical(left) + 1);
  }
  return rng.shuffle(out).slice(0, n);
}

/**
 * Runs annealed Langevin dynamics from latents.
 *
 * @param model A trained model
 * @param z `[B·D]` latents (row-major)
 * @param opts Schedule and seed
 * @returns The crystals (and the trajectory when asked)
 */
export async function langevin(
  model: CDVAE,
  z: Float32Array,
  opts: LangevinOptions,
): Promise<LangevinResult> {
  const c = model.config, be = model.backend;
  const nCrystals = z.length / c.latentDim, first = opts.firstIndex ?? 0;
  const rngs = Array.from({ length: nCrystals }, (_, b) => crystalRng(opts.seed, first + b, STREAM.dynamics));
  const zT = Tensor.from(be, z, [nCrystals, c.latentDim]);
  const scope = new TensorScope();
  try {
    // Atom counts: argmax of the head (at least 1 atom, so every crystal can be built).
    const problems: (string | undefined)[] = new Array(nCrystals).fill(undefined);
    let counts: number[];
    if (opts.numAtoms) counts = Array.from(opts.numAtoms);
    else {
      const logits = await scope.run(() => model.fcNumAtoms.forward(zT)).read();
      counts = Array.from(
        { length: nCrystals },
        (_, b) => argmax(logits, b * (c.maxAtoms + 1), c.maxAtoms + 1),
      );
    }
    counts = counts.map((n, b) => {
      if (n >= 1) return n;
      problems[b] = "the model predicted 0 atoms; sampled with 1";
      return 1;
    });
    const atomOffsets = new Uint32Array(nCrystals + 1);
    counts.forEach((n, b) => atomOffsets[b + 1] = atomOffsets[b] + n);
    const nAtoms = atomOffsets[nCrystals];
    const fixedTypes = opts.atomTypes;
    if (fixedTypes && (!opts.numAtoms || fixedTypes.length !== nAtoms || problems.some((p) => p))) {
      throw new RangeError(
        `Cannot keep ${fixedTypes.length} given atom types: they need the atom counts (numAtoms) ` +
          `they belong to, each ≥ 1 (${nAtoms} atoms)`,
      );
    }
    const heads = scope.run(() => model.heads(zT, atomOffsets));
    const lat = await heads.lattice.read(), comp = await heads.composition.read();
    scope.dispose([zT]);

    const lattices = new Float64Array(9 * nCrystals);
    for (let b = 0; b < nCrystals; b++) {
      try {
        lattices.set(latticeFromTarget(c.scalers.lattice, lat.subarray(6 * b, 6 * b + 6), counts[b]), 9 * b);
      } catch (e) {
        problems[b] = `invalid predicted lattice (${
          (e as Error).message
        }); sampled in a cube of the same length scale`;
        const a = Math.max(
          1,
          Math.abs(unscaleRow(c.scalers.lattice, lat.subarray(6 * b, 6 * b + 6))[0] * Math.cbrt(counts[b])),
        );
        lattices.set([a, 0, 0, 0, a, 0, 0, 0, a], 9 * b);
      }
    }
    // Initial types: the given ones, or drawn from the composition (softmax of the per-atom logits,
    // averaged per crystal: all atoms of a crystal share z, so one row is the average); coordinates
    // uniform.
    const numbers = new Uint8Array(nAtoms), frac = new Float64Array(3 * nAtoms);
    for (let b = 0; b < nCrystals; b++) {
      const row = comp.subarray(atomOffsets[b] * c.numTypes, (atomOffsets[b] + 1) * c.numTypes);
      const types = fixedTypes
        ? Array.from(fixedTypes).slice(atomOffsets[b], atomOffsets[b + 1])
        : sampleComposition(softmaxRows(row, 1, c.numTypes), counts[b], rngs[b]);
      numbers.set(types, atomOffsets[b]);
      for (let j = 3 * atomOffsets[b]; j < 3 * atomOffsets[b + 1]; j++) frac[j] = rngs[b].uniform();
    }

    const { sigmas, steps } = levelPlan(model.sigmas, opts);
    const sigmaLast = model.sigmas[model.sigmas.length - 1];
    const plan: DynamicsPlan = {
      sigmas,
      steps,
      stepLr: baseStepLr(opts.stepRule ?? "reference", opts.stepLr ?? 1e-4, sigmas, sigmaLast, steps),
      sigmaLast,
      predictor: opts.predictor,
      snr: opts.snr,
      noiseScale: opts.noiseScale,
      settle: opts.settle,
      denoise: opts.denoise,
    };
    const trajectory: LangevinResult["trajectory"] = opts.trajectory ? [] : undefined;
    const ctx: LoopContext = {
      model,
      zT,
      state: { atomOffsets, lattices, numbers, frac },
      plan,
      rngs,
      streams: { seed: opts.seed, first },
      scope,
      opts,
      trajectory,
    };
    // Kept types run on the host loop (its type update is skipped; the resident kernel always updates).
    const resident = residentLoopOn(be, opts.resident ?? (fixedTypes ? false : undefined));
    if (resident && fixedTypes) throw new Error("kept atom types (atomTypes) run on the host loop only");
    await (resident ? residentLoop(ctx) : hostLoop(ctx));
    const crystals: GeneratedCrystal[] = [];
    for (let b = 0; b < nCrystals; b++) {
      const a0 = atomOffsets[b], a1 = atomOffsets[b + 1];
      const cr: GeneratedCrystal = {
        lattice: lattices.slice(9 * b, 9 * b + 9),
        frac: frac.slice(3 * a0, 3 * a1),
        numbers: numbers.slice(a0, a1),
      };
      if (problems[b]) cr.problem = problems[b];
      crystals.push(cr);
    }
    return { crystals, trajectory };
  } finally {
    scope.dispose();
    zT.dispose();
  }
}

/**
 * Whether {@linkcode langevin} runs the resident loop on `be`: as asked, else on WebGPU only (on
 * the wasm backend the graph kernels run their TS references, and the host loop is faster).
 */
export function residentLoopOn(be: Backend, resident?: boolean): boolean {
  return resident ?? be.name === "webgpu";
}

/** What a loop works on: the model and latents, the state it updates, schedule, draws, options. */
interface LoopContext {
  model: CDVAE;
  zT: Tensor;
  state: HostState;
  plan: DynamicsPlan;
  /** Crystal b's dynamics stream (the host loop's noise). */
  rngs: HostRng[];
  /** Seed and index of the first crystal, which key the resident loop's noise. */
  streams: { seed: number; first: number };
  /** Owns each step's tensors (freed after the step, except zT). */
  scope: TensorScope;
  opts: LangevinOptions;
  trajectory: LangevinResult["trajectory"];
}

/** The host loop: f64 state and update, the wasm core's graph, host noise. */
function hostLoop(ctx: LoopContext): Promise<void> {
  const { model, zT, scope, opts } = ctx;
  const c = model.config;
  const score = async (st: HostState) => {
    const g = buildGraph(st, decoderGraphOptions(c.decoder));
    const out = scope.run(() => model.decode(zT, g));
    // Without logits the dynamics keep the types (given ones stay as they are).
    const [scores, logits] = [
      await out.scores.read(),
      opts.atomTypes ? undefined : await out.typeLogits.read(),
    ];
    scope.dispose([zT]);
    return { scores, logits };
  };
  return runHostDynamics(ctx.state, ctx.plan, score, ctx.rngs, c.numTypes, {
    onStep: opts.onStep,
    trajectory: ctx.trajectory,
    stats: opts.stats,
  });
}

/** The resident loop (module comment): state, graph, noise and update on the device. Runs the
 * step rules, predictor and final denoising step; the score-norm step and early exit need the
 * scores on the host and are the host loop's. */
async function residentLoop(ctx: LoopContext): Promise<void> {
  const { model, zT, state: st, plan, streams, scope, opts, trajectory } = ctx;
  if (plan.snr !== undefined || plan.settle !== undefined) {
    throw new Error("snr and settle (score-norm steps, early exit) run on the host loop only");
  }
  const be = model.backend, c = model.config, { atomOffsets, lattices, numbers, frac } = st;
  const nCrystals = atomOffsets.length - 1, n = numbers.length;
  const inverses = new Float32Array(9 * nCrystals);
  for (let b = 0; b < nCrystals; b++) inverses.set(inverse3(lattices.subarray(9 * b, 9 * b + 9)), 9 * b);
  const batch = uploadBatch(be, st);
  const owned = {
    types: Tensor.from(be, Uint32Array.from(numbers, (z) => z - 1)),
    inverses: Tensor.from(be, inverses, [nCrystals, 9]),
  };
  const state: LangevinState = { ...batch, ...owned };
  const graphOpts = { cutoff: c.decoder.cutoff, maxNeighbors: c.decoder.maxNeighbors };
  // Row k of a level's noise picks step k's noise of every atom (one index tensor per step); with
  // predictor steps, row `steps` is the predictor's.
  const rowsAt = (level: number) => stepsAt(plan, level) + (plan.predictor ? 1 : 0);
  const maxRows = Math.max(...plan.sigmas.map((_, level) => rowsAt(level)));
  const stepRows = Array.from({ length: maxRows }, (_, k) => Tensor.from(be, Uint32Array.of(k)));
  const readBack = async () => {
    const [f, t] = await Promise.all([state.frac.read(), state.types.read()]);
    frac.set(f);
    for (let i = 0; i < n; i++) numbers[i] = t[i] + 1;
  };
  const total = plannedCalls(plan);
  let done = 0;
  // One decoder call and update x + stepSize·out/σ + noiseStd·(row of levelNoise, or 0).
  const step = async (sigma: number, stepSize: number, noiseStd: number, levelNoise?: Tensor, row = 0) => {
    const graph = await decoderGraphResident(batch, graphOpts);
    try {
      scope.run(() => {
        const out = model.decoder.forward(
          zT,
          model.decoder.inputsOnDevice(graph, state.crystal),
          state.types,
        );
        const noise = levelNoise
          ? gather(levelNoise, stepRows[row]).view([n, 3])
          : Tensor.from(be, new Float32Array(3 * n), [n, 3]);
        langevinStep(state, out.scores, out.typeLogits, noise, { stepSize, noiseStd, sigma });
      });
    } finally {
      graph.dispose();
      scope.dispose([zT]);
    }
    if (opts.stats) opts.stats.decoderCalls++;
    if (trajectory) {
      await readBack();
      trajectory.push({ frac: frac.slice(), numbers: numbers.slice() });
    }
    opts.onStep?.(++done, total);
  };
  let heldNoise: Tensor | undefined; // the current level's, freed by the next level or at the end
  try {
    for (const [level, sigma] of plan.sigmas.entries()) {
      const { stepSize, noiseStd } = levelStep(plan, sigma);
      heldNoise?.dispose();
      const steps = stepsAt(plan, level);
      const levelNoise = heldNoise = residentLevelNoise(be, atomOffsets, rowsAt(level), streams, level);
      if (plan.predictor && level > 0) {
        // Reverse diffusion from the previous σ: x + d²·out/σ_prev + d·z, d² = σ_prev² − σ².
        const prev = plan.sigmas[level - 1], d2 = prev * prev - sigma * sigma;
        await step(prev, d2, Math.sqrt(d2), levelNoise, steps);
      }
      for (let k = 0; k < steps; k++) await step(sigma, stepSize, noiseStd, levelNoise, k);
    }
    if (plan.denoise) {
      const sigma = plan.sigmas[plan.sigmas.length - 1];
      await step(sigma, sigma * sigma, 0); // Tweedie: x + σ²·score, no noise
    }
    await readBack();
  } finally {
    heldNoise?.dispose();
    batch.dispose();
    Object.values(owned).forEach((t) => t.dispose());
    stepRows.forEach((t) => t.dispose());
  }
}

/**
 * The resident loop's noise for one σ level, `[steps, 3·atoms]` (row k: step k, atoms in batch
 * order): each crystal's block is Philox under its own key (seed and index, {@linkcode crystalSeed})
 * at counter offset `level`, so it does not depend on the batch. 2 dispatches per crystal and level.
 */
function residentLevelNoise(
  be: Backend,
  atomOffsets: Uint32Array,
  steps: number,
  streams: LoopContext["streams"],
  level: number,
): Tensor {
  const blocks = Array.from(
    { length: atomOffsets.length - 1 },
    (_, b) =>
      randNormal(be, [steps, 3 * (atomOffsets[b + 1] - atomOffsets[b])], {
        seed: crystalSeed(streams.seed, streams.first + b, STREAM.deviceNoise),
        offset: level,
      }),
  );
  try {
    return concat(blocks);
  } finally {
    blocks.forEach((t) => t.dispose());
  }
}

/**
 * The σ levels a run visits and the Langevin steps of each (one count per σ): {@linkcode scheduleSigmas}
 * with as many levels as `stepsByLevel` has, which then gives the steps of the levels kept (else
 * `stepsPerLevel`, default 100, at every level).
 *
 * @throws {RangeError} When `levels` and `stepsByLevel` disagree on the number of levels
 *
 * @example 40 levels of 2 steps then 10 of 30, levels below σ = 0.02 dropped
 * ```ts
 * import { levelPlan } from "./sampler.ts";
 * import { noiseLevels } from "./config.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const stepsByLevel = [...Array(40).fill(2), ...Array(10).fill(30)];
 * const { sigmas, steps } = levelPlan(noiseLevels(10, 0.01, 50), { stepsByLevel, minSigma: 0.02 });
 * assertEquals([sigmas.length, steps.length, steps[40]], [45, 45, 30]);
 * ```
 */
export function levelPlan(
  modelSigmas: ArrayLike<number>,
  opts: Pick<LangevinOptions, "levels" | "minSigma" | "stepsPerLevel" | "stepsByLevel">,
): { sigmas: number[]; steps: number[] } {
  const byLevel = opts.stepsByLevel;
  if (!byLevel) {
    const sigmas = scheduleSigmas(modelSigmas, opts);
    return { sigmas, steps: sigmas.map(() => opts.stepsPerLevel ?? 100) };
  }
  if (opts.levels !== undefined && opts.levels !== byLevel.length) {
    throw new RangeError(
      `${opts.levels} levels asked, but the steps by level give ${byLevel.length}: they must agree`,
    );
  }
  const sigmas = scheduleSigmas(modelSigmas, { levels: byLevel.length, minSigma: opts.minSigma });
  return { sigmas, steps: byLevel.slice(0, sigmas.length) };
}

/**
 * The σ levels a schedule visits: `levels` of the model's levels, evenly spaced by index from the
 * first to the last, then those below `minSigma` dropped (the first level always stays). More
 * levels than the model has are spaced geometrically between its first and last σ (the decoder is
 * not told σ: the score at any σ in the trained range is its output over σ).
 *
 * @example Five of the 50 levels
 * ```ts
 * import { scheduleSigmas } from "./sampler.ts";
 * import { noiseLevels } from "./config.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const s = scheduleSigmas(noiseLevels(10, 0.01, 50), { levels: 5, minSigma: 0.1 });
 * assertEquals(s.length, 3);
 * ```
 */
export function scheduleSigmas(
  sigmas: ArrayLike<number>,
  opts: Pick<LangevinOptions, "levels" | "minSigma">,
): number[] {
  const all = Array.from(sigmas), minSigma = opts.minSigma ?? 0;
  const nLevels = Math.max(1, opts.levels ?? all.length);
  const [first, last] = [all[0], all[all.length - 1]];
  const picked = nLevels === all.length
    ? all
    : nLevels > all.length
    ? Array.from({ length: nLevels }, (_, k) => first * (last / first) ** (k / (nLevels - 1)))
    : Array.from({ length: nLevels }, (_, k) =>
      all[nLevels === 1 ? 0 : Math.round(k * (all.length - 1) / (nLevels - 1))]);
  return picked.filter((s, i) => s >= minSigma || i === 0);
}
