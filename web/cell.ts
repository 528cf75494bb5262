/**
 * Which atoms a unit-cell picture shows: every atom once inside the cell, and an atom on a face,
 * edge or corner at each equivalent place on the boundary (as crystallographic viewers draw them).
 *
 * @module
 */

/** How close to 0 or 1 (fractional) a coordinate counts as on the boundary. */
const FACE_TOL = 1e-3;

/**
 * Fractional positions to draw: each atom wrapped into [0, 1), plus its images at 1 along every
 * axis where it lies on 0 (so a corner atom appears at all 8 corners).
 *
 * @example A corner atom and a body-centre atom
 * ```ts
 * import { boundaryImages } from "./cell.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 * assertEquals(boundaryImages([0, 0, 0, 0.5, 0.5, 0.5], [1, 2]).numbers.length, 9);
 * ```
 */
export function boundaryImages(frac: ArrayLike<number>, numbers: ArrayLike<number>): {
  frac: number[];
  numbers: number[];
} {
  const out: number[] = [], nums: number[] = [];
  for (let i = 0; i < numbers.length; i++) {
    const f = [0, 1, 2].map((k) => {
      let x = frac[3 * i + k] - Math.floor(frac[3 * i + k]);
      if (x > 1 - FACE_TOL) x = 0;
      return x;
    });
    const choices = f.map((x) => (x < FACE_TOL ? [x, x + 1] : [x]));
    for (const x of choices[0]) {
      for (const y of choices[1]) {
        for (const z of choices[2]) {
          out.push(x, y, z);
          nums.push(numbers[i]);
        }
      }
    }
  }
  return { frac: out, numbers: nums };
}
