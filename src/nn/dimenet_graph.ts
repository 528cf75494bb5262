/**
 * Host-side preparation of the DimeNet++ encoder's inputs from a {@linkcode GraphBatch}: triplets
 * k→j→i, their angles, the basis values, and the index and CSR tensors the device ops need. All
 * geometry is f64 on the host (the encoder needs no gradient with respect to positions) and is
 * uploaded as f32.
 *
 * Edge convention (as `graph.ts`, and as the reference's `edge_index = (j, i)`): edge e has
 * receiver i, sender j and vector r_ji = x_j + S·L − x_i, which is the reference's `pos_ji`
 * (`gnn.py`, offsets belong to the sender).
 *
 * @module
 */

import type { Backend } from "../compute/backend.ts";
import { Tensor } from "../compute/tensor.ts";
import {
  type BasisPrecision,
  dimenetBesselBasis,
  dimenetEnvelope,
  dimenetEnvelopeF32,
  sphericalBesselBasisValues,
  sphericalHarmonicsY0,
} from "./bases.ts";
import { type GraphBatch, receiversOf } from "./graph.ts";
import { indexTensor } from "./module.ts";

/**
 * Which triplets k→j→i are dropped:
 * - `"reference"`: every one whose k is the same atom index as i, in any image (`gnn.py:286`,
 *   audit D1). This removes B–O–B triplets in perovskites and all triplets of 1-atom cells, and
 *   makes the encoder depend on the cell choice (a supercell keeps triplets the cell drops).
 * - `"back-edge"`: only the true back-edge, k = i in the same image (S_kj + S_ji = 0). A named
 *   deviation from the reference, off by default.
 */
export type TripletRule = "reference" | "back-edge";

/** Triplets k→j→i as pairs of edges, grouped by the edge j→i (CSR). */
export interface Triplets {
  /** `[T]` the edge k→j of each triplet (the reference's `idx_kj`). */
  kj: Uint32Array;
  /** `[T]` the edge j→i of each triplet (`idx_ji`), non-decreasing. */
  ji: Uint32Array;
  /** `[E + 1]`: edge e owns triplets `offsets[e]..offsets[e + 1]`. */
  offsets: Uint32Array;
}

/**
 * Every pair of edges (k→j, j→i) — the edges into the sender j of each edge — less those the
 * rule drops. Triplets come out grouped by j→i in edge order, so summing over them into edges is
 * a segment sum.
 *
 * @param g The graph batch
 * @param rule Which triplets to drop (default `"reference"`)
 * @returns The triplets
 *
 * @example One atom in a 1-D chain: the reference keeps no triplet, the back-edge rule two
 * ```ts
 * import { buildTriplets } from "./dimenet_graph.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * // Edges of atom 0 to its images at ±x (receiver 0, sender 0).
 * const g = {
 *   numCrystals: 1, atomOffsets: new Uint32Array([0, 1]), numbers: new Uint8Array([6]),
 *   edgeOffsets: new Uint32Array([0, 2]), senders: new Uint32Array([0, 0]),
 *   images: new Int32Array([1, 0, 0, -1, 0, 0]), vectors: new Float64Array([3, 0, 0, -3, 0, 0]),
 *   distances: new Float64Array([3, 3]),
 * };
 * assertEquals(buildTriplets(g).kj.length, 0);
 * assertEquals([...buildTriplets(g, "back-edge").kj], [0, 1]);
 * ```
 */
export function buildTriplets(g: GraphBatch, rule: TripletRule = "reference"): Triplets {
  const recv = receiversOf(g), E = g.senders.length;
  const offsets = new Uint32Array(E + 1);
  const kj: number[] = [], ji: number[] = [];
  for (let e = 0; e < E; e++) {
    const i = recv[e], j = g.senders[e];
    for (let f = g.edgeOffsets[j]; f < g.edgeOffsets[j + 1]; f++) {
      if (g.senders[f] === i) {
        if (rule === "reference") continue;
        const back = g.images[3 * f] + g.images[3 * e] === 0 &&
          g.images[3 * f + 1] + g.images[3 * e + 1] === 0 &&
          g.images[3 * f + 2] + g.images[3 * e + 2] === 0;
        if (back) continue;
      }
      kj.push(f);
      ji.push(e);
    }
    offsets[e + 1] = kj.length;
  }
  return { kj: Uint32Array.from(kj), ji: Uint32Array.from(ji), offsets };
}

/**
 * cos θ of each triplet, θ = atan2(|r_ji × r_kj|, r_ji·r_kj): the angle between the edge vectors
 * i→j and j→k with their image offsets, i.e. π minus the bond angle at j (audit O3).
 *
 * @param g The graph batch (its `vectors`)
 * @param t The triplets
 * @returns `[T]` cos θ
 */
export function tripletCosines(g: GraphBatch, t: Triplets): Float64Array {
  const v = g.vectors, out = new Float64Array(t.kj.length);
  for (let n = 0; n < out.length; n++) {
    const a = 3 * t.ji[n], b = 3 * t.kj[n];
    const [ax, ay, az, bx, by, bz] = [v[a], v[a + 1], v[a + 2], v[b], v[b + 1], v[b + 2]];
    const cx = ay * bz - az * by, cy = az * bx - ax * bz, cz = ax * by - ay * bx;
    out[n] = Math.cos(Math.atan2(Math.hypot(cx, cy, cz), ax * bx + ay * by + az * bz));
  }
  return out;
}

/** What the basis and triplet preparation needs from the encoder config. */
export interface EncoderGraphOptions {
  /** Cutoff c of the bases, Å (7 in CDVAE). */
  cutoff: number;
  /** Envelope exponent (5; p = exponent + 1). */
  envelopeExponent: number;
  /** Spherical orders L (7). */
  numSpherical: number;
  /** Radial functions R (6). */
  numRadial: number;
  /** Triplet rule (`"reference"` by default in the config). */
  triplets: TripletRule;
  /** How the spherical basis's radial part and the envelope are evaluated. */
  basisPrecision: BasisPrecision;
  /** Rows of the element embedding (95 in PyG 2.0.1, indexed by Z itself). */
  numElements: number;
}

/** The device inputs of one encoder forward pass, from {@linkcode prepareEncoderGraph}. */
export interface EncoderGraph {
  /** Crystals B. */
  numCrystals: number;
  /** Atoms N. */
  numAtoms: number;
  /** Edges E. */
  numEdges: number;
  /** Triplets T. */
  numTriplets: number;
  /** `[B + 1]` u32 atom offsets (mean readout). */
  atomOffsets: Tensor;
  /** `[N + 1]` u32 edge offsets by receiver (edges → atoms). */
  edgeOffsets: Tensor;
  /** `[E]` u32 atomic number of each edge's receiver i (an embedding row). */
  receiverZ: Tensor;
  /** `[E]` u32 atomic number of each edge's sender j. */
  senderZ: Tensor;
  /** `[E, 1]` d/c. */
  distScaled: Tensor;
  /** `[E, 1]` u(d/c). */
  envelope: Tensor;
  /** `[T]` u32 edge k→j of each triplet; undefined when T = 0. */
  idxKj: Tensor | undefined;
  /** `[E + 1]` u32 triplet offsets by edge j→i. */
  tripletOffsets: Tensor;
  /** `[T, L·R]` spherical basis, index l·R + n; undefined when T = 0. */
  sbf: Tensor | undefined;
  /** Host copies, for tests and diagnostics. */
  host: { triplets: Triplets; cosTheta: Float64Array };
  /** Frees the tensors. */
  dispose(): void;
}

/**
 * The host side of {@linkcode EncoderGraph}: every array the encoder's device inputs are uploaded
 * from. Each crystal's part depends on that crystal alone, so the parts of single crystals can be
 * computed once, kept, and joined into a batch's with {@linkcode concatEncoderHostInputs} (the
 * trainer's per-crystal cache); the result is the same, bit for bit, as preparing the batch.
 */
export interface EncoderHostInputs {
  /** Crystals B. */
  numCrystals: number;
  /** `[B + 1]` atom offsets. */
  atomOffsets: Uint32Array;
  /** `[N + 1]` edge offsets by receiver. */
  edgeOffsets: Uint32Array;
  /** `[E]` atomic number of each edge's receiver. */
  receiverZ: Uint32Array;
  /** `[E]` atomic number of each edge's sender. */
  senderZ: Uint32Array;
  /** `[E]` d/c. */
  distScaled: Float32Array;
  /** `[E]` u(d/c). */
  envelope: Float32Array;
  /** Triplets k→j→i (edge indices of this batch). */
  triplets: Triplets;
  /** `[T]` cos θ. */
  cosTheta: Float64Array;
  /** `[T, L·R]` spherical basis. */
  sbf: Float32Array;
}

/**
 * The host arrays of the encoder's inputs (see {@linkcode prepareEncoderGraph}, which uploads them);
 * a graph without edges is allowed here (a crystal's part), not by the upload.
 *
 * @param g The graph batch
 * @param opts Basis settings from the encoder config
 * @returns The host arrays
 * @throws {RangeError} When an atomic number has no embedding row
 */
export function encoderHostInputs(g: GraphBatch, opts: EncoderGraphOptions): EncoderHostInputs {
  const E = g.senders.length;
  for (const z of g.numbers) {
    if (z >= opts.numElements) {
      throw new RangeError(`Cannot prepare the encoder graph: atomic number "${z}" ≥ ${opts.numElements}`);
    }
  }
  const { cutoff, envelopeExponent: p, numSpherical: L, numRadial: R } = opts;
  const ref = opts.basisPrecision === "reference-f32";
  const recv = receiversOf(g);
  const x = new Float32Array(E), env = new Float32Array(E);
  const rad = new Float64Array(E * L * R); // [E, L·R] u·N·j_l, the radial part of sbf
  const basis = dimenetBesselBasis(L, R);
  for (let e = 0; e < E; e++) {
    const xe = g.distances[e] / cutoff;
    x[e] = xe;
    const u = ref ? dimenetEnvelopeF32(xe, p) : dimenetEnvelope(xe, p);
    env[e] = u;
    sphericalBesselBasisValues(basis, xe, opts.basisPrecision, rad, e * L * R);
    for (let k = e * L * R; k < (e + 1) * L * R; k++) rad[k] = ref ? Math.fround(u * rad[k]) : u * rad[k];
  }
  const triplets = buildTriplets(g, opts.triplets), T = triplets.kj.length;
  const cosTheta = tripletCosines(g, triplets);
  const sbf = new Float32Array(T * L * R), y = new Float64Array(L);
  for (let t = 0; t < T; t++) {
    sphericalHarmonicsY0(L, cosTheta[t], y);
    const src = triplets.kj[t] * L * R, dst = t * L * R;
    for (let l = 0; l < L; l++) {
      const yl = ref ? Math.fround(y[l]) : y[l];
      for (let n = 0; n < R; n++) sbf[dst + l * R + n] = rad[src + l * R + n] * yl;
    }
  }
  const zr = new Uint32Array(E), zs = new Uint32Array(E);
  for (let e = 0; e < E; e++) {
    zr[e] = g.numbers[recv[e]];
    zs[e] = g.numbers[g.senders[e]];
  }
  return {
    numCrystals: g.numCrystals,
    atomOffsets: g.atomOffsets,
    edgeOffsets: g.edgeOffsets,
    receiverZ: zr,
    senderZ: zs,
    distScaled: x,
    envelope: env,
    triplets,
    cosTheta,
    sbf,
  };
}

/**
 * Joins the host inputs of consecutive parts (e.g. single crystals) into those of one batch:
 * arrays are concatenated and indices shifted, exactly what {@linkcode encoderHostInputs} of the
 * joined graph would give.
 *
 * @param parts The parts, in batch order
 * @returns The batch's host inputs
 */
export function concatEncoderHostInputs(parts: readonly EncoderHostInputs[]): EncoderHostInputs {
  let B = 0, N = 0, E = 0, T = 0, S = 0;
  for (const h of parts) {
    B += h.numCrystals;
    N += h.atomOffsets[h.numCrystals];
    E += h.receiverZ.length;
    T += h.cosTheta.length;
    S += h.sbf.length;
  }
  const out: EncoderHostInputs = {
    numCrystals: B,
    atomOffsets: new Uint32Array(B + 1),
    edgeOffsets: new Uint32Array(N + 1),
    receiverZ: new Uint32Array(E),
    senderZ: new Uint32Array(E),
    distScaled: new Float32Array(E),
    envelope: new Float32Array(E),
    triplets: { kj: new Uint32Array(T), ji: new Uint32Array(T), offsets: new Uint32Array(E + 1) },
    cosTheta: new Float64Array(T),
    sbf: new Float32Array(S),
  };
  let b = 0, n = 0, e = 0, t = 0, s = 0;
  for (const h of parts) {
    const nb = h.numCrystals, nn = h.atomOffsets[nb], ne = h.receiverZ.length, nt = h.cosTheta.length;
    for (let i = 1; i <= nb; i++) out.atomOffsets[b + i] = n + h.atomOffsets[i];
    for (let i = 1; i <= nn; i++) out.edgeOffsets[n + i] = e + h.edgeOffsets[i];
    out.receiverZ.set(h.receiverZ, e);
    out.senderZ.set(h.senderZ, e);
    out.distScaled.set(h.distScaled, e);
    out.envelope.set(h.envelope, e);
    for (let i = 0; i < nt; i++) {
      out.triplets.kj[t + i] = e + h.triplets.kj[i];
      out.triplets.ji[t + i] = e + h.triplets.ji[i];
    }
    for (let i = 1; i <= ne; i++) out.triplets.offsets[e + i] = t + h.triplets.offsets[i];
    out.cosTheta.set(h.cosTheta, t);
    out.sbf.set(h.sbf, s);
    b += nb;
    n += nn;
    e += ne;
    t += nt;
    s += h.sbf.length;
  }
  return out;
}

/**
 * Uploads host inputs as the encoder's device inputs.
 *
 * @param be Backend to upload to
 * @param h The host arrays (at least one edge)
 * @returns The tensors of one forward pass
 * @throws {RangeError} When the graph has no edges
 */
export function uploadEncoderInputs(be: Backend, h: EncoderHostInputs): EncoderGraph {
  const E = h.receiverZ.length, T = h.cosTheta.length;
  if (E === 0) throw new RangeError("Cannot prepare the encoder graph: it has no edges");
  const LR = h.sbf.length / Math.max(1, T);
  const tensors = {
    atomOffsets: indexTensor(be, h.atomOffsets),
    edgeOffsets: indexTensor(be, h.edgeOffsets),
    receiverZ: indexTensor(be, h.receiverZ),
    senderZ: indexTensor(be, h.senderZ),
    distScaled: Tensor.from(be, h.distScaled, [E, 1]),
    envelope: Tensor.from(be, h.envelope, [E, 1]),
    idxKj: T > 0 ? indexTensor(be, h.triplets.kj) : undefined,
    tripletOffsets: indexTensor(be, h.triplets.offsets),
    sbf: T > 0 ? Tensor.from(be, h.sbf, [T, LR]) : undefined,
  };
  return {
    numCrystals: h.numCrystals,
    numAtoms: h.atomOffsets[h.numCrystals],
    numEdges: E,
    numTriplets: T,
    ...tensors,
    host: { triplets: h.triplets, cosTheta: h.cosTheta },
    dispose() {
      for (const t of Object.values(tensors)) t?.dispose();
    },
  };
}

/**
 * Builds the encoder's device inputs: triplets (by `opts.triplets`), d/c and u(d/c) per edge, and
 * sbf[t, l·R + n] = u(d_kj/c)·N_ln·j_l(z_ln·d_kj/c)·Y_l^0(cos θ_t) per triplet (PyG's
 * `SphericalBasisLayer`, distance of the edge k→j).
 *
 * @param be Backend to upload to
 * @param g The graph batch (at least one edge)
 * @param opts Basis settings from the encoder config
 * @returns The tensors of one forward pass
 * @throws {RangeError} When the graph has no edges or an atomic number has no embedding row
 */
export function prepareEncoderGraph(be: Backend, g: GraphBatch, opts: EncoderGraphOptions): EncoderGraph {
  if (g.senders.length === 0) throw new RangeError("Cannot prepare the encoder graph: it has no edges");
  return uploadEncoderInputs(be, encoderHostInputs(g, opts));
}
