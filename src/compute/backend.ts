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
  /** `"webgpu"` or `"reference"` (later `"wasm"`). */
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
  /** Which backend to use; default: WebGPU when an adapter exists, else the reference backend. */
  prefer?: "webgpu" | "reference";
}

let defaultBackend: Promise<Backend> | undefined;

/**
 * Returns the process-wide backend. `prefer: "webgpu"` fails (with {@linkcode NoAdapterError} from
 * `webgpu.ts`) when no adapter exists; with no preference, the reference backend is the fallback.
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
  defaultBackend ??= (async () => {
    const { webgpuBackend, NoAdapterError } = await import("./webgpu.ts");
    try {
      return await webgpuBackend();
    } catch (e) {
      if (!(e instanceof NoAdapterError)) throw e;
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
