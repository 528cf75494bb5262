/**
 * The neighbour-list call into the core, shared by {@linkcode neighborListMany} (main thread) and
 * the workers of {@linkcode NeighborListPool}: option checks and one search over packed crystals.
 * Private to `src/core/`.
 *
 * @module
 */

import { callBatch, GeometryError, type PackedCrystals, type WasmCore } from "./wasm.ts";
import type { NeighborOptions } from "./geometry.ts";

/** The action in error messages (`Cannot build the neighbour list of crystal 3: …`). */
export const NL_ACTION = "build the neighbour list of";

/** Default cap on the number of edges one neighbour-list call returns (48 bytes each). */
export const DEFAULT_MAX_EDGES = 1 << 24;

/** {@linkcode NeighborOptions} checked and in the form the core takes; plain data (posted to workers). */
export interface NeighborArgs {
  cutoff: number;
  /** −1: no cap. */
  maxNeighbors: number;
  adjacent: boolean;
  /** Cap on the edges of the whole batch. */
  maxEdges: number;
  vectors: boolean;
}

/** An unfreed result of the core's `neighbor_lists` and the instance that made it. */
export interface NeighborSearch {
  result: ReturnType<WasmCore["neighbor_lists"]>;
  core: WasmCore;
}

function checkCount(name: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new GeometryError(
      "bad-parameter",
      `Cannot ${NL_ACTION} crystals: ${name} must be an integer in 0..${max}, got "${value}"`,
    );
  }
  return value;
}

/**
 * Checks the options that the TypeScript side owns (the cutoff is checked by the core).
 *
 * @throws {GeometryError} `"bad-parameter"` for a bad cap or image search
 */
export function neighborArgs(opts: NeighborOptions): NeighborArgs {
  const maxNeighbors = opts.maxNeighbors === undefined
    ? -1
    : checkCount("maxNeighbors", opts.maxNeighbors, 2 ** 31 - 1);
  const maxEdges = checkCount("maxEdges", opts.maxEdges ?? DEFAULT_MAX_EDGES, 2 ** 32 - 1);
  const images = opts.images ?? "all";
  if (images !== "all" && images !== "adjacent") {
    throw new GeometryError(
      "bad-parameter",
      `Cannot ${NL_ACTION} crystals: images must be "all" or "adjacent", got "${images}"`,
    );
  }
  return {
    cutoff: opts.cutoff,
    maxNeighbors,
    adjacent: images === "adjacent",
    maxEdges,
    vectors: opts.vectors ?? true,
  };
}

/**
 * Searches one packed batch (within the core's per-call limits). The caller frees the result.
 *
 * @param p The crystals
 * @param a Checked options
 * @param maxEdges Edge budget of this call
 * @param offset Index of `p`'s first crystal in the caller's batch, for error messages
 * @throws {GeometryError} For the first crystal that fails (the result is freed then)
 */
export function searchPacked(
  p: PackedCrystals,
  a: NeighborArgs,
  maxEdges: number,
  offset: number,
): NeighborSearch {
  const status = new Int32Array(p.offsets.length - 1);
  let found: NeighborSearch | undefined;
  callBatch(NL_ACTION, status, (core) => {
    const r = core.neighbor_lists(
      p.lattices,
      p.frac,
      p.offsets,
      a.cutoff,
      a.maxNeighbors,
      a.adjacent,
      maxEdges,
      a.vectors,
      status,
    );
    const failures = r.failures;
    if (failures === 0) found = { result: r, core };
    else r.free();
    return failures;
  }, offset);
  return found!;
}
