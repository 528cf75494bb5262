/**
 * readCif() / writeCif(): hand-made CIFs for each syntax feature and each malformed case, dataset
 * CIFs against pymatgen 2026.10.24's parse, CifWriter texts, and round-trip properties.
 * The larger pymatgen comparisons live in pymatgen_fixtures_test.ts and written_cif_layout_test.ts.
 */

import { assert, assertAllClose, assertEquals, assertMatch, assertThrows } from "../_assert.ts";
import fc from "fast-check";
import type { Crystal } from "../../src/crystal/crystal.ts";
import { atomicNumber, elementSymbol } from "../../src/crystal/elements.ts";
import { CrystalParseError } from "../../src/crystal/errors.ts";
import { latticeParameters } from "../../src/crystal/lattice.ts";
import { CIF_HEADER, readCif, writeCif } from "../../src/crystal/cif.ts";
import { arbitraryLattice, assertCrystalsClose, PROPERTY_RUNS, PROPERTY_SEED } from "../_arbitrary.ts";

// ---------------------------------------------------------------------------------------------
// Helpers

/** Asserts `c` has the given species and positions up to site order (periodic distance < tol). */
function assertSameSites(c: Crystal, species: string[], frac: number[], tol = 1e-12): void {
  assertEquals(Array.from(c.numbers, (z) => elementSymbol(z)).sort(), [...species].sort());
  const used = new Array<boolean>(species.length).fill(false);
  for (let i = 0; i < c.numbers.length; i++) {
    const j = species.findIndex((s, j) => {
      if (used[j] || atomicNumber(s) !== c.numbers[i]) return false;
      for (let k = 0; k < 3; k++) {
        const d = c.frac[3 * i + k] - frac[3 * j + k];
        if (!(Math.abs(d - Math.round(d)) < tol)) return false;
      }
      return true;
    });
    assert(
      j >= 0,
      `site ${i} ${elementSymbol(c.numbers[i])} at ${c.frac.subarray(3 * i, 3 * i + 3)} unmatched`,
    );
    used[j] = true;
  }
  assert(c.frac.every((v) => v >= 0 && v < 1), "coordinates are wrapped into [0, 1)");
}

/** The `_cell_*` lines of a CIF. */
function cell(a: number, b: number, c: number, alpha = 90, beta = 90, gamma = 90): string {
  return `_cell_length_a ${a}\n_cell_length_b ${b}\n_cell_length_c ${c}\n` +
    `_cell_angle_alpha ${alpha}\n_cell_angle_beta ${beta}\n_cell_angle_gamma ${gamma}\n`;
}

/** A loop of symmetry operations under `tag`. */
function opsLoop(ops: string[], tag = "_symmetry_equiv_pos_as_xyz"): string {
  return `loop_\n ${tag}\n${ops.map((o) => ` '${o}'`).join("\n")}\n`;
}

/** Fm-3m (No. 225): the 48 signed permutations of x, y, z times the 4 F-centring translations. */
function fm3mOps(): string[] {
  const perms = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
  const centring = [["", "", ""], ["", "+1/2", "+1/2"], ["+1/2", "", "+1/2"], ["+1/2", "+1/2", ""]];
  return centring.flatMap((t) =>
    perms.flatMap((p) =>
      [0, 1, 2, 3, 4, 5, 6, 7].map((s) =>
        p.map((axis, i) => `${s & (1 << i) ? "-" : ""}${"xyz"[axis]}${t[i]}`).join(", ")
      )
    )
  );
}

const P21C = ["x, y, z", "-x, y+1/2, -z+1/2", "-x, -y, -z", "x, -y+1/2, z+1/2"];

/** P6_3/mmc (No. 194) as pymatgen's `SpaceGroup("P6_3/mmc").symmetry_ops` writes them. */
const P63MMC = [
  "-x+y, y, -z+1/2",
  "-x, -x+y, -z",
  "-x, -y, -z",
  "-x, -y, z+1/2",
  "-x+y, -x, z",
  "x-y, x, z+1/2",
  "-y, x-y, z",
  "x, y, z",
  "y, -x+y, z+1/2",
  "-y, -x, -z+1/2",
  "x-y, -y, -z",
  "x, x-y, -z+1/2",
  "y, x, -z",
  "-x+y, -x, -z-1/2",
  "y, -x+y, -z",
  "x, y, -z-1/2",
  "x-y, x, -z",
  "-y, x-y, -z-1/2",
  "y, x, z-1/2",
  "-x+y, y, z",
  "-x, -x+y, z-1/2",
  "-y, -x, z",
  "x-y, -y, z-1/2",
  "x, x-y, z",
];

// ---------------------------------------------------------------------------------------------
// Dataset CIFs (copied from /work/shared/data/*/val.csv) and pymatgen 2026.10.24's
// Structure.from_str(cif, fmt="cif") of each (lattice matrix, species and wrapped coordinates).

const PMG_HEADER = "# generated using pymatgen\n";
const P1_LOOPS = "loop_\n _symmetry_equiv_pos_site_id\n _symmetry_equiv_pos_as_xyz\n  1  'x, y, z'\nloop_\n" +
  " _atom_site_type_symbol\n _atom_site_label\n _atom_site_symmetry_multiplicity\n _atom_site_fract_x\n" +
  " _atom_site_fract_y\n _atom_site_fract_z\n _atom_site_occupancy\n";

const DATASET = [
  {
    source: "perov_5/val.csv material_id 18517 (negative zeros and coordinates)",
    cif: PMG_HEADER + `data_CdCuN3
_symmetry_space_group_name_H-M   'P 1'
_cell_length_a   4.27928426
_cell_length_b   4.27928426
_cell_length_c   4.27928426
_cell_angle_alpha   90.00000000
_cell_angle_beta   90.00000000
_cell_angle_gamma   90.00000000
_symmetry_Int_Tables_number   1
_chemical_formula_structural   CdCuN3
_chemical_formula_sum   'Cd1 Cu1 N3'
_cell_volume   78.36342504
_cell_formula_units_Z   1
` + P1_LOOPS + `  Cu  Cu0  1  0.00159044  0.00000000  -0.00000000  1
  Cd  Cd1  1  0.50071723  0.50000000  0.50000000  1
  N  N2  1  0.49959202  -0.00000000  0.50000000  1
  N  N3  1  0.49959202  0.50000000  -0.00000000  1
  N  N4  1  0.00071136  0.50000000  0.50000000  1
`,
    name: "CdCuN3",
    lattice: [
      4.27928426,
      0,
      2.620305885825325e-16,
      6.881613942910724e-16,
      4.27928426,
      2.620305885825325e-16,
      0,
      0,
      4.27928426,
    ],
    species: ["Cd", "Cu", "N", "N", "N"],
    frac: [
      0.50071723,
      0.5,
      0.5,
      0.00159044,
      0,
      0,
      0.49959202,
      0,
      0.5,
      0.49959202,
      0.5,
      0,
      0.00071136,
      0.5,
      0.5,
    ],
  },
  {
    source: "mp_20/val.csv mp-1219722 (hexagonal, 0.333333 read as 1/3)",
    cif: PMG_HEADER + `data_PrNiSb
_symmetry_space_group_name_H-M   'P 1'
_cell_length_a   4.39524850
_cell_length_b   4.39524850
_cell_length_c   4.19363100
_cell_angle_alpha   90.00000000
_cell_angle_beta   90.00000000
_cell_angle_gamma   120.00000751
_symmetry_Int_Tables_number   1
_chemical_formula_structural   PrNiSb
_chemical_formula_sum   'Pr1 Ni1 Sb1'
_cell_volume   70.15969322
_cell_formula_units_Z   1
` + P1_LOOPS + `  Pr  Pr0  1  0.66666700  0.33333300  0.00000000  1
  Ni  Ni1  1  0.00000000  0.00000000  0.50000000  1
  Sb  Sb2  1  0.33333300  0.66666700  0.50000000  1
`,
    name: "PrNiSb",
    lattice: [
      4.3952485,
      0,
      2.691313503491103e-16,
      -2.197624748920506,
      3.8063965688935166,
      2.691313503491103e-16,
      0,
      0,
      4.193631,
    ],
    species: ["Pr", "Ni", "Sb"],
    frac: [2 / 3, 1 / 3, 0, 0, 0, 0.5, 1 / 3, 2 / 3, 0.5],
  },
  {
    source: "mp_20/val.csv mp-864962 (60° rhombohedral cell)",
    cif: PMG_HEADER + `data_CaAcZn2
_symmetry_space_group_name_H-M   'P 1'
_cell_length_a   5.40383306
_cell_length_b   5.40383306
_cell_length_c   5.40383306
_cell_angle_alpha   60.00000000
_cell_angle_beta   60.00000000
_cell_angle_gamma   60.00000000
_symmetry_Int_Tables_number   1
_chemical_formula_structural   CaAcZn2
_chemical_formula_sum   'Ca1 Ac1 Zn2'
_cell_volume   111.58113472
_cell_formula_units_Z   1
` + P1_LOOPS + `  Ca  Ca0  1  0.50000000  0.50000000  0.50000000  1
  Ac  Ac1  1  0.00000000  0.00000000  0.00000000  1
  Zn  Zn2  1  0.75000000  0.75000000  0.75000000  1
  Zn  Zn3  1  0.25000000  0.25000000  0.25000000  1
`,
    name: "CaAcZn2",
    lattice: [
      4.679856707770199,
      0,
      2.7019165300000005,
      1.5599522359233997,
      4.412211217394211,
      2.7019165300000005,
      0,
      0,
      5.40383306,
    ],
    species: ["Ca", "Ac", "Zn", "Zn"],
    frac: [0.5, 0.5, 0.5, 0, 0, 0, 0.75, 0.75, 0.75, 0.25, 0.25, 0.25],
  },
  {
    source: "carbon_24/val.csv C-126173-3769-14 (triclinic; 0.66661772 snaps to 2/3 as in pymatgen)",
    cif: PMG_HEADER + `data_C
_symmetry_space_group_name_H-M   'P 1'
_cell_length_a   2.47330000
_cell_length_b   4.91926000
_cell_length_c   4.47006000
_cell_angle_alpha   53.52058000
_cell_angle_beta   56.39772000
_cell_angle_gamma   59.74220000
_symmetry_Int_Tables_number   1
_chemical_formula_structural   C
_chemical_formula_sum   C6
_cell_volume   35.15960456
_cell_formula_units_Z   6
` + P1_LOOPS + `  C  C0  1  0.21291063  0.34767444  0.28632627  1
  C  C1  1  0.50992376  0.57036632  0.26666898  1
  C  C2  1  0.62132668  0.34756942  0.87811389  1
  C  C3  1  0.05550015  0.06968338  0.72122917  1
  C  C4  1  0.66661772  0.84832345  0.83194390  1
  C  C5  1  0.10169255  0.57045131  0.67484639  1
`,
    name: "C",
    lattice: [
      2.0600096375122035,
      0,
      1.368785294835111,
      1.0327666063851393,
      3.8182237725120944,
      2.924667384055704,
      0,
      0,
      4.47006,
    ],
    species: ["C", "C", "C", "C", "C", "C"],
    frac: [
      0.21291063,
      0.34767444,
      0.28632627,
      0.50992376,
      0.57036632,
      0.26666898,
      0.62132668,
      0.34756942,
      0.87811389,
      0.05550015,
      0.06968338,
      0.72122917,
      2 / 3,
      0.84832345,
      0.8319439,
      0.10169255,
      0.57045131,
      0.67484639,
    ],
  },
];

Deno.test("readCif() reads dataset CIFs as pymatgen does", async (t) => {
  for (const item of DATASET) {
    await t.step(item.source, () => {
      const crystals = readCif(item.cif, { name: item.source });
      assertEquals(crystals.length, 1);
      const [c] = crystals;
      assertEquals(c.name, item.name);
      assertAllClose(c.lattice, item.lattice, { atol: 1e-12 });
      assertSameSites(c, item.species, item.frac);
    });
  }
});

Deno.test("readCif() keeps coordinates as written with snapFractions: false", () => {
  const [c] = readCif(DATASET[3].cif, { snapFractions: false });
  assertEquals(c.frac[12], 0.66661772);
  const [d] = readCif(DATASET[0].cif, { snapFractions: false });
  assert(Object.is(d.frac[2], 0), "-0.00000000 is wrapped to +0");
});

// ---------------------------------------------------------------------------------------------
// Syntax

Deno.test("readCif() reads several data blocks, skipping blocks without atoms, global_ and save_", () => {
  const text = `#\\#CIF_1.1
# a comment line
global_
_journal_name_full 'Ignored'
data_first
${cell(4, 4, 4)}loop_
_atom_site_label _atom_site_fract_x _atom_site_fract_y _atom_site_fract_z
Cs1 0 0 0
Cl1 0.5 0.5 0.5
data_no_atoms
${cell(3, 3, 3)}_chemical_name_common 'cell only'
data_second
save_frame1
loop_
_atom_site_label _atom_site_fract_x _atom_site_fract_y _atom_site_fract_z
Xx 0 0 0
save_
${cell(3, 3, 3)}loop_
_atom_site_label _atom_site_fract_x _atom_site_fract_y _atom_site_fract_z
Po1 0 0 0
`;
  const cs = readCif(text);
  assertEquals(cs.map((c) => c.name), ["first", "second"]);
  assertEquals([...cs[0].numbers], [55, 17]);
  assertEquals([...cs[1].numbers], [84]);
});

Deno.test("readCif() reads quoted strings, text fields, comments and CRLF line ends", async (t) => {
  const text = `data_syntax  # comment after the block name
_chemical_name_common 'O'Brien's salt'   # a quote closes only before whitespace
_chemical_name_systematic "with 'inner' quotes # not a comment"
_publ_section_title
;
A multi-line text field; 'quotes' and # are text here
_cell_length_a 999
;
${cell(4, 4, 4)}_symmetry_space_group_name_H-M 'P 1'
loop_
_symmetry_equiv_pos_site_id
_symmetry_equiv_pos_as_xyz
1 "x, y, z"
loop_
_atom_site_label
_atom_site_type_symbol
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
'Na 1' Na 0 0 0   # the label has a space
Cl#1 Cl
;
0.5
;
0.5 0.5
`;
  for (const [name, variant] of [["LF", text], ["CRLF", text.replaceAll("\n", "\r\n")]]) {
    await t.step(name, () => {
      const [c] = readCif(variant);
      assertEquals([...c.numbers], [11, 17]);
      assertEquals([...c.frac], [0, 0, 0, 0.5, 0.5, 0.5]);
      assertEquals(
        latticeParameters(c.lattice).a,
        4,
        "the _cell_length_a inside the text field is text",
      );
    });
  }
  await t.step("CRLF and CR-only files count lines", () => {
    for (const eol of ["\r\n", "\r"]) {
      const text = ["data_x", "_a 1", "_t", ";", "text", ";", "_b 'open"].join(eol) + eol;
      const e = assertThrows(() => readCif(text), CrystalParseError);
      assertEquals([e.line, e.field], [7, "_b"]);
    }
  });
});

Deno.test("readCif() reads standard uncertainties and unknown values", () => {
  const text = `data_u
_cell_length_a 5.6402(3)
_cell_length_b 5.6402(3)
_cell_length_c 5.6402(30)
_cell_angle_alpha 90.0(1)
_cell_angle_beta 90
_cell_angle_gamma 90.
loop_
_atom_site_label _atom_site_fract_x _atom_site_fract_y _atom_site_fract_z _atom_site_occupancy
Na1 0.2500(12) .25 2.5e-1 ?
Cl1 0.75 0.75(1) 0.75 .
Cl2 0 0 0 1.0(0)
`;
  const [c] = readCif(text);
  assertEquals(latticeParameters(c.lattice).a, 5.6402);
  assertEquals([...c.frac], [0.25, 0.25, 0.25, 0.75, 0.75, 0.75, 0, 0, 0]);
});

// ---------------------------------------------------------------------------------------------
// Symmetry

Deno.test("readCif() expands symmetry operations", async (t) => {
  await t.step("rocksalt NaCl: Fm-3m, 192 operations, 2 sites → 8 atoms", () => {
    const text =
      `data_NaCl\n_symmetry_space_group_name_H-M 'F m -3 m'\n${cell(5.64, 5.64, 5.64)}${opsLoop(fm3mOps())}` +
      `loop_\n_atom_site_type_symbol _atom_site_label _atom_site_fract_x _atom_site_fract_y _atom_site_fract_z\n` +
      `Na+ Na1 0 0 0\nCl- Cl1 0.5 0.5 0.5\n`;
    const [c] = readCif(text);
    const f = [0, 0, 0, 0, 0.5, 0.5, 0.5, 0, 0.5, 0.5, 0.5, 0];
    assertSameSites(c, ["Na", "Na", "Na", "Na", "Cl", "Cl", "Cl", "Cl"], [
      ...f,
      ...f.map((v) => (v + 0.5) % 1),
    ]);
  });
  const p21c = (tag: string) =>
    `data_p21c\n${cell(5, 6, 7, 90, 100, 90)}${opsLoop(P21C, tag)}` +
    `loop_\n_atom_site.label _atom_site.fract_x _atom_site.fract_y _atom_site.fract_z\n` +
    `Fe1 0.1 0.2 0.3\nO1 0 0 0\n`;
  for (
    const tag of [
      "_symmetry_equiv_pos_as_xyz",
      "_space_group_symop_operation_xyz",
      "_space_group_symop.operation_xyz",
    ]
  ) {
    await t.step(`P2_1/c via ${tag}: 4e + 2a → 6 atoms`, () => {
      const [c] = readCif(p21c(tag));
      assertSameSites(c, ["Fe", "Fe", "Fe", "Fe", "O", "O"], [
        0.1,
        0.2,
        0.3,
        0.9,
        0.7,
        0.2,
        0.9,
        0.8,
        0.7,
        0.1,
        0.3,
        0.8,
        0,
        0,
        0,
        0,
        0.5,
        0.5,
      ], 1e-12);
    });
  }
  await t.step("hcp Mg: P6_3/mmc with 0.3333/0.6667 → 2 atoms at exact thirds", () => {
    const text = `data_Mg\n${cell(3.21, 3.21, 5.21, 90, 90, 120)}${opsLoop(P63MMC)}` +
      `loop_\n_atom_site_label _atom_site_fract_x _atom_site_fract_y _atom_site_fract_z\nMg1 0.3333 0.6667 0.25\n`;
    const [c] = readCif(text);
    assertSameSites(c, ["Mg", "Mg"], [1 / 3, 2 / 3, 0.25, 2 / 3, 1 / 3, 0.75], 1e-15);
  });
  await t.step("mergeTolerance decides when images are one atom", () => {
    const text = `data_m\n${cell(5, 6, 7, 90, 100, 90)}${opsLoop(P21C)}` +
      `loop_\n_atom_site_label _atom_site_fract_x _atom_site_fract_y _atom_site_fract_z\nO1 0.00002 0 0\n`;
    assertEquals(readCif(text)[0].numbers.length, 2);
    assertEquals(readCif(text, { mergeTolerance: 1e-5 })[0].numbers.length, 4);
    assertThrows(() => readCif(text, { mergeTolerance: -1 }), RangeError);
  });
  await t.step("a 'P 1' label without operations is P1", () => {
    const text =
      `data_p1\n_symmetry_space_group_name_H-M 'P 1'\n_symmetry_Int_Tables_number 1\n${cell(4, 4, 4)}` +
      `loop_\n_atom_site_label _atom_site_fract_x _atom_site_fract_y _atom_site_fract_z\nC1 0.1 0.2 0.3\n`;
    assertEquals(readCif(text)[0].numbers.length, 1);
  });
  await t.step("P1 blocks with two atoms on one spot are refused, as pymatgen, unless kept", () => {
    const text = `data_p1\n${cell(4, 4, 4)}` +
      `loop_\n_atom_site_label _atom_site_fract_x _atom_site_fract_y _atom_site_fract_z\nC1 0.1 0.2 0.3\nN1 1.1 0.2 0.3\n`;
    assertParseError(
      () => readCif(text, { name: "bad.cif" }),
      11,
      "_atom_site_label",
      /"C1" and "N1".*keepCoincidentSites/,
    );
    const dup = text.replace("N1 1.1", "C2 0.1");
    assertParseError(() => readCif(dup, { name: "bad.cif" }), 11, "_atom_site_label", /occupied twice/);
    const [c] = readCif(text, { keepCoincidentSites: true });
    assertEquals([...c.numbers], [6, 7]);
    assertAllClose(c.frac, [0.1, 0.2, 0.3, 0.1, 0.2, 0.3], { atol: 1e-15 });
  });
});

Deno.test("readCif() takes the element from the type symbol or else the label", () => {
  const text = `data_s\n${cell(10, 10, 10)}loop_\n_atom_site_label _atom_site_type_symbol ` +
    `_atom_site_fract_x _atom_site_fract_y _atom_site_fract_z\n` +
    `A1 Fe3+ 0 0 0\nA2 O2- 0.1 0 0\nA3 Fe+2 0.2 0 0\nCu0 ? 0.3 0 0\nCL2 . 0.4 0 0\nna1a ? 0.5 0 0\nSr Sr2+ 0.6 0 0\n`;
  const [c] = readCif(text);
  assertEquals(Array.from(c.numbers, (z) => elementSymbol(z)), [
    "Fe",
    "O",
    "Fe",
    "Cu",
    "Cl",
    "Na",
    "Sr",
  ]);
  const labelsOnly = `data_s\n${cell(10, 10, 10)}loop_\n_atom_site_label ` +
    `_atom_site_fract_x _atom_site_fract_y _atom_site_fract_z\nO1 0 0 0\nCo12b 0.1 0 0\nH1' 0.2 0 0\n`;
  assertEquals([...readCif(labelsOnly)[0].numbers], [8, 27, 1]);
});

Deno.test("readCif() converts Cartesian positions", async (t) => {
  await t.step("default frame: a along x, b in the xy-plane (hexagonal cell)", () => {
    // Frame vectors for a = b = 3, c = 5, γ = 120°: a = (3, 0, 0), b = (−1.5, 3·sin120°, 0), c = (0, 0, 5).
    const s = 3 * Math.sin((120 * Math.PI) / 180);
    const cart = [1 / 3 * 3 - 2 / 3 * 1.5, 2 / 3 * s, 2.5];
    const text = `data_h\n${cell(3, 3, 5, 90, 90, 120)}loop_\n_atom_site_type_symbol ` +
      `_atom_site_Cartn_x _atom_site_Cartn_y _atom_site_Cartn_z\nC ${cart.join(" ")}\nC -3 0 -5\n`;
    const [c] = readCif(text, { snapFractions: false });
    assertAllClose(c.frac, [1 / 3, 2 / 3, 0.5, 0, 0, 0], { atol: 1e-12 });
  });
  await t.step("explicit _atom_sites_fract_tran_matrix", () => {
    const m = [0.5, 0, 0, 0, 0.25, 0, 0, 0, 0.125].map((v, k) =>
      `_atom_sites_fract_tran_matrix_${(k / 3 | 0) + 1}${k % 3 + 1} ${v}`
    );
    const text = `data_m\n${cell(2, 4, 8)}${m.join("\n")}\n_atom_sites_fract_tran_vector_1 0.1\n` +
      `loop_\n_atom_site_type_symbol _atom_site_Cartn_x _atom_site_Cartn_y _atom_site_Cartn_z\nC 0.5 1 2\n`;
    assertAllClose(readCif(text)[0].frac, [0.35, 0.25, 0.25], { atol: 1e-15 });
  });
});

Deno.test("readCif() refuses partial and mixed occupancy, naming the site", async (t) => {
  const base = `data_o\n${cell(4, 4, 4)}loop_\n_atom_site_label _atom_site_fract_x _atom_site_fract_y ` +
    `_atom_site_fract_z _atom_site_occupancy\n`;
  await t.step("occupancy 0.9995 is 1", () => {
    assertEquals(readCif(base + "Fe1 0 0 0 0.9995\n")[0].numbers.length, 1);
  });
  for (const occ of ["0.5", "0.998", "1.002", "0"]) {
    await t.step(`occupancy ${occ}`, () => {
      const text = base + `Fe1 0 0 0 1\nCo2 0.5 0.5 0.5 ${occ}\n`;
      assertParseError(
        () => readCif(text, { name: "bad.cif" }),
        11,
        "_atom_site_occupancy",
        /site "Co2" has occupancy/,
      );
    });
  }
  await t.step("two species on one position after symmetry", () => {
    const text = `data_mix\n${cell(5, 5, 5)}${opsLoop(["x, y, z", "-x, -y, -z"])}` +
      `loop_\n_atom_site_label _atom_site_fract_x _atom_site_fract_y _atom_site_fract_z\nFe1 0.1 0.2 0.3\nCo1 0.9 0.8 0.7\n`;
    assertParseError(
      () => readCif(text, { name: "bad.cif" }),
      15,
      "_atom_site_label",
      /"Fe1" and "Co1".*mixed occupancy/,
    );
  });
  await t.step("one species twice on one position after symmetry", () => {
    const text = `data_two\n${cell(5, 5, 5)}${opsLoop(["x, y, z", "-x, -y, -z"])}` +
      `loop_\n_atom_site_label _atom_site_fract_x _atom_site_fract_y _atom_site_fract_z\nFe1 0.1 0.2 0.3\nFe2 0.9 0.8 0.7\n`;
    assertParseError(() => readCif(text, { name: "bad.cif" }), 15, "_atom_site_label", /occupied twice/);
  });
});

// ---------------------------------------------------------------------------------------------
// Malformed input: every case names file, 1-based line and tag. The line marked "#<" is expected.

function assertParseError(
  fn: () => unknown,
  line: number | undefined,
  field: string | undefined,
  re: RegExp,
): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert(caught instanceof CrystalParseError, `expected CrystalParseError, got ${caught}`);
  assert(caught instanceof SyntaxError);
  assertEquals(caught.file, "bad.cif");
  assertEquals(caught.line, line, caught.message);
  assertEquals(caught.field, field, caught.message);
  assertMatch(caught.message, re);
  const where = `${line !== undefined ? ` line ${line}` : ""}${field !== undefined ? ` (${field})` : ""}`;
  assert(caught.message.startsWith(`Cannot parse CIF "bad.cif"${where}: `), caught.message);
}

const CELL = cell(4, 4, 4);
const SITES = "loop_\n_atom_site_label _atom_site_fract_x _atom_site_fract_y _atom_site_fract_z\n";

const MALFORMED: [string, string, string | undefined, RegExp][] = [
  [
    "missing cell parameter",
    `data_x #<\n${CELL.replace("_cell_length_b 4\n", "")}${SITES}C1 0 0 0\n`,
    "_cell_length_b",
    /missing in block "x"/,
  ],
  [
    "cell parameter is text",
    `data_x\n${CELL.replace("_cell_length_c 4", "_cell_length_c four #<")}${SITES}C1 0 0 0\n`,
    "_cell_length_c",
    /expected a number, found "four"/,
  ],
  [
    "negative length",
    `data_x\n${CELL.replace("_cell_length_a 4", "_cell_length_a -4 #<")}${SITES}C1 0 0 0\n`,
    "_cell_length_a",
    /not between 0 and 100000/,
  ],
  [
    "angle over 180",
    `data_x\n${CELL.replace("_cell_angle_beta 90", "_cell_angle_beta 190 #<")}${SITES}C1 0 0 0\n`,
    "_cell_angle_beta",
    /not between 0 and 180/,
  ],
  [
    "flat cell",
    `data_x\n${
      cell(4, 4, 4, 60, 60, 150).replace("_cell_angle_alpha", "_cell_angle_alpha #<\n")
    }${SITES}C1 0 0 0\n`,
    "_cell_angle_alpha",
    /no cell of positive volume/,
  ],
  [
    "non-numeric coordinate",
    `data_x\n${CELL}${SITES}C1 0 0 0\nC2 0.5 0.5a 0.5 #<\n`,
    "_atom_site_fract_y",
    /expected a number, found "0.5a"/,
  ],
  ["unknown coordinate", `data_x\n${CELL}${SITES}C1 0 0 ? #<\n`, "_atom_site_fract_z", /value is unknown/],
  [
    "bad symmetry operation",
    `data_x\n${CELL}loop_\n_symmetry_equiv_pos_as_xyz\n'x, y, z'\n'x, y' #<\n${SITES}C1 0 0 0\n`,
    "_symmetry_equiv_pos_as_xyz",
    /bad symmetry operation "x, y": expected 3/,
  ],
  [
    "unknown symmetry operation",
    `data_x\n${CELL}loop_\n_space_group_symop_operation_xyz\n'x, y, z'\n? #<\n${SITES}C1 0 0 0\n`,
    "_space_group_symop_operation_xyz",
    /symmetry operation is unknown/,
  ],
  [
    "space group without operations",
    `data_x\n_symmetry_space_group_name_H-M 'F m -3 m' #<\n${CELL}${SITES}C1 0 0 0\n`,
    "_symmetry_space_group_name_H-M",
    /space group "F m -3 m" is given without its symmetry operations/,
  ],
  [
    "unknown element (type symbol)",
    `data_x\n${CELL}loop_\n_atom_site_type_symbol _atom_site_fract_x _atom_site_fract_y _atom_site_fract_z\nC 0 0 0\nXx 0.5 0.5 0.5 #<\n`,
    "_atom_site_type_symbol",
    /unknown element "Xx"/,
  ],
  [
    "unknown element (label)",
    `data_x\n${CELL}${SITES}Q1 0 0 0 #<\n`,
    "_atom_site_label",
    /unknown element "Q1"/,
  ],
  [
    "no element column",
    `data_x #<\n${CELL}loop_\n_atom_site_fract_x _atom_site_fract_y _atom_site_fract_z\n0 0 0\n`,
    "_atom_site_type_symbol",
    /no _atom_site_label to take the element from/,
  ],
  [
    "missing coordinate column",
    `data_x #<\n${CELL}loop_\n_atom_site_label _atom_site_fract_x _atom_site_fract_y\nC1 0 0\n`,
    "_atom_site_fract_z",
    /while other _atom_site_fract_\* tags are present/,
  ],
  [
    "missing Cartesian column",
    `data_x #<\n${CELL}loop_\n_atom_site_label _atom_site_Cartn_x _atom_site_Cartn_y\nC1 0 0\n`,
    "_atom_site_cartn_z",
    /while other _atom_site_Cartn_\* tags/,
  ],
  [
    "columns of different lengths",
    `data_x\n${CELL}${SITES}C1 0 0 0\nC2 0.5 0.5 0.5\nloop_\n_atom_site_occupancy #<\n1\n`,
    "_atom_site_occupancy",
    /has 1 values, but _atom_site_fract_x has 2/,
  ],
  [
    "partial occupancy",
    `data_x\n${CELL}loop_\n_atom_site_label _atom_site_fract_x _atom_site_fract_y _atom_site_fract_z _atom_site_occupancy\nFe1 0 0 0 0.5 #<\n`,
    "_atom_site_occupancy",
    /site "Fe1" has occupancy "0.5": partial occupancy/,
  ],
  [
    "unterminated single quote",
    `data_x\n_chemical_name_common 'Rock salt #<\n${CELL}${SITES}C1 0 0 0\n`,
    "_chemical_name_common",
    /quoted string 'Rock salt #<.*is not closed on its line/,
  ],
  [
    "unterminated double quote",
    `data_x\n${CELL}${SITES}"C1 0 0 0 #<\n`,
    "_atom_site_label",
    /quoted string "C1 0 0 0 #< is not closed/,
  ],
  [
    "unterminated quote in a later column",
    `data_x\n${CELL}${SITES}C1 0 0 0\nC2 0.5 'half 0.5 #<\n`,
    "_atom_site_fract_y",
    /quoted string 'half 0.5 #< is not closed/,
  ],
  [
    "unterminated text field",
    `data_x\n${CELL}_publ_section_title\n; opened here #<\nand never closed\n${SITES}C1 0 0 0\n`,
    "_publ_section_title",
    /text field opened by ";" is not closed/,
  ],
  [
    "unterminated triple quote",
    `data_x\n${CELL}_publ_section_title '''opened #<\n${SITES}C1 0 0 0\n`,
    "_publ_section_title",
    /string opened by ''' is not closed/,
  ],
  [
    "loop short of values",
    `data_x\n${CELL}${SITES}C1 0 0 0\nC2 0.5 #<\n`,
    "_atom_site_fract_y",
    /loop of 4 tags has 6 values, so its last row lacks 2/,
  ],
  [
    "loop without values",
    `data_x\n${CELL}loop_ #<\n_atom_site_label\n_atom_site_fract_x\ndata_y\n`,
    "_atom_site_label",
    /loop has no values/,
  ],
  ["loop without tags", `data_x\n${CELL}loop_ #<\nC1 0 0 0\n`, undefined, /"loop_" is not followed by tags/],
  [
    "tag without value",
    `data_x\n_cell_length_a #<\n_cell_length_b 4\n`,
    "_cell_length_a",
    /tag has no value/,
  ],
  ["value without tag", `data_x\n_cell_length_a 4 5 #<\n`, undefined, /value "5" has no tag/],
  [
    "duplicate tag",
    `data_x\n${CELL}_cell_length_a 5 #<\n${SITES}C1 0 0 0\n`,
    "_cell_length_a",
    /tag appears twice in block "x"/,
  ],
  [
    "item before the first block",
    `_cell_length_a 4 #<\ndata_x\n`,
    "_cell_length_a",
    /data item before the first "data_" block/,
  ],
  ["stop_", `data_x\n${CELL}stop_ #<\n`, undefined, /"stop_" is not allowed/],
];

Deno.test("readCif() names file, line and tag of malformed input", async (t) => {
  for (const [name, text, field, re] of MALFORMED) {
    await t.step(name, () => {
      const line = text.split("\n").findIndex((l) => l.includes("#<")) + 1;
      assert(line > 0, "test text marks its line");
      assertParseError(() => readCif(text, { name: "bad.cif" }), line, field, re);
    });
  }
  await t.step("no atom sites anywhere", () => {
    for (const text of ["", "# only a comment\n", `data_x\n${CELL}`]) {
      assertParseError(
        () => readCif(text, { name: "bad.cif" }),
        undefined,
        undefined,
        /no data block with atom sites/,
      );
    }
  });
  await t.step("file name defaults to <input>", () => {
    assertEquals(assertThrows(() => readCif("data_x\n_a"), CrystalParseError).file, "<input>");
  });
});

// ---------------------------------------------------------------------------------------------
// Writing

/** pymatgen 2026.10.24 `str(CifWriter(Structure(Lattice([[4,0,0],[0,5,0],[1,0,6]]), species, frac)))`, occupancy "1.0" → "1" as pymatgen ≤ 2025 writes it. */
const BA_NO3_2 = {
  lattice: [4, 0, 0, 0, 5, 0, 1, 0, 6],
  species: ["Ba", "N", "N", "O", "O", "O", "O", "O", "O"],
  frac: [
    -0,
    0.5,
    0.25,
    0.001953125,
    -1e-12,
    0.5,
    -0.25,
    1.5,
    0.75,
    0.1,
    0.2,
    0.3,
    0.4,
    0.5,
    0.6,
    0.7,
    0.8,
    0.9,
    0.125,
    0.375,
    0.625,
    0,
    0,
    0,
    0.9,
    0.9,
    0.9,
  ],
  cif: PMG_HEADER + `data_Ba(NO3)2
_symmetry_space_group_name_H-M   'P 1'
_cell_length_a   4.00000000
_cell_length_b   5.00000000
_cell_length_c   6.08276253
_cell_angle_alpha   90.00000000
_cell_angle_beta   80.53767779
_cell_angle_gamma   90.00000000
_symmetry_Int_Tables_number   1
_chemical_formula_structural   Ba(NO3)2
_chemical_formula_sum   'Ba1 N2 O6'
_cell_volume   120.00000000
_cell_formula_units_Z   1
` + P1_LOOPS + `  Ba  Ba0  1  -0.00000000  0.50000000  0.25000000  1
  N  N1  1  0.00195312  -0.00000000  0.50000000  1
  N  N2  1  -0.25000000  1.50000000  0.75000000  1
  O  O3  1  0.10000000  0.20000000  0.30000000  1
  O  O4  1  0.40000000  0.50000000  0.60000000  1
  O  O5  1  0.70000000  0.80000000  0.90000000  1
  O  O6  1  0.12500000  0.37500000  0.62500000  1
  O  O7  1  0.00000000  0.00000000  0.00000000  1
  O  O8  1  0.90000000  0.90000000  0.90000000  1
`,
  /** The same with `significant_figures=20`: rows longer than 70 characters wrap. */
  rows20: `  Ba  Ba0  1  -0.00000000000000000000  0.50000000000000000000
  0.25000000000000000000  1
  N  N1  1  0.00195312500000000000  -0.00000000000100000000
  0.50000000000000000000  1
  N  N2  1  -0.25000000000000000000  1.50000000000000000000
  0.75000000000000000000  1
  O  O3  1  0.10000000000000000555  0.20000000000000001110
  0.29999999999999998890  1
`,
};

function crystalOf(lattice: number[], species: string[], frac: number[]): Crystal {
  return {
    lattice: new Float64Array(lattice),
    frac: new Float64Array(frac),
    numbers: new Uint8Array(species.map((s) => atomicNumber(s)!)),
  };
}

Deno.test("writeCif() writes what pymatgen's CifWriter writes", async (t) => {
  const c = crystalOf(BA_NO3_2.lattice, BA_NO3_2.species, BA_NO3_2.frac);
  await t.step("8 decimals: -0, ties to even, polyanion formula, labels", () => {
    // The same text but for the comment line that names the program.
    assertEquals(writeCif(c), BA_NO3_2.cif.replace(PMG_HEADER, CIF_HEADER + "\n"));
  });
  await t.step("20 decimals: long rows wrap like pymatgen's", () => {
    const text = writeCif(c, { decimals: 20 });
    assert(text.includes(BA_NO3_2.rows20), text);
    assertCrystalsClose(readCif(text, { snapFractions: false })[0], readCif(BA_NO3_2.cif)[0], 1e-8);
  });
  await t.step("a dataset CIF read and written again is the same text but for the volume", () => {
    const text = DATASET[2].cif;
    const ours = writeCif(readCif(text)[0]).split("\n"), theirs = text.split("\n");
    assertEquals(ours.length, theirs.length);
    assertEquals(ours[0], CIF_HEADER);
    for (let i = 1; i < ours.length; i++) {
      if (theirs[i].startsWith("_cell_volume")) {
        // The file's volume comes from the unrounded cell; ours from the 8-decimal parameters.
        assert(Math.abs(Number(ours[i].split(/\s+/)[1]) - Number(theirs[i].split(/\s+/)[1])) < 1e-6);
      } else {
        assertEquals(ours[i], theirs[i]);
      }
    }
  });
  await t.step("formulas and Z as pymatgen names them", () => {
    const cases: [string, string, string, string][] = [
      ["O", "O2", "O1", "0"],
      ["H O", "H2O2", "'H1 O1'", "0"],
      ["Li Fe P O O O O Li Fe P O O O O", "LiFePO4", "'Li2 Fe2 P2 O8'", "2"],
      ["He Na Na", "Na2He", "'Na2 He1'", "1"],
      ["Ar He Ne", "ArHeNe", "'Ar1 He1 Ne1'", "1"],
      ["Og Ts C", "COgTs", "'C1 Og1 Ts1'", "1"],
      ["Na Cl O O O O", "NaClO4", "'Na1 Cl1 O4'", "1"],
    ];
    for (const [species, reduced, sum, z] of cases) {
      const s = species.split(" ");
      const lines = writeCif(
        crystalOf([10, 0, 0, 0, 10, 0, 0, 0, 10], s, s.flatMap((_, i) => [i / 20, 0, 0])),
      )
        .split("\n");
      assertEquals(lines[1], `data_${reduced}`);
      assertEquals(lines[11], `_chemical_formula_sum   ${sum}`);
      assertEquals(lines[13], `_cell_formula_units_Z   ${z}`);
    }
  });
  await t.step("a long formula goes on the line after its tag", () => {
    const s = "H Li Be B C N O F Na Mg Al Si P S Cl K Ca Sc Ti".split(" ");
    const text = writeCif(crystalOf([10, 0, 0, 0, 10, 0, 0, 0, 10], s, s.flatMap((_, i) => [i / 20, 0, 0])));
    assert(text.includes(
      "data_KNaLiCaMgScTiBeAlSiBPHCSNClOF\n" + // as pymatgen names it
        "_symmetry_space_group_name_H-M   'P 1'\n",
    ));
    assert(text.includes(
      "_chemical_formula_sum\n'K1 Na1 Li1 Ca1 Mg1 Sc1 Ti1 Be1 Al1 Si1 B1 P1 H1 C1 S1 N1 Cl1 O1 F1'\n",
    ));
    assertEquals(readCif(text)[0].numbers.length, s.length);
  });
  await t.step("options and invalid input", () => {
    assert(writeCif(c, { name: "mp-1234_x" }).includes("\ndata_mp-1234_x\n"));
    assertEquals(readCif(writeCif(c, { name: "mp-1234_x" }))[0].name, "mp-1234_x");
    assertThrows(() => writeCif(c, { name: "a b" }), RangeError);
    assertThrows(() => writeCif(c, { name: "" }), RangeError);
    assertThrows(() => writeCif(c, { decimals: 0 }), RangeError);
    assertThrows(() => writeCif(c, { decimals: 2.5 }), RangeError);
    assertThrows(() => writeCif({ ...c, frac: new Float64Array(2) }), TypeError);
    assertThrows(() => writeCif({ ...c, lattice: new Float64Array(9) }), RangeError);
  });
});

// ---------------------------------------------------------------------------------------------
// Round trip

const coord = fc.oneof(
  fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
  fc.integer({ min: 0, max: 999_999 }).map((k) => k / 1e6), // uniform in [0, 1), where fc.double is mostly tiny
  fc.double({ min: 1 / 3 - 1e-4, max: 1 / 3 + 1e-4, noNaN: true }), // around pymatgen's snapping windows
  fc.double({ min: 2 / 3 - 1e-4, max: 2 / 3 + 1e-4, noNaN: true }),
);

/** Random crystals in pymatgen's orientation (CIF stores parameters, not the matrix), 1–20 atoms. */
const crystals = fc.record({
  lattice: arbitraryLattice({ minLength: 2, maxLength: 30 }),
  atoms: fc.array(fc.tuple(fc.integer({ min: 1, max: 118 }), coord, coord, coord), {
    minLength: 1,
    maxLength: 20,
  }),
}).map(({ lattice, atoms }): Crystal => ({
  lattice,
  frac: new Float64Array(atoms.flatMap(([, x, y, z]) => [x, y, z])),
  numbers: new Uint8Array(atoms.map(([z]) => z)),
}));

/** What readCif's default makes of a written coordinate: pymatgen's snap to 1/3 and 2/3. */
function snapped(x: number): number {
  const written = Number(x.toFixed(8));
  for (const ideal of [1 / 3, 2 / 3]) if (Math.abs(written / ideal - 1) <= 1e-4) return ideal;
  return x;
}

Deno.test("readCif(writeCif(c)) equals c to 1e-8", async (t) => {
  const params = { seed: PROPERTY_SEED, numRuns: PROPERTY_RUNS };
  await t.step("snapFractions: false keeps every coordinate", () => {
    fc.assert(
      fc.property(crystals, (c) => {
        const back = readCif(writeCif(c), { snapFractions: false, keepCoincidentSites: true });
        assertEquals(back.length, 1);
        assertCrystalsClose(back[0], c, 1e-8, `seed=${PROPERTY_SEED}`);
      }),
      params,
    );
  });
  await t.step("default: coordinates near 1/3 and 2/3 become exact, the rest stay", () => {
    fc.assert(
      fc.property(crystals, (c) => {
        const [back] = readCif(writeCif(c), { keepCoincidentSites: true });
        assertCrystalsClose(back, { ...c, frac: c.frac.map(snapped) }, 1e-8, `seed=${PROPERTY_SEED}`);
      }),
      params,
    );
  });
  await t.step("lattice parameters survive, 12 decimals", () => {
    fc.assert(
      fc.property(crystals, (c) => {
        const [back] = readCif(writeCif(c, { decimals: 12 }), {
          snapFractions: false,
          keepCoincidentSites: true,
        });
        const p = latticeParameters(back.lattice), q = latticeParameters(c.lattice);
        for (const k of ["a", "b", "c", "alpha", "beta", "gamma"] as const) {
          assert(Math.abs(p[k] - q[k]) < 1e-10, `seed=${PROPERTY_SEED} ${k}: ${p[k]} != ${q[k]}`);
        }
        assertCrystalsClose(back, c, 1e-10, `seed=${PROPERTY_SEED}`);
      }),
      params,
    );
  });
});
