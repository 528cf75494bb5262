/**
 * Crystallographic symmetry operations written as `x, y, z` strings (CIF's
 * `_symmetry_equiv_pos_as_xyz`), and the expansion of an asymmetric unit into all its sites.
 *
 * An operation is a `Float64Array(12)`: the row-major 3×3 rotation R followed by the translation t,
 * acting on fractional coordinates as x' = R·x + t (column vectors).
 *
 * @module
 */

import { det3, wrapFrac } from "./lattice.ts";

/** `[R | t]` as 12 numbers: R row-major (R[3i+j] multiplies coordinate j in output i), then t. */
export type SymmetryOp = Float64Array;

/** Tolerance on |det R| − 1 when checking that a parsed matrix is a symmetry operation. */
const DET_TOLERANCE = 1e-6;

function isSpace(c: number): boolean {
  return c === 32 || c === 9;
}

/** Reads `digits[.digits]` at `s[i]`; returns the value and the index after it (NaN if none). */
function readNumber(s: string, i: number): [number, number] {
  const start = i;
  while (i < s.length && ((s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) || s[i] === ".")) i++;
  return [i > start ? Number(s.slice(start, i)) : NaN, i];
}

/** Parses one component ("-x+1/2", "1/2+x-y", "2z", "0.25") into row `row` of `op`. */
function parseComponent(text: string, op: SymmetryOp, row: number, whole: string): void {
  const fail = (why: string): never => {
    throw new SyntaxError(`Cannot parse symmetry operation "${whole}": ${why}`);
  };
  const s = text.trim();
  if (s === "") fail(`component ${row + 1} is empty`);
  let i = 0;
  let first = true;
  while (i < s.length) {
    while (i < s.length && isSpace(s.charCodeAt(i))) i++;
    let sign = 1;
    if (s[i] === "+" || s[i] === "-") {
      sign = s[i] === "-" ? -1 : 1;
      i++;
    } else if (!first) {
      fail(`expected "+" or "-" before "${s.slice(i)}" in "${s}"`);
    }
    while (i < s.length && isSpace(s.charCodeAt(i))) i++;
    let [num, j] = readNumber(s, i);
    if (!Number.isNaN(num) && s[j] === "/") {
      const [den, k] = readNumber(s, j + 1);
      if (Number.isNaN(den) || den === 0) fail(`bad fraction in "${s}"`);
      num /= den;
      j = k;
    }
    if (j > i && !Number.isFinite(num)) fail(`bad number in "${s}"`);
    i = j;
    while (i < s.length && (isSpace(s.charCodeAt(i)) || s[i] === "*")) i++;
    const v = (s.charCodeAt(i) | 32) - 120; // x → 0, y → 1, z → 2 (case-insensitive)
    if (i < s.length && v >= 0 && v <= 2) {
      op[3 * row + v] += sign * (Number.isNaN(num) ? 1 : num);
      i++;
    } else if (!Number.isNaN(num)) {
      op[9 + row] += sign * num;
    } else {
      fail(`unexpected "${s.slice(i) || "end"}" in "${s}"`);
    }
    first = false;
  }
}

/**
 * Parses an operation such as `x, y, z`, `-x+1/2, y, -z+0.5`, `1/2+x` or `x-y, x, z+1/3`
 * (CIF's `_symmetry_equiv_pos_as_xyz` form; case-insensitive, `*` between factor and axis allowed).
 *
 * @param text The operation, three comma-separated components
 * @returns The operation as `[R | t]`
 * @throws {SyntaxError} If the text is not three linear expressions in x, y, z, or |det R| is not 1
 * @example Screw axis
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * const op = parseSymmetryOp("-x, y+1/2, -z");
 * deepStrictEqual([...applySymmetryOp(op, 0.1, 0.2, 0.3)].map((v) => +v.toFixed(12)), [-0.1, 0.7, -0.3]);
 * ```
 */
export function parseSymmetryOp(text: string): SymmetryOp {
  const parts = text.split(",");
  if (parts.length !== 3) {
    throw new SyntaxError(
      `Cannot parse symmetry operation "${text}": expected 3 comma-separated components, found ${parts.length}`,
    );
  }
  const op = new Float64Array(12);
  for (let r = 0; r < 3; r++) parseComponent(parts[r], op, r, text);
  const d = det3(op);
  if (!(Math.abs(Math.abs(d) - 1) < DET_TOLERANCE)) {
    throw new SyntaxError(`Cannot parse symmetry operation "${text}": determinant is "${d}", expected ±1`);
  }
  return op;
}

/**
 * Applies an operation to one fractional position.
 *
 * @returns x' = R·x + t, not wrapped
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * deepStrictEqual([...applySymmetryOp(parseSymmetryOp("y, x-y, z+1/2"), 0.5, 0.25, 0)], [0.25, 0.25, 0.5]);
 * ```
 */
export function applySymmetryOp(op: SymmetryOp, x: number, y: number, z: number): Float64Array {
  const out = new Float64Array(3);
  for (let r = 0; r < 3; r++) out[r] = op[3 * r] * x + op[3 * r + 1] * y + op[3 * r + 2] * z + op[9 + r];
  return out;
}

/**
 * True when the operation is x, y, z exactly.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert";
 * strictEqual(isIdentityOp(parseSymmetryOp("+x, +y, +z")), true);
 * ```
 */
export function isIdentityOp(op: SymmetryOp): boolean {
  for (let k = 0; k < 12; k++) if (op[k] !== (k === 0 || k === 4 || k === 8 ? 1 : 0)) return false;
  return true;
}

/** Result of {@linkcode expandSites}. */
export type ExpandResult =
  /** The expanded sites in [0, 1) and, per atom, the index of the input site it came from. */
  | { frac: Float64Array; source: Int32Array; conflict?: undefined }
  /** Two different input sites (indices `[earlier, later]`) have images on the same position. */
  | { conflict: [number, number]; frac?: undefined; source?: undefined };

/**
 * Applies every operation to every site, wraps the images into [0, 1) and keeps one atom per
 * position, as pymatgen's `CifParser` does. Two positions are the same when every fractional
 * component differs by less than `tol` modulo 1 (pymatgen's `site_tolerance` test). Images of one
 * site that coincide (a site on a special position) are merged; images of two different sites that
 * coincide are reported as a conflict instead, since the caller decides what that means (mixed or
 * doubled occupancy).
 *
 * Order: input sites in order, each followed by its distinct images in the order of `ops`.
 *
 * @param ops Symmetry operations (include the identity)
 * @param frac Input positions, flat N×3
 * @param tol Merge tolerance in fractional units
 * @returns The expanded positions, or the first conflicting pair of input sites
 * @example Rocksalt from two sites and the F-centring translations
 * ```ts
 * import { strictEqual } from "node:assert";
 * const ops = ["x,y,z", "x,y+1/2,z+1/2", "x+1/2,y,z+1/2", "x+1/2,y+1/2,z"].map(parseSymmetryOp);
 * const r = expandSites(ops, new Float64Array([0, 0, 0, 0.5, 0.5, 0.5]), 1e-4);
 * strictEqual(r.frac?.length, 8 * 3);
 * ```
 */
export function expandSites(ops: readonly SymmetryOp[], frac: ArrayLike<number>, tol: number): ExpandResult {
  const n = frac.length / 3;
  const out: number[] = [];
  const source: number[] = [];
  // Kept positions are binned on a grid of cells at least `tol` wide, so a new image is compared
  // with the positions in its own and the 26 neighbouring cells only (linear, not quadratic, in
  // the atom count). Bins per axis stay ≤ 1e5 so keys are exact integers.
  const bins = Math.max(1, Math.min(100_000, Math.floor(1 / Math.max(tol, 1e-12))));
  const grid = new Map<number, number[]>();
  const bin = (v: number) => Math.min(bins - 1, Math.floor(v * bins));
  const key = (i: number, j: number, k: number) =>
    (((i + bins) % bins) * bins + ((j + bins) % bins)) * bins + ((k + bins) % bins);
  const near = (d: number) => Math.abs(d - Math.round(d)) < tol;
  for (let s = 0; s < n; s++) {
    const x = frac[3 * s], y = frac[3 * s + 1], z = frac[3 * s + 2];
    for (const op of ops) {
      const p = applySymmetryOp(op, x, y, z);
      const px = wrapFrac(p[0]), py = wrapFrac(p[1]), pz = wrapFrac(p[2]);
      const bx = bin(px), by = bin(py), bz = bin(pz);
      let dup = -1;
      if (tol > 0) {
        // The earliest kept position that matches, as a scan in order would find.
        const seen = bins < 3 ? new Set<number>() : undefined;
        for (let i = -1; i <= 1; i++) {
          for (let j = -1; j <= 1; j++) {
            for (let k = -1; k <= 1; k++) {
              const cell = key(bx + i, by + j, bz + k);
              if (seen) { // fewer than 3 bins per axis visit a cell twice
                if (seen.has(cell)) continue;
                seen.add(cell);
              }
              for (const m of grid.get(cell) ?? []) {
                if (
                  (dup < 0 || m < dup) && near(out[3 * m] - px) && near(out[3 * m + 1] - py) &&
                  near(out[3 * m + 2] - pz)
                ) dup = m;
              }
            }
          }
        }
      }
      if (dup < 0) {
        const cell = key(bx, by, bz);
        const list = grid.get(cell);
        if (list) list.push(source.length);
        else grid.set(cell, [source.length]);
        out.push(px, py, pz);
        source.push(s);
      } else if (source[dup] !== s) {
        return { conflict: [source[dup], s] };
      }
    }
  }
  return { frac: new Float64Array(out), source: new Int32Array(source) };
}
