/**
 * CIF 1.1 syntax: a single-pass tokenizer and the data-block parser behind `readCif`, and the
 * field/loop layout `writeCif` shares with pymatgen's `CifBlock`.
 *
 * Handles `data_` blocks, `loop_`s, '…' / "…" quoted strings (a quote closes only when followed
 * by whitespace, so `'O'Brien'` is one value), CIF2 '''…''' / """…""" strings, `;` text fields,
 * `#` comments (and lines starting with `%`, as the IZA zeolite database writes), and tolerates `global_` blocks and `save_` frames (their items are ignored).
 * Tags are case-insensitive and CIF2/mmCIF dotted names equal their underscore forms, so tags are
 * stored lower-cased with `.` replaced by `_` (`_Space_Group_Symop.operation_xyz` →
 * `_space_group_symop_operation_xyz`).
 *
 * @module
 */

import { CrystalParseError } from "./errors.ts";
import { shown } from "./limits.ts";

/** One data item: a single value or one column of a loop. */
export interface CifItem {
  /** The tag as written. */
  tag: string;
  /** 1-based line of the tag. */
  line: number;
  /** Values in order; `null` for the unquoted `.` (inapplicable) and `?` (unknown). */
  values: (string | null)[];
  /** 1-based line of each value. */
  lines: number[];
  /** Loop number within the block, or -1 for a single item. */
  loop: number;
  /** Indices of values written as a bare `.` (inapplicable; `values` holds `null` as for `?`). */
  dots?: Set<number>;
}

/** One `data_` block. */
export interface CifBlock {
  /** Block name (text after `data_`). */
  name: string;
  /** 1-based line of the `data_` header. */
  line: number;
  /** Items by normalized tag (lower case, `.` → `_`). */
  items: Map<string, CifItem>;
  /** The syntax error that ended this block early; its items up to there are kept. */
  error?: CrystalParseError;
}

const T_VALUE = 0, T_TEXT = 1, T_TAG = 2, T_DATA = 3, T_LOOP = 4, T_SAVE = 5, T_GLOBAL = 6, T_STOP = 7;
/** Last token when the text cannot be split further; `text` says why. The parser names the tag it belonged to. */
const T_ERROR = 8;

interface Token {
  kind: number;
  text: string;
  line: number;
}

function isWs(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/** Splits CIF text into tokens, ending with a `T_ERROR` token at an unterminated string or text field. */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const n = text.length;
  let i = 0, line = 1;
  const stop = (at: number, detail: string): Token[] => {
    tokens.push({ kind: T_ERROR, text: detail, line: at });
    return tokens;
  };
  const countLines = (from: number, to: number) => {
    for (let k = from; k < to; k++) {
      const c = text.charCodeAt(k);
      if (c === 10 || (c === 13 && text.charCodeAt(k + 1) !== 10)) line++;
    }
  };
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13) {
      if (c === 10 || text.charCodeAt(i + 1) !== 10) line++;
      i++;
    } else if (c === 32 || c === 9) {
      i++;
    } else if (
      c === 35 /* # */ ||
      (c === 37 /* % */ && (i === 0 || text.charCodeAt(i - 1) === 10 || text.charCodeAt(i - 1) === 13))
    ) {
      while (i < n && text.charCodeAt(i) !== 10 && text.charCodeAt(i) !== 13) i++;
    } else if (
      c === 59 /* ; */ && (i === 0 || text.charCodeAt(i - 1) === 10 || text.charCodeAt(i - 1) === 13)
    ) {
      // Text field: from after this ';' to the next line that starts with ';'.
      const startLine = line;
      const nl = text.indexOf("\n;", i + 1);
      const cr = text.indexOf("\r;", i + 1);
      const end = nl < 0 ? cr : cr < 0 ? nl : Math.min(nl, cr);
      if (end < 0) {
        return stop(startLine, `text field opened by ";" is not closed by a line starting with ";"`);
      }
      let body = text.slice(i + 1, end);
      if (body.endsWith("\r")) body = body.slice(0, -1);
      countLines(i, end + 1);
      tokens.push({ kind: T_TEXT, text: body, line: startLine });
      i = end + 2;
    } else if (c === 39 || c === 34 /* ' " */) {
      const q = text[i];
      if (text.startsWith(q + q + q, i)) {
        const end = text.indexOf(q + q + q, i + 3);
        if (end < 0) return stop(line, `string opened by ${q + q + q} is not closed`);
        const startLine = line;
        countLines(i, end);
        tokens.push({ kind: T_TEXT, text: text.slice(i + 3, end), line: startLine });
        i = end + 3;
        continue;
      }
      let j = i + 1;
      for (;; j++) {
        if (j >= n || text.charCodeAt(j) === 10 || text.charCodeAt(j) === 13) {
          return stop(line, `quoted string ${shown(text.slice(i, j))} is not closed on its line`);
        }
        if (text[j] === q && (j + 1 >= n || isWs(text.charCodeAt(j + 1)))) break;
      }
      tokens.push({ kind: T_TEXT, text: text.slice(i + 1, j), line });
      i = j + 1;
    } else {
      let j = i + 1;
      while (j < n && !isWs(text.charCodeAt(j))) j++;
      const word = text.slice(i, j);
      let kind = T_VALUE;
      if (c === 95 /* _ */) {
        kind = T_TAG;
      } else if (
        c === 100 || c === 68 || c === 108 || c === 76 || c === 115 || c === 83 || c === 103 || c === 71
      ) {
        const lower = word.toLowerCase();
        if (lower.startsWith("data_")) kind = T_DATA;
        else if (lower === "loop_") kind = T_LOOP;
        else if (lower.startsWith("save_")) kind = T_SAVE;
        else if (lower === "global_") kind = T_GLOBAL;
        else if (lower === "stop_") kind = T_STOP;
      }
      tokens.push({ kind, text: kind === T_DATA || kind === T_SAVE ? word.slice(5) : word, line });
      i = j;
    }
  }
  return tokens;
}

function normalizeTag(tag: string): string {
  return tag.toLowerCase().replaceAll(".", "_");
}

function isDot(t: Token): boolean {
  return t.kind === T_VALUE && t.text === ".";
}

function valueOf(t: Token): string | null {
  return t.kind === T_VALUE && (t.text === "." || t.text === "?") ? null : t.text;
}

/**
 * Parses CIF text into its data blocks (items of `global_` blocks and `save_` frames are dropped).
 * A syntax error inside a data block (a tag without a value, a loop whose value count is not a
 * multiple of its tag count, a duplicate tag, an unterminated string) is stored as that block's
 * `error` and parsing resumes at the next `data_`, so one bad block does not hide the others
 * (an unterminated string or text field ends the file, though).
 *
 * @param text The whole file
 * @param file Name for error messages
 * @throws {CrystalParseError} On items before the first block
 * @example
 * ```ts
 * import { strictEqual } from "node:assert";
 * const [b] = parseCifBlocks("data_x\nloop_\n_a _B.c\n1 '2 3'\n4\n;text\n;\n", "<input>");
 * strictEqual(b.items.get("_b_c")?.values[1], "text");
 * ```
 */
export function parseCifBlocks(text: string, file: string): CifBlock[] {
  const tokens = tokenize(text);
  const blocks: CifBlock[] = [];
  const scratch: CifBlock = { name: "", line: 0, items: new Map() }; // global_ and save_ items go nowhere
  let block: CifBlock | undefined; // where items go now
  let dataBlock: CifBlock | undefined; // the enclosing data block (save_ frames return to it)
  let loops = 0;
  const fail = (t: Token, field: string | undefined, detail: string): never => {
    throw new CrystalParseError("CIF", { file, line: t.line, field: field && shown(field) }, detail);
  };
  const add = (t: Token, item: CifItem) => {
    if (!block) return fail(t, item.tag, `data item before the first "data_" block`);
    if (block === scratch) return;
    const key = normalizeTag(item.tag);
    if (block.items.has(key)) fail(t, t.text, `tag appears twice in block "${block.name}"`);
    block.items.set(key, item);
  };
  let i = 0;
  while (i < tokens.length) {
    try {
      i = parseStep(i);
    } catch (e) {
      if (!(e instanceof CrystalParseError) || !dataBlock || dataBlock === scratch) throw e;
      dataBlock.error ??= e;
      block = dataBlock;
      while (i < tokens.length && tokens[i].kind !== T_DATA) i++;
    }
  }
  return blocks;

  /** Consumes the construct that starts at token `i`; returns the index after it. */
  function parseStep(i: number): number {
    const t = tokens[i++];
    switch (t.kind) {
      case T_DATA:
        dataBlock = block = { name: t.text, line: t.line, items: new Map() };
        blocks.push(block);
        break;
      case T_GLOBAL:
        dataBlock = block = scratch;
        break;
      case T_SAVE:
        block = t.text === "" ? dataBlock : scratch;
        break;
      case T_STOP:
        fail(t, undefined, `"stop_" is not allowed in CIF`);
        break;
      case T_TAG: {
        const v = tokens[i];
        if (v?.kind === T_ERROR) fail(v, t.text, v.text);
        if (!v || (v.kind !== T_VALUE && v.kind !== T_TEXT)) fail(t, t.text, `tag has no value`);
        i++;
        const item: CifItem = { tag: t.text, line: t.line, values: [valueOf(v)], lines: [v.line], loop: -1 };
        if (isDot(v)) item.dots = new Set([0]);
        add(t, item);
        break;
      }
      case T_LOOP: {
        const cols: CifItem[] = [];
        while (i < tokens.length && tokens[i].kind === T_TAG) {
          const tag = tokens[i++];
          cols.push({ tag: tag.text, line: tag.line, values: [], lines: [], loop: loops });
        }
        loops++;
        if (cols.length === 0) fail(t, undefined, `"loop_" is not followed by tags`);
        let k = 0;
        while (i < tokens.length && (tokens[i].kind === T_VALUE || tokens[i].kind === T_TEXT)) {
          const v = tokens[i++];
          const col = cols[k++ % cols.length];
          if (isDot(v)) (col.dots ??= new Set()).add(col.values.length);
          col.values.push(valueOf(v));
          col.lines.push(v.line);
        }
        if (tokens[i]?.kind === T_ERROR) fail(tokens[i], cols[k % cols.length].tag, tokens[i].text);
        if (k === 0) fail(t, cols[0].tag, `loop has no values`);
        if (k % cols.length !== 0) {
          const last = tokens[i - 1];
          fail(
            last,
            cols[k % cols.length].tag,
            `loop of ${cols.length} tags has ${k} values, so its last row lacks ${
              cols.length - (k % cols.length)
            }`,
          );
        }
        for (const col of cols) add(t, col);
        break;
      }
      case T_ERROR:
        fail(t, undefined, t.text);
        break;
      default:
        fail(t, undefined, `value "${shown(t.text)}" has no tag`);
    }
    return i;
  }
}

// ---------------------------------------------------------------------------------------------
// Writing: the field, item and loop layout of pymatgen's CifBlock.

/** pymatgen's CifBlock line length: longer loop rows wrap, longer values become text fields. */
const CIF_MAX_LEN = 70;

/** Python's `"{:.Nf}".format(x)`: ties round to even, negative zero keeps its sign. */
export function formatFixed(x: number, decimals: number): string {
  const ax = Math.abs(x);
  let s = ax.toFixed(decimals);
  const scaled = ax * 10 ** decimals;
  if (!(Math.abs((scaled % 1) - 0.5) > 1e-5) || scaled > 1e10) {
    // Possibly an exact tie (…5 at decimal decimals+1): toFixed rounds it up, Python to the even neighbour.
    const exact = ax.toFixed(Math.min(100, decimals + 30));
    const cut = exact.indexOf(".") + decimals + 1;
    const down = exact.slice(0, cut);
    if (/^50*$/.test(exact.slice(cut)) && (down.charCodeAt(cut - 1) - 48) % 2 === 0) s = down;
  }
  return (x < 0 || Object.is(x, -0) ? "-" : "") + s;
}

/** pymatgen's CifBlock `_format_field`: quote values with spaces, text-field long ones. */
export function formatField(v: string): string {
  if (v === "") return '""';
  if (v.length > CIF_MAX_LEN) {
    const lines: string[] = [];
    for (const w of v.split(/\s+/)) {
      if (lines.length && lines[lines.length - 1].length + 1 + w.length <= CIF_MAX_LEN) {
        lines[lines.length - 1] += " " + w;
      } else lines.push(w);
    }
    return `;\n${lines.join("\n")}\n;`;
  }
  const quoted = (v[0] === "'" && v.endsWith("'")) || (v[0] === '"' && v.endsWith('"'));
  if ((v.includes(" ") || v[0] === "_") && !quoted) {
    const q = v.includes("'") ? '"' : "'";
    return q + v + q;
  }
  return v;
}

/** One `tag   value` line, or tag and value on two lines when longer than pymatgen's limit. */
export function cifItem(tag: string, value: string): string {
  const v = formatField(value);
  return tag.length + v.length + 3 < CIF_MAX_LEN ? `${tag}   ${v}` : `${tag}\n${v}`;
}

/** A `loop_` with its tags and rows, rows wrapped at 70 characters as pymatgen does. */
export function cifLoop(tags: string[], rows: string[][]): string {
  let out = "loop_" + tags.map((t) => "\n " + t).join("");
  for (const row of rows) {
    let line = "\n";
    for (const raw of row) {
      const v = formatField(raw);
      if (line.length + v.length + 2 < CIF_MAX_LEN) {
        line += "  " + v;
      } else {
        out += line;
        line = "\n  " + v;
      }
    }
    out += line;
  }
  return out;
}
