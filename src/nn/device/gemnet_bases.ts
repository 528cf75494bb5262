/**
 * GemNet-T's radial and angular bases on a decoder graph that lives on the device (kernels
 * `gemnet_rbf`, `gemnet_cbf` of `shaders/decoder_edges.wgsl`, registered here with their plain-TS
 * references), and the layout of that graph ({@linkcode DeviceDecoderGraph}) as the network reads
 * it. The model builds such a graph (src/model/device/decoder_edges.ts); the references reuse the
 * host bases of `bases.ts` and `gemnet_bases.ts` rather than restate them.
 *
 * @module
 */

import type { Tensor } from "../../compute/tensor.ts";
import { type CpuKernel, defineKernel, grid1d, launch, out, registerKernel } from "../../compute/kernels.ts";
import { sphericalHarmonicsY0 } from "../bases.ts";
import { polynomialEnvelope } from "../gemnet_bases.ts";

const f = Math.fround;

/** rbf [E, R] from egeom and centres [R]; parameters e, r, p, inv_cutoff, coeff. */
const gemnetRbf: CpuKernel = ([egeom, centres, out], { e, r, p, inv_cutoff, coeff }) => {
  for (let i = 0; i < e * r; i++) {
    const x = f(egeom[4 * Math.floor(i / r) + 3] * inv_cutoff), t = x - centres[i % r];
    out[i] = polynomialEnvelope(x, p) * Math.exp(coeff * t * t);
  }
};

/** cbf [E, S, Kmax] from cosines [E, Kmax] and counts [E]; parameters e, s, kmax. */
const gemnetCbf: CpuKernel = ([cos, count, out], { e, s, kmax }) => {
  const y = new Float64Array(s);
  for (let i = 0; i < e * kmax; i++) {
    const edge = Math.floor(i / kmax), k = i % kmax;
    if (k < count[edge]) sphericalHarmonicsY0(s, cos[i], y);
    else y.fill(0);
    for (let l = 0; l < s; l++) out[(edge * s + l) * kmax + k] = y[l];
  }
};

// The wasm backend runs the references (its sampler computes the bases on the host).
for (
  const def of [
    defineKernel(
      "gemnet_rbf",
      "decoder_edges.wgsl",
      "gemnet_rbf",
      "egeom centres out",
      "e r p inv_cutoff:f32 coeff:f32",
      gemnetRbf,
    ),
    defineKernel("gemnet_cbf", "decoder_edges.wgsl", "gemnet_cbf", "cos count out", "e s kmax", gemnetCbf),
  ]
) registerKernel({ ...def, wasmUsesReference: true });

/** The decoder graph of `symmetricDecoderGraph` (src/model/device/decoder_edges.ts): E edges grouped by target. */
export interface DeviceDecoderGraph {
  /** E. */
  numEdges: number;
  /** Kmax: triplet slots per edge, max(1, largest in-degree − 1). */
  kmax: number;
  /** `[E]` u32 source atom s. */
  sources: Tensor;
  /** `[E]` u32 target atom t (non-decreasing). */
  targets: Tensor;
  /** `[N + 1]` u32: target t owns edges targetOffsets[t]..targetOffsets[t + 1]. */
  targetOffsets: Tensor;
  /** `[E]` u32 reverse edge. */
  idSwap: Tensor;
  /** `[E, 4]` f32: unit vector V (source image → target) and length D. */
  edgeGeometry: Tensor;
  /** `[E·Kmax]` u32 id3_ba of each slot (padding: 0). */
  tripletEdges: Tensor;
  /** `[E, Kmax]` f32 cos φ_cab of each slot (padding: 0). */
  tripletCosines: Tensor;
  /** `[E]` u32 valid slots of each edge. */
  tripletCounts: Tensor;
  /** Frees every tensor. */
  dispose(): void;
}

/** Options of {@linkcode gaussianRadialBasisOnDevice} (GemNet's `RadialBasis`). */
export interface RadialBasisOptions {
  /** c (Å): distances are scaled by 1/c. */
  cutoff: number;
  /** p of the polynomial envelope (a non-negative integer; 5 in the reference). */
  envelopeExponent: number;
}

/**
 * GemNet's radial basis u(D/c)·exp(−½((D/c − μ_k)/Δ)²), Δ = 1/(K − 1), on the device (the
 * host's `gaussianRadialBasis` in src/nn/gemnet_bases.ts).
 *
 * @param edgeGeometry `[E, 4]` (V, D) of `symmetricDecoderGraph`
 * @param centres `[K]` f32 Gaussian centres μ_k, K ≥ 2
 * @param opts Cutoff and envelope
 * @returns `[E, K]`
 */
export function gaussianRadialBasisOnDevice(
  edgeGeometry: Tensor,
  centres: Tensor,
  opts: RadialBasisOptions,
): Tensor {
  const e = edgeGeometry.shape[0], r = centres.size;
  if (r < 2 || !Number.isInteger(opts.envelopeExponent) || opts.envelopeExponent < 0) {
    throw new RangeError(
      `Cannot build the radial basis: need ≥ 2 centres and an integer exponent ≥ 0, got ${r} and "${opts.envelopeExponent}"`,
    );
  }
  const o = out(edgeGeometry.backend, [e, r]);
  if (e === 0) return o;
  const step = 1 / (r - 1);
  const params = { e, r, p: opts.envelopeExponent, inv_cutoff: 1 / opts.cutoff, coeff: -0.5 / (step * step) };
  launch(o.backend, "gemnet_rbf", [edgeGeometry, centres, o], params, grid1d(e * r));
  return o;
}

/**
 * Y_l⁰(cos φ) = √((2l + 1)/4π)·P_l(cos φ), l < `numSpherical`, of every triplet slot, zero on
 * padding: `[E, numSpherical, Kmax]`, the layout of the efficient bilinear layer.
 *
 * @param g The graph of `symmetricDecoderGraph`
 * @param numSpherical S
 * @returns `[E, S, Kmax]`
 */
export function sphericalBasisOnDevice(g: DeviceDecoderGraph, numSpherical: number): Tensor {
  const e = g.numEdges, kmax = g.kmax;
  const o = out(g.sources.backend, [e, numSpherical, kmax]);
  if (e === 0) return o;
  const bufs = [g.tripletCosines, g.tripletCounts, o];
  launch(o.backend, "gemnet_cbf", bufs, { e, s: numSpherical, kmax }, grid1d(e * kmax));
  return o;
}
