/**
 * {@linkcode spaceGroupNumbersOrNull} on Deno Workers, for whole dataset splits (MP-20's test split
 * has 9 046 crystals, about 10 s on one thread here): the set is cut into contiguous parts of equal
 * size, one per worker, each with its own wasm core. Besides using more cores, this lets the caller
 * go on with other synchronous work (`evaluate` computes the coverage fingerprints meanwhile) and
 * collect the numbers afterwards. Small sets run on the calling thread.
 *
 * @module
 */

import type { Crystal } from "../crystal/crystal.ts";
import { spaceGroupNumbersOrNull } from "./space_groups.ts";
import type { SpaceGroupReply, SpaceGroupRequest } from "./_space_group_worker.ts";

const WORKER_URL = new URL("./_space_group_worker.ts", import.meta.url);

/** Crystals below which a set is searched on the calling thread (a worker's start-up costs ~0.2 s). */
export const MIN_WORKER_CRYSTALS = 512;

/** Options of {@linkcode spaceGroupNumbersInWorkers}. */
export interface SpaceGroupWorkerOptions {
  /** Number of workers (default: `navigator.hardwareConcurrency`, at most 8). */
  workers?: number;
  /** Called with (done, total) as the parts progress; messages arrive while the caller awaits. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * The space-group numbers of many crystals, found on workers: the same result as
 * {@linkcode spaceGroupNumbersOrNull} (`null` for a crystal whose search fails).
 *
 * @param crystals The crystals
 * @param symprec Distance tolerance in Å
 * @param opts Number of workers, progress
 * @returns One ITA number or `null` per crystal, in order
 * @example
 * ```ts
 * import { assertEquals } from "../../tests/_assert.ts";
 * const po = { lattice: new Float64Array([3.35, 0, 0, 0, 3.35, 0, 0, 0, 3.35]), frac: new Float64Array(3), numbers: new Uint8Array([84]) };
 * assertEquals(await spaceGroupNumbersInWorkers([po, po], 0.1), [221, 221]);
 * ```
 */
export async function spaceGroupNumbersInWorkers(
  crystals: readonly Crystal[],
  symprec: number,
  opts: SpaceGroupWorkerOptions = {},
): Promise<(number | null)[]> {
  const n = crystals.length;
  if (n === 0) return [];
  // Unless told, no more workers than parts of MIN_WORKER_CRYSTALS / 2 crystals (start-up costs).
  const size = Math.min(
    opts.workers ?? Math.min(navigator.hardwareConcurrency || 1, 8, Math.ceil(2 * n / MIN_WORKER_CRYSTALS)),
    n,
  );
  if (n < MIN_WORKER_CRYSTALS && opts.workers === undefined) {
    return spaceGroupNumbersOrNull(crystals, symprec, opts.onProgress);
  }
  const per = Math.ceil(n / size);
  const done = new Array<number>(size).fill(0);
  const parts = Array.from({ length: size }, (_, k) => crystals.slice(k * per, (k + 1) * per));
  const results = await Promise.all(
    parts.map((part, k) =>
      new Promise<(number | null)[]>((resolve, reject) => {
        const worker = new Worker(WORKER_URL, { type: "module" });
        const finish = (settle: () => void) => {
          worker.terminate();
          settle();
        };
        worker.onmessage = (e: MessageEvent<SpaceGroupReply>) => {
          const reply = e.data;
          if (reply.type === "progress") {
            done[k] = reply.done;
            opts.onProgress?.(done.reduce((s, x) => s + x, 0), n);
          } else if (reply.type === "done") finish(() => resolve(reply.numbers));
          else finish(() => reject(new Error(reply.message)));
        };
        worker.onerror = (e) => {
          e.preventDefault();
          finish(() => reject(new Error(`Cannot find space groups on a worker: ${e.message}`)));
        };
        worker.postMessage({ crystals: part, symprec } satisfies SpaceGroupRequest);
      })
    ),
  );
  return results.flat();
}
