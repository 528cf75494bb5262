/**
 * RFC 4180 CSV parsing, streaming: quoted fields may hold commas, doubled quotes and newlines
 * (the CDVAE datasets keep a whole CIF in one quoted field).
 *
 * @module
 */

/** A CSV syntax problem, with the 1-based line where the offending record starts. */
export class CsvParseError extends SyntaxError {
  /**
   * A CSV syntax error.
   *
   * @param file The file, for the message
   * @param line 1-based line where the offending record starts
   * @param detail What was wrong
   */
  constructor(readonly file: string, readonly line: number, detail: string) {
    super(`Cannot parse CSV "${file}" line ${line}: ${detail}`);
    this.name = "CsvParseError";
  }
}

/**
 * Longest field (characters) the tokenizer accepts: a dataset's CIF fields are a few kB, so a
 * longer one is a broken file (an unclosed quote swallowing the rest), refused before it fills memory.
 */
export const MAX_CSV_FIELD_LENGTH = 1 << 24;

/** One parsed record with the 1-based line on which it starts. */
export interface CsvRecord {
  fields: string[];
  line: number;
}

/**
 * Incremental CSV tokenizer: feed text chunks, collect the records they complete.
 * Kept as a small state machine so a 10 MB file streams without holding every row twice.
 */
export class CsvTokenizer {
  #field = "";
  #fields: string[] = [];
  #inQuotes = false;
  #quoteJustClosed = false;
  #line = 1;
  #recordLine = 1;
  #fieldStarted = false;
  /** A CR ended the last record; a LF right after it (maybe in the next chunk) is part of it. */
  #afterCR = false;

  constructor(readonly file = "<input>") {}

  /** Consumes a chunk and returns the records it completes. */
  push(chunk: string): CsvRecord[] {
    const out: CsvRecord[] = [];
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.#inQuotes) {
        // Copy the run up to the next quote in one slice (fast path for long CIF fields).
        const q = chunk.indexOf('"', i);
        const end = q === -1 ? n : q;
        const run = chunk.slice(i, end);
        this.#field += run;
        for (let k = 0; k < run.length; k++) if (run.charCodeAt(k) === 10) this.#line++;
        this.#checkLength();
        i = end;
        if (q === -1) break;
        this.#inQuotes = false;
        this.#quoteJustClosed = true;
        i++;
        continue;
      }
      const ch = chunk[i];
      if (this.#afterCR) {
        this.#afterCR = false;
        if (ch === "\n") {
          i++;
          continue;
        }
      }
      if (this.#quoteJustClosed) {
        this.#quoteJustClosed = false;
        if (ch === '"') { // doubled quote inside a quoted field
          this.#field += '"';
          this.#inQuotes = true;
          i++;
          continue;
        }
        if (ch !== "," && ch !== "\n" && ch !== "\r") {
          throw new CsvParseError(
            this.file,
            this.#line,
            `unexpected character ${JSON.stringify(ch)} after a closing quote`,
          );
        }
      }
      if (ch === '"') {
        if (this.#field.length > 0) {
          throw new CsvParseError(this.file, this.#line, "quote inside an unquoted field");
        }
        this.#inQuotes = true;
        this.#fieldStarted = true;
        i++;
      } else if (ch === ",") {
        this.#fields.push(this.#field);
        this.#field = "";
        this.#fieldStarted = true;
        i++;
      } else if (ch === "\n" || ch === "\r") {
        this.#afterCR = ch === "\r";
        this.#endRecord(out);
        this.#line++;
        this.#recordLine = this.#line;
        i++;
      } else {
        const next = indexOfAny(chunk, i);
        this.#field += chunk.slice(i, next);
        this.#checkLength();
        this.#fieldStarted = true;
        i = next;
      }
    }
    return out;
  }

  /** Flushes the last record; throws if a quoted field is still open. */
  finish(): CsvRecord[] {
    if (this.#inQuotes) {
      throw new CsvParseError(this.file, this.#recordLine, "unterminated quoted field at end of file");
    }
    const out: CsvRecord[] = [];
    this.#endRecord(out);
    return out;
  }

  #checkLength() {
    if (this.#field.length > MAX_CSV_FIELD_LENGTH) {
      throw new CsvParseError(
        this.file,
        this.#recordLine,
        `field is longer than ${MAX_CSV_FIELD_LENGTH} characters (an unclosed quote?)`,
      );
    }
  }

  #endRecord(out: CsvRecord[]) {
    if (this.#fieldStarted || this.#fields.length > 0 || this.#field.length > 0) {
      this.#fields.push(this.#field);
      out.push({ fields: this.#fields, line: this.#recordLine });
    }
    this.#fields = [];
    this.#field = "";
    this.#fieldStarted = false;
    this.#quoteJustClosed = false;
  }
}

function indexOfAny(s: string, from: number): number {
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 44 || c === 10 || c === 13 || c === 34) return i;
  }
  return s.length;
}

/**
 * Parses CSV text into rows of fields.
 *
 * @example Quoted fields with newlines
 * ```ts
 * import { deepStrictEqual } from "node:assert";
 * deepStrictEqual(parseCsv('a,b\n1,"x\ny"\n'), [["a", "b"], ["1", "x\ny"]]);
 * ```
 */
export function parseCsv(text: string, file = "<input>"): string[][] {
  const t = new CsvTokenizer(file);
  return [...t.push(text), ...t.finish()].map((r) => r.fields);
}

/**
 * Streams records from a byte stream (e.g. `(await Deno.open(path)).readable`).
 */
export async function* readCsvStream(
  stream: ReadableStream<Uint8Array>,
  file = "<input>",
): AsyncGenerator<CsvRecord> {
  const t = new CsvTokenizer(file);
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    yield* t.push(chunk);
  }
  yield* t.finish();
}
