/**
 * The numbers of the demo form: their bounds, and their values from URL parameters
 * (`?model=&n=&steps=&levels=&seed=&backend=&run=1`).
 *
 * @module
 */

/** Bounds of the form's numbers (also applied to URL parameters). */
export const LIMITS = {
  n: { min: 1, max: 16, default: 2 },
  steps: { min: 1, max: 100, default: 5 },
  levels: { min: 2, max: 50, default: 50 },
  seed: { min: 0, max: 2 ** 31 - 1, default: 0 },
} as const;

/** A number of the form. */
export type Field = keyof typeof LIMITS;

/**
 * A form value from a URL parameter: the default when absent, else an integer clamped to the bounds.
 *
 * @example
 * ```ts
 * import { paramValue } from "./params.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 * assertEquals(paramValue("n", "999"), 16);
 * assertEquals(paramValue("steps", "abc"), 5);
 * ```
 */
export function paramValue(field: Field, raw: string | null): number {
  const lim = LIMITS[field];
  const v = raw === null || raw.trim() === "" ? NaN : Math.round(Number(raw));
  return Number.isFinite(v) ? Math.min(lim.max, Math.max(lim.min, v)) : lim.default;
}
