/**
 * Bounds every crystal reader and writer enforces, so absurd input (10^20 atoms, a 50 MB line,
 * a 1e308 Å cell, a 2e-6 Å³ cell) is refused early with a clear message instead of exhausting
 * memory or time, and messages never echo a huge token whole.
 *
 * @module
 */

import type { Crystal } from "./crystal.ts";
import { fracToCart, latticeVolume } from "./lattice.ts";

/**
 * Most atoms one crystal may hold. The largest crystals in materials databases have a few
 * thousand sites; 200 000 leaves room for supercells while keeping arrays and pair searches small.
 */
export const MAX_ATOMS = 200_000;

/** Longest line (characters) a text reader accepts; real crystal files stay under a few hundred. */
export const MAX_LINE_LENGTH = 1 << 20;

/** Longest lattice vector (Å) readers and writers accept: 10 µm, far beyond any unit cell. */
export const MAX_CELL_LENGTH = 1e5;

/** Smallest cell volume (Å³) readers accept: no physical cell holds an atom in less. */
export const MIN_CELL_VOLUME = 1e-2;

/** Largest |fractional coordinate| writers accept; beyond it Cartesian values lose all precision. */
export const MAX_ABS_FRACTIONAL = 1e6;

/** Characters of a value echoed in a message before it is cut. */
const SHOWN_LENGTH = 60;

/**
 * A value as messages quote it: cut to 60 characters with its full length noted, so a 50 MB
 * token never reaches stderr whole.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert";
 * strictEqual(shown("Fe"), "Fe");
 * strictEqual(shown("x".repeat(100)).endsWith("… (100 characters)"), true);
 * ```
 */
export function shown(s: string): string {
  return s.length <= SHOWN_LENGTH ? s : `${s.slice(0, SHOWN_LENGTH)}… (${s.length} characters)`;
}

/**
 * The 0-based index of the first line longer than {@linkcode MAX_LINE_LENGTH}, or -1.
 * Any of `\n`, `\r\n`, `\r` ends a line.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert";
 * strictEqual(firstLongLine("a\nb"), -1);
 * ```
 */
export function firstLongLine(text: string): number {
  if (text.length <= MAX_LINE_LENGTH) return -1;
  let start = 0, line = 0;
  while (start <= text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    if (end - start > MAX_LINE_LENGTH) {
      // A long segment may still be many lines ended by a lone CR.
      const parts = text.slice(start, end).split("\r");
      for (let k = 0; k < parts.length; k++) if (parts[k].length > MAX_LINE_LENGTH) return line + k;
      line += parts.length - 1;
    } else if (text.charCodeAt(end - 1) !== 13) {
      // Lone CRs inside a short segment still count as line breaks.
      for (let k = start; k < end; k++) if (text.charCodeAt(k) === 13) line++;
    } else {
      for (let k = start; k < end - 1; k++) if (text.charCodeAt(k) === 13) line++;
    }
    start = end + 1;
    line++;
  }
  return -1;
}

/** The detail of a refusal for an overlong line. */
export function longLineDetail(): string {
  return `line is longer than ${MAX_LINE_LENGTH} characters; no crystal file has such lines`;
}

/** The detail of a refusal for an atom count past {@linkcode MAX_ATOMS}, or undefined when it fits. */
export function atomCountProblem(n: number): string | undefined {
  if (n <= MAX_ATOMS) return undefined;
  return `${shown(String(n))} atoms is more than the ${MAX_ATOMS} atoms a crystal may hold`;
}

/**
 * Why a lattice read from a file is absurd (a vector longer than {@linkcode MAX_CELL_LENGTH},
 * a volume below {@linkcode MIN_CELL_VOLUME}, a value that is not finite), or undefined.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert";
 * strictEqual(latticeProblem([4, 0, 0, 0, 4, 0, 0, 0, 4]), undefined);
 * strictEqual(typeof latticeProblem([1e308, 0, 0, 0, 4, 0, 0, 0, 4]), "string");
 * ```
 */
export function latticeProblem(l: ArrayLike<number>): string | undefined {
  for (let i = 0; i < 9; i++) {
    if (!Number.isFinite(l[i])) return `lattice value "${l[i]}" is not a finite number`;
  }
  for (let i = 0; i < 3; i++) {
    const len = Math.hypot(l[3 * i], l[3 * i + 1], l[3 * i + 2]);
    if (len > MAX_CELL_LENGTH) {
      return `lattice vector ${"abc"[i]} is ${
        len.toPrecision(6)
      } Å long, more than the ${MAX_CELL_LENGTH} Å allowed`;
    }
  }
  const v = Math.abs(latticeVolume(l));
  if (!(v >= MIN_CELL_VOLUME)) {
    return `cell volume "${v.toPrecision(6)}" Å³ is below ${MIN_CELL_VOLUME} Å³; no atom fits in such a cell`;
  }
  return undefined;
}

/**
 * Why fractional coordinates read from a file are absurd (beyond ±{@linkcode MAX_ABS_FRACTIONAL}
 * or not finite), or undefined; the writers refuse the same values.
 */
export function coordinatesProblem(frac: ArrayLike<number>): string | undefined {
  for (let k = 0; k < frac.length; k++) {
    if (!(Math.abs(frac[k]) <= MAX_ABS_FRACTIONAL)) {
      return `fractional coordinate "${frac[k]}" of atom ${Math.floor(k / 3) + 1} is not finite or ` +
        `beyond ±${MAX_ABS_FRACTIONAL}`;
    }
  }
  return undefined;
}

/**
 * Why a crystal cannot be written faithfully (a non-finite or absurd lattice, fractional or
 * Cartesian value), or undefined. Writers call it after `validateCrystal`, so a file they write
 * never holds `Infinity` or `NaN` that the readers would then refuse.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert";
 * const c = { lattice: new Float64Array([4, 0, 0, 0, 4, 0, 0, 0, 4]), frac: new Float64Array([1e308, 0, 0]), numbers: new Uint8Array([1]) };
 * strictEqual(typeof writeProblem(c), "string");
 * ```
 */
export function writeProblem(c: Crystal): string | undefined {
  for (let i = 0; i < 9; i++) {
    if (!Number.isFinite(c.lattice[i])) return `lattice value "${c.lattice[i]}" is not a finite number`;
  }
  for (let i = 0; i < 3; i++) {
    const len = Math.hypot(c.lattice[3 * i], c.lattice[3 * i + 1], c.lattice[3 * i + 2]);
    if (!(len <= MAX_CELL_LENGTH)) {
      return `lattice vector ${"abc"[i]} is ${
        len.toPrecision(6)
      } Å long, more than the ${MAX_CELL_LENGTH} Å allowed`;
    }
  }
  const coords = coordinatesProblem(c.frac);
  if (coords !== undefined) return coords;
  const cart = fracToCart(c.frac, c.lattice);
  for (let k = 0; k < cart.length; k++) {
    if (!Number.isFinite(cart[k])) return `Cartesian coordinate of atom ${Math.floor(k / 3)} is not finite`;
  }
  return undefined;
}
