/**
 * Property tests: every writer/reader pair keeps lattice, positions and species (to 1e-8), on
 * random crystals with skewed and rotated cells. Seeds are fixed; fast-check prints the seed and
 * path of a failing case.
 */
import { assert, assertEquals, AssertionError, assertThrows } from "../_assert.ts";
import fc from "fast-check";
import { type Crystal, formula, validateCrystal } from "../../src/crystal/crystal.ts";
import { latticeParameters, latticeVolume } from "../../src/crystal/lattice.ts";
import { readPoscar, writePoscar } from "../../src/crystal/poscar.ts";
import { readExtxyz, writeExtxyz } from "../../src/crystal/extxyz.ts";
import { fromPymatgenDict, toPymatgenDict } from "../../src/crystal/pymatgen_json.ts";
import { readCif, writeCif } from "../../src/crystal/cif.ts";
import {
  arbitraryCrystal,
  arbitraryLattice,
  assertCrystalsClose,
  PROPERTY_RUNS,
  PROPERTY_SEED,
} from "../_arbitrary.ts";

/** Tolerance on lattice entries (Å) and fractional coordinates. */
const TOL = 1e-8;

const PARAMS = { seed: PROPERTY_SEED, numRuns: PROPERTY_RUNS };

/** Crystals in pymatgen's standard orientation and randomly rotated, with props and names. */
const crystals = fc.oneof(
  arbitraryCrystal({ props: true, name: true }),
  arbitraryCrystal({ props: true, name: true, rotate: true }),
);

/** Crystals in pymatgen's standard orientation only: CIF stores parameters, not the matrix. */
const standardCrystals = arbitraryCrystal({ props: true, name: true });

/** Asserts equal props; -0 and 0 count as equal (JSON and `String()` write both as "0"). */
function assertSameProps(actual: Crystal, expected: Crystal): void {
  const a = actual.props ?? {}, e = expected.props ?? {};
  assertEquals(Object.keys(a).sort(), Object.keys(e).sort());
  for (const k of Object.keys(e)) assert(a[k] === e[k], `props.${k}: ${a[k]} !== ${e[k]}`);
}

/** Replaces line `i` (0-based) of a text. */
function replaceLine(text: string, i: number, line: string): string {
  const lines = text.split("\n");
  lines[i] = line;
  return lines.join("\n");
}

Deno.test("arbitraryCrystal() yields valid crystals in the documented ranges", () => {
  fc.assert(
    fc.property(crystals, (c) => {
      validateCrystal(c);
      assert(c.numbers.length >= 1 && c.numbers.length <= 20);
      assert(latticeVolume(c.lattice) > 0, "right-handed");
      assert(c.frac.every((x) => x >= 0 && x < 1));
      const p = latticeParameters(c.lattice);
      for (const x of [p.a, p.b, p.c]) assert(x >= 2 - 1e-9 && x <= 15 + 1e-9, `length ${x}`);
      for (const x of [p.alpha, p.beta, p.gamma]) assert(x >= 60 - 1e-6 && x <= 120 + 1e-6, `angle ${x}`);
    }),
    PARAMS,
  );
  // The skewed corners of the range are reached.
  const angles = fc.sample(arbitraryLattice(), { seed: PROPERTY_SEED, numRuns: 500 })
    .flatMap((l) => [latticeParameters(l).alpha, latticeParameters(l).gamma]);
  assert(
    Math.min(...angles) < 70 && Math.max(...angles) > 110,
    `angles ${Math.min(...angles)}–${Math.max(...angles)}`,
  );
});

Deno.test("assertCrystalsClose() compares modulo 1 and reports differences", () => {
  const c: Crystal = {
    lattice: new Float64Array([3, 0, 0, 0, 3, 0, 0, 0, 3]),
    frac: new Float64Array([0, 0.5, 0.999999999999]),
    numbers: new Uint8Array([8]),
  };
  assertCrystalsClose({ ...c, frac: new Float64Array([1, -0.5, 0]) }, c, 1e-8);
  assertThrows(
    () => assertCrystalsClose({ ...c, frac: new Float64Array([0, 0.5, 1e-7]) }, c, 1e-8, "m"),
    AssertionError,
    /^m: atom 0 frac\[2\]/,
  );
  const lattice = new Float64Array([3, 0, 0, 0, 3, 0, 0, 0, 3 + 1e-7]);
  assertThrows(() => assertCrystalsClose({ ...c, lattice }, c, 1e-8), AssertionError, /lattice\[8\]/);
  assertThrows(
    () => assertCrystalsClose({ ...c, numbers: new Uint8Array([9]) }, c, 1e-8),
    AssertionError,
    /atomic number/,
  );
});

Deno.test("readPoscar(writePoscar()) keeps the crystal, Direct and Cartesian", async (t) => {
  for (const direct of [true, false]) {
    await t.step(direct ? "Direct" : "Cartesian", () => {
      fc.assert(
        fc.property(crystals, (c) => {
          const back = readPoscar(writePoscar(c, { direct }));
          assertCrystalsClose(back, c, TOL, `direct=${direct}`);
          assertEquals(back.name, c.name ?? formula(c.numbers, { spaced: true }));
        }),
        PARAMS,
      );
    });
  }
});

Deno.test("readPoscar() rescales to a negative scale factor's volume", async (t) => {
  for (const direct of [true, false]) {
    await t.step(direct ? "Direct" : "Cartesian", () => {
      fc.assert(
        fc.property(crystals, fc.double({ min: 0.5, max: 2, noNaN: true }), (c, k) => {
          // Write the cell scaled by k, then ask for the original volume on line 2.
          const scaled: Crystal = { ...c, lattice: c.lattice.map((x) => x * k) };
          const text = replaceLine(writePoscar(scaled, { direct }), 1, String(-latticeVolume(c.lattice)));
          assertCrystalsClose(readPoscar(text), c, TOL, `k=${k} direct=${direct}`);
        }),
        PARAMS,
      );
    });
  }
});

Deno.test("readPoscar() applies three scale factors to lattice and Cartesian positions", () => {
  const scale = fc.double({ min: 0.5, max: 2, noNaN: true });
  fc.assert(
    fc.property(crystals, fc.tuple(scale, scale, scale), fc.boolean(), (c, s, direct) => {
      // Divide the x, y, z columns by s; reading multiplies them back.
      const scaled: Crystal = { ...c, lattice: c.lattice.map((x, k) => x / s[k % 3]) };
      const text = replaceLine(writePoscar(scaled, { direct }), 1, s.join(" "));
      assertCrystalsClose(readPoscar(text), c, TOL, `s=${s} direct=${direct}`);
    }),
    PARAMS,
  );
});

Deno.test("readExtxyz(writeExtxyz()) keeps every frame, props and names", () => {
  fc.assert(
    fc.property(fc.array(crystals, { minLength: 0, maxLength: 4 }), (cs) => {
      const back = readExtxyz(writeExtxyz(cs));
      assertEquals(back.length, cs.length);
      back.forEach((b, i) => {
        assertCrystalsClose(b, cs[i], TOL, `frame ${i}`);
        assertSameProps(b, cs[i]);
        assertEquals(b.name, cs[i].name);
      });
    }),
    PARAMS,
  );
});

Deno.test("fromPymatgenDict(toPymatgenDict()) keeps the crystal through JSON", () => {
  fc.assert(
    fc.property(crystals, (c) => {
      const back = fromPymatgenDict(JSON.parse(JSON.stringify(toPymatgenDict(c))));
      assertCrystalsClose(back, c, TOL);
      assertSameProps(back, c);
    }),
    PARAMS,
  );
});

Deno.test("POSCAR → extended XYZ → pymatgen JSON → POSCAR keeps the crystal", () => {
  fc.assert(
    fc.property(crystals, (c) => {
      const a = readPoscar(writePoscar(c, { direct: false }));
      const [b] = readExtxyz(writeExtxyz([a]));
      const d = fromPymatgenDict(JSON.stringify(toPymatgenDict(b)));
      assertCrystalsClose(readPoscar(writePoscar(d)), c, TOL);
    }),
    PARAMS,
  );
});

Deno.test("readCif(writeCif()) keeps the crystal in pymatgen's orientation", async (t) => {
  for (const decimals of [undefined, 12]) {
    await t.step(`decimals=${decimals ?? "default"}`, () => {
      fc.assert(
        fc.property(standardCrystals, (c) => {
          const back = readCif(writeCif(c, { decimals }));
          assertEquals(back.length, 1);
          assertCrystalsClose(back[0], c, TOL, `decimals=${decimals}`);
        }),
        PARAMS,
      );
    });
  }
});

Deno.test("CIF → POSCAR → pymatgen JSON → extended XYZ → CIF keeps the crystal", () => {
  fc.assert(
    fc.property(standardCrystals, (c) => {
      const [a] = readCif(writeCif(c, { decimals: 12 }));
      const b = fromPymatgenDict(toPymatgenDict(readPoscar(writePoscar(a))));
      const [d] = readExtxyz(writeExtxyz([b]));
      assertCrystalsClose(readCif(writeCif(d, { decimals: 12 }))[0], c, TOL);
    }),
    PARAMS,
  );
});
