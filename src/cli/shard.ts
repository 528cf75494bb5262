/**
 * `generate --shard i/n`: which crystals of a run one of n independent processes makes. Shard i
 * takes the contiguous index range ⌊i·N/n⌋ … ⌊(i+1)·N/n⌋ − 1 of the N crystals; since a crystal
 * depends only on the seed and its index (src/model/streams.ts), the n shards together are the
 * unsharded run, file names included.
 *
 * @module
 */

import { UsageError } from "./command.ts";

/** One shard of a run of `total` crystals: indices `first … end − 1`. */
export interface Shard {
  /** Which shard (0-based). */
  index: number;
  /** How many shards the run is split into. */
  count: number;
  /** First crystal index of this shard. */
  first: number;
  /** One past its last crystal index. */
  end: number;
  /** Crystals of the whole run. */
  total: number;
}

/**
 * Parses `--shard i/n` for a run of `total` crystals (no flag: the whole run as shard 0/1).
 *
 * @example Seven crystals in three shards
 * ```ts
 * import { parseShard } from "./shard.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * assertEquals([0, 1, 2].map((i) => parseShard(`${i}/3`, 7)).map((s) => [s.first, s.end]), [[0, 2], [2, 4], [4, 7]]);
 * ```
 *
 * @throws {UsageError} Unless the flag is `i/n` with integers 0 ≤ i < n
 */
export function parseShard(flag: string | undefined, total: number): Shard {
  if (flag === undefined) return { index: 0, count: 1, first: 0, end: total, total };
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(flag);
  const [index, count] = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
  if (!m || !(count >= 1) || !(index < count) || !Number.isSafeInteger(count)) {
    throw new UsageError(
      `Invalid --shard "${flag}": expected i/n with integers 0 ≤ i < n (shard i of n, e.g. 0/4)`,
    );
  }
  const at = (k: number) => Math.floor((k * total) / count);
  return { index, count, first: at(index), end: at(index + 1), total };
}
