/**
 * `deno task build:web [--out DIR]`: writes the static demo site (default `out/web/`) that any
 * static host serves as files:
 *
 * ```text
 * index.html                    the demo page (web/index.html)
 * web/cdvae.js                  one bundle of web/app.ts: the page, and the generation worker it starts
 * web/3Dmol-min.js, LICENSE     the viewer, copied from the pinned npm package 3dmol (BSD-3-Clause)
 * wasm/pkg/cdvae_wasm_bg.wasm   the geometry core
 * wasm/kernels/pkg/*.wasm       the compute kernels
 * shaders/*.wgsl                the WebGPU kernels
 * data/models/<name>/           each shipped generation model (config.json, weights), index.json lists them
 * ```
 *
 * The layout mirrors the repository, so `web/mod.ts` finds its assets from the same base in both.
 * The geometry core's wasm-bindgen glue instantiates itself at import time from a URL beside the
 * glue; the bundle gets a copy whose instantiation waits for `initCore()` instead, so the wasm is
 * found from the base URL the page chooses (an import map points the glue's path at the copy).
 *
 * @module
 */

import { parseArgs } from "node:util";

const ROOT = new URL("../", import.meta.url);

/** The viewer package: its version pinned in deno.json's imports (`"3dmol": "npm:3dmol@X"`), so deno.lock holds its integrity. */
export const THREE_DMOL = {
  name: "3dmol",
  version: viewerVersion(JSON.parse(Deno.readTextFileSync(new URL("deno.json", ROOT))).imports?.["3dmol"]),
  file: "build/3Dmol-min.js",
};

function viewerVersion(specifier: unknown): string {
  const m = String(specifier).match(/^npm:3dmol@(\d+\.\d+\.\d+)$/);
  if (!m) throw new Error(`deno.json must pin the viewer as "3dmol": "npm:3dmol@X.Y.Z", not "${specifier}"`);
  return m[1];
}

/** The last lines of the wasm-bindgen glue (`--target deno`/ESM): instantiation at import time. */
const GLUE_TAIL = `const wasmUrl = new URL('cdvae_wasm_bg.wasm', import.meta.url);
const wasmInstantiated = await WebAssembly.instantiateStreaming(fetch(wasmUrl), __wbg_get_imports());
const wasmInstance = wasmInstantiated.instance;
const wasm = wasmInstance.exports;
wasm.__wbindgen_start();`;

/** What replaces it: the same steps, run when `web/mod.ts`'s `initCore` hands over the bytes. */
const DEFERRED_TAIL = `let wasm;
export async function __cdvae_init(bytes) {
  if (wasm) return;
  const { instance } = await WebAssembly.instantiate(bytes, __wbg_get_imports());
  wasm = instance.exports;
  wasm.__wbindgen_start();
}`;

/**
 * The glue with its import-time instantiation replaced by `__cdvae_init(bytes)`.
 *
 * @throws {Error} When the glue does not end as expected (a new wasm-bindgen changed it)
 */
export function deferGlue(glue: string): string {
  const at = glue.lastIndexOf(GLUE_TAIL);
  if (at < 0 || glue.slice(at + GLUE_TAIL.length).trim() !== "") {
    throw new Error(
      "Cannot defer the wasm glue: wasm/pkg/cdvae_wasm.js no longer ends as web/build.ts expects",
    );
  }
  return glue.slice(0, at) + DEFERRED_TAIL + "\n";
}

async function run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed:\n${new TextDecoder().decode(out.stderr)}${text}`);
  }
  return text;
}

async function copy(from: string, to: URL): Promise<void> {
  await Deno.mkdir(new URL("./", to), { recursive: true });
  await Deno.copyFile(new URL(from, ROOT), to);
}

/**
 * The folder of a cached npm package (fetched into Deno's npm cache if needed, checked against the
 * integrity recorded in deno.lock).
 */
async function npmPackageDir(name: string, version: string): Promise<string> {
  await run(Deno.execPath(), [
    "cache",
    "--config",
    new URL("deno.json", ROOT).pathname,
    `npm:${name}@${version}`,
  ]);
  const info = JSON.parse(await run(Deno.execPath(), ["info", "--json", "--no-config"]));
  const dir = `${info.npmCache}/registry.npmjs.org/${name}/${version}`;
  await Deno.stat(dir);
  return dir;
}

/** The generation models under data/models/ (config format cdvae-config/1), with their weights file. */
async function shippedModels(): Promise<
  { name: string; dataset: string; maxAtoms: number; weights: string }[]
> {
  const found = [];
  for await (const e of Deno.readDir(new URL("data/models/", ROOT))) {
    if (!e.isDirectory) continue;
    const dir = new URL(`data/models/${e.name}/`, ROOT);
    const config = await Deno.readTextFile(new URL("config.json", dir)).then(JSON.parse, () => undefined);
    if (config?.format !== "cdvae-config/1") continue;
    const weights = ["weights.safetensors", "best.safetensors"].find((w) => {
      try {
        return Deno.statSync(new URL(w, dir)).isFile;
      } catch {
        return false;
      }
    });
    if (weights) {
      found.push({
        name: e.name,
        dataset: String(config.dataset ?? e.name),
        maxAtoms: config.maxAtoms,
        weights,
      });
    }
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Builds the site into `outDir` (emptied first).
 *
 * @returns The files written, relative to `outDir`
 */
export async function buildSite(outDir: URL, opts: { minify?: boolean } = {}): Promise<string[]> {
  await Deno.remove(outDir, { recursive: true }).catch(() => {});
  await Deno.mkdir(new URL("web/", outDir), { recursive: true });
  const tmp = await Deno.makeTempDir({ prefix: "cdvae-web-" });
  try {
    const glueUrl = new URL("wasm/pkg/cdvae_wasm.js", ROOT);
    const deferred = `${tmp}/cdvae_wasm_deferred.js`;
    await Deno.writeTextFile(deferred, deferGlue(await Deno.readTextFile(glueUrl)));
    const map = `${tmp}/import_map.json`;
    // The project's own import map (bare specifiers such as "yaml" used by the library), plus the deferred glue.
    const projectImports = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT))).imports ?? {};
    await Deno.writeTextFile(
      map,
      JSON.stringify({ imports: { ...projectImports, [glueUrl.href]: `file://${deferred}` } }),
    );
    await run(Deno.execPath(), [
      "bundle",
      "--quiet",
      "--no-config",
      "--no-lock",
      "--import-map",
      map,
      "--platform",
      "browser",
      "--format",
      "esm",
      ...(opts.minify === false ? [] : ["--minify"]),
      "-o",
      new URL("web/cdvae.js", outDir).pathname,
      new URL("web/app.ts", ROOT).pathname,
    ]);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
  await copy("web/index.html", new URL("index.html", outDir));
  const viewer = await npmPackageDir(THREE_DMOL.name, THREE_DMOL.version);
  await Deno.copyFile(`${viewer}/${THREE_DMOL.file}`, new URL("web/3Dmol-min.js", outDir));
  await Deno.copyFile(`${viewer}/LICENSE`, new URL("web/3Dmol-LICENSE", outDir)).catch(() => {});
  await copy("wasm/pkg/cdvae_wasm_bg.wasm", new URL("wasm/pkg/cdvae_wasm_bg.wasm", outDir));
  for (const f of ["cdvae_kernels.wasm", "cdvae_kernels_mt.wasm"]) {
    await copy(`wasm/kernels/pkg/${f}`, new URL(`wasm/kernels/pkg/${f}`, outDir));
  }
  for await (const e of Deno.readDir(new URL("shaders/", ROOT))) {
    if (e.isFile && e.name.endsWith(".wgsl")) {
      await copy(`shaders/${e.name}`, new URL(`shaders/${e.name}`, outDir));
    }
  }
  const models = await shippedModels();
  if (models.length === 0) throw new Error("Cannot build the site: no generation model under data/models/");
  for (const m of models) {
    for (const f of ["config.json", m.weights, "card.md"]) {
      await copy(`data/models/${m.name}/${f}`, new URL(`data/models/${m.name}/${f}`, outDir)).catch((e) => {
        if (f !== "card.md") throw e;
      });
    }
  }
  await Deno.writeTextFile(
    new URL("data/models/index.json", outDir),
    JSON.stringify(models.map(({ name, dataset, maxAtoms }) => ({ name, dataset, maxAtoms }))),
  );
  const files: string[] = [];
  const walk = async (dir: URL, prefix: string) => {
    for await (const e of Deno.readDir(dir)) {
      if (e.isDirectory) await walk(new URL(`${e.name}/`, dir), `${prefix}${e.name}/`);
      else files.push(prefix + e.name);
    }
  };
  await walk(outDir, "");
  return files.sort();
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { out: { type: "string", default: "out/web" }, "no-minify": { type: "boolean" } },
  });
  const out = new URL(values.out.endsWith("/") ? values.out : values.out + "/", `file://${Deno.cwd()}/`);
  const t0 = performance.now();
  const files = await buildSite(out, { minify: !values["no-minify"] });
  let bytes = 0;
  for (const f of files) bytes += (await Deno.stat(new URL(f, out))).size;
  console.error(
    `Wrote ${files.length} files (${(bytes / 1e6).toFixed(1)} MB) to ${out.pathname} in ${
      ((performance.now() - t0) / 1000).toFixed(1)
    } s; serve that folder with any static server, e.g. deno run -A mod.ts serve --site ${values.out}`,
  );
}
