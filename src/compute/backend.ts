/**
 * Backend selection: {@linkcode getBackend} picks WebGPU on a real GPU and the wasm-SIMD kernels
 * otherwise. The interface every backend implements is `backend_interface.ts`, re-exported here so
 * callers need one import.
 *
 * @module
 */

import type { Backend } from "./backend_interface.ts";

export * from "./backend_interface.ts";

/** Options of {@linkcode getBackend}. */
export interface BackendOptions {
  /**
   * Which backend to use. Default: WebGPU on a real GPU; the wasm CPU kernels when the only
   * adapter is a CPU driver (see {@linkcode isCpuAdapter}) or there is none.
   */
  prefer?: "webgpu" | "wasm" | "reference";
}

/** Adapter descriptions of CPU drivers, on which the wasm kernels beat WebGPU. */
const CPU_DRIVERS = /llvmpipe|lavapipe|swiftshader/i;

/**
 * Whether a WebGPU adapter is a CPU driver (llvmpipe, lavapipe, SwiftShader, or a fallback
 * adapter), judged from `adapter.info`.
 *
 * @param info The adapter's `info`
 * @returns True for CPU drivers
 *
 * @example llvmpipe is a CPU driver
 * ```ts
 * import { isCpuAdapter } from "./backend.ts";
 * import { assert } from "../../tests/_assert.ts";
 * assert(isCpuAdapter({ description: "llvmpipe (LLVM 15.0.6, 256 bits)" }));
 * ```
 */
export function isCpuAdapter(
  info: { description?: string; device?: string; isFallbackAdapter?: boolean },
): boolean {
  return CPU_DRIVERS.test(`${info.description ?? ""} ${info.device ?? ""}`) ||
    info.isFallbackAdapter === true;
}

/** The adapter's info, or undefined when WebGPU or an adapter is missing. */
async function adapterInfo(): Promise<GPUAdapterInfo | undefined> {
  try {
    const gpu = (globalThis.navigator as Navigator & { gpu?: GPU }).gpu;
    return (await gpu?.requestAdapter())?.info ?? undefined;
  } catch {
    return undefined;
  }
}

let defaultBackend: Promise<Backend> | undefined;

/**
 * Returns the process-wide backend. `prefer: "webgpu"` fails (with {@linkcode NoAdapterError} from
 * `webgpu.ts`) when no adapter exists. With no preference: WebGPU when the adapter is a real GPU,
 * else the wasm kernels (the reference backend only if those cannot be loaded).
 *
 * @param opts Which backend to prefer
 * @returns The backend, created on first use
 *
 * @example Run on the plain-TS reference backend
 * ```ts
 * import { getBackend } from "./backend.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = await getBackend({ prefer: "reference" });
 * assertEquals(be.name, "reference");
 * ```
 */
export async function getBackend(opts: BackendOptions = {}): Promise<Backend> {
  if (opts.prefer === "reference") {
    const { referenceBackend } = await import("./reference.ts");
    return referenceBackend();
  }
  if (opts.prefer === "webgpu") {
    const { webgpuBackend } = await import("./webgpu.ts");
    return await webgpuBackend();
  }
  if (opts.prefer === "wasm") {
    const { wasmBackend } = await import("./wasm.ts");
    return await wasmBackend();
  }
  defaultBackend ??= (async () => {
    const info = await adapterInfo();
    if (info && !isCpuAdapter(info)) {
      const { webgpuBackend } = await import("./webgpu.ts");
      return await webgpuBackend();
    }
    try {
      const { wasmBackend } = await import("./wasm.ts");
      return await wasmBackend();
    } catch (e) {
      // Without the kernel module (e.g. no read permission for it): WebGPU on the CPU adapter if
      // one exists, else the plain-TS reference; a loading error with neither is rethrown.
      if (info) {
        const { webgpuBackend } = await import("./webgpu.ts");
        return await webgpuBackend();
      }
      if (!(e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied)) throw e;
      const { referenceBackend } = await import("./reference.ts");
      return referenceBackend();
    }
  })();
  return await defaultBackend;
}
