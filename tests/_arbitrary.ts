/**
 * Shared fast-check arbitraries and comparison helpers for crystal tests.
 *
 * @example A round-trip property
 * ```ts
 * import fc from "fast-check";
 * import { readPoscar, writePoscar } from "../src/crystal/poscar.ts";
 * fc.assert(
 *   fc.property(arbitraryCrystal(), (c) => assertCrystalsClose(readPoscar(writePoscar(c)), c, 1e-8, "POSCAR")),
 *   { seed: PROPERTY_SEED, numRuns: 20 },
 * );
 * ```
 *
 * @module
 */

import fc from "fast-check";
import { AssertionError } from "./_assert.ts";
import type { Crystal } from "../src/crystal/crystal.ts";
import { latticeFromParameters, matmul3 } from "../src/crystal/lattice.ts";

/** Fixed seed for property tests; fast-check prints it with the failing case. */
export const PROPERTY_SEED = 20240611;

/** Default number of cases per property. */
export const PROPERTY_RUNS = 200;

/**
 * Cells flatter than this (volume / (a·b·c)) are skipped: a 60°/60°/120° corner of the angle
 * range gives a zero-volume cell, and near it coordinates lose digits when converted.
 */
const MIN_RELATIVE_VOLUME = 0.1;

/** Options for {@linkcode arbitraryLattice}. */
export interface LatticeArbitraryOptions {
  /** Shortest and longest vector length, Å (default 2–15). */
  minLength?: number;
  maxLength?: number;
  /** Smallest and largest angle, degrees (default 60–120). */
  minAngle?: number;
  maxAngle?: number;
  /** Apply a random rotation after `latticeFromParameters` (default false: c along z). */
  rotate?: boolean;
}

/**
 * Row-major proper rotation from a quaternion (w, x, y, z), normalised first; applied to a lattice as
 * L · R (rows = vectors).
 */
export function rotationFromQuaternion(q: readonly number[]): Float64Array {
  const s = Math.hypot(q[0], q[1], q[2], q[3]);
  const [w, x, y, z] = [q[0] / s, q[1] / s, q[2] / s, q[3] / s];
  return new Float64Array([
    1 - 2 * (y * y + z * z),
    2 * (x * y - w * z),
    2 * (x * z + w * y),
    2 * (x * y + w * z),
    1 - 2 * (x * x + z * z),
    2 * (y * z - w * x),
    2 * (x * z - w * y),
    2 * (y * z + w * x),
    1 - 2 * (x * x + y * y),
  ]);
}

const unitInterval = fc.double({ min: -1, max: 1, noNaN: true });

/** Random quaternions away from zero (so normalising them is well conditioned). */
export const arbitraryQuaternion: fc.Arbitrary<[number, number, number, number]> = fc
  .tuple(unitInterval, unitInterval, unitInterval, unitInterval)
  .filter((q) => Math.hypot(...q) > 0.1);

/** Random proper rotations, row-major, applied as L · R. */
export const arbitraryRotation: fc.Arbitrary<Float64Array> = arbitraryQuaternion.map(rotationFromQuaternion);

/**
 * Random right-handed lattices (rows = vectors, Å) from parameters: lengths 2–15 Å and angles
 * 60–120° by default, so skewed cells are included; nearly flat cells are filtered out.
 */
export function arbitraryLattice(opts: LatticeArbitraryOptions = {}): fc.Arbitrary<Float64Array> {
  const { minLength = 2, maxLength = 15, minAngle = 60, maxAngle = 120, rotate = false } = opts;
  const length = fc.double({ min: minLength, max: maxLength, noNaN: true });
  const angle = fc.double({ min: minAngle, max: maxAngle, noNaN: true });
  const unit = fc.double({ min: -1, max: 1, noNaN: true });
  const quaternion = rotate
    ? fc.tuple(unit, unit, unit, unit).filter((q) => Math.hypot(...q) > 0.1)
    : fc.constant<[number, number, number, number]>([1, 0, 0, 0]);
  return fc.tuple(length, length, length, angle, angle, angle, quaternion)
    .filter(([a, b, c, alpha, beta, gamma]) => {
      const [ca, cb, cg] = [alpha, beta, gamma].map((x) => Math.cos((x * Math.PI) / 180));
      const f = 1 - ca * ca - cb * cb - cg * cg + 2 * ca * cb * cg;
      return f > 0 && Math.sqrt(f) > MIN_RELATIVE_VOLUME && a * b * c > 0;
    })
    .map(([a, b, c, alpha, beta, gamma, q]) => {
      const l = latticeFromParameters({ a, b, c, alpha, beta, gamma });
      return rotate ? matmul3(l, rotationFromQuaternion(q)) : l;
    });
}

/** Options for {@linkcode arbitraryCrystal}. */
export interface CrystalArbitraryOptions extends LatticeArbitraryOptions {
  /** Fewest and most atoms (default 1–20). */
  minAtoms?: number;
  maxAtoms?: number;
  /** Largest atomic number drawn (default 118). */
  maxZ?: number;
  /** Add random `props` (default false). */
  props?: boolean;
  /** Add a random `name` of letters, digits, `_` and `-` (default false). */
  name?: boolean;
  /**
   * No two atoms are closer than this in every fractional component, modulo 1 (default 1e-3), so
   * no position is occupied twice (CIF readers merge such sites).
   */
  minSeparation?: number;
}

/** True when two fractional positions are within `tol` in every component, modulo 1. */
function samePosition(a: number[], b: number[], tol: number): boolean {
  for (let k = 1; k < 4; k++) {
    const d = a[k] - b[k];
    if (Math.abs(d - Math.round(d)) >= tol) return false;
  }
  return true;
}

/** Property keys drawn when `props` is asked for. */
const PROP_KEYS = ["energy", "band_gap", "formation_energy_per_atom", "heat_ref", "e_above_hull"];

/**
 * Random valid crystals: lattices from {@linkcode arbitraryLattice}, 1–20 atoms with fractional
 * coordinates in [0, 1) (no two at one position) and atomic numbers 1–118, optionally with `props`
 * and `name`.
 */
export function arbitraryCrystal(opts: CrystalArbitraryOptions = {}): fc.Arbitrary<Crystal> {
  const { minAtoms = 1, maxAtoms = 20, maxZ = 118, minSeparation = 1e-3 } = opts;
  const coord = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
  const atom = fc.tuple(fc.integer({ min: 1, max: maxZ }), coord, coord, coord);
  const props = opts.props
    ? fc.option(
      fc.dictionary(fc.constantFrom(...PROP_KEYS), fc.double({ min: -1e6, max: 1e6, noNaN: true })),
      {
        nil: undefined,
      },
    )
    : fc.constant(undefined);
  const name = opts.name
    ? fc.option(fc.stringMatching(/^[A-Za-z0-9_-]{1,16}$/), { nil: undefined })
    : fc.constant(undefined);
  return fc.record({
    lattice: arbitraryLattice(opts),
    atoms: fc.uniqueArray(atom, {
      minLength: minAtoms,
      maxLength: maxAtoms,
      comparator: (a, b) => samePosition(a, b, minSeparation),
    }),
    props,
    name,
  }).map(({ lattice, atoms, props, name }) => ({
    lattice,
    frac: new Float64Array(atoms.flatMap(([, x, y, z]) => [x, y, z])),
    numbers: new Uint8Array(atoms.map(([z]) => z)),
    ...(props !== undefined ? { props: { ...props } } : {}),
    ...(name !== undefined ? { name } : {}),
  }));
}

/**
 * Asserts two crystals are the same to `tol`: equal atomic numbers in order, lattice entries within
 * `tol` (Å), and fractional coordinates within `tol` modulo 1 (so 0.9999999999 matches 0).
 *
 * @throws {AssertionError} Naming the first difference, prefixed by `msg`
 */
export function assertCrystalsClose(actual: Crystal, expected: Crystal, tol: number, msg = ""): void {
  const fail = (detail: string): never => {
    throw new AssertionError({ message: `${msg ? msg + ": " : ""}${detail}`, actual, expected });
  };
  if (actual.numbers.length !== expected.numbers.length) {
    fail(`atom count ${actual.numbers.length} != ${expected.numbers.length}`);
  }
  for (let i = 0; i < expected.numbers.length; i++) {
    if (actual.numbers[i] !== expected.numbers[i]) {
      fail(`atom ${i}: atomic number ${actual.numbers[i]} != ${expected.numbers[i]}`);
    }
  }
  if (actual.lattice.length !== 9) fail(`lattice has ${actual.lattice.length} entries`);
  for (let k = 0; k < 9; k++) {
    const d = Math.abs(actual.lattice[k] - expected.lattice[k]);
    if (!(d <= tol)) {
      fail(`lattice[${k}] ${actual.lattice[k]} != ${expected.lattice[k]} (|diff| ${d} > ${tol})`);
    }
  }
  if (actual.frac.length !== expected.frac.length) fail(`frac has ${actual.frac.length} entries`);
  for (let k = 0; k < expected.frac.length; k++) {
    const diff = actual.frac[k] - expected.frac[k];
    const d = Math.abs(diff - Math.round(diff));
    if (!(d <= tol)) {
      fail(
        `atom ${Math.floor(k / 3)} frac[${k % 3}] ${actual.frac[k]} != ${
          expected.frac[k]
        } (periodic |diff| ${d} > ${tol})`,
      );
    }
  }
}
