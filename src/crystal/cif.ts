/**
 * CIF reading (with symmetry expansion) and P1 writing in the layout of pymatgen's `CifWriter`.
 *
 * Reading follows pymatgen's `CifParser` (checked against pymatgen 2026.10.24 on all 14 866 CIFs of
 * the three validation splits: identical up to site order) where it matters for the result:
 * - the lattice comes from `_cell_length_*` / `_cell_angle_*` through `latticeFromParameters`
 *   (pymatgen's convention: c along z, a in the xz-plane);
 * - coordinates within 1e-4 (relative) of 1/3 or 2/3 are set to those values (pymatgen's
 *   `frac_tolerance`; turn off with `snapFractions: false`);
 * - every symmetry operation is applied to every site, images are wrapped into [0, 1), and images
 *   closer than `mergeTolerance` (default 1e-4 in every fractional component, modulo 1; pymatgen's
 *   `site_tolerance`) are one atom;
 * - all coordinates are wrapped into [0, 1), also in P1 files.
 *
 * Sites come out in file order, each followed by its images in operation order (pymatgen sorts them
 * by electronegativity). Unlike pymatgen the reader refuses, instead of choosing silently:
 * occupancies other than 1 (beyond 1e-3), mixed species such as `'0.75Si + 0.25Al'`, two sites (or
 * their symmetry images) on one position — in P1 blocks too, as pymatgen; `keepCoincidentSites`
 * keeps P1 rows as written, so any crystal {@linkcode writeCif} wrote reads back — and a space
 * group named without its operations (there are no built-in space-group tables).
 *
 * Conventions pymatgen shares: a bare `.` (inapplicable) for a fractional coordinate is 0, as ICSD
 * writes zeros; lines starting with `%` are comments (IZA database files). In a file of several
 * data blocks, a block that cannot be read is skipped and reported through `onSkippedBlock` while
 * the others are read; the file fails only when no block can be read.
 *
 * @module
 */

import { type Crystal, validateCrystal } from "./crystal.ts";
import { atomicNumber, elementSymbol, parseSpecies, PAULING_ELECTRONEGATIVITY } from "./elements.ts";
import { CrystalParseError, type ReadOptions } from "./errors.ts";
import { inverse3, latticeFromParameters, latticeParameters, wrapFrac } from "./lattice.ts";
import { type CifBlock, type CifItem, cifItem, cifLoop, formatFixed, parseCifBlocks } from "./_cif_syntax.ts";
import {
  applySymmetryOp,
  expandSites,
  isIdentityOp,
  parseSymmetryOp,
  type SymmetryOp,
} from "./symmetry_ops.ts";
import {
  atomCountProblem,
  coordinatesProblem,
  firstLongLine,
  latticeProblem,
  longLineDetail,
  MAX_CELL_LENGTH,
  shown,
  writeProblem,
} from "./limits.ts";

/** Default distance (fractional, per component, modulo 1) below which two sites merge; pymatgen's `site_tolerance`. */
export const CIF_MERGE_TOLERANCE = 1e-4;

/** Largest |occupancy − 1| accepted; anything further from 1 is a partially occupied site. */
export const CIF_OCCUPANCY_TOLERANCE = 1e-3;

/** Relative distance to 1/3 or 2/3 within which coordinates snap before symmetry expansion (pymatgen's `frac_tolerance`). */
const IDEAL_FRACTION_TOLERANCE = 1e-4;

/** Options of {@linkcode readCif}. */
export interface CifReadOptions extends ReadOptions {
  /** Fractional distance (per component, modulo 1) below which symmetry images merge; default 1e-4. */
  mergeTolerance?: number;
  /**
   * Set coordinates within 1e-4 (relative) of 1/3 or 2/3 to those values before expansion, as
   * pymatgen's `CifParser` does (`frac_tolerance`), so 0.3333 expands cleanly under a 3-fold axis.
   * Default `true` (pymatgen's parse); `false` keeps coordinates exactly as written.
   */
  snapFractions?: boolean;
  /**
   * In P1 blocks, keep rows that sit on one another (within `mergeTolerance`) instead of refusing
   * the block. Default `false`, as pymatgen; reading back generated crystals (which may overlap)
   * needs `true`.
   */
  keepCoincidentSites?: boolean;
  /**
   * Called for each data block that is skipped because it cannot be read, when another block of
   * the file can. Default: a one-line warning on stderr.
   */
  onSkippedBlock?: (error: CrystalParseError) => void;
}

/** Options of {@linkcode writeCif}. */
export interface CifWriteOptions {
  /** Data block name (no whitespace); default the reduced formula, as pymatgen writes. */
  name?: string;
  /** Decimals of lengths, angles, volume and coordinates; default 8, as pymatgen writes. */
  decimals?: number;
}

const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?(?:\(\d+\))?$/;
const XYZ = ["x", "y", "z"] as const;
const OP_TAGS = ["_symmetry_equiv_pos_as_xyz", "_space_group_symop_operation_xyz"];
const SPACE_GROUP_TAGS = [
  "_symmetry_space_group_name_h-m",
  "_space_group_name_h-m_alt",
  "_space_group_name_hall",
  "_symmetry_int_tables_number",
  "_space_group_it_number",
];

/** Reads one block's items and reports problems with its file, line and tag. */
class BlockReader {
  constructor(readonly block: CifBlock, readonly file: string) {}

  fail(line: number, field: string | undefined, detail: string): never {
    throw new CrystalParseError("CIF", { file: this.file, line, field }, detail);
  }

  get(tag: string): CifItem | undefined {
    return this.block.items.get(tag);
  }

  /** The item, or an error naming the block's `data_` line. */
  need(tag: string, why: string): CifItem {
    return this.get(tag) ?? this.fail(this.block.line, tag, `missing in block "${this.block.name}"${why}`);
  }

  /**
   * Value `k` of `item` as a number (`1.234(5)` allowed); `fallback` for `?` or `.`, or an error;
   * `dot` for a bare `.` only (when given).
   */
  number(item: CifItem, k: number, fallback?: number, dot?: number): number {
    const v = item.values[k]?.trim() ?? null; // trimmed: a number may sit in a text field
    if (v === null) {
      if (dot !== undefined && item.dots?.has(k)) return dot;
      return fallback ??
        this.fail(item.lines[k], item.tag, `value is unknown ("?" or "."), expected a number`);
    }
    if (!NUMBER_RE.test(v)) this.fail(item.lines[k], item.tag, `expected a number, found "${shown(v)}"`);
    const p = v.indexOf("(");
    return Number(p < 0 ? v : v.slice(0, p));
  }

  /** A single-valued numeric item, optionally required to lie strictly between `min` and `max`. */
  scalar(tag: string, min = -Infinity, max = Infinity): number {
    const item = this.need(tag, "");
    if (item.values.length !== 1) {
      this.fail(item.line, item.tag, `expected one value, found ${item.values.length}`);
    }
    const v = this.number(item, 0);
    if (!(v > min && v < max)) {
      this.fail(
        item.lines[0],
        item.tag,
        `value "${shown(item.values[0] ?? "")}" is not between ${min} and ${max} (exclusive)`,
      );
    }
    return v;
  }
}

/** Species labels seen so far (datasets repeat a few hundred labels across thousands of files). */
const SPECIES_CACHE = new Map<string, number | undefined>();

function speciesNumber(text: string): number | undefined {
  if (SPECIES_CACHE.has(text)) return SPECIES_CACHE.get(text);
  // pymatgen tries the first two letters title-cased ("CL1" → Cl), then the first letter.
  const c1 = text.charCodeAt(1) | 32;
  const t = c1 >= 97 && c1 <= 122 ? text[0].toUpperCase() + text[1].toLowerCase() + text.slice(2) : text;
  const z = parseSpecies(t)?.z;
  if (SPECIES_CACHE.size > 4096) SPECIES_CACHE.clear();
  SPECIES_CACHE.set(text, z);
  return z;
}

function snapIdeal(v: number): number {
  for (const ideal of [1 / 3, 2 / 3]) if (Math.abs(v / ideal - 1) <= IDEAL_FRACTION_TOLERANCE) return ideal;
  return v;
}

function cosDeg(x: number): number {
  return x === 90 ? 0 : Math.cos((x * Math.PI) / 180);
}

/** Frac = cart·F + v for `_atom_site_Cartn_*` (returns F row-major for row vectors, and v). */
function cartesianToFractional(r: BlockReader, p: Record<string, number>): [Float64Array, Float64Array] {
  // Explicit transform: core CIF `_atom_sites_fract_tran_matrix_ij`, mmCIF `_atom_sites.fract_transf_matrix[i][j]`.
  const spellings = [
    ["_atom_sites_fract_tran_matrix_%i%j", "_atom_sites_fract_tran_vector_%i"],
    ["_atom_sites_fract_transf_matrix[%i][%j]", "_atom_sites_fract_transf_vector[%i]"],
  ];
  for (const [m, v] of spellings) {
    const tag = (t: string, i: number, j = 0) => t.replace("%i", String(i + 1)).replace("%j", String(j + 1));
    if (!r.get(tag(m, 0, 0))) continue;
    const f = new Float64Array(9), shift = new Float64Array(3);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) f[3 * j + i] = r.scalar(tag(m, i, j)); // transposed: acts on row vectors
      if (r.get(tag(v, i))) shift[i] = r.scalar(tag(v, i));
    }
    return [f, shift];
  }
  // Default orthogonalisation (PDB/mmCIF): a along x, b in the xy-plane.
  const ca = cosDeg(p.alpha), cb = cosDeg(p.beta), cg = cosDeg(p.gamma);
  const sg = Math.sin((p.gamma * Math.PI) / 180);
  const cy = (ca - cb * cg) / sg;
  // deno-fmt-ignore
  const frame = [
    p.a, 0, 0,
    p.b * cg, p.b * sg, 0,
    p.c * cb, p.c * cy, p.c * Math.sqrt(1 - cb * cb - cy * cy),
  ];
  return [inverse3(frame), new Float64Array(3)];
}

function symmetryOps(r: BlockReader): SymmetryOp[] {
  for (const tag of OP_TAGS) {
    const item = r.get(tag);
    if (!item) continue;
    return item.values.map((v, k) => {
      if (v === null) r.fail(item.lines[k], item.tag, `symmetry operation is unknown ("?" or ".")`);
      try {
        return parseSymmetryOp(v);
      } catch (e) {
        return r.fail(item.lines[k], item.tag, (e as Error).message.replace(/^Cannot parse /, "bad "));
      }
    });
  }
  for (const tag of SPACE_GROUP_TAGS) {
    const item = r.get(tag);
    const v = item?.values[0];
    if (!item || v == null || v.replace(/[\s_]/g, "").toLowerCase() === "p1" || v === "1") continue;
    r.fail(
      item.line,
      item.tag,
      `space group "${v}" is given without its symmetry operations ` +
        `(_symmetry_equiv_pos_as_xyz or _space_group_symop_operation_xyz); space-group tables are not built in`,
    );
  }
  return [parseSymmetryOp("x, y, z")];
}

/** A type symbol listing several species with fractions, `'0.75Si + 0.25Al'` or `Si0.5Al0.5`. */
const MIXED_SPECIES_RE =
  /^\s*\d*\.?\d+\s*[A-Z]|[A-Za-z]\s*\d*\.?\d*\s*\+\s*\d*\.?\d*\s*[A-Z]|[A-Z][a-z]?0?\.\d+[A-Z]/;

function readBlock(
  block: CifBlock,
  file: string,
  tol: number,
  snap: boolean,
  keep: boolean,
): Crystal | undefined {
  const r: BlockReader = new BlockReader(block, file);
  const fract = XYZ.map((a) => r.get(`_atom_site_fract_${a}`));
  const cartn = XYZ.map((a) => r.get(`_atom_site_cartn_${a}`));
  const cartesian = !fract.some(Boolean);
  if (cartesian && !cartn.some(Boolean)) return undefined;
  const prefix = cartesian ? "_atom_site_Cartn_" : "_atom_site_fract_";
  const cols = XYZ.map((a) =>
    r.need(`${prefix}${a}`.toLowerCase(), `, while other ${prefix}* tags are present`)
  );

  const p: Record<string, number> = {};
  for (const k of ["a", "b", "c"]) p[k] = r.scalar(`_cell_length_${k}`, 0, MAX_CELL_LENGTH);
  for (const k of ["alpha", "beta", "gamma"]) p[k] = r.scalar(`_cell_angle_${k}`, 0, 180);
  let lattice: Float64Array;
  try {
    lattice = latticeFromParameters({ a: p.a, b: p.b, c: p.c, alpha: p.alpha, beta: p.beta, gamma: p.gamma });
  } catch (e) {
    const item = r.need("_cell_angle_alpha", "");
    return r.fail(item.line, item.tag, (e as Error).message.replace(/^Cannot build lattice: /, ""));
  }
  const absurd = latticeProblem(lattice);
  if (absurd !== undefined) r.fail(r.need("_cell_length_a", "").line, "_cell_length_a", absurd);

  const typeCol = r.get("_atom_site_type_symbol");
  const labelCol = r.get("_atom_site_label");
  const occCol = r.get("_atom_site_occupancy");
  const n = cols[0].values.length;
  const tooMany = atomCountProblem(n);
  if (tooMany !== undefined) r.fail(cols[0].line, cols[0].tag, tooMany);
  for (const item of [...cols, typeCol, labelCol, occCol]) {
    if (item && item.values.length !== n) {
      r.fail(item.line, item.tag, `has ${item.values.length} values, but ${cols[0].tag} has ${n}`);
    }
  }
  if (!typeCol && !labelCol) {
    r.need("_atom_site_type_symbol", " (and no _atom_site_label to take the element from)");
  }
  const label = (i: number) => labelCol?.values[i] ?? typeCol?.values[i] ?? `#${i + 1}`;

  const frac = new Float64Array(3 * n);
  const numbers = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < 3; a++) frac[3 * i + a] = r.number(cols[a], i, undefined, cartesian ? undefined : 0);
    const col = typeCol && typeCol.values[i] !== null ? typeCol : labelCol;
    const text = col?.values[i] ?? null;
    if (col === undefined || text === null) {
      return r.fail(cols[0].lines[i], (labelCol ?? typeCol)?.tag, `site "${label(i)}" has no element symbol`);
    }
    const z = speciesNumber(text.trim());
    if (z === undefined && MIXED_SPECIES_RE.test(text)) {
      r.fail(
        col.lines[i],
        col.tag,
        `site "${shown(label(i))}" holds mixed species "${shown(text)}": partial occupancy is not supported`,
      );
    }
    if (z === undefined) r.fail(col.lines[i], col.tag, `unknown element "${shown(text)}"`);
    numbers[i] = z;
    const occ = occCol ? r.number(occCol, i, 1) : 1;
    if (!(Math.abs(occ - 1) <= CIF_OCCUPANCY_TOLERANCE)) {
      r.fail(
        occCol!.lines[i],
        occCol!.tag,
        `site "${shown(label(i))}" has occupancy "${occ}": partial occupancy is not supported`,
      );
    }
  }
  if (cartesian) {
    const [f, shift] = cartesianToFractional(r, p);
    for (let i = 0; i < n; i++) {
      const x = frac[3 * i], y = frac[3 * i + 1], z = frac[3 * i + 2];
      for (let a = 0; a < 3; a++) frac[3 * i + a] = x * f[a] + y * f[3 + a] + z * f[6 + a] + shift[a];
    }
  }

  const farOff = coordinatesProblem(frac);
  if (farOff !== undefined) {
    const atom = Number(/of atom (\d+)/.exec(farOff)?.[1] ?? 1) - 1;
    r.fail(cols[0].lines[atom], cols[0].tag, farOff);
  }
  const ops = symmetryOps(r);
  if (snap) { for (let k = 0; k < frac.length; k++) frac[k] = snapIdeal(frac[k]); }
  // With `keep`, P1 blocks keep every row, even two on one spot (pymatgen would merge them into an
  // occupancy of 2 and refuse): a written crystal reads back as it was.
  const expanded = keep && ops.length === 1 && isIdentityOp(ops[0])
    ? { frac: frac.map(wrapFrac), source: Int32Array.from(numbers, (_, i) => i) }
    : expandSites(ops, frac, tol);
  if (expanded.conflict) {
    const [i, j] = expanded.conflict;
    const why = numbers[i] === numbers[j]
      ? "the position would be occupied twice"
      : "mixed occupancy is not supported";
    const hint = ops.length === 1 && isIdentityOp(ops[0])
      ? " (the keepCoincidentSites option keeps both)"
      : "";
    const [a, b] = [shown(label(i)), shown(label(j))];
    const what = `sites "${a}" and "${b}" (or their symmetry images) are within ${tol} of each other`;
    r.fail(cols[0].lines[j], (labelCol ?? typeCol)?.tag, `${what}: ${why}${hint}`);
  }
  if (expanded.frac.length / 3 > n) {
    const more = atomCountProblem(expanded.frac.length / 3);
    if (more !== undefined) r.fail(cols[0].line, cols[0].tag, `symmetry expansion gives ${more}`);
  }
  const crystal: Crystal = {
    lattice,
    frac: expanded.frac,
    numbers: Uint8Array.from(expanded.source, (s) => numbers[s]),
    name: block.name,
  };
  try {
    return validateCrystal(crystal);
  } catch (e) {
    return r.fail(block.line, undefined, (e as Error).message);
  }
}

/**
 * Reads every data block with atom sites from CIF text; blocks without `_atom_site_fract_*` or
 * `_atom_site_Cartn_*` are skipped. Fractional coordinates are wrapped into [0, 1). Species come
 * from `_atom_site_type_symbol` (else `_atom_site_label`); oxidation states (`Fe3+`) are dropped.
 * Cartesian sites use `_atom_sites_fract_tran_matrix_*` when given, else the usual frame with a
 * along x and b in the xy-plane.
 *
 * @param text The CIF file
 * @param opts `name` for messages, `mergeTolerance` (default {@linkcode CIF_MERGE_TOLERANCE}),
 *   `snapFractions` (default true)
 * @returns One crystal per block with atoms, `name` = the block name
 * @throws {CrystalParseError} Naming file, line and tag for any malformed input, partial or mixed
 *   occupancy, or a file without atom sites
 * @example Rocksalt in Fm-3m from two sites
 * ```ts
 * import { strictEqual } from "node:assert";
 * const ops = ["x,y,z", "x,y+1/2,z+1/2", "x+1/2,y,z+1/2", "x+1/2,y+1/2,z"].map((o) => `'${o}'`).join("\n");
 * const [nacl] = readCif(`data_NaCl
 * _cell_length_a 5.64(1) _cell_length_b 5.64 _cell_length_c 5.64
 * _cell_angle_alpha 90 _cell_angle_beta 90 _cell_angle_gamma 90
 * loop_ _symmetry_equiv_pos_as_xyz ${ops}
 * loop_ _atom_site_label _atom_site_fract_x _atom_site_fract_y _atom_site_fract_z
 * Na1 0 0 0
 * Cl1 0.5 0.5 0.5
 * `);
 * strictEqual(nacl.numbers.length, 8);
 * strictEqual(nacl.name, "NaCl");
 * ```
 */
export function readCif(text: string, opts: CifReadOptions = {}): Crystal[] {
  const file = opts.name ?? "<input>";
  const tol = opts.mergeTolerance ?? CIF_MERGE_TOLERANCE;
  if (!(tol >= 0 && tol < 0.5)) {
    throw new RangeError(`Cannot read CIF: mergeTolerance "${tol}" is not in [0, 0.5)`);
  }
  const long = firstLongLine(text);
  if (long >= 0) throw new CrystalParseError("CIF", { file, line: long + 1 }, longLineDetail());
  const out: Crystal[] = [];
  const bad: CrystalParseError[] = [];
  for (const block of parseCifBlocks(text, file)) {
    try {
      if (block.error) throw block.error;
      const c = readBlock(block, file, tol, opts.snapFractions ?? true, opts.keepCoincidentSites ?? false);
      if (c) out.push(c);
    } catch (e) {
      if (!(e instanceof CrystalParseError)) throw e;
      bad.push(e);
    }
  }
  if (out.length === 0 && bad.length > 0) throw bad[0];
  const report = opts.onSkippedBlock ??
    ((e: CrystalParseError) => console.warn(`Warning: skipped ${e.message}`));
  for (const e of bad) report(e);
  if (out.length === 0) {
    throw new CrystalParseError(
      "CIF",
      { file },
      `no data block with atom sites (_atom_site_fract_x or _atom_site_Cartn_x)`,
    );
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Writing, in the layout of pymatgen's CifWriter: P1 (no symprec).

/** pymatgen's `Composition.special_formulas`: reduced formulas it keeps doubled. */
const SPECIAL_FORMULAS: Record<string, string> = {
  LiO: "Li2O2",
  NaO: "Na2O2",
  KO: "K2O2",
  HO: "H2O2",
  CsO: "Cs2O2",
  RbO: "Rb2O2",
  O: "O2",
  N: "N2",
  F: "F2",
  Cl: "Cl2",
  H: "H2",
};

function electronegativity(sym: string, nanAs = NaN): number {
  const x = PAULING_ELECTRONEGATIVITY[atomicNumber(sym)!];
  return Number.isNaN(x) ? nanAs : x;
}

/** pymatgen's `_symbol_sort_order`: by electronegativity (none = last), then by symbol. */
function sortSymbols(syms: Iterable<string>): string[] {
  return [...syms].sort((a, b) => {
    const xa = electronegativity(a, Infinity), xb = electronegativity(b, Infinity);
    return xa < xb ? -1 : xa > xb ? 1 : a < b ? -1 : a > b ? 1 : 0;
  });
}

/** |(a × b) · c| in pymatgen's operation order (`Lattice.volume`), so the last written digit agrees. */
function cellVolume(l: Float64Array): number {
  const x = l[1] * l[5] - l[2] * l[4], y = l[2] * l[3] - l[0] * l[5], z = l[0] * l[4] - l[1] * l[3];
  return Math.abs(x * l[6] + y * l[7] + z * l[8]);
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** pymatgen's `reduce_formula` for integer amounts, polyanion grouping included. */
function reduceFormula(amounts: Map<string, number>): [string, number] {
  const syms = sortSymbols(amounts.keys());
  const factor = [...amounts.values()].reduce(gcd, 0);
  const poly: string[] = [];
  const [s2, s1] = [syms[syms.length - 2], syms[syms.length - 1]];
  if (syms.length >= 3 && electronegativity(s1) - electronegativity(s2) < 1.65) {
    const [pf, pfac] = reduceFormula(
      new Map([[s2, amounts.get(s2)! / factor], [s1, amounts.get(s1)! / factor]]),
    );
    if (pfac !== 1) poly.push(`(${pf})${pfac}`);
  }
  const kept = poly.length ? syms.slice(0, -2) : syms;
  const amount = (s: string) => amounts.get(s)! / factor;
  return [kept.map((s) => s + (amount(s) === 1 ? "" : amount(s))).join("") + poly.join(""), factor];
}

/** pymatgen's reduced formula, `formula` (e.g. `"Cd1 Cu1 N3"`) and formula units Z for a crystal. */
export function pymatgenFormulas(numbers: Uint8Array): { reduced: string; sum: string; z: number } {
  const amounts = new Map<string, number>();
  for (const z of numbers) amounts.set(elementSymbol(z), (amounts.get(elementSymbol(z)) ?? 0) + 1);
  let [reduced, factor] = reduceFormula(amounts);
  if (Object.hasOwn(SPECIAL_FORMULAS, reduced)) [reduced, factor] = [SPECIAL_FORMULAS[reduced], factor / 2];
  const sum = sortSymbols(amounts.keys()).map((s) => `${s}${amounts.get(s)}`).join(" ");
  return { reduced, sum, z: Math.trunc(factor) };
}

/** The comment line that opens every CIF {@linkcode writeCif} writes (pymatgen's says "pymatgen"). */
export const CIF_HEADER = "# generated using cdvae (pymatgen CifWriter layout)";

/** Checks what every writer checks and returns the number formatter and the block name. */
function writeSetup(c: Crystal, opts: CifWriteOptions): { f: (x: number) => string; name: string } {
  validateCrystal(c);
  const problem = writeProblem(c);
  if (problem !== undefined) throw new RangeError(`Cannot write CIF: ${problem}`);
  const decimals = opts.decimals ?? 8;
  if (!Number.isInteger(decimals) || decimals < 1 || decimals > 20) {
    throw new RangeError(`Cannot write CIF: decimals "${decimals}" is not an integer in 1–20`);
  }
  const name = opts.name ?? pymatgenFormulas(c.numbers).reduced;
  if (name === "" || /\s/.test(name)) {
    throw new RangeError(`Cannot write CIF: data block name "${name}" is empty or contains whitespace`);
  }
  return { f: (x: number) => formatFixed(x, decimals), name };
}

/** pymatgen's CifWriter block: header items, the operations loop and the atom-site loop. */
function cifText(
  c: Crystal,
  name: string,
  f: (x: number) => string,
  group: { symbol: string; number: number; operations: string[] },
  rows: string[][],
): string {
  const formulas = pymatgenFormulas(c.numbers);
  const p = latticeParameters(c.lattice);
  return [
    CIF_HEADER,
    `data_${name}`,
    cifItem("_symmetry_space_group_name_H-M", group.symbol),
    cifItem("_cell_length_a", f(p.a)),
    cifItem("_cell_length_b", f(p.b)),
    cifItem("_cell_length_c", f(p.c)),
    cifItem("_cell_angle_alpha", f(p.alpha)),
    cifItem("_cell_angle_beta", f(p.beta)),
    cifItem("_cell_angle_gamma", f(p.gamma)),
    cifItem("_symmetry_Int_Tables_number", String(group.number)),
    cifItem("_chemical_formula_structural", formulas.reduced),
    cifItem("_chemical_formula_sum", formulas.sum),
    cifItem("_cell_volume", f(cellVolume(c.lattice))),
    cifItem("_cell_formula_units_Z", String(formulas.z)),
    cifLoop(
      ["_symmetry_equiv_pos_site_id", "_symmetry_equiv_pos_as_xyz"],
      group.operations.map((op, k) => [String(k + 1), op]),
    ),
    cifLoop([
      "_atom_site_type_symbol",
      "_atom_site_label",
      "_atom_site_symmetry_multiplicity",
      "_atom_site_fract_x",
      "_atom_site_fract_y",
      "_atom_site_fract_z",
      "_atom_site_occupancy",
    ], rows),
  ].join("\n") + "\n";
}

/**
 * Writes a crystal as a P1 CIF in the layout of pymatgen's `CifWriter` (no symmetry search):
 * header comment, `data_<reduced formula>`, cell, formulas, volume, Z, the `x, y, z` loop and the
 * atom-site loop with labels `<symbol><index>` (index over all sites, from 0), multiplicity 1 and
 * occupancy 1. Coordinates are written as stored (not wrapped), with 8 decimals by default, which
 * reads back within 5e-9 in [0, 1). The CIF with the crystal's space group (pymatgen's
 * `CifWriter(structure, symprec)`) is the `symprec` option of the module's `writeCif` (mod.ts),
 * which finds the group and calls {@linkcode writeCifWithSymmetry}.
 *
 * @param c The crystal
 * @param opts `name` of the data block, `decimals` (default 8)
 * @returns The CIF text, ending with a newline
 * @throws {TypeError|RangeError} If the crystal is invalid, the name contains whitespace or decimals is not 1–20
 * @example Round trip
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * const c = { lattice: new Float64Array([4, 0, 0, 0, 4, 0, 0, 0, 4]), frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0.5]),
 *   numbers: new Uint8Array([55, 17]) };
 * const text = writeCif(c);
 * deepStrictEqual(text.split("\n")[1], "data_CsCl");
 * deepStrictEqual(readCif(text)[0].numbers, c.numbers);
 * ```
 */
export function writeCif(c: Crystal, opts: CifWriteOptions = {}): string {
  const { f, name } = writeSetup(c, opts);
  const rows: string[][] = [];
  for (let i = 0; i < c.numbers.length; i++) {
    const sym = elementSymbol(c.numbers[i]);
    rows.push([sym, `${sym}${i}`, "1", f(c.frac[3 * i]), f(c.frac[3 * i + 1]), f(c.frac[3 * i + 2]), "1"]);
  }
  return cifText(c, name, f, { symbol: "P 1", number: 1, operations: ["x, y, z"] }, rows);
}

// ---------------------------------------------------------------------------------------------
// Writing with symmetry, in the layout of pymatgen's CifWriter(structure, symprec).

/** A space group as {@linkcode writeCifWithSymmetry} writes it. */
export interface CifSymmetry {
  /** ITA number, 1–230 (`_symmetry_Int_Tables_number`). */
  number: number;
  /** Hermann–Mauguin symbol (`_symmetry_space_group_name_H-M`), as spglib writes it ("P2_1/c"). */
  symbol: string;
  /**
   * The group's operations on the written cell's fractional coordinates, `[R | t]` as 12 numbers
   * each (see `symmetry_ops.ts`), the identity among them, centring translations included.
   */
  operations: readonly SymmetryOp[];
}

/** Fractional distance (per component, modulo 1) within which an image lands on a site. */
const ORBIT_TOLERANCE = 1e-5;

/** `n/d` for a number within 1e-9 of a fraction with a denominator up to 48, else the decimal. */
function fraction(x: number): string {
  for (let d = 1; d <= 48; d++) {
    const n = Math.round(x * d);
    if (Math.abs(x * d - n) < 1e-9 * d) return d === 1 ? String(n) : `${n}/${d}`;
  }
  return String(x);
}

/**
 * An operation as pymatgen's `SymmOp.as_xyz_str()` writes it (`transformation_to_string` with
 * ", " between the components): "-x+y, y, -z+1/2".
 */
export function symmetryOpToXyz(op: SymmetryOp): string {
  const parts: string[] = [];
  for (let r = 0; r < 3; r++) {
    let s = "";
    for (let j = 0; j < 3; j++) {
      const m = op[3 * r + j];
      if (m === 0) continue;
      const [num, den] = fraction(m).split("/");
      if (s !== "" && m >= 0) s += "+";
      if (Math.abs(Number(num)) !== 1) s += num;
      else if (m < 0) s += "-";
      s += XYZ[j] + (den ? `/${den}` : "");
    }
    const t = op[9 + r];
    if (t !== 0) s += (t > 0 && s !== "" ? "+" : "") + fraction(t);
    parts.push(s === "" ? "0" : s);
  }
  return parts.join(", ");
}

/** One row of the asymmetric unit: a representative site and the size of its orbit. */
interface OrbitRow {
  z: number;
  frac: [number, number, number];
  multiplicity: number;
}

/**
 * The orbits of the sites of `c` under `ops`, each as pymatgen's CifWriter picks its row: the member
 * with the smallest (|x|, |y|, |z|) after wrapping into [0, 1), and the number of members. Throws
 * when an operation maps a site onto no site of its species (the operations are not symmetries of
 * this cell).
 */
function asymmetricUnit(c: Crystal, ops: readonly SymmetryOp[]): OrbitRow[] {
  const n = c.numbers.length;
  const w = Float64Array.from(c.frac, wrapFrac);
  const orbitOf = new Int32Array(n).fill(-1);
  const rows: OrbitRow[] = [];
  const near = (d: number) => Math.abs(d - Math.round(d)) < ORBIT_TOLERANCE;
  for (let i = 0; i < n; i++) {
    if (orbitOf[i] >= 0) continue;
    const members: number[] = [];
    for (let k = 0; k < ops.length; k++) {
      const p = applySymmetryOp(ops[k], w[3 * i], w[3 * i + 1], w[3 * i + 2]);
      let hit = -1;
      for (let j = 0; j < n && hit < 0; j++) {
        if (
          c.numbers[j] === c.numbers[i] && near(p[0] - w[3 * j]) && near(p[1] - w[3 * j + 1]) &&
          near(p[2] - w[3 * j + 2])
        ) hit = j;
      }
      if (hit < 0) {
        throw new RangeError(
          `Cannot write CIF with symmetry: operation ${k + 1} "${symmetryOpToXyz(ops[k])}" maps site ${i} ` +
            `onto no site of its element (the operations are not symmetries of this cell)`,
        );
      }
      if (orbitOf[hit] < 0) {
        orbitOf[hit] = rows.length;
        members.push(hit);
      } else if (orbitOf[hit] !== rows.length) {
        throw new RangeError(
          `Cannot write CIF with symmetry: sites ${i} and ${hit} are images of each other under ` +
            `operation ${k + 1} but not under the others (the operations do not form a group)`,
        );
      }
    }
    let best = members[0];
    for (const j of members) {
      for (let a = 0; a < 3; a++) {
        if (w[3 * j + a] !== w[3 * best + a]) {
          if (w[3 * j + a] < w[3 * best + a]) best = j;
          break;
        }
      }
    }
    rows.push({
      z: c.numbers[i],
      frac: [w[3 * best], w[3 * best + 1], w[3 * best + 2]],
      multiplicity: members.length,
    });
  }
  return rows;
}

/**
 * Writes a crystal with its space group in the layout of pymatgen's `CifWriter(structure, symprec)`:
 * the group's symbol and number, its operations in the `_symmetry_equiv_pos_as_xyz` loop, and one
 * atom-site row per orbit (the asymmetric unit) with `_atom_site_symmetry_multiplicity` = the
 * orbit's size in this cell. Rows are ordered as pymatgen orders them (electronegativity, larger
 * orbits first, then x, y, z), each at its orbit's site with the smallest (x, y, z) in [0, 1);
 * labels `<symbol><row>`, occupancy `1.0`. Formulas, volume and Z are those of this cell.
 *
 * This writes, it does not search: `cell` must be the cell the operations act on (for a found
 * group, the standardised conventional cell), exact enough that every image lands within 1e-5
 * (fractional) of a site. The module's `writeCif(c, { symprec })` (mod.ts) finds the group and the
 * cell with moyo and calls this.
 *
 * @param cell The crystal in the cell of the operations, every site listed
 * @param symmetry The group: number, symbol, operations
 * @param opts `name` of the data block, `decimals` (default 8)
 * @returns The CIF text, ending with a newline
 * @throws {TypeError|RangeError} If the crystal is invalid, the group is malformed (number outside
 *   1–230, no identity among the operations) or an operation is not a symmetry of the cell
 * @example Two sites related by an inversion centre become one row of multiplicity 2
 * ```ts
 * import { strictEqual } from "node:assert";
 * import { parseSymmetryOp } from "./symmetry_ops.ts";
 * const c = {
 *   lattice: new Float64Array([4, 0, 0, 0.5, 5, 0, 0.3, 0.2, 6]),
 *   frac: new Float64Array([0, 0, 0, 0.2, 0.3, 0.4, 0.8, 0.7, 0.6]),
 *   numbers: new Uint8Array([17, 11, 11]),
 * };
 * const ops = ["x, y, z", "-x, -y, -z"].map(parseSymmetryOp);
 * const text = writeCifWithSymmetry(c, { number: 2, symbol: "P-1", operations: ops });
 * strictEqual(text.includes("  Na  Na0  2  0.20000000  0.30000000  0.40000000  1.0"), true);
 * strictEqual(readCif(text)[0].numbers.length, 3);
 * ```
 */
export function writeCifWithSymmetry(
  cell: Crystal,
  symmetry: CifSymmetry,
  opts: CifWriteOptions = {},
): string {
  const { f, name } = writeSetup(cell, opts);
  const { number, symbol, operations } = symmetry;
  if (!(Number.isInteger(number) && number >= 1 && number <= 230)) {
    throw new RangeError(`Cannot write CIF: space-group number "${number}" is not an integer in 1–230`);
  }
  if (symbol.trim() === "" || /[\n\r]/.test(symbol)) {
    throw new RangeError(`Cannot write CIF: space-group symbol "${shown(symbol)}" is empty or spans lines`);
  }
  for (const [k, op] of operations.entries()) {
    if (op.length !== 12 || !op.every(Number.isFinite)) {
      throw new RangeError(`Cannot write CIF: operation ${k + 1} is not 12 finite numbers [R | t]`);
    }
  }
  if (!operations.some(isIdentityOp)) {
    throw new RangeError(`Cannot write CIF: the operations of "${shown(symbol)}" do not include x, y, z`);
  }
  const en = (z: number) => {
    const x = PAULING_ELECTRONEGATIVITY[z];
    return Number.isNaN(x) ? Infinity : x;
  };
  const orbits = asymmetricUnit(cell, operations).map((row, k) => ({ row, k }));
  // pymatgen's key: (electronegativity, −multiplicity, a, b, c); its sort is stable.
  orbits.sort(({ row: a, k: ka }, { row: b, k: kb }) =>
    en(a.z) - en(b.z) || b.multiplicity - a.multiplicity || a.frac[0] - b.frac[0] || a.frac[1] - b.frac[1] ||
    a.frac[2] - b.frac[2] || ka - kb
  );
  const rows = orbits.map(({ row }, k) => {
    const sym = elementSymbol(row.z);
    return [sym, `${sym}${k}`, String(row.multiplicity), ...row.frac.map(f), "1.0"];
  });
  return cifText(cell, name, f, { symbol, number, operations: operations.map(symmetryOpToXyz) }, rows);
}
