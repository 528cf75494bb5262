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
import { registry, Tensor } from "../compute/tensor.ts";
import { Linear, MLP, ParamStore } from "../nn/module.ts";
import type { GraphBatch } from "../nn/graph.ts";
import { crystalOfAtoms } from "../nn/graph.ts";
import { DimeNetPlusPlus } from "../nn/dimenet.ts";
import { type EncoderHostInputs, uploadEncoderInputs } from "../nn/dimenet_graph.ts";
import { GemNetT } from "../nn/gemnet.ts";
import { buildDecoderGraph } from "../nn/gemnet_graph.ts";
import { type CDVAEConfig, decoderNetworkConfig, encoderNetworkConfig, noiseLevels } from "./config.ts";
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

/** The datasets a generative model may ship for; `CDVAE.load(name)` finds it in `data/models/<name>/`. */
export const SHIPPED_MODELS = ["perov_5", "carbon_24", "mp_20"] as const;

/** A shipped model's name. */
export type ShippedModel = typeof SHIPPED_MODELS[number];

/**
 * The folder URL a model source names: "default" and the shipped names resolve next to this module (so a URL
 * import finds them too); anything else is a folder path or URL. A local folder that happens to be called
 * like a shipped model is reached as `./mp_20`.
 *
 * @example
 * ```ts
 * import { modelFolderUrl } from "./cdvae.ts";
 * console.log(modelFolderUrl("mp_20").pathname.endsWith("/data/models/mp_20/")); // true
 * ```
 */
export function modelFolderUrl(source: string | URL): URL {
  if (source === "default") return DEFAULT_MODEL_URL;
  if ((SHIPPED_MODELS as readonly unknown[]).includes(source)) {
    return new URL(`../../data/models/${source}/`, import.meta.url);
  }
  return folderUrl(source);
}

/** Options of {@linkcode CDVAE.generate}. */
export interface GenerateOptions extends Omit<LangevinOptions, "seed" | "numAtoms" | "atomTypes"> {
  /** Number of crystals (those of index firstIndex … firstIndex + n − 1 of the run). */
  n: number;
  /** Seed of the latents and of the dynamics (default 0). */
  seed?: number;
  /** Crystals per batch of dynamics (default 64). */
  batchSize?: number;
}

/** Options of {@linkcode CDVAE.reconstruct}: a generation's, and what to take from the originals. */
export interface ReconstructOptions extends Omit<GenerateOptions, "n"> {
  /** Give the dynamics each original's atom count instead of the predicted one (the reference's
   * `force_num_atoms`). */
  forceNumAtoms?: boolean;
  /** Give the dynamics each original's atoms and keep them, so only the lattice and positions are
   * reconstructed (the reference's `force_atom_types`; implies `forceNumAtoms`; host loop). */
  forceAtomTypes?: boolean;
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
 * A CDVAE model: parameters, encoder, decoder and heads. {@linkcode CDVAE.load} reads a trained
 * one; `generate`, `encode`, `reconstruct` and `decodeLatents` use it.
 *
 * @example Parameter names follow the reference
 * ```ts
 * import { getBackend } from "../compute/backend.ts";
 * import { PRESETS } from "./config.ts";
 * import { assert } from "../../tests/_assert.ts";
 * const model = new CDVAE(await getBackend({ prefer: "reference" }), PRESETS.small("perov_5"), 1);
 * assert(model.store.entries.has("fc_mu.weight"));
 * model.dispose();
 * ```
 */
export class CDVAE {
  /**
   * The parameters by the reference's names.
   * @internal
   */
  readonly store: ParamStore;
  /**
   * DimeNet++ encoder.
   * @internal
   */
  readonly encoder: DimeNetPlusPlus;
  /**
   * GemNet-T decoder.
   * @internal
   */
  readonly decoder: GemNetT;
  /** @internal */
  readonly fcMu: Linear;
  /** @internal */
  readonly fcVar: Linear;
  /** @internal */
  readonly fcNumAtoms: MLP;
  /** @internal */
  readonly fcLattice: MLP;
  /** @internal */
  readonly fcComposition: MLP;
  /** @internal */
  readonly fcProperty: MLP | undefined;
  /** σ_X levels, descending. */
  readonly sigmas: Float64Array;
  /** σ_A levels, descending. */
  readonly typeSigmas: Float64Array;

  /**
   * A model with freshly initialised weights (to train); {@linkcode CDVAE.load} reads a trained one.
   *
   * @param backend Where the model's tensors live
   * @param config The architecture and schedule
   * @param seed Seed of the initial weights
   */
  constructor(readonly backend: Backend, readonly config: CDVAEConfig, seed = 0) {
    const c = config;
    const store = this.store = new ParamStore(backend, seed);
    this.encoder = new DimeNetPlusPlus(store, "encoder", encoderNetworkConfig(c.encoder, c.latentDim));
    this.decoder = new GemNetT(store, decoderNetworkConfig(c), "decoder");
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

  /**
   * Encoder output → μ and log σ², each `[B, latentDim]`, from a graph batch or from the encoder's
   * host inputs already prepared (e.g. joined from a per-crystal cache). Uploaded inputs belong
   * to the tape or scope that records; with none, they are freed here.
   * @internal
   */
  encodeGraph(g: GraphBatch | EncoderHostInputs): { mu: Tensor; logVar: Tensor } {
    let hidden: Tensor;
    if ("sbf" in g) {
      const inputs = uploadEncoderInputs(this.backend, g);
      hidden = this.encoder.forward(inputs);
      if (registry.current === null) inputs.dispose();
    } else hidden = this.encoder.forward(g);
    return { mu: this.fcMu.forward(hidden), logVar: this.fcVar.forward(hidden) };
  }

  /**
   * z = μ + exp(½ log σ²)·ε with ε ~ N(0, I) from the device generator (or given).
   *
   * @param mu `[B, D]`
   * @param logVar `[B, D]`
   * @param rng Seed and stream offset of ε, or ε itself
   * @internal
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
   * @internal
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
   * @internal
   */
  decode(z: Tensor, g: GraphBatch): { scores: Tensor; typeLogits: Tensor } {
    const inputs = this.decoder.prepare(buildDecoderGraph(g));
    const types = Tensor.from(this.backend, Uint32Array.from(g.numbers, (n) => n - 1));
    return this.decoder.forward(z, inputs, types);
  }

  /**
   * Loads a model folder (config.json + weights.safetensors, or best.safetensors of a run):
   * a path, a URL, a shipped model's name (`perov_5`, `mp_20`, `carbon_24`; "default" is `perov_5`), or a
   * reference PyTorch checkpoint
   * (`run/epoch=…ckpt`, with `hparams.yaml`, `lattice_scaler.pt` and `prop_scaler.pt` beside it).
   *
   * @param source Folder path or URL (with or without a trailing slash), a shipped name, "default", or a `.ckpt`
   * @param opts Backend to run on (default: the fastest here)
   *
   * @example The shipped Perov-5 model
   * ```ts
   * import { getBackend } from "../compute/backend.ts";
   * import { assertEquals } from "../../tests/_assert.ts";
   * const model = await CDVAE.load("default", { backend: await getBackend({ prefer: "reference" }) });
   * assertEquals(model.config.dataset, "perov_5");
   * model.dispose();
   * ```
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
    const base = modelFolderUrl(source);
    const { config, weights, weightsName } = await readModelFolder<CDVAEConfig>(base, "cdvae-config/1").catch(
      (e) => {
        if (!(SHIPPED_MODELS as readonly unknown[]).includes(source)) throw e;
        throw new Error(`No model for "${source}" ships with this version (${(e as Error).message})`);
      },
    );
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
   *
   * @example Two crystals from a tiny random model, short schedule
   * ```ts
   * import { getBackend } from "../compute/backend.ts";
   * import { tinyModel } from "../../tests/model/_tiny.ts";
   * import { assertEquals } from "../../tests/_assert.ts";
   * const model = await tinyModel(await getBackend({ prefer: "reference" }));
   * const crystals = await model.generate({ n: 2, seed: 1, levels: 2, stepsPerLevel: 2 });
   * assertEquals(crystals.length, 2);
   * assertEquals((await model.generate({ n: 1, seed: 1, levels: 2, stepsPerLevel: 2 }))[0].frac, crystals[0].frac);
   * ```
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
   *
   * @example Decode the zero latent
   * ```ts
   * import { getBackend } from "../compute/backend.ts";
   * import { tinyModel } from "../../tests/model/_tiny.ts";
   * import { assertEquals } from "../../tests/_assert.ts";
   * const model = await tinyModel(await getBackend({ prefer: "reference" }));
   * const [c] = await model.decodeLatents(new Float32Array(model.config.latentDim), { levels: 1, stepsPerLevel: 1 });
   * assertEquals(c.frac.length, 3 * c.numbers.length);
   * ```
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
   *
   * @example μ, log σ² and z of one crystal
   * ```ts
   * import { getBackend } from "../compute/backend.ts";
   * import { tinyModel } from "../../tests/model/_tiny.ts";
   * import { assertEquals } from "../../tests/_assert.ts";
   * const model = await tinyModel(await getBackend({ prefer: "reference" }));
   * const cubic = { lattice: new Float64Array([4, 0, 0, 0, 4, 0, 0, 0, 4]), frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0.5]), numbers: new Uint8Array([11, 17]) };
   * const { mu, z } = await model.encode([cubic]);
   * assertEquals([mu.length, z.length], [model.config.latentDim, model.config.latentDim]);
   * ```
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
   * dynamics (predicted atom count, lattice and composition, unless `forceNumAtoms` /
   * `forceAtomTypes` take them from the originals); `onStep` counts the steps of all batches.
   *
   * @example One crystal through a tiny random model
   * ```ts
   * import { getBackend } from "../compute/backend.ts";
   * import { tinyModel } from "../../tests/model/_tiny.ts";
   * import { assertEquals } from "../../tests/_assert.ts";
   * const model = await tinyModel(await getBackend({ prefer: "reference" }));
   * const cubic = { lattice: new Float64Array([4, 0, 0, 0, 4, 0, 0, 0, 4]), frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0.5]), numbers: new Uint8Array([11, 17]) };
   * const [r] = await model.reconstruct([cubic], { levels: 1, stepsPerLevel: 1 });
   * assertEquals(r.frac.length, 3 * r.numbers.length);
   * // With the original's atoms kept, only the lattice and the positions are the model's.
   * const [k] = await model.reconstruct([cubic], { levels: 1, stepsPerLevel: 1, forceAtomTypes: true });
   * assertEquals(Array.from(k.numbers), [11, 17]);
   * ```
   */
  async reconstruct(
    crystals: readonly Crystal[],
    opts: ReconstructOptions = {},
  ): Promise<GeneratedCrystal[]> {
    const { forceNumAtoms, forceAtomTypes, ...sampling } = opts;
    const seed = opts.seed ?? 0, bs = opts.batchSize ?? 64, out: GeneratedCrystal[] = [];
    const total = Math.ceil(crystals.length / bs);
    for (let b = 0; b < crystals.length; b += bs) {
      const part = crystals.slice(b, b + bs);
      const { z } = await this.encode(part, seed + b);
      const r = await langevin(this, z, {
        ...sampling,
        ...(forceNumAtoms || forceAtomTypes ? { numAtoms: part.map((c) => c.numbers.length) } : {}),
        ...(forceAtomTypes ? { atomTypes: part.flatMap((c) => Array.from(c.numbers)) } : {}),
        seed,
        firstIndex: (opts.firstIndex ?? 0) + b,
        onStep: opts.onStep && ((k, t) => opts.onStep!((b / bs) * t + k, total * t)),
      });
      out.push(...r.crystals);
    }
    return out;
  }

  /**
   * Number of parameters, total and by part (for `info --model`).
   *
   * @example The parts add up
   * ```ts
   * import { getBackend } from "../compute/backend.ts";
   * import { tinyModel } from "../../tests/model/_tiny.ts";
   * import { assertEquals } from "../../tests/_assert.ts";
   * const model = await tinyModel(await getBackend({ prefer: "reference" }));
   * const n = model.parameterCounts();
   * assertEquals(n.encoder + n.decoder + n.heads <= n.total, true);
   * ```
   */
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
