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
