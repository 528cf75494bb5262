/**
 * File output for commands: every file is written to a temporary name beside its target and
 * renamed into place, so an interrupted run never leaves a truncated file.
 *
 * @module
 */

import { writeFileAtomic } from "../train/checkpoint.ts";

/** Writes `text` to `path` atomically (the trainer's temp-file-then-rename writer). */
export function writeTextAtomic(path: string, text: string): Promise<void> {
  return writeFileAtomic(path, text);
}

/** True when `path` is an existing directory. */
export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** Reads all of stdin as text. */
export async function readStdinText(): Promise<string> {
  return await new Response(Deno.stdin.readable).text();
}
