/**
 * Lattice geometry on the wasm core: Niggli reduction (of lattices and of whole structures),
 * lattice parameters and the CDVAE lattice target. Batch functions take many crystals per call.
 *
 * Conventions: lattices are row-major `Float64Array(9)` whose rows are the vectors a, b, c (Å).
 * A Niggli transform `T` is a row-major `Int32Array(9)` with `reduced = T · lattice` and
 * det T = +1, so the reduced cell keeps the Cartesian frame and handedness of the input;
 * fractional coordinates become `f' = f · T⁻¹`, wrapped into [0, 1).
 *
 * @module
 */

import type { Crystal } from "../crystal/crystal.ts";
import { callBatch, callChunks, GeometryError, MAX_CRYSTALS_PER_CALL, packCrystals } from "./wasm.ts";

export { GeometryError, wasmCoreVersion } from "./wasm.ts";
export type { GeometryErrorKind } from "./wasm.ts";

/**
 * Default relative Niggli tolerance: comparisons use ε = eps · V^(1/3) (Grosse-Kunstleve, Sauter &
 * Adams 2004; pymatgen's `get_niggli_reduced_lattice(tol=1e-5)` uses the same ε).
 */
export const DEFAULT_NIGGLI_EPS = 1e-5;

/** Options of the Niggli functions. */
export interface NiggliOptions {
  /** Relative tolerance, 0 ≤ eps ≤ 0.1; ε = eps · V^(1/3). Defaults to {@linkcode DEFAULT_NIGGLI_EPS}. */
  eps?: number;
}

/**
 * A Niggli-reduced crystal and the transform that produced it. The arrays of the results of one
 * batch are views into shared buffers (disjoint ranges), which is much faster than one allocation
 * per array; copy them (`slice()`) to keep one crystal without the rest of its batch.
 */
export interface NiggliResult {
  /** The crystal in its Niggli cell: same atoms and order, coordinates wrapped into [0, 1). */
  crystal: Crystal;
  /** Row-major integer 3×3 `T` with `crystal.lattice = T · input.lattice`, det T = +1. */
  transform: Int32Array;
}

const ACTION = "Niggli-reduce";

/**
 * Niggli-reduces a crystal: the reduced lattice, fractional coordinates in the new basis wrapped
 * into [0, 1), and the integer transform.
 *
 * @param c The crystal (at least one atom)
 * @param opts Tolerance
 * @returns The reduced crystal and transform
 * @throws {GeometryError} For a singular or degenerate lattice, NaN/Infinity, no atoms, or absurd sizes
 * @example A skewed cubic cell
 * ```ts
 * import assert from "node:assert";
 * import { latticeParameters } from "../crystal/lattice.ts";
 * const c = {
 *   lattice: new Float64Array([3, 0, 0, 3, 3, 0, 0, 0, 3]),
 *   frac: new Float64Array([0.5, 0.25, 0]),
 *   numbers: new Uint8Array([26]),
 * };
 * const { crystal, transform } = niggliReduce(c);
 * const p = latticeParameters(crystal.lattice);
 * assert.ok(Math.abs(p.b - 3) < 1e-12 && Math.abs(p.gamma - 90) < 1e-9);
 * assert.strictEqual(transform.length, 9);
 * ```
 */
export function niggliReduce(c: Crystal, opts: NiggliOptions = {}): NiggliResult {
  return niggliReduceMany([c], opts)[0];
}

/**
 * Niggli-reduces many crystals (batched calls into the core).
 *
 * @param crystals The crystals
 * @param opts Tolerance
 * @returns One result per crystal, in order
 * @throws {GeometryError} For the first crystal that cannot be reduced; `index` says which
 * @example
 * ```ts
 * import assert from "node:assert";
 * const cube = {
 *   lattice: new Float64Array([2, 0, 0, 0, 2, 0, 0, 0, 2]),
 *   frac: new Float64Array([1.25, -0.5, 0]),
 *   numbers: new Uint8Array([3]),
 * };
 * const [r] = niggliReduceMany([cube, cube]);
 * assert.deepStrictEqual([...r.crystal.frac], [0.25, 0.5, 0]);
 * ```
 */
export function niggliReduceMany(crystals: readonly Crystal[], opts: NiggliOptions = {}): NiggliResult[] {
  const eps = opts.eps ?? DEFAULT_NIGGLI_EPS;
  const results: NiggliResult[] = [];
  for (const [offset, batch] of callChunks(crystals)) {
    const { lattices, frac, offsets } = packCrystals(batch, ACTION);
    const m = batch.length;
    const outLattices = new Float64Array(9 * m);
    const outTransforms = new Int32Array(9 * m);
    const outFrac = new Float64Array(frac.length);
    const status = new Int32Array(m);
    callBatch(
      ACTION,
      status,
      (core) =>
        core.niggli_reduce_structures(
          lattices,
          frac,
          offsets,
          eps,
          outLattices,
          outTransforms,
          outFrac,
          status,
        ),
      offset,
    );
    // Results are views into one buffer per output array: one allocation per batch, not per crystal.
    const numbers = new Uint8Array(offsets[m]);
    for (let i = 0; i < m; i++) numbers.set(batch[i].numbers, offsets[i]);
    for (let i = 0; i < m; i++) {
      const c = batch[i];
      const crystal: Crystal = {
        lattice: outLattices.subarray(9 * i, 9 * i + 9),
        frac: outFrac.subarray(3 * offsets[i], 3 * offsets[i + 1]),
        numbers: numbers.subarray(offsets[i], offsets[i + 1]),
      };
      if (c.props) crystal.props = { ...c.props };
      if (c.name !== undefined) crystal.name = c.name;
      results.push({ crystal, transform: outTransforms.subarray(9 * i, 9 * i + 9) });
    }
  }
  return results;
}

/**
 * Niggli-reduces lattices given as one flat array (`[9·M]`, rows = vectors).
 *
 * @param lattices `M` lattices, row-major, one after another
 * @param opts Tolerance
 * @returns Reduced lattices (`[9·M]`) and transforms (`[9·M]`, `reduced = T · input`)
 * @throws {GeometryError} For the first lattice that cannot be reduced
 * @example
 * ```ts
 * import assert from "node:assert";
 * const { transforms } = niggliReduceLatticeMany(new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 1]));
 * assert.deepStrictEqual([...transforms], [1, 0, 0, 0, 1, 0, 0, 0, 1]);
 * ```
 */
export function niggliReduceLatticeMany(
  lattices: Float64Array,
  opts: NiggliOptions = {},
): { lattices: Float64Array; transforms: Int32Array } {
  if (lattices.length % 9 !== 0) {
    throw new GeometryError(
      "bad-shape",
      `Cannot ${ACTION}: "${lattices.length}" numbers is not 9 per lattice`,
    );
  }
  const eps = opts.eps ?? DEFAULT_NIGGLI_EPS;
  const m = lattices.length / 9;
  const outLattices = new Float64Array(9 * m);
  const outTransforms = new Int32Array(9 * m);
  for (let start = 0; start < m; start += MAX_CRYSTALS_PER_CALL) {
    const end = Math.min(m, start + MAX_CRYSTALS_PER_CALL);
    const status = new Int32Array(end - start);
    const ol = new Float64Array(9 * (end - start));
    const ot = new Int32Array(9 * (end - start));
    const input = lattices.subarray(9 * start, 9 * end);
    callBatch(ACTION, status, (core) => core.niggli_reduce_lattices(input, eps, ol, ot, status), start);
    outLattices.set(ol, 9 * start);
    outTransforms.set(ot, 9 * start);
  }
  return { lattices: outLattices, transforms: outTransforms };
}

/**
 * Whether a lattice satisfies the Niggli conditions (main and special) to within ε = eps · V^(1/3).
 * Invalid lattices (singular, NaN…) are not reduced.
 *
 * @param lattice Row-major 3×3, rows = vectors
 * @param opts Tolerance
 * @returns `true` if the lattice is a Niggli cell
 * @example
 * ```ts
 * import assert from "node:assert";
 * assert.ok(isNiggliReduced(new Float64Array([1, 0, 0, 0, 2, 0, 0, 0, 3])));
 * assert.ok(!isNiggliReduced(new Float64Array([1, 0, 0, 5, 2, 0, 0, 0, 3])));
 * ```
 */
export function isNiggliReduced(lattice: ArrayLike<number>, opts: NiggliOptions = {}): boolean {
  if (lattice.length !== 9) return false;
  const out = new Uint8Array(1);
  const input = Float64Array.from(lattice);
  callBatch(
    "check the Niggli conditions",
    new Int32Array(0),
    (core) => core.is_niggli_reduced_many(input, opts.eps ?? DEFAULT_NIGGLI_EPS, out),
  );
  return out[0] === 1;
}

/**
 * Lattice parameters of many lattices, computed by the core: `[a, b, c, α, β, γ]` per lattice, flat
 * (lengths in Å, angles in degrees; α = ∠(b, c), β = ∠(a, c), γ = ∠(a, b)). For one lattice,
 * {@linkcode latticeParameters} (plain TypeScript) gives the same numbers as an object.
 *
 * @param lattices `[9·M]` row-major lattices
 * @returns `[6·M]` parameters
 * @throws {GeometryError} For the first invalid lattice
 * @example
 * ```ts
 * import assert from "node:assert";
 * const p = latticeParametersMany(new Float64Array([1, 0, 0, 0, 2, 0, 0, 0, 3]));
 * assert.deepStrictEqual([...p], [1, 2, 3, 90, 90, 90]);
 * ```
 */
export function latticeParametersMany(lattices: Float64Array): Float64Array {
  if (lattices.length % 9 !== 0) {
    throw new GeometryError(
      "bad-shape",
      `Cannot compute lattice parameters: "${lattices.length}" numbers is not 9 per lattice`,
    );
  }
  const m = lattices.length / 9;
  const out = new Float64Array(6 * m);
  const status = new Int32Array(m);
  callBatch(
    "compute lattice parameters of",
    status,
    (core) => core.lattice_params_many(lattices, out, status),
  );
  return out;
}
