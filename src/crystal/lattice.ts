/**
 * Lattice math on 3×3 matrices stored row-major in a `Float64Array(9)`.
 *
 * Conventions: rows are the lattice vectors a, b, c in Å; Cartesian = fractional · L.
 * Parameters ⇄ matrix follow pymatgen's `Lattice.from_parameters` (which CDVAE uses):
 * **c along z, a in the xz-plane**, b from the reciprocal angle γ*.
 *
 * @module
 */

/** Lattice lengths (Å) and angles (degrees). */
export interface LatticeParameters {
  /** Length of a (Å). */
  a: number;
  /** Length of b (Å). */
  b: number;
  /** Length of c (Å). */
  c: number;
  /** α = ∠(b, c) (degrees). */
  alpha: number;
  /** β = ∠(a, c) (degrees). */
  beta: number;
  /** γ = ∠(a, b) (degrees). */
  gamma: number;
}

const DEG = Math.PI / 180;

/** Cosine of an angle in degrees, exact for 90° (pymatgen rounds the same way in spirit). */
function cosDeg(x: number): number {
  return x === 90 ? 0 : Math.cos(x * DEG);
}

function sinDeg(x: number): number {
  return x === 90 ? 1 : Math.sin(x * DEG);
}

/**
 * Builds the lattice matrix from parameters, as pymatgen's `Lattice.from_parameters`
 * (`vesta=False`): a = (a sinβ, 0, a cosβ), b = (−b sinα cosγ*, b sinα sinγ*, b cosα), c = (0, 0, c).
 *
 * @throws {RangeError} If the parameters do not describe a cell of positive volume
 * @example
 * ```ts
 * import { ok } from "node:assert";
 * const l = latticeFromParameters({ a: 3, b: 4, c: 5, alpha: 90, beta: 90, gamma: 90 });
 * ok(Math.abs(latticeVolume(l) - 60) < 1e-12);
 * ```
 */
export function latticeFromParameters(p: LatticeParameters): Float64Array {
  const { a, b, c, alpha, beta, gamma } = p;
  for (const [k, v] of Object.entries(p)) {
    if (!Number.isFinite(v) || v <= 0) {
      throw new RangeError(`Cannot build lattice: parameter "${k}" is "${v}", expected a positive number`);
    }
  }
  const ca = cosDeg(alpha), cb = cosDeg(beta), cg = cosDeg(gamma);
  const sa = sinDeg(alpha), sb = sinDeg(beta);
  const val = Math.max(-1, Math.min(1, (ca * cb - cg) / (sa * sb)));
  const gammaStar = Math.acos(val);
  const l = new Float64Array([
    a * sb,
    0,
    a * cb,
    -b * sa * Math.cos(gammaStar),
    b * sa * Math.sin(gammaStar),
    b * ca,
    0,
    0,
    c,
  ]);
  const v = latticeVolume(l);
  if (!Number.isFinite(v)) {
    throw new RangeError(
      `Cannot build lattice: lengths ${a}, ${b}, ${c} Å are too large (the volume overflows)`,
    );
  }
  if (!(v > 0)) {
    throw new RangeError(
      `Cannot build lattice: angles ${alpha}°, ${beta}°, ${gamma}° give no cell of positive volume`,
    );
  }
  return l;
}

/**
 * Lengths and angles of a lattice matrix (rows = vectors).
 *
 * @example
 * ```ts
 * import { ok } from "node:assert";
 * const p = latticeParameters(new Float64Array([2, 0, 0, 0, 3, 0, 0, 0, 4]));
 * ok(Math.abs(p.gamma - 90) < 1e-12);
 * ```
 */
export function latticeParameters(l: ArrayLike<number>): LatticeParameters {
  const len = (i: number) => Math.hypot(l[3 * i], l[3 * i + 1], l[3 * i + 2]);
  const dot = (i: number, j: number) =>
    l[3 * i] * l[3 * j] + l[3 * i + 1] * l[3 * j + 1] + l[3 * i + 2] * l[3 * j + 2];
  const a = len(0), b = len(1), c = len(2);
  const angle = (i: number, j: number, li: number, lj: number) =>
    Math.acos(Math.max(-1, Math.min(1, dot(i, j) / (li * lj)))) / DEG;
  return { a, b, c, alpha: angle(1, 2, b, c), beta: angle(0, 2, a, c), gamma: angle(0, 1, a, b) };
}

/** Determinant of a row-major 3×3 matrix. */
export function det3(m: ArrayLike<number>): number {
  return m[0] * (m[4] * m[8] - m[5] * m[7]) -
    m[1] * (m[3] * m[8] - m[5] * m[6]) +
    m[2] * (m[3] * m[7] - m[4] * m[6]);
}

/**
 * Signed cell volume (Å³): det(L). Positive for a right-handed basis.
 *
 * @example An orthorhombic cell
 * ```ts
 * import { assertEquals } from "../../tests/_assert.ts";
 * assertEquals(latticeVolume([2, 0, 0, 0, 3, 0, 0, 0, 4]), 24);
 * ```
 */
export function latticeVolume(l: ArrayLike<number>): number {
  return det3(l);
}

/**
 * Inverse of a row-major 3×3 matrix.
 *
 * @throws {RangeError} If the matrix is singular or not finite
 */
export function inverse3(m: ArrayLike<number>): Float64Array {
  const d = det3(m);
  if (!Number.isFinite(d) || Math.abs(d) < 1e-12) {
    throw new RangeError(`Cannot invert lattice: determinant "${d}" is zero or not finite`);
  }
  const r = 1 / d;
  return new Float64Array([
    (m[4] * m[8] - m[5] * m[7]) * r,
    (m[2] * m[7] - m[1] * m[8]) * r,
    (m[1] * m[5] - m[2] * m[4]) * r,
    (m[5] * m[6] - m[3] * m[8]) * r,
    (m[0] * m[8] - m[2] * m[6]) * r,
    (m[2] * m[3] - m[0] * m[5]) * r,
    (m[3] * m[7] - m[4] * m[6]) * r,
    (m[1] * m[6] - m[0] * m[7]) * r,
    (m[0] * m[4] - m[1] * m[3]) * r,
  ]);
}

/** Product of row-major 3×3 matrices a·b. */
export function matmul3(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const out = new Float64Array(9);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      out[3 * i + j] = a[3 * i] * b[j] + a[3 * i + 1] * b[3 + j] + a[3 * i + 2] * b[6 + j];
    }
  }
  return out;
}

/**
 * Cartesian coordinates (flat N×3, Å) of fractional coordinates under lattice `l`: cart = frac · L.
 *
 * @example The cell centre
 * ```ts
 * import { assertEquals } from "../../tests/_assert.ts";
 * assertEquals([...fracToCart([0.5, 0.5, 0.5], [2, 0, 0, 0, 3, 0, 0, 0, 4])], [1, 1.5, 2]);
 * ```
 */
export function fracToCart(frac: ArrayLike<number>, l: ArrayLike<number>): Float64Array {
  const n = frac.length / 3;
  const out = new Float64Array(frac.length);
  for (let i = 0; i < n; i++) {
    const f0 = frac[3 * i], f1 = frac[3 * i + 1], f2 = frac[3 * i + 2];
    for (let k = 0; k < 3; k++) out[3 * i + k] = f0 * l[k] + f1 * l[3 + k] + f2 * l[6 + k];
  }
  return out;
}

/**
 * Fractional coordinates (flat N×3) of Cartesian coordinates under lattice `l`: frac = cart · L⁻¹.
 *
 * @throws {RangeError} If the lattice is singular
 *
 * @example Back to fractional
 * ```ts
 * import { assertAlmostEquals } from "../../tests/_assert.ts";
 * const f = cartToFrac([1, 1.5, 2], [2, 0, 0, 0, 3, 0, 0, 0, 4]);
 * f.forEach((x) => assertAlmostEquals(x, 0.5, 1e-15));
 * ```
 */
export function cartToFrac(cart: ArrayLike<number>, l: ArrayLike<number>): Float64Array {
  return fracToCart(cart, inverse3(l));
}

/**
 * Wraps a fractional coordinate into [0, 1), mapping values within 1e-12 of 1 to 0.
 *
 * @example Into the cell
 * ```ts
 * import { assertEquals } from "../../tests/_assert.ts";
 * assertEquals([1.25, -0.25, 1 - 1e-13].map(wrapFrac), [0.25, 0.75, 0]);
 * ```
 */
export function wrapFrac(x: number): number {
  const w = x - Math.floor(x);
  return w >= 1 - 1e-12 ? 0 : w;
}
