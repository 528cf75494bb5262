// The findings of issue #18 about crystal readers and writers, one test each: absurd sizes are
// refused early and clearly, huge tokens are not echoed, writers never write what readers refuse,
// and the CIF conventions pymatgen follows.
import { assert, assertEquals, assertMatch, assertThrows } from "../_assert.ts";
import { readCif, writeCif } from "../../src/crystal/cif.ts";
import { readPoscar, writePoscar } from "../../src/crystal/poscar.ts";
import { readExtxyz, writeExtxyz } from "../../src/crystal/extxyz.ts";
import { fromPymatgenDict, toPymatgenDict } from "../../src/crystal/pymatgen_json.ts";
import { FORMATS } from "../../src/crystal/formats.ts";
import { CrystalParseError } from "../../src/crystal/errors.ts";
import type { Crystal } from "../../src/crystal/crystal.ts";
import { MAX_ATOMS, MAX_LINE_LENGTH, shown } from "../../src/crystal/limits.ts";
import { expandSites, parseSymmetryOp } from "../../src/crystal/symmetry_ops.ts";

const CELL = "_cell_length_a 4 _cell_length_b 4 _cell_length_c 4\n" +
  "_cell_angle_alpha 90 _cell_angle_beta 90 _cell_angle_gamma 90\n";
const SITES = "loop_\n_atom_site_label _atom_site_fract_x _atom_site_fract_y _atom_site_fract_z\n";

function poscar(counts: string, lattice = "4 0 0\n0 4 0\n0 0 4"): string {
  return `x\n1.0\n${lattice}\nNa\n${counts}\nDirect\n0 0 0\n`;
}

/** Runs `fn`, expects a CrystalParseError and returns its message. */
function parseError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert(e instanceof CrystalParseError, `expected CrystalParseError, got ${e}`);
    return e.message;
  }
  throw new Error("expected an error, got a value");
}

Deno.test("POSCAR atom count of 10^20 is a CrystalParseError naming the limit", () => {
  const msg = parseError(() => readPoscar(poscar("100000000000000000000"), { name: "big.vasp" }));
  assertMatch(msg, /^Cannot parse POSCAR "big\.vasp" line 7 \(counts\): .* more than the 200000 atoms/);
});

Deno.test("extxyz atom count past the limit is refused before any allocation", () => {
  const msg = parseError(() => readExtxyz(`${MAX_ATOMS + 1}\nLattice="4 0 0 0 4 0 0 0 4"\n`));
  assertMatch(msg, /line 1 \(atom count\).*more than the 200000 atoms/);
});

Deno.test("a 50 MB line is refused without being echoed", () => {
  const token = "9".repeat(50_000_000);
  for (const read of [FORMATS.poscar.read, FORMATS.cif.read, FORMATS.extxyz.read]) {
    const msg = parseError(() => read(`data_x\n${token}\n`));
    assertMatch(msg, /line 2.*longer than 1048576 characters/);
    assert(msg.length < 300, msg.slice(0, 300));
  }
});

Deno.test("a long token under the line limit is cut in the message", () => {
  const word = "Q".repeat(MAX_LINE_LENGTH - 10);
  const msg = parseError(() => readPoscar(poscar("1").replace("Na\n", `${word}\n`)));
  assertMatch(msg, /unknown element "Q{60}… \(1048566 characters\)"/);
  assertEquals(shown("ab"), "ab");
});

Deno.test("a cell length of 1e308 is refused for its size, not its angles", () => {
  const cif = `data_x\n${CELL.replace("_cell_length_a 4", "_cell_length_a 1e308")}${SITES}Na 0 0 0\n`;
  assertMatch(parseError(() => readCif(cif)), /_cell_length_a.*not between 0 and 100000/);
  assertMatch(
    parseError(() => readPoscar(poscar("1", "1e308 0 0\n0 1e308 0\n0 0 1e308"))),
    /volume overflows/,
  );
  assertMatch(
    parseError(() => readPoscar(poscar("1", "1e7 0 0\n0 4 0\n0 0 4"))),
    /lattice vector a .* more than/,
  );
  assertMatch(
    parseError(() => readExtxyz(`1\nLattice="1e300 0 0 0 1e300 0 0 0 1e300"\nNa 0 0 0\n`)),
    /lattice value .*not a finite|more than the 100000 Å/,
  );
});

Deno.test("a cell of 2e-6 Å³ is refused by every reader", () => {
  const l = Math.cbrt(2e-6);
  const cif = `data_x\n${CELL.replaceAll(" 4", ` ${l}`)}${SITES}Na 0 0 0\n`;
  assertMatch(parseError(() => readCif(cif)), /cell volume .* below 0\.01/);
  assertMatch(parseError(() => readPoscar(poscar("1", `${l} 0 0\n0 ${l} 0\n0 0 ${l}`))), /below 0\.01/);
  assertMatch(parseError(() => readExtxyz(`1\nLattice="${l} 0 0 0 ${l} 0 0 0 ${l}"\nNa 0 0 0\n`)), /below/);
  const json = { lattice: { matrix: [[l, 0, 0], [0, l, 0], [0, 0, l]] }, sites: [] };
  assertMatch(parseError(() => fromPymatgenDict(json)), /below 0\.01/);
});

Deno.test("writers refuse non-finite or absurd values instead of writing Infinity", () => {
  const c: Crystal = {
    lattice: new Float64Array([4, 0, 0, 0, 4, 0, 0, 0, 4]),
    frac: new Float64Array([1e308, 0, 0]),
    numbers: new Uint8Array([11]),
  };
  for (
    const write of [() => writeExtxyz([c]), () => writeCif(c), () => writePoscar(c), () => toPymatgenDict(c)]
  ) {
    assertThrows(write, RangeError, /fractional coordinate "1e\+308"/);
  }
  const wide = {
    ...c,
    frac: new Float64Array(3),
    lattice: new Float64Array([1e200, 0, 0, 0, 1e200, 0, 0, 0, 1]),
  };
  assertThrows(() => writeExtxyz([wide]), undefined, /lattice vector a/);
});

Deno.test("CIF: a lone '.' coordinate is 0, '?' stays unknown", () => {
  const [c] = readCif(`data_x\n${CELL}${SITES}Na . 0.5 .\n`);
  assertEquals([...c.frac], [0, 0.5, 0]);
  assertMatch(parseError(() => readCif(`data_x\n${CELL}${SITES}Na ? 0.5 0\n`)), /unknown/);
});

Deno.test("CIF: lines starting with % are comments (IZA files)", () => {
  const [c] = readCif(`% IZA structure commission\n%\ndata_x\n${CELL}${SITES}Si 0 0 0\n`);
  assertEquals(c.numbers.length, 1);
});

Deno.test("CIF: a malformed block is skipped and reported, the good blocks are read", () => {
  const good = `data_good\n${CELL}${SITES}Na 0 0 0\n`;
  const bad = `data_bad\nloop_\n_a _b\n1 2 3\n_cell_length_a 4\n`;
  const skipped: CrystalParseError[] = [];
  const cs = readCif(bad + good + bad.replace("bad", "bad2"), { onSkippedBlock: (e) => skipped.push(e) });
  assertEquals(cs.map((c) => c.name), ["good"]);
  assertEquals(skipped.map((e) => e.line), [4, 15]);
  assertMatch(skipped[0].message, /loop of 2 tags has 3 values/);
  // Alone, a bad block still fails the file.
  assertMatch(parseError(() => readCif(bad)), /loop of 2 tags/);
});

Deno.test("CIF: '0.75Si + 0.25Al' is reported as partial occupancy", () => {
  const text = `data_x\n${CELL}loop_\n_atom_site_label _atom_site_type_symbol _atom_site_fract_x ` +
    `_atom_site_fract_y _atom_site_fract_z\nT1 '0.75Si + 0.25Al' 0 0 0\n`;
  assertMatch(parseError(() => readCif(text)), /mixed species "0\.75Si \+ 0\.25Al": partial occupancy/);
  assertMatch(parseError(() => readCif(text.replace("'0.75Si + 0.25Al'", "Xq"))), /unknown element "Xq"/);
});

Deno.test("CIF: a Hermann–Mauguin symbol without operations is refused with the reason", () => {
  const text = `data_x\n_symmetry_space_group_name_H-M 'F m -3 m'\n${CELL}${SITES}Na 0 0 0\n`;
  assertMatch(
    parseError(() => readCif(text)),
    /space group "F m -3 m" is given without its symmetry operations/,
  );
});

Deno.test("CIF: 100 000 atoms under one operation merge in linear time", () => {
  const n = 100_000;
  const frac = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) {
    frac.set([(i % 100) / 100, (Math.floor(i / 100) % 100) / 100, Math.floor(i / 1e4) / 10], 3 * i);
  }
  const t0 = performance.now();
  const r = expandSites([parseSymmetryOp("x+1/2, y, z")], frac, 1e-4);
  assertEquals(r.frac?.length, 3 * n);
  // Quadratic merging took 235 s; linear takes well under a second on an idle core.
  assert(performance.now() - t0 < 20_000, `took ${performance.now() - t0} ms`);
  // Neighbours across the 0/1 boundary still merge.
  const edge = expandSites(
    [parseSymmetryOp("x, y, z"), parseSymmetryOp("-x, y, z")],
    [0.99997, 0.5, 0.5],
    1e-4,
  );
  assertEquals(edge.frac?.length, 3);
});

Deno.test("readers refuse coordinates the writers would refuse", () => {
  assertMatch(
    parseError(() => readPoscar(poscar("1").replace("Direct\n0 0 0", "Direct\n1e300 0 0"))),
    /\(positions\): fractional coordinate "1e\+300" of atom 1 is not finite or beyond ±1000000/,
  );
  assertMatch(
    parseError(() => readCif(`data_x\n${CELL}${SITES}Na 2e6 0 0\n`)),
    /line 6 \(_atom_site_fract_x\): .*"2000000" of atom 1/,
  );
  assertMatch(parseError(() => readExtxyz(`1\nLattice="4 0 0 0 4 0 0 0 4"\nNa 1e300 0 0\n`)), /\(pos\)/);
  const json = {
    lattice: { matrix: [[4, 0, 0], [0, 4, 0], [0, 0, 4]] },
    sites: [{ species: [{ element: "Na" }], abc: [1e7, 0, 0] }],
  };
  assertMatch(parseError(() => fromPymatgenDict(json)), /\(sites\[0\]\): fractional coordinate "10000000"/);
});
