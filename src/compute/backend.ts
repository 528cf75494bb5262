/**
 * The one interface every compute backend implements, and backend selection.
 *
 * A backend owns buffers (`alloc`, `write`, `read`, `free`) and runs kernels from the registry in
 * `ops.ts` by name (`dispatch`). Kernels receive their buffers in the order the registry lists them
 * (inputs, then outputs) and a flat set of named scalar parameters, packed as a uniform struct on
 * the GPU and passed as an object to the CPU reference. Dispatches are recorded in order; `flush`
 * submits them, and `read` flushes before it reads.
 *
 * @module
 */

import type { KernelDef } from "./ops.ts";

/** Element types of tensors. f32 for values, u32/i32 for indices. */
export type DType = "f32" | "u32" | "i32";

/** The typed array that holds one dtype on the host. */
export type HostArray = Float32Array | Uint32Array | Int32Array;

/** A backend-owned buffer of `length` elements of `dtype`. */
export interface DeviceBuffer {
  /** Element type. */
  readonly dtype: DType;
  /** Number of elements. */
  readonly length: number;
}

/** A range of a buffer, in elements (ops use it to split work that exceeds a binding limit). */
export interface BufferView {
  /** The whole buffer. */
  buffer: DeviceBuffer;
  /** First element. */
  offset: number;
  /** Number of elements. */
  length: number;
}

/** One kernel launch: the registry entry, its buffers, parameters and workgroup grid. */
export interface Dispatch {
  /** Registry entry (shader file, entry point, CPU reference, uniform layout). */
  kernel: KernelDef;
  /** Buffers in the order of `kernel.bindings` (inputs first, then outputs). */
  buffers: (DeviceBuffer | BufferView)[];
  /** Scalar parameters by name; the uniform layout is `kernel.uniforms`. */
  params: Record<string, number>;
  /** Compile-time constants (e.g. the activation); part of the pipeline cache key. */
  consts?: Record<string, number>;
  /** Workgroups in x, y (z = 1). Ignored by CPU backends. */
  grid: [number, number];
}

/** What every backend provides. Model code only sees this through `Tensor` and ops. */
export interface Backend {
  /** `"webgpu"`, `"wasm"` or `"reference"`. */
  readonly name: string;
  /** Largest range, in bytes, one binding may cover; ops split work above it (tests lower it). */
  maxBindingBytes: number;
  /** Allocates an uninitialised (GPU: pooled, possibly reused) buffer. */
  alloc(dtype: DType, length: number): DeviceBuffer;
  /** Copies host data into `buf` (ordered after every dispatch recorded so far). */
  write(buf: DeviceBuffer, data: HostArray): void;
  /** Submits pending work and copies `buf` back to the host. */
  read(buf: DeviceBuffer): Promise<HostArray>;
  /** Returns `buf` to the pool. The caller must not use it afterwards. */
  free(buf: DeviceBuffer): void;
  /** Records one kernel launch. */
  dispatch(d: Dispatch): void;
  /** Submits everything recorded so far (one command encoder). */
  flush(): void;
  /** Resolves when submitted work has finished (throws if the device was lost). */
  sync(): Promise<void>;
}

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

/** Bytes per element of every dtype (all are 32-bit). */
export const BYTES_PER_ELEMENT = 4;

/** Allocates the host array for `dtype`. */
export function hostArray(dtype: DType, length: number): HostArray {
  return dtype === "f32"
    ? new Float32Array(length)
    : dtype === "u32"
    ? new Uint32Array(length)
    : new Int32Array(length);
}
