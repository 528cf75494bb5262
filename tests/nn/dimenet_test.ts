/**
 * DimeNet++ encoder: state_dict names and counts, shapes, triplets and angles, gradients against
 * finite differences (reference backend) and wasm-vs-reference agreement, and invariance under
 * atom permutation, translation, rotation and (with the back-edge triplet rule) supercells.
 */

import fc from "fast-check";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../_assert.ts";
import { arbitraryCrystal, arbitraryRotation, PROPERTY_SEED } from "../_arbitrary.ts";
import { getBackend } from "../../src/compute/backend.ts";
import { mul, sum } from "../../src/compute/functional.ts";
import { Tape, zeroGrad } from "../../src/compute/tape.ts";
import { Tensor } from "../../src/compute/tensor.ts";
import { minDistance } from "../../src/core/geometry.ts";
import type { Crystal } from "../../src/crystal/crystal.ts";
import { neighborListMany, type NeighborOptions } from "../../src/core/geometry.ts";
import type { GraphBatch } from "../../src/nn/graph.ts";
import { matmul3 } from "../../src/crystal/lattice.ts";
import { buildTriplets, type DimeNetConfig, DimeNetPlusPlus } from "../../src/nn/dimenet.ts";
import { encoderNetworkConfig, REFERENCE_ENCODER } from "../../src/model/config.ts";

/** The reference encoder's settings. */
const REFERENCE = encoderNetworkConfig(REFERENCE_ENCODER, 256);
import { ParamStore } from "../../src/nn/module.ts";

/** A small encoder that still has every kind of layer (two blocks, all 42 sbf features). */
const SMALL: DimeNetConfig = {
  ...REFERENCE,
  hiddenChannels: 16,
  outChannels: 8,
  numBlocks: 2,
  intEmbSize: 8,
  basisEmbSize: 4,
  outEmbChannels: 12,
};

/** The graph batch of `crystals` from the wasm neighbour list. */
function graphOf(crystals: readonly Crystal[], opts: NeighborOptions): GraphBatch {
  const nl = neighborListMany(crystals, opts);
  const numbers = new Uint8Array(nl.atomOffsets[crystals.length]);
  crystals.forEach((c, b) => numbers.set(c.numbers, nl.atomOffsets[b]));
  return {
    numCrystals: crystals.length,
    atomOffsets: nl.atomOffsets,
    numbers,
    edgeOffsets: nl.offsets,
    senders: nl.senders,
    images: nl.images,
    vectors: nl.vectors,
    distances: nl.distances,
  };
}

/** mulberry32: uniform [0, 1) from a 32-bit seed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Overwrites every parameter with random non-zero values (the reference zero-initialises each
 * output block's last layer, which would make every output 0): weights U(±1.7/√rows), biases
 * U(±0.5), the element table U(±1.5) — large enough that the triplet path changes the output by
 * tens of per cent (with U(±1/√rows) it moves it by 1e-4, and the invariance tests would not see
 * the angles); the Bessel frequencies keep nπ.
 */
function randomizeParams(store: ParamStore, seed: number): void {
  const u = rng(seed);
  for (const [name, e] of store.entries) {
    if (name.endsWith(".freq")) continue;
    const t = e.tensor;
    const a = name.endsWith(".bias")
      ? 0.5
      : name.endsWith("emb.emb.weight")
      ? 1.5
      : 1.7 / Math.sqrt(t.shape[0]);
    store.be.write(t.buffer, Float32Array.from({ length: t.size }, () => (2 * u() - 1) * a));
  }
}

/** Rows of a [B, C] output, as arrays. */
function rows(y: Float32Array, c: number): Float32Array[] {
  return Array.from({ length: y.length / c }, (_, b) => y.subarray(b * c, (b + 1) * c));
}

/** max |a − b| relative to max(1, max |a|). */
function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0, s = 1;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    s = Math.max(s, Math.abs(a[i]));
  }
  return d / s;
}

const ref = await getBackend({ prefer: "reference" });
const wasm = await getBackend({ prefer: "wasm" });

/** The graph of the invariance tests (as the brief: 7 Å, 20 nearest). */
const CAPPED: NeighborOptions = { cutoff: 7, maxNeighbors: 20 };

/** Rock salt NaCl (conventional cell, 8 atoms). */
const NACL: Crystal = {
  lattice: new Float64Array([5.64, 0, 0, 0, 5.64, 0, 0, 0, 5.64]),
  frac: new Float64Array([
    0,
    0,
    0,
    0.5,
    0.5,
    0,
    0.5,
    0,
    0.5,
    0,
    0.5,
    0.5,
    0.5,
    0,
    0,
    0,
    0.5,
    0,
    0,
    0,
    0.5,
    0.5,
    0.5,
    0.5,
  ]),
  numbers: new Uint8Array([11, 11, 11, 11, 17, 17, 17, 17]),
};

/** A skewed 3-atom crystal with distinct elements. */
const SKEW: Crystal = {
  lattice: new Float64Array([4.1, 0, 0, 0.9, 3.8, 0, 0.4, -0.7, 4.6]),
  frac: new Float64Array([0.1, 0.2, 0.3, 0.55, 0.6, 0.15, 0.8, 0.05, 0.7]),
  numbers: new Uint8Array([8, 26, 3]),
};

/** A new encoder on `be` with random non-zero weights. */
function encoder(
  be: typeof ref,
  cfg: DimeNetConfig = SMALL,
  seed = 7,
): { store: ParamStore; enc: DimeNetPlusPlus } {
  const store = new ParamStore(be, 3);
  const enc = new DimeNetPlusPlus(store, "encoder", cfg);
  randomizeParams(store, seed);
  return { store, enc };
}

/** The encoder's [B, out] output for `crystals`, on the host. */
async function encode(
  enc: DimeNetPlusPlus,
  crystals: Crystal[],
  opts: NeighborOptions = CAPPED,
): Promise<Float32Array> {
  const g = enc.prepare(graphOf(crystals, opts));
  const y = enc.forward(g);
  const out = (await y.read()) as Float32Array;
  y.dispose();
  g.dispose();
  return out.slice();
}

Deno.test("DimeNetPlusPlus registers the reference's state_dict names: 2 213 510 parameters", () => {
  const store = new ParamStore(ref, 1);
  new DimeNetPlusPlus(store, "encoder", REFERENCE);
  assertEquals(store.count("encoder."), 2_213_510);
  assertEquals(store.count("encoder.emb."), 62_336);
  assertEquals(store.count("encoder.output_blocks.0."), 296_704);
  assertEquals(store.count("encoder.interaction_blocks.3."), 166_912);
  const names = [...store.entries.keys()];
  assertEquals(names.slice(0, 6), [
    "encoder.rbf.freq",
    "encoder.emb.emb.weight",
    "encoder.emb.lin_rbf.weight",
    "encoder.emb.lin_rbf.bias",
    "encoder.emb.lin.weight",
    "encoder.emb.lin.bias",
  ]);
  assertEquals(names.filter((n) => n.startsWith("encoder.output_blocks.4.")), [
    "encoder.output_blocks.4.lin_rbf.weight",
    "encoder.output_blocks.4.lin_up.weight",
    "encoder.output_blocks.4.lin_up.bias",
    "encoder.output_blocks.4.lins.0.weight",
    "encoder.output_blocks.4.lins.0.bias",
    "encoder.output_blocks.4.lins.1.weight",
    "encoder.output_blocks.4.lins.1.bias",
    "encoder.output_blocks.4.lins.2.weight",
    "encoder.output_blocks.4.lins.2.bias",
    "encoder.output_blocks.4.lin.weight",
  ]);
  const block = names.filter((n) => n.startsWith("encoder.interaction_blocks.0.")).map((n) => n.slice(29));
  assertEquals(block, [
    "lin_rbf1.weight",
    "lin_rbf2.weight",
    "lin_sbf1.weight",
    "lin_sbf2.weight",
    "lin_kj.weight",
    "lin_kj.bias",
    "lin_ji.weight",
    "lin_ji.bias",
    "lin_down.weight",
    "lin_up.weight",
    "layers_before_skip.0.lin1.weight",
    "layers_before_skip.0.lin1.bias",
    "layers_before_skip.0.lin2.weight",
    "layers_before_skip.0.lin2.bias",
    "lin.weight",
    "lin.bias",
    "layers_after_skip.0.lin1.weight",
    "layers_after_skip.0.lin1.bias",
    "layers_after_skip.0.lin2.weight",
    "layers_after_skip.0.lin2.bias",
    "layers_after_skip.1.lin1.weight",
    "layers_after_skip.1.lin1.bias",
    "layers_after_skip.1.lin2.weight",
    "layers_after_skip.1.lin2.bias",
  ]);
  // PyTorch layouts: dense weights are stored transposed, the rest as they are.
  assertEquals(store.entries.get("encoder.interaction_blocks.0.lin_sbf1.weight")!.tensor.shape, [42, 8]);
  assertEquals(store.entries.get("encoder.interaction_blocks.0.lin_sbf1.weight")!.layout, "transposed");
  assertEquals(store.entries.get("encoder.emb.emb.weight")!.tensor.shape, [95, 128]);
  assertEquals(store.entries.get("encoder.emb.emb.weight")!.layout, "same");
  store.dispose();
});

Deno.test("DimeNetPlusPlus initialises as the reference: freq = nπ, glorot_orthogonal, zero output", async () => {
  const store = new ParamStore(ref, 5);
  const enc = new DimeNetPlusPlus(store, "encoder", SMALL);
  const freq = await store.get("encoder.rbf.freq").read();
  freq.forEach((f, n) => assertAlmostEquals(f, Math.fround((n + 1) * Math.PI), 0));
  // glorot_orthogonal(scale 2) on lin_kj (16 × 16): Wᵀ W = k²·I with Var(W) = 2 / (16 + 16).
  const w = await store.get("encoder.interaction_blocks.0.lin_kj.weight").read();
  let m = 0, ss = 0;
  for (const v of w) m += v / w.length;
  for (const v of w) ss += (v - m) ** 2;
  assertAlmostEquals(ss / (w.length - 1), 2 / 32, 1e-6);
  const gram = (a: number, b: number) => {
    let acc = 0; // Σ_i W[a][i]·W[b][i] in torch's [out, in] layout; ours is [in, out]
    for (let i = 0; i < 16; i++) acc += w[i * 16 + a] * w[i * 16 + b];
    return acc;
  };
  assertAlmostEquals(gram(0, 3), 0, 1e-5);
  assertAlmostEquals(gram(2, 2), gram(5, 5), 1e-5);
  assertEquals(
    [...await store.get("encoder.interaction_blocks.0.lin_kj.bias").read()],
    new Array(16).fill(0),
  );
  // lin_up keeps torch's default (non-zero) bias (audit D3); every output block ends at zero.
  assert((await store.get("encoder.output_blocks.0.lin_up.bias").read()).some((v) => v !== 0));
  assertEquals(await encode(enc, [NACL, SKEW]), new Float32Array(2 * SMALL.outChannels));
  store.dispose();
});

Deno.test("DimeNetPlusPlus.forward() gives one row per crystal, finite, and per-atom outputs", async () => {
  const { store, enc } = encoder(ref);
  const g = enc.prepare(graphOf([NACL, SKEW, NACL], CAPPED));
  assertEquals([g.numCrystals, g.numAtoms, g.numEdges], [3, 19, 19 * 20]);
  const y = enc.forward(g), p = enc.atomOutputs(g);
  assertEquals(y.shape, [3, SMALL.outChannels]);
  assertEquals(p.shape, [19, SMALL.outChannels]);
  const [yy, pp] = [await y.read(), await p.read()];
  assert(yy.every(Number.isFinite) && yy.some((v) => Math.abs(v) > 1e-3));
  // Mean readout: row 1 is the mean of atoms 8..10.
  for (let c = 0; c < SMALL.outChannels; c++) {
    const mean = (pp[8 * 8 + c] + pp[9 * 8 + c] + pp[10 * 8 + c]) / 3;
    assertAlmostEquals(yy[8 + c], mean, 1e-5 * Math.max(1, Math.abs(mean)));
  }
  assertEquals(relDiff(rows(yy as Float32Array, 8)[0], rows(yy as Float32Array, 8)[2]), 0);
  g.dispose();
  store.dispose();
});

Deno.test("prepareEncoderGraph() builds k→j→i triplets as the reference and rejects bad input", () => {
  const store = new ParamStore(ref, 1);
  const enc = new DimeNetPlusPlus(store, "encoder", SMALL);
  const g = graphOf([SKEW], CAPPED);
  const t = buildTriplets(g);
  const recv = (e: number) => g.edgeOffsets.findLastIndex((o) => o <= e);
  for (let n = 0; n < t.kj.length; n++) {
    // Edge kj ends where edge ji starts, and k is never the atom i (audit D1).
    assertEquals(recv(t.kj[n]), g.senders[t.ji[n]]);
    assert(g.senders[t.kj[n]] !== recv(t.ji[n]));
  }
  // Every pair of edges (k→j, j→i) with k ≠ i is present, grouped by ji.
  let expected = 0;
  for (let e = 0; e < g.senders.length; e++) {
    const i = recv(e), j = g.senders[e];
    for (let f = g.edgeOffsets[j]; f < g.edgeOffsets[j + 1]; f++) if (g.senders[f] !== i) expected++;
    assertEquals(t.offsets[e + 1] - t.offsets[e], t.ji.filter((x) => x === e).length);
  }
  assertEquals(t.kj.length, expected);
  const back = buildTriplets(g, "back-edge");
  assert(back.kj.length > t.kj.length);
  // The angle is between i→j and j→k (π minus the bond angle, audit O3): a straight chain gives cos θ = 1.
  const chain = {
    numCrystals: 1,
    atomOffsets: new Uint32Array([0, 1]),
    numbers: new Uint8Array([6]),
    edgeOffsets: new Uint32Array([0, 2]),
    senders: new Uint32Array([0, 0]),
    images: new Int32Array([1, 0, 0, -1, 0, 0]),
    vectors: new Float64Array([3, 0, 0, -3, 0, 0]),
    distances: new Float64Array([3, 3]),
  };
  const p = enc.prepare(chain);
  assertEquals(p.numTriplets, 0);
  p.dispose();
  const pb = new DimeNetPlusPlus(new ParamStore(ref, 1), "encoder", { ...SMALL, triplets: "back-edge" })
    .prepare(chain);
  assertEquals([...pb.host.cosTheta], [1, 1]);
  pb.dispose();
  assertThrows(() => enc.prepare({ ...chain, numbers: new Uint8Array([95]) }), RangeError, /"95"/);
  assertThrows(
    () => enc.prepare({ ...chain, edgeOffsets: new Uint32Array([0, 0]), senders: new Uint32Array(0) }),
    RangeError,
    /no edges/,
  );
  store.dispose();
});

Deno.test("DimeNetPlusPlus runs with no triplets (1-atom cell, reference rule)", async () => {
  const { store, enc } = encoder(ref);
  const one: Crystal = {
    lattice: new Float64Array([3, 0, 0, 0, 3.2, 0, 0, 0, 3.4]),
    frac: new Float64Array(3),
    numbers: new Uint8Array([29]),
  };
  const g = enc.prepare(graphOf([one], CAPPED));
  assertEquals(g.numTriplets, 0);
  const y = await enc.forward(g).read();
  assert(y.every(Number.isFinite));
  g.dispose();
  store.dispose();
});

/** Σ y ⊙ w for a fixed w: a scalar that involves every output. */
function objective(enc: DimeNetPlusPlus, g: ReturnType<DimeNetPlusPlus["prepare"]>, w: Tensor): Tensor {
  return sum(mul(enc.forward(g), w));
}

/** Gradients of the objective for the named parameters' first few entries (tape). */
async function tapeGrads(
  store: ParamStore,
  enc: DimeNetPlusPlus,
  crystals: Crystal[],
  picks: [string, number][],
) {
  const g = enc.prepare(graphOf(crystals, CAPPED));
  const u = rng(99);
  const w = Tensor.from(
    store.be,
    Float32Array.from({ length: crystals.length * enc.cfg.outChannels }, () => u() - 0.5),
    [crystals.length, enc.cfg.outChannels],
  );
  const tape = new Tape();
  const loss = tape.record(() => objective(enc, g, w));
  tape.backward(loss);
  const out: number[] = [];
  for (const [name, k] of picks) out.push((await store.get(name).grad!.read())[k]);
  const value = await loss.item();
  tape.dispose();
  zeroGrad(store.trainable());
  return { g, w, value, grads: out };
}

const PICKS: [string, number][] = [
  ["encoder.rbf.freq", 1],
  ["encoder.rbf.freq", 4],
  ["encoder.emb.emb.weight", 8 * 16 + 3],
  ["encoder.emb.lin_rbf.weight", 5],
  ["encoder.emb.lin.weight", 40 * 16 + 2],
  ["encoder.interaction_blocks.0.lin_sbf1.weight", 13 * 4 + 1],
  ["encoder.interaction_blocks.0.lin_rbf1.weight", 7],
  ["encoder.interaction_blocks.1.lin_down.weight", 21],
  ["encoder.interaction_blocks.0.lin_up.weight", 9],
  ["encoder.interaction_blocks.1.layers_after_skip.1.lin2.bias", 3],
  ["encoder.output_blocks.0.lin_up.bias", 2],
  ["encoder.output_blocks.2.lins.0.weight", 17],
  ["encoder.output_blocks.1.lin.weight", 30],
];

Deno.test("DimeNetPlusPlus gradients match central finite differences (reference backend)", async () => {
  const { store, enc } = encoder(ref, SMALL, 11);
  const crystals = [SKEW, NACL];
  const { g, w, grads } = await tapeGrads(store, enc, crystals, PICKS);
  const value = async () => {
    const y = objective(enc, g, w);
    const v = await y.item();
    return v;
  };
  for (const [n, [name, k]] of PICKS.entries()) {
    const t = store.get(name);
    const data = (await t.read()).slice() as Float32Array;
    const x0 = data[k], h = 3e-3 * Math.max(1, Math.abs(x0));
    data[k] = x0 + h;
    ref.write(t.buffer, data);
    const up = await value();
    data[k] = x0 - h;
    ref.write(t.buffer, data);
    const down = await value();
    data[k] = x0;
    ref.write(t.buffer, data);
    const fd = (up - down) / (2 * h);
    assertAlmostEquals(
      grads[n],
      fd,
      2e-3 * Math.max(1, Math.abs(fd)),
      `${name}[${k}]: tape ${grads[n]} vs fd ${fd}`,
    );
  }
  g.dispose();
  store.dispose();
});

Deno.test("DimeNetPlusPlus gives the same outputs and gradients on the wasm and reference backends", async () => {
  const a = encoder(ref, SMALL, 13), b = encoder(wasm, SMALL, 13);
  const crystals = [SKEW, NACL];
  const [ya, yb] = [await encode(a.enc, crystals), await encode(b.enc, crystals)];
  assert(relDiff(ya, yb) < 1e-5, `outputs differ by ${relDiff(ya, yb)}`);
  const ga = await tapeGrads(a.store, a.enc, crystals, PICKS),
    gb = await tapeGrads(b.store, b.enc, crystals, PICKS);
  assert(relDiff(ga.grads, gb.grads) < 1e-4, `gradients ${ga.grads} vs ${gb.grads}`);
  for (const x of [ga, gb]) x.g.dispose();
  a.store.dispose();
  b.store.dispose();
});

/** Small crystals whose atoms are at least 1 Å apart (the 1/x envelope makes closer pairs stiff). */
const smallCrystal = arbitraryCrystal({ minAtoms: 1, maxAtoms: 4, minLength: 3, maxLength: 7, maxZ: 94 })
  .filter((c) => minDistance(c) > 1);

/** Random permutation keys. */
const permKeys = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 4, maxLength: 4 });

/** Asserts that rows 0 and 1 of `y` agree to f32 tolerance. */
function assertRowsClose(y: Float32Array, c: number, what: string): void {
  const [a, b] = rows(y, c);
  const d = relDiff(a, b);
  assert(d < 5e-5, `${what}: rows differ by ${d} (seed=${PROPERTY_SEED})`);
}

Deno.test("DimeNetPlusPlus output is invariant under permutation, translation and rotation", async (t) => {
  const { store, enc } = encoder(wasm, SMALL, 17);
  const c = SMALL.outChannels;
  await t.step("atom permutation", async () => {
    await fc.assert(
      fc.asyncProperty(smallCrystal, permKeys, async (x, keys) => {
        const n = x.numbers.length;
        const perm = Array.from({ length: n }, (_, i) => i).sort((p, q) => keys[p] - keys[q]);
        const y: Crystal = {
          lattice: x.lattice,
          frac: Float64Array.from(perm.flatMap((i) => [x.frac[3 * i], x.frac[3 * i + 1], x.frac[3 * i + 2]])),
          numbers: Uint8Array.from(perm.map((i) => x.numbers[i])),
        };
        assertRowsClose(await encode(enc, [x, y]), c, `permutation ${perm}`);
      }),
      { seed: PROPERTY_SEED, numRuns: 8 },
    );
  });
  await t.step("translation (wrapped into the cell)", async () => {
    const shift = fc.tuple(
      fc.double({ min: -1, max: 1, noNaN: true }),
      fc.double({ min: -1, max: 1, noNaN: true }),
      fc.double({ min: -1, max: 1, noNaN: true }),
    );
    await fc.assert(
      fc.asyncProperty(smallCrystal, shift, async (x, s) => {
        const frac = x.frac.map((v, k) => {
          const w = v + s[k % 3];
          return w - Math.floor(w);
        });
        assertRowsClose(await encode(enc, [x, { ...x, frac }]), c, `shift ${s}`);
      }),
      { seed: PROPERTY_SEED, numRuns: 8 },
    );
  });
  await t.step("rotation of lattice and coordinates", async () => {
    await fc.assert(
      fc.asyncProperty(smallCrystal, arbitraryRotation, async (x, r) => {
        assertRowsClose(await encode(enc, [x, { ...x, lattice: matmul3(x.lattice, r) }]), c, `rotation ${r}`);
      }),
      { seed: PROPERTY_SEED, numRuns: 8 },
    );
  });
  store.dispose();
});

/** The 2×1×1 supercell of `x` (atoms of the first copy first). */
function supercell(x: Crystal): Crystal {
  const l = x.lattice, n = x.numbers.length;
  const frac = new Float64Array(6 * n);
  for (let i = 0; i < n; i++) {
    for (const [copy, off] of [[0, 0], [1, 1]]) {
      frac.set([(x.frac[3 * i] + off) / 2, x.frac[3 * i + 1], x.frac[3 * i + 2]], 3 * (copy * n + i));
    }
  }
  return {
    lattice: Float64Array.from([2 * l[0], 2 * l[1], 2 * l[2], l[3], l[4], l[5], l[6], l[7], l[8]]),
    frac,
    numbers: Uint8Array.from([...x.numbers, ...x.numbers]),
  };
}

Deno.test("DimeNetPlusPlus mean readout is unchanged by a 2×1×1 supercell (full radius graph, back-edge rule)", async () => {
  const { store, enc } = encoder(wasm, { ...SMALL, triplets: "back-edge" }, 19);
  const compact = arbitraryCrystal({
    minAtoms: 1,
    maxAtoms: 2,
    minLength: 4,
    maxLength: 6,
    minAngle: 75,
    maxAngle: 105,
    maxZ: 94,
  })
    .filter((c) => minDistance(c) > 1);
  await fc.assert(
    fc.asyncProperty(compact, async (x) => {
      assertRowsClose(await encode(enc, [x, supercell(x)], { cutoff: 7 }), SMALL.outChannels, "supercell");
    }),
    { seed: PROPERTY_SEED, numRuns: 5 },
  );
  store.dispose();
});

Deno.test("DimeNetPlusPlus with the reference triplet rule depends on the cell choice (audit D1)", async () => {
  const { store, enc } = encoder(wasm, SMALL, 19);
  const one: Crystal = {
    lattice: new Float64Array([3, 0, 0, 0, 3.2, 0, 0, 0, 3.4]),
    frac: new Float64Array(3),
    numbers: new Uint8Array([29]),
  };
  const [a, b] = rows(await encode(enc, [one, supercell(one)], { cutoff: 7 }), SMALL.outChannels);
  assert(relDiff(a, b) > 1e-3, "a 1-atom cell has no triplets, its supercell has");
  store.dispose();
});
