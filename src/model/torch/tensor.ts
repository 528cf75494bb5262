/**
 * PyTorch tensors as read from a checkpoint: the storage dtypes `torch.save` writes, and the
 * rebuild functions its pickles call (`torch._utils._rebuild_tensor_v2` and friends), done here
 * as copies out of the storage bytes.
 *
 * @module
 */

import type { HostTensor } from "../safetensors.ts";

/** Element types of PyTorch storages this reader decodes. */
export type TorchDtype =
  | "float64"
  | "float32"
  | "float16"
  | "bfloat16"
  | "int64"
  | "int32"
  | "int16"
  | "int8"
  | "uint8"
  | "bool";

/** Bytes per element of each dtype. */
export const DTYPE_SIZE: Readonly<Record<TorchDtype, number>> = {
  float64: 8,
  float32: 4,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

/** The legacy storage classes (`torch.FloatStorage`, …) and their element types. */
export const STORAGE_DTYPES: Readonly<Record<string, TorchDtype>> = {
  DoubleStorage: "float64",
  FloatStorage: "float32",
  HalfStorage: "float16",
  BFloat16Storage: "bfloat16",
  LongStorage: "int64",
  IntStorage: "int32",
  ShortStorage: "int16",
  CharStorage: "int8",
  ByteStorage: "uint8",
  BoolStorage: "bool",
};

/** `torch.<name>` dtype objects (as `_rebuild_tensor_v3` receives them) and their element types. */
export const TORCH_DTYPES: Readonly<Record<string, TorchDtype>> = {
  float64: "float64",
  double: "float64",
  float32: "float32",
  float: "float32",
  float16: "float16",
  half: "float16",
  bfloat16: "bfloat16",
  int64: "int64",
  long: "int64",
  int32: "int32",
  int: "int32",
  int16: "int16",
  short: "int16",
  int8: "int8",
  uint8: "uint8",
  bool: "bool",
};

/** Most elements a view may have beyond its storage's size (stride-0 expansion): 2^24. */
export const MAX_EXPANDED_ELEMENTS = 2 ** 24;

/** Decoded element arrays by dtype (half precision widened to f32). */
export type TorchData =
  | Float64Array
  | Float32Array
  | BigInt64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint8Array;

/** One storage of a checkpoint: raw bytes and how to read them. */
export interface TorchStorage {
  /** Key of the storage (its file `data/<key>` in the archive). */
  key: string;
  /** Element type; `uint8` for an untyped storage (`torch.UntypedStorage`). */
  dtype: TorchDtype;
  /** The raw bytes. */
  bytes: Uint8Array;
  /** Whether the bytes are little-endian (the archive's `byteorder`). */
  littleEndian: boolean;
}

/** A tensor read from a checkpoint, with its values copied out in row-major (contiguous) order. */
export class TorchTensor {
  /**
   * A tensor from its values.
   *
   * @param dtype Element type
   * @param shape Dimensions
   * @param data Row-major values
   * @param requiresGrad The flag the tensor was saved with (an `nn.Parameter` is true)
   */
  constructor(
    readonly dtype: TorchDtype,
    readonly shape: readonly number[],
    readonly data: TorchData,
    readonly requiresGrad = false,
  ) {}

  /**
   * The tensor as a safetensors-style host tensor (what `loadIntoStore` takes).
   * @internal
   */
  toHost(): HostTensor {
    const shape = [...this.shape];
    switch (this.dtype) {
      case "float32":
      case "float16":
      case "bfloat16":
        return { dtype: "F32", shape, data: this.data as Float32Array };
      case "float64":
        return { dtype: "F64", shape, data: this.data as Float64Array };
      case "uint8":
      case "bool":
        return { dtype: this.dtype === "bool" ? "BOOL" : "U8", shape, data: this.data as Uint8Array };
      default:
        return {
          dtype: "I64",
          shape,
          data: Float64Array.from(this.data as ArrayLike<number | bigint>, Number),
        };
    }
  }
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/**
 * Copies a strided view of a storage into a new row-major tensor (`_rebuild_tensor_v2`).
 *
 * @param storage The storage
 * @param dtype Element type to read (the storage's own, or `_rebuild_tensor_v3`'s over an untyped one)
 * @param offset First element, in elements of `dtype`
 * @param shape Dimensions
 * @param stride Strides, in elements
 * @param requiresGrad The saved flag
 * @throws {RangeError} When the view reaches outside the storage
 */
export function viewOfStorage(
  storage: TorchStorage,
  dtype: TorchDtype,
  offset: number,
  shape: readonly number[],
  stride: readonly number[],
  requiresGrad: boolean,
): TorchTensor {
  const size = DTYPE_SIZE[dtype];
  const capacity = Math.floor(storage.bytes.length / size);
  if (shape.length !== stride.length) {
    throw new RangeError(
      `Tensor of storage "${storage.key}": shape [${shape}] and stride [${stride}] differ in length`,
    );
  }
  let count = 1, last = offset;
  for (let d = 0; d < shape.length; d++) {
    if (!Number.isInteger(shape[d]) || shape[d] < 0 || !Number.isInteger(stride[d]) || stride[d] < 0) {
      throw new RangeError(`Tensor of storage "${storage.key}": bad shape [${shape}] or stride [${stride}]`);
    }
    count *= shape[d];
    last += (shape[d] - 1) * stride[d];
  }
  if (count > capacity && count > MAX_EXPANDED_ELEMENTS) {
    // Stride-0 (expanded) views are legal but rare; a huge one would be a memory bomb.
    throw new RangeError(
      `Tensor [${shape}] of storage "${storage.key}" expands ${capacity} elements to ${count}, more than ${MAX_EXPANDED_ELEMENTS}`,
    );
  }
  if (!Number.isInteger(offset) || offset < 0 || (count > 0 && last >= capacity)) {
    throw new RangeError(
      `Tensor [${shape}] at offset ${offset} of storage "${storage.key}" reaches element ${last}, the storage has ${capacity} ${dtype} elements`,
    );
  }
  const dv = new DataView(storage.bytes.buffer, storage.bytes.byteOffset, storage.bytes.byteLength);
  const le = storage.littleEndian;
  const read: (i: number) => number | bigint = {
    float64: (i: number) => dv.getFloat64(8 * i, le),
    float32: (i: number) => dv.getFloat32(4 * i, le),
    float16: (i: number) => halfToFloat(dv.getUint16(2 * i, le)),
    bfloat16: (i: number) => {
      const u = new DataView(new ArrayBuffer(4));
      u.setUint32(0, dv.getUint16(2 * i, le) << 16);
      return u.getFloat32(0);
    },
    int64: (i: number) => dv.getBigInt64(8 * i, le),
    int32: (i: number) => dv.getInt32(4 * i, le),
    int16: (i: number) => dv.getInt16(2 * i, le),
    int8: (i: number) => dv.getInt8(i),
    uint8: (i: number) => dv.getUint8(i),
    bool: (i: number) => dv.getUint8(i) ? 1 : 0,
  }[dtype];
  const out: TorchData = dtype === "float64"
    ? new Float64Array(count)
    : dtype === "float32" || dtype === "float16" || dtype === "bfloat16"
    ? new Float32Array(count)
    : dtype === "int64"
    ? new BigInt64Array(count)
    : dtype === "int32"
    ? new Int32Array(count)
    : dtype === "int16"
    ? new Int16Array(count)
    : dtype === "int8"
    ? new Int8Array(count)
    : new Uint8Array(count);
  // Walk the index space in row-major order with an odometer over the dimensions.
  const idx = new Array(shape.length).fill(0);
  let src = offset;
  for (let k = 0; k < count; k++) {
    (out as { [i: number]: number | bigint })[k] = read(src);
    for (let d = shape.length - 1; d >= 0; d--) {
      idx[d]++;
      src += stride[d];
      if (idx[d] < shape[d]) break;
      src -= idx[d] * stride[d];
      idx[d] = 0;
    }
  }
  return new TorchTensor(dtype, [...shape], out, requiresGrad);
}
