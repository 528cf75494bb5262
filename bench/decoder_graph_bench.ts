/**
 * The decoder graph (7 Å, 20 nearest, CDVAE's 27 images) of 64 five-atom crystals: the wasm core
 * (`buildGraph`, the sampler's path today) against the `decoder_graph` kernel on WebGPU, with and
 * without the upload and read-back (the kernel alone is what a GPU-resident Langevin step pays).
 * Inputs: perovskite-sized cells (3.5–4.5 Å, angles 80–100°) and random coordinates from a fixed
 * seed, built once outside the timed functions.
 *
 * Run: deno bench -A bench/decoder_graph_bench.ts
 *
 * @module
 */

import { getBackend } from "../src/compute/backend.ts";
import { fill } from "../src/compute/functional.ts";
import { neighborTable } from "../src/model/device/neighbors.ts";
import { Tensor } from "../src/compute/tensor.ts";
import { latticeFromParameters } from "../src/crystal/lattice.ts";
import { decoderGraphOnDevice } from "../src/model/decoder_graph.ts";
import { buildGraph, packHost } from "../src/model/graphs.ts";

const B = 64, ATOMS = 5, K = 20, CUTOFF = 7;

/** Deterministic uniform numbers in [0, 1) (mulberry32). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const u = rng(7);
const h = packHost(Array.from({ length: B }, () => ({
  lattice: latticeFromParameters({
    a: 3.5 + u(),
    b: 3.5 + u(),
    c: 3.5 + u(),
    alpha: 80 + 20 * u(),
    beta: 80 + 20 * u(),
    gamma: 80 + 20 * u(),
  }),
  frac: Float64Array.from({ length: 3 * ATOMS }, u),
  numbers: new Uint8Array(ATOMS).fill(8),
})));

const be = await getBackend({ prefer: "webgpu" });
const n = B * ATOMS;
const crystal = Uint32Array.from({ length: n }, (_, i) => Math.floor(i / ATOMS));
const resident = [
  Tensor.from(be, Float32Array.from(h.frac), [n, 3]),
  Tensor.from(be, crystal),
  Tensor.from(be, h.atomOffsets.slice()),
  Tensor.from(be, Float32Array.from(h.lattices), [B, 9]),
] as const;
const group = `decoder graph, ${B} × ${ATOMS} atoms, k=${K}`;

Deno.bench("wasm core (buildGraph)", { group, baseline: true }, () => {
  buildGraph(h, { cutoff: CUTOFF, maxNeighbors: K, images: "adjacent" });
});

Deno.bench(`${be.name}: upload, kernel, read back, compact`, { group }, async () => {
  await decoderGraphOnDevice(be, h, { cutoff: CUTOFF, maxNeighbors: K });
});

Deno.bench(`${be.name}: kernel on resident inputs (no read-back)`, { group }, async () => {
  const t = neighborTable(...resident, { cutoff: CUTOFF, maxNeighbors: K });
  await be.sync();
  [t.edges, t.geom, t.count].forEach((x) => x.dispose());
});

// The fixed cost of one dispatch and a wait on this device, for scale.
Deno.bench(`${be.name}: one tiny dispatch and a wait (fixed cost)`, { group }, async () => {
  const t = fill(be, [1], 0);
  await be.sync();
  t.dispose();
});
