/**
 * `Tensor`: a backend buffer with a shape tracked in TypeScript, plus the bookkeeping the tape
 * needs (`requiresGrad`, `grad`). Index tensors (u32/i32) made from host data keep that data, so
 * gradients of gathers can be reduced deterministically over sorted segments.
 *
 * @module
 */

import {
  type Backend,
  type DeviceBuffer,
  type DType,
  type HostArray,
  hostArray,
} from "./backend_interface.ts";

/** Where new tensors are registered (the tape, while it records); set by `tape.ts`. */
export const registry: { current: Set<Tensor> | null } = { current: null };

/** Number of elements of `shape`. */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** A typed array of one of the three dtypes, or plain numbers (then f32). */
export type TensorData = HostArray | number[];

/**
 * An n-dimensional array resident on a backend.
 *
 * @example Upload and read back on the reference backend
 * ```ts
 * import { Tensor } from "./tensor.ts";
 * import { getBackend } from "./backend.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = await getBackend({ prefer: "reference" });
 * const t = Tensor.from(be, [1, 2, 3, 4], [2, 2]);
 * assertEquals(await t.read(), new Float32Array([1, 2, 3, 4]));
 * ```
 */
export class Tensor {
  /** Whether the tape should compute a gradient for this tensor. */
  requiresGrad = false;
  /** Accumulated gradient (parameters only); set by `Tape.backward`, cleared by `zeroGrad`. */
  grad: Tensor | undefined;
  /** Host copy of an index tensor's data (kept by `Tensor.from` for u32/i32). */
  host: HostArray | undefined;
  /** Cached derived data (e.g. the CSR of an index tensor), keyed by purpose. */
  readonly cache: Map<string, Tensor> = new Map<string, Tensor>();
  #buf: DeviceBuffer | undefined;
  /** Live tensors over `#buf` (several after {@linkcode Tensor.view}); the last dispose frees it. */
  #owners: { count: number } = { count: 1 };

  /** Wraps a buffer; prefer {@linkcode Tensor.from} / {@linkcode Tensor.empty}. */
  constructor(
    /** The backend that owns the buffer. */
    readonly backend: Backend,
    /** Dimensions, outermost first. */
    readonly shape: readonly number[],
    /** Element type. */
    readonly dtype: DType,
    buf: DeviceBuffer,
  ) {
    this.#buf = buf;
    registry.current?.add(this);
  }

  /** The buffer; throws after {@linkcode Tensor.dispose}. */
  get buffer(): DeviceBuffer {
    if (!this.#buf) throw new Error(`Cannot use tensor of shape [${this.shape}]: it was disposed`);
    return this.#buf;
  }

  /** Number of elements. */
  get size(): number {
    return numel(this.shape);
  }

  /** Whether the buffer was released. */
  get disposed(): boolean {
    return this.#buf === undefined;
  }

  /** Allocates an uninitialised tensor. */
  static empty(backend: Backend, shape: readonly number[], dtype: DType = "f32"): Tensor {
    return new Tensor(backend, [...shape], dtype, backend.alloc(dtype, Math.max(1, numel(shape))));
  }

  /**
   * Uploads host data. Plain number arrays become f32; typed arrays keep their dtype.
   *
   * @param backend Where the tensor lives
   * @param data Values in row-major order
   * @param shape Dimensions (default: 1-D)
   * @returns The new tensor
   * @throws {TypeError} When the data length does not match the shape
   */
  static from(backend: Backend, data: TensorData, shape?: readonly number[]): Tensor {
    const arr = Array.isArray(data) ? new Float32Array(data) : data;
    const dtype: DType = arr instanceof Float32Array ? "f32" : arr instanceof Uint32Array ? "u32" : "i32";
    const sh = shape ?? [arr.length];
    if (numel(sh) !== arr.length) {
      throw new TypeError(
        `Cannot create tensor of shape [${sh}]: expected ${numel(sh)} values, got ${arr.length}`,
      );
    }
    const t = Tensor.empty(backend, sh, dtype);
    if (arr.length > 0) backend.write(t.buffer, arr);
    if (dtype !== "f32") t.host = arr.slice();
    return t;
  }

  /** Copies the values to the host (submits pending work first). */
  async read(): Promise<HostArray> {
    const data = await this.backend.read(this.buffer);
    return data.length === this.size ? data : data.subarray(0, this.size);
  }

  /** Reads a one-element tensor as a number. */
  async item(): Promise<number> {
    return (await this.read())[0];
  }

  /**
   * The same values under another shape of the same size, sharing this tensor's buffer (no copy,
   * no dispatch). Each of the two may be disposed first; the buffer is freed with the last. Neither
   * may be written in place while the other is in use.
   *
   * @throws {TypeError} When the sizes differ
   */
  view(shape: readonly number[]): Tensor {
    if (numel(shape) !== this.size) {
      throw new TypeError(`Cannot view [${this.shape}] (${this.size} values) as [${shape}]`);
    }
    const t = new Tensor(this.backend, [...shape], this.dtype, this.buffer);
    t.#owners = this.#owners;
    this.#owners.count++;
    if (this.host) t.host = this.host;
    return t;
  }

  /** Releases the buffer (and cached derived tensors) back to the backend's pool. */
  dispose(): void {
    if (!this.#buf) return;
    if (--this.#owners.count === 0) this.backend.free(this.#buf);
    this.#buf = undefined;
    for (const t of this.cache.values()) t.dispose();
    this.cache.clear();
  }
}

/** Allocates a host array of the tensor dtype (helper for tests and references). */
export function hostFor(t: Tensor): HostArray {
  return hostArray(t.dtype, t.size);
}
