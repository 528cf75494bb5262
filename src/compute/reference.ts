/**
 * The reference backend: buffers are host typed arrays and `dispatch` runs the kernel's plain-TS
 * reference from `_cpu.ts`. Slow but exact to the definitions; it lets tests and machines without
 * a WebGPU adapter run everything, and marks the slot the wasm-SIMD backend will fill.
 *
 * @module
 */

import {
  type Backend,
  type BufferView,
  type DeviceBuffer,
  type DType,
  type HostArray,
  hostArray,
} from "./backend_interface.ts";

interface HostBuffer extends DeviceBuffer {
  data: HostArray;
}

function isView(b: DeviceBuffer | BufferView): b is BufferView {
  return "buffer" in b;
}

let instance: Backend | undefined;

/**
 * Returns the process-wide reference backend.
 *
 * @returns The backend
 *
 * @example Buffers are host arrays
 * ```ts
 * import { referenceBackend } from "./reference.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = referenceBackend();
 * const b = be.alloc("f32", 2);
 * be.write(b, new Float32Array([1, 2]));
 * assertEquals(await be.read(b), new Float32Array([1, 2]));
 * ```
 */
export function referenceBackend(): Backend {
  return instance ??= {
    name: "reference",
    maxBindingBytes: 2 ** 31 - 4,
    alloc(dtype: DType, length: number): DeviceBuffer {
      const b: HostBuffer = { dtype, length, data: hostArray(dtype, length) };
      return b;
    },
    write(buf: DeviceBuffer, data: HostArray): void {
      (buf as HostBuffer).data.set(data);
    },
    read(buf: DeviceBuffer): Promise<HostArray> {
      return Promise.resolve((buf as HostBuffer).data.slice());
    },
    free(): void {},
    dispatch({ kernel, buffers, params, consts }): void {
      const arrays = buffers.map((b) =>
        isView(b)
          ? (b.buffer as HostBuffer).data.subarray(b.offset, b.offset + b.length)
          : (b as HostBuffer).data
      );
      kernel.reference(arrays, { ...params, ...consts });
    },
    flush(): void {},
    sync: () => Promise.resolve(),
  };
}
