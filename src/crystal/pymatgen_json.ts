/**
 * pymatgen `Structure.as_dict()` objects (what `structure.to(fmt="json")` and Materials Project
 * JSON hold) to and from `Crystal`.
 *
 * Only ordered structures are read: one species of occupancy 1 per site. `lattice.matrix` rows
 * are the vectors a, b, c (Å), `abc` fractional and `xyz` Cartesian (Å) coordinates, as in
 * pymatgen. `Crystal.props` map to the structure-level `properties`; `Crystal.name` has no place
 * in the dict and is not written.
 *
 * @module
 */

import { type Crystal, validateCrystal } from "./crystal.ts";
import { atomicNumber, elementSymbol } from "./elements.ts";
import { CrystalParseError, type ReadOptions } from "./errors.ts";
import { cartToFrac, fracToCart, latticeParameters, latticeVolume } from "./lattice.ts";
import { atomCountProblem, coordinatesProblem, latticeProblem, shown, writeProblem } from "./limits.ts";

/** Format name used in error messages. */
const FORMAT = "pymatgen JSON";

/** Occupancies this close to 1 count as fully occupied (pymatgen writes 1 or 1.0). */
const OCCUPANCY_TOLERANCE = 1e-6;

/** Cells with |det L| at or below this (Å³) are degenerate, as in `validateCrystal`. */
const MIN_VOLUME = 1e-8;

/** One species entry of a site: element symbol and occupancy (oxidation state optional). */
export interface PymatgenSpecies {
  /** Element symbol. */
  element: string;
  /** Occupancy (1 for the ordered crystals written here). */
  occu: number;
  /** Oxidation state, when the species carries one. */
  oxidation_state?: number;
}

/** One site of {@linkcode PymatgenStructureDict}. */
export interface PymatgenSite {
  /** The species on the site (one for an ordered site). */
  species: PymatgenSpecies[];
  /** Fractional coordinates. */
  abc: number[];
  /** Cartesian coordinates, Å. */
  xyz: number[];
  /** Site label (the element symbol by default). */
  label: string;
  /** Extra properties, kept as read. */
  properties: Record<string, unknown>;
}

/** The lattice of {@linkcode PymatgenStructureDict} (`Lattice.as_dict(verbosity=1)`). */
export interface PymatgenLattice {
  /** Rows are the vectors a, b, c in Å. */
  matrix: number[][];
  /** Periodicity along a, b, c (always periodic here). */
  pbc: boolean[];
  /** Length of a (Å). */
  a: number;
  /** Length of b (Å). */
  b: number;
  /** Length of c (Å). */
  c: number;
  /** α (degrees). */
  alpha: number;
  /** β (degrees). */
  beta: number;
  /** γ (degrees). */
  gamma: number;
  /** |det matrix|, Å³. */
  volume: number;
}

/** A pymatgen `Structure.as_dict()` object. */
export interface PymatgenStructureDict {
  /** pymatgen's module of the class (MSON marker). */
  "@module": "pymatgen.core.structure";
  /** pymatgen's class name (MSON marker). */
  "@class": "Structure";
  /** Total charge of the structure. */
  charge: number;
  /** The lattice. */
  lattice: PymatgenLattice;
  /** Extra properties, kept as read. */
  properties: Record<string, unknown>;
  /** The sites, in order. */
  sites: PymatgenSite[];
}

/**
 * Converts a crystal to pymatgen's `Structure.as_dict()` layout (verbosity 1: lattice parameters
 * and Cartesian `xyz` included). `props` become the structure's `properties`.
 *
 * @param c The crystal
 * @returns A plain object; `JSON.stringify` it for a file `Structure.from_dict` reads
 * @throws {TypeError | RangeError} If the crystal fails `validateCrystal`
 *
 * @example Through JSON
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * const c = {
 *   lattice: new Float64Array([4, 0, 0, 0, 4, 0, 0, 0, 4]),
 *   frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0.5]),
 *   numbers: new Uint8Array([55, 17]),
 * };
 * const d = toPymatgenDict(c);
 * deepStrictEqual(d.sites[1].species, [{ element: "Cl", occu: 1 }]);
 * deepStrictEqual(d.lattice.volume, 64);
 * deepStrictEqual(fromPymatgenDict(JSON.parse(JSON.stringify(d))).frac, c.frac);
 * ```
 */
export function toPymatgenDict(c: Crystal): PymatgenStructureDict {
  validateCrystal(c);
  const problem = writeProblem(c);
  if (problem !== undefined) throw new RangeError(`Cannot write pymatgen JSON: ${problem}`);
  const cart = fracToCart(c.frac, c.lattice);
  const row = (a: ArrayLike<number>, i: number) => [a[3 * i], a[3 * i + 1], a[3 * i + 2]];
  const sites: PymatgenSite[] = [];
  for (let i = 0; i < c.numbers.length; i++) {
    const element = elementSymbol(c.numbers[i]);
    sites.push({
      species: [{ element, occu: 1 }],
      abc: row(c.frac, i),
      xyz: row(cart, i),
      label: element,
      properties: {},
    });
  }
  return {
    "@module": "pymatgen.core.structure",
    "@class": "Structure",
    charge: 0,
    lattice: {
      matrix: [row(c.lattice, 0), row(c.lattice, 1), row(c.lattice, 2)],
      pbc: [true, true, true],
      ...latticeParameters(c.lattice),
      volume: Math.abs(latticeVolume(c.lattice)),
    },
    properties: { ...c.props },
    sites,
  };
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function describe(x: unknown): string {
  if (x === undefined) return "nothing";
  if (x === null) return "null";
  if (Array.isArray(x)) return `an array of ${x.length}`;
  if (typeof x === "object") return "an object";
  return `${typeof x} "${shown(String(x))}"`;
}

/**
 * Reads a pymatgen `Structure.as_dict()` object (or its JSON text). Coordinates come from each
 * site's `abc`, or from `xyz` converted when `abc` is absent. Oxidation states and site or
 * structure properties that are not finite numbers are ignored.
 *
 * @param d The parsed JSON object, or a JSON string
 * @param opts `name` labels the input in error messages
 * @returns The crystal, with numeric structure `properties` as `props`
 * @throws {CrystalParseError} Names the JSON path (`sites[3].abc`) that could not be read,
 *   including disordered sites (several species or partial occupancy)
 *
 * @example Minimal dict
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * const c = fromPymatgenDict({
 *   lattice: { matrix: [[3, 0, 0], [0, 3, 0], [0, 0, 3]] },
 *   sites: [{ species: [{ element: "Po", occu: 1 }], abc: [0, 0, 0] }],
 * });
 * deepStrictEqual(Array.from(c.numbers), [84]);
 * ```
 */
export function fromPymatgenDict(d: unknown, opts: ReadOptions = {}): Crystal {
  const file = opts.name ?? "<input>";
  const fail = (field: string | undefined, detail: string): never => {
    throw new CrystalParseError(FORMAT, { file, ...(field !== undefined ? { field } : {}) }, detail);
  };
  if (typeof d === "string") {
    try {
      d = JSON.parse(d);
    } catch (e) {
      fail(undefined, `invalid JSON: ${(e as Error).message}`);
    }
  }
  if (!isObject(d)) return fail(undefined, `expected a Structure object, found ${describe(d)}`);
  const cls = d["@class"];
  if (cls !== undefined && cls !== "Structure" && cls !== "IStructure") {
    fail("@class", `expected "Structure", found ${describe(cls)}`);
  }
  const numbersAt = (x: unknown, path: string, length: number): number[] => {
    if (!Array.isArray(x) || x.length !== length) {
      fail(path, `expected an array of ${length} numbers, found ${describe(x)}`);
    }
    return (x as unknown[]).map((v, k) => {
      if (typeof v !== "number" || !Number.isFinite(v)) {
        fail(`${path}[${k}]`, `expected a number, found ${describe(v)}`);
      }
      return v as number;
    });
  };

  const lat = d.lattice;
  if (!isObject(lat)) return fail("lattice", `expected an object with "matrix", found ${describe(lat)}`);
  const matrix = lat.matrix;
  if (!Array.isArray(matrix) || matrix.length !== 3) {
    fail("lattice.matrix", `expected 3 rows of 3 numbers, found ${describe(matrix)}`);
  }
  const lattice = new Float64Array(
    (matrix as unknown[]).flatMap((r, i) => numbersAt(r, `lattice.matrix[${i}]`, 3)),
  );
  const volume = latticeVolume(lattice);
  if (!(Math.abs(volume) > MIN_VOLUME) && Number.isFinite(volume)) {
    fail("lattice.matrix", `volume "${volume}" Å³ is zero (degenerate cell)`);
  }
  const absurd = latticeProblem(lattice);
  if (absurd !== undefined) fail("lattice.matrix", absurd);
  if (lat.pbc !== undefined) {
    if (!Array.isArray(lat.pbc) || lat.pbc.length !== 3 || !lat.pbc.every((p) => p === true)) {
      fail(
        "lattice.pbc",
        `expected [true, true, true] (a crystal is periodic), found ${JSON.stringify(lat.pbc)}`,
      );
    }
  }

  const sites = d.sites;
  if (!Array.isArray(sites)) return fail("sites", `expected an array of sites, found ${describe(sites)}`);
  const n = sites.length;
  const tooMany = atomCountProblem(n);
  if (tooMany !== undefined) fail("sites", tooMany);
  const numbers = new Uint8Array(n);
  const frac = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) {
    const at = `sites[${i}]`;
    const site = sites[i];
    if (!isObject(site)) return fail(at, `expected a site object, found ${describe(site)}`);
    const species = site.species;
    if (!Array.isArray(species) || species.length === 0) {
      fail(`${at}.species`, `expected an array with one species, found ${describe(species)}`);
    }
    if ((species as unknown[]).length > 1) {
      fail(`${at}.species`, `site ${i} is disordered: ${(species as unknown[]).length} species share it`);
    }
    const sp = (species as unknown[])[0];
    if (!isObject(sp)) return fail(`${at}.species[0]`, `expected a species object, found ${describe(sp)}`);
    const z = typeof sp.element === "string" ? atomicNumber(sp.element) : undefined;
    if (z === undefined) fail(`${at}.species[0].element`, `unknown element: found ${describe(sp.element)}`);
    numbers[i] = z as number;
    const occu = sp.occu ?? 1;
    if (typeof occu !== "number" || !(Math.abs(occu - 1) <= OCCUPANCY_TOLERANCE)) {
      fail(
        `${at}.species[0].occu`,
        `site ${i} is partially occupied: occupancy ${describe(occu)}, expected 1`,
      );
    }
    let f: ArrayLike<number>;
    if (site.abc !== undefined) f = numbersAt(site.abc, `${at}.abc`, 3);
    else if (site.xyz !== undefined) f = cartToFrac(numbersAt(site.xyz, `${at}.xyz`, 3), lattice);
    else return fail(at, `expected "abc" or "xyz" coordinates, found neither`);
    const farOff = coordinatesProblem(f);
    if (farOff !== undefined) fail(at, farOff.replace(/ of atom \d+/, ""));
    frac.set(f, 3 * i);
  }

  const props: Record<string, number> = {};
  if (isObject(d.properties)) {
    for (const [k, v] of Object.entries(d.properties)) {
      if (typeof v === "number" && Number.isFinite(v)) props[k] = v;
    }
  }
  return { lattice, frac, numbers, ...(Object.keys(props).length > 0 ? { props } : {}) };
}
