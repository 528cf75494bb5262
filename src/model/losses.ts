/**
 * The training objective of the reference (`CDVAE.forward` and its loss methods): encode, heads,
 * one noise level per crystal for coordinates and (independently) for types, types noised by
 * mixing the one-hot with σ_A × the detached predicted composition, Cartesian Gaussian noise,
 * the decoder on the noisy structure, and the seven loss terms.
 *
 * The host draws the noise (levels, types, coordinates) from a {@linkcode HostRng}, so a run
 * is reproducible and resumable; the draws can also be injected (the reference-fixture test
 * replays the reference's own draws).
 *
 * @module
 */

import type { HostRng } from "../compute/host_rng.ts";
import { add, crossEntropy, exp, mse, mul, scale, sub, sum } from "../compute/functional.ts";
import type { Tape } from "../compute/tape.ts";
import { Tensor } from "../compute/tensor.ts";
import { cartToFrac, fracToCart, wrapFrac } from "../crystal/lattice.ts";
import { minImageDisplacementMany } from "../core/geometry.ts";
import { latticeFromTarget, latticeTarget, scaleRow } from "../data/preprocess.ts";
import type { CDVAE, HeadOutputs } from "./cdvae.ts";
import { buildGraph, type HostCrystals } from "./graphs.ts";
import { decoderGraphOptions } from "./config.ts";
import type { GraphBatch } from "../nn/graph.ts";
import type { EncoderHostInputs } from "../nn/dimenet_graph.ts";

/** The loss terms, named as the reference logs them. */
export const LOSS_TERMS = [
  "num_atom_loss",
  "lattice_loss",
  "composition_loss",
  "coord_loss",
  "type_loss",
  "kld_loss",
  "property_loss",
] as const;

/** One loss term's name. */
export type LossTerm = typeof LOSS_TERMS[number];

/** A batch ready for the objective: true structures, the encoder graph and scaled targets. */
export interface TrainBatch {
  /** The true structures (Niggli cells rebuilt from parameters). */
  host: HostCrystals;
  /** The encoder's graph of the true structures, or its prepared host inputs (a per-crystal cache's). */
  encoderGraph: GraphBatch | EncoderHostInputs;
  /** `[6B]` standardised lattice targets. */
  latticeTargets: Float32Array;
  /** `[B]` standardised property, when the model predicts one. */
  property?: Float32Array;
}

/** The randomness of one step (drawn on the host, or injected). */
export interface StepNoise {
  /** `[B]` index into σ_X of each crystal. */
  levels: Uint32Array;
  /** `[B]` index into σ_A of each crystal. */
  typeLevels: Uint32Array;
  /** `[N]` the sampled noisy atomic numbers. */
  noisyTypes: Uint8Array;
  /** `[3N]` Cartesian noise before scaling by σ (standard normal). */
  coordNoise: Float64Array;
  /** `[B, D]` the reparameterisation noise ε. */
  eps: Float32Array;
}

/** Everything one evaluation of the objective produced. */
export interface ObjectiveResult {
  /** Each term as a `[1]` tensor. */
  terms: Record<LossTerm, Tensor>;
  /** The weighted training total. */
  total: Tensor;
  /** cost_coord·coord + cost_type·type, the reference's validation loss. */
  validation: Tensor;
  /** The draws used. */
  noise: StepNoise;
  /** Head outputs and decoder outputs, for tests and logs. */
  heads: HeadOutputs;
  /** `[N, 3]` decoder scores. */
  scores: Tensor;
  /** `[N, numTypes]` decoder type logits. */
  typeLogits: Tensor;
  /** μ and log σ². */
  mu: Tensor;
  logVar: Tensor;
  /** The noisy fractional coordinates the decoder saw. */
  noisyFrac: Float64Array;
  /** How many crystals fell back to the true lattice because the predicted one was invalid. */
  latticeFallbacks: number;
}

/** Options of {@linkcode cdvaeObjective}. */
export interface ObjectiveOptions {
  /** Use the true lattice in the decoder (the reference's lattice teacher forcing). */
  teacherForcing: boolean;
  /** Host generator for the draws. */
  rng: HostRng;
  /** Replace some draws (tests replay the reference's). */
  inject?: Partial<StepNoise>;
}

/** Row-wise softmax of `[rows, cols]` logits, in f64 (host side: type noise, initial compositions). */
export function softmaxRows(logits: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    for (let c = 0; c < cols; c++) m = Math.max(m, logits[r * cols + c]);
    let s = 0;
    for (let c = 0; c < cols; c++) s += out[r * cols + c] = Math.exp(logits[r * cols + c] - m);
    for (let c = 0; c < cols; c++) out[r * cols + c] /= s;
  }
  return out;
}

/**
 * The lattices the decoder sees: the true ones (teacher forcing) or those of the lattice head
 * (unscaled, lengths × N^(1/3)); an invalid predicted lattice falls back to the true one.
 */
export function decoderLattices(
  model: CDVAE,
  host: HostCrystals,
  predicted: ArrayLike<number> | undefined,
): { lattices: Float64Array; fallbacks: number } {
  if (!predicted) return { lattices: host.lattices, fallbacks: 0 };
  const b = host.atomOffsets.length - 1;
  const out = new Float64Array(9 * b);
  let fallbacks = 0;
  for (let i = 0; i < b; i++) {
    const row = predicted instanceof Float32Array || predicted instanceof Float64Array
      ? predicted.subarray(6 * i, 6 * i + 6)
      : Array.from({ length: 6 }, (_, k) => predicted[6 * i + k]);
    try {
      out.set(
        latticeFromTarget(model.config.scalers.lattice, row, host.atomOffsets[i + 1] - host.atomOffsets[i]),
        9 * i,
      );
    } catch {
      out.set(host.lattices.subarray(9 * i, 9 * i + 9), 9 * i);
      fallbacks++;
    }
  }
  return { lattices: out, fallbacks };
}

/**
 * Evaluates the objective on a batch. Ops are recorded on `tape` (call `tape.backward(total)`
 * for gradients); every tensor it creates belongs to the tape.
 *
 * @param model The model
 * @param batch The batch
 * @param tape Records the ops (and owns the tensors); a `TensorScope` adapter
 *   (`{ record: (f) => scope.run(f) }`) evaluates without recording (validation)
 * @param opts Teacher forcing and the generator
 * @returns The terms, totals, draws and outputs
 */
export async function cdvaeObjective(
  model: CDVAE,
  batch: TrainBatch,
  tape: Pick<Tape, "record">,
  opts: ObjectiveOptions,
): Promise<ObjectiveResult> {
  const c = model.config, be = model.backend, rng = opts.rng, inj = opts.inject ?? {};
  const { host } = batch;
  const nCrystals = host.atomOffsets.length - 1, nAtoms = host.numbers.length, types = c.numTypes;
  const counts = Array.from({ length: nCrystals }, (_, b) => host.atomOffsets[b + 1] - host.atomOffsets[b]);
  for (const n of counts) {
    if (n > c.maxAtoms) {
      throw new RangeError(`A crystal has ${n} atoms; the model allows at most ${c.maxAtoms}`);
    }
  }

  // Draws that do not depend on the network come first, in a fixed order.
  const eps = inj.eps ?? Float32Array.from({ length: nCrystals * c.latentDim }, () => rng.normal());
  const levels = inj.levels ?? Uint32Array.from(counts, () => rng.int(c.numNoiseLevels));
  const typeLevels = inj.typeLevels ?? Uint32Array.from(counts, () => rng.int(c.numNoiseLevels));
  const coordNoise = inj.coordNoise ?? Float64Array.from({ length: 3 * nAtoms }, () => rng.normal());

  // Phase 1: encoder and heads.
  const { mu, logVar, z, heads } = tape.record(() => {
    const { mu, logVar } = model.encodeGraph(batch.encoderGraph);
    const z = model.reparameterize(mu, logVar, Tensor.from(be, eps, [nCrystals, c.latentDim]));
    return { mu, logVar, z, heads: model.heads(z, host.atomOffsets) };
  });

  // Host: type noise from the detached composition, coordinate noise in the decoder's lattice.
  const compProbs = softmaxRows(await heads.composition.read(), nAtoms, types);
  const predictedLattice = opts.teacherForcing ? undefined : await heads.lattice.read();
  const { lattices: decLattices, fallbacks } = decoderLattices(model, host, predictedLattice);
  const sigmaAtom = new Float64Array(nAtoms), typeSigmaAtom = new Float64Array(nAtoms);
  const atomWeight = new Float32Array(nAtoms); // 1 / (B · n_b): mean per crystal, then over the batch
  for (let b = 0; b < nCrystals; b++) {
    for (let i = host.atomOffsets[b]; i < host.atomOffsets[b + 1]; i++) {
      sigmaAtom[i] = model.sigmas[levels[b]];
      typeSigmaAtom[i] = model.typeSigmas[typeLevels[b]];
      atomWeight[i] = 1 / (nCrystals * counts[b]);
    }
  }
  let noisyTypes = inj.noisyTypes;
  if (!noisyTypes) {
    noisyTypes = new Uint8Array(nAtoms);
    const p = new Float64Array(types);
    for (let i = 0; i < nAtoms; i++) {
      for (let t = 0; t < types; t++) p[t] = typeSigmaAtom[i] * compProbs[i * types + t];
      p[host.numbers[i] - 1] += 1;
      noisyTypes[i] = rng.categorical(p) + 1;
    }
  }
  const noisyFrac = new Float64Array(3 * nAtoms);
  for (let b = 0; b < nCrystals; b++) {
    const L = decLattices.subarray(9 * b, 9 * b + 9);
    const a0 = host.atomOffsets[b], a1 = host.atomOffsets[b + 1];
    const cart = fracToCart(host.frac.subarray(3 * a0, 3 * a1), L);
    for (let k = 0; k < cart.length; k++) {
      cart[k] += coordNoise[3 * a0 + k] * sigmaAtom[a0 + Math.floor(k / 3)];
    }
    const f = cartToFrac(cart, L);
    for (let k = 0; k < f.length; k++) noisyFrac[3 * a0 + k] = wrapFrac(f[k]);
  }
  // Target: the minimum-image displacement from the noisy to the true position, true lattice,
  // scaled by 1/σ (the loss ½‖d/σ² − s/σ‖²σ² is ½‖d/σ − s‖²).
  const dmin = minImageDisplacementMany(host.lattices, noisyFrac, host.frac, host.atomOffsets);
  const coordTarget = new Float32Array(3 * nAtoms);
  for (let k = 0; k < coordTarget.length; k++) coordTarget[k] = dmin[k] / sigmaAtom[Math.floor(k / 3)];
  const decoderGraph = buildGraph(
    { atomOffsets: host.atomOffsets, numbers: noisyTypes, frac: noisyFrac, lattices: decLattices },
    decoderGraphOptions(c.decoder),
  );

  // Phase 2: decoder and the loss terms.
  return tape.record(() => {
    const { scores, typeLogits } = model.decode(z, decoderGraph);
    const u32 = (xs: ArrayLike<number>) => Tensor.from(be, Uint32Array.from(xs));
    const f32 = (xs: ArrayLike<number>, shape?: number[]) => Tensor.from(be, Float32Array.from(xs), shape);
    const trueTypes = u32(Array.from(host.numbers, (z) => z - 1));
    const terms = {} as Record<LossTerm, Tensor>;
    terms.num_atom_loss = sum(
      crossEntropy(heads.numAtoms, u32(counts), f32(counts.map(() => 1 / nCrystals))),
    );
    terms.lattice_loss = mse(heads.lattice, f32(batch.latticeTargets, [nCrystals, 6]));
    terms.composition_loss = sum(crossEntropy(heads.composition, trueTypes, f32(atomWeight)));
    const diff = sub(f32(coordTarget, [nAtoms, 3]), scores);
    terms.coord_loss = sum(mul(mul(diff, diff), f32(atomWeight.map((w) => 0.5 * w), [nAtoms, 1])));
    terms.type_loss = sum(
      crossEntropy(typeLogits, trueTypes, f32(atomWeight.map((w, i) => w / typeSigmaAtom[i]))),
    );
    // KL = mean_b −½ Σ_d (1 + log σ² − μ² − σ²)
    const klInner = sub(sub(logVar, mul(mu, mu)), exp(logVar));
    terms.kld_loss = scale(sum(klInner), -0.5 / nCrystals, -0.5 * c.latentDim);
    terms.property_loss = heads.property && batch.property
      ? mse(heads.property, f32(batch.property, [nCrystals, 1]))
      : f32([0]);
    const w: Record<LossTerm, number> = {
      num_atom_loss: c.cost.natom,
      lattice_loss: c.cost.lattice,
      composition_loss: c.cost.composition,
      coord_loss: c.cost.coord,
      type_loss: c.cost.type,
      kld_loss: c.beta,
      property_loss: heads.property && batch.property ? c.cost.property : 0,
    };
    let total = scale(terms.num_atom_loss, w.num_atom_loss);
    for (const t of LOSS_TERMS.slice(1)) if (w[t] !== 0) total = add(total, scale(terms[t], w[t]));
    const validation = add(scale(terms.coord_loss, c.cost.coord), scale(terms.type_loss, c.cost.type));
    return {
      terms,
      total,
      validation,
      noise: { levels, typeLevels, noisyTypes: noisyTypes!, coordNoise, eps },
      heads,
      scores,
      typeLogits,
      mu,
      logVar,
      noisyFrac,
      latticeFallbacks: fallbacks,
    };
  });
}

/** Standardised lattice targets `[6B]` and property `[B]` of records under the model's scalers. */
export function scaledTargets(
  model: CDVAE,
  records: readonly { numbers: Uint8Array; lengths: number[]; angles: number[]; property: number }[],
): { lattice: Float32Array; property?: Float32Array } {
  const s = model.config.scalers;
  const lattice = new Float32Array(6 * records.length);
  records.forEach((r, i) =>
    lattice.set(scaleRow(s.lattice, latticeTarget(r as Parameters<typeof latticeTarget>[0])), 6 * i)
  );
  const property = s.property && records.every((r) => Number.isFinite(r.property))
    ? Float32Array.from(records, (r) => (r.property - s.property!.mean[0]) / s.property!.std[0])
    : undefined;
  return { lattice, property };
}
