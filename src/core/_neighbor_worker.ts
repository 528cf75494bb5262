/**
 * A worker of {@linkcode NeighborListPool} (`neighbor_pool.ts`), with its own instance of the wasm
 * geometry core. Per part of a batch, so that nothing is copied twice and one round trip suffices:
 * 1. `search`: runs the core on the part, keeps the result in wasm memory and publishes its edge
 *    count (or its failure) in the batch's shared control array, where the other parts read it.
 * 2. `place`: the main thread posts this right after `search`, with the batch's arrays allocated
 *    from an edge estimate while the workers search. Once every earlier part's count is known,
 *    the part's place in the batch is too: if it fits, the part is renumbered and copied straight
 *    from wasm memory into the arrays. The reply says whether it was placed.
 * 3. `copy` (a part that could not be placed: the estimate fell short, or an earlier part was not
 *    searched yet) and `free` (a part not needed).
 *
 * @module
 */

/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />

import type { PackedCrystals } from "./wasm.ts";
import { type NeighborArgs, type NeighborSearch, searchPacked } from "./_neighbors.ts";

/** States of a part in the control array (`Int32Array`, one slot per part). */
export const PART_QUEUED = 0, PART_SEARCHING = 1, PART_DONE = 2, PART_FAILED = 3;

/**
 * Per part of a batch, its state (`Int32Array` over the first half of the buffer, for
 * `Atomics.wait`) and its edge count once done (`Uint32Array` over the second half).
 */
export interface PartControl {
  states: Int32Array;
  edges: Uint32Array;
}

/** Main thread → worker. */
export type WorkerRequest =
  | {
    type: "search";
    id: number;
    packed: PackedCrystals;
    args: NeighborArgs;
    offset: number;
    part: number;
    control: PartControl;
  }
  | { type: "place"; id: number; part: number; control: PartControl; atomBase: number; out: SharedOutputs }
  | { type: "copy"; id: number; atomBase: number; edgeBase: number; out: SharedOutputs }
  | { type: "free"; id: number };

/** Worker → main thread: a part's size and whether it was placed, a failure, or a copy or free done. */
export type WorkerReply =
  | { id: number; edges: number; placed: boolean }
  | { id: number; failed: true }
  | { id: number; done: true };

/**
 * The whole batch's arrays (over SharedArrayBuffers; `offsets` exactly `[N + 1]`, the edge arrays
 * room for `capacity` edges, which may be fewer than the batch has).
 */
export interface SharedOutputs {
  capacity: number;
  offsets: Uint32Array;
  senders: Uint32Array;
  images: Int32Array;
  distances: Float64Array;
  vectors: Float64Array;
}

/** Searched parts by request id; `null` for a part whose search failed. */
const held = new Map<number, NeighborSearch | null>();

function reply(msg: WorkerReply): void {
  self.postMessage(msg);
}

function publish(control: PartControl, part: number, state: number, edges = 0): void {
  Atomics.store(control.edges, part, edges);
  Atomics.store(control.states, part, state);
  Atomics.notify(control.states, part);
}

function search(m: Extract<WorkerRequest, { type: "search" }>): void {
  Atomics.store(m.control.states, m.part, PART_SEARCHING);
  try {
    const found = searchPacked(m.packed, m.args, m.args.maxEdges, m.offset);
    held.set(m.id, found);
    publish(m.control, m.part, PART_DONE, found.result.layout()[3]);
  } catch {
    // The main thread reruns the batch to throw exactly the error the synchronous call would
    // (the first failing crystal of the whole batch, which one part alone cannot know).
    held.set(m.id, null);
    publish(m.control, m.part, PART_FAILED);
  }
}

/**
 * Where part `part`'s edges start in the batch: the sum of the earlier parts' counts, waiting for
 * those still being searched. `undefined` when an earlier part failed or has not started: it may be
 * queued behind this very worker (more parts than workers, concurrent calls), so waiting for it
 * could deadlock, while a part being searched always finishes without waiting on anything.
 */
function edgeBaseOf(control: PartControl, part: number): number | undefined {
  let base = 0;
  for (let q = 0; q < part; q++) {
    while (Atomics.load(control.states, q) === PART_SEARCHING) {
      Atomics.wait(control.states, q, PART_SEARCHING);
    }
    if (Atomics.load(control.states, q) !== PART_DONE) return undefined;
    base += Atomics.load(control.edges, q);
  }
  return base;
}

function place(m: Extract<WorkerRequest, { type: "place" }>): void {
  const found = held.get(m.id);
  if (!found) {
    held.delete(m.id);
    return reply({ id: m.id, failed: true });
  }
  const edges = found.result.layout()[3];
  const edgeBase = edgeBaseOf(m.control, m.part);
  const placed = edgeBase !== undefined && edgeBase + edges <= m.out.capacity;
  if (placed) copy(m.id, m.atomBase, edgeBase, m.out);
  reply({ id: m.id, edges, placed });
}

/** Copies part `id` into `out`: its receivers from `atomBase`, its edges from `edgeBase`; frees it. */
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
}

self.onmessage = (e: MessageEvent<WorkerRequest>) => {
  const m = e.data;
  if (m.type === "search") search(m);
  else if (m.type === "place") place(m);
  else if (m.type === "copy") {
    copy(m.id, m.atomBase, m.edgeBase, m.out);
    reply({ id: m.id, done: true });
  } else {
    held.get(m.id)?.result.free();
    held.delete(m.id);
    reply({ id: m.id, done: true });
  }
};

// Messages that arrive while the module (and the wasm it imports) is still loading are lost, so
// the pool waits for this before sending any.
self.postMessage({ ready: true });
