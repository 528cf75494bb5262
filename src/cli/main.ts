/**
 * The command-line entry: dispatches to one command per file, prints usage and errors, and
 * turns failures into exit codes (0 success, 1 bad input or failure, 2 usage). Errors are printed on
 * one line, without a stack trace unless `CDVAE_DEBUG` is set.
 *
 * @module
 */

import { type Command, helpText, oneLine, parseCommandArgs, UsageError } from "./command.ts";
import { closest } from "./suggest.ts";
import { info } from "./info.ts";
import { convert } from "./convert.ts";
import { convertModel } from "./convert_model.ts";
import { train } from "./train.ts";
import { generate } from "./generate.ts";
import { reconstruct } from "./reconstruct.ts";
import { optimize } from "./optimize.ts";
import { evaluate } from "./evaluate.ts";
import { serve } from "./serve.ts";
import { render } from "./render.ts";
import { datasets } from "./datasets.ts";

/** Every command, in the order `--help` lists them. */
export const COMMANDS: readonly Command[] = [
  generate,
  reconstruct,
  optimize,
  evaluate,
  render,
  train,
  datasets,
  serve,
  info,
  convert,
  convertModel,
];

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    "cdvae — generate crystal structures with the Crystal Diffusion Variational Autoencoder",
    "",
    "Usage: deno run -A mod.ts <command> [options]",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Run 'deno run -A mod.ts <command> --help' for a command's options.",
  ].join("\n");
}

/** Runs the CLI on `argv` and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "-h" || name === "--help" || name === "help") {
    console.log(mainHelp());
    return name ? 0 : 2;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    const meant = closest(name, COMMANDS.map((c) => c.name));
    console.error(
      `Error: Unknown command "${oneLine(name, 80)}"${meant ? ` (did you mean ${meant}?)` : ""}. ` +
        `Run "deno run -A mod.ts --help" for the commands.`,
    );
    return 2;
  }
  try {
    const args = parseCommandArgs(cmd, rest);
    if (args.help) {
      console.log(helpText(cmd));
      return 0;
    }
    return await cmd.run(args);
  } catch (e) {
    // Every error is one line (and a bounded one: an input's 50 MB token is not echoed whole).
    if (e instanceof UsageError) {
      console.error(
        `Error: ${
          oneLine(e.message).replace(/\.$/, "")
        }. Run "deno run -A mod.ts ${cmd.name} --help" for usage.`,
      );
      return 2;
    }
    const err = e as Error;
    console.error(`Error: ${oneLine(err?.message ?? String(e))}`);
    if (Deno.env.get("CDVAE_DEBUG")) console.error(err.stack);
    return 1;
  }
}
