/**
 * CIF writing with the crystal's space group, as pymatgen's `CifWriter(structure, symprec)` writes
 * it: the space group found by moyo (src/core/symmetry.ts), the refined standardised conventional
 * cell, the group's operations and the asymmetric unit with multiplicities. Without `symprec` this
 * is the P1 writer of src/crystal/cif.ts, unchanged. This is the `writeCif` that mod.ts exports.
 *
 * @module
 */

import type { Crystal } from "../crystal/crystal.ts";
import { type CifWriteOptions, writeCif as writeP1Cif, writeCifWithSymmetry } from "../crystal/cif.ts";
import { spaceGroup, spaceGroupOperations } from "./symmetry.ts";

/** Options of {@linkcode writeCif}: the P1 writer's, and the tolerances of the symmetry search. */
export interface SymmetricCifWriteOptions extends CifWriteOptions {
  /**
   * Distance tolerance (Å) of the space-group search; given, the CIF is written with the group
   * found at this tolerance (pymatgen's `CifWriter(symprec=…)`); left out, a P1 CIF of the crystal
   * as given.
   */
  symprec?: number;
  /**
   * Angle tolerance (degrees) of the search, with `symprec` only; left out: spglib's default (the
   * same search as {@linkcode spaceGroup}). pymatgen's CifWriter passes 5.
   */
  angleTolerance?: number;
}

/**
 * Writes a crystal as CIF in the layout of pymatgen's `CifWriter`. Without `symprec`: P1, the
 * crystal as given (header, cell, formulas, the `x, y, z` loop, every site with multiplicity 1).
 * With `symprec`: the crystal's space group found at that tolerance (moyo, with spglib's acceptance
 * test; the number {@linkcode spaceGroup} reports), written as pymatgen's
 * `CifWriter(structure, symprec)` does — the refined standardised conventional cell (so the cell,
 * formulas and Z may differ from the input's), `_symmetry_space_group_name_H-M` and
 * `_symmetry_Int_Tables_number`, the group's operations in `_symmetry_equiv_pos_as_xyz`, and one
 * atom-site row per set of symmetry-equivalent sites with its `_atom_site_symmetry_multiplicity`.
 * Atoms move to their idealised positions (by at most about `symprec`). Readers that apply the
 * operations (pymatgen, ASE, {@linkcode readCif}) get the same structure back.
 *
 * @param c The crystal
 * @param opts `name` of the data block (default: the reduced formula), `decimals` (default 8),
 *   `symprec` and `angleTolerance` (see {@linkcode SymmetricCifWriteOptions})
 * @returns The CIF text, ending with a newline
 * @throws {TypeError|RangeError} If the crystal is invalid, the name contains whitespace or decimals
 *   is not 1–20
 * @throws {GeometryError} With `symprec`, as {@linkcode spaceGroup} (e.g. `"bad-parameter"` for a
 *   tolerance out of range, `"no-convergence"` when no consistent group is found)
 * @example A rutile cell with slightly displaced atoms, written in P4_2/mnm
 * ```ts
 * import { strictEqual } from "node:assert";
 * import { readCif } from "../crystal/cif.ts";
 * const x = 0.3046;
 * const rutile = {
 *   lattice: new Float64Array([4.594, 0, 0, 0, 4.594, 0, 0, 0, 2.959]),
 *   frac: new Float64Array([0, 0, 0.001, 0.5, 0.5, 0.5, x, x, 0, -x, -x, 0, 0.5 - x, 0.5 + x, 0.5, 0.5 + x, 0.5 - x, 0.5]),
 *   numbers: new Uint8Array([22, 22, 8, 8, 8, 8]),
 * };
 * const text = writeCif(rutile, { symprec: 0.01 });
 * strictEqual(/_symmetry_Int_Tables_number +(\d+)/.exec(text)?.[1], "136");
 * strictEqual(text.split("\n").filter((l) => / (Ti|O)\d+ /.test(l)).length, 2); // two orbits
 * strictEqual(readCif(text)[0].numbers.length, 6);
 * ```
 */
export function writeCif(c: Crystal, opts: SymmetricCifWriteOptions = {}): string {
  const { symprec, angleTolerance, ...rest } = opts;
  if (symprec === undefined) {
    if (angleTolerance !== undefined) {
      throw new RangeError(`Cannot write CIF: angleTolerance "${angleTolerance}" is given without symprec`);
    }
    return writeP1Cif(c, rest);
  }
  const sg = spaceGroup(c, angleTolerance === undefined ? { symprec } : { symprec, angleTolerance });
  const symmetry = { number: sg.number, symbol: sg.symbol, operations: spaceGroupOperations(sg.hallNumber) };
  return writeCifWithSymmetry(sg.conventional, symmetry, rest);
}
