/**
 * Reading a model folder from a path or a URL (so `CDVAE.load` works from a URL import): the
 * folder's `config.json` and the first weights file found.
 *
 * @module
 */

/** Resolves a folder path (relative to the working directory) or URL to a folder URL. */
export function folderUrl(source: string | URL): URL {
  let base: URL;
  if (source instanceof URL || /^[a-z]+:\/\//i.test(source)) base = new URL(String(source));
  else base = new URL(`file://${source.startsWith("/") ? "" : Deno.cwd() + "/"}${source}`);
  return base.pathname.endsWith("/") ? base : new URL(base.href + "/");
}

/** One file of a model folder (file: or http(s):). */
export async function readModelFile(base: URL, name: string): Promise<Uint8Array> {
  const url = new URL(name, base);
  if (url.protocol === "file:") return await Deno.readFile(url);
  const res = await fetch(url);
  if (!res.ok) throw new Error(`Cannot load model file ${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/**
 * A model folder's config (checked by its `format` field) and weights (`weights.safetensors`, else
 * a run's `best.safetensors` or `last.safetensors`).
 *
 * @throws {Error} Naming the folder and what is missing or wrong
 */
export async function readModelFolder<T extends { format: string }>(
  base: URL,
  format: string,
): Promise<{ config: T; weights: Uint8Array; weightsName: string }> {
  let config: T;
  try {
    config = JSON.parse(new TextDecoder().decode(await readModelFile(base, "config.json")));
  } catch (e) {
    throw new Error(
      `Cannot load a model from ${base.href}: config.json is missing or unreadable (${(e as Error).message})`,
    );
  }
  if (config.format !== format) {
    throw new Error(`${base.href}config.json is not a ${format} config (format "${config.format}")`);
  }
  for (const name of ["weights.safetensors", "best.safetensors", "last.safetensors"]) {
    try {
      return { config, weights: await readModelFile(base, name), weightsName: new URL(name, base).href };
    } catch { /* try the next name */ }
  }
  throw new Error(`Cannot load a model from ${base.href}: no weights.safetensors (or best/last) there`);
}
