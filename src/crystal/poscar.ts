/**
 * VASP POSCAR/CONTCAR reading and writing (VASP 5 layout, species line required).
 *
 * Layout, one item per line (lines count from 1 in error messages):
 *
 * ```text
 * 1  comment                       → Crystal.name
 * 2  scale factor(s)               s > 0 scales the lattice, s < 0 is the cell volume |s| Å³,
 *                                  three values scale the x, y, z components (VASP 6)
 * 3–5  lattice vectors a, b, c     rows, Å before scaling
 * 6  species                       "Fe O" (POTCAR suffixes "Fe_pv", "Fe_pv/1a2b3c" allowed)
 * 7  counts                        "2 3", one per species entry
 * 8  [Selective dynamics]          optional; first letter S/s
 * 8/9  coordinate mode             first letter D = Direct, C/K = Cartesian (case-insensitive)
 * …  one position per atom         3 numbers; extra columns (flags, labels) are ignored
 * …  velocities, predictor block   ignored
 * ```
 *
 * Cartesian positions are scaled by the same factor(s) as the lattice, as VASP does.
 * VASP refuses left-handed cells (negative triple product), and so does {@linkcode readPoscar}.
 *
 * @module
 */

import { type Crystal, formula, validateCrystal } from "./crystal.ts";
import { atomicNumber, elementSymbol } from "./elements.ts";
import { CrystalParseError, type ReadOptions } from "./errors.ts";
import { cartToFrac, fracToCart, latticeVolume } from "./lattice.ts";
import {
  atomCountProblem,
  coordinatesProblem,
  firstLongLine,
  latticeProblem,
  longLineDetail,
  shown,
  writeProblem,
} from "./limits.ts";

/** Format name used in error messages. */
const FORMAT = "POSCAR";

/**
 * Decimal places written for lattice and coordinates: pymatgen's `Poscar(significant_figures=16)`
 * writes `{:21.16f}`, which keeps round trips exact to about 1e-16 Å.
 */
const DECIMALS = 16;

/** Width of one written number, as pymatgen's `{:21.16f}`. */
const NUMBER_WIDTH = 21;

/**
 * Cells whose volume is below this fraction of |a|·|b|·|c| are degenerate (flat). A cube has 1;
 * cells with angles between 60° and 120° stay well above it.
 */
const MIN_RELATIVE_VOLUME = 1e-10;

/** A decimal number as VASP's Fortran reader accepts it (a `D` exponent included). */
const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eEdD][+-]?\d+)?$/;

/** Options for {@linkcode writePoscar}. */
export interface WritePoscarOptions {
  /** First line of the file; defaults to the crystal's name, else its formula ("Fe2 O3"). */
  comment?: string;
  /** Write fractional ("Direct", the default) or Cartesian positions. */
  direct?: boolean;
}

/**
 * Reads a VASP 5 POSCAR/CONTCAR. The species line is required: a VASP 4 file (counts right after
 * the lattice) is rejected with a message saying so. Positions are kept as written (not wrapped).
 *
 * @param text The file contents
 * @param opts `name` labels the input in error messages
 * @returns The crystal, with the comment line as `name` when it is not blank
 * @throws {CrystalParseError} Names the file, line and field that could not be read
 *
 * @example Reading rock salt
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * const c = readPoscar(`NaCl
 * 5.64
 * 0 0.5 0.5
 * 0.5 0 0.5
 * 0.5 0.5 0
 * Na Cl
 * 1 1
 * Direct
 * 0 0 0
 * 0.5 0.5 0.5
 * `);
 * deepStrictEqual(Array.from(c.numbers), [11, 17]);
 * deepStrictEqual(c.lattice[1], 2.82);
 * deepStrictEqual(c.name, "NaCl");
 * ```
 */
export function readPoscar(text: string, opts: ReadOptions = {}): Crystal {
  const file = opts.name ?? "<input>";
  const fail = (i: number, field: string, detail: string): never => {
    throw new CrystalParseError(FORMAT, { file, line: i + 1, field }, detail);
  };
  const long = firstLongLine(text);
  if (long >= 0) fail(long, "line", longLineDetail());
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  const tokens = (i: number, field: string): string[] => {
    if (i >= lines.length) {
      fail(i, field, lines.length === 0 ? "input is empty" : `file ends after line ${lines.length}`);
    }
    const t = lines[i].trim();
    return t === "" ? [] : t.split(/\s+/);
  };
  const number = (tok: string, i: number, field: string): number => {
    const x = NUMBER_RE.test(tok) ? Number(tok.replace(/[dD]/, "e")) : NaN;
    if (!Number.isFinite(x)) fail(i, field, `"${shown(tok)}" is not a number`);
    return x;
  };
  const vector = (i: number, field: string): number[] => {
    const t = tokens(i, field);
    if (t.length < 3) fail(i, field, `expected 3 numbers, found ${t.length}`);
    return t.slice(0, 3).map((s) => number(s, i, field));
  };

  if (lines.length === 0) fail(0, "comment", "input is empty");
  const name = lines[0].trim();

  // Line 2: one scale factor, or three (VASP 6). Trailing non-numbers are comments.
  const scaleTokens = tokens(1, "scale factor");
  if (scaleTokens.length === 0) fail(1, "scale factor", "expected a number, found an empty line");
  const nScale = scaleTokens.slice(0, 3).findIndex((s) => !NUMBER_RE.test(s));
  const scales = scaleTokens.slice(0, nScale === -1 ? Math.min(3, scaleTokens.length) : nScale)
    .map((s) => number(s, 1, "scale factor"));
  if (scales.length === 0) number(scaleTokens[0], 1, "scale factor");
  if (scales.length === 2) fail(1, "scale factor", "expected 1 or 3 scale factors, found 2");
  if (scales.length === 3 && scales.some((s) => s <= 0)) {
    fail(
      1,
      "scale factor",
      `three scale factors must be positive, found "${shown(scaleTokens.slice(0, 3).join(" "))}"`,
    );
  }
  if (scales[0] === 0) fail(1, "scale factor", `scale factor is "0"`);

  // Lines 3–5: lattice vectors.
  const raw = [2, 3, 4].flatMap((i) => vector(i, "lattice"));
  if (!Number.isFinite(latticeVolume(raw))) {
    fail(2, "lattice", `lattice values are too large: the cell volume overflows`);
  }
  const checkVolume = (l: number[], what: string): number => {
    const v = latticeVolume(l);
    const len = (k: number) => Math.hypot(l[3 * k], l[3 * k + 1], l[3 * k + 2]);
    const product = len(0) * len(1) * len(2);
    if (!(Math.abs(v) > MIN_RELATIVE_VOLUME * product) || !(Math.abs(v) > 1e-8)) {
      fail(2, "lattice", `${what}volume "${v}" Å³ is zero: the lattice vectors are linearly dependent`);
    }
    if (v < 0) {
      fail(
        2,
        "lattice",
        `${what}volume "${v}" Å³ is negative: VASP rejects left-handed cells, swap two vectors`,
      );
    }
    return v;
  };
  let cartScale: number[];
  if (scales.length === 3) {
    cartScale = scales;
  } else if (scales[0] > 0) {
    cartScale = [scales[0], scales[0], scales[0]];
  } else {
    // A negative scale factor is the target volume.
    const s = Math.cbrt(-scales[0] / checkVolume(raw, "unscaled "));
    cartScale = [s, s, s];
  }
  const lattice = new Float64Array(raw.map((x, k) => x * cartScale[k % 3]));
  checkVolume(Array.from(lattice), "");
  const absurd = latticeProblem(lattice);
  if (absurd !== undefined) fail(2, "lattice", absurd);

  // Line 6: species; line 7: counts.
  const species = tokens(5, "species");
  if (species.length === 0) fail(5, "species", "expected element symbols, found an empty line");
  if (/^[+-]?\d+$/.test(species[0])) {
    fail(
      5,
      "species",
      `the species line is missing (VASP 4 format): expected element symbols such as "Fe O" before ` +
        `the counts, found "${shown(lines[5].trim())}"`,
    );
  }
  const zs = species.map((s) => {
    const symbol = s.split("/")[0].split("_")[0];
    const z = atomicNumber(symbol);
    if (z === undefined) fail(5, "species", `unknown element "${shown(s)}"`);
    return z as number;
  });
  const countTokens = tokens(6, "counts");
  if (countTokens.length !== zs.length) {
    fail(
      6,
      "counts",
      `expected ${zs.length} counts for species "${shown(species.join(" "))}", found ${countTokens.length}`,
    );
  }
  const counts = countTokens.map((s) => {
    if (!/^\+?\d+$/.test(s) || Number(s) < 1) fail(6, "counts", `"${shown(s)}" is not a positive integer`);
    return Number(s);
  });
  const n = counts.reduce((a, b) => a + b, 0);
  const tooMany = atomCountProblem(n);
  if (tooMany !== undefined) fail(6, "counts", tooMany);

  // Optional "Selective dynamics", then the coordinate mode.
  let i = 7;
  if (i < lines.length && /^\s*s/i.test(lines[i])) i++;
  if (i >= lines.length) fail(i, "coordinate mode", `file ends after line ${lines.length}`);
  const mode = lines[i].trim();
  const first = mode.charAt(0).toLowerCase();
  if (first !== "d" && first !== "c" && first !== "k") {
    fail(i, "coordinate mode", `expected "Direct" or "Cartesian", found "${shown(mode)}"`);
  }
  const cartesian = first !== "d";
  i++;

  // Positions; anything after them (velocities, predictor-corrector data) is ignored.
  const coords = new Float64Array(3 * n);
  for (let k = 0; k < n; k++, i++) {
    if (i >= lines.length) {
      fail(i, "positions", `file ends after line ${lines.length}: expected ${n} positions, found ${k}`);
    }
    const v = vector(i, "positions");
    for (let d = 0; d < 3; d++) coords[3 * k + d] = cartesian ? v[d] * cartScale[d] : v[d];
  }
  const numbers = new Uint8Array(n);
  let at = 0;
  for (let s = 0; s < zs.length; s++) numbers.fill(zs[s], at, at += counts[s]);
  const frac = cartesian ? cartToFrac(coords, lattice) : coords;
  const farOff = coordinatesProblem(frac);
  if (farOff !== undefined) throw new CrystalParseError(FORMAT, { file, field: "positions" }, farOff);
  const crystal: Crystal = { lattice, frac, numbers, ...(name !== "" ? { name } : {}) };
  try {
    return validateCrystal(crystal);
  } catch (e) {
    // Only overflow (finite numbers whose product is not) can get here.
    throw new CrystalParseError(FORMAT, { file, field: "positions" }, (e as Error).message);
  }
}

/** One number as pymatgen's `{:21.16f}` writes it. */
function formatNumber(x: number): string {
  return (x === 0 ? 0 : x).toFixed(DECIMALS).padStart(NUMBER_WIDTH);
}

/**
 * Writes a VASP 5 POSCAR with 16 decimals (pymatgen's `Poscar.get_str` layout, scale factor 1).
 * Atoms stay in site order: like pymatgen, only consecutive runs of one element are grouped, so an
 * interleaved crystal (Fe O Fe) gets a repeated species ("Fe O Fe" / "1 1 1"), never a reordering.
 * Each position line ends with its element symbol, which readers ignore.
 *
 * @param c The crystal to write
 * @param opts `comment` for line 1, `direct: false` for Cartesian positions
 * @returns The POSCAR text, ending with a newline
 * @throws {RangeError} If the crystal has no atoms or a left-handed lattice (which VASP rejects),
 *   or fails {@linkcode validateCrystal}
 *
 * @example Round trip
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * const c = {
 *   lattice: new Float64Array([4, 0, 0, 0, 4, 0, 0, 0, 4]),
 *   frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0.5]),
 *   numbers: new Uint8Array([55, 17]),
 * };
 * const text = writePoscar(c);
 * deepStrictEqual(text.split("\n").slice(5, 8), ["Cs Cl", "1 1", "Direct"]);
 * deepStrictEqual(readPoscar(text).frac, c.frac);
 * ```
 */
export function writePoscar(c: Crystal, opts: WritePoscarOptions = {}): string {
  validateCrystal(c);
  const problem = writeProblem(c);
  if (problem !== undefined) throw new RangeError(`Cannot write POSCAR: ${problem}`);
  const n = c.numbers.length;
  if (n === 0) throw new RangeError(`Cannot write POSCAR: the crystal has no atoms`);
  const v = latticeVolume(c.lattice);
  if (v < 0) {
    throw new RangeError(
      `Cannot write POSCAR: lattice volume "${v}" Å³ is negative (left-handed), which VASP rejects`,
    );
  }
  const direct = opts.direct ?? true;
  const comment = (opts.comment ?? c.name ?? formula(c.numbers, { spaced: true })).replace(/[\r\n]+/g, " ");
  const symbols: string[] = [];
  const counts: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i > 0 && c.numbers[i] === c.numbers[i - 1]) {
      counts[counts.length - 1]++;
    } else {
      symbols.push(elementSymbol(c.numbers[i]));
      counts.push(1);
    }
  }
  const coords = direct ? c.frac : fracToCart(c.frac, c.lattice);
  const row = (a: ArrayLike<number>, i: number) =>
    [a[3 * i], a[3 * i + 1], a[3 * i + 2]].map(formatNumber).join(" ");
  const out = [comment, "1.0", row(c.lattice, 0), row(c.lattice, 1), row(c.lattice, 2)];
  out.push(symbols.join(" "), counts.join(" "), direct ? "Direct" : "Cartesian");
  for (let i = 0; i < n; i++) out.push(`${row(coords, i)} ${elementSymbol(c.numbers[i])}`);
  return out.join("\n") + "\n";
}
