/**
 * The reference's per-crystal preprocessing and the scalers fitted on a training split.
 *
 * Per crystal (reference `build_crystal`): Niggli-reduce (pymatgen's `get_reduced_structure`,
 * tol 1e-5), then rebuild the lattice from its six parameters in pymatgen's `from_parameters`
 * setting with the same fractional coordinates. The model sees atomic numbers, fractional
 * coordinates, lengths and angles; the lattice target is lengths / N^(1/3) and angles.
 *
 * @module
 */

import type { Crystal } from "../crystal/crystal.ts";
import { latticeFromParameters, latticeParameters } from "../crystal/lattice.ts";
import { niggliReduceMany } from "../core/lattice.ts";

/** One crystal as the model consumes it. */
export interface CrystalRecord {
  /** Identifier (material id or file name). */
  id: string;
  /** `[N]` atomic numbers. */
  numbers: Uint8Array;
  /** `[3N]` fractional coordinates in [0, 1). */
  frac: Float64Array;
  /** `[9]` lattice rows, rebuilt from the parameters (pymatgen setting). */
  lattice: Float64Array;
  /** a, b, c (Å). */
  lengths: [number, number, number];
  /** α, β, γ (degrees). */
  angles: [number, number, number];
  /** The property value, when the model predicts one (NaN when absent). */
  property: number;
}

/**
 * Preprocesses crystals as the reference does (Niggli, then the cell rebuilt from parameters).
 *
 * @param crystals The crystals (any cell)
 * @param ids Identifiers, one per crystal
 * @param properties Property values, one per crystal (or undefined)
 * @returns Records in the same order
 *
 * @example A cubic cell keeps its parameters
 * ```ts
 * import { preprocessCrystals } from "./preprocess.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const c = { lattice: new Float64Array([3, 0, 0, 0, 3, 0, 0, 0, 3]), frac: new Float64Array(3), numbers: new Uint8Array([26]) };
 * const [r] = preprocessCrystals([c], ["Fe"]);
 * assertEquals(r.lengths.map((x) => Math.round(x * 1e9) / 1e9), [3, 3, 3]);
 * ```
 */
export function preprocessCrystals(
  crystals: readonly Crystal[],
  ids: readonly string[],
  properties?: ArrayLike<number>,
): CrystalRecord[] {
  const reduced = niggliReduceMany(crystals);
  return reduced.map(({ crystal }, i) => {
    const p = latticeParameters(crystal.lattice);
    return {
      id: ids[i],
      numbers: crystal.numbers.slice(),
      frac: crystal.frac.slice(),
      lattice: latticeFromParameters(p),
      lengths: [p.a, p.b, p.c],
      angles: [p.alpha, p.beta, p.gamma],
      property: properties ? properties[i] : NaN,
    };
  });
}

/** The 6 lattice targets of a record: a, b, c divided by N^(1/3), then α, β, γ in degrees. */
export function latticeTarget(r: CrystalRecord): number[] {
  const s = Math.cbrt(r.numbers.length);
  return [r.lengths[0] / s, r.lengths[1] / s, r.lengths[2] / s, ...r.angles];
}

/** A standard scaler: (x − mean) / std per column, as the reference's `StandardScalerTorch`. */
export interface Scaler {
  /** Mean per column. */
  mean: number[];
  /** Standard deviation per column. */
  std: number[];
}

/**
 * Fits a scaler on rows of values: mean and population std + 1e-5 per column (the reference's
 * `get_scaler_from_data_list`).
 *
 * @example Two rows
 * ```ts
 * import { fitScaler } from "./preprocess.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * assertEquals(fitScaler([[1, 5], [3, 5]]), { mean: [2, 5], std: [1 + 1e-5, 1e-5] });
 * ```
 */
export function fitScaler(rows: readonly (readonly number[])[]): Scaler {
  if (rows.length === 0) throw new RangeError("Cannot fit a scaler on no rows");
  const d = rows[0].length;
  const mean = new Array(d).fill(0), std = new Array(d).fill(0);
  for (const r of rows) for (let j = 0; j < d; j++) mean[j] += r[j] / rows.length;
  for (const r of rows) for (let j = 0; j < d; j++) std[j] += (r[j] - mean[j]) ** 2 / rows.length;
  return { mean, std: std.map((v) => Math.sqrt(v) + 1e-5) };
}

/** (x − mean) / std for one row. */
export function scaleRow(s: Scaler, row: readonly number[]): number[] {
  return row.map((v, j) => (v - s.mean[j]) / s.std[j]);
}

/** x·std + mean for one row. */
export function unscaleRow(s: Scaler, row: ArrayLike<number>): number[] {
  return Array.from(row, (v, j) => v * s.std[j] + s.mean[j]);
}

/** The scalers of a model: lattice targets always, the property when predicted. */
export interface ModelScalers {
  lattice: Scaler;
  property?: Scaler;
}

/** Fits the lattice (and property, when the records have one) scalers on a training split. */
export function fitModelScalers(records: readonly CrystalRecord[]): ModelScalers {
  const lattice = fitScaler(records.map(latticeTarget));
  const props = records.map((r) => r.property).filter((p) => Number.isFinite(p));
  return props.length === records.length && props.length > 0
    ? { lattice, property: fitScaler(props.map((p) => [p])) }
    : { lattice };
}

/**
 * The lattice a lattice-head output describes: unscaled, lengths × N^(1/3), built in pymatgen's
 * setting (the reference's `predict_lattice` + `lattice_params_to_matrix`).
 *
 * @param scaler The lattice scaler
 * @param row The 6 standardised values
 * @param atoms N
 * @throws {RangeError} When the values do not describe a cell (non-positive length, bad angles)
 */
export function latticeFromTarget(scaler: Scaler, row: ArrayLike<number>, atoms: number): Float64Array {
  const v = unscaleRow(scaler, Array.from({ length: 6 }, (_, k) => row[k]));
  const s = Math.cbrt(atoms);
  return latticeFromParameters({
    a: v[0] * s,
    b: v[1] * s,
    c: v[2] * s,
    alpha: v[3],
    beta: v[4],
    gamma: v[5],
  });
}
