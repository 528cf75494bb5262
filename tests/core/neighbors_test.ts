import fc from "fast-check";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../_assert.ts";
import {
  arbitraryCrystal,
  arbitraryQuaternion,
  PROPERTY_SEED,
  rotationFromQuaternion,
} from "../_arbitrary.ts";
import type { Crystal } from "../../src/crystal/crystal.ts";
import { fracToCart, matmul3 } from "../../src/crystal/lattice.ts";
import {
  GeometryError,
  type NeighborList,
  neighborList,
  neighborListMany,
  type NeighborOptions,
} from "../../src/core/geometry.ts";
import { CDVAE_DECODER_GRAPH } from "../../src/model/config.ts";

/** Agreement asked of distances against pymatgen's (Å). */
const DIST_TOL = 1e-9;
/** Property-test cases per property (each builds several neighbour lists). */
const RUNS = 60;

interface DatasetFixture {
  cutoff: number;
  crystals: {
    name: string;
    lattice: number[];
    frac: number[];
    numbers: number[];
    r7: { count: number; sha256: string; perAtom: number[]; distSum: number[] };
    top20All: { count: number; sha256: string };
    top20Cdvae: { count: number; sha256: string };
  }[];
}

interface PathologicalFixture {
  cells: {
    name: string;
    lattice: number[];
    frac: number[];
    numbers: number[];
    lists: { cutoff: number; triples: number[]; distances: number[] }[];
  }[];
}

async function fixture<T>(name: string): Promise<T> {
  return JSON.parse(await Deno.readTextFile(new URL(`../fixtures/${name}.json`, import.meta.url)));
}

function crystal(c: { lattice: number[]; frac: number[]; numbers: number[] }): Crystal {
  return {
    lattice: new Float64Array(c.lattice),
    frac: new Float64Array(c.frac),
    numbers: new Uint8Array(c.numbers),
  };
}

/** Edges of atoms first..first+n as [i, j, s0, s1, s2, distance] with local indices, in list order. */
function edges(nl: NeighborList, first = 0, n = nl.offsets.length - 1): number[][] {
  const out: number[][] = [];
  for (let i = first; i < first + n; i++) {
    for (let e = nl.offsets[i]; e < nl.offsets[i + 1]; e++) {
      const s = nl.images.subarray(3 * e, 3 * e + 3);
      out.push([i - first, nl.senders[e] - first, s[0], s[1], s[2], nl.distances[e]]);
    }
  }
  return out;
}

function byTriple(a: number[], b: number[]): number {
  for (let k = 0; k < 5; k++) if (a[k] !== b[k]) return a[k] - b[k];
  return 0;
}

/** SHA-256 (hex) of lines "i j s0 s1 s2\n", the fixture's digest format. */
async function digest(rows: number[][]): Promise<string> {
  const text = rows.map((r) => `${r[0]} ${r[1]} ${r[2]} ${r[3]} ${r[4]}\n`).join("");
  const hash = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(hash), (b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("neighborListMany() matches pymatgen get_neighbor_list(7) on 340 dataset crystals", async (t) => {
  const fx = await fixture<DatasetFixture>("neighbors_datasets");
  assert(fx.crystals.length >= 300);
  const cs = fx.crystals.map(crystal);
  const nl = neighborListMany(cs, { cutoff: fx.cutoff });
  for (const [b, c] of fx.crystals.entries()) {
    await t.step(c.name, async () => {
      const first = nl.atomOffsets[b], n = c.numbers.length;
      const rows = edges(nl, first, n);
      assertEquals(rows.length, c.r7.count, "edge count");
      for (let i = 0; i < n; i++) {
        const mine = rows.filter((r) => r[0] === i);
        assertEquals(mine.length, c.r7.perAtom[i], `atom ${i} neighbour count`);
        const sum = mine.reduce((s, r) => s + r[5], 0);
        assertAlmostEquals(
          sum,
          c.r7.distSum[i],
          DIST_TOL * Math.max(1, mine.length),
          `atom ${i} distance sum`,
        );
      }
      assertEquals(await digest(rows.sort(byTriple)), c.r7.sha256, "sorted (i, j, image) triples");
    });
  }
});

Deno.test("neighborListMany() keeps the same 20 nearest, in order, as the fixture's tie rule", async (t) => {
  const fx = await fixture<DatasetFixture>("neighbors_datasets");
  const cs = fx.crystals.map(crystal);
  const all = neighborListMany(cs, { cutoff: 7, maxNeighbors: 20 });
  const ref = neighborListMany(cs, CDVAE_DECODER_GRAPH);
  for (const [b, c] of fx.crystals.entries()) {
    await t.step(c.name, async () => {
      const first = all.atomOffsets[b], n = c.numbers.length;
      const a = edges(all, first, n), r = edges(ref, first, n);
      assertEquals(a.length, c.top20All.count);
      assertEquals(await digest(a), c.top20All.sha256, "top 20 over all images");
      assertEquals(r.length, c.top20Cdvae.count);
      assertEquals(await digest(r), c.top20Cdvae.sha256, "top 20 over CDVAE's 27 images");
    });
  }
});

Deno.test("neighborList() matches pymatgen on pathological cells", async (t) => {
  const fx = await fixture<PathologicalFixture>("neighbors_pathological");
  for (const cell of fx.cells) {
    for (const list of cell.lists) {
      await t.step(`${cell.name}, r = ${list.cutoff} Å`, () => {
        const got = edges(neighborList(crystal(cell), { cutoff: list.cutoff })).sort(byTriple);
        const want: number[][] = [];
        for (let e = 0; e < list.distances.length; e++) {
          want.push([...list.triples.slice(5 * e, 5 * e + 5), list.distances[e]]);
        }
        want.sort(byTriple);
        assertEquals(got.map((r) => r.slice(0, 5)), want.map((r) => r.slice(0, 5)));
        for (let e = 0; e < got.length; e++) assertAlmostEquals(got[e][5], want[e][5], DIST_TOL);
      });
    }
  }
});

Deno.test("neighborList() vectors are x_j − x_i + S·L and match the distances", () => {
  const c: Crystal = {
    lattice: new Float64Array([3.1, 0.2, 0, -1.2, 2.9, 0.1, 0.4, 0.3, 4.2]),
    frac: new Float64Array([0.1, 0.2, 0.3, 1.7, -0.4, 0.55]),
    numbers: new Uint8Array([8, 14]),
  };
  const nl = neighborList(c, { cutoff: 6 });
  const cart = fracToCart(c.frac, c.lattice);
  for (const [i, j, s0, s1, s2, d] of edges(nl)) {
    const e = edges(nl).findIndex((r) =>
      r[0] === i && r[1] === j && r[2] === s0 && r[3] === s1 && r[4] === s2
    );
    for (let x = 0; x < 3; x++) {
      const want = cart[3 * j + x] - cart[3 * i + x] + s0 * c.lattice[x] + s1 * c.lattice[3 + x] +
        s2 * c.lattice[6 + x];
      assertAlmostEquals(nl.vectors[3 * e + x], want, 1e-12);
    }
    assertAlmostEquals(Math.hypot(...nl.vectors.subarray(3 * e, 3 * e + 3)), d, 1e-12);
  }
  const bare = neighborList(c, { cutoff: 6, vectors: false });
  assertEquals(bare.vectors.length, 0);
  assertEquals(bare.distances, nl.distances);
});

Deno.test("neighborList() with maxNeighbors breaks ties by sender, then image", () => {
  // Simple cubic 3 Å: 6 neighbours at 3 Å, then 12 at 3√2 Å; a cap of 8 keeps the first two of
  // the 12 in (sender, image) order.
  const c: Crystal = {
    lattice: new Float64Array([3, 0, 0, 0, 3, 0, 0, 0, 3]),
    frac: new Float64Array([0.1, 0.2, 0.3]),
    numbers: new Uint8Array([84]),
  };
  const rows = edges(neighborList(c, { cutoff: 7, maxNeighbors: 8 }));
  assertEquals(rows.map((r) => r.slice(2, 5)), [
    [-1, 0, 0],
    [0, -1, 0],
    [0, 0, -1],
    [0, 0, 1],
    [0, 1, 0],
    [1, 0, 0],
    [-1, -1, 0],
    [-1, 0, -1],
  ]);
  assertEquals(neighborList(c, { cutoff: 7, maxNeighbors: 0 }).senders.length, 0);
});

Deno.test("neighborList() with CDVAE's 27 images misses far images of thin cells and drops coincident atoms", () => {
  const thin: Crystal = {
    lattice: new Float64Array([1.5, 0, 0, 0, 8, 0, 0, 0, 8]),
    frac: new Float64Array([0, 0, 0, 0, 0, 0]),
    numbers: new Uint8Array([6, 6]),
  };
  const all = neighborList(thin, { cutoff: 4 });
  const ref = neighborList(thin, { cutoff: 4, images: "adjacent" });
  // All images: per atom 2 × (±1, ±2) along a for both atoms, plus the coincident partner.
  assertEquals([...all.offsets], [0, 9, 18]);
  // 27 images: only ±1 along a, coincident partner (d = 0) dropped.
  assertEquals([...ref.offsets], [0, 4, 8]);
});

function perAtomDistances(nl: NeighborList, n: number, first = 0): number[][] {
  const out: number[][] = [];
  for (let i = first; i < first + n; i++) {
    out.push([...nl.distances.subarray(nl.offsets[i], nl.offsets[i + 1])].sort());
  }
  return out;
}

function assertSameMultisets(a: number[][], b: number[][], msg: string): void {
  assertEquals(a.length, b.length, msg);
  for (let i = 0; i < a.length; i++) {
    assertEquals(a[i].length, b[i].length, `${msg}: atom ${i} count`);
    for (let k = 0; k < a[i].length; k++) assertAlmostEquals(a[i][k], b[i][k], 1e-9, `${msg}: atom ${i}`);
  }
}

/** Crystals for properties: 1–6 atoms, 2.5–7 Å cells, angles 60–120°, cutoffs 1–6 Å. */
const smallCrystal = arbitraryCrystal({ minAtoms: 1, maxAtoms: 6, minLength: 2.5, maxLength: 7, maxZ: 92 });
const cutoff = fc.double({ min: 1, max: 6, noNaN: true });

Deno.test("neighborList() distance multisets are invariant under atom permutation", () => {
  fc.assert(
    fc.property(smallCrystal, cutoff, fc.integer(), (c, r, seed) => {
      const n = c.numbers.length;
      const perm = [...Array(n).keys()].sort((a, b) => ((a * 7919 + seed) % 13) - ((b * 7919 + seed) % 13));
      const p: Crystal = {
        lattice: c.lattice,
        frac: new Float64Array(perm.flatMap((k) => [...c.frac.subarray(3 * k, 3 * k + 3)])),
        numbers: new Uint8Array(perm.map((k) => c.numbers[k])),
      };
      const base = perAtomDistances(neighborList(c, { cutoff: r }), n);
      const moved = perAtomDistances(neighborList(p, { cutoff: r }), n);
      assertSameMultisets(perm.map((k) => base[k]), moved, `permutation ${perm}`);
    }),
    { seed: PROPERTY_SEED, numRuns: RUNS },
  );
});

Deno.test("neighborList() distance multisets are invariant under translation", () => {
  const shift = fc.tuple(...[0, 1, 2].map(() => fc.double({ min: -3, max: 3, noNaN: true })));
  fc.assert(
    fc.property(smallCrystal, cutoff, shift, (c, r, t) => {
      const moved: Crystal = { ...c, frac: c.frac.map((x, k) => x + t[k % 3]) };
      const n = c.numbers.length;
      assertSameMultisets(
        perAtomDistances(neighborList(c, { cutoff: r }), n),
        perAtomDistances(neighborList(moved, { cutoff: r }), n),
        `shift ${t}`,
      );
    }),
    { seed: PROPERTY_SEED, numRuns: RUNS },
  );
});

Deno.test("neighborList() is equivariant under rotation: same triples, rotated vectors", () => {
  fc.assert(
    fc.property(smallCrystal, cutoff, arbitraryQuaternion, (c, r, q) => {
      const rot = rotationFromQuaternion(q);
      const turned: Crystal = { ...c, lattice: matmul3(c.lattice, rot) };
      const a = neighborList(c, { cutoff: r }), b = neighborList(turned, { cutoff: r });
      const key = (row: number[]) => row.slice(0, 5).join(" ");
      const ea = new Map(edges(a).map((row, e) => [key(row), e]));
      const eb = edges(b);
      assertEquals(eb.length, ea.size, `rotation ${q}`);
      for (const [e, row] of eb.entries()) {
        const k = ea.get(key(row));
        assert(k !== undefined, `edge ${key(row)} only after rotation ${q}`);
        assertAlmostEquals(b.distances[e], a.distances[k], 1e-9);
        const v = fracToCart(a.vectors.subarray(3 * k, 3 * k + 3), rot); // cart' = cart · R
        for (let x = 0; x < 3; x++) assertAlmostEquals(b.vectors[3 * e + x], v[x], 1e-9);
      }
    }),
    { seed: PROPERTY_SEED, numRuns: RUNS },
  );
});

Deno.test("neighborList() of an n1×n2×n3 supercell repeats each atom's distances exactly", () => {
  const reps = fc.tuple(
    fc.integer({ min: 1, max: 3 }),
    fc.integer({ min: 1, max: 3 }),
    fc.integer({ min: 1, max: 2 }),
  );
  fc.assert(
    fc.property(smallCrystal, cutoff, reps, (c, r, [n1, n2, n3]) => {
      const n = c.numbers.length;
      const frac: number[] = [], numbers: number[] = [];
      for (let a = 0; a < n1; a++) {
        for (let b = 0; b < n2; b++) {
          for (let d = 0; d < n3; d++) {
            for (let k = 0; k < n; k++) {
              frac.push((c.frac[3 * k] + a) / n1, (c.frac[3 * k + 1] + b) / n2, (c.frac[3 * k + 2] + d) / n3);
              numbers.push(c.numbers[k]);
            }
          }
        }
      }
      const scale = [n1, n2, n3];
      const big: Crystal = {
        lattice: c.lattice.map((x, k) => x * scale[Math.floor(k / 3)]),
        frac: new Float64Array(frac),
        numbers: new Uint8Array(numbers),
      };
      const base = perAtomDistances(neighborList(c, { cutoff: r }), n);
      const sup = perAtomDistances(neighborList(big, { cutoff: r }), numbers.length);
      assertSameMultisets(sup, sup.map((_, k) => base[k % n]), `supercell ${n1}×${n2}×${n3}`);
    }),
    { seed: PROPERTY_SEED, numRuns: 30 },
  );
});

Deno.test("neighborList() with maxNeighbors keeps a prefix of the sorted full list", () => {
  fc.assert(
    fc.property(smallCrystal, cutoff, fc.integer({ min: 0, max: 30 }), (c, r, k) => {
      const n = c.numbers.length;
      const full = perAtomDistances(neighborList(c, { cutoff: r }), n);
      const capped = neighborList(c, { cutoff: r, maxNeighbors: k });
      for (let i = 0; i < n; i++) {
        const got = [...capped.distances.subarray(capped.offsets[i], capped.offsets[i + 1])];
        assertEquals(got.length, Math.min(k, full[i].length));
        for (let e = 0; e < got.length; e++) {
          assertAlmostEquals(got[e], full[i][e], 1e-8, `atom ${i} rank ${e}`);
          if (e > 0) assert(got[e] >= got[e - 1] - 1e-8, "nearest first");
        }
      }
    }),
    { seed: PROPERTY_SEED, numRuns: RUNS },
  );
});

// --- Bad input: each failure has its own test -----------------------------------------------

const cubic: Crystal = {
  lattice: new Float64Array([3, 0, 0, 0, 3, 0, 0, 0, 3]),
  frac: new Float64Array([0, 0, 0]),
  numbers: new Uint8Array([26]),
};

function assertKind(fn: () => unknown, kind: string, text?: RegExp): void {
  const e = assertThrows(fn, GeometryError, text);
  assertEquals(e.kind, kind, e.message);
}

Deno.test("neighborList() rejects a singular lattice", () => {
  assertKind(
    () => neighborList({ ...cubic, lattice: new Float64Array(9) }, { cutoff: 5 }),
    "degenerate-lattice",
  );
});

Deno.test("neighborList() rejects a degenerate (coplanar) lattice", () => {
  const flat = new Float64Array([1, 0, 0, 0, 1, 0, 1, 1, 1e-12]);
  assertKind(() => neighborList({ ...cubic, lattice: flat }, { cutoff: 5 }), "degenerate-lattice");
});

Deno.test("neighborList() rejects NaN in the lattice", () => {
  const bad = new Float64Array([3, 0, 0, 0, NaN, 0, 0, 0, 3]);
  assertKind(() => neighborList({ ...cubic, lattice: bad }, { cutoff: 5 }), "non-finite");
});

Deno.test("neighborList() rejects Infinity in the coordinates", () => {
  assertKind(
    () => neighborList({ ...cubic, frac: new Float64Array([0, Infinity, 0]) }, { cutoff: 5 }),
    "non-finite",
    /fractional/,
  );
});

Deno.test("neighborList() rejects absurd coordinates", () => {
  assertKind(
    () => neighborList({ ...cubic, frac: new Float64Array([1e9, 0, 0]) }, { cutoff: 5 }),
    "too-large",
  );
});

Deno.test("neighborList() rejects a negative cutoff", () => {
  assertKind(() => neighborList(cubic, { cutoff: -1 }), "bad-parameter", /cutoff/);
});

Deno.test("neighborList() rejects a NaN cutoff", () => {
  assertKind(() => neighborList(cubic, { cutoff: NaN }), "bad-parameter", /cutoff/);
});

Deno.test("neighborList() rejects an absurd cutoff", () => {
  assertKind(() => neighborList(cubic, { cutoff: 1e9 }), "too-large", /cutoff/);
});

Deno.test("neighborList() rejects a crystal without atoms", () => {
  const empty = { ...cubic, frac: new Float64Array(0), numbers: new Uint8Array(0) };
  assertKind(() => neighborList(empty, { cutoff: 5 }), "no-atoms");
});

Deno.test("neighborList() rejects a frac array of the wrong length", () => {
  assertKind(() => neighborList({ ...cubic, frac: new Float64Array(4) }, { cutoff: 5 }), "bad-shape");
});

Deno.test("neighborList() rejects a non-integer maxNeighbors", () => {
  assertKind(() => neighborList(cubic, { cutoff: 5, maxNeighbors: 2.5 }), "bad-parameter", /maxNeighbors/);
});

Deno.test("neighborList() rejects an unknown image search", () => {
  const opts = { cutoff: 5, images: "some" } as unknown as NeighborOptions;
  assertKind(() => neighborList(cubic, opts), "bad-parameter", /images/);
});

Deno.test("neighborList() refuses a needle-thin cell quickly instead of hanging", () => {
  const needle = { ...cubic, lattice: new Float64Array([1e-4, 0, 0, 0, 1e-4, 0, 0, 0, 30]) };
  const t0 = performance.now();
  assertKind(() => neighborList(needle, { cutoff: 7 }), "too-large");
  assertKind(() => neighborList(needle, { cutoff: 7, maxNeighbors: 20 }), "too-large");
  assert(performance.now() - t0 < 2000, "refusal took too long");
  // The 27-image search is bounded by construction; its 26 images here lie within 0.01 Å and
  // count as coincident (d² ≤ 1e-4 Å²), so it returns nothing.
  assertEquals(neighborList(needle, { cutoff: 7, images: "adjacent" }).senders.length, 0);
});

Deno.test("neighborList() refuses more edges than maxEdges", () => {
  const tiny = { ...cubic, lattice: new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 1]) };
  assertKind(() => neighborList(tiny, { cutoff: 7, maxEdges: 1000 }), "too-large", /maxEdges/);
  assertEquals(neighborList(tiny, { cutoff: 7 }).senders.length, 1418);
});

Deno.test("neighborListMany() names the failing crystal", () => {
  const bad = { ...cubic, lattice: new Float64Array(9) };
  const e = assertThrows(
    () => neighborListMany([cubic, cubic, bad], { cutoff: 4 }),
    GeometryError,
    /crystal 2/,
  );
  assertEquals(e.index, 2);
});
