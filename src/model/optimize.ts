/**
 * Property optimisation in latent space (the paper's third task, the reference's `optimization`):
 *
 * 1. Start from latents z (the encoder's sampled z = μ + σε of test crystals, or z ~ N(0, I)).
 * 2. Freeze the model and run Adam on z (lr 1e-3, betas 0.9/0.999, eps 1e-8) for 5 000 steps,
 *    minimising the mean over the starts of the property head fc_property(z) (the standardised
 *    property).
 * 3. After the update of step i, decode the current z with annealed Langevin dynamics when
 *    i % interval == 0 or i is the last step, with interval = ⌊steps / 9⌋ (555 for 5 000 steps):
 *    i = 0, 555, …, 4995, 4999, i.e. 11 decodes, the first after one Adam step.
 *
 * Scoring the decoded crystals with an independent property model (success rates SR5/10/15) is
 * `optimizationMetrics` in `src/eval/metrics.ts`.
 *
 * @module
 */

import { Adam } from "../compute/adam.ts";
import { fill } from "../compute/functional.ts";
import { Tape, TensorScope, zeroGrad } from "../compute/tape.ts";
import { Tensor } from "../compute/tensor.ts";
import type { MLP } from "../nn/module.ts";
import type { CDVAE, GenerateOptions } from "./cdvae.ts";
import type { GeneratedCrystal } from "./sampler.ts";

/** Knobs of {@linkcode optimizeLatents}; the Langevin schedule options are those of `generate`. */
export interface OptimizeOptions extends Omit<GenerateOptions, "n" | "onStep" | "trajectory"> {
  /** Adam steps (reference: 5 000). */
  steps?: number;
  /** Adam learning rate (reference: 1e-3). */
  lr?: number;
  /** Decode when the step index is a multiple of this (default ⌊steps / 9⌋, 555 for 5 000 steps). */
  decodeEvery?: number;
  /** Called after each Adam step with (done, total). */
  onAdamStep?: (done: number, total: number) => void;
  /** Called after each Langevin step with (done, total), counted over all decodes. */
  onLangevinStep?: (done: number, total: number) => void;
  /** Called after each decode (e.g. to report progress or time it). */
  onDecode?: (decode: OptimizationDecode, index: number, count: number) => void;
}

/** The state at one decode. */
export interface OptimizationDecode {
  /** Adam step index after whose update z was decoded. */
  step: number;
  /** `[starts·D]` the latents decoded. */
  z: Float32Array;
  /** `[starts]` fc_property(z), standardised. */
  head: Float64Array;
  /** One crystal per start. */
  crystals: GeneratedCrystal[];
}

/** What {@linkcode optimizeLatents} returns. */
export interface OptimizationResult {
  /** The decodes, in step order. */
  decodes: OptimizationDecode[];
  /** `[steps]` mean of fc_property(z) over the starts before each Adam step (standardised). */
  meanHead: Float64Array;
}

/**
 * The Adam steps after which the reference decodes: every multiple of `every` and the last step.
 *
 * @param steps Number of Adam steps
 * @param every Decode interval (default ⌊steps / 9⌋, at least 1)
 *
 * @example The reference's 5 000 steps
 * ```ts
 * import { decodeSchedule } from "./optimize.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * assertEquals(decodeSchedule(5000), [0, 555, 1110, 1665, 2220, 2775, 3330, 3885, 4440, 4995, 4999]);
 * ```
 */
export function decodeSchedule(steps: number, every: number = Math.max(1, Math.floor(steps / 9))): number[] {
  if (!Number.isInteger(steps) || steps < 1) {
    throw new RangeError(`steps must be a positive integer, got ${steps}`);
  }
  if (!Number.isInteger(every) || every < 1) {
    throw new RangeError(`every must be a positive integer, got ${every}`);
  }
  const out: number[] = [];
  for (let i = 0; i < steps; i++) if (i % every === 0 || i === steps - 1) out.push(i);
  return out;
}

/** The model's property head, or an error saying the model has none. */
function propertyHead(model: CDVAE): MLP {
  if (!model.fcProperty) {
    throw new Error(
      "This model has no property head (its config has predictProperty: false); property optimisation " +
        "needs a model trained with one",
    );
  }
  return model.fcProperty;
}

/**
 * Runs `fn` with the property head's parameters frozen (the reference's `model.freeze()`), so the
 * tape differentiates with respect to z only.
 */
async function frozen<T>(head: MLP, fn: () => Promise<T>): Promise<T> {
  const params = head.layers.flatMap((l) => l.bias ? [l.weight, l.bias] : [l.weight]);
  const was = params.map((p) => p.requiresGrad);
  params.forEach((p) => p.requiresGrad = false);
  try {
    return await fn();
  } finally {
    params.forEach((p, i) => p.requiresGrad = was[i]);
  }
}

/**
 * fc_property(z) `[B, 1]`, back-propagated as mean over the rows into `z.grad` (z is a leaf that
 * requires a gradient; its old gradient is dropped first).
 */
function headForwardBackward(head: MLP, z: Tensor, seed: Tensor, tape: Tape): Tensor {
  zeroGrad([z]);
  const y = tape.record(() => head.forward(z));
  tape.backward(y, seed);
  return y;
}

/** A latent tensor `[B, D]` that the tape treats as a leaf needing a gradient. */
function latentLeaf(model: CDVAE, z: Float32Array): Tensor {
  const t = Tensor.from(model.backend, z.slice(), [
    z.length / model.config.latentDim,
    model.config.latentDim,
  ]);
  t.requiresGrad = true;
  return t;
}

/**
 * The property head and its gradient with respect to z of the objective Adam minimises,
 * mean_b fc_property(z_b).
 *
 * @param model A model with a property head
 * @param z `[B·D]` latents
 * @returns `values` `[B]` (standardised) and `grad` `[B·D]`
 *
 * @example A tiny random model
 * ```ts
 * import { getBackend } from "../compute/backend.ts";
 * import { tinyModel } from "../../tests/model/_tiny.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const model = await tinyModel(await getBackend({ prefer: "reference" }));
 * const d = model.config.latentDim;
 * const { values, grad } = await propertyHeadGradient(model, new Float32Array(2 * d));
 * assertEquals([values.length, grad.length], [2, 2 * d]);
 * ```
 */
export async function propertyHeadGradient(
  model: CDVAE,
  z: Float32Array,
): Promise<{ values: Float64Array; grad: Float32Array }> {
  const head = propertyHead(model);
  const zT = latentLeaf(model, z), rows = zT.shape[0];
  const seed = fill(model.backend, [rows, 1], 1 / rows), tape = new Tape();
  try {
    return await frozen(head, async () => {
      const y = headForwardBackward(head, zT, seed, tape);
      return { values: Float64Array.from(await y.read()), grad: (await zT.grad!.read()) as Float32Array };
    });
  } finally {
    tape.dispose();
    zeroGrad([zT]);
    zT.dispose();
    seed.dispose();
  }
}

/** fc_property(z) `[B]` (standardised) for a resident latent tensor, without recording. */
async function headValues(head: MLP, z: Tensor): Promise<Float64Array> {
  const scope = new TensorScope();
  try {
    return Float64Array.from(await scope.run(() => head.forward(z)).read());
  } finally {
    scope.dispose();
  }
}

/**
 * Optimises latents against the model's property head with Adam and decodes them on the
 * reference's schedule (see the module doc). Decode k uses the Langevin seed `seed·101 + k`.
 *
 * @param model A trained model with a property head
 * @param z0 `[starts·D]` starting latents
 * @param opts Adam, decode and Langevin options
 *
 * @example Two Adam steps on a tiny random model
 * ```ts
 * import { getBackend } from "../compute/backend.ts";
 * import { tinyModel } from "../../tests/model/_tiny.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const model = await tinyModel(await getBackend({ prefer: "reference" }));
 * const d = model.config.latentDim;
 * const r = await optimizeLatents(model, new Float32Array(d), { steps: 2, levels: 1, stepsPerLevel: 1 });
 * assertEquals(r.decodes.map((x) => x.step), [0, 1]);
 * assertEquals(r.decodes[1].crystals.length, 1);
 * ```
 */
export async function optimizeLatents(
  model: CDVAE,
  z0: Float32Array,
  opts: OptimizeOptions = {},
): Promise<OptimizationResult> {
  const head = propertyHead(model);
  const steps = opts.steps ?? 5000, lr = opts.lr ?? 1e-3, seed = opts.seed ?? 0;
  const schedule = decodeSchedule(steps, opts.decodeEvery);
  // Every other option is the decodes' (the whole schedule: levels, steps, denoising step, loop…).
  const {
    steps: _steps,
    lr: _lr,
    seed: _seed,
    decodeEvery: _every,
    onAdamStep: _onAdam,
    onLangevinStep: _onLangevin,
    onDecode: _onDecode,
    ...sampling
  } = opts;
  const zT = latentLeaf(model, z0), rows = zT.shape[0];
  const lossSeed = fill(model.backend, [rows, 1], 1 / rows);
  const adam = new Adam([zT], { lr, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
  const meanHead = new Float64Array(steps), decodes: OptimizationDecode[] = [];
  try {
    return await frozen(head, async () => {
      for (let i = 0; i < steps; i++) {
        const tape = new Tape();
        try {
          const y = (await headForwardBackward(head, zT, lossSeed, tape).read()) as Float32Array;
          meanHead[i] = y.reduce((a, b) => a + b, 0) / rows;
          if (!Number.isFinite(meanHead[i])) throw new Error(`The property head diverged at Adam step ${i}`);
          adam.step();
        } finally {
          tape.dispose();
        }
        opts.onAdamStep?.(i + 1, steps);
        if (!schedule.includes(i)) continue;
        const k = decodes.length, z = (await zT.read()) as Float32Array;
        const crystals = await model.decodeLatents(z, {
          ...sampling,
          seed: seed * 101 + k,
          onStep: opts.onLangevinStep &&
            ((d, t) => opts.onLangevinStep!(k * t + d, schedule.length * t)),
        });
        decodes.push({ step: i, z, head: await headValues(head, zT), crystals });
        opts.onDecode?.(decodes[k], k, schedule.length);
      }
      return { decodes, meanHead };
    });
  } finally {
    adam.dispose();
    zeroGrad([zT]);
    zT.dispose();
    lossSeed.dispose();
  }
}
