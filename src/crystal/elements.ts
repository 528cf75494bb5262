/**
 * Chemical element symbols indexed by atomic number (IUPAC, 1–118).
 *
 * @module
 */

/** Element symbols; `ELEMENT_SYMBOLS[z]` is the symbol of atomic number `z` (index 0 is empty). */
export const ELEMENT_SYMBOLS: readonly string[] = [
  "",
  ...(
    "H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se Br Kr Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba " +
    "La Ce Pr Nd Pm Sm Eu Gd Tb Dy Ho Er Tm Yb Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U Np Pu Am Cm Bk Cf Es Fm Md No Lr Rf Db Sg Bh Hs Mt Ds Rg Cn Nh Fl Mc Lv Ts Og"
  ).split(" "),
];

/** The largest atomic number known to {@linkcode ELEMENT_SYMBOLS}. */
export const MAX_ATOMIC_NUMBER = ELEMENT_SYMBOLS.length - 1;

const NUMBER_BY_SYMBOL = new Map<string, number>(
  ELEMENT_SYMBOLS.map((s, z) => [s.toLowerCase(), z] as [string, number]).filter(([, z]) => z > 0),
);

/**
 * Returns the atomic number of an element symbol (case-insensitive), or `undefined`.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert";
 * strictEqual(atomicNumber("Fe"), 26);
 * ```
 */
export function atomicNumber(symbol: string): number | undefined {
  return NUMBER_BY_SYMBOL.get(symbol.toLowerCase());
}

/**
 * Returns the symbol of atomic number `z`.
 *
 * @throws {RangeError} If `z` is not in 1–118
 *
 * @example Iron
 * ```ts
 * import { assertEquals, assertThrows } from "../../tests/_assert.ts";
 * assertEquals(elementSymbol(26), "Fe");
 * assertThrows(() => elementSymbol(0), RangeError);
 * ```
 */
export function elementSymbol(z: number): string {
  if (!Number.isInteger(z) || z < 1 || z > MAX_ATOMIC_NUMBER) {
    throw new RangeError(`Cannot name element: atomic number "${z}" is not in 1–${MAX_ATOMIC_NUMBER}`);
  }
  return ELEMENT_SYMBOLS[z];
}

/**
 * Parses a species label as it appears in crystal files: an element symbol optionally followed by
 * digits, an oxidation state (`Fe3+`, `O2-`, `Fe+3`) or other label decoration (`Fe1`, `O_a`).
 * Returns the atomic number and the oxidation state when one is written, or `undefined` when the
 * label does not start with an element symbol.
 */
export function parseSpecies(label: string): { z: number; oxidation?: number } | undefined {
  const m = /^([A-Z][a-z]?)(.*)$/.exec(label.trim().replace(/^([a-z])/, (c) => c.toUpperCase()));
  if (!m) return undefined;
  let [, sym, rest] = m;
  let z = atomicNumber(sym);
  // A two-letter match that is not an element ("Co" is, "Cx" is not) falls back to one letter.
  if (z === undefined && sym.length === 2) {
    rest = sym[1] + rest;
    sym = sym[0];
    z = atomicNumber(sym);
  }
  if (z === undefined) return undefined;
  const ox = /^(\d*(?:\.\d+)?)([+-])$/.exec(rest) ?? /^([+-])(\d*(?:\.\d+)?)$/.exec(rest);
  if (ox) {
    const sign = ox[1] === "+" || ox[1] === "-" ? ox[1] : ox[2];
    const mag = ox[1] === "+" || ox[1] === "-" ? ox[2] : ox[1];
    const value = (mag === "" ? 1 : Number(mag)) * (sign === "-" ? -1 : 1);
    return { z, oxidation: value };
  }
  return { z };
}

/**
 * Pauling electronegativities indexed by atomic number, as pymatgen's `Element.X` (2025.10):
 * `NaN` where pymatgen has none (He, Ne, Ar, Z ≥ 104). Index 0 is `NaN`.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert";
 * strictEqual(PAULING_ELECTRONEGATIVITY[8], 3.44);
 * ```
 */
export const PAULING_ELECTRONEGATIVITY: readonly number[] = [
  NaN,
  ...(
    "2.2 NaN 0.98 1.57 2.04 2.55 3.04 3.44 3.98 NaN 0.93 1.31 1.61 1.9 2.19 2.58 3.16 NaN 0.82 1 1.36 1.54 " +
    "1.63 1.66 1.55 1.83 1.88 1.91 1.9 1.65 1.81 2.01 2.18 2.55 2.96 3 0.82 0.95 1.22 1.33 1.6 2.16 1.9 2.2 " +
    "2.28 2.2 1.93 1.69 1.78 1.96 2.05 2.1 2.66 2.6 0.79 0.89 1.1 1.12 1.13 1.14 1.13 1.17 1.2 1.2 1.1 1.22 " +
    "1.23 1.24 1.25 1.1 1.27 1.3 1.5 2.36 1.9 2.2 2.2 2.28 2.54 2 1.62 2.33 2.02 2 2.2 2.2 0.7 0.9 1.1 1.3 " +
    "1.5 1.38 1.36 1.28 1.3 1.3 1.3 1.3 1.3 1.3 1.3 1.3 1.3"
  ).split(" ").map(Number),
  ...new Array<number>(15).fill(NaN),
];
