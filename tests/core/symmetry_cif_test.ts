/**
 * `writeCif(c, { symprec })`: CIFs with the space group, against pymatgen.
 *
 * - tests/fixtures/pymatgen_symmetry_cif.json (tools/write_symmetry_cifs.ts +
 *   tools/make_symmetry_cif_fixtures.py): our CIFs of 60 dataset and perturbed crystals, as pymatgen
 *   2025.10.7 and spglib 2.7.0 read them. The writer must still write those texts, pymatgen must
 *   have read each as the input structure (StructureMatcher) carrying the group we wrote (spglib at
 *   1e-3 Å), and our reader must expand each to exactly the refined conventional cell (1e-6) and
 *   read it back as the input structure (matcher).
 * - tests/fixtures/pymatgen_cif_symmetrized.json (tools/make_format_fixtures.py): pymatgen's own
 *   `CifWriter(structure, symprec=0.1)` texts of 100 dataset crystals. Written from the same
 *   structure, ours must carry the same symbol, number, cell, formulas, operations (as a set: moyo
 *   and spglib list them in other orders) and atom rows (element, label, multiplicity; positions may
 *   differ by an equivalent choice of origin, so the structures are compared by matching).
 */

import { assert, assertEquals, AssertionError, assertThrows } from "../_assert.ts";
import type { Crystal } from "../../src/crystal/crystal.ts";
import { atomicNumber } from "../../src/crystal/elements.ts";
import { latticeParameters } from "../../src/crystal/lattice.ts";
import {
  readCif,
  symmetryOpToXyz,
  writeCif as writeP1Cif,
  writeCifWithSymmetry,
} from "../../src/crystal/cif.ts";
import { isIdentityOp, parseSymmetryOp } from "../../src/crystal/symmetry_ops.ts";
import { GeometryError, spaceGroup, spaceGroupOperations } from "../../src/core/symmetry.ts";
import { writeCif } from "../../src/core/symmetry_cif.ts";
import { matchStructures } from "../../src/eval/matcher.ts";

const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

async function fixture<T>(name: string): Promise<{ items: T[] }> {
  return JSON.parse(await Deno.readTextFile(new URL(`../fixtures/${name}`, import.meta.url)));
}

function crystal(lattice: number[], frac: number[][], species: string[]): Crystal {
  return {
    lattice: new Float64Array(lattice),
    frac: new Float64Array(frac.flat()),
    numbers: new Uint8Array(species.map((s) => atomicNumber(s)!)),
  };
}

/** The value of a one-line CIF item. */
function item(text: string, tag: string): string | undefined {
  const line = text.split("\n").find((l) => l.startsWith(tag + " "));
  return line?.slice(tag.length).trim();
}

/** The rows of the loop that contains `tag`, as trimmed lines. */
function loopRows(text: string, tag: string): string[] {
  const lines = text.split("\n");
  let k = lines.findIndex((l) => l.trim() === tag);
  while (lines[k]?.startsWith(" _")) k++;
  const rows = [];
  while (lines[k]?.startsWith("  ")) rows.push(lines[k++].trim());
  return rows;
}

/** First line where the texts differ beyond numbers within `tol`, or undefined. */
function textDifference(a: string, b: string, tol = 1e-6): string | undefined {
  const la = a.trimEnd().split("\n"), lb = b.trimEnd().split("\n");
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    const ta = (la[i] ?? "").trim().split(/\s+/), tb = (lb[i] ?? "").trim().split(/\s+/);
    const same = ta.length === tb.length &&
      ta.every((x, k) =>
        x === tb[k] ||
        (NUMBER_RE.test(x) && NUMBER_RE.test(tb[k]) && Math.abs(Number(x) - Number(tb[k])) <= tol)
      );
    if (!same) return `line ${i + 1}: ${JSON.stringify(la[i])} vs ${JSON.stringify(lb[i])}`;
  }
  return undefined;
}

/**
 * Why `a` is not `b` site for site (same cell parameters within `tol` Å and degrees, and a one-to-one
 * map between sites of one element within `tol` fractional, modulo 1), or undefined.
 */
function siteDifference(a: Crystal, b: Crystal, tol: number): string | undefined {
  const [pa, pb] = [latticeParameters(a.lattice), latticeParameters(b.lattice)];
  for (const k of ["a", "b", "c", "alpha", "beta", "gamma"] as const) {
    if (!(Math.abs(pa[k] - pb[k]) < tol)) return `${k} ${pa[k]} vs ${pb[k]}`;
  }
  if (a.numbers.length !== b.numbers.length) return `${a.numbers.length} vs ${b.numbers.length} sites`;
  const used = new Set<number>();
  for (let i = 0; i < a.numbers.length; i++) {
    const j = [...b.numbers.keys()].find((j) =>
      !used.has(j) && b.numbers[j] === a.numbers[i] &&
      [0, 1, 2].every((k) => {
        const d = a.frac[3 * i + k] - b.frac[3 * j + k];
        return Math.abs(d - Math.round(d)) < tol;
      })
    );
    if (j === undefined) return `site ${i} has no partner`;
    used.add(j);
  }
  return undefined;
}

interface RoundTripItem {
  source: string;
  kind: "dataset" | "perturbed";
  symprec: number;
  number: number;
  symbol: string;
  lattice: number[];
  frac: number[][];
  species: string[];
  cif: string;
  spglibInput: number;
  pymatgenReads: boolean;
  sitesRead?: number;
  matches?: boolean;
  rms?: [number, number] | null;
  spglibRead?: number;
}

/**
 * Inputs where spglib 2.7.0 finds another group than our search at the writing symprec (0.1 Å):
 * perturbed crystals at the tolerance edge, whose group changes between 0.08 and 0.12 Å in both
 * searches (tests/fixtures/README.md). The files still carry the group we report.
 */
const SEARCH_DISAGREEMENTS = ["mp_20/test.csv#105", "mp_20/test.csv#119", "perov_5/test.csv#91"];

Deno.test("writeCif(symprec): pymatgen reads our CIFs as the input structure (pymatgen_symmetry_cif.json)", async (t) => {
  const fx = await fixture<RoundTripItem>("pymatgen_symmetry_cif.json");
  assert(fx.items.length >= 60, `only ${fx.items.length} items`);
  assert(fx.items.filter((i) => i.kind === "perturbed").length >= 20, "too few perturbed crystals");
  const numbers = new Set(fx.items.map((i) => i.number));
  assert(numbers.size >= 25, `only ${numbers.size} space groups`);

  await t.step("the writer still writes the texts pymatgen checked", () => {
    const differ = fx.items.flatMap((it) => {
      const why = textDifference(
        writeCif(crystal(it.lattice, it.frac, it.species), { symprec: it.symprec }),
        it.cif,
      );
      return why ? [`${it.source}: ${why}`] : [];
    });
    assertEquals(
      differ,
      [],
      "regenerate the fixture (tools/write_symmetry_cifs.ts) if the change is intended",
    );
  });

  await t.step("pymatgen read every file as the input and found the written group", () => {
    for (const it of fx.items) {
      assert(
        it.pymatgenReads && it.matches,
        `${it.source}: pymatgen ${it.pymatgenReads ? "no match" : "cannot read"}`,
      );
      assertEquals(it.spglibRead, it.number, `${it.source}: the file carries group ${it.spglibRead}`);
      assertEquals(item(it.cif, "_symmetry_Int_Tables_number"), String(it.number));
      assertEquals(item(it.cif, "_symmetry_space_group_name_H-M"), it.symbol);
    }
    const disagree = fx.items.filter((it) => it.spglibInput !== it.number).map((it) => it.source);
    assertEquals(disagree.sort(), SEARCH_DISAGREEMENTS);
  });

  await t.step("readCif expands every file to exactly the refined conventional cell", () => {
    for (const it of fx.items) {
      const conv = spaceGroup(crystal(it.lattice, it.frac, it.species), { symprec: it.symprec }).conventional;
      // Not snapped: a free coordinate within 1e-4 (relative) of 1/3 or 2/3 would move there, as in
      // pymatgen's parser (carbon_24 row 7 has one 6e-5 away).
      const [back] = readCif(it.cif, { name: it.source, snapFractions: false });
      const why = siteDifference(back, conv, 1e-6);
      assert(why === undefined, `${it.source}: ${why}`);
    }
  });

  await t.step("readCif reads every file back as the input structure", () => {
    for (const it of fx.items) {
      const input = crystal(it.lattice, it.frac, it.species);
      const [back] = readCif(it.cif, { name: it.source });
      assertEquals(back.numbers.length, it.sitesRead, `${it.source}: sites read`);
      const m = matchStructures(back, input);
      assert(m.match && m.rms! < 0.02, `${it.source}: ${JSON.stringify(m)} (pymatgen rms ${it.rms?.[0]})`);
      // pymatgen's StructureMatcher measured the same displacement (both normalise by (V/N)^(1/3)).
      assert(Math.abs(m.rms! - it.rms![0]) < 5e-3, `${it.source}: rms ${m.rms} vs pymatgen ${it.rms![0]}`);
    }
  });
});

interface SymmetrizedItem {
  source: string;
  space_group_number: number;
  cif: string;
  expanded: { lattice: number[]; frac: number[][]; species: string[] };
}

Deno.test("writeCif(symprec) lays a crystal out as pymatgen's CifWriter(symprec=0.1)", async () => {
  const fx = await fixture<SymmetrizedItem>("pymatgen_cif_symmetrized.json");
  const failures: string[] = [];
  let sameOrder = 0, samePositions = 0;
  for (const it of fx.items) {
    const c = crystal(it.expanded.lattice, it.expanded.frac, it.expanded.species);
    const ours = writeCif(c, { symprec: 0.1 }), theirs = it.cif;
    const fail = (why: string) => failures.push(`${it.source}: ${why}`);
    for (
      const tag of [
        "_symmetry_space_group_name_H-M",
        "_symmetry_Int_Tables_number",
        "_chemical_formula_structural",
        "_chemical_formula_sum",
        "_cell_formula_units_Z",
      ]
    ) {
      if (item(ours, tag) !== item(theirs, tag)) fail(`${tag} ${item(ours, tag)} vs ${item(theirs, tag)}`);
    }
    for (
      const tag of ["length_a", "length_b", "length_c", "angle_alpha", "angle_beta", "angle_gamma", "volume"]
    ) {
      const a = Number(item(ours, `_cell_${tag}`)), b = Number(item(theirs, `_cell_${tag}`));
      if (!(Math.abs(a - b) < 1e-5)) fail(`_cell_${tag} ${a} vs ${b}`);
    }
    const ops = (text: string) =>
      loopRows(text, "_symmetry_equiv_pos_as_xyz").map((r) => r.replace(/^\d+\s+/, ""));
    const [oa, ob] = [ops(ours), ops(theirs)];
    if ([...oa].sort().join("|") !== [...ob].sort().join("|")) fail(`operations ${oa} vs ${ob}`);
    if (oa.join("|") === ob.join("|")) sameOrder++;
    const atoms = (text: string) => loopRows(text, "_atom_site_occupancy");
    const [aa, ab] = [atoms(ours), atoms(theirs)];
    const head = (rows: string[]) =>
      rows.map((r) => r.split(/\s+/).slice(0, 3).join(" ") + r.slice(-3)).join("|");
    if (head(aa) !== head(ab)) fail(`atom rows ${aa} vs ${ab}`);
    if (aa.join("|") === ab.join("|")) samePositions++;
    const m = matchStructures(readCif(ours)[0], c);
    if (!(m.match && m.rms! < 1e-4)) fail(`read back: ${JSON.stringify(m)}`);
  }
  if (failures.length) throw new AssertionError({ message: failures.join("\n") });
  // Measured at this commit: 39 of 100 list the operations in pymatgen's order, 66 write the same
  // positions; the rest pick an equivalent origin or orbit member (moyo's standardisation, not spglib's).
  assert(sameOrder >= 35 && samePositions >= 60, `order ${sameOrder}, positions ${samePositions}`);
});

Deno.test("writeCif() without symprec is the P1 writer, unchanged", () => {
  const c = crystal([4, 0, 0, 0, 4, 0, 0, 0, 4], [[0, 0, 0], [0.5, 0.5, 0.5]], ["Cs", "Cl"]);
  assertEquals(writeCif(c), writeP1Cif(c));
  assertEquals(writeCif(c, { name: "x", decimals: 5 }), writeP1Cif(c, { name: "x", decimals: 5 }));
  assertThrows(() => writeCif(c, { angleTolerance: 5 }), RangeError, /without symprec/);
  assertThrows(() => writeCif(c, { symprec: -1 }), GeometryError, /symprec/);
  const sym = writeCif(c, { symprec: 0.01, name: "cscl", decimals: 4 });
  assertEquals(item(sym, "_symmetry_space_group_name_H-M"), "Pm-3m");
  assertEquals(item(sym, "_cell_length_a"), "4.0000");
  assertEquals(sym.split("\n")[1], "data_cscl");
  assertEquals(loopRows(sym, "_symmetry_equiv_pos_as_xyz").length, 48);
  assertEquals(loopRows(sym, "_atom_site_occupancy"), [
    "Cs  Cs0  1  0.0000  0.0000  0.0000  1.0",
    "Cl  Cl1  1  0.5000  0.5000  0.5000  1.0",
  ]);
});

Deno.test("writeCif(symprec) with a supercell or primitive cell writes the conventional cell", () => {
  // Primitive fcc copper: the file holds the conventional cube, one row of multiplicity 4.
  const h = 3.61 / 2;
  const cu = crystal([0, h, h, h, 0, h, h, h, 0], [[0, 0, 0]], ["Cu"]);
  const text = writeCif(cu, { symprec: 0.01 });
  assertEquals(item(text, "_symmetry_space_group_name_H-M"), "Fm-3m");
  assertEquals(item(text, "_chemical_formula_sum"), "Cu4");
  assertEquals(loopRows(text, "_symmetry_equiv_pos_as_xyz").length, 192);
  assertEquals(loopRows(text, "_atom_site_occupancy"), [
    "Cu  Cu0  4  0.00000000  0.00000000  0.00000000  1.0",
  ]);
  assertEquals(readCif(text)[0].numbers.length, 4);
  // A 1×1×2 supercell of simple cubic polonium shrinks back to one atom.
  const po = crystal([3.35, 0, 0, 0, 3.35, 0, 0, 0, 6.7], [[0, 0, 0], [0, 0, 0.5]], ["Po", "Po"]);
  assertEquals(readCif(writeCif(po, { symprec: 0.01 }))[0].numbers.length, 1);
});

Deno.test("symmetryOpToXyz() writes pymatgen's as_xyz_str and parses back for every Hall setting", () => {
  const cases: [string, string][] = [
    ["x,y,z", "x, y, z"],
    ["-x+y, -x, z+1/3", "-x+y, -x, z+1/3"],
    ["x-y, x, -z+5/6", "x-y, x, -z+5/6"],
    ["1/2 - x, y + 0.25, -z + 0.75", "-x+1/2, y+1/4, -z+3/4"],
    ["-y+1/2, x+1/2, z+1/2", "-y+1/2, x+1/2, z+1/2"],
  ];
  for (const [input, expected] of cases) assertEquals(symmetryOpToXyz(parseSymmetryOp(input)), expected);
  let total = 0;
  for (let h = 1; h <= 530; h++) {
    const ops = spaceGroupOperations(h);
    assert(isIdentityOp(ops[0]), `Hall ${h}: identity first`);
    const texts = ops.map(symmetryOpToXyz);
    assertEquals(new Set(texts).size, ops.length, `Hall ${h}: operations repeat`);
    for (const [k, op] of ops.entries()) {
      const back = parseSymmetryOp(texts[k]);
      assert(back.every((v, i) => Math.abs(v - op[i]) < 1e-12), `Hall ${h}: ${texts[k]}`);
    }
    total += ops.length;
  }
  assertEquals(total, 7388); // moyo's table: every setting's operations, centring included
  assertThrows(() => spaceGroupOperations(0), RangeError, /1–530/);
  assertThrows(() => spaceGroupOperations(531), RangeError, /1–530/);
});

Deno.test("writeCifWithSymmetry() refuses operations that are not symmetries of the cell", () => {
  const c = crystal([4, 0, 0, 0.5, 5, 0, 0.3, 0.2, 6], [[0, 0, 0], [0.2, 0.3, 0.4], [0.8, 0.7, 0.6]], [
    "Cl",
    "Na",
    "Na",
  ]);
  const ops = (...t: string[]) => t.map(parseSymmetryOp);
  const text = writeCifWithSymmetry(c, {
    number: 2,
    symbol: "P-1",
    operations: ops("x, y, z", "-x, -y, -z"),
  });
  assertEquals(loopRows(text, "_atom_site_occupancy").map((r) => r.split(/\s+/).slice(0, 3).join(" ")), [
    "Na Na0 2",
    "Cl Cl1 1",
  ]);
  assertThrows(
    () => writeCifWithSymmetry(c, { number: 10, symbol: "P2/m", operations: ops("x, y, z", "-x, y, -z") }),
    RangeError,
    /maps site 1 onto no site/,
  );
  assertThrows(
    () => writeCifWithSymmetry(c, { number: 2, symbol: "P-1", operations: ops("-x, -y, -z") }),
    RangeError,
    /do not include x, y, z/,
  );
  assertThrows(
    () => writeCifWithSymmetry(c, { number: 231, symbol: "P-1", operations: ops("x, y, z") }),
    RangeError,
    /1–230/,
  );
  assertThrows(
    () => writeCifWithSymmetry(c, { number: 1, symbol: " ", operations: ops("x, y, z") }),
    RangeError,
    /symbol/,
  );
});
