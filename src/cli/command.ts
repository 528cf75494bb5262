/**
 * The shape every CLI command has, and the one place that turns its option table into a
 * `node:util` parseArgs call and a `--help` text.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { closest } from "./suggest.ts";

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
 * The first option in `argv` that `cmd` does not have, as a usage error that suggests the option
 * most likely meant ("Unknown option --step (did you mean --steps?)"); undefined when all are known.
 * The value after a string option is skipped, so a value is never reported as an unknown option.
 */
export function unknownOption(cmd: Command, argv: readonly string[]): UsageError | undefined {
  const names = [...Object.keys(cmd.options), "help"];
  const shorts = new Map(
    Object.entries(cmd.options).filter(([, o]) => o.short).map(([n, o]) => [o.short!, n]),
  );
  shorts.set("h", "help");
  const takesValue = (name: string | undefined) => name !== undefined && cmd.options[name]?.type === "string";
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (token === "--") break;
    if (token.startsWith("--")) {
      const name = token.slice(2).split("=")[0];
      if (!names.includes(name)) return unknown(`--${name}`, closest(name, names));
      if (!token.includes("=") && takesValue(name)) i++;
    } else if (token.startsWith("-") && token.length > 1 && !/^-\d/.test(token)) {
      // "-n 4" and "-n4" are short options; "-steps" is most likely "--steps" with a dash missing.
      const name = shorts.get(token[1]);
      if (name !== undefined && (token.length === 2 || takesValue(name))) {
        if (token.length === 2 && takesValue(name)) i++;
        continue;
      }
      const meant = names.includes(token.slice(1)) ? token.slice(1) : closest(token.slice(1), names);
      return unknown(token, meant);
    }
  }
  return undefined;

  function unknown(flag: string, meant: string | undefined): UsageError {
    return new UsageError(`Unknown option ${flag}${meant ? ` (did you mean --${meant}?)` : ""}`);
  }
}

/**
 * Parses `argv` against the command's options.
 *
 * @throws {UsageError} On unknown flags (with a suggestion) or missing values
 */
export function parseCommandArgs(cmd: Command, argv: string[]): ParsedArgs & { help: boolean } {
  const options: Record<string, { type: "string" | "boolean"; short?: string; default?: string | boolean }> =
    { help: { type: "boolean", short: "h" } };
  for (const [name, o] of Object.entries(cmd.options)) {
    options[name] = { type: o.type, ...(o.short ? { short: o.short } : {}) };
    if (o.default !== undefined) options[name].default = o.default;
  }
  const unknown = unknownOption(cmd, argv);
  if (unknown) throw unknown;
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

/** Largest seed: seeds are 32-bit, and a larger one would silently alias a smaller one. */
export const MAX_SEED = 2 ** 32 - 1;

/**
 * Reads an integer flag.
 *
 * @throws {UsageError} If the value is not an integer within the bounds; the message names the
 *   flag and the bounds
 */
export function intFlag(
  args: ParsedArgs,
  name: string,
  bounds: { min?: number; max?: number } = {},
): number | undefined {
  const raw = args.values[name];
  if (raw === undefined || raw === false) return undefined;
  // Number("") and Number(" ") are 0: a blank value is no integer.
  const v = String(raw).trim() === "" ? NaN : Number(raw);
  const { min = -Infinity, max = Infinity } = bounds;
  if (!Number.isInteger(v) || v < min || v > max) {
    const range = max === Infinity
      ? (min === -Infinity ? "" : ` ≥ ${min}`)
      : min === -Infinity
      ? ` ≤ ${max}`
      : ` in ${min}…${max}`;
    const flag = name.length === 1 ? `-${name}` : `--${name}`;
    throw new UsageError(`Invalid ${flag} "${oneLine(String(raw), 40)}": expected an integer${range}`);
  }
  return v;
}

/** Reads `--seed`: an integer in 0…2³²−1. */
export function seedFlag(args: ParsedArgs): number {
  return intFlag(args, "seed", { min: 0, max: MAX_SEED }) ?? 0;
}

/**
 * `text` on one line (line breaks and runs of white space as one space), cut to `max` characters
 * with a note of what was left out, so a huge input never floods the terminal.
 */
export function oneLine(text: string, max = 1000): string {
  const flat = text.replace(/\s*[\r\n]+\s*/g, " ").trim();
  return flat.length <= max ? flat : `${flat.slice(0, max)}… (${flat.length - max} more characters)`;
}
