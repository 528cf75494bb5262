/**
 * CDVAE's decoder: GemNet-T with latent conditioning and direct scores (Xie et al. ICLR 2022;
 * Gasteiger et al. 2021), cdvae-reference.md "Decoder" and cdvae-reference-details.md §2.3.
 * Parameters carry the reference's `state_dict` names under `decoder.gemnet.*` and
 * `decoder.fc_atom.*`; the 17 scale factors are frozen parameters with their reference names.
 *
 * Geometry (distances, directions, angles, bases) is computed on the host in f64 from a
 * {@linkcode DecoderGraph} and uploaded as f32 by {@linkcode GemNetT.prepare}; no gradient flows
 * through it.
 *
 * @module
 */

import type { Backend } from "../compute/backend.ts";
import {
  type DeviceDecoderGraph,
  gaussianRadialBasisOnDevice,
  sphericalBasisOnDevice,
} from "./device/gemnet_bases.ts";
import { add, concat, gather, mul, segmentSum, split } from "../compute/functional.ts";
import { Tensor } from "../compute/tensor.ts";
import { sphericalHarmonicsY0 } from "./bases.ts";
import { gaussianRadialBasis } from "./gemnet_bases.ts";
import type { DecoderGraph } from "./gemnet_graph.ts";
import { crystalOfAtoms } from "./graph.ts";
import {
  cbfDownProjection,
  Dense,
  EdgeEmbedding,
  type GemNetBases,
  type GemNetEdgeIndex,
  heWeight,
  InteractionBlock,
  OutputBlock,
} from "./gemnet_layers.ts";
import { Embedding, indexTensor, Linear, type ParamStore } from "./module.ts";

/**
 * Hyperparameters of {@linkcode GemNetT} (the reference's names in camelCase; the reference's
 * values, in parentheses, are set in src/model/config.ts, `decoderNetworkConfig`).
 */
export interface GemNetTConfig {
  /** Size of z (256). */
  latentDim: number;
  /** emb_size_atom (128). */
  embSizeAtom: number;
  /** emb_size_edge (128). */
  embSizeEdge: number;
  /** Interaction blocks (3); there is one more output block. */
  numBlocks: number;
  /** Spherical harmonics Y_l⁰, l < numSpherical (7). */
  numSpherical: number;
  /** Gaussians of the radial basis (128, at least 2). */
  numRadial: number;
  /** emb_size_trip (64). */
  embSizeTrip: number;
  /** emb_size_rbf (16). */
  embSizeRbf: number;
  /** emb_size_cbf (16). */
  embSizeCbf: number;
  /** emb_size_bil_trip (64). */
  embSizeBilTrip: number;
  /** Residual layers before the skip connection (1). */
  numBeforeSkip: number;
  /** Residual layers after the skip connection (2). */
  numAfterSkip: number;
  /** Residual layers after the concatenation (1). */
  numConcat: number;
  /** Residual layers of the atom update and output blocks (3; the reference's `num_atom`). */
  numAtomResidual: number;
  /** Cutoff of the bases and graph (7 Å). */
  cutoff: number;
  /** Neighbour cap of the graph (20); the graph builder uses it, the network does not. */
  maxNeighbors: number;
  /** Exponent of the polynomial envelope (5). */
  envelopeExponent: number;
  /** Atom types, embedding rows and type-logit classes (100 = MAX_ATOMIC_NUM; class = Z − 1). */
  numAtomTypes: number;
  /** Scale factors by reference name (e.g. `TripInteraction_1_had_rbf`); a missing name is 1. */
  scaleFactors: Readonly<Record<string, number>>;
}

/**
 * The reference's fitted scale factors (`pl_modules/gemnet/gemnet-dT.json`, "tri_gaussian128";
 * reference-constants.json `GemNetT_scale_factors`).
 */
export const GEMNET_T_SCALE_FACTORS: Readonly<Record<string, number>> = Object.freeze({
  TripInteraction_1_had_rbf: 18.873615264892578,
  TripInteraction_1_sum_cbf: 7.996850490570068,
  AtomUpdate_1_sum: 1.220463752746582,
  TripInteraction_2_had_rbf: 16.10817527770996,
  TripInteraction_2_sum_cbf: 7.614634037017822,
  AtomUpdate_2_sum: 0.9690994620323181,
  TripInteraction_3_had_rbf: 15.01930046081543,
  TripInteraction_3_sum_cbf: 7.025179862976074,
  AtomUpdate_3_sum: 0.8903237581253052,
  OutBlock_0_sum: 1.6437848806381226,
  OutBlock_0_had: 16.161039352416992,
  OutBlock_1_sum: 1.1077653169631958,
  OutBlock_1_had: 13.54678726196289,
  OutBlock_2_sum: 0.9477927684783936,
  OutBlock_2_had: 12.754337310791016,
  OutBlock_3_sum: 0.9059251546859741,
  OutBlock_3_had: 13.484951972961426,
});

/** A prepared graph on the device: indices and bases of one forward pass. */
export interface GemNetInputs extends GemNetEdgeIndex {
  /** N. */
  numAtoms: number;
  /** `[N]` u32 crystal of each atom (gathers z). */
  atomCrystal: Tensor;
  /** `[E, numRadial]` radial basis of D. */
  rbf: Tensor;
  /** `[E, numRadial]` radial part of the 2-D basis (the same tensor as `rbf` unless the centres differ). */
  radCbf: Tensor;
  /** `[E, numSpherical, Kmax]` Y_l⁰(cos φ_cab) per triplet slot, zero on padding. */
  cbf: Tensor;
  /** `[E, 3]` unit vectors V (source image → target). */
  directions: Tensor;
  /** `[numRadial·numSpherical]` u32 row order that turns mlp_cbf3 [S, R, I] into [R, S, I]. */
  cbfWeightOrder: Tensor;
  /** Frees the tensors (unneeded when they were created inside a tape, which owns them). */
  dispose(): void;
}

/** What {@linkcode GemNetT.forward} returns. */
export interface GemNetOutput {
  /** `[N, 3]` Σ_{e: s→t} F_e·V_e per atom t (Cartesian; the reference's `pred_cart_coord_diff`). */
  scores: Tensor;
  /** `[N, numAtomTypes]` type logits from the final atom embeddings (class = Z − 1). */
  typeLogits: Tensor;
}

/**
 * GemNet-T decoder with `fc_atom` (the reference's `GemNetTDecoder`).
 *
 * @example Tiny decoder on a two-atom cell
 * ```ts
 * import { getBackend } from "../compute/backend.ts";
 * import { Tensor } from "../compute/tensor.ts";
 * import { ParamStore, indexTensor } from "./module.ts";
 * import { decoderGraphOf } from "../model/graphs.ts";
 * import { GemNetT } from "./gemnet.ts";
 * import { decoderNetworkConfig, defaultConfig } from "../model/config.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = await getBackend({ prefer: "reference" });
 * const store = new ParamStore(be, 1);
 * const cfg = { ...decoderNetworkConfig(defaultConfig("perov_5")), latentDim: 4, embSizeAtom: 8, embSizeEdge: 8, numBlocks: 1,
 *   numSpherical: 3, numRadial: 6, embSizeTrip: 4, embSizeRbf: 4, embSizeCbf: 4, embSizeBilTrip: 4, cutoff: 4 };
 * const net = new GemNetT(store, cfg);
 * const c = { lattice: new Float64Array([3, 0, 0, 0, 3, 0, 0, 0, 3]), frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0.5]),
 *   numbers: new Uint8Array([3, 8]) };
 * const inp = net.prepare(decoderGraphOf([c], { cutoff: 4, maxNeighbors: 20, images: "adjacent" }));
 * const out = net.forward(Tensor.from(be, new Float32Array(4), [1, 4]), inp, indexTensor(be, [2, 7]));
 * assertEquals(out.scores.shape, [2, 3]);
 * assertEquals(out.typeLogits.shape, [2, 100]);
 * ```
 */
export class GemNetT {
  readonly config: Readonly<GemNetTConfig>;
  readonly mlpRbf3: Dense;
  /** mlp_cbf3 [numSpherical, numRadial, embSizeCbf], the reference's layout. */
  readonly mlpCbf3: Tensor;
  readonly mlpRbfH: Dense;
  readonly mlpRbfOut: Dense;
  readonly atomEmb: Embedding;
  readonly atomLatentEmb: Linear;
  readonly edgeEmb: EdgeEmbedding;
  readonly outBlocks: OutputBlock[] = [];
  readonly intBlocks: InteractionBlock[] = [];
  readonly fcAtom: Linear;
  /**
   * Centres of the radial Gaussians (k/(K−1)): the reference's buffer `gemnet.radial_basis.rbf.offset`,
   * not a parameter; set it (and {@linkcode GemNetT.cbfRbfCenters}) to load a state_dict whose
   * buffers differ from the defaults.
   */
  rbfCenters: Float64Array;
  /** Centres of the 2-D basis' radial Gaussians (`gemnet.cbf_basis3.radial_basis.rbf.offset`). */
  cbfRbfCenters: Float64Array;

  /**
   * Registers every parameter in `store` in the reference's order.
   *
   * @param store Where the parameters live
   * @param config Hyperparameters (the reference's: `decoderNetworkConfig` of src/model/config.ts)
   * @param prefix state_dict prefix of the decoder (default `decoder`)
   */
  constructor(
    readonly store: ParamStore,
    config: Readonly<GemNetTConfig>,
    prefix = "decoder",
  ) {
    this.config = config;
    const c = config, p = `${prefix}.gemnet`;
    const sf = (k: string) => c.scaleFactors[k] ?? 1;
    this.mlpRbf3 = new Dense(store, `${p}.mlp_rbf3`, c.numRadial, c.embSizeRbf, false);
    this.mlpCbf3 = heWeight(store, `${p}.mlp_cbf3.weight`, [c.numSpherical, c.numRadial, c.embSizeCbf]);
    this.mlpRbfH = new Dense(store, `${p}.mlp_rbf_h`, c.numRadial, c.embSizeRbf, false);
    this.mlpRbfOut = new Dense(store, `${p}.mlp_rbf_out`, c.numRadial, c.embSizeRbf, false);
    this.atomEmb = new Embedding(store, `${p}.atom_emb.embeddings`, c.numAtomTypes, c.embSizeAtom);
    this.atomLatentEmb = new Linear(
      store,
      `${p}.atom_latent_emb`,
      c.embSizeAtom + c.latentDim,
      c.embSizeAtom,
    );
    this.edgeEmb = new EdgeEmbedding(store, `${p}.edge_emb`, c.embSizeAtom, c.numRadial, c.embSizeEdge);
    const sizes = { atom: c.embSizeAtom, edge: c.embSizeEdge, rbf: c.embSizeRbf, nHidden: c.numAtomResidual };
    for (let i = 0; i <= c.numBlocks; i++) {
      const scales = { sum: sf(`OutBlock_${i}_sum`), had: sf(`OutBlock_${i}_had`) };
      this.outBlocks.push(new OutputBlock(store, `${p}.out_blocks.${i}`, sizes, scales));
    }
    const isz = {
      atom: c.embSizeAtom,
      edge: c.embSizeEdge,
      trip: c.embSizeTrip,
      bilinear: c.embSizeBilTrip,
      rbf: c.embSizeRbf,
      cbf: c.embSizeCbf,
      beforeSkip: c.numBeforeSkip,
      afterSkip: c.numAfterSkip,
      concat: c.numConcat,
      atomResiduals: c.numAtomResidual,
    };
    for (let i = 1; i <= c.numBlocks; i++) {
      const scales = {
        hadRbf: sf(`TripInteraction_${i}_had_rbf`),
        sumCbf: sf(`TripInteraction_${i}_sum_cbf`),
        atomSum: sf(`AtomUpdate_${i}_sum`),
      };
      this.intBlocks.push(new InteractionBlock(store, `${p}.int_blocks.${i - 1}`, isz, scales));
    }
    this.fcAtom = new Linear(store, `${prefix}.fc_atom`, c.embSizeAtom, c.numAtomTypes);
    this.rbfCenters = Float64Array.from({ length: c.numRadial }, (_, k) => k / (c.numRadial - 1));
    this.cbfRbfCenters = this.rbfCenters.slice();
  }

  /**
   * Computes the bases of `graph` on the host (f64) and uploads them with the indices (f32/u32).
   * Inside a tape's `record` the tape owns the tensors; otherwise call `dispose()`.
   *
   * @param graph The decoder graph of the batch
   * @returns The device inputs of {@linkcode GemNetT.forward}
   */
  prepare(graph: DecoderGraph): GemNetInputs {
    const be: Backend = this.store.be, c = this.config;
    const ne = graph.sources.length, kmax = graph.kmax, ns = c.numSpherical;
    const n = graph.targetOffsets.length - 1;
    const radial = (centres: Float64Array) =>
      gaussianRadialBasis(
        graph.distances,
        c.cutoff,
        c.numRadial,
        c.envelopeExponent,
        centres,
        new Float32Array(ne * c.numRadial),
      );
    const sameCentres = this.rbfCenters.every((v, k) => v === this.cbfRbfCenters[k]);
    const cbf = sphericalBasisSlots(graph, ns); // [E, S, Kmax]
    const rbf = Tensor.from(be, radial(this.rbfCenters), [ne, c.numRadial]);
    const tensors = {
      numAtoms: n,
      kmax,
      sources: indexTensor(be, graph.sources),
      targets: indexTensor(be, graph.targets),
      targetOffsets: indexTensor(be, graph.targetOffsets),
      idSwap: indexTensor(be, graph.idSwap),
      tripletEdges: indexTensor(be, graph.tripletEdges),
      atomCrystal: indexTensor(be, crystalOfAtoms(graph)),
      rbf,
      radCbf: sameCentres ? rbf : Tensor.from(be, radial(this.cbfRbfCenters), [ne, c.numRadial]),
      cbf: Tensor.from(be, cbf, [ne, ns, kmax]),
      directions: Tensor.from(be, Float32Array.from(graph.directions), [ne, 3]),
      cbfWeightOrder: this.#cbfWeightOrder(),
    };
    return {
      ...tensors,
      dispose() {
        for (const t of Object.values(tensors)) if (t instanceof Tensor) t.dispose();
      },
    };
  }

  /**
   * The device inputs of a graph built on the device ({@linkcode symmetricDecoderGraph}): the
   * bases are computed there too (in f32), so nothing crosses to the host. Equal to
   * {@linkcode GemNetT.prepare} of the same graph up to f32 rounding.
   *
   * @param graph The decoder graph on the device; the inputs take ownership of its tensors
   * @param atomCrystal `[N]` u32 crystal of each atom (stays the caller's)
   * @returns The inputs of {@linkcode GemNetT.forward}; `dispose()` frees what they own
   */
  inputsOnDevice(graph: DeviceDecoderGraph, atomCrystal: Tensor): GemNetInputs {
    const be: Backend = this.store.be, c = this.config;
    const owned: Tensor[] = [];
    const keep = (t: Tensor) => (owned.push(t), t);
    const radial = (centres: Float64Array) => {
      const mu = keep(Tensor.from(be, Float32Array.from(centres), [centres.length]));
      return keep(gaussianRadialBasisOnDevice(graph.edgeGeometry, mu, c));
    };
    const rbf = radial(this.rbfCenters);
    const sameCentres = this.rbfCenters.every((v, k) => v === this.cbfRbfCenters[k]);
    const [directions, lengths] = split(graph.edgeGeometry, [3, 1]);
    lengths.dispose();
    return {
      numAtoms: graph.targetOffsets.size - 1,
      kmax: graph.kmax,
      sources: graph.sources,
      targets: graph.targets,
      targetOffsets: graph.targetOffsets,
      idSwap: graph.idSwap,
      tripletEdges: graph.tripletEdges,
      atomCrystal,
      rbf,
      radCbf: sameCentres ? rbf : radial(this.cbfRbfCenters),
      cbf: keep(sphericalBasisOnDevice(graph, c.numSpherical)),
      directions: keep(directions),
      cbfWeightOrder: keep(this.#cbfWeightOrder()),
      dispose() {
        graph.dispose();
        owned.forEach((t) => t.dispose());
      },
    };
  }

  /** `[R·S]` u32: row r·S + s of the reordered weight is row s·R + r of mlp_cbf3 as [S·R, I]. */
  #cbfWeightOrder(): Tensor {
    const c = this.config, ns = c.numSpherical;
    const order = new Uint32Array(c.numRadial * ns);
    for (let r = 0; r < c.numRadial; r++) {
      for (let s = 0; s < ns; s++) order[r * ns + s] = s * c.numRadial + r;
    }
    return indexTensor(this.store.be, order);
  }

  /**
   * The decoder: scores and type logits of every atom.
   *
   * @param z `[B, latentDim]` latent of each crystal
   * @param inp The prepared graph ({@linkcode GemNetT.prepare})
   * @param types `[N]` u32 atom types 0…numAtomTypes−1 (Z − 1)
   * @param observe Called with named intermediates (`atom_latent_emb`, `edge_emb`, `F_0`,
   *   `h_1`, `m_1`, `F_1`, …), for comparisons with the reference's activations
   * @returns Scores `[N, 3]` and type logits `[N, numAtomTypes]`
   * @throws {TypeError} When z or types do not match the graph
   */
  forward(
    z: Tensor,
    inp: GemNetInputs,
    types: Tensor,
    observe?: (name: string, t: Tensor) => void,
  ): GemNetOutput {
    const c = this.config, n = inp.numAtoms;
    if (types.size !== n) {
      throw new TypeError(`Cannot run the decoder: ${types.size} atom types for ${n} atoms`);
    }
    if (z.shape.length !== 2 || z.shape[1] !== c.latentDim) {
      throw new TypeError(`Cannot run the decoder: z has shape [${z.shape}], expected [B, ${c.latentDim}]`);
    }
    // Embedding block with latent conditioning: h = Linear([emb(Z − 1) ‖ z_crystal]).
    let h = this.atomLatentEmb.forward(concat([this.atomEmb.forward(types), gather(z, inp.atomCrystal)])); // [N, A]
    observe?.("atom_latent_emb", h);
    let m = this.edgeEmb.forward(h, inp.rbf, inp); // [E, Ed]
    observe?.("edge_emb", m);
    // Shared down-projections of the bases.
    const bases: GemNetBases = {
      rbf3: this.mlpRbf3.forward(inp.rbf), // [E, rbf]
      cbf: inp.cbf, // [E, S, Kmax]
      rbfW1: cbfDownProjection(inp.radCbf, this.mlpCbf3, inp.cbfWeightOrder), // [E, S, cbf]
      rbfH: this.mlpRbfH.forward(inp.rbf), // [E, rbf]
    };
    const rbfOut = this.mlpRbfOut.forward(inp.rbf); // [E, rbf]
    let f = this.outBlocks[0].forward(m, rbfOut); // [E, 1]
    observe?.("F_0", f);
    for (let i = 0; i < this.intBlocks.length; i++) {
      [h, m] = this.intBlocks[i].forward(h, m, bases, inp);
      const fi = this.outBlocks[i + 1].forward(m, rbfOut);
      observe?.(`h_${i + 1}`, h);
      observe?.(`m_${i + 1}`, m);
      observe?.(`F_${i + 1}`, fi);
      f = add(f, fi); // F_e summed over the output blocks
    }
    const scores = segmentSum(mul(f, inp.directions), inp.targetOffsets); // [N, 3]
    return { scores, typeLogits: this.fcAtom.forward(h) };
  }
}

/**
 * Y_l⁰(cos φ) of every valid triplet slot in the [E, S, Kmax] layout, zero on padding: the values
 * of `sphericalHarmonicsY0` (bases.ts), computed in f64 and stored as f32, with its Legendre
 * recurrence inlined and the norms √((2l + 1)/4π) hoisted — the hot loop of `prepare`.
 */
function sphericalBasisSlots(graph: DecoderGraph, ns: number): Float32Array {
  const ne = graph.sources.length, kmax = graph.kmax, out = new Float32Array(ne * ns * kmax);
  const norm = sphericalHarmonicsY0(ns, 1); // P_l(1) = 1, so these are the norms
  for (let e = 0; e < ne; e++) {
    const base = e * ns * kmax;
    for (let k = 0; k < graph.tripletCounts[e]; k++) {
      const x = graph.tripletCosines[e * kmax + k];
      let p0 = 1, p1 = x;
      out[base + k] = norm[0];
      if (ns > 1) out[base + kmax + k] = norm[1] * x;
      for (let l = 2; l < ns; l++) {
        const p2 = ((2 * l - 1) * x * p1 - (l - 1) * p0) / l;
        out[base + l * kmax + k] = norm[l] * p2;
        [p0, p1] = [p1, p2];
      }
    }
  }
  return out;
}
