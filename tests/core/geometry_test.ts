import fc from "fast-check";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../_assert.ts";
import { arbitraryCrystal, PROPERTY_SEED } from "../_arbitrary.ts";
import type { Crystal } from "../../src/crystal/crystal.ts";
import { fracToCart } from "../../src/crystal/lattice.ts";
import {
  atomicMasses,
  cellVolume,
  cellVolumeMany,
  density,
  densityMany,
  GeometryError,
  minDistance,
  minDistanceMany,
  minImageDisplacement,
  minImageDisplacementMany,
} from "../../src/core/geometry.ts";

interface Cell {
  name: string;
  lattice: number[];
  frac: number[];
  numbers: number[];
  volume: number;
  density: number;
  r7?: { minDistance: number | null; minDistanceDistinct: number | null };
}

async function cells(name: string): Promise<Cell[]> {
  const fx = JSON.parse(await Deno.readTextFile(new URL(`../fixtures/${name}.json`, import.meta.url)));
  return fx.crystals ?? fx.cells;
}

function crystal(c: Cell): Crystal {
  return {
    lattice: new Float64Array(c.lattice),
    frac: new Float64Array(c.frac),
    numbers: new Uint8Array(c.numbers),
  };
}

const cubic: Crystal = {
  lattice: new Float64Array([3, 0, 0, 0, 3, 0, 0, 0, 3]),
  frac: new Float64Array([0.1, 0.2, 0.3]),
  numbers: new Uint8Array([26]),
};

function assertKind(fn: () => unknown, kind: string, text?: RegExp): void {
  const e = assertThrows(fn, GeometryError, text);
  assertEquals(e.kind, kind, e.message);
}

Deno.test("cellVolumeMany() and densityMany() equal pymatgen's Structure.volume and .density", async () => {
  for (const name of ["neighbors_datasets", "neighbors_pathological"]) {
    const fx = await cells(name);
    const cs = fx.map(crystal);
    const vols = cellVolumeMany(cs), dens = densityMany(cs);
    for (const [k, c] of fx.entries()) {
      assertAlmostEquals(vols[k], c.volume, 1e-10 * c.volume, `${c.name} volume`);
      assertAlmostEquals(dens[k], c.density, 1e-12 * c.density, `${c.name} density`);
    }
    assertAlmostEquals(cellVolume(cs[0]), fx[0].volume, 1e-10 * fx[0].volume);
    assertAlmostEquals(density(cs[0]), fx[0].density, 1e-12 * fx[0].density);
  }
});

Deno.test("atomicMasses() holds pymatgen's 118 masses", () => {
  const m = atomicMasses();
  assertEquals(m.length, 118);
  assertEquals([m[0], m[5], m[25], m[117]], [1.00794, 12.0107, 55.845, 294]);
  assert(m.every((x) => x > 0));
});

Deno.test("minDistanceMany() equals the shortest pymatgen 7 Å edge", async () => {
  const fx = await cells("neighbors_datasets");
  const cs = fx.map(crystal);
  const withSelf = minDistanceMany(cs), distinct = minDistanceMany(cs, { selfImages: false });
  for (const [k, c] of fx.entries()) {
    const want = c.r7!.minDistance, wantDistinct = c.r7!.minDistanceDistinct;
    if (want === null) assert(withSelf[k] > 7, c.name);
    else assertAlmostEquals(withSelf[k], want, 1e-9, c.name);
    if (wantDistinct === null) assert(distinct[k] > 7, c.name);
    else assertAlmostEquals(distinct[k], wantDistinct, 1e-9, c.name);
  }
});

Deno.test("minDistance() counts self-images only when asked", () => {
  assertEquals(minDistance(cubic), 3);
  assertEquals(minDistance(cubic, { selfImages: false }), Infinity);
  // A skewed 1-atom cell: the shortest lattice vector is b − 10a, not a row of the matrix.
  const skew = { ...cubic, lattice: new Float64Array([1, 0, 0, 10.3, 0.2, 0, 0, 0, 5]) };
  assertAlmostEquals(minDistance(skew), Math.hypot(0.3, 0.2), 1e-12);
});

/** Brute-force minimum image over a box of ±m images (exact when m covers the cell). */
function bruteMinImage(a: ArrayLike<number>, b: ArrayLike<number>, l: Float64Array, m: number): number[] {
  let best = [0, 0, 0], bestD = Infinity;
  for (let s0 = -m; s0 <= m; s0++) {
    for (let s1 = -m; s1 <= m; s1++) {
      for (let s2 = -m; s2 <= m; s2++) {
        const f = [b[0] + s0 - a[0], b[1] + s1 - a[1], b[2] + s2 - a[2]];
        const v = fracToCart(f, l);
        const d = Math.hypot(v[0], v[1], v[2]);
        if (d < bestD) [bestD, best] = [d, [...v]];
      }
    }
  }
  return best;
}

Deno.test("minImageDisplacement() 'all' equals a brute-force search and 'cdvae' the 27-image one", () => {
  const skewed = arbitraryCrystal({
    minAtoms: 1,
    maxAtoms: 4,
    minLength: 2,
    maxLength: 9,
    minAngle: 35,
    maxAngle: 145,
  });
  const coords = fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 12, maxLength: 12 });
  fc.assert(
    fc.property(skewed, coords, (c, shift) => {
      const n = c.numbers.length;
      const fracB = c.frac.map((x, k) => x + shift[k]);
      const all = minImageDisplacement(c.frac, fracB, c.lattice, { images: "all" });
      const ref = minImageDisplacement(c.frac, fracB, c.lattice);
      for (let i = 0; i < n; i++) {
        const [a, b] = [c.frac.subarray(3 * i, 3 * i + 3), fracB.subarray(3 * i, 3 * i + 3)];
        const exact = bruteMinImage(a, b, c.lattice, 8);
        const d = Math.hypot(all[3 * i], all[3 * i + 1], all[3 * i + 2]);
        assertAlmostEquals(d, Math.hypot(...exact), 1e-9, `atom ${i} exact length`);
        // The 27-image vector: brute force over ±1 images of the coordinates as given.
        const r27 = bruteMinImage(a, b, c.lattice, 1);
        for (let x = 0; x < 3; x++) assertAlmostEquals(ref[3 * i + x], r27[x], 1e-9, `atom ${i} 27-image`);
        assert(d <= Math.hypot(ref[3 * i], ref[3 * i + 1], ref[3 * i + 2]) + 1e-12);
      }
    }),
    { seed: PROPERTY_SEED, numRuns: 100 },
  );
});

Deno.test("minImageDisplacement() points from A to the nearest image of B (d_min = f(noisy, true))", () => {
  const l = new Float64Array([5, 0, 0, 0, 5, 0, 0, 0, 5]);
  const noisy = new Float64Array([0.95, 0.5, 0.02]);
  const truth = new Float64Array([0.05, 0.5, 0.98]);
  const d = minImageDisplacement(noisy, truth, l);
  // truth − noisy, wrapped: +0.1 along a (across the boundary), −0.04 along c.
  assertAlmostEquals(d[0], 0.5, 1e-12);
  assertEquals(d[1], 0);
  assertAlmostEquals(d[2], -0.2, 1e-12);
});

Deno.test("minImageDisplacementMany() handles a batch with one lattice per crystal", () => {
  const la = [2, 0, 0, 0, 2, 0, 0, 0, 2], lb = [3, 0, 0, 0, 3, 0, 0, 0, 3];
  const d = minImageDisplacementMany(
    new Float64Array([...la, ...lb]),
    new Float64Array([0, 0, 0, 0.1, 0, 0, 0, 0, 0]),
    new Float64Array([0.9, 0, 0, 0.2, 0, 0, 0.6, 0, 0]),
    new Uint32Array([0, 2, 3]),
  );
  [-0.2, 0, 0, 0.2, 0, 0, -1.2, 0, 0].forEach((x, k) => assertAlmostEquals(d[k], x, 1e-12));
});

// --- Bad input: each failure has its own test -----------------------------------------------

Deno.test("cellVolume() rejects a singular lattice", () => {
  assertKind(() => cellVolume({ lattice: new Float64Array(9) }), "degenerate-lattice");
});

Deno.test("cellVolume() rejects a lattice of the wrong length", () => {
  assertKind(() => cellVolume({ lattice: new Float64Array(8) }), "bad-shape");
});

Deno.test("cellVolume() rejects NaN", () => {
  assertKind(() => cellVolume({ lattice: new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, NaN]) }), "non-finite");
});

Deno.test("density() rejects an atomic number outside 1–118", () => {
  assertKind(() => density({ ...cubic, numbers: new Uint8Array([119]) }), "bad-parameter", /atomic number/);
  assertKind(() => density({ ...cubic, numbers: new Uint8Array([0]) }), "bad-parameter", /atomic number/);
});

Deno.test("density() rejects a crystal without atoms", () => {
  assertKind(() => density({ ...cubic, frac: new Float64Array(0), numbers: new Uint8Array(0) }), "no-atoms");
});

Deno.test("minDistance() rejects a degenerate lattice", () => {
  const flat = new Float64Array([1, 0, 0, 2, 0, 0, 0, 0, 1]);
  assertKind(() => minDistance({ ...cubic, lattice: flat }), "degenerate-lattice");
});

Deno.test("minDistance() rejects a crystal without atoms", () => {
  assertKind(
    () => minDistance({ ...cubic, frac: new Float64Array(0), numbers: new Uint8Array(0) }),
    "no-atoms",
  );
});

Deno.test("minDistance() rejects NaN coordinates", () => {
  assertKind(() => minDistance({ ...cubic, frac: new Float64Array([NaN, 0, 0]) }), "non-finite");
});

Deno.test("minImageDisplacement() rejects coordinate sets of different lengths", () => {
  assertKind(
    () => minImageDisplacement(new Float64Array(3), new Float64Array(6), cubic.lattice),
    "bad-shape",
  );
});

Deno.test("minImageDisplacement() rejects NaN in the second set", () => {
  assertKind(
    () => minImageDisplacement(new Float64Array(3), new Float64Array([0, NaN, 0]), cubic.lattice),
    "non-finite",
  );
});

Deno.test("minImageDisplacement() rejects a singular lattice", () => {
  assertKind(
    () => minImageDisplacement(new Float64Array(3), new Float64Array(3), new Float64Array(9)),
    "degenerate-lattice",
  );
});
