/**
 * A worker of {@linkcode NeighborListPool} (`neighbor_pool.ts`), with its own instance of the wasm
 * geometry core. Two steps per part of a batch, so that nothing is copied twice:
 * 1. `search`: runs the core on the part and keeps the result in wasm memory; answers its size
 *    (or that it failed).
 * 2. `copy`: once the main thread has allocated the whole batch's arrays (shared buffers, sized
 *    from every part's answer), renumbers the part for its place in the batch and copies it
 *    straight from wasm memory into them; `free` drops a part that is not needed.
 *
 * @module
 */

/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />

import type { PackedCrystals } from "./wasm.ts";
import { type NeighborArgs, type NeighborSearch, searchPacked } from "./_neighbors.ts";

/** Main thread → worker. */
export type WorkerRequest =
  | { type: "search"; id: number; packed: PackedCrystals; args: NeighborArgs; offset: number }
  | { type: "copy"; id: number; atomBase: number; edgeBase: number; out: SharedOutputs }
  | { type: "free"; id: number };

/** Worker → main thread: a part's size, a failure, or that a copy or free is done. */
export type WorkerReply =
  | { id: number; edges: number }
  | { id: number; failed: true }
  | { id: number; done: true };

/** The whole batch's arrays (over SharedArrayBuffers) and where this part goes in them. */
export interface SharedOutputs {
  offsets: Uint32Array;
  senders: Uint32Array;
  images: Int32Array;
  distances: Float64Array;
  vectors: Float64Array;
}

const held = new Map<number, NeighborSearch>();

function reply(msg: WorkerReply): void {
  self.postMessage(msg);
}

function search(id: number, packed: PackedCrystals, args: NeighborArgs, offset: number): void {
  try {
    const found = searchPacked(packed, args, args.maxEdges, offset);
    held.set(id, found);
    reply({ id, edges: found.result.layout()[3] });
  } catch {
    // The main thread reruns the batch to throw exactly the error the synchronous call would
    // (the first failing crystal of the whole batch, which one part alone cannot know).
    reply({ id, failed: true });
  }
}

/** Copies part `id` into `out`: its receivers from `atomBase`, its edges from `edgeBase`. */
function copy(id: number, atomBase: number, edgeBase: number, out: SharedOutputs): void {
  const { result: r, core } = held.get(id)!;
  held.delete(id);
  try {
    r.shift(atomBase, edgeBase);
    const [op, on, sp, sn, ip, iN, dp, dn, vp, vn] = r.layout();
    const buf = (core.wasm_memory() as WebAssembly.Memory).buffer;
    // The part's last offset is the next part's first; the main thread writes the batch's last.
    out.offsets.set(new Uint32Array(buf, op, on - 1), atomBase);
    out.senders.set(new Uint32Array(buf, sp, sn), edgeBase);
    out.images.set(new Int32Array(buf, ip, iN), 3 * edgeBase);
    out.distances.set(new Float64Array(buf, dp, dn), edgeBase);
    if (vn > 0) out.vectors.set(new Float64Array(buf, vp, vn), 3 * edgeBase);
  } finally {
    r.free();
  }
  reply({ id, done: true });
}

self.onmessage = (e: MessageEvent<WorkerRequest>) => {
  const m = e.data;
  if (m.type === "search") search(m.id, m.packed, m.args, m.offset);
  else if (m.type === "copy") copy(m.id, m.atomBase, m.edgeBase, m.out);
  else {
    held.get(m.id)?.result.free();
    held.delete(m.id);
    reply({ id: m.id, done: true });
  }
};

// Messages that arrive while the module (and the wasm it imports) is still loading are lost, so
// the pool waits for this before sending any.
self.postMessage({ ready: true });
