/**
 * Reference CDVAE checkpoints (PyTorch Lightning, `txie-93/cdvae`) as our configs and weights: a
 * run folder holds `epoch=…-step=….ckpt`, `hparams.yaml`, `lattice_scaler.pt` and
 * `prop_scaler.pt`. The checkpoint's `state_dict` names are ours already (our parameters carry the
 * reference's names and layout), so the work here is mapping `hparams.yaml` onto
 * {@linkcode CDVAEConfig} / {@linkcode PropertyModelConfig} and reading the scalers.
 *
 * @module
 */

import { isDatasetName } from "../../data/datasets.ts";
import type { Scaler } from "../../data/preprocess.ts";
import type { ParamStore } from "../../nn/module.ts";
import { type CDVAEConfig, type EncoderConfig, REFERENCE_DECODER } from "../config.ts";
import { readModelFile } from "../files.ts";
import type { PropertyModelConfig } from "../property.ts";
import { type HostTensor, loadIntoStore } from "../safetensors.ts";
import { PickleObject, readTorchFile, stateDictOf, TorchFileError, TorchTensor } from "./checkpoint.ts";
import { HparamsError, HparamsReader, parseHparams } from "./hparams.ts";

/** The reference's number of element types (`MAX_ATOMIC_NUM`, atomic numbers 1…100). */
export const REFERENCE_NUM_TYPES = 100;

/** Whether a model source names a PyTorch checkpoint file rather than one of our folders. */
export function isCheckpointPath(source: string | URL): boolean {
  return /\.(ckpt|pt|pth)$/i.test(source instanceof URL ? source.pathname : source);
}

/** Where a checkpoint came from, for cards and metadata. */
export interface CheckpointSource {
  /** The checkpoint's URL. */
  url: URL;
  /** SHA-256 of the checkpoint file, hex. */
  sha256: string;
  /** Lightning's `epoch` and `global_step`, when recorded. */
  epoch?: number;
  globalStep?: number;
  /** The reference's experiment name (`expname`). */
  expname?: string;
}

/** A reference checkpoint read into our terms. */
export type ReferenceCheckpoint =
  & { tensors: Map<string, HostTensor>; source: CheckpointSource }
  & ({ kind: "cdvae"; config: CDVAEConfig } | { kind: "property"; config: PropertyModelConfig });

/** Resolves a checkpoint path (relative to the working directory) or URL. */
export function checkpointUrl(source: string | URL): URL {
  if (source instanceof URL || /^[a-z]+:\/\//i.test(source)) return new URL(String(source));
  const abs = source.startsWith("/") ? source : `${Deno.cwd()}/${source}`;
  const url = new URL("file://");
  url.pathname = abs; // escapes "=" and spaces as a path needs, unlike string concatenation
  return url;
}

async function readBeside(ckpt: URL, name: string, what: string): Promise<Uint8Array> {
  try {
    return await readModelFile(new URL("./", ckpt), name);
  } catch (e) {
    throw new TorchFileError(
      `Cannot load the checkpoint ${
        decodeURIComponent(ckpt.pathname)
      }: its ${what} ${name} is missing beside it (${(e as Error).message})`,
    );
  }
}

/**
 * A `StandardScalerTorch` file (`means`, `stds`) as our {@linkcode Scaler}.
 *
 * @param bytes The `.pt` file
 * @param label How messages name it
 * @throws {TorchFileError} When it is not a scaler with two tensors of equal size
 */
export function readScaler(bytes: Uint8Array, label: string): Scaler {
  const { value } = readTorchFile(bytes, label);
  const state = value instanceof PickleObject ? value.state : value;
  const get = (k: string) => state instanceof Map ? state.get(k) : undefined;
  const means = get("means"), stds = get("stds");
  if (
    !(means instanceof TorchTensor) || !(stds instanceof TorchTensor) ||
    means.data.length !== stds.data.length
  ) {
    throw new TorchFileError(
      `"${label}" is not a StandardScalerTorch with tensors "means" and "stds" of one size`,
    );
  }
  return { mean: Array.from(means.data, Number), std: Array.from(stds.data, Number) };
}

/** The DimeNet++ part of `hparams.yaml` (`model.encoder`) as our encoder config. */
function encoderConfig(h: HparamsReader): EncoderConfig {
  const target = h.string("model.encoder._target_");
  if (!target.endsWith("DimeNetPlusPlusWrap")) {
    throw new HparamsError(
      `Cannot load "${h.label}": encoder ${target} is not DimeNet++ (DimeNetPlusPlusWrap)`,
    );
  }
  const readout = h.string("model.encoder.readout", "mean");
  if (readout !== "mean") {
    throw new HparamsError(
      `Cannot load "${h.label}": model.encoder.readout "${readout}" (only "mean" is implemented)`,
    );
  }
  const e = (k: string) => h.number(`model.encoder.${k}`);
  return {
    hiddenChannels: e("hidden_channels"),
    numBlocks: e("num_blocks"),
    intEmbSize: e("int_emb_size"),
    basisEmbSize: e("basis_emb_size"),
    outEmbChannels: e("out_emb_channels"),
    numSpherical: e("num_spherical"),
    numRadial: e("num_radial"),
    cutoff: e("cutoff"),
    envelopeExponent: e("envelope_exponent"),
    numBeforeSkip: e("num_before_skip"),
    numAfterSkip: e("num_after_skip"),
    numOutputLayers: e("num_output_layers"),
    // otf_graph: the reference builds a radius graph on the fly instead of using CrystalNN.
    graph: h.boolean("model.encoder.otf_graph", false) ? "radius" : "crystalnn",
    maxNeighbors: h.number("model.encoder.max_num_neighbors", 20),
  };
}

function datasetOf(h: HparamsReader): CDVAEConfig["dataset"] {
  const name = String(h.get("data.root_path") ?? "").split("/").filter(Boolean).at(-1) ?? "";
  return isDatasetName(name) ? name : "custom";
}

/**
 * `hparams.yaml` of a reference property model (`CrystGNN_Supervise`) as our config.
 *
 * @param tree Parsed `hparams.yaml`
 * @param scaler The property scaler (`prop_scaler.pt`)
 * @param label How messages name the file
 */
export function propertyConfigFromHparams(
  tree: Record<string, unknown>,
  scaler: Scaler,
  label = "hparams.yaml",
): PropertyModelConfig {
  const h = new HparamsReader(tree, label);
  const targets = h.number("model.encoder.num_targets", 1);
  if (targets !== 1) {
    throw new HparamsError(`Cannot load "${label}": ${targets} targets (one is implemented)`);
  }
  return {
    format: "cdvae-property-config/1",
    dataset: datasetOf(h),
    property: h.string("data.prop"),
    encoder: encoderConfig(h),
    scaler,
  };
}

/**
 * `hparams.yaml` of a reference CDVAE run (`conf/model/vae.yaml` with its encoder and decoder) as
 * our config. The GemNet-T sizes the reference does not expose in YAML (blocks, bases, triplet
 * widths) are GemNetT's defaults, which {@linkcode REFERENCE_DECODER} holds; the decoder's
 * `hidden_dim` is its atom and edge width.
 *
 * @param tree Parsed `hparams.yaml`
 * @param scalers `lattice_scaler.pt`, and `prop_scaler.pt` when a property head is trained
 * @param label How messages name the file
 */
export function cdvaeConfigFromHparams(
  tree: Record<string, unknown>,
  scalers: { lattice: Scaler; property?: Scaler },
  label = "hparams.yaml",
): CDVAEConfig {
  const h = new HparamsReader(tree, label);
  const m = (k: string, fallback?: number) => h.number(`model.${k}`, fallback);
  const decoder = h.string("model.decoder._target_");
  if (!decoder.endsWith("GemNetTDecoder")) {
    throw new HparamsError(`Cannot load "${label}": decoder ${decoder} is not GemNet-T (GemNetTDecoder)`);
  }
  const predictProperty = h.boolean("model.predict_property", false);
  if (predictProperty && !scalers.property) {
    throw new HparamsError(`Cannot load "${label}": predict_property is true but there is no prop_scaler.pt`);
  }
  const width = h.number("model.decoder.hidden_dim", REFERENCE_DECODER.embSizeAtom);
  return {
    format: "cdvae-config/1",
    dataset: datasetOf(h),
    latentDim: m("latent_dim"),
    hiddenDim: m("hidden_dim"),
    fcNumLayers: m("fc_num_layers"),
    maxAtoms: m("max_atoms"),
    numTypes: REFERENCE_NUM_TYPES,
    encoder: encoderConfig(h),
    decoder: {
      ...REFERENCE_DECODER,
      embSizeAtom: width,
      embSizeEdge: width,
      cutoff: h.number("model.decoder.radius", m("radius", REFERENCE_DECODER.cutoff)),
      maxNeighbors: h.number(
        "model.decoder.max_neighbors",
        m("max_neighbors", REFERENCE_DECODER.maxNeighbors),
      ),
    },
    sigmaBegin: m("sigma_begin"),
    sigmaEnd: m("sigma_end"),
    typeSigmaBegin: m("type_sigma_begin"),
    typeSigmaEnd: m("type_sigma_end"),
    numNoiseLevels: m("num_noise_level"),
    cost: {
      natom: m("cost_natom"),
      lattice: m("cost_lattice"),
      composition: m("cost_composition"),
      coord: m("cost_coord"),
      type: m("cost_type"),
      property: m("cost_property", 1),
    },
    beta: m("beta"),
    predictProperty,
    ...(predictProperty || h.get("data.prop") !== undefined ? { property: h.string("data.prop") } : {}),
    teacherForcingMaxEpoch: m("teacher_forcing_max_epoch", h.number("data.teacher_forcing_max_epoch", 0)),
    scalers: { lattice: scalers.lattice, ...(scalers.property ? { property: scalers.property } : {}) },
  };
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Reads a reference checkpoint with the `hparams.yaml` and scalers beside it.
 *
 * @param source Path or URL of the `.ckpt`
 * @returns The kind of model (from `model._target_`), our config, the state_dict, the source facts
 * @throws {TorchFileError} When a file is missing, unreadable or hostile (see `readTorchFile`)
 * @throws {HparamsError} When `hparams.yaml` does not describe a model we implement
 */
export async function readReferenceCheckpoint(source: string | URL): Promise<ReferenceCheckpoint> {
  const url = checkpointUrl(source);
  const path = decodeURIComponent(url.pathname);
  const name = path.split("/").at(-1)!;
  let bytes: Uint8Array;
  try {
    bytes = url.protocol === "file:"
      ? await Deno.readFile(url)
      : await readModelFile(new URL("./", url), name);
  } catch (e) {
    throw new TorchFileError(`Cannot load the checkpoint ${path}: ${(e as Error).message}`);
  }
  const hparamsLabel = path.replace(/[^/]*$/, "hparams.yaml");
  const tree = parseHparams(
    new TextDecoder().decode(await readBeside(url, "hparams.yaml", "configuration")),
    hparamsLabel,
  );
  const { value } = readTorchFile(bytes, path);
  const tensors = new Map([...stateDictOf(value, path)].map(([k, t]) => [k, t.toHost()]));
  const facts = value instanceof Map ? value : new Map();
  const num = (k: string) => typeof facts.get(k) === "number" ? facts.get(k) as number : undefined;
  const src: CheckpointSource = {
    url,
    sha256: await sha256Hex(bytes),
    epoch: num("epoch"),
    globalStep: num("global_step"),
    expname: typeof tree.expname === "string" ? tree.expname : undefined,
  };
  const target = new HparamsReader(tree, hparamsLabel).string("model._target_");
  const scalerBeside = async (file: string) =>
    readScaler(await readBeside(url, file, "scaler"), path.replace(/[^/]*$/, file));
  if (target.endsWith("CrystGNN_Supervise")) {
    const config = propertyConfigFromHparams(tree, await scalerBeside("prop_scaler.pt"), hparamsLabel);
    return { kind: "property", config, tensors, source: src };
  }
  if (target.endsWith(".CDVAE")) {
    const lattice = await scalerBeside("lattice_scaler.pt");
    let property: Scaler | undefined;
    try {
      property = await scalerBeside("prop_scaler.pt");
    } catch { /* optional unless predict_property (checked by the mapping) */ }
    const config = cdvaeConfigFromHparams(tree, { lattice, property }, hparamsLabel);
    return { kind: "cdvae", config, tensors, source: src };
  }
  throw new HparamsError(
    `Cannot load "${hparamsLabel}": model ${target} is neither CDVAE nor CrystGNN_Supervise`,
  );
}

/**
 * Loads a reference state_dict into a store as `load_state_dict(strict=True)` would: every
 * parameter must be there with its shape, and every tensor of the file must be used, except the
 * buffers `isIgnored` names (tensors the reference keeps that we compute from the config).
 *
 * @throws {TorchFileError} Naming missing, misshapen or unexpected tensors
 */
export function loadReferenceWeights(
  store: ParamStore,
  tensors: Map<string, HostTensor>,
  label: string,
  isIgnored: (name: string) => boolean = () => false,
): void {
  let extra: string[];
  try {
    extra = loadIntoStore(store, tensors, { ignore: isIgnored });
  } catch (e) {
    throw new TorchFileError(`Cannot load the weights of ${label}: ${(e as Error).message}`);
  }
  if (extra.length) {
    throw new TorchFileError(
      `Cannot load the weights of ${label}: ${extra.length} tensors have no place in this model (${
        extra.slice(0, 4).join(", ")
      }${extra.length > 4 ? ", …" : ""})`,
    );
  }
}

/**
 * The reference CDVAE's state_dict entries we do not keep: GemNet's `seq_energy` aliases of its
 * output layers (the same tensors twice) and the radial-basis centres, which we compute from the
 * config (`linspace(0, 1, num_radial)`, as the reference initialises them).
 */
export function isIgnoredCDVAEBuffer(name: string): boolean {
  return /^decoder\.gemnet\.out_blocks\.\d+\.seq_energy\./.test(name) || /\.rbf\.offset$/.test(name);
}

/**
 * Our model's parameters as the reference's `state_dict` (what its `load_state_dict(strict=True)`
 * expects): the store's tensors in PyTorch's layout and registration order, plus, for a CDVAE, the
 * entries the reference has twice or as buffers (each GemNet output block's `seq_energy.*`, the
 * same tensors as its `layers.*`; the two radial-basis `rbf.offset` centre vectors).
 *
 * @param tensors The store's tensors by name in PyTorch's layout (e.g. decoded `storeToSafetensors`)
 * @param order Names in registration order (`store.entries.keys()`)
 * @param centres For a CDVAE, the decoder's radial-basis centres (`rbfCenters`, `cbfRbfCenters`)
 * @returns Names and f32 tensors in state_dict order
 */
export function toReferenceStateDict(
  tensors: Map<string, HostTensor>,
  order: Iterable<string>,
  centres?: { rbf: ArrayLike<number>; cbf: ArrayLike<number> },
): [string, { shape: number[]; data: Float32Array }][] {
  const out: [string, { shape: number[]; data: Float32Array }][] = [];
  const aliases: typeof out = [];
  for (const name of order) {
    const t = tensors.get(name);
    if (!t) throw new TorchFileError(`Tensor ${name} is missing from the model's weights`);
    const entry = { shape: [...t.shape], data: Float32Array.from(t.data) };
    out.push([name, entry]);
    const m = /^(decoder\.gemnet\.out_blocks\.\d+)\.layers\.(.+)$/.exec(name);
    if (m && centres) aliases.push([`${m[1]}.seq_energy.${m[2]}`, entry]);
  }
  if (centres) {
    out.push(...aliases);
    out.push(["decoder.gemnet.radial_basis.rbf.offset", {
      shape: [centres.rbf.length],
      data: Float32Array.from(centres.rbf),
    }]);
    out.push([
      "decoder.gemnet.cbf_basis3.radial_basis.rbf.offset",
      { shape: [centres.cbf.length], data: Float32Array.from(centres.cbf) },
    ]);
  }
  return out;
}
