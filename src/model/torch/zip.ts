/**
 * Reading the zip container of `torch.save` (PyTorch ≥ 1.6): `<archive>/data.pkl`, the storages
 * `<archive>/data/<key>`, `<archive>/byteorder` and `<archive>/version`.
 *
 * Why our own reader and not an npm package: PyTorch's writer (its `PyTorchStreamWriter` on miniz)
 * stores every entry uncompressed, 64-byte aligned, so reading is a walk of the central directory
 * and a slice of the file. Zip64 records appear once a checkpoint passes 4 GiB and are handled. A
 * deflated entry (an archive re-zipped by another tool) is inflated with `node:zlib`, which Deno
 * and Node ship, so there is no dependency to pin; it is imported only there, so the browser build
 * loads no `node:` module (a browser reads torch.save's stored entries and says so for others). Every offset is checked against the file before use and
 * each entry's CRC-32 is verified, so a truncated or damaged file fails with a message, never with
 * a bad read.
 *
 * @module
 */

/** `node:zlib` where the runtime has it (Deno, Node); undefined in a browser. */
const zlib: typeof import("node:zlib") | undefined = "Deno" in globalThis || "process" in globalThis
  ? await import("node:zlib")
  : undefined;

/** A zip file that cannot be read. */
export class ZipError extends Error {
  override name = "ZipError";
}

/** Signature of the end-of-central-directory record ("PK\x05\x06"). */
const EOCD_SIGNATURE = 0x06054b50;
/** Signature of the zip64 end-of-central-directory locator ("PK\x06\x07"). */
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
/** Signature of the zip64 end-of-central-directory record ("PK\x06\x06"). */
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
/** Signature of a central-directory file header ("PK\x01\x02"). */
const CENTRAL_SIGNATURE = 0x02014b50;
/** Signature of a local file header ("PK\x03\x04"). */
const LOCAL_SIGNATURE = 0x04034b50;
/** Fixed part of the end-of-central-directory record; a comment of up to 65 535 bytes follows. */
const EOCD_SIZE = 22;
/** Extra-field id of the zip64 sizes and offset. */
const ZIP64_EXTRA_ID = 0x0001;

/** One entry of the central directory. */
export interface ZipEntry {
  /** Path inside the archive. */
  name: string;
  /** 0 = stored, 8 = deflated. */
  method: number;
  /** CRC-32 of the uncompressed bytes. */
  crc32: number;
  compressedSize: number;
  size: number;
  /** Offset of the local header in the file. */
  localOffset: number;
}

/** A zip archive held in memory: entry names and their bytes. */
export class ZipArchive {
  /** Entries by name, in central-directory order. */
  readonly entries: Map<string, ZipEntry>;

  /**
   * Parses the central directory.
   *
   * @param bytes The whole file
   * @param label How messages name the file (its path)
   * @throws {ZipError} When there is no end record or a record lies outside the file
   */
  constructor(readonly bytes: Uint8Array, readonly label = "archive") {
    this.entries = readCentralDirectory(bytes, label);
  }

  /** Entry names in directory order. */
  names(): string[] {
    return [...this.entries.keys()];
  }

  /** Whether the archive has an entry of that name. */
  has(name: string): boolean {
    return this.entries.has(name);
  }

  /**
   * The bytes of one entry (a view into the file for stored entries), CRC-checked.
   *
   * @throws {ZipError} When the entry is missing, lies outside the file, or its CRC differs
   */
  read(name: string): Uint8Array {
    const e = this.entries.get(name);
    if (!e) throw new ZipError(`Cannot read "${this.label}": no entry "${name}" in the zip`);
    const dv = view(this.bytes);
    if (e.localOffset + 30 > this.bytes.length || dv.getUint32(e.localOffset, true) !== LOCAL_SIGNATURE) {
      throw new ZipError(`Cannot read "${this.label}" entry "${name}": bad local header at ${e.localOffset}`);
    }
    const start = e.localOffset + 30 + dv.getUint16(e.localOffset + 26, true) +
      dv.getUint16(e.localOffset + 28, true);
    if (start + e.compressedSize > this.bytes.length) {
      throw new ZipError(
        `Cannot read "${this.label}" entry "${name}": its ${e.compressedSize} bytes at ${start} run past the end of the file (${this.bytes.length} bytes; truncated?)`,
      );
    }
    const raw = this.bytes.subarray(start, start + e.compressedSize);
    let data: Uint8Array;
    if (e.method === 0) data = raw;
    else if (e.method === 8) {
      if (zlib === undefined) {
        throw new ZipError(
          `Cannot read "${this.label}" entry "${name}": deflated entries need node:zlib (Deno or Node), not in this runtime`,
        );
      }
      try {
        // Inflate no further than the size the directory declares (a zip bomb stops there).
        data = new Uint8Array(zlib.inflateRawSync(raw, { maxOutputLength: Math.max(1, e.size) }));
      } catch (err) {
        throw new ZipError(`Cannot inflate "${this.label}" entry "${name}": ${(err as Error).message}`);
      }
    } else {
      throw new ZipError(
        `Cannot read "${this.label}" entry "${name}": compression method ${e.method} is not supported`,
      );
    }
    if (data.length !== e.size) {
      throw new ZipError(
        `Cannot read "${this.label}" entry "${name}": ${data.length} bytes, the directory says ${e.size}`,
      );
    }
    const crc = crc32(data);
    if (crc !== e.crc32) {
      throw new ZipError(
        `Cannot read "${this.label}" entry "${name}": CRC-32 0x${hex(crc)} differs from the directory's 0x${
          hex(e.crc32)
        } (damaged file)`,
      );
    }
    return data;
  }
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function hex(n: number): string {
  return n.toString(16).padStart(8, "0");
}

function readCentralDirectory(bytes: Uint8Array, label: string): Map<string, ZipEntry> {
  const dv = view(bytes);
  const fail = (why: string) => new ZipError(`Cannot read "${label}" as a zip: ${why}`);
  let eocd = -1;
  for (let p = bytes.length - EOCD_SIZE; p >= Math.max(0, bytes.length - EOCD_SIZE - 0xffff); p--) {
    if (dv.getUint32(p, true) === EOCD_SIGNATURE) {
      eocd = p;
      break;
    }
  }
  if (eocd < 0) {
    throw fail(`no end-of-central-directory record (not a zip, or truncated; ${bytes.length} bytes)`);
  }
  let count = dv.getUint16(eocd + 10, true);
  let cdSize = dv.getUint32(eocd + 12, true);
  let cdOffset = dv.getUint32(eocd + 16, true);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || dv.getUint32(loc, true) !== ZIP64_LOCATOR_SIGNATURE) throw fail("zip64 locator missing");
    const rec = Number(dv.getBigUint64(loc + 8, true));
    if (rec + 56 > bytes.length || dv.getUint32(rec, true) !== ZIP64_EOCD_SIGNATURE) {
      throw fail("zip64 end record missing");
    }
    count = Number(dv.getBigUint64(rec + 32, true));
    cdSize = Number(dv.getBigUint64(rec + 40, true));
    cdOffset = Number(dv.getBigUint64(rec + 48, true));
  }
  if (cdOffset + cdSize > bytes.length) {
    throw fail(`central directory (${cdSize} bytes at ${cdOffset}) lies outside the file`);
  }
  const entries = new Map<string, ZipEntry>();
  const decoder = new TextDecoder();
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cdOffset + cdSize || dv.getUint32(p, true) !== CENTRAL_SIGNATURE) {
      throw fail(`central directory entry ${i + 1} of ${count} is damaged (offset ${p})`);
    }
    const nameLen = dv.getUint16(p + 28, true), extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    const end = p + 46 + nameLen + extraLen + commentLen;
    if (end > cdOffset + cdSize) throw fail(`central directory entry ${i + 1} runs past the directory`);
    const e: ZipEntry = {
      name: decoder.decode(bytes.subarray(p + 46, p + 46 + nameLen)),
      method: dv.getUint16(p + 10, true),
      crc32: dv.getUint32(p + 16, true),
      compressedSize: dv.getUint32(p + 20, true),
      size: dv.getUint32(p + 24, true),
      localOffset: dv.getUint32(p + 42, true),
    };
    readZip64Extra(dv, p + 46 + nameLen, extraLen, e);
    entries.set(e.name, e);
    p = end;
  }
  return entries;
}

/** Replaces the 0xffffffff placeholders of an entry with the zip64 extra field's 8-byte values. */
function readZip64Extra(dv: DataView, start: number, length: number, e: ZipEntry): void {
  for (let q = start; q + 4 <= start + length;) {
    const id = dv.getUint16(q, true), size = dv.getUint16(q + 2, true);
    if (id === ZIP64_EXTRA_ID) {
      let r = q + 4;
      const next = () => {
        if (r + 8 > q + 4 + size) throw new ZipError(`Zip64 extra field of "${e.name}" is too short`);
        const v = Number(dv.getBigUint64(r, true));
        r += 8;
        return v;
      };
      if (e.size === 0xffffffff) e.size = next();
      if (e.compressedSize === 0xffffffff) e.compressedSize = next();
      if (e.localOffset === 0xffffffff) e.localOffset = next();
    }
    q += 4 + size;
  }
}

let CRC_TABLE: Uint32Array | undefined;

/**
 * CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as zip stores it.
 *
 * @example
 * ```ts
 * import { crc32 } from "./zip.ts";
 * import { assertEquals } from "../../../tests/_assert.ts";
 * assertEquals(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
 * ```
 */
export function crc32(data: Uint8Array): number {
  if (!CRC_TABLE) {
    CRC_TABLE = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      CRC_TABLE[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
