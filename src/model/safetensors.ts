/**
 * safetensors I/O (the format of Hugging Face's `safetensors`: an 8-byte little-endian header
 * length, a JSON header `{name: {dtype, shape, data_offsets}, "__metadata__": {…}}`, then the
 * raw little-endian tensor bytes), and moving a {@linkcode ParamStore} to and from it with
 * PyTorch's layout (dense weights transposed), so files load in Python's `safetensors` and the
 * reference's `state_dict`.
 *
 * @module
 */

import type { ParamStore } from "../nn/module.ts";

/** Element types this reader understands. */
export type SafetensorsDtype = "F32" | "F64" | "I64" | "I32" | "U8" | "BOOL" | "F16";

/** One tensor of a file, decoded to a host array (F64/I64/F16 converted as noted). */
export interface HostTensor {
  /** Type in the file. */
  dtype: SafetensorsDtype;
  /** Dimensions. */
  shape: number[];
  /** Values: F32 and F16 → Float32Array, F64 → Float64Array, I64/I32 → Float64Array, U8/BOOL → Uint8Array. */
  data: Float32Array | Float64Array | Uint8Array;
}

/** A malformed safetensors file. */
export class SafetensorsError extends Error {
  override name = "SafetensorsError";
}

/** Largest header (bytes) accepted: real headers are a few kB to a few MB. */
const MAX_HEADER_BYTES = 100_000_000;

const SIZE: Record<SafetensorsDtype, number> = { F32: 4, F64: 8, I64: 8, I32: 4, U8: 1, BOOL: 1, F16: 2 };

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/**
 * Parses a safetensors file.
 *
 * @param bytes The file
 * @param file Its name, for messages
 * @returns The tensors by name, and the metadata strings
 * @throws {SafetensorsError} On a truncated file, a bad header (offsets negative, out of range,
 *   not matching the shape, or overlapping), or an unknown dtype
 *
 * @example Round trip
 * ```ts
 * import { decodeSafetensors, encodeSafetensors } from "./safetensors.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const bytes = encodeSafetensors({ w: { shape: [2], data: new Float32Array([1, 2]) } }, { epoch: "3" });
 * const { tensors, metadata } = decodeSafetensors(bytes);
 * assertEquals(tensors.get("w")!.data, new Float32Array([1, 2]));
 * assertEquals(metadata.epoch, "3");
 * ```
 */
export function decodeSafetensors(
  bytes: Uint8Array,
  file?: string,
): { tensors: Map<string, HostTensor>; metadata: Record<string, string> } {
  const where = file === undefined ? "" : ` "${file}"`;
  const bad = (detail: string) => new SafetensorsError(`Cannot read safetensors${where}: ${detail}`);
  if (bytes.length < 8) throw bad("not a safetensors file: shorter than 8 bytes");
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(dv.getBigUint64(0, true));
  if (headerLen > bytes.length - 8) {
    throw bad(`header of ${headerLen} bytes exceeds the file's ${bytes.length} (truncated?)`);
  }
  if (headerLen > MAX_HEADER_BYTES) throw bad(`header of ${headerLen} bytes exceeds ${MAX_HEADER_BYTES}`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
  } catch (e) {
    throw bad(`header is not JSON (${(e as Error).message.slice(0, 200)})`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    throw bad("header is not a JSON object");
  }
  const base = 8 + headerLen;
  const dataBytes = bytes.length - base;
  const tensors = new Map<string, HostTensor>();
  let metadata: Record<string, string> = {};
  const spans: [number, number, string][] = [];
  for (const [name, v] of Object.entries(header)) {
    if (name === "__metadata__") {
      if (
        v !== null && (typeof v !== "object" || Array.isArray(v) ||
          !Object.values(v).every((x) => typeof x === "string"))
      ) {
        throw bad("__metadata__ is not an object of strings");
      }
      metadata = (v ?? {}) as Record<string, string>;
      continue;
    }
    const shown = JSON.stringify(name.length > 80 ? name.slice(0, 80) + "…" : name);
    if (typeof v !== "object" || v === null) throw bad(`tensor ${shown}: entry is not an object`);
    const info = v as { dtype: unknown; shape: unknown; data_offsets: unknown };
    const dtype = info.dtype as SafetensorsDtype;
    const size = typeof dtype === "string" && Object.hasOwn(SIZE, dtype) ? SIZE[dtype] : 0;
    if (!size) throw bad(`tensor ${shown}: unsupported dtype ${JSON.stringify(info.dtype)}`);
    const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
    if (!Array.isArray(info.shape) || !info.shape.every(isCount)) {
      throw bad(
        `tensor ${shown}: shape ${JSON.stringify(info.shape)} is not a list of non-negative integers`,
      );
    }
    const offsets = info.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
      throw bad(`tensor ${shown}: data_offsets ${JSON.stringify(offsets)} are not two non-negative integers`);
    }
    const [b0, b1] = offsets as [number, number];
    const shape = info.shape as number[];
    const count = shape.reduce((a, b) => a * b, 1);
    if (b0 > b1 || b1 > dataBytes) {
      throw bad(
        `tensor ${shown}: data offsets ${b0}..${b1} lie outside the ${dataBytes} data bytes (truncated?)`,
      );
    }
    if (b1 - b0 !== count * size) {
      throw bad(`tensor ${shown}: data offsets ${b0}..${b1} do not fit shape [${shape}] of ${dtype}`);
    }
    spans.push([b0, b1, shown]);
    const raw = new DataView(bytes.buffer, bytes.byteOffset + base + b0, b1 - b0);
    let data: Float32Array | Float64Array | Uint8Array;
    if (info.dtype === "F32" || info.dtype === "F16") {
      data = new Float32Array(count);
      for (let i = 0; i < count; i++) {
        data[i] = info.dtype === "F32"
          ? raw.getFloat32(4 * i, true)
          : halfToFloat(raw.getUint16(2 * i, true));
      }
    } else if (info.dtype === "F64" || info.dtype === "I64" || info.dtype === "I32") {
      data = new Float64Array(count);
      for (let i = 0; i < count; i++) {
        data[i] = info.dtype === "F64"
          ? raw.getFloat64(8 * i, true)
          : info.dtype === "I64"
          ? Number(raw.getBigInt64(8 * i, true))
          : raw.getInt32(4 * i, true);
      }
    } else {
      data = new Uint8Array(raw.buffer, raw.byteOffset, count).slice();
    }
    tensors.set(name, { dtype, shape, data });
  }
  // Tensors may not share bytes: a file where they do is corrupt or crafted.
  spans.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  for (let k = 1; k < spans.length; k++) {
    if (spans[k][0] < spans[k - 1][1]) throw bad(`tensors ${spans[k - 1][2]} and ${spans[k][2]} overlap`);
  }
  return { tensors, metadata };
}

/**
 * Writes f32 tensors as a safetensors file (names sorted, as Python's writer does).
 *
 * @param tensors Shape and values by name
 * @param metadata Free-form strings stored in the header
 * @returns The file bytes
 */
export function encodeSafetensors(
  tensors: Record<string, { shape: readonly number[]; data: Float32Array }>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let off = 0;
  for (const n of names) {
    const t = tensors[n];
    header[n] = { dtype: "F32", shape: [...t.shape], data_offsets: [off, off + 4 * t.data.length] };
    off += 4 * t.data.length;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - ((8 + json.length) % 8)) % 8); // align the data to 8 bytes
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + off);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let p = 8 + head.length;
  for (const n of names) {
    const d = tensors[n].data;
    for (let i = 0; i < d.length; i++, p += 4) dv.setFloat32(p, d[i], true);
  }
  return out;
}

function transposeHost(data: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const o = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) o[c * rows + r] = data[r * cols + c];
  return o;
}

/**
 * The store's parameters as a safetensors file in PyTorch's layout.
 *
 * @param store Parameters
 * @param metadata Strings for the header (config hash, epoch…)
 * @returns The file bytes
 */
export async function storeToSafetensors(
  store: ParamStore,
  metadata: Record<string, string> = {},
): Promise<Uint8Array> {
  const out: Record<string, { shape: readonly number[]; data: Float32Array }> = {};
  for (const [name, e] of store.entries) {
    const data = (await e.tensor.read()) as Float32Array;
    if (e.layout === "transposed") {
      const [r, c] = e.tensor.shape;
      out[name] = { shape: [c, r], data: transposeHost(data, r, c) };
    } else out[name] = { shape: e.tensor.shape, data: Float32Array.from(data) };
  }
  return encodeSafetensors(out, metadata);
}

/** Options of {@linkcode loadIntoStore}. */
export interface LoadOptions {
  /** Throw when the file lacks a parameter of the store (default true). */
  strict?: boolean;
  /** Names in the file to ignore silently (e.g. the reference's buffers we do not keep). */
  ignore?: (name: string) => boolean;
}

/**
 * Overwrites the store's parameters with a file's values (transposing dense weights).
 *
 * @param store Parameters, already created with the right shapes
 * @param tensors Decoded file
 * @param opts Strictness
 * @returns Names in the file that the store does not have
 * @throws {SafetensorsError} On a missing parameter (strict) or a shape mismatch
 */
export function loadIntoStore(
  store: ParamStore,
  tensors: Map<string, HostTensor>,
  opts: LoadOptions = {},
): string[] {
  for (const [name, e] of store.entries) {
    const t = tensors.get(name);
    if (!t) {
      if (opts.strict ?? true) throw new SafetensorsError(`The file has no tensor ${name}`);
      continue;
    }
    const ours = e.tensor.shape;
    const expected = e.layout === "transposed" ? [ours[1], ours[0]] : [...ours];
    const flat = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
    const sameShape = t.shape.join() === expected.join() ||
      (e.layout === "same" && flat(t.shape) === flat(ours) && t.shape.length <= 1 && ours.length <= 1);
    if (!sameShape) {
      throw new SafetensorsError(`Tensor ${name}: file shape [${t.shape}], expected [${expected}]`);
    }
    const data = e.layout === "transposed"
      ? transposeHost(t.data, expected[0], expected[1])
      : Float32Array.from(t.data);
    e.tensor.backend.write(e.tensor.buffer, data);
  }
  return [...tensors.keys()].filter((n) => !store.entries.has(n) && !(opts.ignore?.(n) ?? false));
}
