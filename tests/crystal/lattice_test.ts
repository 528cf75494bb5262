import fc from "fast-check";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../_assert.ts";
import {
  cartToFrac,
  fracToCart,
  inverse3,
  latticeFromParameters,
  latticeParameters,
  latticeVolume,
  matmul3,
  wrapFrac,
} from "../../src/crystal/lattice.ts";

const SEED = 424242;
const params = fc.record({
  a: fc.double({ min: 1, max: 20, noNaN: true }),
  b: fc.double({ min: 1, max: 20, noNaN: true }),
  c: fc.double({ min: 1, max: 20, noNaN: true }),
  alpha: fc.double({ min: 60, max: 120, noNaN: true }),
  beta: fc.double({ min: 60, max: 120, noNaN: true }),
  gamma: fc.double({ min: 60, max: 120, noNaN: true }),
}).filter((p) => {
  // Keep angle triples that make a real cell (Gram determinant clearly positive).
  const [ca, cb, cg] = [p.alpha, p.beta, p.gamma].map((x) => Math.cos((x * Math.PI) / 180));
  return 1 - ca * ca - cb * cb - cg * cg + 2 * ca * cb * cg > 1e-3;
});

Deno.test("latticeFromParameters() puts c along z and a in the xz-plane (pymatgen convention)", () => {
  const l = latticeFromParameters({ a: 3, b: 4, c: 5, alpha: 80, beta: 95, gamma: 110 });
  assertAlmostEquals(l[1], 0, 1e-15, "a_y");
  assertAlmostEquals(l[6], 0, 1e-15, "c_x");
  assertAlmostEquals(l[7], 0, 1e-15, "c_y");
  assertAlmostEquals(l[8], 5, 1e-15, "c_z");
  assertAlmostEquals(l[2], 3 * Math.cos((95 * Math.PI) / 180), 1e-14, "a_z = a cos β");
});

Deno.test("latticeParameters() inverts latticeFromParameters() (property)", () => {
  fc.assert(
    fc.property(params, (p) => {
      const q = latticeParameters(latticeFromParameters(p));
      for (const k of ["a", "b", "c", "alpha", "beta", "gamma"] as const) {
        assertAlmostEquals(q[k], p[k], 1e-9, `${k} of ${JSON.stringify(p)}`);
      }
      assert(latticeVolume(latticeFromParameters(p)) > 0, "right-handed");
    }),
    { seed: SEED, numRuns: 500 },
  );
});

Deno.test("cartToFrac() inverts fracToCart() and inverse3() inverts (property)", () => {
  fc.assert(
    fc.property(
      params,
      fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 3, maxLength: 30 }),
      (
        p,
        xs,
      ) => {
        const frac = new Float64Array(xs.slice(0, xs.length - (xs.length % 3)));
        const l = latticeFromParameters(p);
        const back = cartToFrac(fracToCart(frac, l), l);
        frac.forEach((f, i) => assertAlmostEquals(back[i], f, 1e-10));
        const id = matmul3(l, inverse3(l));
        id.forEach((v, i) => assertAlmostEquals(v, i % 4 === 0 ? 1 : 0, 1e-12));
      },
    ),
    { seed: SEED, numRuns: 300 },
  );
});

Deno.test("latticeFromParameters() rejects impossible angles and non-positive lengths", () => {
  assertThrows(
    () => latticeFromParameters({ a: 1, b: 1, c: 1, alpha: 10, beta: 10, gamma: 170 }),
    RangeError,
  );
  assertThrows(() => latticeFromParameters({ a: 0, b: 1, c: 1, alpha: 90, beta: 90, gamma: 90 }), RangeError);
  assertThrows(
    () => latticeFromParameters({ a: NaN, b: 1, c: 1, alpha: 90, beta: 90, gamma: 90 }),
    RangeError,
  );
});

Deno.test("inverse3() rejects a singular matrix", () => {
  assertThrows(() => inverse3([1, 0, 0, 2, 0, 0, 0, 0, 1]), RangeError);
});

Deno.test("wrapFrac() maps into [0, 1) including values a hair below 1", () => {
  assertAlmostEquals(wrapFrac(-0.25), 0.75, 1e-15);
  assertAlmostEquals(wrapFrac(1 - 1e-14), 0, 0);
  assertAlmostEquals(wrapFrac(2.5), 0.5, 1e-15);
});

Deno.test("wrapFrac() wraps any finite number into [0, 1) by a whole number of cells", () => {
  assertEquals([2.5, -0.25, -1e-17, 1 - 1e-13, 0].map(wrapFrac), [0.5, 0.75, 0, 0, 0]);
  fc.assert(
    fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true })), (xs) => {
      const w = xs.map(wrapFrac);
      w.forEach((x, k) => {
        assert(x >= 0 && x < 1, `${xs[k]} → ${x}`);
        const d = x - xs[k];
        assert(Math.abs(d - Math.round(d)) < 1e-9 * Math.max(1, Math.abs(xs[k])) || x === 0);
      });
    }),
    { seed: SEED, numRuns: 100 },
  );
});
