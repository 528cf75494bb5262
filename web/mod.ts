/**
 * cdvae in the browser: the library without the CLI, without `node:` imports and without file
 * system access. Every asset — the geometry core's wasm, the compute kernels' wasm, the WGSL
 * shaders and the models — is fetched from one base URL: the root of the package or of the site
 * `deno task build:web` writes (`wasm/pkg/`, `wasm/kernels/pkg/`, `shaders/` and `data/models/`
 * below it, the same layout in both). Pass `base` when the bundle sits elsewhere; its default is
 * the folder above this module's own URL, which is that root in the repository (`web/mod.ts`) and
 * in the built site (`web/cdvae.js`). Element tables are JSON imports, so they travel inside the
 * bundle.
 *
 * In the browser the wasm compute backend runs on one thread, and {@linkcode chooseBackend} says so
 * in its `note` (the two-thread build blocks with `Atomics.wait`, which needs a cross-origin
 * isolated page and a helper Web Worker, not wired up yet).
 *
 * @example Generate two crystals in a page or a worker
 * ```ts ignore
 * import { chooseBackend, initCore, loadModel, writeCif } from "./web/mod.ts";
 * await initCore();
 * const { backend } = await chooseBackend();
 * const model = await loadModel("perov_5", { backend });
 * const crystals = await model.generate({ n: 2, seed: 1, stepsPerLevel: 5 });
 * console.log(writeCif(crystals[0]));
 * ```
 * @module
 */

import * as coreGlue from "../wasm/pkg/cdvae_wasm.js";
import type { Backend } from "../src/compute/backend.ts";
import { isCpuAdapter } from "../src/compute/backend.ts";
import { createWasmBackend } from "../src/compute/wasm.ts";
import { createWebGPUBackend } from "../src/compute/webgpu.ts";
import { CDVAE } from "../src/model/cdvae.ts";
import { assetBase, type WebOptions } from "./assets.ts";

export { assetBase, listModels } from "./assets.ts";
export type { ShippedModel, WebOptions } from "./assets.ts";

export * from "../src/crystal/crystal.ts";
export * from "../src/crystal/lattice.ts";
export * from "../src/crystal/elements.ts";
export * from "../src/crystal/errors.ts";
export * from "../src/crystal/cif.ts";
export * from "../src/crystal/poscar.ts";
export * from "../src/crystal/extxyz.ts";
export * from "../src/crystal/pymatgen_json.ts";
export { FORMATS } from "../src/crystal/formats.ts";
export * from "../src/core/lattice.ts";
export * from "../src/core/geometry.ts";
export * from "../src/eval/smact.ts";
export * from "../src/eval/validity.ts";
export { CDVAE } from "../src/model/cdvae.ts";
export type { GenerateOptions } from "../src/model/cdvae.ts";
export type { GeneratedCrystal } from "../src/model/sampler.ts";
export type { Backend } from "../src/compute/backend.ts";

/** What the bundled geometry glue exports in place of its own top-level instantiation (see web/build.ts). */
type DeferredGlue = { __cdvae_init?: (bytes: BufferSource) => Promise<void> };

let coreReady: Promise<void> | undefined;

/**
 * Instantiates the wasm geometry core from `base` when it was bundled by `deno task build:web`
 * (its glue then waits for this call). Unbundled, the glue has loaded itself and this only resolves.
 * Call it, and await it, before any geometry or generation.
 */
export function initCore(opts: WebOptions = {}): Promise<void> {
  const init = (coreGlue as unknown as DeferredGlue).__cdvae_init;
  if (!init) return Promise.resolve();
  return coreReady ??= (async () => {
    const url = new URL("wasm/pkg/cdvae_wasm_bg.wasm", assetBase(opts));
    const res = await fetch(url);
    if (!res.ok) throw new Error(`Cannot load the wasm geometry core "${url}": HTTP ${res.status}`);
    await init(await res.arrayBuffer());
  })();
}

/** The compute backend picked for this page and why. */
export interface BackendChoice {
  backend: Backend;
  /** `"webgpu"` or `"wasm"`. */
  name: "webgpu" | "wasm";
  /** The adapter's name, or the wasm thread count. */
  detail: string;
  /** Something the user should know (why not WebGPU, why one thread). */
  note?: string;
}

/** The note shown whenever the wasm backend runs in a browser. */
export const ONE_THREAD_NOTE =
  "wasm runs on one thread here: the two-thread kernels need a cross-origin-isolated page and a helper Web Worker, which this build does not set up yet";

/**
 * Picks the compute backend: WebGPU when the adapter is a real GPU (not a fallback or CPU adapter
 * such as SwiftShader or llvmpipe, on which the wasm kernels are much faster), else the wasm
 * kernels on one thread.
 *
 * @param opts `prefer` forces one backend (`"webgpu"` fails when there is no adapter at all)
 */
export async function chooseBackend(
  opts: WebOptions & { prefer?: "webgpu" | "wasm" } = {},
): Promise<BackendChoice> {
  const base = assetBase(opts);
  let why = "no WebGPU in this browser";
  if (opts.prefer !== "wasm") {
    const gpu = (globalThis.navigator as Navigator & { gpu?: GPU } | undefined)?.gpu;
    const adapter = await gpu?.requestAdapter().catch(() => null);
    const info = adapter?.info;
    const fallback = (adapter as { isFallbackAdapter?: boolean } | null | undefined)?.isFallbackAdapter ||
      (info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter;
    const name = info
      ? [info.vendor, info.architecture, info.description || info.device].filter(Boolean).join(" ")
      : "";
    if (adapter && (opts.prefer === "webgpu" || !isCpuAdapter({ ...info, isFallbackAdapter: fallback }))) {
      const backend = await createWebGPUBackend({ shaderBase: new URL("shaders/", base) });
      const slow = isCpuAdapter({ ...info, isFallbackAdapter: fallback });
      return {
        backend,
        name: "webgpu",
        detail: name || "WebGPU adapter",
        ...(slow
          ? {
            note: "WebGPU on a fallback/CPU adapter, as asked: the wasm backend is usually much faster here",
          }
          : {}),
      };
    }
    if (opts.prefer === "webgpu") throw new Error("Cannot use WebGPU: this browser offers no adapter");
    if (adapter) why = `the WebGPU adapter${name ? ` (${name})` : ""} is a fallback/CPU adapter`;
    else if (gpu) why = "no WebGPU adapter";
  }
  const backend = await createWasmBackend({
    threads: 1,
    kernelsUrl: new URL("wasm/kernels/pkg/cdvae_kernels.wasm", base),
  });
  const note = opts.prefer === "wasm" ? ONE_THREAD_NOTE : `${why}, so: ${ONE_THREAD_NOTE}`;
  return { backend, name: "wasm", detail: "1 thread", note };
}

/**
 * Loads a shipped model by folder name under `data/models/` of the asset root (e.g. `"perov_5"`).
 *
 * @param name Folder name (letters, digits, `_`, `-`, `.`)
 * @param opts Asset root and the backend to run on
 */
export async function loadModel(name: string, opts: WebOptions & { backend: Backend }): Promise<CDVAE> {
  if (!/^[\w.-]+$/.test(name) || name.startsWith(".")) throw new RangeError(`Invalid model name "${name}"`);
  return await CDVAE.load(new URL(`data/models/${name}/`, assetBase(opts)), { backend: opts.backend });
}
