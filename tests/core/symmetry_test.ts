import { assert, assertAllClose, assertAlmostEquals, assertEquals, assertThrows } from "../_assert.ts";
import type { Crystal } from "../../src/crystal/crystal.ts";
import { inverse3, latticeVolume } from "../../src/crystal/lattice.ts";
import {
  GeometryError,
  spaceGroup,
  spaceGroupMany,
  spaceGroupNumberMany,
  spaceGroupOfHall,
  spaceGroupSymbol,
  symmetrize,
  symmetrizeMany,
} from "../../src/core/symmetry.ts";

/** Rutile TiO2 (P4_2/mnm, 136), a = 4.594, c = 2.959 Å, x(O) = 0.3048 (ICSD 9161). */
function rutile(): Crystal {
  const x = 0.3048;
  return {
    lattice: new Float64Array([4.594, 0, 0, 0, 4.594, 0, 0, 0, 2.959]),
    frac: new Float64Array([
      0,
      0,
      0,
      0.5,
      0.5,
      0.5,
      x,
      x,
      0,
      1 - x,
      1 - x,
      0,
      0.5 - x,
      0.5 + x,
      0.5,
      0.5 + x,
      0.5 - x,
      0.5,
    ]),
    numbers: new Uint8Array([22, 22, 8, 8, 8, 8]),
  };
}

/** Diamond (Fd-3m, 227) in its primitive fcc cell, a = 3.567 Å. */
function diamond(): Crystal {
  const h = 3.567 / 2;
  return {
    lattice: new Float64Array([0, h, h, h, 0, h, h, h, 0]),
    frac: new Float64Array([0, 0, 0, 0.25, 0.25, 0.25]),
    numbers: new Uint8Array([6, 6]),
  };
}

/** L_s = Pᵀ · L (rows), the relation between an input lattice and a standardised one. */
function transformLattice(p: Float64Array, l: Float64Array): Float64Array {
  const out = new Float64Array(9);
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) for (let k = 0; k < 3; k++) out[3 * r + c] += p[3 * k + r] * l[3 * k + c];
  }
  return out;
}

Deno.test("spaceGroup() finds rutile's P4_2/mnm with its Wyckoff positions and orbits", () => {
  const sg = spaceGroup(rutile(), { symprec: 1e-3 });
  assertEquals([sg.number, sg.symbol, sg.hallNumber, sg.operations], [136, "P4_2/mnm", 419, 16]);
  assertEquals(sg.wyckoffs, "aaffff");
  assertEquals([...sg.orbits], [0, 0, 2, 2, 2, 2]);
  assertEquals(sg.conventional.numbers.length, 6);
  assertEquals(sg.primitive.numbers.length, 6);
});

Deno.test("spaceGroup() gives diamond's conventional cell (8 atoms) and the transforms that make it", () => {
  const c = diamond();
  const sg = spaceGroup(c);
  assertEquals([sg.number, sg.symbol, sg.hallSymbol], [227, "Fd-3m", "F 4d 2 3 -1d"]);
  assertEquals([...sg.conventional.numbers], [6, 6, 6, 6, 6, 6, 6, 6]);
  assertAllClose(sg.conventional.lattice, [3.567, 0, 0, 0, 3.567, 0, 0, 0, 3.567].map(Math.abs), {
    atol: 1e-9,
  }, "cube");
  assertAllClose(transformLattice(sg.toConventional.linear, c.lattice), sg.conventional.lattice, {
    atol: 1e-9,
  }, "L_s = Pᵀ·L");
  assertAllClose(
    transformLattice(sg.toPrimitive.linear, c.lattice),
    sg.primitive.lattice,
    { atol: 1e-9 },
    "primitive",
  );
  assertAlmostEquals(latticeVolume(sg.primitive.lattice), latticeVolume(c.lattice), 1e-9);
  // x_s = P⁻¹·(x − p) puts every input atom on a site of the conventional cell.
  const pinv = inverse3(sg.toConventional.linear);
  for (let i = 0; i < 2; i++) {
    const d = [0, 1, 2].map((k) => c.frac[3 * i + k] - sg.toConventional.originShift[k]);
    const xs = [0, 1, 2].map((r) => pinv[3 * r] * d[0] + pinv[3 * r + 1] * d[1] + pinv[3 * r + 2] * d[2]);
    const onSite = Array.from({ length: 8 }, (_, j) => j).some((j) =>
      [0, 1, 2].every((k) => {
        const diff = xs[k] - sg.conventional.frac[3 * j + k];
        return Math.abs(diff - Math.round(diff)) < 1e-9;
      })
    );
    assert(onSite, `atom ${i} at ${xs} is not a conventional site`);
  }
});

Deno.test("spaceGroup() of a supercell keeps the group and finds the smaller primitive cell", () => {
  const c = rutile();
  const doubled: Crystal = {
    lattice: new Float64Array([...c.lattice.subarray(0, 6), 0, 0, 2 * 2.959]),
    frac: new Float64Array([
      ...c.frac.map((x, i) => i % 3 === 2 ? x / 2 : x),
      ...c.frac.map((x, i) => i % 3 === 2 ? x / 2 + 0.5 : x),
    ]),
    numbers: new Uint8Array([...c.numbers, ...c.numbers]),
  };
  const sg = spaceGroup(doubled, { symprec: 1e-3 });
  assertEquals([sg.number, sg.operations, sg.primitive.numbers.length], [136, 32, 6]);
  assertEquals(Math.max(...sg.primitiveSites), 5);
});

Deno.test("spaceGroupNumberMany() agrees with spaceGroupMany() and honours symprec", () => {
  const noisy = rutile();
  noisy.frac[6] += 0.004; // one O moves 0.018 Å
  const batch = [rutile(), diamond(), noisy];
  assertEquals(
    [...spaceGroupNumberMany(batch, { symprec: 1e-3 })],
    spaceGroupMany(batch, { symprec: 1e-3 }).map((s) => s.number),
  );
  assert(spaceGroupNumberMany([noisy], { symprec: 1e-3 })[0] < 136);
  assertEquals([...spaceGroupNumberMany([noisy], { symprec: 0.05 })], [136]);
  assertEquals(spaceGroupNumberMany([]).length, 0);
});

Deno.test("spaceGroupNumberMany() honours angleTolerance on a slightly sheared cube", () => {
  const g = 90.3 * Math.PI / 180; // γ 0.3° off 90°, b = a
  const c: Crystal = {
    lattice: new Float64Array([4, 0, 0, 4 * Math.cos(g), 4 * Math.sin(g), 0, 0, 0, 4]),
    frac: new Float64Array(3),
    numbers: new Uint8Array([29]),
  };
  assertEquals([...spaceGroupNumberMany([c], { symprec: 1e-3, angleTolerance: 1 })], [221]);
  assert(spaceGroupNumberMany([c], { symprec: 1e-3, angleTolerance: 0.01 })[0] < 221);
});

Deno.test("symmetrize() makes a distorted crystal exact, keeps atoms in order and near their places", () => {
  const noisy = rutile();
  const kicks = [0.002, -0.003, 0.001, 0.003, -0.002, 0.0015];
  kicks.forEach((k, i) => {
    noisy.frac[3 * i] += k;
    noisy.frac[3 * i + 2] -= k / 2;
  });
  noisy.lattice[1] = 0.01;
  noisy.props = { energy: -1 };
  noisy.name = "noisy";
  const ideal = symmetrize(noisy, { symprec: 0.05 });
  assertEquals([...ideal.numbers], [...noisy.numbers]);
  assertEquals([ideal.props, ideal.name], [{ energy: -1 }, "noisy"]);
  assertEquals(spaceGroup(ideal, { symprec: 1e-6 }).number, 136);
  for (let k = 0; k < noisy.frac.length; k++) {
    assertAlmostEquals(ideal.frac[k], noisy.frac[k], 0.01, `frac ${k}`);
  }
  // The lattice is made exactly tetragonal (|a| = |b|, right angles) by a symmetric stretch.
  const row = (k: number) => ideal.lattice.subarray(3 * k, 3 * k + 3);
  const dot = (u: Float64Array, v: Float64Array) => u[0] * v[0] + u[1] * v[1] + u[2] * v[2];
  assertAlmostEquals(dot(row(0), row(0)), dot(row(1), row(1)), 1e-9);
  for (const [i, j] of [[0, 1], [0, 2], [1, 2]]) assertAlmostEquals(dot(row(i), row(j)), 0, 1e-9);
  // Idempotent: an exact crystal does not move.
  const again = symmetrizeMany([ideal], { symprec: 0.05 })[0];
  assertAllClose(again.frac, ideal.frac, { atol: 1e-12 }, "frac");
  assertAllClose(again.lattice, ideal.lattice, { atol: 1e-12 }, "lattice");
});

Deno.test("spaceGroupSymbol() and spaceGroupOfHall() read the Hall table", () => {
  assertEquals([spaceGroupSymbol(1), spaceGroupSymbol(14), spaceGroupSymbol(194), spaceGroupSymbol(230)], [
    "P1",
    "P2_1/c",
    "P6_3/mmc",
    "Ia-3d",
  ]);
  assertEquals(spaceGroupOfHall(530), {
    number: 230,
    symbol: "Ia-3d",
    hallNumber: 530,
    hallSymbol: "-I 4bd 2c 3",
  });
  const numbers = new Set(Array.from({ length: 530 }, (_, h) => spaceGroupOfHall(h + 1).number));
  assertEquals(numbers.size, 230);
  for (const bad of [0, 231, 1.5, NaN]) assertThrows(() => spaceGroupSymbol(bad), RangeError, /space group/);
  for (const bad of [0, 531, 2.5]) assertThrows(() => spaceGroupOfHall(bad), RangeError, /Hall number/);
});

Deno.test("symmetry functions refuse bad input with GeometryErrors", async (t) => {
  const cases: [string, () => unknown, string, RegExp][] = [
    ["symprec 0", () => spaceGroup(diamond(), { symprec: 0 }), "bad-parameter", /symprec/],
    ["symprec NaN", () => spaceGroupNumberMany([diamond()], { symprec: NaN }), "bad-parameter", /symprec/],
    ["negative symprec", () => symmetrize(diamond(), { symprec: -1 }), "bad-parameter", /symprec/],
    [
      "angle tolerance ≤ 0",
      () => spaceGroup(diamond(), { angleTolerance: -1 }),
      "bad-parameter",
      /angleTolerance/,
    ],
    [
      "angle tolerance 90",
      () => spaceGroupNumberMany([diamond()], { angleTolerance: 90 }),
      "bad-parameter",
      /angleTolerance/,
    ],
    [
      "no atoms",
      () => spaceGroup({ lattice: diamond().lattice, frac: new Float64Array(0), numbers: new Uint8Array(0) }),
      "no-atoms",
      /crystal 0: crystal has no atoms/,
    ],
    [
      "flat lattice",
      () =>
        spaceGroupNumberMany([diamond(), {
          ...diamond(),
          lattice: new Float64Array([1, 0, 0, 0, 1, 0, 1, 1, 0]),
        }]),
      "degenerate-lattice",
      /crystal 1/,
    ],
    [
      "NaN coordinate",
      () => symmetrizeMany([{ ...diamond(), frac: new Float64Array([0, 0, NaN, 0.25, 0.25, 0.25]) }]),
      "non-finite",
      /Cannot symmetrize crystal 0/,
    ],
    [
      "frac of the wrong length",
      () => spaceGroup({ ...diamond(), frac: new Float64Array(5) }),
      "bad-shape",
      /frac/,
    ],
  ];
  for (const [name, fn, kind, re] of cases) {
    await t.step(name, () => {
      const e = assertThrows(fn, GeometryError, re);
      assertEquals(e.kind, kind);
    });
  }
});

Deno.test("spaceGroup() reports two atoms on one site as a search that did not converge", () => {
  const c: Crystal = {
    lattice: new Float64Array([3, 0, 0, 0, 3.3, 0, 0, 0, 3.7]),
    frac: new Float64Array([0, 0, 0, 0, 0, 0]),
    numbers: new Uint8Array([6, 8]),
  };
  const e = assertThrows(() => spaceGroup(c, { symprec: 0.1 }), GeometryError, /space-group search \(moyo: /);
  assertEquals([e.kind, e.index], ["no-convergence", 0]);
});
