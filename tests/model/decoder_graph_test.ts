/**
 * The decoder graph built by the `decoder_graph` kernel (WebGPU when an adapter exists, the
 * reference backend, and the wasm backend, which runs the reference on its memory) against the
 * wasm geometry core's `buildGraph(…, { images: "adjacent" })`: same senders and images per receiver
 * in the same order, distances and vectors within 1e-4 Å.
 *
 * The kernel computes in f32, the core in f64. Both get the same (f32-rounded) inputs, and random
 * batches whose candidate distances come within {@linkcode NEAR} of each other or of the cutoff
 * are skipped: there f32 rounding may decide the order or the cut. Exact ties stay in — every
 * atom's own images ±S are exactly tied in both, so the (sender, image) tie-break is checked on
 * every random crystal; symmetric crystals whose tied distances are not exact in f32 (other than
 * the hand-made ones below, whose arithmetic is exact) may order differently, by design.
 */

import fc from "fast-check";
import { assertAllClose, assertEquals } from "../_assert.ts";
import { arbitraryCrystal, PROPERTY_SEED } from "../_arbitrary.ts";
import { ignore } from "../_gpu.ts";
import { type Backend, getBackend } from "../../src/compute/backend.ts";
import type { GraphBatch } from "../../src/nn/graph.ts";
import { buildGraph, type HostCrystals, packHost } from "../../src/model/graphs.ts";
import { decoderGraphOnDevice } from "../../src/model/decoder_graph.ts";

/** Candidate distances closer than this (Å) to each other or to the cutoff skip a random case. */
const NEAR = 2e-5;
/** Agreement asked of distances and vectors (Å). */
const TOL = 1e-4;
const CUTOFF = 7;

const backends: Backend[] = [
  await getBackend({ prefer: "reference" }),
  await getBackend({ prefer: "wasm" }),
  ...(ignore ? [] : [await getBackend({ prefer: "webgpu" })]),
];

/** The batch with coordinates and lattices rounded to f32, as the kernel sees them. */
function asF32(h: HostCrystals): HostCrystals {
  const r = (x: Float64Array) => Float64Array.from(Float32Array.from(x));
  return { ...h, frac: r(h.frac), lattices: r(h.lattices) };
}

/** The wasm core's decoder graph. */
const wasmGraph = (h: HostCrystals, k: number, cutoff = CUTOFF) =>
  buildGraph(h, { cutoff, maxNeighbors: k, images: "adjacent" });

/**
 * Whether any receiver's k + 1 nearest candidates (those that decide its list) include two
 * distances apart by less than NEAR but not exactly equal, one within NEAR of the cutoff, or one
 * within 0.02 Å (near the 1e-4 Å² coincidence rule).
 */
function nearTie(h: HostCrystals, k: number): boolean {
  const all = buildGraph(h, { cutoff: CUTOFF + 1e-3, images: "adjacent", vectors: false });
  for (let i = 0; i + 1 < all.edgeOffsets.length; i++) {
    const ds = [...all.distances.subarray(all.edgeOffsets[i], all.edgeOffsets[i + 1])].sort((a, b) => a - b);
    for (let t = 0; t < Math.min(ds.length, k + 1); t++) {
      const gap = t > 0 ? ds[t] - ds[t - 1] : Infinity;
      if (Math.abs(ds[t] - CUTOFF) < NEAR || ds[t] < 0.02 || (gap > 0 && gap < NEAR)) return true;
    }
  }
  return false;
}

function assertSameGraph(got: GraphBatch, want: GraphBatch, msg: string): void {
  assertEquals([...got.edgeOffsets], [...want.edgeOffsets], `${msg}: edges per receiver`);
  for (let i = 0; i + 1 < want.edgeOffsets.length; i++) {
    const [e0, e1] = [want.edgeOffsets[i], want.edgeOffsets[i + 1]];
    const edges = (g: GraphBatch) =>
      Array.from(
        { length: e1 - e0 },
        (_, t) => `${g.senders[e0 + t]}@${g.images.subarray(3 * (e0 + t), 3 * (e0 + t) + 3)}`,
      );
    assertEquals(edges(got), edges(want), `${msg}: receiver ${i} (sender@image, nearest first)`);
  }
  assertAllClose(got.distances, want.distances, { atol: TOL, rtol: 0 }, `${msg}: distances`);
  assertAllClose(got.vectors, want.vectors, { atol: TOL, rtol: 0 }, `${msg}: vectors`);
}

const batches = fc.array(arbitraryCrystal({ maxAtoms: 12, rotate: true, maxZ: 100 }), {
  minLength: 1,
  maxLength: 5,
});

for (const be of backends) {
  Deno.test(`decoderGraphOnDevice() on ${be.name} equals the wasm graph on random crystals`, async (t) => {
    for (const k of [12, 20]) {
      await t.step(`maxNeighbors ${k}`, async () => {
        await fc.assert(
          fc.asyncProperty(batches, async (crystals) => {
            const h = asF32(packHost(crystals));
            fc.pre(!nearTie(h, k));
            const got = await decoderGraphOnDevice(be, h, { cutoff: CUTOFF, maxNeighbors: k });
            assertSameGraph(got, wasmGraph(h, k), `${be.name} k=${k}`);
          }),
          { seed: PROPERTY_SEED, numRuns: be.name === "webgpu" ? 40 : 60 },
        );
      });
    }
  });
}

/** One crystal as a batch. */
const one = (lattice: number[], frac: number[]): HostCrystals =>
  packHost([{
    lattice: new Float64Array(lattice),
    frac: new Float64Array(frac),
    numbers: new Uint8Array(frac.length / 3).fill(6),
  }]);

/** Receiver i's edges as `sender@S`. */
const edgesOf = (g: GraphBatch, i: number) =>
  Array.from(
    { length: g.edgeOffsets[i + 1] - g.edgeOffsets[i] },
    (_, t) => {
      const e = g.edgeOffsets[i] + t;
      return `${g.senders[e]}@${g.images.subarray(3 * e, 3 * e + 3)}`;
    },
  );

Deno.test("decoderGraphOnDevice() applies the cap and the cutoff with the wasm tie-break", async (t) => {
  // One atom in a 3 Å cube: 6 images at 3 Å, 12 at √18, 8 at √27 (all exact in f32), every one a tie.
  const cube = one([3, 0, 0, 0, 3, 0, 0, 0, 3], [0, 0, 0]);
  const faces = ["0@-1,0,0", "0@0,-1,0", "0@0,0,-1", "0@0,0,1", "0@0,1,0", "0@1,0,0"];
  // Three atoms on a line in a long cell: receiver 0 sees atoms 1 and 2 at 2 Å, then at 6 Å.
  const line = one([8, 0, 0, 0, 20, 0, 0, 0, 20], [0, 0, 0, 0.25, 0, 0, 0.75, 0, 0]);
  for (const be of backends) {
    await t.step(be.name, async () => {
      const at = (h: HostCrystals, k: number, cutoff = CUTOFF) =>
        decoderGraphOnDevice(be, h, { cutoff, maxNeighbors: k });
      // Cap 12 cuts the 12 tied edge images: the lowest images (lexicographic) are kept.
      const g12 = await at(cube, 12);
      assertEquals(edgesOf(g12, 0), [
        ...faces,
        ...["0@-1,-1,0", "0@-1,0,-1", "0@-1,0,1", "0@-1,1,0", "0@0,-1,-1", "0@0,-1,1"],
      ]);
      assertSameGraph(g12, wasmGraph(cube, 12), "cube k=12");
      // Cap 20: all 18 within √18, then 2 of the 8 corners.
      const g20 = await at(cube, 20);
      assertEquals(edgesOf(g20, 0).slice(18), ["0@-1,-1,-1", "0@-1,-1,1"]);
      assertSameGraph(g20, wasmGraph(cube, 20), "cube k=20");
      // Cutoffs: 5 Å keeps 18 (cap not reached), 3 Å is inclusive, just below it keeps none.
      assertEquals(edgesOf(await at(cube, 20, 5), 0).length, 18);
      assertEquals(edgesOf(await at(cube, 20, 3), 0), faces);
      assertEquals(edgesOf(await at(cube, 20, 2.999), 0), []);
      // Ties between senders: lower sender first, also where the cap cuts the tie at 6 Å.
      const gl = await at(line, 3);
      assertEquals(edgesOf(gl, 0), ["1@0,0,0", "2@-1,0,0", "1@-1,0,0"]);
      assertSameGraph(gl, wasmGraph(line, 3), "line k=3");
      assertSameGraph(await at(line, 20), wasmGraph(line, 20), "line k=20");
    });
  }
});

Deno.test("decoderGraphOnDevice() refuses a cap above 32", async () => {
  const cube = one([3, 0, 0, 0, 3, 0, 0, 0, 3], [0, 0, 0]);
  let err: unknown;
  await decoderGraphOnDevice(backends[0], cube, { maxNeighbors: 33 }).catch((e) => err = e);
  assertEquals((err as Error).name, "RangeError");
});
