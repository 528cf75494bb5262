/**
 * Our CIF and POSCAR readers against pymatgen's parse of the same text (fixtures made by
 * `tools/make_format_fixtures.py`, see `tests/fixtures/README.md`). Equal up to site order: lattice
 * within 1e-6 Å, the same species multiset, and a one-to-one map from our sites to pymatgen's sites
 * of the same species with periodic fractional distance below 1e-6.
 */

import { AssertionError } from "../_assert.ts";
import type { Crystal } from "../../src/crystal/crystal.ts";
import { elementSymbol } from "../../src/crystal/elements.ts";
import { readCif } from "../../src/crystal/cif.ts";
import { readPoscar } from "../../src/crystal/poscar.ts";

const LATTICE_TOL = 1e-6;
const FRAC_TOL = 1e-6;

/** A structure as the fixtures store it: pymatgen's lattice matrix, fractional coordinates, symbols. */
interface Expected {
  lattice: number[];
  frac: number[][];
  species: string[];
}

interface Fixture<T> {
  header: { generator: string; versions: Record<string, string>; description: string };
  items: T[];
}

type DatasetItem = Expected & { source: string; cif: string; note?: string };
type SymmetrizedItem = { source: string; cif: string; expanded: Expected };
type PoscarItem = Expected & { source: string; poscar: string };

async function loadFixture<T>(file: string): Promise<Fixture<T>> {
  return JSON.parse(await Deno.readTextFile(new URL(`../fixtures/${file}`, import.meta.url)));
}

/** Largest component of the periodic difference of two fractional positions. */
function periodicDistance(a: ArrayLike<number>, i: number, b: number[]): number {
  let worst = 0;
  for (let k = 0; k < 3; k++) {
    const d = a[3 * i + k] - b[k];
    worst = Math.max(worst, Math.abs(d - Math.round(d)));
  }
  return worst;
}

/** Describes how `ours` differs from pymatgen's `expected`, or returns `undefined` when they match. */
function compareUpToOrder(ours: Crystal, expected: Expected): string | undefined {
  for (let k = 0; k < 9; k++) {
    const d = Math.abs(ours.lattice[k] - expected.lattice[k]);
    if (!(d <= LATTICE_TOL)) {
      const diff = d.toExponential(2);
      return `lattice[${k}] is ${ours.lattice[k]}, pymatgen ${expected.lattice[k]} (|diff| ${diff} Å)`;
    }
  }
  const symbols = Array.from(ours.numbers, (z) => elementSymbol(z));
  const multiset = (s: string[]) => [...s].sort().join(" ");
  if (multiset(symbols) !== multiset(expected.species)) {
    return `species ${multiset(symbols)} (${symbols.length} sites), pymatgen ${multiset(expected.species)} ` +
      `(${expected.species.length} sites)`;
  }
  const used = new Array<boolean>(expected.species.length).fill(false);
  for (let i = 0; i < symbols.length; i++) {
    let best = -1, bestDist = Infinity;
    for (let j = 0; j < expected.species.length; j++) {
      if (used[j] || expected.species[j] !== symbols[i]) continue;
      const d = periodicDistance(ours.frac, i, expected.frac[j]);
      if (d < bestDist) [best, bestDist] = [j, d];
    }
    if (!(bestDist < FRAC_TOL)) {
      const f = Array.from(ours.frac.subarray(3 * i, 3 * i + 3));
      const near = best >= 0 ? `; nearest free pymatgen ${symbols[i]} is at [${expected.frac[best]}]` : "";
      return `site ${i} (${symbols[i]} at [${f}]) has no pymatgen site within ${FRAC_TOL}: ` +
        `distance ${bestDist.toExponential(2)}${near}`;
    }
    used[best] = true;
  }
  return undefined;
}

/** Runs `read` on every item and fails once, listing every item source that differs or throws. */
function checkAll<T extends { source: string }>(
  items: T[],
  read: (item: T) => Crystal,
  expected: (item: T) => Expected,
): void {
  const failures: string[] = [];
  for (const item of items) {
    let detail: string | undefined;
    try {
      detail = compareUpToOrder(read(item), expected(item));
    } catch (e) {
      detail = `reader threw ${(e as Error).name}: ${(e as Error).message}`;
    }
    if (detail !== undefined) failures.push(`${item.source}: ${detail}`);
  }
  if (failures.length > 0) {
    const list = failures.join("\n  ");
    throw new AssertionError({
      message: `${failures.length} of ${items.length} items differ from pymatgen:\n  ${list}`,
    });
  }
}

function readOneCif(text: string, source: string): Crystal {
  const crystals = readCif(text, { name: source });
  if (crystals.length !== 1) throw new Error(`expected 1 data block, read ${crystals.length}`);
  return crystals[0];
}

Deno.test("readCif() and readPoscar() match pymatgen up to site order", async (t) => {
  await t.step("pymatgen_cif_dataset.json: dataset CIFs", async () => {
    const fx = await loadFixture<DatasetItem>("pymatgen_cif_dataset.json");
    checkAll(fx.items, (it) => readOneCif(it.cif, it.source), (it) => it);
  });

  await t.step("pymatgen_cif_symmetrized.json: CifWriter(symprec=0.1) expanded to P1", async () => {
    const fx = await loadFixture<SymmetrizedItem>("pymatgen_cif_symmetrized.json");
    checkAll(fx.items, (it) => readOneCif(it.cif, it.source), (it) => it.expanded);
  });

  await t.step("pymatgen_poscar.json: POSCARs and edited variants", async () => {
    const fx = await loadFixture<PoscarItem>("pymatgen_poscar.json");
    checkAll(fx.items, (it) => readPoscar(it.poscar, { name: it.source }), (it) => it);
  });
});
