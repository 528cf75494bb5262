/**
 * The CDVAE model (Xie et al., ICLR 2022): a periodic encoder to a latent z, MLP heads that
 * predict the number of atoms, the lattice, the composition and (optionally) a property from z,
 * and a score network decoder conditioned on z that denoises coordinates and atom types.
 * Parameter names equal the reference's `state_dict`, so its weights load here and ours there.
 *
 * This file holds the model and its pieces; the training objective is `losses.ts`, the sampler
 * `sampler.ts`.
 *
 * @module
 */

import type { Backend } from "../compute/backend.ts";
import { add, exp, gather, mul, randNormal, scale } from "../compute/functional.ts";
import { Tensor } from "../compute/tensor.ts";
import { Linear, MLP, ParamStore } from "../nn/module.ts";
import type { GraphBatch } from "../nn/graph.ts";
import { crystalOfAtoms } from "../nn/graph.ts";
import { DimeNetPlusPlus } from "../nn/dimenet.ts";
import { GEMNET_T_DEFAULTS, GemNetT } from "../nn/gemnet.ts";
import { buildDecoderGraph } from "../nn/gemnet_graph.ts";
import { type CDVAEConfig, noiseLevels } from "./config.ts";
import { getBackend } from "../compute/backend.ts";
import { TensorScope } from "../compute/tape.ts";
import type { Crystal } from "../crystal/crystal.ts";
import { preprocessCrystals } from "../data/preprocess.ts";
import { decodeSafetensors, loadIntoStore } from "./safetensors.ts";
import { folderUrl, readModelFolder } from "./files.ts";
import { checkCDVAEConfig } from "./config_check.ts";
import {
  isCheckpointPath,
  isIgnoredCDVAEBuffer,
  loadReferenceWeights,
  readReferenceCheckpoint,
} from "./torch/reference.ts";
import { type GeneratedCrystal, langevin, type LangevinOptions, priorLatents } from "./sampler.ts";
import { encoderGraph, packHost } from "./graphs.ts";

/** Where `CDVAE.load("default")` finds the shipped model. */
export const DEFAULT_MODEL_URL: URL = new URL("../../data/models/perov_5/", import.meta.url);

/** Options of {@linkcode CDVAE.generate}. */
export interface GenerateOptions extends Omit<LangevinOptions, "seed" | "numAtoms"> {
  /** Number of crystals (those of index firstIndex … firstIndex + n − 1 of the run). */
  n: number;
  /** Seed of the latents and of the dynamics (default 0). */
  seed?: number;
  /** Crystals per batch of dynamics (default 64). */
  batchSize?: number;
}

/** The outputs of the heads for a batch of latents. */
export interface HeadOutputs {
  /** `[B, maxAtoms + 1]` logits over atom counts. */
  numAtoms: Tensor;
  /** `[B, 6]` standardised lattice values (lengths / N^(1/3), angles). */
  lattice: Tensor;
  /** `[N, numTypes]` per-atom composition logits (z repeated per atom). */
  composition: Tensor;
  /** `[B, 1]` standardised property, when predicted. */
  property?: Tensor;
}

/**
 * A CDVAE model: parameters, encoder, decoder and heads.
 *
 * @example Parameter names follow the reference
 * ```ts ignore
 * const model = await CDVAE.create(be, PRESETS.small("perov_5"), 1);
 * model.store.entries.has("fc_mu.weight"); // true
 * ```
 */
export class CDVAE {
  readonly store: ParamStore;
  readonly encoder: DimeNetPlusPlus;
  readonly decoder: GemNetT;
  readonly fcMu: Linear;
  readonly fcVar: Linear;
  readonly fcNumAtoms: MLP;
  readonly fcLattice: MLP;
  readonly fcComposition: MLP;
  readonly fcProperty: MLP | undefined;
  /** σ_X levels, descending. */
  readonly sigmas: Float64Array;
  /** σ_A levels, descending. */
  readonly typeSigmas: Float64Array;

  constructor(readonly backend: Backend, readonly config: CDVAEConfig, seed = 0) {
    const c = config;
    const store = this.store = new ParamStore(backend, seed);
    this.encoder = new DimeNetPlusPlus(store, "encoder", { ...c.encoder, outChannels: c.latentDim });
    const { numAtomResidual, ...decoder } = c.decoder;
    this.decoder = new GemNetT(store, {
      ...GEMNET_T_DEFAULTS,
      ...decoder,
      numAtom: numAtomResidual,
      latentDim: c.latentDim,
      numAtomTypes: c.numTypes,
    }, "decoder");
    this.fcMu = new Linear(store, "fc_mu", c.latentDim, c.latentDim);
    this.fcVar = new Linear(store, "fc_var", c.latentDim, c.latentDim);
    this.fcNumAtoms = new MLP(store, "fc_num_atoms", c.latentDim, c.hiddenDim, c.fcNumLayers, c.maxAtoms + 1);
    this.fcLattice = new MLP(store, "fc_lattice", c.latentDim, c.hiddenDim, c.fcNumLayers, 6);
    this.fcComposition = new MLP(
      store,
      "fc_composition",
      c.latentDim,
      c.hiddenDim,
      c.fcNumLayers,
      c.numTypes,
    );
    this.fcProperty = c.predictProperty
      ? new MLP(store, "fc_property", c.latentDim, c.hiddenDim, c.fcNumLayers, 1)
      : undefined;
    this.sigmas = noiseLevels(c.sigmaBegin, c.sigmaEnd, c.numNoiseLevels);
    this.typeSigmas = noiseLevels(c.typeSigmaBegin, c.typeSigmaEnd, c.numNoiseLevels);
    // The reference keeps the levels as frozen parameters; keep them in the file too.
    store.add("sigmas", Tensor.from(backend, Float32Array.from(this.sigmas)), "same", false);
    store.add("type_sigmas", Tensor.from(backend, Float32Array.from(this.typeSigmas)), "same", false);
  }

  /** Encoder output → μ and log σ², each `[B, latentDim]`. */
  encodeGraph(g: GraphBatch): { mu: Tensor; logVar: Tensor } {
    const hidden = this.encoder.forward(g);
    return { mu: this.fcMu.forward(hidden), logVar: this.fcVar.forward(hidden) };
  }

  /**
   * z = μ + exp(½ log σ²)·ε with ε ~ N(0, I) from the device generator (or given).
   *
   * @param mu `[B, D]`
   * @param logVar `[B, D]`
   * @param rng Seed and stream offset of ε, or ε itself
   */
  reparameterize(mu: Tensor, logVar: Tensor, rng: { seed: number; offset?: number } | Tensor): Tensor {
    const eps = rng instanceof Tensor ? rng : randNormal(this.backend, mu.shape, rng);
    return add(mu, mul(exp(scale(logVar, 0.5)), eps));
  }

  /**
   * The heads on z. The composition head runs on z repeated per atom of each crystal.
   *
   * @param z `[B, D]`
   * @param atomOffsets `[B + 1]` atoms per crystal (true counts in training, predicted when sampling)
   */
  heads(z: Tensor, atomOffsets: Uint32Array): HeadOutputs {
    const perAtom = gather(z, Tensor.from(this.backend, crystalOfAtoms({ atomOffsets })));
    return {
      numAtoms: this.fcNumAtoms.forward(z),
      lattice: this.fcLattice.forward(z),
      composition: this.fcComposition.forward(perAtom),
      property: this.fcProperty?.forward(z),
    };
  }

  /**
   * The decoder on a (noisy) structure: per-atom Cartesian scores `[N, 3]` (the reference's
   * `pred_cart_coord_diff`, not yet divided by σ) and type logits `[N, numTypes]`.
   *
   * @param z `[B, D]`
   * @param g The decoder graph of the noisy structure (its `numbers` are the current types)
   */
  decode(z: Tensor, g: GraphBatch): { scores: Tensor; typeLogits: Tensor } {
    const inputs = this.decoder.prepare(buildDecoderGraph(g));
    const types = Tensor.from(this.backend, Uint32Array.from(g.numbers, (n) => n - 1));
    return this.decoder.forward(z, inputs, types);
  }

  /**
   * Loads a model folder (config.json + weights.safetensors, or best.safetensors of a run):
   * a path, a URL, or "default" for the shipped Perov-5 model; or a reference PyTorch checkpoint
   * (`run/epoch=…ckpt`, with `hparams.yaml`, `lattice_scaler.pt` and `prop_scaler.pt` beside it).
   *
   * @param source Folder path or URL (with or without a trailing slash), "default", or a `.ckpt`
   * @param opts Backend to run on (default: the fastest here)
   */
  static async load(source: string | URL, opts: { backend?: Backend } = {}): Promise<CDVAE> {
    if (source !== "default" && isCheckpointPath(source)) {
      // A reference PyTorch Lightning checkpoint, with hparams.yaml and the scalers beside it.
      const ref = await readReferenceCheckpoint(source);
      if (ref.kind !== "cdvae") {
        throw new Error(`${source} is a property model: load it with PropertyModel.load`);
      }
      const model = new CDVAE(
        opts.backend ?? await getBackend(),
        checkCDVAEConfig(ref.config, String(source)),
      );
      loadReferenceWeights(model.store, ref.tensors, String(source), isIgnoredCDVAEBuffer);
      const offsets = (k: string) => ref.tensors.get(`decoder.gemnet.${k}radial_basis.rbf.offset`)?.data;
      model.decoder.rbfCenters = Float64Array.from(offsets("") ?? model.decoder.rbfCenters);
      model.decoder.cbfRbfCenters = Float64Array.from(offsets("cbf_basis3.") ?? model.decoder.cbfRbfCenters);
      return model;
    }
    const base = source === "default" ? DEFAULT_MODEL_URL : folderUrl(source);
    const { config, weights, weightsName } = await readModelFolder<CDVAEConfig>(base, "cdvae-config/1");
    checkCDVAEConfig(config, new URL("config.json", base).href);
    const model = new CDVAE(opts.backend ?? await getBackend(), config);
    loadIntoStore(model.store, decodeSafetensors(weights, weightsName).tensors);
    return model;
  }

  /**
   * Samples crystals from the prior N(0, I) with annealed Langevin dynamics. Crystal i is a
   * function of the seed and its index (`firstIndex` + i) only: `n` and `batchSize` do not change
   * it, so a run can be split into ranges of indices (shards) that together make the same crystals.
   *
   * @param opts Count, seed, schedule
   * @returns The crystals, each with a `problem` when it could not be built properly
   */
  generate(opts: GenerateOptions): Promise<GeneratedCrystal[]> {
    const z = priorLatents(opts.n, this.config.latentDim, opts.seed ?? 0, opts.firstIndex ?? 0);
    return this.decodeLatents(z, opts);
  }

  /**
   * Decodes latents with annealed Langevin dynamics, `batchSize` crystals at a time; row i of `z`
   * draws from the streams of (seed, firstIndex + i) whatever its batch. `onStep` counts the steps
   * of all batches.
   *
   * @param z `[n·D]` latents (row-major)
   * @param opts Seed, schedule, batch size
   */
  async decodeLatents(z: Float32Array, opts: Omit<GenerateOptions, "n"> = {}): Promise<GeneratedCrystal[]> {
    const seed = opts.seed ?? 0, bs = opts.batchSize ?? 64, d = this.config.latentDim;
    const n = z.length / d, total = Math.ceil(n / bs), out: GeneratedCrystal[] = [];
    for (let b = 0; b < total; b++) {
      const r = await langevin(this, z.subarray(b * bs * d, Math.min(n, (b + 1) * bs) * d), {
        ...opts,
        seed,
        firstIndex: (opts.firstIndex ?? 0) + b * bs,
        onStep: opts.onStep && ((k, t) => opts.onStep!(b * t + k, total * t)),
      });
      out.push(...r.crystals);
    }
    return out;
  }

  /**
   * Encodes crystals: μ, log σ² and a sampled z = μ + σ·ε, each `[B·D]` on the host.
   *
   * @param crystals Any cells (Niggli-reduced as the reference does)
   * @param seed Seed of ε
   */
  async encode(
    crystals: readonly Crystal[],
    seed = 0,
  ): Promise<{ mu: Float32Array; logVar: Float32Array; z: Float32Array }> {
    const recs = preprocessCrystals(crystals, crystals.map((_, i) => String(i)));
    const host = packHost(recs.map((r) => ({ lattice: r.lattice, frac: r.frac, numbers: r.numbers })));
    const g = encoderGraph(host, this.config.encoder);
    const scope = new TensorScope();
    try {
      const { mu, logVar } = scope.run(() => this.encodeGraph(g));
      const z = scope.run(() => this.reparameterize(mu, logVar, { seed }));
      return {
        mu: (await mu.read()) as Float32Array,
        logVar: (await logVar.read()) as Float32Array,
        z: (await z.read()) as Float32Array,
      };
    } finally {
      scope.dispose();
    }
  }

  /**
   * Reconstructs crystals as the reference: encode, sample z = μ + σε, decode with Langevin
   * dynamics (predicted atom count, lattice and composition); `onStep` counts the steps of all
   * batches.
   */
  async reconstruct(
    crystals: readonly Crystal[],
    opts: Omit<GenerateOptions, "n"> = {},
  ): Promise<GeneratedCrystal[]> {
    const seed = opts.seed ?? 0, bs = opts.batchSize ?? 64, out: GeneratedCrystal[] = [];
    const total = Math.ceil(crystals.length / bs);
    for (let b = 0; b < crystals.length; b += bs) {
      const part = crystals.slice(b, b + bs);
      const { z } = await this.encode(part, seed + b);
      const r = await langevin(this, z, {
        ...opts,
        seed,
        firstIndex: (opts.firstIndex ?? 0) + b,
        onStep: opts.onStep && ((k, t) => opts.onStep!((b / bs) * t + k, total * t)),
      });
      out.push(...r.crystals);
    }
    return out;
  }

  /** Number of parameters, total and by part (for `info --model`). */
  parameterCounts(): Record<string, number> {
    const s = this.store;
    return {
      total: s.count(),
      encoder: s.count("encoder."),
      decoder: s.count("decoder."),
      heads: s.count("fc_"),
    };
  }

  /** Frees the parameters. */
  dispose(): void {
    this.store.dispose();
  }
}
