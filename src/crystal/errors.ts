/**
 * The error every crystal reader throws for text it cannot parse.
 *
 * @module
 */

/** Where in a file a problem was found; lines count from 1. */
export interface SourceLocation {
  /** File name or other label of the input (`"<input>"` when unknown). */
  file: string;
  /** 1-based line number, when the problem belongs to one line. */
  line?: number;
  /** The field (CIF tag, POSCAR item, JSON key) that could not be read. */
  field?: string;
}

/**
 * Text that cannot be read as a crystal. The message names the file, line and field, e.g.
 * `Cannot parse POSCAR "x.vasp" line 7 (positions): expected 3 numbers, found 2`.
 */
export class CrystalParseError extends SyntaxError implements SourceLocation {
  readonly file: string;
  readonly line?: number;
  readonly field?: string;

  /**
   * A parse error whose message names the format, file, line and field.
   *
   * @param format Format name for the message ("POSCAR", …)
   * @param where File, line and field
   * @param detail What was wrong
   */
  constructor(format: string, where: SourceLocation, detail: string) {
    const line = where.line !== undefined ? ` line ${where.line}` : "";
    const field = where.field !== undefined ? ` (${where.field})` : "";
    super(`Cannot parse ${format} "${where.file}"${line}${field}: ${detail}`);
    this.name = "CrystalParseError";
    this.file = where.file;
    this.line = where.line;
    this.field = where.field;
  }
}

/** Options every reader accepts. */
export interface ReadOptions {
  /** Name used in error messages (a file name); defaults to `"<input>"`. */
  name?: string;
}
