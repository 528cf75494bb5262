/**
 * File output for commands: every file is written to a temporary name beside its target and
 * renamed into place, so an interrupted run never leaves a truncated file.
 *
 * @module
 */

/** Writes `text` to `path` atomically (temp file in the same folder, then rename). */
export async function writeTextAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    await Deno.writeTextFile(tmp, text);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
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
