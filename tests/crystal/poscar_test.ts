import { assert, assertAllClose, assertEquals, assertMatch, assertThrows } from "../_assert.ts";
import { readPoscar, writePoscar } from "../../src/crystal/poscar.ts";
import { CrystalParseError } from "../../src/crystal/errors.ts";
import type { Crystal } from "../../src/crystal/crystal.ts";
import { latticeVolume } from "../../src/crystal/lattice.ts";
import { assertCrystalsClose } from "../_arbitrary.ts";

/** Rock salt primitive cell as VASP 5 writes it. */
const NACL = `NaCl primitive
5.64
0.0 0.5 0.5
0.5 0.0 0.5
0.5 0.5 0.0
Na Cl
1 1
Direct
0.0 0.0 0.0
0.5 0.5 0.5
`;

function assertParseError(text: string, line: number | undefined, field: string, pattern?: RegExp) {
  const e = assertThrows(() => readPoscar(text, { name: "x.vasp" }), CrystalParseError, pattern);
  assert(e instanceof SyntaxError);
  assertEquals(e.file, "x.vasp");
  assertEquals(e.line, line, e.message);
  assertEquals(e.field, field, e.message);
}

Deno.test("readPoscar() reads a VASP 5 file", () => {
  const c = readPoscar(NACL);
  assertEquals(c.name, "NaCl primitive");
  assertAllClose(c.lattice, [0, 2.82, 2.82, 2.82, 0, 2.82, 2.82, 2.82, 0], { atol: 1e-12 });
  assertAllClose(c.frac, [0, 0, 0, 0.5, 0.5, 0.5], { atol: 1e-12 });
  assertEquals(Array.from(c.numbers), [11, 17]);
  assertEquals(c.props, undefined);
});

Deno.test("readPoscar() treats a negative scale factor as the cell volume", () => {
  const c = readPoscar(NACL.replace("5.64", "-100"));
  assertAllClose([latticeVolume(c.lattice)], [100], { atol: 1e-10 });
  const s = Math.cbrt(100 / 0.25);
  assertAllClose(c.lattice, [0, 0.5 * s, 0.5 * s, 0.5 * s, 0, 0.5 * s, 0.5 * s, 0.5 * s, 0], { atol: 1e-12 });
});

Deno.test("readPoscar() scales Cartesian components by three scale factors (VASP 6)", () => {
  const text = `three
2 3 4
1 0 0
0 1 0
1 1 1
Si
1
Cartesian
1 1.5 2
`;
  const c = readPoscar(text);
  assertAllClose(c.lattice, [2, 0, 0, 0, 3, 0, 2, 3, 4], { atol: 1e-12 });
  // Cartesian (2, 4.5, 8) in that cell.
  assertAllClose(c.frac, [-1, -0.5, 2], { atol: 1e-12 });
});

Deno.test("readPoscar() reads Cartesian positions scaled by the scale factor", async (t) => {
  for (const mode of ["Cartesian", "cartesian", "C", "K", "kart"]) {
    await t.step(mode, () => {
      const c = readPoscar(`c\n2.0\n2 0 0\n0 2 0\n0 0 2\nFe\n1\n${mode}\n1 2 3\n`);
      assertAllClose(c.frac, [0.5, 1, 1.5], { atol: 1e-12 });
    });
  }
  for (const mode of ["Direct", "direct", "D"]) {
    await t.step(mode, () => {
      const c = readPoscar(`c\n2.0\n2 0 0\n0 2 0\n0 0 2\nFe\n1\n${mode}\n0.25 0.5 0.75\n`);
      assertAllClose(c.frac, [0.25, 0.5, 0.75], { atol: 1e-12 });
    });
  }
});

Deno.test("readPoscar() skips selective dynamics flags, labels, velocities and CRLF", () => {
  const text = [
    "Fe2O  ",
    "  1.0",
    " 3 0 0",
    " 0 3 0 ! comment",
    " 0 0 3",
    "Fe_pv O_s/a1b2c3",
    "2 1",
    "Selective dynamics",
    "Direct",
    "0 0 0 T T F Fe",
    "0.5 0.5 0.5 F F F Fe",
    "0.5D0 0.25d0 1E-1 T T T O",
    "",
    "0.1 0.2 0.3",
    "0.1 0.2 0.3",
    "0.1 0.2 0.3",
  ].join("\r\n");
  const c = readPoscar(text);
  assertEquals(c.name, "Fe2O");
  assertEquals(Array.from(c.numbers), [26, 26, 8]);
  assertAllClose(c.frac, [0, 0, 0, 0.5, 0.5, 0.5, 0.5, 0.25, 0.1], { atol: 1e-12 });
});

Deno.test("readPoscar() keeps a repeated species and coordinates outside [0, 1)", () => {
  const c = readPoscar("\n1\n3 0 0\n0 3 0\n0 0 3\nFe O Fe\n1 1 1\nd\n0 0 -0.25\n0.5 0.5 0.5\n1.5 0 0");
  assertEquals(c.name, undefined);
  assertEquals(Array.from(c.numbers), [26, 8, 26]);
  assertAllClose(c.frac, [0, 0, -0.25, 0.5, 0.5, 0.5, 1.5, 0, 0], { atol: 1e-12 });
});

Deno.test("readPoscar() names the line and field of malformed input", async (t) => {
  const lines = NACL.split("\n");
  const edit = (i: number, s: string) => lines.map((l, k) => (k === i ? s : l)).join("\n");
  const cases: [string, string, number | undefined, string, RegExp?][] = [
    ["empty input", "", 1, "comment", /input is empty/],
    ["no scale line", "comment\n", 2, "scale factor", /file ends after line 1/],
    ["empty scale line", edit(1, ""), 2, "scale factor", /empty line/],
    ["non-numeric scale", edit(1, "abc"), 2, "scale factor", /"abc" is not a number/],
    ["infinite scale", edit(1, "1e999"), 2, "scale factor", /"1e999" is not a number/],
    ["zero scale", edit(1, "0.0"), 2, "scale factor", /"0"/],
    ["two scale factors", edit(1, "1 2"), 2, "scale factor", /1 or 3 scale factors, found 2/],
    ["negative of three", edit(1, "1 -2 3"), 2, "scale factor", /must be positive/],
    ["short lattice row", edit(3, "0.5 0.0"), 4, "lattice", /expected 3 numbers, found 2/],
    ["non-numeric lattice", edit(4, "0.5 x 0.0"), 5, "lattice", /"x" is not a number/],
    ["truncated lattice", lines.slice(0, 3).join("\n"), 4, "lattice", /file ends after line 3/],
    ["zero volume", edit(4, "0.5 0.5 1.0"), 3, "lattice", /is zero/],
    ["left-handed", edit(4, "-0.5 -0.5 0.0"), 3, "lattice", /negative.*left-handed/],
    [
      "left-handed, negative scale",
      edit(1, "-10").replace("0.5 0.5 0.0\nNa", "-0.5 -0.5 0.0\nNa"),
      3,
      "lattice",
    ],
    [
      "VASP 4 (no species line)",
      edit(5, "1 1").replace("1 1\n1 1", "1 1"),
      6,
      "species",
      /species line is missing/,
    ],
    ["empty species line", edit(5, ""), 6, "species", /empty line/],
    ["unknown element", edit(5, "Na Xx"), 6, "species", /unknown element "Xx"/],
    ["too few counts", edit(6, "2"), 7, "counts", /expected 2 counts .* found 1/],
    ["too many counts", edit(6, "1 1 1"), 7, "counts", /found 3/],
    ["non-integer count", edit(6, "1 1.5"), 7, "counts", /"1.5" is not a positive integer/],
    ["zero count", edit(6, "1 0"), 7, "counts", /"0"/],
    ["missing mode line", lines.slice(0, 7).join("\n"), 8, "coordinate mode", /file ends/],
    [
      "selective dynamics without mode",
      lines.slice(0, 7).join("\n") + "\nSelective dynamics",
      9,
      "coordinate mode",
    ],
    [
      "bad mode",
      edit(7, "0.0 0.0 0.0"),
      8,
      "coordinate mode",
      /expected "Direct" or "Cartesian", found "0.0 0.0 0.0"/,
    ],
    ["short position", edit(9, "0.5 0.5"), 10, "positions", /expected 3 numbers, found 2/],
    ["non-numeric position", edit(8, "0.0 nan 0.0"), 9, "positions", /"nan" is not a number/],
    ["truncated positions", lines.slice(0, 9).join("\n"), 10, "positions", /expected 2 positions, found 1/],
    ["blank position line", edit(8, ""), 9, "positions", /found 0/],
  ];
  for (const [label, text, line, field, pattern] of cases) {
    await t.step(label, () => assertParseError(text, line, field, pattern));
  }
});

Deno.test("readPoscar() error messages follow the style guide", () => {
  const text = NACL.replace("0.5 0.5 0.5\n", "0.5 0.5\n");
  assertThrows(
    () => readPoscar(text, { name: "x.vasp" }),
    CrystalParseError,
    'Cannot parse POSCAR "x.vasp" line 10 (positions): expected 3 numbers, found 2',
  );
  assertThrows(() => readPoscar(text), CrystalParseError, /^Cannot parse POSCAR "<input>" line 10/);
});

const FEO: Crystal = {
  lattice: new Float64Array([3, 0, 0, 0, 3, 0, 0.5, 0, 3]),
  frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.75, 0.1, 0.2, 0.3]),
  numbers: new Uint8Array([26, 26, 8, 26]),
};

Deno.test("writePoscar() writes pymatgen's layout without reordering atoms", () => {
  const text = writePoscar(FEO);
  assertEquals(
    text,
    `Fe3 O1
1.0
   3.0000000000000000    0.0000000000000000    0.0000000000000000
   0.0000000000000000    3.0000000000000000    0.0000000000000000
   0.5000000000000000    0.0000000000000000    3.0000000000000000
Fe O Fe
2 1 1
Direct
   0.0000000000000000    0.0000000000000000    0.0000000000000000 Fe
   0.5000000000000000    0.5000000000000000    0.5000000000000000 Fe
   0.2500000000000000    0.2500000000000000    0.7500000000000000 O
   0.1000000000000000    0.2000000000000000    0.3000000000000000 Fe
`,
  );
  const back = readPoscar(text);
  assertEquals(back.numbers, FEO.numbers);
  assertEquals(back.frac, FEO.frac);
  assertEquals(back.lattice, FEO.lattice);
});

Deno.test("writePoscar() writes Cartesian positions and a comment", () => {
  const text = writePoscar(FEO, { direct: false, comment: "two\nlines" });
  const lines = text.split("\n");
  assertEquals(lines[0], "two lines");
  assertEquals(lines[7], "Cartesian");
  assertEquals(lines[9], "   1.7500000000000000    1.5000000000000000    1.5000000000000000 Fe");
  assertCrystalsClose(readPoscar(text), FEO, 1e-14, "Cartesian round trip");
});

Deno.test("writePoscar() uses the name as comment and keeps 16 decimals", () => {
  const c: Crystal = { ...FEO, frac: FEO.frac.map((x) => x + 1 / 3), name: "mp-1234" };
  const text = writePoscar(c);
  assert(text.startsWith("mp-1234\n"));
  assertMatch(text, / 0\.3333333333333333 Fe\n/);
  const back = readPoscar(text);
  assertEquals(back.name, "mp-1234");
  assertCrystalsClose(back, c, 1e-15);
});

Deno.test("writePoscar() rejects crystals VASP cannot read", async (t) => {
  await t.step("no atoms", () => {
    assertThrows(
      () => writePoscar({ ...FEO, frac: new Float64Array(0), numbers: new Uint8Array(0) }),
      RangeError,
      /no atoms/,
    );
  });
  await t.step("left-handed lattice", () => {
    const lattice = new Float64Array([0, 3, 0, 3, 0, 0, 0, 0, 3]);
    assertThrows(() => writePoscar({ ...FEO, lattice }), RangeError, /left-handed/);
  });
  await t.step("invalid crystal", () => {
    assertThrows(() => writePoscar({ ...FEO, numbers: new Uint8Array([26]) }), TypeError);
  });
});
