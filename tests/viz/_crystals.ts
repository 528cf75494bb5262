/** Crystals the picture tests draw. */

import type { Crystal } from "../../src/crystal/crystal.ts";

/** Rock salt, conventional cubic cell (a = 5.64 Å): 4 Na, 4 Cl. */
export const ROCKSALT: Crystal = {
  lattice: new Float64Array([5.64, 0, 0, 0, 5.64, 0, 0, 0, 5.64]),
  frac: new Float64Array([
    ...[0, 0, 0, 0, .5, .5, .5, 0, .5, .5, .5, 0], // Na: corner and face centres
    ...[.5, 0, 0, 0, .5, 0, 0, 0, .5, .5, .5, .5], // Cl: edge centres and body centre
  ]),
  numbers: new Uint8Array([11, 11, 11, 11, 17, 17, 17, 17]),
};

/** A skewed triclinic cell with atoms inside, slightly off faces, and at 0.9999 (= the 0 face). */
export const TRICLINIC: Crystal = {
  lattice: new Float64Array([4.1, 0, 0, 1.2, 3.9, 0, 0.7, -0.9, 5.3]),
  frac: new Float64Array([0.21, 0.33, 0.47, 0.9999, 0.5, 0.5, 0.02, 0.6, 0.3, 1.37, -0.25, 0.8]),
  numbers: new Uint8Array([8, 26, 1, 79]),
};
