import { assert, assertEquals, assertThrows } from "../_assert.ts";
import fc from "fast-check";
import {
  applySymmetryOp,
  expandSites,
  isIdentityOp,
  parseSymmetryOp,
} from "../../src/crystal/symmetry_ops.ts";
import { PROPERTY_RUNS, PROPERTY_SEED } from "../_arbitrary.ts";

/** P2_1/c (No. 14, unique axis b), International Tables general position. */
const P21C = ["x, y, z", "-x, y+1/2, -z+1/2", "-x, -y, -z", "x, -y+1/2, z+1/2"];

/** Fm-3m (No. 225): the 48 signed permutations of x, y, z times the 4 F-centring translations. */
function fm3mOps(): string[] {
  const perms = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
  const centring = [["", "", ""], ["", "+1/2", "+1/2"], ["+1/2", "", "+1/2"], ["+1/2", "+1/2", ""]];
  const ops: string[] = [];
  for (const t of centring) {
    for (const p of perms) {
      for (let signs = 0; signs < 8; signs++) {
        ops.push(p.map((axis, i) => `${signs & (1 << i) ? "-" : ""}${"xyz"[axis]}${t[i]}`).join(", "));
      }
    }
  }
  return ops;
}

/** Periodic (modulo 1) Chebyshev distance between two fractional positions. */
function periodicDistance(a: ArrayLike<number>, i: number, b: ArrayLike<number>, j: number): number {
  let d = 0;
  for (let k = 0; k < 3; k++) {
    const x = a[3 * i + k] - b[3 * j + k];
    d = Math.max(d, Math.abs(x - Math.round(x)));
  }
  return d;
}

Deno.test("parseSymmetryOp() reads the CIF spellings of an operation", async (t) => {
  const cases: [string, number[]][] = [
    ["x, y, z", [1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]],
    ["+X,+Y,+Z", [1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]],
    ["-x+1/2, y, -z+0.5", [-1, 0, 0, 0, 1, 0, 0, 0, -1, 0.5, 0, 0.5]],
    ["1/2+x, y, z", [1, 0, 0, 0, 1, 0, 0, 0, 1, 0.5, 0, 0]],
    ["x-y, x, z+1/3", [1, -1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 1 / 3]],
    ["-y , x - y , z + 2/3", [0, -1, 0, 1, -1, 0, 0, 0, 1, 0, 0, 2 / 3]],
    ["x, y, -z-1/2", [1, 0, 0, 0, 1, 0, 0, 0, -1, 0, 0, -0.5]],
    ["1*x, 1*y, .25+z", [1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0.25]],
  ];
  for (const [text, expected] of cases) {
    await t.step(text, () => assertEquals([...parseSymmetryOp(text)], expected));
  }
});

Deno.test("parseSymmetryOp() rejects malformed operations", async (t) => {
  const cases: [string, RegExp][] = [
    ["x, y", /expected 3 comma-separated components, found 2/],
    ["x, y, z, +1", /found 4/],
    ["x, y, q", /unexpected "q"/],
    ["x, , z", /component 2 is empty/],
    ["x y, y, z", /expected "\+" or "-" before "y"/],
    ["x, 1/0+y, z", /bad fraction/],
    ["x, 0.5.5+y, z", /bad number/],
    ["x, x, z", /determinant is "0"/],
    ["2x, y, z", /determinant is "2"/],
  ];
  for (const [text, re] of cases) {
    await t.step(text, () => {
      assertThrows(() => parseSymmetryOp(text), SyntaxError, re);
    });
  }
});

Deno.test("applySymmetryOp() and isIdentityOp() act on fractional coordinates", () => {
  const op = parseSymmetryOp("-y, x-y, z+1/2");
  assertEquals([...applySymmetryOp(op, 0.5, 0.25, 0.125)], [-0.25, 0.25, 0.625]);
  assertEquals(isIdentityOp(parseSymmetryOp("x,y,z")), true);
  assertEquals(isIdentityOp(op), false);
});

Deno.test("expandSites() gives International Tables multiplicities", async (t) => {
  const p21c = P21C.map(parseSymmetryOp);
  await t.step("P2_1/c general position 4e", () => {
    const r = expandSites(p21c, [0.1, 0.2, 0.3], 1e-4);
    assertEquals(r.source?.length, 4);
    assert(r.frac!.every((v) => v >= 0 && v < 1));
  });
  await t.step("P2_1/c inversion centre 2a", () => {
    assertEquals(expandSites(p21c, [0, 0, 0], 1e-4).source?.length, 2);
  });
  await t.step("Fm-3m: 192 operations, 4a + 4b = rocksalt, 8c = 8, 24d = 24, 192l = 192", () => {
    const ops = fm3mOps().map(parseSymmetryOp);
    assertEquals(ops.length, 192);
    const nacl = expandSites(ops, [0, 0, 0, 0.5, 0.5, 0.5], 1e-4);
    assertEquals([...nacl.source!], [0, 0, 0, 0, 1, 1, 1, 1]);
    assertEquals(expandSites(ops, [0.25, 0.25, 0.25], 1e-4).source?.length, 8);
    assertEquals(expandSites(ops, [0, 0.25, 0.25], 1e-4).source?.length, 24);
    assertEquals(expandSites(ops, [0.05, 0.1, 0.2], 1e-4).source?.length, 192);
  });
  await t.step("images closer than the tolerance merge, farther ones do not", () => {
    assertEquals(expandSites(p21c, [0.00002, 0, 0], 1e-4).source?.length, 2);
    assertEquals(expandSites(p21c, [0.00002, 0, 0], 1e-5).source?.length, 4);
  });
  await t.step("two input sites on one position are a conflict", () => {
    assertEquals(expandSites(p21c, [0.1, 0.2, 0.3, 0.9, 0.8, 0.7], 1e-4).conflict, [0, 1]);
  });
});

Deno.test("expandSites() output is closed under the group (Fm-3m, random sites)", () => {
  const ops = fm3mOps().map(parseSymmetryOp);
  const coord = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
  fc.assert(
    fc.property(fc.tuple(coord, coord, coord), ([x, y, z]) => {
      const r = expandSites(ops, [x, y, z], 1e-4);
      assert(r.frac, "a single site cannot conflict with itself");
      const n = r.source.length;
      assertEquals(192 % n, 0, `multiplicity ${n} does not divide 192`);
      for (let i = 0; i < n; i++) {
        for (const op of ops) {
          const img = applySymmetryOp(op, r.frac[3 * i], r.frac[3 * i + 1], r.frac[3 * i + 2]);
          let best = Infinity;
          for (let j = 0; j < n; j++) best = Math.min(best, periodicDistance(img, 0, r.frac, j));
          assert(best < 2e-4, `image of site ${i} is ${best} from every site`);
        }
      }
    }),
    { seed: PROPERTY_SEED, numRuns: PROPERTY_RUNS / 10 },
  );
});
