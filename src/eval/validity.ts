/**
 * Structural validity as the reference's `structure_validity`: every pair of distinct atoms
 * (minimum image, pymatgen's `distance_matrix`) at least 0.5 Å apart and a cell volume of at least
 * 0.1 Å³; a crystal whose cell is degenerate or not finite is invalid.
 *
 * @module
 */

import type { Crystal } from "../crystal/crystal.ts";
import { cellVolume, minDistance } from "../core/geometry.ts";

/** The verdict on one crystal, with the reason when invalid. */
export interface StructureValidity {
  /** True when no two atoms are closer than the cutoff and the cell has volume. */
  valid: boolean;
  /** Smallest distance between distinct atoms (Å; +∞ for one atom). */
  minDistance: number;
  /** Cell volume (Å³). */
  volume: number;
  /** Why the crystal is invalid, when it is. */
  reason?: string;
}

/**
 * Checks structural validity.
 *
 * @example Two atoms 0.3 Å apart are invalid
 * ```ts
 * import { structureValidity } from "./validity.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const c = { lattice: new Float64Array([3, 0, 0, 0, 3, 0, 0, 0, 3]), frac: new Float64Array([0, 0, 0, 0.1, 0, 0]), numbers: new Uint8Array([8, 8]) };
 * assertEquals(structureValidity(c).valid, false);
 * ```
 */
export function structureValidity(c: Crystal, cutoff = 0.5): StructureValidity {
  let volume: number, dmin: number;
  try {
    volume = Math.abs(cellVolume(c));
    dmin = minDistance(c, { selfImages: false });
  } catch (e) {
    return { valid: false, minDistance: NaN, volume: NaN, reason: (e as Error).message };
  }
  if (volume < 0.1) {
    return { valid: false, minDistance: dmin, volume, reason: `volume ${volume.toFixed(3)} Å³ < 0.1` };
  }
  if (dmin < cutoff) {
    return {
      valid: false,
      minDistance: dmin,
      volume,
      reason: `atoms ${dmin.toFixed(3)} Å apart (< ${cutoff})`,
    };
  }
  return { valid: true, minDistance: dmin, volume };
}
