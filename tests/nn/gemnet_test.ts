import fc from "fast-check";
import { type Backend, getBackend } from "../../src/compute/backend.ts";
import { add, mul, sum } from "../../src/compute/functional.ts";
import { Tape } from "../../src/compute/tape.ts";
import { Tensor } from "../../src/compute/tensor.ts";
import type { NeighborOptions } from "../../src/core/geometry.ts";
import type { Crystal } from "../../src/crystal/crystal.ts";
import { matmul3 } from "../../src/crystal/lattice.ts";
import { GEMNET_T_SCALE_FACTORS, GemNetT, type GemNetTConfig } from "../../src/nn/gemnet.ts";
import { sphericalHarmonicsY0 } from "../../src/nn/bases.ts";
import { gaussianRadialBasis } from "../../src/nn/gemnet_bases.ts";
import { cbfDownProjection } from "../../src/nn/gemnet_layers.ts";
import { buildDecoderGraph, type DecoderGraph, tripletLists } from "../../src/nn/gemnet_graph.ts";
import { decoderGraphOf } from "../../src/model/graphs.ts";
import { decoderNetworkConfig, defaultConfig } from "../../src/model/config.ts";

/** The reference decoder's settings. */
const REFERENCE = decoderNetworkConfig(defaultConfig("mp_20"));
import { indexTensor, ParamStore } from "../../src/nn/module.ts";
import { arbitraryCrystal, arbitraryRotation, PROPERTY_SEED } from "../_arbitrary.ts";
import {
  assert,
  assertAllClose,
  assertAlmostEquals,
  assertEquals,
  AssertionError,
  assertThrows,
} from "../_assert.ts";
import { ignore } from "../_gpu.ts";

const ref = await getBackend({ prefer: "reference" });
const wasm = await getBackend({ prefer: "wasm" });

/** A decoder small enough for the reference backend (all structure kept: 2 blocks, every layer kind). */
const TINY: GemNetTConfig = {
  ...REFERENCE,
  latentDim: 4,
  embSizeAtom: 8,
  embSizeEdge: 8,
  numBlocks: 2,
  numSpherical: 3,
  numRadial: 6,
  embSizeTrip: 4,
  embSizeRbf: 3,
  embSizeCbf: 3,
  embSizeBilTrip: 5,
  numAfterSkip: 1,
  numAtomResidual: 1,
  cutoff: 4,
};
/** Capped list with the reference's images (exercises the D2 re-symmetrisation). */
const CAPPED: NeighborOptions = { cutoff: 4, maxNeighbors: 6, images: "adjacent" };

/** Deterministic uniforms in [−1, 1). */
function randoms(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

const rocksalt: Crystal = {
  lattice: new Float64Array([4.1, 0, 0, 0.3, 3.9, 0, 0.2, -0.4, 4.3]),
  frac: new Float64Array([0, 0, 0, 0.52, 0.47, 0.5, 0.1, 0.55, 0.45]),
  numbers: new Uint8Array([11, 17, 8]),
};
const pair: Crystal = {
  lattice: new Float64Array([3.2, 0, 0, 0, 3.6, 0, 0, 0.5, 3.4]),
  frac: new Float64Array([0.05, 0.1, 0.2, 0.6, 0.45, 0.7]),
  numbers: new Uint8Array([3, 26]),
};

interface Run {
  scores: Float32Array;
  logits: Float32Array;
}

async function run(net: GemNetT, crystals: Crystal[], graph: DecoderGraph, z: Float32Array): Promise<Run> {
  const be = net.store.be;
  const tape = new Tape();
  const out = tape.record(() => {
    const types = indexTensor(be, crystals.flatMap((c) => [...c.numbers].map((x) => x - 1)));
    return net.forward(
      Tensor.from(be, z, [crystals.length, net.config.latentDim]),
      net.prepare(graph),
      types,
    );
  });
  const r = {
    scores: (await out.scores.read()) as Float32Array,
    logits: (await out.typeLogits.read()) as Float32Array,
  };
  tape.dispose();
  return r;
}

Deno.test("GemNetT registers the reference's state_dict names and parameter count", () => {
  const store = new ParamStore(ref, 3);
  new GemNetT(store, REFERENCE);
  assertEquals(store.count("decoder.gemnet."), 2_332_305);
  assertEquals(store.count("decoder.fc_atom."), 12_900);
  const names = [...store.entries.keys()];
  const scales = names.filter((n) => n.endsWith(".scale_factor"));
  assertEquals(scales.length, 17);
  for (const n of scales) assert(!store.get(n).requiresGrad, n);
  for (
    const n of [
      "decoder.gemnet.mlp_rbf3.linear.weight",
      "decoder.gemnet.mlp_cbf3.weight",
      "decoder.gemnet.atom_emb.embeddings.weight",
      "decoder.gemnet.atom_latent_emb.weight",
      "decoder.gemnet.atom_latent_emb.bias",
      "decoder.gemnet.edge_emb.dense.linear.weight",
      "decoder.gemnet.out_blocks.3.seq_forces.3.dense_mlp.1.linear.weight",
      "decoder.gemnet.out_blocks.0.layers.0.linear.weight",
      "decoder.gemnet.out_blocks.0.scale_rbf_F.scale_factor",
      "decoder.gemnet.int_blocks.2.trip_interaction.mlp_cbf.weight",
      "decoder.gemnet.int_blocks.2.trip_interaction.scale_cbf_sum.scale_factor",
      "decoder.gemnet.int_blocks.0.layers_after_skip.1.dense_mlp.0.linear.weight",
      "decoder.gemnet.int_blocks.0.atom_update.layers.3.dense_mlp.1.linear.weight",
      "decoder.gemnet.int_blocks.0.concat_layer.dense.linear.weight",
      "decoder.gemnet.int_blocks.0.residual_m.0.dense_mlp.1.linear.weight",
      "decoder.fc_atom.weight",
      "decoder.fc_atom.bias",
    ]
  ) assert(store.entries.has(n), n);
  assertEquals(store.get("decoder.gemnet.mlp_cbf3.weight").shape, [7, 128, 16]);
  assertEquals(store.get("decoder.gemnet.int_blocks.0.trip_interaction.mlp_cbf.weight").shape, [64, 16, 64]);
  assertEquals(store.entries.get("decoder.gemnet.edge_emb.dense.linear.weight")!.layout, "transposed");
  assertEquals(store.get("decoder.gemnet.atom_latent_emb.weight").shape, [384, 128]);
  store.dispose();
});

Deno.test("GEMNET_T_SCALE_FACTORS match reference-constants.json", async () => {
  const path = new URL("../../../shared/docs/reference-constants.json", import.meta.url);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch {
    return; // the shared docs are not part of every checkout
  }
  assertEquals({ ...GEMNET_T_SCALE_FACTORS }, JSON.parse(text).GemNetT_scale_factors);
});

Deno.test("scale factors load into the frozen parameters by name", async () => {
  const store = new ParamStore(ref, 1);
  new GemNetT(store, TINY);
  assertEquals(
    await store.get("decoder.gemnet.int_blocks.1.trip_interaction.scale_rbf.scale_factor").item(),
    Math.fround(GEMNET_T_SCALE_FACTORS.TripInteraction_2_had_rbf),
  );
  assertEquals(
    await store.get("decoder.gemnet.out_blocks.2.scale_sum.scale_factor").item(),
    Math.fround(0.9477927684783936),
  );
  store.dispose();
});

Deno.test("gaussianRadialBasis() and the Y_l⁰ of the triplet basis match closed forms", () => {
  const r = gaussianRadialBasis([3.5], 7, 3, 5);
  const env = 1 - 21 * 0.5 ** 5 + 35 * 0.5 ** 6 - 15 * 0.5 ** 7;
  assertAlmostEquals(r[1], env, 1e-12);
  assertAlmostEquals(r[0], env * Math.exp(-0.5 * (0.5 / 0.5) ** 2), 1e-12);
  assertEquals([...gaussianRadialBasis([7, 8], 7, 3, 5)], [0, 0, 0, 0, 0, 0]);
  assertThrows(() => gaussianRadialBasis([1], 7, 1, 5), RangeError);
  const z = 0.3;
  const y = sphericalHarmonicsY0(7, z);
  const p6 = (231 * z ** 6 - 315 * z ** 4 + 105 * z ** 2 - 5) / 16;
  assertAlmostEquals(y[6], Math.sqrt(13 / (4 * Math.PI)) * p6, 1e-12);
  assertAlmostEquals(y[2], Math.sqrt(5 / (4 * Math.PI)) * (3 * z * z - 1) / 2, 1e-12);
});

Deno.test("buildDecoderGraph() re-symmetrises the capped list by atom index (audit D2)", async (t) => {
  const crystals = [rocksalt, pair];
  const graph = decoderGraphOf(crystals, CAPPED);
  const nl = (await import("../../src/core/geometry.ts")).neighborListMany(crystals, CAPPED);
  const key = (s: number, t: number, im: ArrayLike<number>) => `${s},${t},${im[0]},${im[1]},${im[2]}`;
  const listed = new Set<string>();
  for (let i = 0; i + 1 < nl.offsets.length; i++) {
    for (let e = nl.offsets[i]; e < nl.offsets[i + 1]; e++) {
      listed.add(key(nl.senders[e], i, nl.images.subarray(3 * e)));
    }
  }
  const ne = graph.sources.length;
  await t.step("edges: {a<b} present iff a's image is in b's list", () => {
    const have = new Set<string>();
    for (let e = 0; e < ne; e++) {
      have.add(key(graph.sources[e], graph.targets[e], graph.images.subarray(3 * e)));
    }
    assertEquals(have.size, ne);
    for (let e = 0; e < ne; e++) {
      const [s, tt] = [graph.sources[e], graph.targets[e]];
      const im = graph.images.subarray(3 * e, 3 * e + 3);
      const neg = [-im[0], -im[1], -im[2]];
      const earlier = im[0] < 0 || (im[0] === 0 && (im[1] < 0 || (im[1] === 0 && im[2] < 0)));
      // The survivor of each pair is the direction with the smaller source (or the earlier image).
      const fromList = s < tt || (s === tt && earlier)
        ? listed.has(key(s, tt, im))
        : listed.has(key(tt, s, neg));
      assert(fromList, `edge ${s}→${tt} [${im}] has no listed origin`);
    }
    for (const k of listed) {
      const [s, tt, a, b, c] = k.split(",").map(Number);
      const earlier = a < 0 || (a === 0 && (b < 0 || (b === 0 && c < 0)));
      if (s < tt || (s === tt && earlier)) assert(have.has(k), `survivor ${k} missing`);
    }
  });
  await t.step("idSwap is an involution onto the reverse edge", () => {
    for (let e = 0; e < ne; e++) {
      const r = graph.idSwap[e];
      assertEquals(graph.idSwap[r], e);
      assertEquals([graph.sources[r], graph.targets[r]], [graph.targets[e], graph.sources[e]]);
      for (let k = 0; k < 3; k++) {
        assertEquals(graph.images[3 * r + k], -graph.images[3 * e + k] | 0);
        assertAlmostEquals(graph.directions[3 * r + k], -graph.directions[3 * e + k], 1e-15);
      }
      assertEquals(graph.distances[r], graph.distances[e]);
    }
  });
  await t.step("edges are grouped by target; V points from the source image to the target", () => {
    for (let i = 0; i + 1 < graph.targetOffsets.length; i++) {
      for (let e = graph.targetOffsets[i]; e < graph.targetOffsets[i + 1]; e++) {
        assertEquals(graph.targets[e], i);
      }
    }
    const cart = (c: Crystal, a: number, im: ArrayLike<number>) =>
      [0, 1, 2].map((k) =>
        [0, 1, 2].reduce((acc, r) => acc + (c.frac[3 * a + r] + (im[r] ?? 0)) * c.lattice[3 * r + k], 0)
      );
    for (let e = 0; e < graph.targetOffsets[graph.atomOffsets[1]]; e++) {
      const xs = cart(rocksalt, graph.sources[e], graph.images.subarray(3 * e, 3 * e + 3));
      const xt = cart(rocksalt, graph.targets[e], [0, 0, 0]);
      for (let k = 0; k < 3; k++) {
        assertAlmostEquals(graph.directions[3 * e + k], (xt[k] - xs[k]) / graph.distances[e], 1e-12);
      }
    }
  });
  await t.step("triplets: every other in-edge of the target, by edge id", () => {
    const { ba, ca } = tripletLists(graph);
    let expected = 0;
    for (let i = 0; i + 1 < graph.targetOffsets.length; i++) {
      const d = graph.targetOffsets[i + 1] - graph.targetOffsets[i];
      expected += d * (d - 1);
    }
    assertEquals(ba.length, expected);
    for (let k = 0; k < ba.length; k++) {
      assert(ba[k] !== ca[k]);
      assertEquals(graph.targets[ba[k]], graph.targets[ca[k]]);
    }
    for (let e = 0; e < ne; e++) {
      for (let k = graph.tripletCounts[e]; k < graph.kmax; k++) {
        assertEquals(graph.tripletEdges[e * graph.kmax + k], 0);
      }
    }
  });
});

Deno.test("buildDecoderGraph() with symmetrize: false needs a symmetric list", () => {
  const base = {
    numCrystals: 1,
    atomOffsets: new Uint32Array([0, 2]),
    numbers: new Uint8Array([6, 8]),
    images: new Int32Array(3),
    vectors: new Float64Array([-1, 0, 0]),
    distances: new Float64Array([1]),
  };
  const g = { ...base, edgeOffsets: new Uint32Array([0, 0, 1]), senders: new Uint32Array([0]) };
  assertThrows(() => buildDecoderGraph(g, { symmetrize: false }), RangeError, /no reverse edge/);
  const both = buildDecoderGraph({
    ...base,
    edgeOffsets: new Uint32Array([0, 1, 2]),
    senders: new Uint32Array([1, 0]),
    images: new Int32Array(6),
    vectors: new Float64Array([1, 0, 0, -1, 0, 0]),
    distances: new Float64Array([1, 1]),
  }, { symmetrize: false });
  assertEquals([...both.idSwap], [1, 0]);
  assertEquals([...both.directions], [-1, -0, -0, 1, -0, -0]);
});

Deno.test("GemNetT.forward() shapes, and an atom without edges", async () => {
  const store = new ParamStore(ref, 5);
  const net = new GemNetT(store, TINY);
  const lonely: Crystal = {
    lattice: new Float64Array([9, 0, 0, 0, 9, 0, 0, 0, 9]),
    frac: new Float64Array(3),
    numbers: new Uint8Array([1]),
  };
  const crystals = [rocksalt, lonely, pair];
  const graph = decoderGraphOf(crystals, CAPPED);
  const r = await run(net, crystals, graph, randoms(12, 1));
  assertEquals(r.scores.length, 6 * 3);
  assertEquals(r.logits.length, 6 * 100);
  assert(r.scores.every(Number.isFinite) && r.logits.every(Number.isFinite));
  assertEquals([...r.scores.subarray(9, 12)], [0, 0, 0]);
  assert(r.scores.some((x) => Math.abs(x) > 1e-4));
  const only = await run(net, [lonely], decoderGraphOf([lonely], CAPPED), randoms(4, 2));
  assertEquals([...only.scores], [0, 0, 0]);
  store.dispose();
});

/** y = x·W (+ ScaledSiLU) on the host; x [rows, in], W [in, out] row-major. */
function denseHost(x: Float64Array, w: ArrayLike<number>, inDim: number, act: boolean): Float64Array {
  const rows = x.length / inDim, out = w.length / inDim;
  const y = new Float64Array(rows * out);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < out; o++) {
      let v = 0;
      for (let i = 0; i < inDim; i++) v += x[r * inDim + i] * w[i * out + o];
      y[r * out + o] = act ? v / (1 + Math.exp(-v)) / 0.6 : v;
    }
  }
  return y;
}

Deno.test("TripletInteraction's efficient bilinear equals the per-triplet sum (audit O1)", async () => {
  const store = new ParamStore(ref, 13);
  const net = new GemNetT(store, TINY);
  const graph = decoderGraphOf([rocksalt, pair], CAPPED);
  const ne = graph.sources.length, c = TINY;
  const tape = new Tape();
  const mHost = Float64Array.from(randoms(ne * c.embSizeEdge, 5));
  const got = await tape.record(() => {
    const inp = net.prepare(graph);
    const m = Tensor.from(ref, Float32Array.from(mHost), [ne, c.embSizeEdge]);
    const rbfW1 = cbfDownProjection(inp.rbf, net.mlpCbf3, inp.cbfWeightOrder);
    return net.intBlocks[0].trip.forward(m, net.mlpRbf3.forward(inp.rbf), inp.cbf, rbfW1, inp);
  }).read();
  tape.dispose();
  const w = async (t: Tensor) => Float64Array.from(await t.read());
  const trip = net.intBlocks[0].trip;
  const [T, I, O, S, R, E] = [
    c.embSizeTrip,
    c.embSizeCbf,
    c.embSizeBilTrip,
    c.numSpherical,
    c.numRadial,
    c.embSizeEdge,
  ];
  const rad = gaussianRadialBasis(graph.distances, c.cutoff, R, c.envelopeExponent);
  const wd = await w(net.mlpCbf3), wb = await w(trip.bilinear);
  const rbf3 = denseHost(rad, await w(net.mlpRbf3.weight), R, false);
  const a = denseHost(mHost, await w(trip.denseBa.weight), E, true);
  const b = denseHost(rbf3, await w(trip.mlpRbf.weight), c.embSizeRbf, false);
  const had = await trip.scaleRbf.item(), sumCbf = await trip.scaleCbfSum.item();
  const xBa = denseHost(a.map((v, k) => v * b[k] * had), await w(trip.down.weight), E, true); // [E, T]
  const mCa = new Float64Array(ne * O);
  const { ba, ca } = tripletLists(graph);
  for (let t = 0; t < ba.length; t++) {
    const e = ca[t];
    const cbf = sphericalHarmonicsY0(S, graph.tripletCosines[e * graph.kmax + (t - tripletStart(graph, e))]);
    for (let j = 0; j < T; j++) {
      for (let i = 0; i < I; i++) {
        let basis = 0; // Σ_s cbf_s · Σ_r rad[e, r]·Wd[s, r, i]
        for (let s2 = 0; s2 < S; s2++) {
          for (let r = 0; r < R; r++) basis += cbf[s2] * rad[e * R + r] * wd[(s2 * R + r) * I + i];
        }
        for (let o = 0; o < O; o++) {
          mCa[e * O + o] += sumCbf * wb[(j * I + i) * O + o] * xBa[ba[t] * T + j] * basis;
        }
      }
    }
  }
  const up = denseHost(mCa, await w(trip.upCa.weight), O, true);
  const upAc = denseHost(mCa, await w(trip.upAc.weight), O, true);
  const want = new Float64Array(ne * E);
  for (let e = 0; e < ne; e++) {
    for (let k = 0; k < E; k++) {
      want[e * E + k] = (up[e * E + k] + upAc[graph.idSwap[e] * E + k]) * Math.SQRT1_2;
    }
  }
  assertAllClose(got, want, { atol: 1e-5, rtol: 1e-4 }, "x3");
  assert(want.some((v) => Math.abs(v) > 1e-2));
  store.dispose();
});

/** Index of the first triplet of edge e in {@linkcode tripletLists} order. */
function tripletStart(graph: DecoderGraph, e: number): number {
  let n = 0;
  for (let k = 0; k < e; k++) n += graph.tripletCounts[k];
  return n;
}

/** Loss = Σ scores·R₁ + Σ logits·R₂ with fixed R, recorded on `tape`. */
function lossOf(
  net: GemNetT,
  graph: DecoderGraph,
  z: Tensor,
  types: Tensor,
  seed: number,
  tape: Tape,
): Tensor {
  const be = net.store.be;
  return tape.record(() => {
    const out = net.forward(z, net.prepare(graph), types);
    const r1 = Tensor.from(be, randoms(out.scores.size, seed), out.scores.shape);
    const r2 = Tensor.from(be, randoms(out.typeLogits.size, seed + 1), out.typeLogits.shape);
    return add(sum(mul(out.scores, r1)), sum(mul(out.typeLogits, r2)));
  });
}

const GRAD_PARAMS = [
  "decoder.gemnet.int_blocks.0.trip_interaction.mlp_cbf.weight",
  "decoder.gemnet.mlp_cbf3.weight",
  "decoder.gemnet.int_blocks.1.trip_interaction.up_projection_ac.linear.weight",
  "decoder.gemnet.int_blocks.0.trip_interaction.dense_ba.linear.weight",
  "decoder.gemnet.atom_latent_emb.weight",
  "decoder.gemnet.edge_emb.dense.linear.weight",
  "decoder.gemnet.out_blocks.0.seq_forces.0.linear.weight",
  "decoder.gemnet.int_blocks.1.atom_update.dense_rbf.linear.weight",
  "decoder.fc_atom.bias",
];

async function gradients(be: Backend, graph: DecoderGraph, crystals: Crystal[]) {
  const store = new ParamStore(be, 11);
  const net = new GemNetT(store, TINY);
  const types = indexTensor(be, crystals.flatMap((c) => [...c.numbers].map((x) => x - 1)));
  const z = Tensor.from(be, randoms(crystals.length * TINY.latentDim, 9), [crystals.length, TINY.latentDim]);
  z.requiresGrad = true;
  const tape = new Tape();
  const loss = lossOf(net, graph, z, types, 21, tape);
  tape.backward(loss);
  const value = await loss.item();
  tape.dispose();
  const grads = new Map<string, Float32Array>();
  for (const n of GRAD_PARAMS) grads.set(n, (await store.get(n).grad!.read()) as Float32Array);
  grads.set("z", (await z.grad!.read()) as Float32Array);
  return { store, net, types, z, value, grads };
}

Deno.test("GemNetT gradients match central finite differences (reference backend)", async () => {
  const crystals = [rocksalt, pair];
  const graph = decoderGraphOf(crystals, CAPPED);
  const { store, net, types, z, grads } = await gradients(ref, graph, crystals);
  const evalLoss = async () => {
    const tape = new Tape();
    const v = await lossOf(net, graph, z, types, 21, tape).item();
    tape.dispose();
    return v;
  };
  const h = 1e-2;
  for (const name of [...GRAD_PARAMS, "z"]) {
    const p = name === "z" ? z : store.get(name);
    const base = (await p.read()) as Float32Array;
    const g = grads.get(name)!;
    // The three entries with the largest analytic gradient, and one arbitrary entry.
    const order = [...g.keys()].sort((a, b) => Math.abs(g[b]) - Math.abs(g[a]));
    for (const i of [order[0], order[1], order[2], order[Math.floor(order.length / 2)]]) {
      const w = base.slice();
      w[i] = base[i] + h;
      ref.write(p.buffer, w);
      const up = await evalLoss();
      w[i] = base[i] - h;
      ref.write(p.buffer, w);
      const down = await evalLoss();
      ref.write(p.buffer, base);
      const fd = (up - down) / (2 * h);
      const tol = 2e-3 + 2e-2 * Math.abs(fd);
      if (!(Math.abs(fd - g[i]) <= tol)) {
        throw new AssertionError({ message: `${name}[${i}]: tape ${g[i]} vs finite difference ${fd}` });
      }
    }
  }
  store.dispose();
});

/** Outputs and gradients on `be` against the reference backend. */
async function compareWithReference(be: Backend): Promise<void> {
  const crystals = [rocksalt, pair];
  const graph = decoderGraphOf(crystals, CAPPED);
  const a = await gradients(ref, graph, crystals);
  const b = await gradients(be, graph, crystals);
  assertAlmostEquals(b.value, a.value, 1e-4 * Math.max(1, Math.abs(a.value)));
  for (const [n, g] of a.grads) assertAllClose(b.grads.get(n)!, g, { atol: 1e-4, rtol: 1e-3 }, n);
  const ra = await run(a.net, crystals, graph, randoms(8, 3));
  const rb = await run(b.net, crystals, graph, randoms(8, 3));
  assertAllClose(rb.scores, ra.scores, { atol: 1e-4, rtol: 1e-3 }, "scores");
  assertAllClose(rb.logits, ra.logits, { atol: 1e-4, rtol: 1e-3 }, "logits");
  a.store.dispose();
  b.store.dispose();
}

Deno.test("GemNetT gives the same outputs and gradients on the wasm backend", async () => {
  await compareWithReference(wasm);
});

Deno.test({
  name: "GemNetT gives the same outputs and gradients on WebGPU",
  ignore,
  fn: async () => await compareWithReference(await getBackend({ prefer: "webgpu" })),
});

// ---- symmetry properties ------------------------------------------------------------------

const propNet = new GemNetT(new ParamStore(wasm, 17), TINY);
/** 3–5 atoms (with 1–2, which fast-check favours, scores often vanish by inversion symmetry). */
const smallCrystal = arbitraryCrystal({ minAtoms: 3, maxAtoms: 5, minLength: 3, maxLength: 6, maxZ: 100 });
const RUNS = 25;

async function decode(c: Crystal, neighbors: NeighborOptions, z: Float32Array): Promise<Run> {
  return await run(propNet, [c], decoderGraphOf([c], neighbors), z);
}

async function property<T>(arb: fc.Arbitrary<T>, check: (x: T) => Promise<void>): Promise<void> {
  await fc.assert(fc.asyncProperty(arb, check), { seed: PROPERTY_SEED, numRuns: RUNS });
}

const zArb = fc.integer({ min: 1, max: 1000 }).map((s) => randoms(TINY.latentDim, s));
const TOL = { atol: 2e-4, rtol: 2e-3 };

Deno.test("GemNetT scores rotate with the crystal; type logits are invariant", async () => {
  await property(fc.tuple(smallCrystal, arbitraryRotation, zArb), async ([c, rot, z]) => {
    const a = await decode(c, CAPPED, z);
    assert(a.scores.some((x) => Math.abs(x) > 1e-3), "vacuous case: all scores zero");
    const b = await decode({ ...c, lattice: matmul3(c.lattice, rot) }, CAPPED, z);
    const rotated = new Float32Array(a.scores.length);
    for (let i = 0; i < a.scores.length / 3; i++) {
      for (let k = 0; k < 3; k++) {
        rotated[3 * i + k] = [0, 1, 2].reduce((s, r) => s + a.scores[3 * i + r] * rot[3 * r + k], 0);
      }
    }
    assertAllClose(b.scores, rotated, TOL, `scores, rotation ${[...rot]}`);
    assertAllClose(b.logits, a.logits, TOL, "logits");
  });
});

Deno.test("GemNetT outputs are unchanged by a translation of every atom", async () => {
  const shift = fc.tuple(...[0, 1, 2].map(() => fc.double({ min: -0.3, max: 0.3, noNaN: true })));
  await property(fc.tuple(smallCrystal, shift, zArb), async ([c, t, z]) => {
    const a = await decode(c, CAPPED, z);
    const frac = c.frac.map((x, i) => x + t[i % 3]);
    const b = await decode({ ...c, frac }, CAPPED, z);
    assertAllClose(b.scores, a.scores, TOL, `scores, shift ${t}`);
    assertAllClose(b.logits, a.logits, TOL, "logits");
  });
});

Deno.test("GemNetT outputs are unchanged when atoms move by lattice vectors", async () => {
  const all: NeighborOptions = { cutoff: 4, maxNeighbors: 6, images: "all" };
  const lattice = fc.array(fc.integer({ min: -2, max: 2 }), { minLength: 15, maxLength: 15 });
  await property(fc.tuple(smallCrystal, lattice, zArb), async ([c, n, z]) => {
    const a = await decode(c, all, z);
    const b = await decode({ ...c, frac: c.frac.map((x, i) => x + n[i]) }, all, z);
    assertAllClose(b.scores, a.scores, TOL, `scores, shifts ${n}`);
    assertAllClose(b.logits, a.logits, TOL, "logits");
  });
});

Deno.test("GemNetT outputs permute with the atoms (uncapped graph)", async () => {
  const uncapped: NeighborOptions = { cutoff: 4, images: "adjacent" };
  const arb = smallCrystal.chain((c) =>
    fc.tuple(
      fc.constant(c),
      fc.shuffledSubarray([...c.numbers.keys()], { minLength: c.numbers.length }),
      zArb,
    )
  );
  await property(arb, async ([c, perm, z]) => {
    const a = await decode(c, uncapped, z);
    const pc: Crystal = {
      lattice: c.lattice,
      frac: Float64Array.from(perm.flatMap((i) => [...c.frac.subarray(3 * i, 3 * i + 3)])),
      numbers: Uint8Array.from(perm.map((i) => c.numbers[i])),
    };
    const b = await decode(pc, uncapped, z);
    const expect = Float32Array.from(perm.flatMap((i) => [...a.scores.subarray(3 * i, 3 * i + 3)]));
    assertAllClose(b.scores, expect, TOL, `scores, permutation ${perm}`);
    const logits = Float32Array.from(perm.flatMap((i) => [...a.logits.subarray(100 * i, 100 * i + 100)]));
    assertAllClose(b.logits, logits, TOL, "logits");
  });
});
