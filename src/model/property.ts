/**
 * The independent property predictor the paper's property EMD and success rates use (the reference's
 * `CrystGNN_Supervise` "prop_models"): a DimeNet++ encoder with one output, mean readout, trained
 * with MSE on the standardised property, on the reference's encoder graph (CrystalNN).
 *
 * @module
 */

import type { Backend } from "../compute/backend.ts";
import { getBackend } from "../compute/backend.ts";
import { TensorScope } from "../compute/tape.ts";
import type { Tensor } from "../compute/tensor.ts";
import type { Crystal } from "../crystal/crystal.ts";
import type { DatasetName } from "../data/datasets.ts";
import { preprocessCrystals, type Scaler } from "../data/preprocess.ts";
import { ParamStore } from "../nn/module.ts";
import { DimeNetPlusPlus } from "../nn/dimenet.ts";
import type { GraphBatch } from "../nn/graph.ts";
import { type EncoderConfig, encoderNetworkConfig } from "./config.ts";
import { folderUrl, readModelFolder } from "./files.ts";
import { encoderGraph, packHost } from "./graphs.ts";
import { decodeSafetensors, loadIntoStore } from "./safetensors.ts";
import { isCheckpointPath, loadReferenceWeights, readReferenceCheckpoint } from "./torch/reference.ts";

/** A property model's config (JSON beside its weights). */
export interface PropertyModelConfig {
  /** Format marker of the JSON file. */
  format: "cdvae-property-config/1";
  /** Dataset the model is trained on. */
  dataset: DatasetName | "custom";
  /** The predicted column, e.g. `heat_ref`. */
  property: string;
  /** The DimeNet++ encoder (one output). */
  encoder: EncoderConfig;
  /** Standardisation of the property, fitted on the training split. */
  scaler: Scaler;
}

/** Where `PropertyModel.load("default", dataset)` looks: `data/models/<dataset>-prop/`. */
export function defaultPropertyModelUrl(dataset: string): URL {
  return new URL(`../../data/models/${dataset}-prop/`, import.meta.url);
}

/**
 * Where `PropertyModel.load("reference", dataset)` looks: `data/models/<dataset>-prop-reference/`,
 * the CDVAE authors' property model converted from PyTorch (the paper's evaluator).
 */
export function referencePropertyModelUrl(dataset: string): URL {
  return new URL(`../../data/models/${dataset}-prop-reference/`, import.meta.url);
}

/** A supervised property predictor. */
export class PropertyModel {
  /**
   * The parameters by the reference's names.
   * @internal
   */
  readonly store: ParamStore;
  /**
   * DimeNet++ encoder with one output.
   * @internal
   */
  readonly encoder: DimeNetPlusPlus;

  /**
   * A model with freshly initialised weights (to train); {@linkcode PropertyModel.load} reads a trained one.
   *
   * @param backend Where the model's tensors live
   * @param config The architecture and scaler
   * @param seed Seed of the initial weights
   */
  constructor(readonly backend: Backend, readonly config: PropertyModelConfig, seed = 0) {
    this.store = new ParamStore(backend, seed);
    this.encoder = new DimeNetPlusPlus(this.store, "encoder", encoderNetworkConfig(config.encoder, 1));
  }

  /**
   * Standardised predictions `[B, 1]` for a graph batch (recorded when a tape records).
   * @internal
   */
  forwardGraph(g: GraphBatch): Tensor {
    return this.encoder.forward(g);
  }

  /**
   * Predicted property of crystals (any cell; Niggli-reduced as the reference does), in the
   * property's units.
   *
   * @example The shipped Perov-5 property model
   * ```ts
   * import { getBackend } from "../compute/backend.ts";
   * import { assertEquals } from "../../tests/_assert.ts";
   * const model = await PropertyModel.load("default", { dataset: "perov_5", backend: await getBackend({ prefer: "reference" }) });
   * const cubic = { lattice: new Float64Array([4, 0, 0, 0, 4, 0, 0, 0, 4]), frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0.5]), numbers: new Uint8Array([11, 17]) };
   * const [y] = await model.predict([cubic]);
   * assertEquals(Number.isFinite(y), true);
   * model.dispose();
   * ```
   */
  async predict(crystals: readonly Crystal[], batchSize = 256): Promise<Float64Array> {
    const out = new Float64Array(crystals.length);
    const { mean, std } = this.config.scaler;
    for (let b = 0; b < crystals.length; b += batchSize) {
      const part = crystals.slice(b, b + batchSize);
      const recs = preprocessCrystals(part, part.map((_, i) => String(i)));
      const host = packHost(recs.map((r) => ({ lattice: r.lattice, frac: r.frac, numbers: r.numbers })));
      const scope = new TensorScope();
      try {
        const y = await scope.run(() => this.forwardGraph(encoderGraph(host, this.config.encoder))).read();
        y.forEach((v, i) => out[b + i] = v * std[0] + mean[0]);
      } finally {
        scope.dispose();
      }
    }
    return out;
  }

  /**
   * Loads a property model folder (config.json + weights), `"default"` for our shipped model of
   * `dataset`, `"reference"` for the CDVAE authors' one (converted), or a reference PyTorch checkpoint (`epoch=…ckpt` with `hparams.yaml` and
   * `prop_scaler.pt` beside it).
   *
   * @example The authors' Perov-5 property model, converted
   * ```ts
   * import { getBackend } from "../compute/backend.ts";
   * import { assertEquals } from "../../tests/_assert.ts";
   * const model = await PropertyModel.load("reference", { dataset: "perov_5", backend: await getBackend({ prefer: "reference" }) });
   * assertEquals(model.config.property, "heat_ref");
   * model.dispose();
   * ```
   */
  static async load(
    source: string | URL,
    opts: { backend?: Backend; dataset?: string } = {},
  ): Promise<PropertyModel> {
    if (source !== "default" && isCheckpointPath(source)) {
      // A reference CrystGNN_Supervise checkpoint, with hparams.yaml and prop_scaler.pt beside it.
      const ref = await readReferenceCheckpoint(source);
      if (ref.kind !== "property") throw new Error(`${source} is a CDVAE model: load it with CDVAE.load`);
      const model = new PropertyModel(opts.backend ?? await getBackend(), ref.config);
      loadReferenceWeights(model.store, ref.tensors, String(source));
      return model;
    }
    const base = source === "default"
      ? defaultPropertyModelUrl(opts.dataset ?? "perov_5")
      : source === "reference"
      ? referencePropertyModelUrl(opts.dataset ?? "perov_5")
      : folderUrl(source);
    const { config, weights } = await readModelFolder<PropertyModelConfig>(base, "cdvae-property-config/1");
    const model = new PropertyModel(opts.backend ?? await getBackend(), config);
    loadIntoStore(model.store, decodeSafetensors(weights).tensors);
    return model;
  }

  /** Frees the parameters. */
  dispose(): void {
    this.store.dispose();
  }
}
