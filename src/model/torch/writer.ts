/**
 * Writing a state_dict in `torch.save`'s format, so PyTorch reads it with
 * `torch.load(path, weights_only=True)`: a zip of stored (uncompressed) entries, 64-byte aligned
 * as PyTorch's own writer aligns them, holding `archive/data.pkl` (protocol 2: an
 * `collections.OrderedDict` of `torch._utils._rebuild_tensor_v2` calls on persistent ids
 * `("storage", torch.FloatStorage, key, "cpu", numel)`), `archive/data/<key>` (little-endian f32),
 * `archive/byteorder` and `archive/version`. Only names that `weights_only=True` allows appear.
 *
 * @module
 */

import { crc32 } from "./zip.ts";

/** Alignment of each entry's data in the zip (PyTorch's writer uses 64 bytes). */
const DATA_ALIGNMENT = 64;
/** Id of the padding extra field PyTorch's writer uses ("FB"). */
const PADDING_EXTRA_ID = 0x4246;
/** Largest file size without zip64 records. */
const MAX_ZIP32 = 0xffffffff;

/** One f32 tensor to write. */
export interface StateDictTensor {
  /** Dimensions. */
  shape: readonly number[];
  /** Row-major values. */
  data: Float32Array;
}

/** Builds a protocol-2 pickle byte by byte. */
class PickleBuilder {
  private parts: number[] = [];
  private memo = new Map<string, number>();

  op(...bytes: number[]): this {
    this.parts.push(...bytes);
    return this;
  }
  private u32(n: number): number[] {
    return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
  }
  /** BINUNICODE. */
  text(s: string): this {
    const b = new TextEncoder().encode(s);
    this.op(0x58, ...this.u32(b.length));
    for (const x of b) this.parts.push(x);
    return this;
  }
  /** BININT (or BININT1/2 for small values). */
  int(n: number): this {
    if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) {
      throw new RangeError(`Cannot pickle ${n} as an int here`);
    }
    if (n < 256) return this.op(0x4b, n);
    if (n < 65536) return this.op(0x4d, n & 0xff, n >> 8);
    return this.op(0x4a, ...this.u32(n));
  }
  /** GLOBAL, memoised so each name is written once (LONG_BINPUT, then LONG_BINGET). */
  global(module: string, name: string): this {
    const key = `${module}\n${name}\n`;
    const slot = this.memo.get(key);
    if (slot !== undefined) return this.op(0x6a, ...this.u32(slot));
    this.op(0x63, ...Array.from(key, (c) => c.charCodeAt(0)));
    this.memo.set(key, this.memo.size);
    return this.op(0x72, ...this.u32(this.memo.size - 1));
  }
  /** A tuple of small ints. */
  ints(values: readonly number[]): this {
    this.op(0x28);
    for (const v of values) this.int(v);
    return this.op(0x74);
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

/** Row-major strides of a shape. */
function contiguousStride(shape: readonly number[]): number[] {
  const stride = new Array(shape.length);
  for (let d = shape.length - 1, acc = 1; d >= 0; d--) {
    stride[d] = acc;
    acc *= shape[d];
  }
  return stride;
}

/**
 * The pickle of an `OrderedDict` of f32 tensors, storage `i` for the i-th tensor.
 *
 * @param entries Names and tensors, in state_dict order
 */
export function pickleStateDict(entries: readonly [string, StateDictTensor][]): Uint8Array {
  const p = new PickleBuilder();
  p.op(0x80, 2); // PROTO 2
  p.global("collections", "OrderedDict").op(0x29, 0x52); // OrderedDict()
  p.op(0x28); // MARK for SETITEMS
  entries.forEach(([name, t], i) => {
    const numel = t.shape.reduce((a, b) => a * b, 1);
    if (numel !== t.data.length) {
      throw new RangeError(`Tensor ${name}: ${t.data.length} values for shape [${t.shape}]`);
    }
    p.text(name);
    p.global("torch._utils", "_rebuild_tensor_v2");
    p.op(0x28); // MARK of the argument tuple
    p.op(0x28).text("storage").global("torch", "FloatStorage").text(String(i)).text("cpu").int(numel).op(
      0x74,
    );
    p.op(0x51); // BINPERSID
    p.int(0).ints(t.shape).ints(contiguousStride(t.shape));
    p.op(0x89); // requires_grad False (state_dict tensors are detached)
    p.global("collections", "OrderedDict").op(0x29, 0x52); // backward_hooks
    p.op(0x74, 0x52); // TUPLE, REDUCE
  });
  p.op(0x75, 0x2e); // SETITEMS, STOP
  return p.bytes();
}

/** A stored-entry zip writer with PyTorch's 64-byte data alignment. */
function storedZip(files: readonly [string, Uint8Array][]): Uint8Array {
  const enc = new TextEncoder();
  const chunks: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const [name, data] of files) {
    const nameBytes = enc.encode(name);
    // Pad the local header's extra field so the data starts on an aligned offset.
    const headerEnd = offset + 30 + nameBytes.length + 4;
    const pad = (DATA_ALIGNMENT - (headerEnd % DATA_ALIGNMENT)) % DATA_ALIGNMENT;
    const extra = new Uint8Array(4 + pad);
    new DataView(extra.buffer).setUint16(0, PADDING_EXTRA_ID, true);
    new DataView(extra.buffer).setUint16(2, pad, true);
    const crc = crc32(data);
    const local = new Uint8Array(30 + nameBytes.length + extra.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true); // version needed
    lv.setUint32(14, crc, true);
    lv.setUint32(18, data.length, true);
    lv.setUint32(22, data.length, true);
    lv.setUint16(26, nameBytes.length, true);
    lv.setUint16(28, extra.length, true);
    local.set(nameBytes, 30);
    local.set(extra, 30 + nameBytes.length);
    const c = new Uint8Array(46 + nameBytes.length);
    const cv = new DataView(c.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, data.length, true);
    cv.setUint32(24, data.length, true);
    cv.setUint16(28, nameBytes.length, true);
    cv.setUint32(42, offset, true);
    c.set(nameBytes, 46);
    chunks.push(local, data);
    central.push(c);
    offset += local.length + data.length;
    if (offset > MAX_ZIP32) throw new RangeError("State dict too large for a zip without zip64 (over 4 GiB)");
  }
  const cdSize = central.reduce((a, c) => a + c.length, 0);
  const eocd = new Uint8Array(22);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, files.length, true);
  ev.setUint16(10, files.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  const out = new Uint8Array(offset + cdSize + 22);
  let p = 0;
  for (const part of [...chunks, ...central, eocd]) {
    out.set(part, p);
    p += part.length;
  }
  return out;
}

/**
 * A state_dict as a `torch.save` file.
 *
 * @param entries Names and f32 tensors in state_dict order (PyTorch's layout)
 * @param archive The folder name inside the zip (`torch.save` uses the file's stem; any works)
 * @returns The file bytes
 *
 * @example Round trip through the reader
 * ```ts
 * import { encodeTorchStateDict } from "./writer.ts";
 * import { readTorchFile, stateDictOf } from "./checkpoint.ts";
 * import { assertEquals } from "../../../tests/_assert.ts";
 * const bytes = encodeTorchStateDict([["w", { shape: [2], data: new Float32Array([1, 2]) }]]);
 * assertEquals(stateDictOf(readTorchFile(bytes).value).get("w")!.data, new Float32Array([1, 2]));
 * ```
 */
export function encodeTorchStateDict(
  entries: readonly [string, StateDictTensor][],
  archive = "archive",
): Uint8Array {
  const files: [string, Uint8Array][] = [[`${archive}/data.pkl`, pickleStateDict(entries)]];
  files.push([`${archive}/byteorder`, new TextEncoder().encode("little")]);
  entries.forEach(([, t], i) => {
    const b = new Uint8Array(4 * t.data.length);
    const dv = new DataView(b.buffer);
    for (let k = 0; k < t.data.length; k++) dv.setFloat32(4 * k, t.data[k], true);
    files.push([`${archive}/data/${i}`, b]);
  });
  files.push([`${archive}/version`, new TextEncoder().encode("3\n")]);
  return storedZip(files);
}
