/**
 * Reading PyTorch files (`torch.save` since PyTorch 1.6: `.pt`, `.pth`, Lightning `.ckpt`) without
 * Python: the zip container (`zip.ts`), the pickle (`pickle.ts`, which never runs code), and the
 * tensor storages it points at (`tensor.ts`).
 *
 * `torch.save` writes `<archive>/data.pkl` (the pickled object; each tensor is a call of
 * `torch._utils._rebuild_tensor_v2` on a persistent id `("storage", torch.FloatStorage, key,
 * location, numel)`), the raw storages `<archive>/data/<key>`, and `<archive>/byteorder`
 * (`little` or `big`; absent in files older than 1.10, which are little-endian) and
 * `<archive>/version`.
 *
 * @module
 */

import {
  describe,
  type PickleCallable,
  PickleError,
  PickleGlobal,
  PickleObject,
  unpickle,
} from "./pickle.ts";
import {
  STORAGE_DTYPES,
  TORCH_DTYPES,
  type TorchDtype,
  type TorchStorage,
  TorchTensor,
  viewOfStorage,
} from "./tensor.ts";
import { ZipArchive, ZipError } from "./zip.ts";

export { PickleError, PickleGlobal, PickleObject, UnsafePickleError } from "./pickle.ts";
export { TorchTensor } from "./tensor.ts";
export type { TorchDtype } from "./tensor.ts";

/** A PyTorch file that cannot be read (wraps zip and pickle problems with the file's name). */
export class TorchFileError extends Error {
  /** The class name, for messages. */
  override name = "TorchFileError";
}

/** A PyTorch file's contents. */
export interface TorchFile {
  /** The unpickled object: tensors are {@linkcode TorchTensor}s, dicts are `Map`s. */
  value: unknown;
  /** The archive's folder name inside the zip (e.g. `archive`, or the file's stem). */
  archive: string;
  /** `byteorder` of the storages. */
  byteorder: "little" | "big";
  /** The archive's format `version` entry, if any. */
  version?: string;
}

/** First bytes of a pre-1.6 (`_use_new_zipfile_serialization=False`) file: a pickled magic number. */
const LEGACY_MAGIC = [0x80, 0x02, 0x8a, 0x0a];

/**
 * Reads a `torch.save` file.
 *
 * @param bytes The file
 * @param label How messages name the file (its path)
 * @returns The unpickled object and the archive facts
 * @throws {UnsafePickleError} When the pickle names a global that can run code (`os.system`…)
 * @throws {TorchFileError} When the file is not a readable PyTorch zip (truncated, damaged, legacy
 *   format, TorchScript) or its pickle is malformed
 *
 * @example A file written by encodeTorchStateDict
 * ```ts
 * import { encodeTorchStateDict } from "./writer.ts";
 * import { assert } from "../../../tests/_assert.ts";
 * const file = readTorchFile(encodeTorchStateDict([["w", { shape: [2], data: new Float32Array([1, 2]) }]]));
 * assert(file.value instanceof Map);
 * ```
 */
export function readTorchFile(bytes: Uint8Array, label = "checkpoint"): TorchFile {
  let zip: ZipArchive;
  try {
    zip = new ZipArchive(bytes, label);
  } catch (e) {
    if (!(e instanceof ZipError)) throw e;
    if (LEGACY_MAGIC.every((b, i) => bytes[i] === b)) {
      throw new TorchFileError(
        `Cannot read "${label}": it is in the legacy torch.save format (PyTorch < 1.6); re-save it with torch.save on PyTorch ≥ 1.6`,
      );
    }
    throw new TorchFileError(`Cannot read "${label}" as a PyTorch file: ${e.message}`);
  }
  const pkl = zip.names().find((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (!pkl) {
    const script = zip.names().some((n) => /\/constants\.pkl$/.test(n));
    throw new TorchFileError(
      script
        ? `Cannot read "${label}": it is a TorchScript archive (torch.jit.save), not a torch.save file`
        : `Cannot read "${label}": the zip has no <archive>/data.pkl (not a torch.save file)`,
    );
  }
  const archive = pkl.slice(0, -"/data.pkl".length);
  try {
    const text = (name: string) =>
      zip.has(`${archive}/${name}`)
        ? new TextDecoder().decode(zip.read(`${archive}/${name}`)).trim()
        : undefined;
    const order = text("byteorder") ?? "little";
    if (order !== "little" && order !== "big") {
      throw new TorchFileError(`Cannot read "${label}": byteorder "${order}" is neither "little" nor "big"`);
    }
    const storages = new Map<string, TorchStorage>();
    const persistentLoad = (pid: unknown): TorchStorage => {
      if (!Array.isArray(pid) || pid[0] !== "storage" || pid.length < 5) {
        throw new TorchFileError(
          `Cannot read "${label}": persistent id ${
            describe(pid)
          } is not a ("storage", type, key, location, numel) tuple`,
        );
      }
      const [, type, key, , numel] = pid;
      const dtype = storageDtype(type);
      if (!dtype) throw new TorchFileError(`Cannot read "${label}": unknown storage type ${describe(type)}`);
      if (typeof key !== "string" || !/^[\w.-]+$/.test(key)) {
        throw new TorchFileError(`Cannot read "${label}": bad storage key ${JSON.stringify(key)}`);
      }
      let s = storages.get(key);
      if (!s) {
        const data = zip.read(`${archive}/data/${key}`);
        const want = Number(numel) * (isUntyped(type) ? 1 : sizeOf(dtype));
        if (data.length < want) {
          throw new TorchFileError(
            `Cannot read "${label}": storage "${key}" has ${data.length} bytes, ${want} expected (truncated?)`,
          );
        }
        s = { key, dtype, bytes: data, littleEndian: order === "little" };
        storages.set(key, s);
      }
      return s;
    };
    const value = unpickle(zip.read(pkl), { label: `${label}:${pkl}`, persistentLoad, calls: TORCH_CALLS });
    return { value, archive, byteorder: order, version: text("version") };
  } catch (e) {
    if (e instanceof PickleError || e instanceof TorchFileError) throw e;
    if (e instanceof ZipError || e instanceof RangeError) throw new TorchFileError(e.message);
    throw e;
  }
}

function sizeOf(d: TorchDtype): number {
  return {
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
  }[d];
}

function isUntyped(type: unknown): boolean {
  return type instanceof PickleGlobal && /^(UntypedStorage|_UntypedStorage)$/.test(type.name);
}

function storageDtype(type: unknown): TorchDtype | undefined {
  if (!(type instanceof PickleGlobal) || !/^torch(\.cuda)?$/.test(type.module)) return undefined;
  if (isUntyped(type)) return "uint8";
  return STORAGE_DTYPES[type.name];
}

function isStorage(v: unknown): v is TorchStorage {
  return typeof v === "object" && v !== null && "bytes" in v && "littleEndian" in v;
}

function ints(v: unknown, what: string): number[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === "number")) {
    throw new TorchFileError(`Tensor ${what} is not a tuple of integers (${describe(v)})`);
  }
  return v as number[];
}

function rebuild(args: readonly unknown[], dtype?: TorchDtype): TorchTensor {
  const [storage, offset, size, stride, requiresGrad] = args;
  if (!isStorage(storage)) {
    throw new TorchFileError(`Tensor storage is a ${describe(storage)}, not a storage`);
  }
  if (typeof offset !== "number") throw new TorchFileError("Tensor storage offset is not an integer");
  return viewOfStorage(
    storage,
    dtype ?? storage.dtype,
    offset,
    ints(size, "size"),
    ints(stride, "stride"),
    requiresGrad === true,
  );
}

/** PyTorch's rebuild functions and small types, evaluated here instead of in Python. */
const TORCH_CALLS: Record<string, PickleCallable> = {
  // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
  "torch._utils._rebuild_tensor_v2": (a) => rebuild(a),
  // (storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype[, metadata])
  "torch._utils._rebuild_tensor_v3": (a) => {
    const d = a[6];
    const dtype = d instanceof PickleGlobal && d.module === "torch" ? TORCH_DTYPES[d.name] : undefined;
    if (!dtype) throw new TorchFileError(`Tensor dtype ${describe(d)} is not supported`);
    return rebuild(a, dtype);
  },
  // nn.Parameter: (data, requires_grad, backward_hooks[, state])
  "torch._utils._rebuild_parameter": (a) => asParameter(a[0], a[1]),
  "torch._utils._rebuild_parameter_with_state": (a) => asParameter(a[0], a[1]),
  "torch.Size": (a) => Object.freeze([...(a[0] as number[])]),
  "torch.device": (a) => a.length > 1 && a[1] !== null ? `${a[0]}:${a[1]}` : String(a[0]),
};

function asParameter(t: unknown, requiresGrad: unknown): TorchTensor {
  if (!(t instanceof TorchTensor)) {
    throw new TorchFileError(`Parameter data is a ${describe(t)}, not a tensor`);
  }
  return new TorchTensor(t.dtype, t.shape, t.data, requiresGrad !== false);
}

/**
 * The `state_dict` of a checkpoint: a Lightning checkpoint's `state_dict` entry, or the object
 * itself when it is a dict of tensors (`torch.save(model.state_dict())`).
 *
 * @param value What {@linkcode readTorchFile} returned
 * @param label How messages name the file
 * @returns Tensors by parameter name, in file order
 * @throws {TorchFileError} When there is no state_dict, or an entry is not a tensor (an entry made
 *   by calling a global this reader does not evaluate is named with that global)
 *
 * @example Tensors by name
 * ```ts
 * import { encodeTorchStateDict } from "./writer.ts";
 * import { assertEquals } from "../../../tests/_assert.ts";
 * const bytes = encodeTorchStateDict([["fc.weight", { shape: [1, 2], data: new Float32Array([3, 4]) }]]);
 * const w = stateDictOf(readTorchFile(bytes).value).get("fc.weight")!;
 * assertEquals([w.dtype, w.shape], ["float32", [1, 2]]);
 * ```
 */
export function stateDictOf(value: unknown, label = "checkpoint"): Map<string, TorchTensor> {
  if (!(value instanceof Map)) {
    throw new TorchFileError(`"${label}" holds a ${describe(value)}, not a checkpoint dict or a state_dict`);
  }
  const sd = value.has("state_dict") ? value.get("state_dict") : value;
  if (!(sd instanceof Map)) {
    throw new TorchFileError(`"${label}" state_dict is a ${describe(sd)}, not a dict`);
  }
  const out = new Map<string, TorchTensor>();
  for (const [k, v] of sd) {
    if (typeof k !== "string") {
      throw new TorchFileError(`"${label}" state_dict has a key that is not a string`);
    }
    if (v instanceof TorchTensor) out.set(k, v);
    else if (v instanceof PickleObject && v.called) {
      throw new TorchFileError(
        `"${label}" state_dict entry "${k}" would need a call of ${v.type}, which this reader does not evaluate (only PyTorch's tensor rebuild functions and builtin containers are allowed)`,
      );
    } else throw new TorchFileError(`"${label}" state_dict entry "${k}" is a ${describe(v)}, not a tensor`);
  }
  return out;
}
