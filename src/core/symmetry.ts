/**
 * Space-group symmetry on the wasm core, found by the `moyo` crate (spglib's Rust successor):
 * the space-group type of a crystal, its standardised conventional and primitive cells, and the
 * crystal idealised to its group. Batch functions take many crystals per call.
 *
 * Conventions. Tolerances are spglib's: `symprec` is a distance in Å, `angleTolerance` an angle in
 * degrees (left out: spglib's default, lattice checks by `symprec` alone). Settings are spglib's
 * (the smallest Hall number of each type), so Hall numbers equal spglib's. A transformation
 * (P, p) is the International Tables' (and moyo's): (a_s, b_s, c_s) = (a, b, c)·P and
 * x_s = P⁻¹·(x − p); with our row lattices that is L_s = Pᵀ·L. spglib's `transformation_matrix` is
 * P⁻¹. The standardised cells keep the input's Cartesian orientation (refined, not rotated).
 *
 * Agreement with spglib: moyo fits each operation's translation to all atoms before measuring, so
 * alone it accepts more symmetry than spglib at the same `symprec`. The core re-checks moyo's
 * operations with spglib's test (translation pinned to one pivot atom, every atom within `symprec`)
 * and reports the group of the operations that pass. Measured on the first 1 000 test crystals
 * (tests/fixtures/README.md): the same number as spglib 2.7.0 on 99.1–99.9 % of Perov-5 and MP-20 and
 * 94.9–98.5 % of Carbon-24, crystals at the edge of the tolerance where the two searches' lattice
 * checks and tolerance retries differ.
 *
 * @module
 */

import type { Crystal } from "../crystal/crystal.ts";
import type { SymmetryOp } from "../crystal/symmetry_ops.ts";
import { callBatch, callChunks, callCore, GeometryError, kindOfCode, packCrystals } from "./wasm.ts";

export { GeometryError } from "./wasm.ts";

/** Default distance tolerance (Å): pymatgen's `SpacegroupAnalyzer` default. */
export const DEFAULT_SYMPREC = 0.01;

/** Options of the symmetry functions. */
export interface SymmetryOptions {
  /** Distance tolerance in Å, finite and > 0 (default {@linkcode DEFAULT_SYMPREC}). */
  symprec?: number;
  /** Angle tolerance in degrees, in (0, 90); left out: spglib's default. */
  angleTolerance?: number;
}

/** A transformation (P, p): (a_s, b_s, c_s) = (a, b, c)·P, x_s = P⁻¹·(x − p). */
export interface CellTransform {
  /** P, row-major 3×3 (real: a supercell input gives fractions). */
  linear: Float64Array;
  /** p, fractional in the input cell. */
  originShift: Float64Array;
}

/** The space-group type of a Hall setting. */
export interface SpaceGroupType {
  /** ITA number, 1–230. */
  number: number;
  /** Short Hermann–Mauguin symbol as spglib's `international` writes it ("Fd-3m", "P2_1/c"). */
  symbol: string;
  /** Hall number, 1–530. */
  hallNumber: number;
  /** Hall symbol ("F 4d 2 3 -1d"). */
  hallSymbol: string;
}

/** What {@linkcode spaceGroup} finds for one crystal. */
export interface SpaceGroupResult extends SpaceGroupType {
  /** Symmetry operations of the input cell (a supercell's pure translations included). */
  operations: number;
  /** The `symprec` the search finally used (moyo, like spglib, retries with other values). */
  symprec: number;
  /** Standardised conventional cell, refined to the exact symmetry. */
  conventional: Crystal;
  /** Input → conventional. */
  toConventional: CellTransform;
  /** Standardised primitive cell, refined. */
  primitive: Crystal;
  /** Input → primitive. */
  toPrimitive: CellTransform;
  /** `[N]`: the primitive-cell site of each input atom. */
  primitiveSites: Uint32Array;
  /** `[N]`: the lowest input index in each atom's orbit (spglib's `crystallographic_orbits`). */
  orbits: Uint32Array;
  /** One Wyckoff letter per input atom. */
  wyckoffs: string;
}

/** Largest number of conventional-cell sites per input atom (F centring). */
const MAX_CENTRING = 4;

/** Values per crystal in the core's outputs (see `wasm/src/api_symmetry.rs`). */
const INTS = 5, TRANSFORM = 24, SITES = 3;

/** Most operations of a space group in its conventional cell (F-centred cubic: 48 × 4). */
const MAX_OPERATIONS = 192;

const ACTION = "find the space group of";
const SYMMETRIZE = "symmetrize";

let hallTable: SpaceGroupType[] | undefined;
let hallOfNumber: number[] | undefined;

/** The core's Hall-symbol table, read once. */
function halls(): SpaceGroupType[] {
  if (!hallTable) {
    const text = callCore("read the Hall-symbol table", (core) => core.hall_symbol_table());
    hallTable = text.trimEnd().split("\n").map((line, i) => {
      const [number, symbol, hallSymbol] = line.split("\t");
      return { number: Number(number), symbol, hallNumber: i + 1, hallSymbol };
    });
    hallOfNumber = [];
    for (const h of hallTable) hallOfNumber[h.number] ??= h.hallNumber;
  }
  return hallTable;
}

/**
 * The space-group type of a Hall number (1–530).
 *
 * @param hallNumber The Hall number
 * @returns Its type
 * @throws {RangeError} Outside 1–530
 * @example
 * ```ts
 * import assert from "node:assert";
 * assert.strictEqual(spaceGroupOfHall(81).symbol, "P2_1/c");
 * ```
 */
export function spaceGroupOfHall(hallNumber: number): SpaceGroupType {
  const t = Number.isInteger(hallNumber) ? halls()[hallNumber - 1] : undefined;
  if (!t) throw new RangeError(`Cannot look up Hall number "${hallNumber}": expected an integer in 1–530`);
  return { ...t };
}

/**
 * The Hermann–Mauguin symbol of a space-group number in spglib's setting for it (the smallest Hall
 * number): 225 → "Fm-3m".
 *
 * @param number ITA number, 1–230
 * @returns The short symbol
 * @throws {RangeError} Outside 1–230
 * @example
 * ```ts
 * import assert from "node:assert";
 * assert.strictEqual(spaceGroupSymbol(221), "Pm-3m");
 * ```
 */
export function spaceGroupSymbol(number: number): string {
  halls();
  const h = Number.isInteger(number) ? hallOfNumber![number] : undefined;
  if (h === undefined) {
    throw new RangeError(`Cannot look up space group "${number}": expected an integer in 1–230`);
  }
  return hallTable![h - 1].symbol;
}

const operationsOfHall = new Map<number, readonly SymmetryOp[]>();

/**
 * The symmetry operations of a Hall setting on fractional coordinates of its standardised
 * conventional cell — the `conventional` cell {@linkcode spaceGroup} returns for that Hall number —
 * centring translations included (the zero translation first, as the International Tables list
 * them), from moyo's Hall-symbol table. Each operation is `[R | t]` as 12 numbers (R row-major,
 * then t in [0, 1)), acting as x' = R·x + t, the form CIF readers and writers use.
 *
 * @param hallNumber The Hall number, 1–530 (e.g. {@linkcode SpaceGroupResult}'s `hallNumber`)
 * @returns The operations, identity first; fresh arrays on every call
 * @throws {RangeError} Outside 1–530
 * @example C2/m (Hall 63, "-C 2y") has 4 rotations and the C-centring translation
 * ```ts
 * import assert from "node:assert";
 * const ops = spaceGroupOperations(63);
 * assert.strictEqual(ops.length, 8);
 * assert.deepStrictEqual([...ops[4].subarray(9)], [0.5, 0.5, 0]);
 * ```
 */
export function spaceGroupOperations(hallNumber: number): SymmetryOp[] {
  if (!(Number.isInteger(hallNumber) && hallNumber >= 1 && hallNumber <= 530)) {
    throw new RangeError(
      `Cannot list the operations of Hall number "${hallNumber}": expected an integer in 1–530`,
    );
  }
  let ops = operationsOfHall.get(hallNumber);
  if (!ops) {
    const out = new Float64Array(12 * MAX_OPERATIONS);
    const count = callCore("list the symmetry operations", (core) => {
      const k = core.hall_operations(hallNumber, out);
      if (k < 0) {
        throw new GeometryError(
          kindOfCode(-k),
          `Cannot list the symmetry operations: ${core.last_error_message()}`,
        );
      }
      return k;
    });
    ops = Array.from({ length: count }, (_, k) => out.slice(12 * k, 12 * k + 12));
    operationsOfHall.set(hallNumber, ops);
  }
  return ops.map((op) => op.slice());
}

/** The tolerances as the core takes them (angle ≤ 0 means the default). */
function tolerances(opts: SymmetryOptions): [number, number] {
  const symprec = opts.symprec ?? DEFAULT_SYMPREC;
  const angle = opts.angleTolerance;
  if (angle !== undefined && !(angle > 0 && angle < 90)) {
    throw new GeometryError(
      "bad-parameter",
      `Cannot ${ACTION} crystals: angleTolerance "${angle}" is not in (0, 90) degrees`,
    );
  }
  return [symprec, angle ?? 0];
}

/** Atomic numbers of a batch, concatenated. */
function packNumbers(batch: readonly Crystal[], atoms: number): Uint8Array {
  const numbers = new Uint8Array(atoms);
  let at = 0;
  for (const c of batch) {
    numbers.set(c.numbers, at);
    at += c.numbers.length;
  }
  return numbers;
}

/**
 * The space-group numbers of many crystals: the fast path for reports (no cells are returned).
 *
 * @param crystals The crystals (each with at least one atom)
 * @param opts Tolerances
 * @returns One ITA number (1–230) per crystal
 * @throws {GeometryError} For the first crystal that fails; `index` says which
 * @example A cubic perovskite and a distorted copy
 * ```ts
 * import assert from "node:assert";
 * const srtio3 = {
 *   lattice: new Float64Array([3.905, 0, 0, 0, 3.905, 0, 0, 0, 3.905]),
 *   frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0.5, 0.5, 0.5, 0, 0.5, 0, 0.5, 0, 0.5, 0.5]),
 *   numbers: new Uint8Array([38, 22, 8, 8, 8]),
 * };
 * const tilted = { ...srtio3, frac: srtio3.frac.map((x, i) => i === 3 ? x + 0.02 : x) };
 * assert.deepStrictEqual([...spaceGroupNumberMany([srtio3, tilted])], [221, 99]);
 * assert.deepStrictEqual([...spaceGroupNumberMany([tilted], { symprec: 0.2 })], [221]);
 * ```
 */
export function spaceGroupNumberMany(crystals: readonly Crystal[], opts: SymmetryOptions = {}): Int32Array {
  const [symprec, angle] = tolerances(opts);
  const out = new Int32Array(crystals.length);
  for (const [offset, batch] of callChunks(crystals)) {
    const { lattices, frac, offsets } = packCrystals(batch, ACTION);
    const m = batch.length;
    const numbers = packNumbers(batch, offsets[m]);
    const part = new Int32Array(m), hall = new Int32Array(m), used = new Float64Array(m);
    const status = new Int32Array(m);
    callBatch(
      ACTION,
      status,
      (core) =>
        core.space_group_numbers(lattices, frac, offsets, numbers, symprec, angle, part, hall, used, status),
      offset,
    );
    out.set(part, offset);
  }
  return out;
}

/**
 * The space group of one crystal with its standardised cells and transformations.
 *
 * @param c The crystal (at least one atom)
 * @param opts Tolerances
 * @returns The group, cells and per-atom data
 * @throws {GeometryError} `"bad-parameter"` (symprec or angle tolerance out of range, or a lattice
 *   translation shorter than 1 Å: no real crystal has one, and moyo's search on such cells may not
 *   end), `"degenerate-lattice"`, `"non-finite"`, `"no-atoms"`, `"no-convergence"` (moyo found no
 *   consistent group, e.g. atoms closer than `symprec`)
 * @example Rock salt from its primitive cell
 * ```ts
 * import assert from "node:assert";
 * const h = 5.64 / 2;
 * const nacl = {
 *   lattice: new Float64Array([0, h, h, h, 0, h, h, h, 0]),
 *   frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0.5]),
 *   numbers: new Uint8Array([11, 17]),
 * };
 * const sg = spaceGroup(nacl);
 * assert.strictEqual(sg.number, 225);
 * assert.strictEqual(sg.symbol, "Fm-3m");
 * assert.strictEqual(sg.conventional.numbers.length, 8);
 * assert.strictEqual(sg.wyckoffs, "ab");
 * ```
 */
export function spaceGroup(c: Crystal, opts: SymmetryOptions = {}): SpaceGroupResult {
  return spaceGroupMany([c], opts)[0];
}

/**
 * {@linkcode spaceGroup} for many crystals (batched calls into the core).
 *
 * @param crystals The crystals
 * @param opts Tolerances
 * @returns One result per crystal, in order
 * @throws {GeometryError} For the first crystal that fails; `index` says which
 * @example
 * ```ts
 * import assert from "node:assert";
 * const po = { lattice: new Float64Array([3.35, 0, 0, 0, 3.35, 0, 0, 0, 3.35]), frac: new Float64Array(3), numbers: new Uint8Array([84]) };
 * const [a, b] = spaceGroupMany([po, { ...po, lattice: po.lattice.map((x, i) => i === 8 ? 4 : x) }]);
 * assert.deepStrictEqual([a.symbol, b.symbol], ["Pm-3m", "P4/mmm"]);
 * ```
 */
export function spaceGroupMany(crystals: readonly Crystal[], opts: SymmetryOptions = {}): SpaceGroupResult[] {
  const [symprec, angle] = tolerances(opts);
  const results: SpaceGroupResult[] = [];
  for (const [offset, batch] of callChunks(crystals)) {
    const { lattices, frac, offsets } = packCrystals(batch, ACTION);
    const m = batch.length, n = offsets[m];
    const numbers = packNumbers(batch, n);
    const ints = new Int32Array(INTS * m), used = new Float64Array(m);
    const outLattices = new Float64Array(18 * m), transforms = new Float64Array(TRANSFORM * m);
    const convFrac = new Float64Array(3 * MAX_CENTRING * n), convNumbers = new Uint8Array(MAX_CENTRING * n);
    const primFrac = new Float64Array(3 * n), primNumbers = new Uint8Array(n);
    const sites = new Uint32Array(SITES * n);
    const status = new Int32Array(m);
    callBatch(
      ACTION,
      status,
      (core) =>
        core.space_group_datasets(
          lattices,
          frac,
          offsets,
          numbers,
          symprec,
          angle,
          ints,
          used,
          outLattices,
          transforms,
          convFrac,
          convNumbers,
          primFrac,
          primNumbers,
          sites,
          status,
        ),
      offset,
    );
    for (let i = 0; i < m; i++) {
      const [number, hallNumber, operations, convN, primN] = ints.subarray(INTS * i, INTS * i + INTS);
      const type = halls()[hallNumber - 1];
      const t = transforms.subarray(TRANSFORM * i, TRANSFORM * (i + 1));
      const c0 = MAX_CENTRING * offsets[i], p0 = offsets[i];
      const s = sites.subarray(SITES * offsets[i], SITES * offsets[i + 1]);
      const atoms = offsets[i + 1] - offsets[i];
      results.push({
        number,
        symbol: type.symbol,
        hallNumber,
        hallSymbol: type.hallSymbol,
        operations,
        symprec: used[i],
        conventional: {
          lattice: outLattices.slice(18 * i, 18 * i + 9),
          frac: convFrac.slice(3 * c0, 3 * (c0 + convN)),
          numbers: convNumbers.slice(c0, c0 + convN),
        },
        toConventional: { linear: t.slice(0, 9), originShift: t.slice(9, 12) },
        primitive: {
          lattice: outLattices.slice(18 * i + 9, 18 * i + 18),
          frac: primFrac.slice(3 * p0, 3 * (p0 + primN)),
          numbers: primNumbers.slice(p0, p0 + primN),
        },
        toPrimitive: { linear: t.slice(12, 21), originShift: t.slice(21, 24) },
        primitiveSites: Uint32Array.from({ length: atoms }, (_, k) => s[SITES * k]),
        orbits: Uint32Array.from({ length: atoms }, (_, k) => s[SITES * k + 1]),
        wyckoffs: String.fromCharCode(...Array.from({ length: atoms }, (_, k) => s[SITES * k + 2])),
      });
    }
  }
  return results;
}

/**
 * The crystal idealised to the space group found at `symprec`: the same atoms in the same order
 * and the same cell, with the lattice made exact for the group (a symmetric stretch, no rotation)
 * and every atom moved to its exact position next to where it was. Searching the result again
 * with a tiny `symprec` finds the same group.
 *
 * @param c The crystal (at least one atom)
 * @param opts Tolerances
 * @returns The idealised crystal (`props` and `name` kept)
 * @throws {GeometryError} As {@linkcode spaceGroup}
 * @example A slightly distorted CsCl-type cell becomes exact
 * ```ts
 * import assert from "node:assert";
 * const noisy = {
 *   lattice: new Float64Array([5.64, 0.003, 0, 0, 5.641, 0, 0, 0, 5.639]),
 *   frac: new Float64Array([0.001, 0, 0, 0.5, 0.498, 0.5]),
 *   numbers: new Uint8Array([11, 17]),
 * };
 * assert.ok(spaceGroup(noisy).number < 221); // default symprec 0.01 Å
 * const ideal = symmetrize(noisy, { symprec: 0.05 });
 * assert.strictEqual(spaceGroup(ideal, { symprec: 1e-6 }).number, 221);
 * ```
 */
export function symmetrize(c: Crystal, opts: SymmetryOptions = {}): Crystal {
  return symmetrizeMany([c], opts)[0];
}

/**
 * {@linkcode symmetrize} for many crystals (batched calls into the core).
 *
 * @param crystals The crystals
 * @param opts Tolerances
 * @returns One idealised crystal per input, in order
 * @throws {GeometryError} For the first crystal that fails; `index` says which
 * @example
 * ```ts
 * import assert from "node:assert";
 * const po = { lattice: new Float64Array([3.35, 0, 0, 0, 3.351, 0, 0, 0, 3.349]), frac: new Float64Array(3), numbers: new Uint8Array([84]) };
 * const [ideal] = symmetrizeMany([po]);
 * assert.ok(Math.abs(ideal.lattice[4] - ideal.lattice[0]) < 1e-12);
 * ```
 */
export function symmetrizeMany(crystals: readonly Crystal[], opts: SymmetryOptions = {}): Crystal[] {
  const [symprec, angle] = tolerances(opts);
  const results: Crystal[] = [];
  for (const [offset, batch] of callChunks(crystals)) {
    const { lattices, frac, offsets } = packCrystals(batch, SYMMETRIZE);
    const m = batch.length;
    const numbers = packNumbers(batch, offsets[m]);
    const outLattices = new Float64Array(9 * m), outFrac = new Float64Array(frac.length);
    const groups = new Int32Array(m), status = new Int32Array(m);
    callBatch(
      SYMMETRIZE,
      status,
      (core) =>
        core.symmetrize_structures(
          lattices,
          frac,
          offsets,
          numbers,
          symprec,
          angle,
          outLattices,
          outFrac,
          groups,
          status,
        ),
      offset,
    );
    for (let i = 0; i < m; i++) {
      const c = batch[i];
      const crystal: Crystal = {
        lattice: outLattices.slice(9 * i, 9 * i + 9),
        frac: outFrac.slice(3 * offsets[i], 3 * offsets[i + 1]),
        numbers: Uint8Array.from(c.numbers),
      };
      if (c.props) crystal.props = { ...c.props };
      if (c.name !== undefined) crystal.name = c.name;
      results.push(crystal);
    }
  }
  return results;
}
