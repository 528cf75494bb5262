/**
 * GemNet's scale factors fitted for a model's own sizes and data, by the procedure of GemNet's
 * `fit_scaling.py` (`AutomaticFit` in `layers/scaling.py`): every factor starts at 1; then, one
 * factor at a time in the order the forward pass meets them, forward passes on validation batches
 * record Var_in = mean over features of the variance over rows of the factor's reference input
 * and Var_out the same of its scaled output (each weighted by the output's rows), and the factor
 * becomes √(Var_in / Var_out), so that the layer keeps its input's variance. The reference fits 17
 * batches per factor; so does this.
 *
 * The reference's factors (`GEMNET_T_SCALE_FACTORS`) were fitted for GemNet-dT's own sizes on
 * OC20 and reused by CDVAE unchanged; the `small` and `medium` presets have other widths and a
 * neighbour cap of 12 instead of 20, so their sums over edges and triplets have other variances.
 * The decoder runs as in a training step (teacher forcing, noise drawn per crystal): that is the
 * input it is trained on. CDVAE discards GemNet's energy output, so the output blocks' `scale_sum`
 * factors are never evaluated; they keep their values.
 *
 * @module
 */

import { HostRng } from "../compute/host_rng.ts";
import { TensorScope } from "../compute/tape.ts";
import type { Tensor } from "../compute/tensor.ts";
import type { CDVAE } from "../model/cdvae.ts";
import type { CrystalRecord } from "../data/preprocess.ts";
import { cdvaeObjective } from "../model/losses.ts";
import { observeScaleFactors, type ScaleObservation } from "../nn/gemnet_layers.ts";
import { makeBatch } from "./batch.ts";
import { EncoderInputCache } from "./encoder_cache.ts";

/** Forward passes per factor, as `fit_scaling.py` (its batches 0 to 16). */
export const BATCHES_PER_FACTOR = 17;

/** Options of {@linkcode fitScaleFactors}. */
export interface FitScalesOptions {
  /** Crystals per forward pass (default 64). */
  batchSize?: number;
  /** Forward passes per factor (default 17, as `fit_scaling.py`: batches 0 to 16). */
  batchesPerFactor?: number;
  /** Seed of the noise draws (default 0). */
  seed?: number;
  /** Called after each factor with its name (the reference's JSON key) and value. */
  onFactor?: (key: string, value: number) => void;
}

/**
 * The reference's JSON key of a scale factor's state_dict name (`gemnet-dT.json`): e.g.
 * `decoder.gemnet.int_blocks.0.trip_interaction.scale_rbf.scale_factor` → `TripInteraction_1_had_rbf`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "../../tests/_assert.ts";
 * assertEquals(scaleFactorKey("decoder.gemnet.out_blocks.2.scale_rbf_F.scale_factor"), "OutBlock_2_had");
 * assertEquals(scaleFactorKey("decoder.gemnet.int_blocks.1.atom_update.scale_sum.scale_factor"), "AtomUpdate_2_sum");
 * ```
 */
export function scaleFactorKey(name: string): string {
  const block = (re: RegExp) => Number(name.match(re)?.[1]);
  const inInt = /int_blocks\.(\d+)\./, inOut = /out_blocks\.(\d+)\./;
  if (name.endsWith("trip_interaction.scale_rbf.scale_factor")) {
    return `TripInteraction_${block(inInt) + 1}_had_rbf`;
  }
  if (name.endsWith("trip_interaction.scale_cbf_sum.scale_factor")) {
    return `TripInteraction_${block(inInt) + 1}_sum_cbf`;
  }
  if (name.endsWith("atom_update.scale_sum.scale_factor")) return `AtomUpdate_${block(inInt) + 1}_sum`;
  if (inOut.test(name) && name.endsWith(".scale_rbf_F.scale_factor")) return `OutBlock_${block(inOut)}_had`;
  if (inOut.test(name) && name.endsWith(".scale_sum.scale_factor")) return `OutBlock_${block(inOut)}_sum`;
  throw new Error(`Not a GemNet scale factor: ${name}`);
}

/** Mean over columns of the unbiased variance over the given rows (torch.mean(torch.var(x, 0))). */
function meanColumnVariance(
  x: ArrayLike<number>,
  cols: number,
  rows: Iterable<number>,
): { value: number; n: number } {
  const sum = new Float64Array(cols), sumSq = new Float64Array(cols);
  let n = 0;
  for (const r of rows) {
    for (let c = 0; c < cols; c++) {
      const v = x[r * cols + c];
      sum[c] += v;
      sumSq[c] += v * v;
    }
    n++;
  }
  let total = 0;
  for (let c = 0; c < cols; c++) total += (sumSq[c] - sum[c] * sum[c] / n) / (n - 1);
  return { value: total / cols, n };
}

/** Row indices 0 … n−1. */
function* allRows(n: number): Iterable<number> {
  for (let r = 0; r < n; r++) yield r;
}

/** The rows of the padded triplet slots `[E·Kmax]` that hold a triplet: the first deg(target) − 1 of each edge. */
async function tripletRows(o: ScaleObservation): Promise<number[]> {
  const g = o.tripletsOf!;
  const targets = await g.targets.read(), offsets = await g.targetOffsets.read();
  const rows: number[] = [];
  for (let e = 0; e < targets.length; e++) {
    const t = targets[e], count = offsets[t + 1] - offsets[t] - 1;
    for (let k = 0; k < count; k++) rows.push(e * g.kmax + k);
  }
  return rows;
}

/** Var_in and Var_out of one observation, and the output's row count (the reference's weight). */
async function variances(o: ScaleObservation): Promise<{ varIn: number; varOut: number; n: number }> {
  const [ref, out] = [await o.reference.read(), await o.output.read()];
  const refCols = o.reference.shape[o.reference.shape.length - 1];
  const outCols = o.output.shape[o.output.shape.length - 1];
  const refRows = o.tripletsOf ? await tripletRows(o) : allRows(ref.length / refCols);
  const outRows = out.length / outCols;
  return {
    varIn: meanColumnVariance(ref, refCols, refRows).value,
    varOut: meanColumnVariance(out, outCols, allRows(outRows)).value,
    n: outRows,
  };
}

/**
 * Fits the scale factors of `model`'s decoder in place (see the module comment) and returns them
 * by the reference's keys, in the order fitted.
 *
 * @param model The model (its other weights as they are: a fresh model for a new run)
 * @param records Crystals to run (the validation split, as `fit_scaling.py`); cycled as needed
 * @param opts Batch size, passes per factor, seed
 * @returns The fitted factors, e.g. `{ TripInteraction_1_had_rbf: 9.1, … }`
 * @throws {RangeError} When there are no records
 */
export async function fitScaleFactors(
  model: CDVAE,
  records: readonly CrystalRecord[],
  opts: FitScalesOptions = {},
): Promise<Record<string, number>> {
  if (records.length === 0) throw new RangeError("Fitting the scale factors needs at least one crystal");
  const batchSize = opts.batchSize ?? 64, perFactor = opts.batchesPerFactor ?? BATCHES_PER_FACTOR;
  const rng = new HostRng(opts.seed ?? 0);
  const names = new Map<Tensor, string>();
  for (const [name, e] of model.store.entries) if (name.endsWith(".scale_factor")) names.set(e.tensor, name);
  // Each crystal comes back ~perFactor × factors × batch / records times: build its encoder inputs once.
  const cache = new EncoderInputCache(model);
  let next = 0;
  const batch = () => {
    const recs = Array.from(
      { length: Math.min(batchSize, records.length) },
      () => records[next++ % records.length],
    );
    return makeBatch(model, recs, cache);
  };
  /** One training-step forward (no tape), keeping the observations `keep` accepts (alive until its scope is disposed). */
  const forward = async (keep: (o: ScaleObservation) => boolean) => {
    const scope = new TensorScope(), seen: ScaleObservation[] = [];
    observeScaleFactors((o) => keep(o) && seen.push(o));
    try {
      await cdvaeObjective(model, batch(), { record: (f) => scope.run(f) }, { teacherForcing: true, rng });
      observeScaleFactors();
      return { seen, scope };
    } catch (e) {
      observeScaleFactors();
      scope.dispose();
      throw e;
    }
  };
  const set = (t: Tensor, v: number) => model.backend.write(t.buffer, Float32Array.of(v));

  // The factors the forward pass evaluates, in its order; all start at 1.
  const first = await forward(() => true);
  const order = [...new Set(first.seen.map((o) => o.factor))];
  first.scope.dispose();
  for (const f of order) set(f, 1);

  const fitted: Record<string, number> = {};
  for (const factor of order) {
    // Σ Var·rows over the passes, for input and output (the reference divides both by Σ rows).
    let varIn = 0, varOut = 0;
    for (let b = 0; b < perFactor; b++) {
      const { seen, scope } = await forward((o) => o.factor === factor);
      try {
        for (const o of seen) {
          const v = await variances(o);
          varIn += v.varIn * v.n;
          varOut += v.varOut * v.n;
        }
      } finally {
        scope.dispose();
      }
    }
    if (!(varIn > 0 && varOut > 0)) throw new Error(`Scale factor ${names.get(factor)}: no variance to fit`);
    const value = Math.sqrt(varIn / varOut);
    set(factor, value);
    const key = scaleFactorKey(names.get(factor)!);
    fitted[key] = value;
    opts.onFactor?.(key, value);
  }
  return fitted;
}
