/**
 * The one loader of the wasm geometry core (`wasm/pkg/`, built by `wasm/build.sh`).
 *
 * The package is imported statically, relative to this file, so a URL import of cdvae finds it
 * next to the code. Everything that crosses into wasm goes through {@linkcode callCore} or
 * {@linkcode callBatch}: they turn the core's status codes into {@linkcode GeometryError}s, and a
 * wasm trap (a panic, `unreachable`, out-of-bounds access) into a `GeometryError` of kind `"trap"`
 * while a fresh instance replaces the trapped one. The wasm-bindgen glue copies arrays in and out and
 * frees its buffers after every call, so memory stays flat across calls.
 *
 * @module
 */

import type { Crystal } from "../crystal/crystal.ts";
import * as initialCore from "../../wasm/pkg/cdvae_wasm.js";

/** The exports of one instance of the wasm core (snake_case, as wasm-bindgen emits them). */
export type WasmCore = typeof initialCore;

/** Why the geometry core refused or failed a computation. */
export type GeometryErrorKind =
  | "non-finite"
  | "degenerate-lattice"
  | "no-atoms"
  | "too-large"
  | "no-convergence"
  | "bad-shape"
  | "bad-parameter"
  | "trap";

/**
 * Kinds by the core's status code: `GeomError::code()` in `wasm/src/error.rs` (1-based; 0 is success).
 * Keep the two lists in the same order.
 */
const KIND_BY_CODE: readonly GeometryErrorKind[] = [
  "trap", // 0 never reaches here as an error; a placeholder so that indices equal codes
  "non-finite",
  "degenerate-lattice",
  "no-atoms",
  "too-large",
  "no-convergence",
  "bad-shape",
  "bad-parameter",
];

/**
 * The error every geometry function throws. `kind` says why, `index` which crystal of a batch (when
 * one crystal caused it), and the message gives the details, e.g.
 * `Cannot Niggli-reduce crystal 3: lattice is singular or degenerate (volume "0e0" Å³, …)`.
 *
 * @example Catching a degenerate lattice
 * ```ts
 * import assert from "node:assert";
 * import { niggliReduce } from "./lattice.ts";
 * const flat = {
 *   lattice: new Float64Array([1, 0, 0, 0, 1, 0, 1, 1, 0]),
 *   frac: new Float64Array(3),
 *   numbers: new Uint8Array([6]),
 * };
 * assert.throws(() => niggliReduce(flat), (e) => e instanceof GeometryError && e.kind === "degenerate-lattice");
 * ```
 */
export class GeometryError extends Error {
  /** Why the computation failed. */
  readonly kind: GeometryErrorKind;
  /** Index of the offending crystal within the batch, when one crystal caused the failure. */
  readonly index?: number;

  /**
   * An error of the geometry core.
   *
   * @param kind Why the computation failed
   * @param message Full message (`Cannot <action>…: <reason>`)
   * @param options `index` of the offending crystal, `cause` of a trap
   */
  constructor(kind: GeometryErrorKind, message: string, options: { index?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "GeometryError";
    this.kind = kind;
    if (options.index !== undefined) this.index = options.index;
  }
}

/** The glue's URL; a query string gives a fresh module instance (and so a fresh wasm instance). */
const CORE_URL = new URL("../../wasm/pkg/cdvae_wasm.js", import.meta.url);

let active: WasmCore = initialCore;
let generation = 0;
let replacement: Promise<void> | undefined;

/** Starts replacing a trapped instance (once per trapped instance); calls go on meanwhile. */
function replaceInstance(trapped: WasmCore): void {
  if (trapped !== active || replacement) return;
  const url = new URL(CORE_URL);
  url.searchParams.set("instance", String(generation + 1));
  replacement = import(url.href).then(
    (fresh: WasmCore) => {
      active = fresh;
      generation++;
      replacement = undefined;
    },
    (e: unknown) => {
      replacement = undefined;
      console.error(`Cannot re-instantiate the wasm core: ${e}`);
    },
  );
}

/**
 * Runs `fn` with the live core instance. Anything `fn` throws other than a `GeometryError` is
 * treated as a trap: it becomes a `GeometryError` of kind `"trap"` and the instance is replaced.
 * Keep `fn` to the wasm call itself, so a bug in TypeScript is not mistaken for a trap.
 *
 * @param action What was being done, for the message (`"Niggli-reduce"`)
 * @param fn The call into the core
 * @returns What `fn` returns
 * @throws {GeometryError} Of kind `"trap"` if the core trapped
 */
export function callCore<T>(action: string, fn: (core: WasmCore) => T): T {
  const core = active;
  try {
    return fn(core);
  } catch (e) {
    if (e instanceof GeometryError) throw e;
    replaceInstance(core);
    const reason = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    throw new GeometryError(
      "trap",
      `Cannot ${action}: the wasm core trapped (${reason}); a fresh instance replaces it`,
      { cause: e },
    );
  }
}

/**
 * Runs a batch export (one that returns the number of failed crystals, or a negative code for a
 * malformed call, and writes one status code per crystal) and throws for the first failure.
 *
 * @param action What was being done, for the message (`"Niggli-reduce"`)
 * @param status The status array passed to the export, one entry per crystal
 * @param fn The call into the core; returns the export's return value
 * @param offset Added to the crystal index in messages (for chunked batches)
 * @throws {GeometryError} With the kind and index of the first failed crystal
 */
export function callBatch(
  action: string,
  status: Int32Array,
  fn: (core: WasmCore) => number,
  offset = 0,
): void {
  callCore(action, (core) => {
    const ret = fn(core);
    if (ret === 0) return;
    const reason = core.last_error_message();
    if (ret < 0) throw new GeometryError(kindOfCode(-ret), `Cannot ${action} crystals: ${reason}`);
    const i = status.findIndex((s) => s !== 0);
    throw new GeometryError(kindOfCode(status[i]), `Cannot ${action} crystal ${offset + i}: ${reason}`, {
      index: offset + i,
    });
  });
}

/** The error kind of a core status code. */
export function kindOfCode(code: number): GeometryErrorKind {
  return KIND_BY_CODE[code] ?? "trap";
}

/**
 * The version of the loaded wasm core (the crate version in `wasm/Cargo.toml`).
 *
 * @returns A semver string
 * @example
 * ```ts
 * import assert from "node:assert";
 * assert.match(wasmCoreVersion(), /^\d+\.\d+\.\d+/);
 * ```
 */
export function wasmCoreVersion(): string {
  return callCore("read the core version", (core) => core.version());
}

/** Size of the live instance's linear memory in bytes (for tests of memory use). */
export function wasmMemoryBytes(): number {
  return callCore("read the memory size", (core) => core.memory_bytes());
}

/** How many times a trapped instance has been replaced. */
export function wasmGeneration(): number {
  return generation;
}

/** Resolves when no replacement of a trapped instance is pending. */
export async function wasmReady(): Promise<void> {
  while (replacement) await replacement;
}

/** Crystals laid out for a batch export: flat lattices and CSR atoms. */
export interface PackedCrystals {
  /** `[9·M]` lattices, row-major, rows = vectors (Å). */
  lattices: Float64Array;
  /** `[3·N]` fractional coordinates of all atoms, crystal after crystal. */
  frac: Float64Array;
  /** `[M+1]` atom offsets: crystal `i` owns atoms `offsets[i]..offsets[i+1]`. */
  offsets: Uint32Array;
}

/** Largest number of atoms packed into one call; larger batches are split by {@linkcode callChunks}. */
export const MAX_ATOMS_PER_CALL = 1 << 22;

/** Largest number of crystals sent to the core in one call; larger batches are split. */
export const MAX_CRYSTALS_PER_CALL = 1 << 16;

/**
 * Splits a batch into runs that respect {@linkcode MAX_CRYSTALS_PER_CALL} and
 * {@linkcode MAX_ATOMS_PER_CALL} (a single crystal above the atom limit is its own run).
 *
 * @returns `[start, run]` pairs: the index of the run's first item and the items
 */
export function* callChunks<T extends { numbers: Uint8Array }>(
  items: readonly T[],
): Generator<[number, T[]]> {
  let start = 0;
  while (start < items.length) {
    let end = start, atoms = 0;
    while (end < items.length && end - start < MAX_CRYSTALS_PER_CALL) {
      atoms += items[end].numbers?.length ?? 0;
      if (atoms > MAX_ATOMS_PER_CALL && end > start) break;
      end++;
    }
    yield [start, items.slice(start, end)];
    start = end;
  }
}

/**
 * The atom count of crystal `i` of a batch, after checking the shapes of its arrays.
 *
 * @throws {GeometryError} Of kind `"bad-shape"` if the lattice is not 9 numbers or `frac` is not 3 per atom
 */
export function crystalAtoms(c: Crystal, i: number, action: string): number {
  if (c.lattice?.length !== 9) {
    throw new GeometryError("bad-shape", `Cannot ${action} crystal ${i}: lattice must have 9 numbers`, {
      index: i,
    });
  }
  const n = c.numbers?.length ?? 0;
  if (c.frac?.length !== 3 * n) {
    throw new GeometryError(
      "bad-shape",
      `Cannot ${action} crystal ${i}: frac has "${c.frac?.length}" values for "${n}" atoms, expected 3 per atom`,
      { index: i },
    );
  }
  return n;
}

/**
 * Packs crystals into flat arrays for a batch export, checking array shapes.
 *
 * @param crystals The crystals, in order
 * @param action What was being done, for messages
 * @returns The packed arrays
 * @throws {GeometryError} Of kind `"bad-shape"` if a lattice is not 9 numbers or `frac` is not 3 per atom
 */
export function packCrystals(crystals: readonly Crystal[], action: string): PackedCrystals {
  const m = crystals.length;
  const offsets = new Uint32Array(m + 1);
  for (let i = 0; i < m; i++) offsets[i + 1] = offsets[i] + crystalAtoms(crystals[i], i, action);
  const lattices = new Float64Array(9 * m);
  const frac = new Float64Array(3 * offsets[m]);
  for (let i = 0; i < m; i++) {
    lattices.set(crystals[i].lattice, 9 * i);
    frac.set(crystals[i].frac, 3 * offsets[i]);
  }
  return { lattices, frac, offsets };
}
