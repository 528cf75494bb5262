/**
 * The one interface every compute backend implements: buffers, kernel definitions and dispatches.
 * Backend selection is `backend.ts`; the kernel registry is `ops.ts`.
 *
 * A backend owns buffers (`alloc`, `write`, `read`, `free`) and runs registered kernels
 * (`dispatch`). Kernels receive their buffers in the order their definition lists them (inputs,
 * then outputs) and a flat set of named scalar parameters, packed as a uniform struct on the GPU
 * and passed as an object to the CPU reference. Dispatches are recorded in order; `flush` submits
 * them, and `read` flushes before it reads.
 *
 * @module
 */

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
  /**
   * Allocates an uninitialised (GPU: pooled, possibly reused) buffer.
   * @internal
   */
  alloc(dtype: DType, length: number): DeviceBuffer;
  /**
   * Copies host data into `buf` (ordered after every dispatch recorded so far).
   * @internal
   */
  write(buf: DeviceBuffer, data: HostArray): void;
  /**
   * Submits pending work and copies `buf` back to the host.
   * @internal
   */
  read(buf: DeviceBuffer): Promise<HostArray>;
  /**
   * Returns `buf` to the pool. The caller must not use it afterwards.
   * @internal
   */
  free(buf: DeviceBuffer): void;
  /**
   * Records one kernel launch.
   * @internal
   */
  dispatch(d: Dispatch): void;
  /** Submits everything recorded so far (one command encoder). */
  flush(): void;
  /** Resolves when submitted work has finished (throws if the device was lost). */
  sync(): Promise<void>;
}

/** A reference kernel: buffers in binding order (outputs are written in place) and parameters. */
export type CpuKernel = (bufs: HostArray[], p: Record<string, number>) => void;

/** How to run one kernel: where its WGSL lives, its interface and its CPU reference. */
export interface KernelDef {
  /** Registry key. */
  name: string;
  /** File in `shaders/`. */
  shader: string;
  /** WGSL entry point. */
  entry: string;
  /** Buffer names in binding order (0, 1, …); the uniform struct follows at the next binding. */
  bindings: readonly string[];
  /** Uniform fields in order; `name:f32` for f32, otherwise u32. */
  uniforms: readonly string[];
  /** Names of the compile-time constants the shader expects. */
  consts: readonly string[];
  /** The plain-TS definition of what the kernel computes. */
  reference: CpuKernel;
  /**
   * The wasm backend runs `reference` over its own memory instead of a Rust export `k_<entry>`
   * (kernels without a Rust port yet; they are correct there, not fast).
   */
  wasmUsesReference?: boolean;
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
