/**
 * Where the browser build finds its assets: one base URL, the root of the package or of the built
 * site (see `mod.ts`). Kept apart from `mod.ts` so that the page's own code (`page.ts`) needs none of
 * the library.
 *
 * @module
 */

/** Where the assets are. */
export interface WebOptions {
  /** Root of the package or built site (holding `wasm/`, `shaders/`, `data/models/`); default: the folder above this module. */
  base?: string | URL;
}

/**
 * The asset root for `opts.base`, as a folder URL (with a trailing slash).
 *
 * @example
 * ```ts
 * import { assetBase } from "./assets.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 * assertEquals(assetBase({ base: "https://example.org/demo" }).href, "https://example.org/demo/");
 * ```
 */
export function assetBase(opts: WebOptions = {}): URL {
  const url = new URL(String(opts.base ?? new URL("../", import.meta.url)), globalThis.location?.href);
  return url.pathname.endsWith("/") ? url : new URL(url.href + "/");
}

/** One entry of the site's model list (`data/models/index.json`, written by `deno task build:web`). */
export interface ShippedModel {
  name: string;
  /** Dataset the model was trained on. */
  dataset: string;
  /** Largest number of atoms it generates. */
  maxAtoms: number;
}

/** The models the built site ships (read from `data/models/index.json` under the asset root). */
export async function listModels(opts: WebOptions = {}): Promise<ShippedModel[]> {
  const url = new URL("data/models/index.json", assetBase(opts));
  const res = await fetch(url);
  if (!res.ok) throw new Error(`Cannot read the model list "${url}": HTTP ${res.status}`);
  return await res.json();
}
