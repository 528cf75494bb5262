import fc from "fast-check";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../_assert.ts";
import {
  arbitraryCrystal,
  arbitraryLattice,
  arbitraryRotation,
  PROPERTY_RUNS,
  PROPERTY_SEED,
} from "../_arbitrary.ts";
import type { Crystal } from "../../src/crystal/crystal.ts";
import {
  det3,
  fracToCart,
  inverse3,
  latticeFromParameters,
  type LatticeParameters,
  latticeParameters,
  matmul3,
} from "../../src/crystal/lattice.ts";
import {
  GeometryError,
  isNiggliReduced,
  latticeParametersMany,
  niggliReduce,
  niggliReduceLatticeMany,
  niggliReduceMany,
} from "../../src/core/lattice.ts";
import { type DatasetEntry, type DatasetName, readDatasetCsv, splitPath } from "../../src/data/datasets.ts";
import { dataDirFor, SLICES_DIR } from "../_datasets.ts";

/** Agreement asked of spglib's Niggli cells. */
const LENGTH_TOL = 1e-5; // Å
const ANGLE_TOL = 1e-4; // degrees
const DATASETS: DatasetName[] = ["perov_5", "carbon_24", "mp_20"];

type Transform = number[] | 0;
type FixtureRow = [string, number, number, number, number, number, number, Transform, Transform | null];
interface NiggliFixture {
  dataset: string;
  splits: Record<string, number>;
  missing: string[];
  pymatgen_differs: number;
  tools: Record<string, string>;
  rows: FixtureRow[];
}

async function loadFixture(name: DatasetName): Promise<NiggliFixture> {
  const url = new URL(`../fixtures/niggli_${name}.json`, import.meta.url);
  return JSON.parse(await Deno.readTextFile(url));
}

function paramsArray(p: LatticeParameters): number[] {
  return [p.a, p.b, p.c, p.alpha, p.beta, p.gamma];
}

/** Parameters of T · L (T flat 9 ints, 0 = identity). */
function paramsAfter(t: Transform, l: Float64Array): number[] {
  return paramsArray(latticeParameters(t === 0 ? l : matmul3(t, l)));
}

/** The first parameter out of tolerance, or undefined. */
function paramsDiffer(p: ArrayLike<number>, q: ArrayLike<number>): string | undefined {
  for (let k = 0; k < 6; k++) {
    if (!(Math.abs(p[k] - q[k]) <= (k < 3 ? LENGTH_TOL : ANGLE_TOL))) {
      return `${"a b c α β γ".split(" ")[k]}: ${p[k]} vs ${q[k]}`;
    }
  }
  return undefined;
}

/**
 * The Niggli conditions (International Tables A §9.2), written independently of the Rust code, with
 * ε = eps · V^(1/3) as in the reduction.
 */
function niggliViolation(l: ArrayLike<number>, eps = 1e-5): string | undefined {
  const dot = (i: number, j: number) =>
    l[3 * i] * l[3 * j] + l[3 * i + 1] * l[3 * j + 1] + l[3 * i + 2] * l[3 * j + 2];
  const e = eps * Math.cbrt(Math.abs(det3(l)));
  const [A, B, C, xi, eta, zeta] = [
    dot(0, 0),
    dot(1, 1),
    dot(2, 2),
    2 * dot(1, 2),
    2 * dot(0, 2),
    2 * dot(0, 1),
  ];
  const eq = (x: number, y: number) => Math.abs(x - y) <= e;
  if (A > B + e || B > C + e) return "A ≤ B ≤ C";
  if (Math.abs(xi) > B + e || Math.abs(eta) > A + e || Math.abs(zeta) > A + e) {
    return "|ξ| ≤ B, |η| ≤ A, |ζ| ≤ A";
  }
  const positive = xi > e && eta > e && zeta > e;
  if (!positive && !(xi <= e && eta <= e && zeta <= e)) return "ξ, η, ζ all > 0 or all ≤ 0";
  if (eq(A, B) && Math.abs(xi) > Math.abs(eta) + e) return "A = B ⇒ |ξ| ≤ |η|";
  if (eq(B, C) && Math.abs(eta) > Math.abs(zeta) + e) return "B = C ⇒ |η| ≤ |ζ|";
  if (positive) {
    if (eq(xi, B) && zeta > 2 * eta + e) return "ξ = B ⇒ ζ ≤ 2η";
    if (eq(eta, A) && zeta > 2 * xi + e) return "η = A ⇒ ζ ≤ 2ξ";
    if (eq(zeta, A) && eta > 2 * xi + e) return "ζ = A ⇒ η ≤ 2ξ";
  } else {
    if (eq(xi, -B) && Math.abs(zeta) > e) return "ξ = −B ⇒ ζ = 0";
    if (eq(eta, -A) && Math.abs(zeta) > e) return "η = −A ⇒ ζ = 0";
    if (eq(zeta, -A) && Math.abs(eta) > e) return "ζ = −A ⇒ η = 0";
    const s = xi + eta + zeta + A + B;
    if (s < -e) return "ξ + η + ζ + A + B ≥ 0";
    if (eq(s, 0) && 2 * (A + eta) + zeta > e) return "ξ+η+ζ+A+B = 0 ⇒ 2(A+η)+ζ ≤ 0";
  }
  return undefined;
}

/** Asserts det T = +1 and T · input = reduced. */
function assertTransform(
  input: ArrayLike<number>,
  reduced: ArrayLike<number>,
  t: Int32Array,
  msg: string,
): void {
  assertEquals(det3(t), 1, `${msg}: det T`);
  const again = matmul3(t, input);
  for (let k = 0; k < 9; k++) {
    assertAlmostEquals(again[k], reduced[k], 1e-9 * (1 + Math.abs(reduced[k])), `${msg}: T·L[${k}]`);
  }
}

Deno.test("niggliReduceLatticeMany() agrees with spglib on every fixture crystal", async (t) => {
  let checked = 0;
  for (const name of DATASETS) {
    const fx = await loadFixture(name);
    await t.step(`${name} (${fx.rows.length} crystals, splits ${JSON.stringify(fx.splits)})`, () => {
      assertEquals(fx.rows.length, Object.values(fx.splits).reduce((s, n) => s + n, 0));
      const inputs = fx.rows.map(([, a, b, c, alpha, beta, gamma]) =>
        latticeFromParameters({ a, b, c, alpha, beta, gamma })
      );
      const flat = new Float64Array(9 * inputs.length);
      inputs.forEach((l, i) => flat.set(l, 9 * i));
      const { lattices, transforms } = niggliReduceLatticeMany(flat);
      const ours = latticeParametersMany(lattices);
      const failures: string[] = [];
      let pymatgenImproper = 0;
      fx.rows.forEach(([id, , , , , , , tSpglib, tPymatgen], i) => {
        const reduced = lattices.subarray(9 * i, 9 * i + 9);
        const diff = paramsDiffer(ours.subarray(6 * i, 6 * i + 6), paramsAfter(tSpglib, inputs[i]));
        if (diff) failures.push(`${id}: ${diff}`);
        const violation = niggliViolation(reduced);
        if (violation) failures.push(`${id}: our cell violates ${violation}`);
        assertTransform(inputs[i], reduced, transforms.subarray(9 * i, 9 * i + 9), id);
        if (tPymatgen !== null) {
          // pymatgen's cell differs from spglib's here; it should not be a proper Niggli cell.
          const pmg = tPymatgen === 0 ? inputs[i] : matmul3(tPymatgen, inputs[i]);
          if (niggliViolation(pmg)) pymatgenImproper++;
        }
      });
      const n = fx.rows.length;
      console.log(
        `  ${name}: ${n} crystals agree with spglib ${fx.tools.spglib}; pymatgen's cell differs on ` +
          `${fx.pymatgen_differs} (${(100 * fx.pymatgen_differs / n).toFixed(1)} %), of which ` +
          `${pymatgenImproper} violate the Niggli conditions` +
          (fx.missing.length ? `; CSVs missing when the fixture was made: ${fx.missing.join(", ")}` : ""),
      );
      assertEquals(failures.slice(0, 10), [], `${failures.length} of ${n} crystals failed`);
      checked += n;
    });
  }
  assert(checked > 40_000, `only ${checked} fixture crystals were checked`);
});

Deno.test("niggliReduce() of dataset structures keeps atoms in place and matches the lattice reduction", async (t) => {
  for (const name of DATASETS) {
    // The full test split when it is here, else its committed slice.
    const dir = await dataDirFor(name, "test");
    await t.step(
      `${name} test split (first 1000 rows of ${dir === SLICES_DIR ? "the slice" : dir})`,
      async () => {
        const entries: DatasetEntry[] = [];
        for await (const e of readDatasetCsv(splitPath(name, "test", dir), { limit: 1000 })) entries.push(e);
        assert(entries.length >= 100, `only ${entries.length} rows`);
        const crystals = entries.map((e) => e.crystal);
        const results = niggliReduceMany(crystals);
        const flat = new Float64Array(9 * crystals.length);
        crystals.forEach((c, i) => flat.set(c.lattice, 9 * i));
        const latticesOnly = niggliReduceLatticeMany(flat);
        results.forEach((r, i) => {
          const id = entries[i].id;
          assertEquals([...r.transform], [...latticesOnly.transforms.subarray(9 * i, 9 * i + 9)], id);
          assertSameSites(crystals[i], r.crystal, id);
          assert(niggliViolation(r.crystal.lattice) === undefined, `${id} is not Niggli-reduced`);
        });
      },
    );
  }
});

/** Asserts `reduced` has the atoms of `c` at the same Cartesian positions (modulo its lattice). */
function assertSameSites(c: Crystal, reduced: Crystal, msg: string): void {
  assertEquals(reduced.numbers, c.numbers, msg);
  const cart = fracToCart(c.frac, c.lattice);
  const inv = inverse3(reduced.lattice);
  const back = fracToCart(cart, inv);
  for (let k = 0; k < back.length; k++) {
    const f = reduced.frac[k];
    assert(f >= 0 && f < 1, `${msg}: frac[${k}] = ${f} not in [0, 1)`);
    const d = back[k] - f;
    assert(
      Math.abs(d - Math.round(d)) < 1e-8,
      `${msg}: atom ${Math.floor(k / 3)} moved (${back[k]} vs ${f})`,
    );
  }
}

/** Random unimodular integer matrices (det ±1): products of shears, swaps and sign flips. */
const arbitraryUnimodular = fc.array(
  fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: -3, max: 3 })),
  { minLength: 1, maxLength: 8 },
).map((ops) => {
  let t: Float64Array = new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  for (const [i, j, k] of ops) {
    const m = new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    const next = (i + 1) % 3;
    if (i !== j) {
      m[3 * i + j] = k; // shear: row i += k · row j
    } else if (k >= 0) {
      m[3 * i + i] = m[3 * next + next] = 0; // swap rows i and i + 1 (det −1)
      m[3 * i + next] = m[3 * next + i] = 1;
    } else {
      m[3 * i + i] = -1; // flip the sign of row i (det −1)
    }
    t = matmul3(m, t);
  }
  return t;
});

Deno.test("niggliReduce() parameters are invariant under unimodular basis changes and rotations", async (t) => {
  const check = (l: Float64Array, u: Float64Array, r: Float64Array) => {
    const changed = matmul3(matmul3(u, l), r);
    const [a, b] = [niggliReduceLatticeMany(l), niggliReduceLatticeMany(changed)];
    assertTransform(changed, b.lattices, b.transforms, "changed basis");
    assert(isNiggliReduced(b.lattices), "result is not Niggli-reduced");
    const diff = paramsDiffer(
      paramsArray(latticeParameters(a.lattices)),
      paramsArray(latticeParameters(b.lattices)),
    );
    assertEquals(diff, undefined, `U = [${u}], R = [${r}]`);
  };
  await t.step("random lattices", () => {
    fc.assert(fc.property(arbitraryLattice(), arbitraryUnimodular, arbitraryRotation, check), {
      seed: PROPERTY_SEED,
      numRuns: PROPERTY_RUNS,
    });
  });
  await t.step("fixture lattices (ties: cubic perovskites, hexagonal and 60° cells)", async () => {
    const rows = (await Promise.all(DATASETS.map(loadFixture))).flatMap((f) => f.rows.slice(0, 300));
    const lattices = rows.map(([, a, b, c, alpha, beta, gamma]) =>
      latticeFromParameters({ a, b, c, alpha, beta, gamma })
    );
    fc.assert(
      fc.property(fc.constantFrom(...lattices), arbitraryUnimodular, arbitraryRotation, check),
      { seed: PROPERTY_SEED, numRuns: 4 * PROPERTY_RUNS },
    );
  });
});

Deno.test("niggliReduce() keeps Cartesian positions, wraps coordinates and copies atoms and metadata", () => {
  fc.assert(
    fc.property(arbitraryCrystal({ rotate: true, props: true, name: true }), arbitraryUnimodular, (c, u) => {
      const skewed = { ...c, lattice: matmul3(u, c.lattice), frac: fracToCart(c.frac, inverse3(u)) };
      const { crystal, transform } = niggliReduce(skewed);
      assertTransform(skewed.lattice, crystal.lattice, transform, "structure");
      assertSameSites(skewed, crystal, "structure");
      assertEquals(crystal.props, c.props);
      assertEquals(crystal.name, c.name);
    }),
    { seed: PROPERTY_SEED, numRuns: PROPERTY_RUNS },
  );
});

Deno.test("niggliReduce() of a reduced cell changes nothing but may re-pick equivalent axes", () => {
  fc.assert(
    fc.property(arbitraryLattice(), (l) => {
      const once = niggliReduceLatticeMany(l).lattices;
      const twice = niggliReduceLatticeMany(once).lattices;
      assertEquals(
        paramsDiffer(paramsArray(latticeParameters(once)), paramsArray(latticeParameters(twice))),
        undefined,
      );
    }),
    { seed: PROPERTY_SEED, numRuns: PROPERTY_RUNS },
  );
});

Deno.test("niggliReduce() reproduces Křivý & Gruber's worked example", () => {
  // Acta Cryst. (1976) A32, 297: (A, B, C, ξ, η, ζ) = (9, 27, 4, −5, −4, −22) → (4, 9, 9, 9, 3, 4).
  const [A, B, C, xi, eta, zeta] = [9, 27, 4, -5, -4, -22];
  const ax = Math.sqrt(A), bx = zeta / 2 / ax, by = Math.sqrt(B - bx * bx);
  const cx = eta / 2 / ax, cy = (xi / 2 - cx * bx) / by, cz = Math.sqrt(C - cx * cx - cy * cy);
  const l = new Float64Array([ax, 0, 0, bx, by, 0, cx, cy, cz]);
  const r = niggliReduceLatticeMany(l).lattices;
  const dot = (i: number, j: number) =>
    r[3 * i] * r[3 * j] + r[3 * i + 1] * r[3 * j + 1] + r[3 * i + 2] * r[3 * j + 2];
  const got = [dot(0, 0), dot(1, 1), dot(2, 2), 2 * dot(1, 2), 2 * dot(0, 2), 2 * dot(0, 1)];
  [4, 9, 9, 9, 3, 4].forEach((want, k) => assertAlmostEquals(got[k], want, 1e-9));
  assert(!isNiggliReduced(l) && isNiggliReduced(r));
});

Deno.test("niggliReduceMany() splits nothing wrongly: batch equals one-by-one", () => {
  fc.assert(
    fc.property(fc.array(arbitraryCrystal({ maxAtoms: 6 }), { minLength: 1, maxLength: 12 }), (cs) => {
      const batch = niggliReduceMany(cs);
      cs.forEach((c, i) => {
        const one = niggliReduce(c);
        assertEquals(batch[i].transform, one.transform);
        assertEquals(batch[i].crystal.frac, one.crystal.frac);
      });
    }),
    { seed: PROPERTY_SEED, numRuns: 50 },
  );
});

// ---- bad input: one test per validation branch ----

const cube = (): Crystal => ({
  lattice: new Float64Array([4, 0, 0, 0, 4, 0, 0, 0, 4]),
  frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0.5]),
  numbers: new Uint8Array([11, 17]),
});

function assertGeometryError(fn: () => unknown, kind: string, re: RegExp, index?: number): void {
  const e = assertThrows(fn, GeometryError, re);
  assertEquals(e.kind, kind, e.message);
  assertEquals(e.index, index, e.message);
}

Deno.test("niggliReduce() rejects a singular lattice", () => {
  const c = { ...cube(), lattice: new Float64Array([1, 2, 3, 2, 4, 6, 0, 0, 1]) };
  assertGeometryError(() => niggliReduce(c), "degenerate-lattice", /crystal 0: lattice is singular/, 0);
});

Deno.test("niggliReduce() rejects a nearly coplanar lattice", () => {
  const c = { ...cube(), lattice: new Float64Array([1, 0, 0, 0, 1, 0, 1, 1, 1e-12]) };
  assertGeometryError(() => niggliReduce(c), "degenerate-lattice", /degenerate/, 0);
});

Deno.test("niggliReduce() rejects a zero-length lattice vector", () => {
  const c = { ...cube(), lattice: new Float64Array([0, 0, 0, 0, 1, 0, 0, 0, 1]) };
  assertGeometryError(() => niggliReduce(c), "degenerate-lattice", /degenerate/, 0);
});

Deno.test("niggliReduce() rejects NaN and Infinity in the lattice", () => {
  for (const bad of [NaN, Infinity, -Infinity]) {
    const c = { ...cube(), lattice: new Float64Array([bad, 0, 0, 0, 4, 0, 0, 0, 4]) };
    assertGeometryError(() => niggliReduce(c), "non-finite", /lattice entries contain NaN or Infinity/, 0);
  }
});

Deno.test("niggliReduce() rejects NaN and Infinity in coordinates", () => {
  const c = { ...cube(), frac: new Float64Array([0, 0, 0, 0.5, NaN, 0.5]) };
  assertGeometryError(() => niggliReduce(c), "non-finite", /fractional coordinates contain NaN/, 0);
});

Deno.test("niggliReduce() rejects a crystal without atoms", () => {
  const c = { ...cube(), frac: new Float64Array(0), numbers: new Uint8Array(0) };
  assertGeometryError(() => niggliReduce(c), "no-atoms", /crystal 0: crystal has no atoms/, 0);
});

Deno.test("niggliReduce() rejects absurdly large lattices and coordinates", () => {
  const big = { ...cube(), lattice: new Float64Array([4e7, 0, 0, 0, 4, 0, 0, 0, 4]) };
  assertGeometryError(() => niggliReduce(big), "too-large", /lattice entry \(Å\) "4e7" exceeds/, 0);
  const far = { ...cube(), frac: new Float64Array([0, 0, 0, 1e300, 0, 0]) };
  assertGeometryError(() => niggliReduce(far), "too-large", /fractional coordinate/, 0);
});

Deno.test("niggliReduce() rejects a cell whose transform would overflow i32", () => {
  const c = { ...cube(), lattice: new Float64Array([1, 0, 0, 1e5 + 0.3, 1, 0, -7e4, 3e4, 1]) };
  assertGeometryError(() => niggliReduce(c), "too-large", /Niggli transform entry/, 0);
});

Deno.test("niggliReduce() rejects too many atoms in one crystal", () => {
  const n = (1 << 20) + 1;
  const c = {
    lattice: new Float64Array([400, 0, 0, 0, 400, 0, 0, 0, 400]),
    frac: new Float64Array(3 * n),
    numbers: new Uint8Array(n).fill(1),
  };
  assertGeometryError(() => niggliReduce(c), "too-large", /atom count "1.048577e6" exceeds/, 0);
});

Deno.test("niggliReduce() rejects a bad tolerance", () => {
  for (const eps of [-1e-5, NaN, 0.5]) {
    assertGeometryError(() => niggliReduce(cube(), { eps }), "bad-parameter", /parameter "eps"/, 0);
  }
});

Deno.test("niggliReduceMany() rejects malformed arrays and names the crystal", () => {
  const short = { ...cube(), lattice: new Float64Array(8) };
  assertGeometryError(
    () => niggliReduceMany([cube(), short]),
    "bad-shape",
    /crystal 1: lattice must have 9/,
    1,
  );
  const odd = { ...cube(), frac: new Float64Array(5) };
  assertGeometryError(() => niggliReduceMany([odd]), "bad-shape", /frac has "5" values for "2" atoms/, 0);
  assertGeometryError(() => niggliReduceLatticeMany(new Float64Array(10)), "bad-shape", /not 9 per lattice/);
});

Deno.test("niggliReduceMany() reports the first failing crystal of a batch", () => {
  const bad = { ...cube(), lattice: new Float64Array(9) };
  assertGeometryError(
    () => niggliReduceMany([cube(), cube(), bad, bad]),
    "degenerate-lattice",
    /crystal 2:/,
    2,
  );
});

Deno.test("latticeParametersMany() rejects invalid input", () => {
  assertGeometryError(() => latticeParametersMany(new Float64Array(9)), "degenerate-lattice", /crystal 0/, 0);
  assert(!isNiggliReduced(new Float64Array([NaN, 0, 0, 0, 1, 0, 0, 0, 1])));
});
