/**
 * `--cif-symmetry`: CIF files written with each crystal's space group (found at `--symprec`, laid
 * out as pymatgen's `CifWriter(structure, symprec)`) instead of P1, for `generate` and `reconstruct`
 * (through `writeCrystals`) and `convert`.
 *
 * @module
 */

import { type Command, UsageError } from "./command.ts";
import type { Crystal } from "../crystal/crystal.ts";
import { type FormatName, FORMATS } from "../crystal/formats.ts";
import { GeometryError } from "../core/symmetry.ts";
import { writeCif } from "../core/symmetry_cif.ts";

/** The `--cif-symmetry` option. */
export const CIF_SYMMETRY_OPTION: Command["options"][string] = {
  type: "boolean",
  description:
    "Write CIFs with their space group found at --symprec (conventional cell, symmetry operations, " +
    "asymmetric unit, as pymatgen's CifWriter(symprec)) instead of P1; a crystal whose group cannot be found stays P1",
};

/** Reads `--cif-symmetry`: true only with CIF output, a usage error with another format. */
export function cifSymmetryFlag(args: Parameters<Command["run"]>[0], format: string): boolean {
  if (!args.values["cif-symmetry"]) return false;
  if (format !== "cif") throw new UsageError(`--cif-symmetry writes CIF files, but the format is ${format}`);
  return true;
}

/**
 * One crystal's CIF with its space group at `symprec`, or `undefined` when the search fails (a
 * generated crystal with atoms on top of each other, a degenerate cell): the caller writes P1.
 */
export function symmetricCif(c: Crystal, symprec: number): string | undefined {
  try {
    return writeCif(c, { symprec });
  } catch (e) {
    if (e instanceof GeometryError) return undefined;
    throw e;
  }
}

/**
 * The text of `crystals` in `format`, each CIF block with its space group when `symprec` is
 * given (P1 for crystals whose group cannot be found); `fallbacks` counts those.
 */
export function crystalsText(
  crystals: readonly Crystal[],
  format: FormatName,
  symprec?: number,
): { text: string; fallbacks: number } {
  if (symprec === undefined || format !== "cif") {
    return { text: FORMATS[format].write([...crystals]), fallbacks: 0 };
  }
  let fallbacks = 0;
  const blocks = crystals.map((c) => {
    const text = symmetricCif(c, symprec);
    if (text !== undefined) return text;
    fallbacks++;
    return FORMATS.cif.write([c]);
  });
  return { text: blocks.join("\n"), fallbacks };
}
