/**
 * Neighbour lists of large batches on several threads: {@linkcode NeighborListPool} splits a batch
 * into contiguous parts of about equal estimated work, searches each in a Deno Worker that holds its
 * own instance of the wasm geometry core, and has the workers copy their parts straight into the
 * batch's arrays. The result is identical to {@linkcode neighborListMany}'s, whose synchronous API
 * stays the default.
 *
 * Why this shape: each worker copies its part once, from its wasm memory into the final arrays, so
 * the copy-out is split across threads and nothing is concatenated afterwards. The arrays are
 * SharedArrayBuffers that the calling thread allocates from an edge estimate while the workers
 * search; each worker learns where its part goes from the earlier parts' edge counts (a shared
 * control array) and copies it in the same turn as its search, so a batch costs one round trip.
 * When the estimate falls short, the arrays are grown once every part has reported (a second round
 * trip). Small batches run on the calling thread, where a round trip to the workers would cost more
 * than it saves.
 *
 * @module
 */

import type { Crystal } from "../crystal/crystal.ts";
import { latticeVolume } from "../crystal/lattice.ts";
import { type NeighborListBatch, neighborListMany, type NeighborOptions } from "./geometry.ts";
import { type NeighborArgs, neighborArgs, NL_ACTION } from "./_neighbors.ts";
import { crystalAtoms, MAX_ATOMS_PER_CALL, MAX_CRYSTALS_PER_CALL, packCrystals } from "./wasm.ts";
import type { PartControl, SharedOutputs, WorkerReply, WorkerRequest } from "./_neighbor_worker.ts";

const WORKER_URL = new URL("./_neighbor_worker.ts", import.meta.url);

/**
 * Cost of one atom pair in the work estimate, in edges (the rows of images it walks); fitted so
 * that the two halves of the 340 fixture crystals take the same time (2.77 / 2.71 ms).
 */
const PAIR_WORK = 13;

/**
 * Work (in {@linkcode surveyBatch}'s units) of zero-filling the output of one edge, 24 bytes (twice
 * that with vectors): fitted on the fixture, where the calling thread fills 9.8 MB in ~0.7 ms and
 * the search does ~1.6e5 units per ms.
 */
const FILL_WORK_PER_EDGE = 0.28;

/**
 * Estimated work (see {@linkcode NeighborListPool}) below which a batch runs on the calling thread:
 * about 1 ms of search on this project's machine (the 340 fixture crystals at 7 Å estimate
 * 8.0e5 and take ~4.7 ms on one thread), where handing a batch to the workers costs ~0.5 ms.
 */
export const MIN_PARALLEL_WORK = 150_000;

/** Options of {@linkcode NeighborListPool}. */
export interface NeighborListPoolOptions {
  /** Number of workers (default: `navigator.hardwareConcurrency`, at most 16). */
  workers?: number;
  /** Batches with less estimated work run on the calling thread (default {@linkcode MIN_PARALLEL_WORK}). */
  minParallelWork?: number;
}

/** A worker, the promise of its start-up, and how to fail that promise when the pool closes. */
interface PoolWorker {
  worker: Worker;
  ready: Promise<void>;
  stop: (e: Error) => void;
  /** `ready` has resolved: messages can be posted at once. */
  started: boolean;
  /** Settles once the worker has started or failed to, whatever `stop` did to `ready`. */
  booted: Promise<void>;
}

interface Pending {
  resolve: (r: WorkerReply) => void;
  reject: (e: Error) => void;
}

/**
 * Workers that build neighbour lists of large batches in parallel. Workers start on the first
 * batch large enough to use them and live until {@linkcode NeighborListPool.close} (or the end of
 * a `using` block): close the pool, since a live worker keeps Deno running.
 *
 * Results equal {@linkcode neighborListMany}'s bit for bit; their arrays (but `atomOffsets`) are
 * views of SharedArrayBuffers when the batch ran on the workers, of exactly the batch's length,
 * while the edge arrays' buffers may be a few percent longer (sized from the estimate). Errors
 * are the same {@linkcode GeometryError}s: when a part fails, the batch is rerun on the calling
 * thread, which throws exactly what the synchronous call throws (the first failing crystal of the
 * whole batch).
 *
 * @example Two threads, same edges as the synchronous call
 * ```ts
 * import assert from "node:assert";
 * import { neighborListMany } from "./geometry.ts";
 * const c = {
 *   lattice: new Float64Array([4, 0, 0, 0, 4, 0, 0, 0, 4]),
 *   frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0.5]),
 *   numbers: new Uint8Array([55, 17]),
 * };
 * using pool = new NeighborListPool({ workers: 2, minParallelWork: 0 });
 * const nl = await pool.neighborListMany([c, c, c], { cutoff: 5 });
 * assert.deepStrictEqual([...nl.senders], [...neighborListMany([c, c, c], { cutoff: 5 }).senders]);
 * ```
 */
export class NeighborListPool implements Disposable {
  /** Number of workers. */
  readonly size: number;
  /** Estimated work from which batches go to the workers. */
  readonly minParallelWork: number;
  #workers: PoolWorker[] = [];
  #pending = new Map<number, Pending>();
  #nextId = 0;
  #closed = false;

  /**
   * Starts the workers.
   *
   * @param opts Number of workers, threshold for small batches
   * @throws {RangeError} For a worker count that is not an integer in 1..64
   */
  constructor(opts: NeighborListPoolOptions = {}) {
    const size = opts.workers ?? Math.min(navigator.hardwareConcurrency || 1, 16);
    if (!Number.isInteger(size) || size < 1 || size > 64) {
      throw new RangeError(`NeighborListPool: workers must be an integer in 1..64, got "${size}"`);
    }
    this.size = size;
    this.minParallelWork = opts.minParallelWork ?? MIN_PARALLEL_WORK;
  }

  /**
   * {@linkcode neighborListMany} on the pool's workers (on the calling thread for small batches).
   *
   * A loop that is done with each result before the next call can hand it back as `reuse`: its
   * memory then holds the new result (when it came from a pool's workers, so SharedArrayBuffers,
   * and is large enough) instead of fresh memory, which JavaScript zero-fills (~10 MB, ~0.7 ms,
   * for the 340 fixture crystals at 7 Å). The old result's arrays then show the new edges: do not
   * read them again, nor hand the same result to two calls.
   *
   * @example A loop that hands each result back
   * ```ts
   * import assert from "node:assert";
   * const c = {
   *   lattice: new Float64Array([4, 0, 0, 0, 4, 0, 0, 0, 4]),
   *   frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0.5]),
   *   numbers: new Uint8Array([55, 17]),
   * };
   * using pool = new NeighborListPool({ workers: 2, minParallelWork: 0 });
   * let last;
   * for (const cutoff of [5, 5, 4]) {
   *   const nl = await pool.neighborListMany([c, c, c], { cutoff, vectors: false }, { reuse: last });
   *   if (last && cutoff === 5) assert.strictEqual(nl.senders.buffer, last.senders.buffer);
   *   last = nl;
   * }
   * assert.strictEqual(last!.offsets[6], 6 * 14); // in CsCl at 4 Å: 8 at 3.46 Å, 6 own images
   * ```
   *
   * @param crystals The crystals (each with at least one atom)
   * @param opts As {@linkcode neighborListMany}
   * @param call `reuse`: an earlier result of a pool that the caller no longer reads
   * @returns The same list as {@linkcode neighborListMany}
   * @throws {GeometryError} The synchronous call's error
   * @throws {Error} When the pool is closed, or closed or a worker dies during the call
   */
  async neighborListMany(
    crystals: readonly Crystal[],
    opts: NeighborOptions,
    call: { reuse?: NeighborListBatch } = {},
  ): Promise<NeighborListBatch> {
    if (this.#closed) throw new Error("Cannot build neighbour lists: the NeighborListPool is closed");
    const args = neighborArgs(opts);
    const { work, atomOffsets, total: totalWork } = surveyBatch(crystals, args);
    if (crystals.length < 2 || totalWork < this.minParallelWork) return neighborListMany(crystals, opts);
    const capacity = edgeCapacity(crystals, args);
    // The calling thread zero-fills the output while the workers search; with no core to spare,
    // that holds back the worker posted to last, so the last part gets that much less work.
    const contended = this.size >= (navigator.hardwareConcurrency || 1);
    const n = atomOffsets[crystals.length];
    const reused = this.#reusable(call.reuse, n, capacity, args.vectors);
    const fill = contended && !reused ? FILL_WORK_PER_EDGE * capacity * (args.vectors ? 2 : 1) : 0;
    const parts = splitByWork(work, atomOffsets, this.size, fill);
    const ids = parts.map(() => this.#nextId++);
    const control = partControl(parts.length);
    parts.forEach(([a, b], p) => {
      // Packed per part (fresh arrays, so their buffers can move to the worker), each posted as
      // soon as it is ready: the first worker starts before the others' parts are packed.
      const part = packCrystals(crystals.slice(a, b), NL_ACTION);
      const msg: WorkerRequest = {
        type: "search",
        id: ids[p],
        packed: part,
        args,
        offset: a,
        part: p,
        control,
      };
      this.#post(p, msg, [part.lattices, part.frac, part.offsets].map((x) => x.buffer as ArrayBuffer));
    });
    // While the workers search: the batch's arrays, sized from the estimate (zero-filling ~10 MB
    // of fresh shared memory takes ~0.7 ms, hidden where a core is spare, else balanced above).
    let out = reused ?? sharedOutputs(n, capacity, args.vectors);
    const replies = await Promise.all(parts.map(([a], p) => {
      const atomBase = atomOffsets[a];
      return this.#request(p, { type: "place", id: ids[p], part: p, control, atomBase, out });
    }));
    const edges = replies.map((r) => "edges" in r ? r.edges : 0);
    const total = edges.reduce((s, e) => s + e, 0);
    if (replies.some((r) => "failed" in r) || total > args.maxEdges) {
      await Promise.all(
        replies.map((r, p) => "placed" in r && !r.placed && this.#request(p, { type: "free", id: ids[p] })),
      );
      return neighborListMany(crystals, opts);
    }
    if (replies.some((r) => "placed" in r && !r.placed)) {
      out = await this.#copyUnplaced(replies, ids, atomOffsets, parts, out, total);
    }
    out.offsets[n] = total;
    return { atomOffsets, ...exactViews(out, total) };
  }

  /**
   * The whole arrays behind `reuse` when they are a pool's (each the start of its own
   * SharedArrayBuffer, which the workers can write) with room for `capacity` edges (and vectors if
   * needed), as views of all the room there is; new offsets if `n` differs.
   */
  #reusable(
    reuse: NeighborListBatch | undefined,
    n: number,
    capacity: number,
    vectors: boolean,
  ): SharedOutputs | undefined {
    if (!reuse) return undefined;
    const arrays = [reuse.offsets, reuse.senders, reuse.images, reuse.distances, reuse.vectors];
    const used = vectors ? arrays : arrays.slice(0, 4);
    const buffers = used.map((a) => a.buffer);
    const own = used.every((a) => a.buffer instanceof SharedArrayBuffer && a.byteOffset === 0);
    if (!own || new Set(buffers).size !== buffers.length) return undefined;
    const [offsets, senders, images, distances, vecs] = buffers as SharedArrayBuffer[];
    let room = Math.floor(Math.min(senders.byteLength / 4, images.byteLength / 12, distances.byteLength / 8));
    if (vectors) room = Math.min(room, Math.floor(vecs.byteLength / 24));
    if (room < capacity) return undefined;
    return {
      capacity: room,
      offsets: offsets.byteLength === 4 * (n + 1)
        ? new Uint32Array(offsets)
        : sharedOutputs(n, 0, false).offsets,
      senders: new Uint32Array(senders, 0, room),
      images: new Int32Array(images, 0, 3 * room),
      distances: new Float64Array(distances, 0, room),
      vectors: vectors ? new Float64Array(vecs, 0, 3 * room) : new Float64Array(0),
    };
  }

  /**
   * Copies the parts that the workers could not place: into `out` if it has room, else into new
   * arrays of the exact size (after what the placed parts already wrote there).
   */
  async #copyUnplaced(
    replies: WorkerReply[],
    ids: number[],
    atomOffsets: Uint32Array,
    parts: [number, number][],
    out: SharedOutputs,
    total: number,
  ): Promise<SharedOutputs> {
    if (total > out.capacity) out = regrow(out, total);
    let edgeBase = 0;
    await Promise.all(replies.map((r, p) => {
      const msg: WorkerRequest = {
        type: "copy",
        id: ids[p],
        atomBase: atomOffsets[parts[p][0]],
        edgeBase,
        out,
      };
      const placed = "placed" in r && r.placed;
      edgeBase += "edges" in r ? r.edges : 0;
      return !placed && this.#request(p, msg);
    }));
    return out;
  }

  /**
   * Terminates the workers; calls in flight reject at once. Idempotent.
   *
   * @returns Settles when every worker is gone. A worker still starting is terminated only once it
   *   has started: terminating one while V8 compiles its wasm aborts the whole process (Deno 2.9.6,
   *   "Check failed: validate_functions_job_handle_ == nullptr", seen in CI on a loaded machine).
   */
  close(): Promise<void> {
    this.#closed = true;
    const e = new Error("Cannot build neighbour lists: the NeighborListPool was closed");
    const gone = this.#workers.map((w) => {
      w.stop(e);
      if (w.started) return Promise.resolve(w.worker.terminate());
      return w.booted.then(() => w.worker.terminate());
    });
    this.#workers = [];
    this.#failAll(e);
    return Promise.all(gone).then(() => {});
  }

  /** As {@linkcode NeighborListPool.close}, for `using`. */
  [Symbol.dispose](): void {
    void this.close();
  }

  /** Sends `msg` to the worker of part `p` and resolves with its reply. */
  #request(p: number, msg: WorkerRequest, transfer: Transferable[] = []): Promise<WorkerReply> {
    return new Promise((resolve, reject) => {
      this.#pending.set(msg.id, { resolve, reject });
      this.#post(p, msg, transfer);
    });
  }

  /**
   * Sends `msg` to the worker of part `p`: at once when it has started (so that a search begins
   * before the caller goes on), else once it has; messages to one worker keep their order.
   */
  #post(p: number, msg: WorkerRequest, transfer: Transferable[] = []): void {
    const w = this.#worker(p % this.size);
    if (w.started) return w.worker.postMessage(msg, transfer);
    // A start-up failure reaches the caller through the pending replies (#failAll).
    w.ready.then(() => this.#closed || w.worker.postMessage(msg, transfer), () => {});
  }

  /** Worker `k`, started on first use. */
  #worker(k: number): PoolWorker {
    if (this.#closed) throw new Error("Cannot build neighbour lists: the NeighborListPool is closed");
    while (this.#workers.length <= k) {
      const worker = new Worker(WORKER_URL, { type: "module" });
      let booted = () => {};
      const w: PoolWorker = {
        worker,
        ready: Promise.resolve(),
        stop: () => {},
        started: false,
        booted: new Promise<void>((resolve) => booted = resolve),
      };
      w.ready = new Promise<void>((resolve, reject) => {
        w.stop = reject;
        worker.onmessage = (e: MessageEvent<WorkerReply | { ready: true }>) => {
          if ("ready" in e.data) {
            w.started = true;
            booted();
            return resolve();
          }
          const pending = this.#pending.get(e.data.id);
          this.#pending.delete(e.data.id);
          pending?.resolve(e.data);
        };
        worker.onerror = (e: ErrorEvent) => {
          // A worker that cannot start or dies takes the pool with it; the callers get the reason.
          e.preventDefault();
          booted();
          const error = new Error(`Cannot build neighbour lists: a pool worker failed (${e.message})`);
          reject(error);
          this.#failAll(error);
          void this.close();
        };
      });
      // A start-up failure is reported to the calls waiting on `ready`, not as unhandled.
      w.ready.catch(() => {});
      this.#workers.push(w);
    }
    return this.#workers[k];
  }

  #failAll(e: Error): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(e);
  }
}

/**
 * Per crystal, its estimated search work (per atom pair, {@linkcode PAIR_WORK} plus the images it
 * can hold: lattice points in the cutoff sphere, or the 27 adjacent ones; only used to balance parts), with
 * the batch's atom offsets and total work.
 *
 * @throws {GeometryError} `"bad-shape"` for a crystal's arrays, as {@linkcode packCrystals}
 */
function surveyBatch(
  crystals: readonly Crystal[],
  args: NeighborArgs,
): { work: number[]; atomOffsets: Uint32Array; total: number } {
  const work: number[] = [];
  const atomOffsets = new Uint32Array(crystals.length + 1);
  let total = 0;
  for (let i = 0; i < crystals.length; i++) {
    const c = crystals[i];
    const n = crystalAtoms(c, i, NL_ACTION);
    atomOffsets[i + 1] = atomOffsets[i] + n;
    const images = args.adjacent
      ? 27
      : Math.min(4 / 3 * Math.PI * args.cutoff ** 3 / Math.abs(latticeVolume(c.lattice)), 1e6);
    const w = n * n * (PAIR_WORK + (Number.isFinite(images) ? images : 0));
    work.push(w);
    total += w;
  }
  return { work, atomOffsets, total };
}

/**
 * Contiguous `[start, end)` ranges of crystals: `parts` of about equal work, but the last one
 * `lastShort` less (a crystal goes to the part that holds its midpoint of the running total),
 * further split to the core's per-call limits.
 */
function splitByWork(
  work: number[],
  atomOffsets: Uint32Array,
  parts: number,
  lastShort = 0,
): [number, number][] {
  const total = work.reduce((s, w) => s + w, 0);
  const share = (total + Math.min(lastShort, total / parts)) / parts;
  const out: [number, number][] = [];
  let start = 0, before = 0, k = 1;
  for (let b = 0; b < work.length; b++) {
    const overLimits = b - start >= MAX_CRYSTALS_PER_CALL ||
      atomOffsets[b + 1] - atomOffsets[start] > MAX_ATOMS_PER_CALL;
    const pastTarget = k < parts && before + work[b] / 2 > share * k;
    if (b > start && (overLimits || pastTarget)) {
      out.push([start, b]);
      start = b;
      if (pastTarget) k++;
    }
    before += work[b];
  }
  out.push([start, work.length]);
  return out;
}

/**
 * Room for the edges of a batch, from the density of lattice points in the cutoff sphere (as the
 * core's own reservation: n²·(4/3)πr³/V per crystal, capped by 27 images or `maxNeighbors`), 5 %
 * and a few edges per crystal over: the 340 fixture crystals estimate 389 775 edges for 389 604.
 * Crystals whose estimate alone exceeds `maxEdges` (cells the search refuses) count as none.
 */
export function edgeCapacity(crystals: readonly Crystal[], args: NeighborArgs): number {
  const sphere = 4 / 3 * Math.PI * args.cutoff ** 3;
  let total = 0;
  for (const c of crystals) {
    const n = c.numbers?.length ?? 0;
    let perAtom = n * sphere / Math.abs(latticeVolume(c.lattice ?? []));
    if (args.adjacent) perAtom = Math.min(perAtom, 27 * n);
    if (args.maxNeighbors >= 0) perAtom = Math.min(perAtom, args.maxNeighbors);
    if (n * perAtom <= args.maxEdges) total += n * perAtom;
  }
  return Math.min(Math.ceil(1.05 * total) + 4 * crystals.length, args.maxEdges);
}

/** A control array for `parts` parts, all queued (see `_neighbor_worker.ts`). */
function partControl(parts: number): PartControl {
  const buffer = new SharedArrayBuffer(8 * parts);
  return { states: new Int32Array(buffer, 0, parts), edges: new Uint32Array(buffer, 4 * parts, parts) };
}

/** The arrays of a list of `n` receivers with room for `capacity` edges, over SharedArrayBuffers. */
function sharedOutputs(n: number, capacity: number, vectors: boolean): SharedOutputs {
  const shared = <T>(ctor: new (b: SharedArrayBuffer) => T, bytes: number) =>
    new ctor(new SharedArrayBuffer(bytes));
  return {
    capacity,
    offsets: shared(Uint32Array, 4 * (n + 1)),
    senders: shared(Uint32Array, 4 * capacity),
    images: shared(Int32Array, 12 * capacity),
    distances: shared(Float64Array, 8 * capacity),
    vectors: vectors ? shared(Float64Array, 24 * capacity) : new Float64Array(0),
  };
}

/** `out` with room for `capacity` edges: the same offsets, new edge arrays holding the old ones' edges. */
function regrow(out: SharedOutputs, capacity: number): SharedOutputs {
  const grown = sharedOutputs(0, capacity, out.vectors.length > 0);
  grown.senders.set(out.senders);
  grown.images.set(out.images);
  grown.distances.set(out.distances);
  grown.vectors.set(out.vectors);
  return { ...grown, offsets: out.offsets };
}

/** The first `edges` edges of `out`: views of exactly the batch's length (their buffers may be longer). */
function exactViews(out: SharedOutputs, edges: number) {
  return {
    offsets: out.offsets,
    senders: out.senders.subarray(0, edges),
    images: out.images.subarray(0, 3 * edges),
    distances: out.distances.subarray(0, edges),
    vectors: out.vectors.subarray(0, out.vectors.length && 3 * edges),
  };
}
