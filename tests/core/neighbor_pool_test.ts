import fc from "fast-check";
import { assert, assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import { arbitraryCrystal, PROPERTY_SEED } from "../_arbitrary.ts";
import type { Crystal } from "../../src/crystal/crystal.ts";
import {
  GeometryError,
  type NeighborListBatch,
  neighborListMany,
  type NeighborOptions,
} from "../../src/core/geometry.ts";
import { edgeCapacity, NeighborListPool } from "../../src/core/neighbor_pool.ts";
import { neighborArgs } from "../../src/core/_neighbors.ts";
import { CDVAE_DECODER_GRAPH } from "../../src/model/config.ts";

/** Property cases (each starts no workers: one pool serves them all). */
const RUNS = 40;

const fixtureCrystals: Crystal[] = JSON.parse(
  await Deno.readTextFile(new URL("../fixtures/neighbors_datasets.json", import.meta.url)),
).crystals.map((c: { lattice: number[]; frac: number[]; numbers: number[] }) => ({
  lattice: new Float64Array(c.lattice),
  frac: new Float64Array(c.frac),
  numbers: new Uint8Array(c.numbers),
}));

const cubic: Crystal = {
  lattice: new Float64Array([4, 0, 0, 0, 4, 0, 0, 0, 4]),
  frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0.5]),
  numbers: new Uint8Array([55, 17]),
};

const FIELDS = ["atomOffsets", "offsets", "senders", "images", "distances", "vectors"] as const;

/** Same length and the same value (bit for bit, −0 included) in every array. */
function assertSameList(got: NeighborListBatch, want: NeighborListBatch, msg = ""): void {
  for (const k of FIELDS) {
    assertEquals(got[k].length, want[k].length, `${msg} ${k} length`);
    const i = want[k].findIndex((v, i) => !Object.is(v, got[k][i]));
    assertEquals(i, -1, `${msg} ${k}[${i}]: ${got[k][i]} vs ${want[k][i]}`);
  }
}

/** The error the synchronous call throws for the same input. */
function syncError(crystals: Crystal[], opts: NeighborOptions): GeometryError {
  return assertThrows(() => neighborListMany(crystals, opts), GeometryError);
}

async function assertSameError(pool: NeighborListPool, crystals: Crystal[], opts: NeighborOptions) {
  const want = syncError(crystals, opts);
  const got = await assertRejects(() => pool.neighborListMany(crystals, opts), GeometryError);
  assertEquals([got.kind, got.index, got.message], [want.kind, want.index, want.message]);
}

Deno.test("NeighborListPool equals neighborListMany on the 340 fixture crystals", async (t) => {
  using pool = new NeighborListPool({ workers: 2 });
  const cases: [string, NeighborOptions][] = [
    ["7 Å, no vectors", { cutoff: 7, vectors: false }],
    ["7 Å, vectors", { cutoff: 7 }],
    ["20 nearest, all images", { cutoff: 7, maxNeighbors: 20 }],
    ["CDVAE decoder graph", CDVAE_DECODER_GRAPH],
  ];
  for (const [name, opts] of cases) {
    await t.step(name, async () => {
      const nl = await pool.neighborListMany(fixtureCrystals, opts);
      assert(nl.senders.buffer instanceof SharedArrayBuffer, "the batch ran on the workers");
      assertSameList(nl, neighborListMany(fixtureCrystals, opts), name);
    });
  }
});

Deno.test("NeighborListPool equals neighborListMany on random batches split across workers", async () => {
  using pool = new NeighborListPool({ workers: 3, minParallelWork: 0 });
  const crystal = arbitraryCrystal({ minAtoms: 1, maxAtoms: 6, minLength: 2.5, maxLength: 7, maxZ: 92 });
  const opts = fc.record({
    cutoff: fc.double({ min: 1, max: 6, noNaN: true }),
    vectors: fc.boolean(),
    images: fc.constantFrom("all" as const, "adjacent" as const),
    maxNeighbors: fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }),
  });
  await fc.assert(
    fc.asyncProperty(fc.array(crystal, { minLength: 2, maxLength: 12 }), opts, async (cs, o) => {
      assertSameList(await pool.neighborListMany(cs, o), neighborListMany(cs, o));
    }),
    { seed: PROPERTY_SEED, numRuns: RUNS },
  );
});

Deno.test("NeighborListPool serves concurrent calls", async () => {
  using pool = new NeighborListPool({ workers: 2, minParallelWork: 0 });
  const a = fixtureCrystals.slice(0, 100), b = fixtureCrystals.slice(100);
  const [x, y] = await Promise.all([
    pool.neighborListMany(a, { cutoff: 6 }),
    pool.neighborListMany(b, { cutoff: 5, vectors: false }),
  ]);
  assertSameList(x, neighborListMany(a, { cutoff: 6 }));
  assertSameList(y, neighborListMany(b, { cutoff: 5, vectors: false }));
});

Deno.test("NeighborListPool: a result handed back as reuse holds the next one, exactly", async (t) => {
  using pool = new NeighborListPool({ workers: 2 });
  const noVectors: NeighborOptions = { cutoff: 7, vectors: false };
  const first = await pool.neighborListMany(fixtureCrystals, noVectors);
  await t.step("same batch: same memory, same list", async () => {
    const second = await pool.neighborListMany(fixtureCrystals, noVectors, { reuse: first });
    assert(second.senders.buffer === first.senders.buffer, "the memory is reused");
    assertSameList(second, neighborListMany(fixtureCrystals, noVectors));
    // A smaller batch (other offsets) with vectors: the edge arrays have room, vectors do not.
    const half = fixtureCrystals.slice(0, 170);
    const third = await pool.neighborListMany(half, { cutoff: 7 }, { reuse: second });
    assertSameList(third, neighborListMany(half, { cutoff: 7 }));
    assert(third.senders.buffer !== second.senders.buffer, "no room for vectors: fresh memory");
    const fourth = await pool.neighborListMany(half, noVectors, { reuse: third });
    assert(fourth.senders.buffer === third.senders.buffer);
    assertSameList(fourth, neighborListMany(half, noVectors));
  });
  await t.step("another pool's result is reused too; a synchronous one is left alone", async () => {
    const want = neighborListMany(fixtureCrystals, noVectors);
    using other = new NeighborListPool({ workers: 2 });
    const foreign = await other.neighborListMany(fixtureCrystals, noVectors);
    const got = await pool.neighborListMany(fixtureCrystals, noVectors, { reuse: foreign });
    assert(got.senders.buffer === foreign.senders.buffer);
    assertSameList(got, want);
    const sync = neighborListMany(fixtureCrystals, noVectors);
    const again = await pool.neighborListMany(fixtureCrystals, noVectors, { reuse: sync });
    assert(again.senders.buffer !== sync.senders.buffer);
    assertSameList(sync, want);
    // Shared memory that holds something else before the array: not taken either.
    const shared = new Uint32Array(new SharedArrayBuffer(4 * (again.senders.length + 2))).fill(7);
    const offset = { ...again, senders: shared.subarray(2) };
    const third = await pool.neighborListMany(fixtureCrystals, noVectors, { reuse: offset });
    assert(third.senders.buffer !== shared.buffer && shared.every((x) => x === 7));
  });
});

Deno.test("NeighborListPool: batches with more edges than estimated still come out exact", async (t) => {
  using pool = new NeighborListPool({ workers: 2, minParallelWork: 0 });
  // Eight atoms within 1 Å in a 5 Å cell: 56 edges at 1.5 Å where the density estimate gives ~7,
  // so the arrays allocated from the estimate are too short and the pool must grow them.
  const cluster: Crystal = {
    lattice: new Float64Array([5, 0, 0, 0, 5, 0, 0, 0, 5]),
    frac: new Float64Array(Array.from({ length: 24 }, (_, k) => 0.5 + 0.04 * Math.sin(3 * k + 1))),
    numbers: new Uint8Array(8).fill(6),
  };
  const opts = { cutoff: 1.5 };
  const cases: [string, Crystal[]][] = [
    ["the first part fits, the second does not", [
      ...fixtureCrystals.slice(0, 40),
      ...Array(40).fill(cluster),
    ]],
    ["no part fits", Array(80).fill(cluster)],
  ];
  for (const [name, crystals] of cases) {
    await t.step(name, async () => {
      const want = neighborListMany(crystals, opts);
      assert(want.senders.length > edgeCapacity(crystals, neighborArgs(opts)), "the estimate falls short");
      const got = await pool.neighborListMany(crystals, opts);
      assert(got.senders.buffer instanceof SharedArrayBuffer, "the batch ran on the workers");
      assertSameList(got, want, name);
    });
  }
});

Deno.test("NeighborListPool runs small batches on the calling thread", async () => {
  using pool = new NeighborListPool({ workers: 2 });
  const nl = await pool.neighborListMany([cubic, cubic], { cutoff: 5 });
  assert(!(nl.senders.buffer instanceof SharedArrayBuffer));
  assertSameList(nl, neighborListMany([cubic, cubic], { cutoff: 5 }));
});

Deno.test("NeighborListPool rejects with the synchronous call's GeometryError", async (t) => {
  using pool = new NeighborListPool({ workers: 2, minParallelWork: 0 });
  const many = fixtureCrystals.slice(0, 40);
  const bad = { ...cubic, lattice: new Float64Array(9) };
  const needle = { ...cubic, lattice: new Float64Array([1e-4, 0, 0, 0, 1e-4, 0, 0, 0, 30]) };
  await t.step(
    "degenerate lattice in the second part",
    () => assertSameError(pool, [...many, bad], { cutoff: 7 }),
  );
  await t.step(
    "failures in both parts: the first one",
    () => assertSameError(pool, [...many.slice(0, 5), needle, ...many.slice(5), bad], { cutoff: 7 }),
  );
  await t.step("maxEdges crossed only by the whole batch", async () => {
    const edges = neighborListMany(many, { cutoff: 7 }).senders.length;
    await assertSameError(pool, many, { cutoff: 7, maxEdges: edges - 1 });
    assertEquals((await pool.neighborListMany(many, { cutoff: 7, maxEdges: edges })).senders.length, edges);
  });
  await t.step("bad options", () => assertSameError(pool, many, { cutoff: 7, maxNeighbors: -1 }));
  await t.step(
    "bad shape",
    () => assertSameError(pool, [...many, { ...cubic, frac: new Float64Array(5) }], { cutoff: 7 }),
  );
  await t.step("the pool still works afterwards", async () => {
    assertSameList(await pool.neighborListMany(many, { cutoff: 7 }), neighborListMany(many, { cutoff: 7 }));
  });
});

Deno.test("NeighborListPool refuses calls once closed and checks its worker count", async () => {
  const pool = new NeighborListPool({ workers: 2, minParallelWork: 0 });
  await pool.neighborListMany(fixtureCrystals.slice(0, 10), { cutoff: 5 });
  pool.close();
  pool.close();
  await assertRejects(() => pool.neighborListMany(fixtureCrystals, { cutoff: 5 }), Error, /closed/);
  assertThrows(() => new NeighborListPool({ workers: 0 }), RangeError);
  assertThrows(() => new NeighborListPool({ workers: 1.5 }), RangeError);
});

Deno.test("NeighborListPool: closing during a call rejects it", async () => {
  const pool = new NeighborListPool({ workers: 2, minParallelWork: 0 });
  const call = pool.neighborListMany(fixtureCrystals, { cutoff: 7 });
  const gone = pool.close();
  await assertRejects(() => call, Error, /closed/);
  await gone;
});
