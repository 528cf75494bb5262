/**
 * The periodic DimeNet++ encoder of CDVAE (`pl_modules/gnn.py::DimeNetPlusPlusWrap` on PyG 2.0.1's
 * blocks; `cdvae-reference-details.md` §2.2). Parameters carry the reference's state_dict names
 * under `encoder.` (e.g. `encoder.interaction_blocks.0.lin_rbf1.weight`), in its registration
 * order. Shapes below: E edges, T triplets, N atoms, B crystals, H hidden, I int_emb, R radial.
 *
 * @module
 */

import type { Backend } from "../compute/backend.ts";
import { add, concat, embedding, gather, mul, segmentMean, segmentSum, sin } from "../compute/functional.ts";
import { registry, Tensor } from "../compute/tensor.ts";
import { fill } from "../compute/functional.ts";
import type { BasisPrecision } from "./bases.ts";
import { type EncoderGraph, prepareEncoderGraph, type TripletRule } from "./dimenet_graph.ts";
import { glorotOrthogonal, zeroParameter } from "./init.ts";
import type { GraphBatch } from "./graph.ts";
import { Embedding, Linear, type ParamStore } from "./module.ts";

export { buildTriplets, type EncoderGraph, prepareEncoderGraph, tripletCosines } from "./dimenet_graph.ts";
export type { TripletRule, Triplets } from "./dimenet_graph.ts";

/**
 * Settings of {@linkcode DimeNetPlusPlus} (the reference's `conf/model/encoder/dimenet.yaml`; its
 * values, in parentheses, are set in src/model/config.ts, `encoderNetworkConfig`).
 */
export interface DimeNetConfig {
  /** Edge-message width H (128). */
  hiddenChannels: number;
  /** Output width per crystal (256 = latent_dim). */
  outChannels: number;
  /** Interaction blocks (4); there are numBlocks + 1 output blocks. */
  numBlocks: number;
  /** Triplet width I (64). */
  intEmbSize: number;
  /** Basis bottleneck (8). */
  basisEmbSize: number;
  /** Output-block width (256). */
  outEmbChannels: number;
  /** Spherical orders L (7). */
  numSpherical: number;
  /** Radial functions R (6). */
  numRadial: number;
  /** Cutoff of the bases, Å (7; the graph itself is CrystalNN). */
  cutoff: number;
  /** Envelope exponent (5). */
  envelopeExponent: number;
  /** Residual layers before the skip (1). */
  numBeforeSkip: number;
  /** Residual layers after the skip (2). */
  numAfterSkip: number;
  /** Swish layers in each output block (3). */
  numOutputLayers: number;
  /** Per-crystal readout of the summed output blocks ("mean"). */
  readout: "mean" | "sum";
  /** Triplet rule (`"reference"`, audit D1). */
  triplets: TripletRule;
  /** Evaluation of the spherical basis (`"reference-f32"`, audit O4). */
  basisPrecision: BasisPrecision;
  /** Rows of the element table, indexed by Z (95, PyG 2.0.1's `Embedding(95, H)`). */
  numElements: number;
}

/** Dense layer with glorot_orthogonal weight and zero bias (most DimeNet++ layers). */
function dense(store: ParamStore, name: string, i: number, o: number, bias = true): Linear {
  const lin = new Linear(store, name, i, o, { bias, init: "glorot" });
  glorotOrthogonal(store, lin);
  return lin;
}

/** PyG's `ResidualLayer`: x + swish(W2·swish(W1·x + b1) + b2). */
class ResidualLayer {
  readonly lin1: Linear;
  readonly lin2: Linear;
  constructor(store: ParamStore, name: string, h: number) {
    this.lin1 = dense(store, `${name}.lin1`, h, h);
    this.lin2 = dense(store, `${name}.lin2`, h, h);
  }
  forward(x: Tensor): Tensor {
    return add(x, this.lin2.forward(this.lin1.forward(x, "silu"), "silu")); // [E, H]
  }
}

/** PyG's `EmbeddingBlock`: m_ji = swish(W·[h_Zi ‖ h_Zj ‖ swish(W_rbf·rbf)]); torch-default Linear inits (D3). */
class EmbeddingBlock {
  readonly emb: Embedding;
  readonly linRbf: Linear;
  readonly lin: Linear;
  constructor(store: ParamStore, name: string, cfg: DimeNetConfig) {
    const h = cfg.hiddenChannels;
    this.emb = new Embedding(store, `${name}.emb`, cfg.numElements, h);
    this.linRbf = new Linear(store, `${name}.lin_rbf`, cfg.numRadial, h);
    this.lin = new Linear(store, `${name}.lin`, 3 * h, h);
  }
  forward(g: EncoderGraph, rbf: Tensor): Tensor {
    const hi = embedding(this.emb.weight, g.receiverZ); // [E, H]
    const hj = embedding(this.emb.weight, g.senderZ); // [E, H]
    const r = this.linRbf.forward(rbf, "silu"); // [E, H]
    return this.lin.forward(concat([hi, hj, r]), "silu"); // [E, H]
  }
}

/** The reference's `InteractionPPBlock` (details §2.2, steps 1–6). */
class InteractionPPBlock {
  readonly linRbf1: Linear;
  readonly linRbf2: Linear;
  readonly linSbf1: Linear;
  readonly linSbf2: Linear;
  readonly linKj: Linear;
  readonly linJi: Linear;
  readonly linDown: Linear;
  readonly linUp: Linear;
  readonly before: ResidualLayer[] = [];
  readonly lin: Linear;
  readonly after: ResidualLayer[] = [];
  constructor(store: ParamStore, name: string, readonly cfg: DimeNetConfig) {
    const { hiddenChannels: h, intEmbSize: i, basisEmbSize: b, numSpherical: l, numRadial: r } = cfg;
    this.linRbf1 = dense(store, `${name}.lin_rbf1`, r, b, false);
    this.linRbf2 = dense(store, `${name}.lin_rbf2`, b, h, false);
    this.linSbf1 = dense(store, `${name}.lin_sbf1`, l * r, b, false);
    this.linSbf2 = dense(store, `${name}.lin_sbf2`, b, i, false);
    this.linKj = dense(store, `${name}.lin_kj`, h, h);
    this.linJi = dense(store, `${name}.lin_ji`, h, h);
    this.linDown = dense(store, `${name}.lin_down`, h, i, false);
    this.linUp = dense(store, `${name}.lin_up`, i, h, false);
    for (let k = 0; k < cfg.numBeforeSkip; k++) {
      this.before.push(new ResidualLayer(store, `${name}.layers_before_skip.${k}`, h));
    }
    this.lin = dense(store, `${name}.lin`, h, h);
    for (let k = 0; k < cfg.numAfterSkip; k++) {
      this.after.push(new ResidualLayer(store, `${name}.layers_after_skip.${k}`, h));
    }
  }
  forward(m: Tensor, rbf: Tensor, g: EncoderGraph): Tensor {
    const xJi = this.linJi.forward(m, "silu"); // [E, H]
    const rb = this.linRbf2.forward(this.linRbf1.forward(rbf)); // [E, H]
    const xKj = this.linDown.forward(mul(this.linKj.forward(m, "silu"), rb), "silu"); // [E, I]
    let agg: Tensor; // [E, I] Σ over triplets k→j→i of x_kj ⊙ W·sbf
    if (g.idxKj && g.sbf) {
      const sb = this.linSbf2.forward(this.linSbf1.forward(g.sbf)); // [T, I]
      agg = segmentSum(mul(gather(xKj, g.idxKj), sb), g.tripletOffsets); // [E, I]
    } else {
      agg = fill(m.backend, [g.numEdges, this.cfg.intEmbSize], 0); // no triplets: nothing to sum
    }
    let h = add(xJi, this.linUp.forward(agg, "silu")); // [E, H]
    for (const layer of this.before) h = layer.forward(h);
    h = add(this.lin.forward(h, "silu"), m); // [E, H]
    for (const layer of this.after) h = layer.forward(h);
    return h;
  }
}

/** The reference's `OutputPPBlock`: edges → atoms, up-projection, swish layers, zero-init output. */
class OutputPPBlock {
  readonly linRbf: Linear;
  readonly linUp: Linear;
  readonly lins: Linear[] = [];
  readonly lin: Linear;
  constructor(store: ParamStore, name: string, cfg: DimeNetConfig) {
    const { hiddenChannels: h, outEmbChannels: o } = cfg;
    this.linRbf = dense(store, `${name}.lin_rbf`, cfg.numRadial, h, false);
    // glorot_orthogonal weight, but the bias keeps torch's default init (audit D3).
    this.linUp = new Linear(store, `${name}.lin_up`, h, o);
    glorotOrthogonal(store, this.linUp);
    for (let k = 0; k < cfg.numOutputLayers; k++) this.lins.push(dense(store, `${name}.lins.${k}`, o, o));
    this.lin = new Linear(store, `${name}.lin`, o, cfg.outChannels, { bias: false, init: "glorot" });
    zeroParameter(store, `${name}.lin.weight`);
  }
  forward(m: Tensor, rbf: Tensor, g: EncoderGraph): Tensor {
    const e = mul(this.linRbf.forward(rbf), m); // [E, H]
    let x = this.linUp.forward(segmentSum(e, g.edgeOffsets)); // [N, O]
    for (const l of this.lins) x = l.forward(x, "silu"); // [N, O]
    return this.lin.forward(x); // [N, out]
  }
}

/**
 * DimeNet++ on periodic graphs with image offsets: per-crystal hidden vectors (CDVAE's encoder
 * output before fc_mu / fc_var).
 *
 * @example A tiny encoder on a 2-atom crystal (zero output at initialisation, as the reference)
 * ```ts
 * import { getBackend } from "../compute/backend.ts";
 * import { DimeNetPlusPlus } from "./dimenet.ts";
 * import { encoderNetworkConfig, REFERENCE_ENCODER } from "../model/config.ts";
 * import { ParamStore } from "./module.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const store = new ParamStore(await getBackend({ prefer: "reference" }), 1);
 * const cfg = { ...encoderNetworkConfig(REFERENCE_ENCODER, 256), hiddenChannels: 8, outChannels: 4, numBlocks: 1, intEmbSize: 4, outEmbChannels: 8 };
 * const enc = new DimeNetPlusPlus(store, "encoder", cfg);
 * const g = {
 *   numCrystals: 1, atomOffsets: new Uint32Array([0, 2]), numbers: new Uint8Array([11, 17]),
 *   edgeOffsets: new Uint32Array([0, 1, 2]), senders: new Uint32Array([1, 0]),
 *   images: new Int32Array(6), vectors: new Float64Array([2.8, 0, 0, -2.8, 0, 0]),
 *   distances: new Float64Array([2.8, 2.8]),
 * };
 * const y = enc.forward(enc.prepare(g));
 * assertEquals(y.shape, [1, 4]);
 * assertEquals(await y.read(), new Float32Array(4));
 * ```
 */
export class DimeNetPlusPlus {
  /** `encoder.rbf.freq` [R]: the learnable Bessel frequencies, initialised to nπ. */
  readonly freq: Tensor;
  /** `encoder.emb.*`: element embedding and the first edge messages. */
  readonly emb: EmbeddingBlock;
  /** `encoder.output_blocks.{0…numBlocks}.*`. */
  readonly outputBlocks: OutputPPBlock[] = [];
  /** `encoder.interaction_blocks.{0…numBlocks−1}.*`. */
  readonly interactionBlocks: InteractionPPBlock[] = [];
  /** The backend of the parameters (inputs are uploaded there). */
  readonly be: Backend;

  /** The settings. */
  readonly cfg: DimeNetConfig;

  /**
   * Registers every parameter, initialised as the reference (audit D3, O5).
   *
   * @param store Where the parameters are registered
   * @param prefix state_dict prefix (`"encoder"` in CDVAE)
   * @param cfg Settings (the reference's: `encoderNetworkConfig` of src/model/config.ts)
   */
  constructor(store: ParamStore, prefix: string, cfg: Readonly<DimeNetConfig>) {
    this.cfg = { ...cfg };
    this.be = store.be;
    const c = this.cfg, r = c.numRadial;
    this.freq = store.create(
      `${prefix}.rbf.freq`,
      (be) => Tensor.from(be, Float32Array.from({ length: r }, (_, n) => (n + 1) * Math.PI)),
    );
    this.emb = new EmbeddingBlock(store, `${prefix}.emb`, c);
    for (let b = 0; b <= c.numBlocks; b++) {
      this.outputBlocks.push(new OutputPPBlock(store, `${prefix}.output_blocks.${b}`, c));
    }
    for (let b = 0; b < c.numBlocks; b++) {
      this.interactionBlocks.push(new InteractionPPBlock(store, `${prefix}.interaction_blocks.${b}`, c));
    }
  }

  /** Host preparation of a graph batch for {@linkcode DimeNetPlusPlus.forward} (see `prepareEncoderGraph`). */
  prepare(g: GraphBatch): EncoderGraph {
    return prepareEncoderGraph(this.be, g, this.cfg);
  }

  /** rbf_n(d) = u(d/c)·sin(f_n·d/c), with the learnable f (PyG's `BesselBasisLayer`). */
  radialBasis(g: EncoderGraph): Tensor {
    return mul(g.envelope, sin(mul(g.distScaled, this.freq))); // [E, R]
  }

  /**
   * Per-atom output P = Σ of the numBlocks + 1 output blocks.
   *
   * @param g Prepared inputs
   * @returns `[N, outChannels]`
   */
  atomOutputs(g: EncoderGraph): Tensor {
    const rbf = this.radialBasis(g); // [E, R]
    let m = this.emb.forward(g, rbf); // [E, H]
    let p = this.outputBlocks[0].forward(m, rbf, g); // [N, out]
    this.interactionBlocks.forEach((block, b) => {
      m = block.forward(m, rbf, g);
      p = add(p, this.outputBlocks[b + 1].forward(m, rbf, g));
    });
    return p;
  }

  /**
   * The per-crystal encoding (mean, or sum, of the atom outputs).
   *
   * @param g Prepared inputs, or a graph batch to prepare first (its device inputs are then freed
   *   here when no tape or scope records, else with the tape)
   * @returns `[B, outChannels]`
   */
  forward(g: EncoderGraph | GraphBatch): Tensor {
    if (!("distScaled" in g)) {
      const prepared = this.prepare(g);
      const y = this.forward(prepared);
      if (registry.current === null) prepared.dispose();
      return y;
    }
    const p = this.atomOutputs(g); // [N, out]
    return this.cfg.readout === "mean" ? segmentMean(p, g.atomOffsets) : segmentSum(p, g.atomOffsets); // [B, out]
  }
}
