import { assertAllClose, assertEquals, assertThrows } from "../_assert.ts";
import { readExtxyz, writeExtxyz } from "../../src/crystal/extxyz.ts";
import { CrystalParseError } from "../../src/crystal/errors.ts";
import type { Crystal } from "../../src/crystal/crystal.ts";
import { assertCrystalsClose } from "../_arbitrary.ts";

/** Written by ASE 3.26.0: `write(f, [atoms, atoms], format="extxyz")` with info and forces. */
const ASE_TWO_FRAMES = `2
Lattice="4.0 0.0 0.0 0.1 4.2 0.0 0.3 0.2 5.0" Properties=species:S:1:pos:R:3:forces:R:3 energy=-1.5 name="my cell" count=3 pbc="T T T"
Cs       0.00000000       0.00000000       0.00000000       0.00000000       0.00000000       0.00000000
Cl       2.20000000       2.20000000       2.50000000       0.22000000       0.22000000       0.25000000
2
Lattice="4.0 0.0 0.0 0.1 4.2 0.0 0.3 0.2 5.0" Properties=species:S:1:pos:R:3:forces:R:3 energy=-1.5 name="my cell" count=3 pbc="T T T"
Cs       0.00000000       0.00000000       0.00000000       0.00000000       0.00000000       0.00000000
Cl       2.20000000       2.20000000       2.50000000       0.22000000       0.22000000       0.25000000
`;

/** A frame whose atom lines are valid, used to build malformed cases. */
const FRAME = `2
Lattice="3 0 0 0 3 0 0 0 3" Properties=species:S:1:pos:R:3 pbc="T T T"
Na 0 0 0
Cl 1.5 1.5 1.5
`;

Deno.test("readExtxyz() reads frames written by ASE", () => {
  const frames = readExtxyz(ASE_TWO_FRAMES);
  assertEquals(frames.length, 2);
  for (const c of frames) {
    assertAllClose(c.lattice, [4, 0, 0, 0.1, 4.2, 0, 0.3, 0.2, 5], { atol: 1e-12 });
    assertAllClose(c.frac, [0, 0, 0, 0.5, 0.5, 0.5], { atol: 1e-12 });
    assertEquals(Array.from(c.numbers), [55, 17]);
    assertEquals(c.props, { energy: -1.5, count: 3 });
    assertEquals(c.name, "my cell");
  }
});

Deno.test("readExtxyz() accepts ASE's variants of the comment line", async (t) => {
  const cases: [string, string][] = [
    ["no Properties (default columns)", 'Lattice="3 0 0 0 3 0 0 0 3"'],
    ["lower-case keys, no pbc", 'lattice="3 0 0 0 3 0 0 0 3" properties=species:S:1:pos:R:3'],
    ["bracketed lattice", "Lattice=[[3, 0, 0], [0, 3, 0], [0, 0, 3]] pbc=[T, T, T]"],
    ["spaces around =, pbc True", 'Lattice = "3 0 0 0 3 0 0 0 3" pbc="True True True" flag'],
    ["extra columns first", 'Lattice="3 0 0 0 3 0 0 0 3" Properties=id:I:1:species:S:1:mass:R:1:pos:R:3'],
    ["quoted strings with escapes", 'Lattice="3 0 0 0 3 0 0 0 3" note="a \\"quoted\\" word" e=1e-3'],
  ];
  for (const [label, comment] of cases) {
    await t.step(label, () => {
      const extra = label === "extra columns first";
      const atoms = extra ? "7 Na 22.99 0 0 0\n8 Cl 35.45 1.5 1.5 1.5\n" : "Na 0 0 0\nCl 1.5 1.5 1.5\n";
      const [c] = readExtxyz(`2\n${comment}\n${atoms}`);
      assertAllClose(c.lattice, [3, 0, 0, 0, 3, 0, 0, 0, 3], { atol: 1e-12 });
      assertAllClose(c.frac, [0, 0, 0, 0.5, 0.5, 0.5], { atol: 1e-12 });
      assertEquals(Array.from(c.numbers), [11, 17]);
      if (label.startsWith("quoted")) assertEquals(c.props, { e: 1e-3 });
    });
  }
});

Deno.test("readExtxyz() reads empty input, blank separators and zero-atom frames", () => {
  assertEquals(readExtxyz(""), []);
  assertEquals(readExtxyz("\n\n"), []);
  const frames = readExtxyz(`${FRAME}\n\n0\nLattice="2 0 0 0 2 0 0 0 2"\n\r\n${FRAME}`);
  assertEquals(frames.map((c) => c.numbers.length), [2, 0, 2]);
});

Deno.test("readExtxyz() names the line and field of malformed input", async (t) => {
  const lines = FRAME.split("\n");
  const edit = (i: number, s: string) => lines.map((l, k) => (k === i ? s : l)).join("\n");
  const comment = (s: string) => edit(1, s);
  const cases: [string, string, number, string, RegExp?][] = [
    ["count not an integer", edit(0, "two"), 1, "atom count", /found "two"/],
    ["negative count", edit(0, "-2"), 1, "atom count"],
    ["second frame count", FRAME + "x\n", 5, "atom count"],
    ["no comment line", "2\n", 2, "comment", /file ends after line 1/],
    ["unterminated quote", comment('Lattice="3 0 0 0 3 0 0 0 3'), 2, "comment", /unterminated/],
    ["key missing", comment('Lattice="3 0 0 0 3 0 0 0 3" =5'), 2, "comment", /expected a key/],
    ["no Lattice", comment("Properties=species:S:1:pos:R:3"), 2, "Lattice", /found no Lattice key/],
    ["Lattice without value", comment("Lattice pbc"), 2, "Lattice", /without a value/],
    ["Lattice of 6 numbers", comment('Lattice="3 0 0 0 3 0"'), 2, "Lattice", /expected 9 numbers, found 6/],
    ["Lattice not numeric", comment('Lattice="3 0 0 0 3 0 0 0 c"'), 2, "Lattice", /"c" is not a number/],
    ["degenerate Lattice", comment('Lattice="3 0 0 0 3 0 3 3 0"'), 2, "Lattice", /zero/],
    ["not periodic", comment('Lattice="3 0 0 0 3 0 0 0 3" pbc="T T F"'), 2, "pbc", /"T T F"/],
    ["Properties without value", comment('Lattice="3 0 0 0 3 0 0 0 3" Properties'), 2, "Properties"],
    ["Properties not triples", comment('Lattice="3 0 0 0 3 0 0 0 3" Properties=species:S'), 2, "Properties"],
    [
      "bad column type",
      comment('Lattice="3 0 0 0 3 0 0 0 3" Properties=species:S:1:pos:X:3'),
      2,
      "Properties",
    ],
    [
      "no species column",
      comment('Lattice="3 0 0 0 3 0 0 0 3" Properties=Z:I:1:pos:R:3'),
      2,
      "Properties",
      /species/,
    ],
    [
      "no pos column",
      comment('Lattice="3 0 0 0 3 0 0 0 3" Properties=species:S:1:xyz:R:3'),
      2,
      "Properties",
      /pos/,
    ],
    ["too few columns", edit(3, "Cl 1.5 1.5"), 4, "atoms", /expected 4 columns, found 3/],
    ["too many columns", edit(2, "Na 0 0 0 1"), 3, "atoms", /found 5/],
    ["blank atom line", edit(2, ""), 3, "atoms", /found 0/],
    ["unknown element", edit(3, "Qq 1.5 1.5 1.5"), 4, "species", /unknown element "Qq"/],
    ["position not numeric", edit(3, "Cl 1.5 x 1.5"), 4, "pos", /"x" is not a number/],
    ["truncated frame", lines.slice(0, 3).join("\n"), 4, "atoms", /expected 2 atoms, found 1/],
  ];
  for (const [label, text, line, field, pattern] of cases) {
    await t.step(label, () => {
      const e = assertThrows(() => readExtxyz(text, { name: "a.xyz" }), CrystalParseError, pattern);
      assertEquals(e.file, "a.xyz");
      assertEquals(e.line, line, e.message);
      assertEquals(e.field, field, e.message);
    });
  }
  assertThrows(
    () => readExtxyz(edit(3, "Cl 1.5 1.5"), { name: "a.xyz" }),
    CrystalParseError,
    'Cannot parse extended XYZ "a.xyz" line 4 (atoms): expected 4 columns, found 3',
  );
});

const CELL: Crystal = {
  lattice: new Float64Array([4, 0, 0, 0.1, 4.2, 0, 0.3, 0.2, 5]),
  frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0.5]),
  numbers: new Uint8Array([55, 17]),
};

Deno.test("writeExtxyz() writes ASE's layout", () => {
  const text = writeExtxyz([{ ...CELL, name: 'my "cell"', props: { energy: -1.5, count: 3 } }]);
  assertEquals(
    text,
    `2
Lattice="4 0 0 0.1 4.2 0 0.3 0.2 5" Properties=species:S:1:pos:R:3 name="my \\"cell\\"" energy=-1.5 count=3 pbc="T T T"
Cs    0.0000000000000000    0.0000000000000000    0.0000000000000000
Cl    2.1999999999999997    2.2000000000000002    2.5000000000000000
`,
  );
  const [back] = readExtxyz(text);
  assertEquals(back.name, 'my "cell"');
  assertEquals(back.props, { energy: -1.5, count: 3 });
  assertCrystalsClose(back, CELL, 1e-15);
  assertEquals(writeExtxyz([]), "");
});

Deno.test("writeExtxyz() rejects properties it cannot write", async (t) => {
  const cases: [string, Record<string, number>, RegExp][] = [
    ["reserved key", { pbc: 1 }, /"pbc" is reserved/],
    ["reserved key, other case", { Lattice: 1 }, /reserved/],
    ["key with a space", { "band gap": 1 }, /not a bare word/],
    ["NaN", { energy: NaN }, /"NaN", expected a finite number/],
    ["Infinity", { energy: Infinity }, /finite/],
  ];
  for (const [label, props, message] of cases) {
    await t.step(label, () => {
      assertThrows(() => writeExtxyz([{ ...CELL, props }]), RangeError, message);
    });
  }
  await t.step("invalid crystal", () => {
    assertThrows(() => writeExtxyz([{ ...CELL, numbers: new Uint8Array([0, 1]) }]), RangeError);
  });
});
