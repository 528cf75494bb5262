/**
 * GemNet-T's building blocks (`pl_modules/gemnet/layers/` in the reference): bias-free Dense
 * layers with ScaledSiLU, residual layers, the triplet interaction with its efficient bilinear
 * layer, the atom update and the (direct-force) output block. Parameter names are the
 * reference's `state_dict` names; cdvae-reference-audit.md O1, O2 and O9 give the formulas.
 *
 * @module
 */

import {
  addScaled,
  bmm,
  concat,
  gather,
  matmul,
  mul,
  reshapeView,
  segmentSum,
} from "../compute/functional.ts";
import { Tensor } from "../compute/tensor.ts";
import { heOrthogonal } from "./init.ts";
import type { ParamStore } from "./module.ts";

/** ScaledSiLU = SiLU(x)/0.6 (`base_layers.py`), GemNet's "swish"; the fused activation `ssilu`. */
export const SCALED_SILU_FACTOR: number = 1 / 0.6;
/** Residual sums are scaled by 1/√2 to keep the variance. */
export const INV_SQRT2: number = Math.SQRT1_2;

/** A HeOrthogonal-initialised weight given by its PyTorch shape (2-D weights are stored transposed). */
export function heWeight(store: ParamStore, name: string, torchShape: number[]): Tensor {
  const two = torchShape.length === 2;
  const shape = two ? [torchShape[1], torchShape[0]] : torchShape;
  return store.create(
    name,
    (be, rng) => Tensor.from(be, heOrthogonal(torchShape, rng.seed, rng.seedHi), shape),
    two ? "transposed" : "same",
  );
}

/** A frozen scale factor (`ScalingFactor.scale_factor`, a 0-d parameter that multiplies). */
export function scaleFactor(store: ParamStore, name: string, value: number): Tensor {
  return store.constant(`${name}.scale_factor`, [], value, false);
}

/**
 * One scaled output as the reference's `ScalingFactor.forward(x_ref, y)` sees it: the output y·s
 * and the input x_ref whose variance it should keep. `tripletsOf` is set where x_ref's rows are
 * the padded triplet slots `[E·Kmax, ·]` of that graph (only the first slots of each edge are
 * triplets).
 */
export interface ScaleObservation {
  factor: Tensor;
  reference: Tensor;
  output: Tensor;
  tripletsOf?: GemNetEdgeIndex;
}

let scaleObserver: ((o: ScaleObservation) => void) | undefined;

/**
 * Shows every scaled output of GemNet's layers to `observer` until called again without one;
 * the scale-factor fit (src/train/fit_scales.ts) is its only user.
 */
export function observeScaleFactors(observer?: (o: ScaleObservation) => void): void {
  scaleObserver = observer;
}

/** y·factor, shown to the observer (if any) with the reference input x_ref. */
function scaled(y: Tensor, factor: Tensor, reference: Tensor, tripletsOf?: GemNetEdgeIndex): Tensor {
  const output = mul(y, factor);
  scaleObserver?.({ factor, reference, output, tripletsOf });
  return output;
}

/** GemNet's `Dense(in, out, bias=False)`: y = x·W, then ScaledSiLU when `act`. */
export class Dense {
  /** W [in, out] (`name.linear.weight` [out, in] in files). */
  readonly weight: Tensor;

  constructor(store: ParamStore, name: string, inDim: number, outDim: number, readonly act: boolean) {
    this.weight = heWeight(store, `${name}.linear.weight`, [outDim, inDim]);
  }

  /** act(x·W) for x [rows, in]. */
  forward(x: Tensor): Tensor {
    return matmul(x, this.weight, this.act ? { act: "ssilu" } : {});
  }
}

/** `ResidualLayer`: (x + Dense(Dense(x)))/√2, both Dense with ScaledSiLU (`name.dense_mlp.{0,1}`). */
export class ResidualLayer {
  readonly layers: Dense[];

  constructor(store: ParamStore, name: string, units: number) {
    this.layers = [0, 1].map((i) => new Dense(store, `${name}.dense_mlp.${i}`, units, units, true));
  }

  /** The layer's output for x [rows, units]. */
  forward(x: Tensor): Tensor {
    return addScaled(x, this.layers[1].forward(this.layers[0].forward(x)), INV_SQRT2);
  }
}

/** `get_mlp`: Dense(in→units, act) then `nHidden` residual layers (`name.0`, `name.1`, …). */
export class DenseStack {
  readonly first: Dense;
  readonly residuals: ResidualLayer[] = [];

  constructor(store: ParamStore, name: string, inDim: number, units: number, nHidden: number) {
    this.first = new Dense(store, `${name}.0`, inDim, units, true);
    for (let i = 0; i < nHidden; i++) {
      this.residuals.push(new ResidualLayer(store, `${name}.${i + 1}`, units));
    }
  }

  /** The stack's output for x [rows, in]. */
  forward(x: Tensor): Tensor {
    let y = this.first.forward(x);
    for (const r of this.residuals) y = r.forward(y);
    return y;
  }
}

/** Graph tensors the blocks read (uploaded once per forward by `GemNetT.prepare`). */
export interface GemNetEdgeIndex {
  /** `[E]` u32 source atoms. */
  sources: Tensor;
  /** `[E]` u32 target atoms. */
  targets: Tensor;
  /** `[N + 1]` u32 CSR of the edges by target. */
  targetOffsets: Tensor;
  /** `[E]` u32 reverse edge. */
  idSwap: Tensor;
  /** `[E·Kmax]` u32 id3_ba of each padded triplet slot. */
  tripletEdges: Tensor;
  /** Kmax. */
  kmax: number;
}

/** `EdgeEmbedding`: Dense([h_s ‖ h_t ‖ m], act) (`name.dense`). */
export class EdgeEmbedding {
  readonly dense: Dense;

  constructor(store: ParamStore, name: string, atomDim: number, edgeDim: number, outDim: number) {
    this.dense = new Dense(store, `${name}.dense`, 2 * atomDim + edgeDim, outDim, true);
  }

  /** The edge embedding [E, out] from atom embeddings h [N, atom] and edge features m [E, edge]. */
  forward(h: Tensor, m: Tensor, g: GemNetEdgeIndex): Tensor {
    return this.dense.forward(concat([gather(h, g.sources), gather(h, g.targets), m]));
  }
}

/** Sizes of the triplet interaction. */
export interface TripletSizes {
  edge: number;
  trip: number;
  bilinear: number;
  rbf: number;
  cbf: number;
}

/**
 * `TripletInteraction` with the efficient bilinear layer (audit O1):
 * x_ba = Dense_down(Dense_ba(m) ⊙ W·rbf3 · s_had); S[e] = Σ_k cbf[e,·,k] x_ba[id3_ba(e,k)];
 * m_ca[e,o] = s_sum · Σ_{j,i} W_bil[j,i,o] (S[e]ᵀ·rbfW1[e])[j,i]; x3 = (up_ca(m_ca) + up_ac(m_ca)[swap])/√2.
 */
export class TripletInteraction {
  readonly denseBa: Dense;
  readonly mlpRbf: Dense;
  readonly scaleRbf: Tensor;
  /** W_bil [emb_size_trip, emb_size_cbf, emb_size_bil_trip], the reference's layout. */
  readonly bilinear: Tensor;
  readonly scaleCbfSum: Tensor;
  readonly down: Dense;
  readonly upCa: Dense;
  readonly upAc: Dense;

  constructor(store: ParamStore, name: string, s: TripletSizes, scales: { hadRbf: number; sumCbf: number }) {
    this.denseBa = new Dense(store, `${name}.dense_ba`, s.edge, s.edge, true);
    this.mlpRbf = new Dense(store, `${name}.mlp_rbf`, s.rbf, s.edge, false);
    this.scaleRbf = scaleFactor(store, `${name}.scale_rbf`, scales.hadRbf);
    this.bilinear = heWeight(store, `${name}.mlp_cbf.weight`, [s.trip, s.cbf, s.bilinear]);
    this.scaleCbfSum = scaleFactor(store, `${name}.scale_cbf_sum`, scales.sumCbf);
    this.down = new Dense(store, `${name}.down_projection`, s.edge, s.trip, true);
    this.upCa = new Dense(store, `${name}.up_projection_ca`, s.bilinear, s.edge, true);
    this.upAc = new Dense(store, `${name}.up_projection_ac`, s.bilinear, s.edge, true);
  }

  /**
   * @param m `[E, edge]` edge embeddings
   * @param rbf3 `[E, rbf]` shared down-projected radial basis
   * @param cbf `[E, S, Kmax]` spherical basis of each triplet slot (zero on padding)
   * @param rbfW1 `[E, S, cbf]` radial part of the 2-D basis, down-projected (at D of the output edge)
   * @param g Graph indices
   * @returns x3 `[E, edge]`
   */
  forward(m: Tensor, rbf3: Tensor, cbf: Tensor, rbfW1: Tensor, g: GemNetEdgeIndex): Tensor {
    const ne = m.shape[0];
    const [trip, cbfDim, out] = this.bilinear.shape;
    const xBa0 = this.denseBa.forward(m); // [E, edge]
    const xBa = this.down.forward(scaled(mul(xBa0, this.mlpRbf.forward(rbf3)), this.scaleRbf, xBa0)); // [E, trip]
    const slots = gather(xBa, g.tripletEdges); // [E·Kmax, trip]
    const m2 = reshapeView(slots, [ne, g.kmax, trip]); // [E, Kmax, trip]
    const sumK = bmm(cbf, m2); // [E, S, trip]
    const p = bmm(sumK, rbfW1, { transA: true }); // [E, trip, cbf]
    const w = reshapeView(this.bilinear, [trip * cbfDim, out]); // [(j, i), o]
    const x = scaled(matmul(reshapeView(p, [ne, trip * cbfDim]), w), this.scaleCbfSum, slots, g); // [E, bilinear]
    const xCa = this.upCa.forward(x); // [E, edge]
    const xAc = gather(this.upAc.forward(x), g.idSwap); // [E, edge], the reverse edge's
    return addScaled(xCa, xAc, INV_SQRT2);
  }
}

/**
 * The radial half of `EfficientInteractionDownProjection`: rbfW1[e, s, i] = Σ_r rad[e, r]·W[s, r, i]
 * as one matmul, after reordering the rows of W [S, R, I] (the reference's layout) to [R, S·I].
 *
 * @param rad `[E, R]` radial basis at D of the output edge c→a
 * @param weight `mlp_cbf3.weight` [S, R, I]
 * @param order `[R·S]` u32: row r·S + s takes row s·R + r of W viewed as [S·R, I]
 * @returns `[E, S, I]`
 */
export function cbfDownProjection(rad: Tensor, weight: Tensor, order: Tensor): Tensor {
  const [ns, nr, ic] = weight.shape;
  const w = reshapeView(gather(reshapeView(weight, [ns * nr, ic]), order), [nr, ns * ic]); // [R, S·I]
  return reshapeView(matmul(rad, w), [rad.shape[0], ns, ic]);
}

/** `AtomUpdateBlock`: Σ over in-edges of m ⊙ W·rbf_h, × s_sum, then a Dense stack. */
export class AtomUpdate {
  readonly denseRbf: Dense;
  readonly scaleSum: Tensor;
  readonly layers: DenseStack;

  constructor(
    store: ParamStore,
    name: string,
    s: { atom: number; edge: number; rbf: number; nHidden: number },
    sumScale: number,
  ) {
    this.denseRbf = new Dense(store, `${name}.dense_rbf`, s.rbf, s.edge, false);
    this.scaleSum = scaleFactor(store, `${name}.scale_sum`, sumScale);
    this.layers = new DenseStack(store, `${name}.layers`, s.edge, s.atom, s.nHidden);
  }

  /** The atom update [N, atom] from m [E, edge] and rbf [E, rbf]. */
  forward(m: Tensor, rbf: Tensor, g: GemNetEdgeIndex): Tensor {
    const x = scaled(segmentSum(mul(m, this.denseRbf.forward(rbf)), g.targetOffsets), this.scaleSum, m); // [N, edge]
    return this.layers.forward(x);
  }
}

/**
 * `OutputBlock` with `direct_forces`: its energy half (the inherited atom update and
 * `out_energy`) is registered for weight compatibility but never evaluated, since CDVAE discards
 * the energy. Force half: F_e = w_F · (stack(m) ⊙ W·rbf_out · s_had).
 */
export class OutputBlock {
  readonly energy: AtomUpdate;
  readonly outEnergy: Dense;
  readonly scaleRbfF: Tensor;
  readonly seqForces: DenseStack;
  readonly outForces: Dense;
  readonly denseRbfF: Dense;

  constructor(
    store: ParamStore,
    name: string,
    s: { atom: number; edge: number; rbf: number; nHidden: number },
    scales: { sum: number; had: number },
  ) {
    // Registration order follows the reference's state_dict: dense_rbf, scale_sum, layers, ….
    this.energy = new AtomUpdate(store, name, s, scales.sum);
    this.outEnergy = new Dense(store, `${name}.out_energy`, s.atom, 1, false);
    this.scaleRbfF = scaleFactor(store, `${name}.scale_rbf_F`, scales.had);
    this.seqForces = new DenseStack(store, `${name}.seq_forces`, s.edge, s.edge, s.nHidden);
    this.outForces = new Dense(store, `${name}.out_forces`, s.edge, 1, false);
    this.denseRbfF = new Dense(store, `${name}.dense_rbf_F`, s.rbf, s.edge, false);
  }

  /** F_e [E, 1] from m [E, edge] and rbf_out [E, rbf]. */
  forward(m: Tensor, rbfOut: Tensor): Tensor {
    const xF = this.seqForces.forward(m); // [E, edge]
    const x = scaled(mul(xF, this.denseRbfF.forward(rbfOut)), this.scaleRbfF, xF); // [E, edge]
    return this.outForces.forward(x);
  }
}

/** Sizes of an interaction block. */
export interface InteractionSizes extends TripletSizes {
  atom: number;
  beforeSkip: number;
  afterSkip: number;
  concat: number;
  atomResiduals: number;
}

/** Per-block basis tensors. */
export interface GemNetBases {
  /** `[E, rbf]` W_rbf3·rbf. */
  rbf3: Tensor;
  /** `[E, S, Kmax]` spherical basis per triplet slot. */
  cbf: Tensor;
  /** `[E, S, cbf]` down-projected radial part of the 2-D basis. */
  rbfW1: Tensor;
  /** `[E, rbf]` W_rbf_h·rbf. */
  rbfH: Tensor;
}

/** `InteractionBlockTripletsOnly` (details §2.3, steps 1–6). */
export class InteractionBlock {
  readonly denseCa: Dense;
  readonly trip: TripletInteraction;
  readonly beforeSkip: ResidualLayer[] = [];
  readonly afterSkip: ResidualLayer[] = [];
  readonly atomUpdate: AtomUpdate;
  readonly concatLayer: EdgeEmbedding;
  readonly residualM: ResidualLayer[] = [];

  constructor(
    store: ParamStore,
    name: string,
    s: InteractionSizes,
    scales: { hadRbf: number; sumCbf: number; atomSum: number },
  ) {
    this.denseCa = new Dense(store, `${name}.dense_ca`, s.edge, s.edge, true);
    this.trip = new TripletInteraction(store, `${name}.trip_interaction`, s, scales);
    for (let i = 0; i < s.beforeSkip; i++) {
      this.beforeSkip.push(new ResidualLayer(store, `${name}.layers_before_skip.${i}`, s.edge));
    }
    for (let i = 0; i < s.afterSkip; i++) {
      this.afterSkip.push(new ResidualLayer(store, `${name}.layers_after_skip.${i}`, s.edge));
    }
    const au = { atom: s.atom, edge: s.edge, rbf: s.rbf, nHidden: s.atomResiduals };
    this.atomUpdate = new AtomUpdate(store, `${name}.atom_update`, au, scales.atomSum);
    this.concatLayer = new EdgeEmbedding(store, `${name}.concat_layer`, s.atom, s.edge, s.edge);
    for (let i = 0; i < s.concat; i++) {
      this.residualM.push(new ResidualLayer(store, `${name}.residual_m.${i}`, s.edge));
    }
  }

  /** Updated (h [N, atom], m [E, edge]). */
  forward(h: Tensor, m: Tensor, b: GemNetBases, g: GemNetEdgeIndex): [Tensor, Tensor] {
    const x3 = this.trip.forward(m, b.rbf3, b.cbf, b.rbfW1, g); // [E, edge]
    let x = addScaled(this.denseCa.forward(m), x3, INV_SQRT2);
    for (const l of this.beforeSkip) x = l.forward(x);
    let mNew = addScaled(m, x, INV_SQRT2);
    for (const l of this.afterSkip) mNew = l.forward(mNew);
    const hNew = addScaled(h, this.atomUpdate.forward(mNew, b.rbfH, g), INV_SQRT2); // [N, atom]
    let m2 = this.concatLayer.forward(hNew, mNew, g);
    for (const l of this.residualM) m2 = l.forward(m2);
    return [hNew, addScaled(mNew, m2, INV_SQRT2)];
  }
}
