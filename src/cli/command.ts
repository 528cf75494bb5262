/**
 * The shape every CLI command has, and the one place that turns its option table into a
 * `node:util` parseArgs call and a `--help` text.
 *
 * @module
 */

import { parseArgs } from "node:util";

/** One option of a command. */
export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  default?: string | boolean;
  /** Placeholder shown in help, e.g. `N` for `--limit N`. */
  value?: string;
  description: string;
}

/** Parsed flags and positional arguments. */
export interface ParsedArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** A CLI command: one file in `src/cli/` exports one of these. */
export interface Command {
  name: string;
  summary: string;
  /** Usage line after the command name, e.g. `INPUT [OUTPUT]`. */
  usage: string;
  /** Longer description printed by `--help`. */
  description?: string;
  options: Record<string, OptionSpec>;
  /** Runs the command; returns the exit code. */
  run(args: ParsedArgs): Promise<number>;
}

/** A problem with how a command was called; the CLI prints it with the usage and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Builds the `--help` text of a command from its option table. */
export function helpText(cmd: Command): string {
  const lines = [`Usage: deno run -A mod.ts ${cmd.name} ${cmd.usage}`.trimEnd(), "", cmd.summary];
  if (cmd.description) lines.push("", cmd.description);
  lines.push("", "Options:");
  const rows = Object.entries(cmd.options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : "    "}--${name}${
      o.type === "string" ? ` ${o.value ?? "VALUE"}` : ""
    }`;
    const def = o.default !== undefined && o.default !== false ? ` (default: ${o.default})` : "";
    return [flag, o.description + def];
  });
  rows.push(["-h, --help", "Show this help"]);
  const width = Math.max(...rows.map(([f]) => f.length));
  for (const [f, d] of rows) lines.push(`  ${f.padEnd(width)}  ${d}`);
  return lines.join("\n");
}

/**
 * Parses `argv` against the command's options.
 *
 * @throws {UsageError} On unknown flags or missing values
 */
export function parseCommandArgs(cmd: Command, argv: string[]): ParsedArgs & { help: boolean } {
  const options: Record<string, { type: "string" | "boolean"; short?: string; default?: string | boolean }> =
    { help: { type: "boolean", short: "h" } };
  for (const [name, o] of Object.entries(cmd.options)) {
    options[name] = { type: o.type, ...(o.short ? { short: o.short } : {}) };
    if (o.default !== undefined) options[name].default = o.default;
  }
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    const { help, ...rest } = values as Record<string, string | boolean | undefined>;
    return { values: rest, positionals, help: help === true };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** "1 crystal", "3 crystals": a count with its noun, for messages. */
export function counted(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/**
 * Reads an integer flag.
 *
 * @throws {UsageError} If the value is not an integer within the bounds
 */
export function intFlag(
  args: ParsedArgs,
  name: string,
  bounds: { min?: number; max?: number } = {},
): number | undefined {
  const raw = args.values[name];
  if (raw === undefined || raw === false) return undefined;
  const v = Number(raw);
  const { min = -Infinity, max = Infinity } = bounds;
  if (!Number.isInteger(v) || v < min || v > max) {
    const range = max === Infinity
      ? (min === -Infinity ? "" : ` ≥ ${min}`)
      : min === -Infinity
      ? ` ≤ ${max}`
      : ` in ${min}…${max}`;
    throw new UsageError(`Invalid --${name} "${raw}": expected an integer${range}`);
  }
  return v;
}
