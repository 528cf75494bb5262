/**
 * writeCif() output against pymatgen's `CifWriter(structure)` text for the same structures
 * (`tests/fixtures/pymatgen_cifwriter_layout.json`, made by `tools/make_format_fixtures.py`).
 * Lines must match one for one; within a line, tokens must be equal, except tokens that are both
 * numbers, which must agree to 1e-6 (so only numeric formatting may differ). The first line, the
 * comment naming the program, is ours.
 */

import { AssertionError } from "../_assert.ts";
import type { Crystal } from "../../src/crystal/crystal.ts";
import { atomicNumber } from "../../src/crystal/elements.ts";
import { CIF_HEADER, writeCif } from "../../src/crystal/cif.ts";

const NUMBER_TOL = 1e-6;
const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

interface LayoutItem {
  source: string;
  lattice: number[];
  frac: number[][];
  species: string[];
  cif: string;
}

function crystalOf(item: LayoutItem): Crystal {
  return {
    lattice: new Float64Array(item.lattice),
    frac: new Float64Array(item.frac.flat()),
    numbers: new Uint8Array(item.species.map((s) => atomicNumber(s) ?? 0)),
  };
}

/** Describes the first difference between two CIF texts, or returns `undefined` when they match. */
function layoutDifference(ours: string, theirs: string): string | undefined {
  const a = ours.trimEnd().split("\n"), b = theirs.trimEnd().split("\n");
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const ta = (a[i] ?? "").trim().split(/\s+/), tb = (b[i] ?? "").trim().split(/\s+/);
    const same = ta.length === tb.length && ta.every((x, k) => {
      const y = tb[k];
      if (x === y) return true;
      return NUMBER_RE.test(x) && NUMBER_RE.test(y) && Math.abs(Number(x) - Number(y)) <= NUMBER_TOL;
    });
    if (!same) return `line ${i + 1}: ours ${JSON.stringify(a[i])}, pymatgen ${JSON.stringify(b[i])}`;
  }
  return undefined;
}

Deno.test("writeCif() writes pymatgen CifWriter's layout", async (t) => {
  const fx: { items: LayoutItem[] } = JSON.parse(
    await Deno.readTextFile(new URL("../fixtures/pymatgen_cifwriter_layout.json", import.meta.url)),
  );
  for (const item of fx.items) {
    await t.step(item.source, () => {
      const ours = writeCif(crystalOf(item));
      if (!ours.startsWith(CIF_HEADER + "\n")) {
        throw new AssertionError({ message: `header: ${ours.split("\n")[0]}` });
      }
      const diff = layoutDifference(ours.replace(CIF_HEADER, "# generated using pymatgen"), item.cif);
      if (diff !== undefined) throw new AssertionError({ message: `${item.source}: ${diff}` });
    });
  }
});
