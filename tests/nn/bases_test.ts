/** Basis functions against closed forms, identities and the audit's table of PyG's numbers (O4). */

import { assert, assertAlmostEquals, assertThrows } from "../_assert.ts";
import {
  dimenetBesselBasis,
  dimenetEnvelope,
  dimenetEnvelopeF32,
  sphericalBesselBasisValues,
  sphericalBesselJ,
  sphericalBesselZeros,
  sphericalHarmonicsY0,
} from "../../src/nn/bases.ts";

/** cdvae-reference-audit.md O4: z_ln and N_ln as PyG 2.0.1 computes them (float32, printed). */
const AUDIT_ZEROS = [
  [3.1415927, 6.2831855, 9.424778, 12.566371, 15.707963, 18.849556],
  [4.4934096, 7.7252517, 10.904121, 14.066194, 17.220755, 20.371304],
  [5.763459, 9.095012, 12.322941, 15.514603, 18.689035, 21.853874],
  [6.987932, 10.417118, 13.698023, 16.923622, 20.121807, 23.304247],
  [8.182562, 11.704907, 15.039664, 18.301256, 21.525417, 24.727566],
  [9.355812, 12.96653, 16.35471, 19.653152, 22.90455, 26.12775],
  [10.5128355, 14.207393, 17.647974, 20.983463, 24.262768, 27.507868],
];
const AUDIT_NORMS = [
  [4.442883, 8.885766, 13.328649, 17.771532, 22.214415, 26.657297],
  [6.510105, 11.016307, 15.485469, 19.942808, 24.39485, 28.844063],
  [8.542646, 13.101761, 17.60194, 22.07896, 26.544516, 31.003567],
  [10.568549, 15.162459, 19.691725, 24.189627, 28.670532, 33.141262],
  [12.598311, 17.20921, 21.763271, 26.281301, 30.777992, 35.261242],
  [14.636622, 19.248337, 23.822159, 28.358627, 32.87073, 37.366688],
  [16.68576, 21.283873, 25.87222, 30.424997, 34.951653, 39.460094],
];

/** Closed forms of j_0 … j_3 (accurate where x is not small). */
const CLOSED = [
  (x: number) => Math.sin(x) / x,
  (x: number) => Math.sin(x) / x ** 2 - Math.cos(x) / x,
  (x: number) => (3 / x ** 3 - 1 / x) * Math.sin(x) - (3 / x ** 2) * Math.cos(x),
  (x: number) => (15 / x ** 4 - 6 / x ** 2) * Math.sin(x) - (15 / x ** 3 - 1 / x) * Math.cos(x),
];

Deno.test("sphericalBesselJ() matches the closed forms of j_0…j_3", () => {
  for (let l = 0; l < 4; l++) {
    for (let x = 0.5 + l; x < 30; x += 0.37) {
      assertAlmostEquals(sphericalBesselJ(l, x), CLOSED[l](x), 1e-13, `l=${l} x=${x}`);
    }
  }
});

Deno.test("sphericalBesselJ() satisfies the three-term recurrence across the series/recurrence switch", () => {
  for (let l = 1; l < 8; l++) {
    for (let x = 0.05; x < 20; x += 0.173) {
      const lhs = sphericalBesselJ(l - 1, x) + sphericalBesselJ(l + 1, x);
      const rhs = ((2 * l + 1) / x) * sphericalBesselJ(l, x);
      assertAlmostEquals(lhs, rhs, 1e-13 * Math.max(1, Math.abs(rhs)), `l=${l} x=${x}`);
    }
  }
});

Deno.test("sphericalBesselJ() is x^l/(2l+1)!! at small x and continuous at the switch", () => {
  assertAlmostEquals(sphericalBesselJ(6, 1e-3) / (1e-18 / 135135), 1, 1e-6);
  for (let l = 0; l < 8; l++) {
    const a = sphericalBesselJ(l, l + 1 - 1e-13), b = sphericalBesselJ(l, l + 1);
    assertAlmostEquals(a, b, 1e-12, `l=${l}`);
  }
  assertAlmostEquals(sphericalBesselJ(3, 0), 0, 0);
  assertAlmostEquals(sphericalBesselJ(0, 0), 1, 0);
  assertThrows(() => sphericalBesselJ(-1, 1), RangeError);
  assertThrows(() => sphericalBesselJ(1.5, 1), RangeError);
});

Deno.test("sphericalBesselZeros() are roots of j_l and match the audit's table", () => {
  const z = sphericalBesselZeros(7, 6);
  for (let l = 0; l < 7; l++) {
    for (let n = 0; n < 6; n++) {
      const r = z[l * 6 + n];
      assert(Math.abs(sphericalBesselJ(l, r)) < 1e-14, `j_${l}(${r}) = ${sphericalBesselJ(l, r)}`);
      assertAlmostEquals(Math.fround(r), Math.fround(AUDIT_ZEROS[l][n]), 2e-6 * r, `z_${l}${n}`);
    }
  }
  // Interlacing: z_(l−1),n < z_l,n < z_(l−1),n+1.
  for (let l = 1; l < 7; l++) {
    for (let n = 0; n < 5; n++) {
      assert(z[(l - 1) * 6 + n] < z[l * 6 + n] && z[l * 6 + n] < z[(l - 1) * 6 + n + 1]);
    }
  }
});

Deno.test("dimenetBesselBasis() stores f32 zeros and the audit's normalisers", () => {
  const b = dimenetBesselBasis(7, 6);
  for (let l = 0; l < 7; l++) {
    for (let n = 0; n < 6; n++) {
      const k = l * 6 + n;
      assertAlmostEquals(b.zeros[k], Math.fround(b.zeros[k]), 0);
      assertAlmostEquals(b.norms[k], AUDIT_NORMS[l][n], 2e-6 * AUDIT_NORMS[l][n], `N_${l}${n}`);
    }
  }
});

Deno.test("sphericalBesselBasisValues() is orthonormal with weight x² on [0, 1] (f64)", () => {
  const L = 4, R = 4, b = dimenetBesselBasis(L, R);
  const steps = 4000, vals: Float64Array[] = [];
  for (let s = 0; s < steps; s++) vals.push(sphericalBesselBasisValues(b, (s + 0.5) / steps, "f64"));
  for (let l = 0; l < L; l++) {
    for (let n = 0; n < R; n++) {
      for (let m = 0; m < R; m++) {
        let acc = 0;
        for (let s = 0; s < steps; s++) {
          const x = (s + 0.5) / steps;
          acc += x * x * vals[s][l * R + n] * vals[s][l * R + m];
        }
        // The f32 zeros make the ends not exactly zero: 1e-4 is ample for a midpoint rule.
        assertAlmostEquals(acc / steps, n === m ? 1 : 0, 1e-4, `l=${l} n=${n} m=${m}`);
      }
    }
  }
});

Deno.test("sphericalBesselBasisValues() reference-f32 closed form agrees with f64 away from small z·x", () => {
  const b = dimenetBesselBasis(7, 6);
  for (let x = 0.3; x <= 1.2; x += 0.01) {
    const a = sphericalBesselBasisValues(b, x, "f64"), r = sphericalBesselBasisValues(b, x, "reference-f32");
    for (let k = 0; k < 42; k++) assertAlmostEquals(r[k], a[k], 2e-4 * b.norms[k], `x=${x} k=${k}`);
  }
  // Where z·x is small, the high orders cancel in f32 (audit O4): j_6 at z·x ≈ 1.5 is off by far more.
  const x = 1.5 / b.zeros[36];
  const a = sphericalBesselBasisValues(b, x, "f64")[36], r = sphericalBesselBasisValues(b, x)[36];
  assert(Math.abs(r - a) > 1e-3 * Math.abs(a), `f32 closed form ${r} vs ${a}`);
});

Deno.test("closedForm holds the integer coefficients of x^(l+1)·j_l", () => {
  const b = dimenetBesselBasis(7, 1);
  assertAlmostEquals(b.closedForm[6].length, 7, 0);
  // x⁷ j_6 = −x⁶ sin − 21x⁵ cos + 210x⁴ sin + 1260x³ cos − 4725x² sin − 10395x cos + 10395 sin.
  const expect = [10395, -10395, -4725, 1260, 210, -21, -1];
  expect.forEach((v, k) => assertAlmostEquals(b.closedForm[6][k], v, 0, `k=${k}`));
  for (const x of [7.5, 12, 19]) {
    const s = b.closedForm[6].reduce(
      (acc, a, k) => acc + a * x ** k * (k % 2 === 0 ? Math.sin(x) : Math.cos(x)),
      0,
    );
    assertAlmostEquals(s / x ** 7, sphericalBesselJ(6, x), 1e-12);
  }
});

Deno.test("dimenetEnvelope() is smooth to second order at the cutoff, with PyG's constants", () => {
  // p = 6: u(x) = 1/x − 28x⁵ + 48x⁶ − 21x⁷.
  for (const x of [0.1, 0.5, 0.9]) {
    assertAlmostEquals(dimenetEnvelope(x, 5), 1 / x - 28 * x ** 5 + 48 * x ** 6 - 21 * x ** 7, 1e-12);
    // f32 cancels near the cutoff: an absolute error of a few 1e-6 there.
    assertAlmostEquals(
      dimenetEnvelopeF32(x, 5),
      dimenetEnvelope(x, 5),
      1e-5 * Math.max(1, dimenetEnvelope(x, 5)),
    );
  }
  const h = 1e-4, u = (x: number) => dimenetEnvelope(x, 5);
  assertAlmostEquals(u(1), 0, 1e-12);
  assertAlmostEquals((u(1 + h) - u(1 - h)) / (2 * h), 0, 1e-6);
  assertAlmostEquals((u(1 + h) - 2 * u(1) + u(1 - h)) / (h * h), 0, 1e-3);
  // No mask beyond the cutoff (PyG 2.0.1, audit A9).
  assert(dimenetEnvelope(1.2, 5) !== 0);
});

Deno.test("sphericalHarmonicsY0() matches closed forms and is orthonormal on the sphere", () => {
  for (const t of [-1, -0.3, 0, 0.45, 1]) {
    const y = sphericalHarmonicsY0(7, t);
    const c = (l: number) => Math.sqrt((2 * l + 1) / (4 * Math.PI));
    assertAlmostEquals(y[3], c(3) * 0.5 * (5 * t ** 3 - 3 * t), 1e-15);
    assertAlmostEquals(y[4], c(4) * 0.125 * (35 * t ** 4 - 30 * t ** 2 + 3), 1e-15);
    assertAlmostEquals(y[6], c(6) * (231 * t ** 6 - 315 * t ** 4 + 105 * t ** 2 - 5) / 16, 1e-14);
  }
  const steps = 20000, sums = new Float64Array(49);
  for (let s = 0; s < steps; s++) {
    const y = sphericalHarmonicsY0(7, -1 + (2 * (s + 0.5)) / steps);
    for (let a = 0; a < 7; a++) for (let b = 0; b < 7; b++) sums[a * 7 + b] += y[a] * y[b];
  }
  for (let a = 0; a < 7; a++) {
    for (let b = 0; b < 7; b++) {
      assertAlmostEquals((2 * Math.PI * 2 * sums[a * 7 + b]) / steps, a === b ? 1 : 0, 1e-6, `l=${a},${b}`);
    }
  }
  const out = new Float64Array(10);
  sphericalHarmonicsY0(2, 1, out, 5);
  assertAlmostEquals(out[6], Math.sqrt(3 / (4 * Math.PI)), 1e-15);
});
