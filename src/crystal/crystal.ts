/**
 * The `Crystal` type every part of cdvae exchanges.
 *
 * @module
 */

import { elementSymbol, MAX_ATOMIC_NUMBER } from "./elements.ts";
import { latticeVolume } from "./lattice.ts";

/**
 * A periodic crystal: a lattice (rows = vectors, Å), fractional coordinates and atomic numbers.
 * Coordinates need not lie in [0, 1): the CIF reader wraps them (as pymatgen does), POSCAR and
 * extended XYZ readers keep what the file says.
 */
export interface Crystal {
  /** Lattice matrix, row-major, rows are the vectors a, b, c in Å. */
  lattice: Float64Array;
  /** Fractional coordinates, flat N×3. */
  frac: Float64Array;
  /** Atomic numbers, length N. */
  numbers: Uint8Array;
  /** Optional scalar properties (a dataset's target, energies…). */
  props?: Record<string, number>;
  /** Optional name (CIF data block name, material id). */
  name?: string;
}

/**
 * Number of atoms in a crystal.
 *
 * @example Two atoms
 * ```ts
 * import { assertEquals } from "../../tests/_assert.ts";
 * const nacl = {
 *   lattice: new Float64Array([4, 0, 0, 0, 4, 0, 0, 0, 4]),
 *   frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0.5]),
 *   numbers: new Uint8Array([11, 17]),
 * };
 * assertEquals(atomCount(nacl), 2);
 * ```
 */
export function atomCount(c: Crystal): number {
  return c.numbers.length;
}

/**
 * Checks the shape and values of a crystal and returns it.
 *
 * @throws {TypeError} If arrays have the wrong length
 * @throws {RangeError} If values are not finite, atomic numbers are out of range, or the cell is degenerate
 *
 * @example A coordinate missing
 * ```ts
 * import { assertEquals, assertThrows } from "../../tests/_assert.ts";
 * const nacl = {
 *   lattice: new Float64Array([4, 0, 0, 0, 4, 0, 0, 0, 4]),
 *   frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0.5]),
 *   numbers: new Uint8Array([11, 17]),
 * };
 * assertEquals(validateCrystal(nacl), nacl);
 * assertThrows(() => validateCrystal({ ...nacl, frac: new Float64Array(5) }), TypeError);
 * ```
 */
export function validateCrystal(c: Crystal): Crystal {
  if (!(c.lattice instanceof Float64Array) || c.lattice.length !== 9) {
    throw new TypeError(`Invalid crystal: lattice must be a Float64Array of 9 numbers`);
  }
  if (!(c.frac instanceof Float64Array) || !(c.numbers instanceof Uint8Array)) {
    throw new TypeError(`Invalid crystal: frac must be a Float64Array and numbers a Uint8Array`);
  }
  if (c.frac.length !== 3 * c.numbers.length) {
    throw new TypeError(
      `Invalid crystal: frac has "${c.frac.length}" values for "${c.numbers.length}" atoms, expected 3 per atom`,
    );
  }
  if (!c.lattice.every(Number.isFinite) || !c.frac.every(Number.isFinite)) {
    throw new RangeError(`Invalid crystal: lattice or coordinates contain NaN or Infinity`);
  }
  for (const z of c.numbers) {
    if (z < 1 || z > MAX_ATOMIC_NUMBER) throw new RangeError(`Invalid crystal: atomic number "${z}"`);
  }
  const v = latticeVolume(c.lattice);
  if (!(Math.abs(v) > 1e-8)) {
    throw new RangeError(`Invalid crystal: lattice volume "${v}" Å³ is zero (degenerate cell)`);
  }
  return c;
}

/**
 * Formula from atom counts, elements in order of first appearance: `"SrTiO3"`, or `"Sr1 Ti1 O3"`
 * with `{ spaced: true }`. Counts are not reduced.
 *
 * @example Compact and spaced
 * ```ts
 * import { assertEquals } from "../../tests/_assert.ts";
 * assertEquals(formula([38, 22, 8, 8, 8]), "SrTiO3");
 * assertEquals(formula([11, 17], { spaced: true }), "Na1 Cl1");
 * ```
 */
export function formula(numbers: ArrayLike<number>, opts: { spaced?: boolean } = {}): string {
  const counts = new Map<number, number>();
  for (let i = 0; i < numbers.length; i++) counts.set(numbers[i], (counts.get(numbers[i]) ?? 0) + 1);
  const parts = [...counts].map(([z, n]) => `${elementSymbol(z)}${opts.spaced || n !== 1 ? n : ""}`);
  return parts.join(opts.spaced ? " " : "");
}

/**
 * A deep copy of a crystal.
 *
 * @example The copy is independent
 * ```ts
 * import { assertEquals } from "../../tests/_assert.ts";
 * const nacl = {
 *   lattice: new Float64Array([4, 0, 0, 0, 4, 0, 0, 0, 4]),
 *   frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0.5]),
 *   numbers: new Uint8Array([11, 17]),
 * };
 * const copy = cloneCrystal(nacl);
 * copy.numbers[0] = 19;
 * assertEquals(nacl.numbers[0], 11);
 * ```
 */
export function cloneCrystal(c: Crystal): Crystal {
  return {
    lattice: c.lattice.slice(),
    frac: c.frac.slice(),
    numbers: c.numbers.slice(),
    ...(c.props ? { props: { ...c.props } } : {}),
    ...(c.name !== undefined ? { name: c.name } : {}),
  };
}
