/**
 * Whether a run has stopped improving: the issue tracker's (and the model cards') definition of a
 * plateau is a best validation loss that improved by less than 1 % over the last 20 epochs.
 *
 * @module
 */

/** The change of the best validation loss over the last epochs of a run. */
export interface RecentImprovement {
  /** Epochs looked back. */
  window: number;
  /** Last epoch of the log. */
  epoch: number;
  /** Best validation loss up to `epoch`. */
  best: number;
  /** Best validation loss up to `epoch − window`. */
  bestBefore: number;
  /** (best − bestBefore) / bestBefore: −0.02 is a 2 % improvement. */
  change: number;
  /** True when the improvement is under `threshold` (default 1 %). */
  plateau: boolean;
}

/**
 * The improvement of the best validation loss over the last `window` epochs of a `log.csv` (as the
 * trainer writes it: a header with `epoch` and `val_loss`; epochs without validation leave it
 * empty).
 *
 * @param csv The log's text
 * @param window Epochs to look back (default 20)
 * @param threshold Relative improvement below which the run is on a plateau (default 0.01)
 * @returns The change, or undefined when the log has no validated epoch `window` epochs before its last
 * @example
 * ```ts
 * import { assertEquals } from "../../tests/_assert.ts";
 * const rows = Array.from({ length: 30 }, (_, i) => `${i + 1},${10 - 0.01 * i}`);
 * const r = recentImprovement(["epoch,val_loss", ...rows].join("\n"))!;
 * assertEquals([r.epoch, r.best.toFixed(2), r.bestBefore.toFixed(2), r.plateau], [30, "9.71", "9.91", false]);
 * ```
 */
export function recentImprovement(csv: string, window = 20, threshold = 0.01): RecentImprovement | undefined {
  const [header, ...lines] = csv.trim().split("\n");
  const cols = header.split(",");
  const [ei, vi] = [cols.indexOf("epoch"), cols.indexOf("val_loss")];
  if (ei < 0 || vi < 0) throw new Error("log.csv has no epoch or val_loss column");
  const rows = lines.map((l) => l.split(",")).map((f) => ({
    epoch: Number(f[ei]),
    val: f[vi] === "" ? NaN : Number(f[vi]),
  }));
  if (rows.length === 0) return undefined;
  const epoch = rows[rows.length - 1].epoch;
  const bestUpTo = (e: number) =>
    Math.min(...rows.filter((r) => r.epoch <= e && Number.isFinite(r.val)).map((r) => r.val));
  const [best, bestBefore] = [bestUpTo(epoch), bestUpTo(epoch - window)];
  if (!Number.isFinite(bestBefore)) return undefined;
  const change = (best - bestBefore) / bestBefore;
  return { window, epoch, best, bestBefore, change, plateau: -change < threshold };
}
