import { assertAllClose, assertEquals, assertThrows } from "../_assert.ts";
import { fromPymatgenDict, toPymatgenDict } from "../../src/crystal/pymatgen_json.ts";
import { CrystalParseError } from "../../src/crystal/errors.ts";
import type { Crystal } from "../../src/crystal/crystal.ts";
import { latticeFromParameters } from "../../src/crystal/lattice.ts";
import { assertCrystalsClose } from "../_arbitrary.ts";

/**
 * pymatgen 2025.10.7: `json.dumps(Structure(Lattice.from_parameters(3, 4, 5, 80, 95, 100),
 * [Species("Fe", 2), "O"], [[0, 0, 0], [0.5, 0.25, 0.125]]).as_dict())`.
 */
const PYMATGEN_FEO =
  `{"@module": "pymatgen.core.structure", "@class": "Structure", "charge": 2.0, "lattice": {"matrix": [[2.988584094275237, 0.0, -0.2614672282429747], [-0.6364769540300975, 3.88747193601135, 0.6945927106677217], [0.0, 0.0, 5.0]], "pbc": [true, true, true], "a": 3.0, "b": 3.9999999999999996, "c": 5.0, "alpha": 80.0, "beta": 95.0, "gamma": 100.0, "volume": 58.09018397452441}, "properties": {}, "sites": [{"species": [{"element": "Fe", "oxidation_state": 2, "spin": null, "occu": 1}], "abc": [0.0, 0.0, 0.0], "properties": {}, "label": "Fe2+", "xyz": [0.0, 0.0, 0.0]}, {"species": [{"element": "O", "occu": 1}], "abc": [0.5, 0.25, 0.125], "properties": {}, "label": "O", "xyz": [1.335172808630094, 0.9718679840028375, 0.6679145635454431]}]}`;

Deno.test("fromPymatgenDict() reads pymatgen's as_dict() output", () => {
  const c = fromPymatgenDict(JSON.parse(PYMATGEN_FEO));
  assertEquals(Array.from(c.numbers), [26, 8]);
  assertAllClose(c.frac, [0, 0, 0, 0.5, 0.25, 0.125], { atol: 0 });
  assertAllClose(
    c.lattice,
    Array.from(latticeFromParameters({ a: 3, b: 4, c: 5, alpha: 80, beta: 95, gamma: 100 })),
    { atol: 1e-12 },
  );
  assertEquals(c.props, undefined);
  assertCrystalsClose(fromPymatgenDict(PYMATGEN_FEO), c, 0, "from a JSON string");
});

Deno.test("fromPymatgenDict() falls back to xyz and keeps numeric properties", () => {
  const d = JSON.parse(PYMATGEN_FEO);
  for (const site of d.sites) delete site.abc;
  d.properties = { energy: -3.25, source: "mp", nested: { x: 1 } };
  const c = fromPymatgenDict(d);
  assertAllClose(c.frac, [0, 0, 0, 0.5, 0.25, 0.125], { atol: 1e-12 });
  assertEquals(c.props, { energy: -3.25 });
});

Deno.test("fromPymatgenDict() names the JSON path of malformed input", async (t) => {
  const base = () => JSON.parse(PYMATGEN_FEO);
  const cases: [string, unknown, string | undefined, RegExp?][] = [
    ["not an object", [1, 2], undefined, /found an array of 2/],
    ["invalid JSON string", "{", undefined, /invalid JSON/],
    ["wrong class", { ...base(), "@class": "Molecule" }, "@class", /"Molecule"/],
    ["no lattice", { ...base(), lattice: undefined }, "lattice", /found nothing/],
    ["no matrix", { ...base(), lattice: { a: 3 } }, "lattice.matrix"],
    [
      "short matrix row",
      { ...base(), lattice: { matrix: [[1, 0, 0], [0, 1], [0, 0, 1]] } },
      "lattice.matrix[1]",
    ],
    [
      "string in matrix",
      { ...base(), lattice: { matrix: [[1, 0, 0], [0, 1, 0], [0, "0", 1]] } },
      "lattice.matrix[2][1]",
    ],
    [
      "degenerate matrix",
      { ...base(), lattice: { matrix: [[1, 0, 0], [0, 1, 0], [1, 1, 0]] } },
      "lattice.matrix",
      /zero/,
    ],
    [
      "not periodic",
      { ...base(), lattice: { matrix: [[1, 0, 0], [0, 1, 0], [0, 0, 1]], pbc: [true, true, false] } },
      "lattice.pbc",
    ],
    ["no sites", { ...base(), sites: undefined }, "sites"],
  ];
  const edit = (label: string, f: (d: ReturnType<typeof base>) => void, field: string, pattern?: RegExp) => {
    const d = base();
    f(d);
    cases.push([label, d, field, pattern]);
  };
  edit("site not an object", (d) => (d.sites[1] = 5), "sites[1]");
  edit("no species", (d) => delete d.sites[1].species, "sites[1].species");
  edit("empty species", (d) => (d.sites[1].species = []), "sites[1].species");
  edit(
    "two species on a site",
    (d) => (d.sites[1].species = [{ element: "O", occu: 0.5 }, { element: "F", occu: 0.5 }]),
    "sites[1].species",
    /site 1 is disordered: 2 species/,
  );
  edit("partial occupancy", (d) => (d.sites[0].species[0].occu = 0.9), "sites[0].species[0].occu", /site 0/);
  edit("occupancy not a number", (d) => (d.sites[0].species[0].occu = "1"), "sites[0].species[0].occu");
  edit("species not an object", (d) => (d.sites[0].species = ["Fe"]), "sites[0].species[0]");
  edit(
    "unknown element",
    (d) => (d.sites[1].species[0].element = "Xx"),
    "sites[1].species[0].element",
    /"Xx"/,
  );
  edit("element missing", (d) => delete d.sites[1].species[0].element, "sites[1].species[0].element");
  edit("short abc", (d) => (d.sites[1].abc = [0.5, 0.25]), "sites[1].abc", /array of 3 numbers/);
  edit("null in abc", (d) => (d.sites[1].abc = [0.5, null, 0.1]), "sites[1].abc[1]", /found null/);
  edit("bad xyz without abc", (d) => {
    delete d.sites[1].abc;
    d.sites[1].xyz = [1, 2];
  }, "sites[1].xyz");
  edit(
    "no coordinates",
    (d) => {
      delete d.sites[1].abc;
      delete d.sites[1].xyz;
    },
    "sites[1]",
    /"abc" or "xyz"/,
  );
  for (const [label, d, field, pattern] of cases) {
    await t.step(label, () => {
      const e = assertThrows(() => fromPymatgenDict(d, { name: "s.json" }), CrystalParseError, pattern);
      assertEquals(e.file, "s.json");
      assertEquals(e.line, undefined);
      assertEquals(e.field, field, e.message);
    });
  }
  const d = base();
  d.sites[0].species[0].occu = 0.9;
  assertThrows(
    () => fromPymatgenDict(d, { name: "s.json" }),
    CrystalParseError,
    'Cannot parse pymatgen JSON "s.json" (sites[0].species[0].occu): site 0 is partially occupied: occupancy number "0.9", expected 1',
  );
});

const CELL: Crystal = {
  lattice: new Float64Array([4, 0, 0, 0.1, 4.2, 0, 0.3, 0.2, 5]),
  frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0.5]),
  numbers: new Uint8Array([55, 17]),
  props: { energy: -1.5 },
  name: "dropped",
};

Deno.test("toPymatgenDict() writes Structure.as_dict() layout", () => {
  const d = toPymatgenDict(CELL);
  assertEquals(Object.keys(d), ["@module", "@class", "charge", "lattice", "properties", "sites"]);
  assertEquals(d["@module"], "pymatgen.core.structure");
  assertEquals(d["@class"], "Structure");
  assertEquals(d.lattice.matrix, [[4, 0, 0], [0.1, 4.2, 0], [0.3, 0.2, 5]]);
  assertEquals(d.lattice.pbc, [true, true, true]);
  assertAllClose([d.lattice.a, d.lattice.b, d.lattice.c, d.lattice.volume], [
    4,
    Math.hypot(0.1, 4.2),
    Math.hypot(0.3, 0.2, 5),
    84,
  ], { atol: 1e-12 });
  assertEquals(d.properties, { energy: -1.5 });
  const { xyz, ...site } = d.sites[1];
  assertEquals(site, {
    species: [{ element: "Cl", occu: 1 }],
    abc: [0.5, 0.5, 0.5],
    label: "Cl",
    properties: {},
  });
  assertAllClose(xyz, [2.2, 2.2, 2.5], { atol: 1e-12 });
  const back = fromPymatgenDict(JSON.parse(JSON.stringify(d)));
  assertCrystalsClose(back, CELL, 0);
  assertEquals(back.props, { energy: -1.5 });
  assertEquals(back.name, undefined);
});

Deno.test("toPymatgenDict() rejects invalid crystals", () => {
  assertThrows(() => toPymatgenDict({ ...CELL, frac: new Float64Array([0, 0, NaN, 0, 0, 0]) }), RangeError);
});
