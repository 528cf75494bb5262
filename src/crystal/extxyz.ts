/**
 * Extended XYZ reading and writing, in the layout ASE's `ase.io.write(..., format="extxyz")` uses.
 *
 * One frame per crystal:
 *
 * ```text
 * 2
 * Lattice="4.0 0.0 0.0 0.0 4.0 0.0 0.0 0.0 4.0" Properties=species:S:1:pos:R:3 energy=-1.5 pbc="T T T"
 * Cs    0.0000000000000000    0.0000000000000000    0.0000000000000000
 * Cl    2.0000000000000000    2.0000000000000000    2.0000000000000000
 * ```
 *
 * `Lattice` lists the vectors a, b, c in order (rows, Å); positions are Cartesian (Å). Numeric
 * `key=value` pairs of the comment line are the crystal's `props`; a string `name` is its name.
 *
 * @module
 */

import { type Crystal, validateCrystal } from "./crystal.ts";
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
const FORMAT = "extended XYZ";

/** Decimal places of written positions (ASE writes 8; 16 keeps round trips exact to ~1e-15 Å). */
const DECIMALS = 16;

/** Width of one written position number. */
const NUMBER_WIDTH = 21;

/** Cells with |det L| at or below this (Å³) are degenerate, as in `validateCrystal`. */
const MIN_VOLUME = 1e-8;

/** A decimal number as Python's `float()` reads it (no `nan`/`inf`: props must be finite). */
const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Keys of the comment line that carry structure, not properties (compared in lower case). */
const RESERVED_KEYS = new Set(["lattice", "properties", "pbc", "name"]);

/** A property key written bare: no whitespace, quotes, `=` or brackets. */
const KEY_RE = /^[A-Za-z_][A-Za-z0-9_.:+\-]*$/;

/** Per-atom column types of the `Properties` key and whether they are numbers. */
const COLUMN_TYPES = new Set(["S", "R", "I", "L"]);

function quote(s: string): string {
  return `"${s.replace(/[\r\n]+/g, " ").replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/**
 * Writes crystals as one extended XYZ file, one frame each, as ASE writes them:
 * count line, `Lattice="…" Properties=species:S:1:pos:R:3 [name="…"] [key=value…] pbc="T T T"`,
 * then `Symbol x y z` with Cartesian positions in Å (16 decimals, where ASE writes 8).
 *
 * @param cs The crystals, one frame each
 * @returns The file text (empty for no crystals)
 * @throws {RangeError} If a property key cannot be written bare or is reserved (`Lattice`,
 *   `Properties`, `pbc`, `name`), a property is not finite, or a crystal fails `validateCrystal`
 *
 * @example Two frames
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * const c = {
 *   lattice: new Float64Array([4, 0, 0, 0, 4, 0, 0, 0, 4]),
 *   frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0.5]),
 *   numbers: new Uint8Array([55, 17]),
 *   props: { energy: -1.5 },
 * };
 * const text = writeExtxyz([c, c]);
 * const comment = 'Lattice="4 0 0 0 4 0 0 0 4" Properties=species:S:1:pos:R:3 energy=-1.5 pbc="T T T"';
 * deepStrictEqual(text.split("\n")[1], comment);
 * deepStrictEqual(readExtxyz(text).length, 2);
 * ```
 */
export function writeExtxyz(cs: Crystal[]): string {
  const out: string[] = [];
  for (const c of cs) {
    validateCrystal(c);
    const problem = writeProblem(c);
    if (problem !== undefined) throw new RangeError(`Cannot write extended XYZ: ${problem}`);
    const info = [`Lattice="${Array.from(c.lattice, String).join(" ")}"`, "Properties=species:S:1:pos:R:3"];
    if (c.name !== undefined) info.push(`name=${quote(c.name)}`);
    for (const [key, v] of Object.entries(c.props ?? {})) {
      if (!KEY_RE.test(key) || RESERVED_KEYS.has(key.toLowerCase())) {
        throw new RangeError(
          `Cannot write extended XYZ: property key "${key}" is reserved or not a bare word`,
        );
      }
      if (!Number.isFinite(v)) {
        throw new RangeError(
          `Cannot write extended XYZ: property "${key}" is "${v}", expected a finite number`,
        );
      }
      info.push(`${key}=${v}`);
    }
    info.push('pbc="T T T"');
    out.push(String(c.numbers.length), info.join(" "));
    const cart = fracToCart(c.frac, c.lattice);
    for (let i = 0; i < c.numbers.length; i++) {
      const xyz = [cart[3 * i], cart[3 * i + 1], cart[3 * i + 2]]
        .map((x) => (x === 0 ? 0 : x).toFixed(DECIMALS).padStart(NUMBER_WIDTH));
      out.push(`${elementSymbol(c.numbers[i]).padEnd(2)} ${xyz.join(" ")}`);
    }
  }
  return out.length > 0 ? out.join("\n") + "\n" : "";
}

/** One `key=value` of a comment line; `value` is `true` for a bare key. */
type InfoValue = string | true;

/**
 * Splits an extended XYZ comment line into keys and values. Values are bare words, `"quoted"`
 * strings (with `\"` and `\\` escapes) or bracketed lists (`[[1, 0, 0], …]`, `{…}`).
 */
function parseInfo(s: string, fail: (detail: string) => never): Map<string, InfoValue> {
  const out = new Map<string, InfoValue>();
  let p = 0;
  const space = () => {
    while (p < s.length && /\s/.test(s[p])) p++;
  };
  const quoted = (): string => {
    let r = "";
    for (p++; p < s.length && s[p] !== '"'; p++) {
      if (s[p] === "\\" && p + 1 < s.length) p++;
      r += s[p];
    }
    if (p >= s.length) fail(`unterminated quoted string "${shown(s.slice(s.lastIndexOf('"', p - 1)))}"`);
    p++;
    return r;
  };
  const bare = (isKey: boolean): string => {
    const start = p;
    for (let depth = 0; p < s.length; p++) {
      const ch = s[p];
      if (ch === "[" || ch === "{") depth++;
      else if (ch === "]" || ch === "}") depth--;
      else if (depth <= 0 && (/\s/.test(ch) || (isKey && ch === "="))) break;
    }
    return s.slice(start, p);
  };
  for (space(); p < s.length; space()) {
    const key = s[p] === '"' ? quoted() : bare(true);
    if (key === "") fail(`expected a key before "="`);
    space();
    if (s[p] === "=") {
      p++;
      space();
      out.set(key, s[p] === '"' ? quoted() : bare(false));
    } else {
      out.set(key, true);
    }
  }
  return out;
}

/** Looks a key up case-insensitively (ASE accepts `lattice` as well as `Lattice`). */
function lookup(info: Map<string, InfoValue>, key: string): InfoValue | undefined {
  for (const [k, v] of info) if (k.toLowerCase() === key) return v;
  return undefined;
}

/**
 * Reads every frame of an extended XYZ file. A frame needs a `Lattice` (9 numbers, rows a, b, c)
 * and `species` and `pos` columns (`Properties` defaults to `species:S:1:pos:R:3`); other columns
 * are skipped. `pbc`, when given, must be all true. Numeric comment-line values become `props`,
 * and a `name` value the crystal's name. Blank lines between frames are skipped.
 *
 * @param text The file contents
 * @param opts `name` labels the input in error messages
 * @returns One crystal per frame, positions converted to fractional (not wrapped)
 * @throws {CrystalParseError} Names the file, line and field that could not be read; no
 *   frames are returned when any frame is malformed
 *
 * @example One frame
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * const [c] = readExtxyz(`1
 * Lattice="2 0 0 0 2 0 0 0 2" Properties=species:S:1:pos:R:3 band_gap=1.25 pbc="T T T"
 * Si 1 1 0
 * `);
 * deepStrictEqual(Array.from(c.frac), [0.5, 0.5, 0]);
 * deepStrictEqual(c.props, { band_gap: 1.25 });
 * ```
 */
export function readExtxyz(text: string, opts: ReadOptions = {}): Crystal[] {
  const file = opts.name ?? "<input>";
  const fail = (i: number, field: string, detail: string): never => {
    throw new CrystalParseError(FORMAT, { file, line: i + 1, field }, detail);
  };
  const long = firstLongLine(text);
  if (long >= 0) fail(long, "line", longLineDetail());
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  const number = (tok: string, i: number, field: string): number => {
    const x = NUMBER_RE.test(tok) ? Number(tok) : NaN;
    if (!Number.isFinite(x)) fail(i, field, `"${shown(tok)}" is not a number`);
    return x;
  };

  const frames: Crystal[] = [];
  for (let i = 0; i < lines.length;) {
    if (lines[i].trim() === "") {
      i++;
      continue;
    }
    const countText = lines[i].trim();
    if (!/^\d+$/.test(countText)) {
      fail(i, "atom count", `expected a non-negative integer, found "${shown(countText)}"`);
    }
    const n = Number(countText);
    const tooMany = atomCountProblem(n);
    if (tooMany !== undefined) fail(i, "atom count", tooMany);
    const h = i + 1;
    if (h >= lines.length) {
      fail(h, "comment", `file ends after line ${lines.length}: expected the comment line`);
    }
    const info = parseInfo(lines[h], (detail) => fail(h, "comment", detail));

    const latticeValue = lookup(info, "lattice");
    if (typeof latticeValue !== "string") {
      const found = latticeValue === undefined ? "no Lattice key" : "a Lattice key without a value";
      fail(h, "Lattice", `expected Lattice="ax ay az bx by bz cx cy cz", found ${found}`);
    }
    const lt = (latticeValue as string).replace(/[[\]{}(),]/g, " ").trim().split(/\s+/).filter((t) =>
      t !== ""
    );
    if (lt.length !== 9) fail(h, "Lattice", `expected 9 numbers, found ${lt.length}`);
    const lattice = new Float64Array(lt.map((t) => number(t, h, "Lattice")));
    const volume = latticeVolume(lattice);
    if (!(Math.abs(volume) > MIN_VOLUME) && Number.isFinite(volume)) {
      fail(h, "Lattice", `volume "${volume}" Å³ is zero (degenerate cell)`);
    }
    const absurd = latticeProblem(lattice);
    if (absurd !== undefined) fail(h, "Lattice", absurd);

    const pbc = lookup(info, "pbc");
    if (pbc !== undefined && pbc !== true) {
      const flags = pbc.replace(/[[\]{}(),]/g, " ").trim().split(/\s+/);
      if (flags.length !== 3 || !flags.every((f) => /^(t|true)$/i.test(f))) {
        fail(h, "pbc", `expected "T T T" (a crystal is periodic in 3 directions), found "${shown(pbc)}"`);
      }
    }

    // Columns: name:type:count triples.
    const propsValue = lookup(info, "properties") ?? "species:S:1:pos:R:3";
    if (propsValue === true) fail(h, "Properties", `expected a value such as "species:S:1:pos:R:3"`);
    const spec = (propsValue as string).split(":");
    if (spec.length % 3 !== 0) {
      fail(h, "Properties", `expected name:type:count triples, found "${shown(propsValue as string)}"`);
    }
    let columns = 0, speciesCol = -1, posCol = -1;
    for (let k = 0; k < spec.length; k += 3) {
      const [col, type, countStr] = spec.slice(k, k + 3);
      if (!COLUMN_TYPES.has(type) || !/^[1-9]\d*$/.test(countStr)) {
        fail(
          h,
          "Properties",
          `column "${shown(`${col}:${type}:${countStr}`)}" needs type S, R, I or L and a count`,
        );
      }
      if (col.toLowerCase() === "species" && type === "S" && countStr === "1") speciesCol = columns;
      if (col.toLowerCase() === "pos" && type === "R" && countStr === "3") posCol = columns;
      columns += Number(countStr);
    }
    if (speciesCol < 0) fail(h, "Properties", `no "species:S:1" column in "${shown(propsValue as string)}"`);
    if (posCol < 0) fail(h, "Properties", `no "pos:R:3" column in "${shown(propsValue as string)}"`);

    const props: Record<string, number> = {};
    let name: string | undefined;
    for (const [key, value] of info) {
      if (key === "name" && typeof value === "string") name = value;
      else if (!RESERVED_KEYS.has(key.toLowerCase()) && typeof value === "string" && NUMBER_RE.test(value)) {
        const x = Number(value);
        if (Number.isFinite(x)) props[key] = x;
      }
    }

    const numbers = new Uint8Array(n);
    const cart = new Float64Array(3 * n);
    for (let k = 0; k < n; k++) {
      const li = h + 1 + k;
      if (li >= lines.length) {
        fail(li, "atoms", `file ends after line ${lines.length}: expected ${n} atoms, found ${k}`);
      }
      const t = lines[li].trim() === "" ? [] : lines[li].trim().split(/\s+/);
      if (t.length !== columns) fail(li, "atoms", `expected ${columns} columns, found ${t.length}`);
      const z = atomicNumber(t[speciesCol]);
      if (z === undefined) fail(li, "species", `unknown element "${shown(t[speciesCol])}"`);
      numbers[k] = z as number;
      for (let d = 0; d < 3; d++) cart[3 * k + d] = number(t[posCol + d], li, "pos");
    }
    const frac = cartToFrac(cart, lattice);
    const farOff = coordinatesProblem(frac);
    if (farOff !== undefined) fail(h + 1, "pos", farOff);
    frames.push({
      lattice,
      frac,
      numbers,
      ...(Object.keys(props).length > 0 ? { props } : {}),
      ...(name !== undefined ? { name } : {}),
    });
    i = h + 1 + n;
  }
  return frames;
}
