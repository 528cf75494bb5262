import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { parseXml } from "../_xml.ts";
import { cellAtoms, crystalSvg } from "../../src/viz/crystal_svg.ts";
import { elementColor, elementRadius } from "../../src/viz/element_style.ts";
import { ROCKSALT, TRICLINIC } from "./_crystals.ts";

const atomsOf = (svg: string) => parseXml(svg).filter((e) => e.name === "circle" && e.attrs.class === "atom");

Deno.test("crystalSvg() of rock salt's conventional cell is well-formed XML with 27 atoms", async (t) => {
  for (const axis of ["a", "b", "c", [1, 1, 1], [1, -1, 0], [0.3, 0.2, 1]] as const) {
    await t.step(`axis ${JSON.stringify(axis)}`, () => {
      const svg = crystalSvg(ROCKSALT, { axis });
      const atoms = atomsOf(svg);
      // Na: 8 corners + 6 face centres; Cl: 12 edge centres + 1 body centre.
      assertEquals(atoms.filter((a) => a.attrs["data-element"] === "Na").length, 14);
      assertEquals(atoms.filter((a) => a.attrs["data-element"] === "Cl").length, 13);
    });
  }
});

Deno.test("crystalSvg() draws from back to front (painter's order), fading far atoms", () => {
  // Rock salt down c: the layer c = 0 is 5.64 Å behind the layer c = 1, 9 atoms per layer.
  const atoms = atomsOf(crystalSvg(ROCKSALT, { axis: "c" }));
  const depths = atoms.map((a) => Number(a.attrs["data-depth"]));
  assertEquals(depths, [...Array(9).fill(5.64), ...Array(9).fill(2.82), ...Array(9).fill(0)]);
  // Front atoms use the unfaded gradient, back ones a faded gradient of the same element.
  assert(atoms.slice(18).every((a) => a.attrs.fill.endsWith("_0)")));
  assert(atoms.slice(0, 9).every((a) => !a.attrs.fill.endsWith("_0)")));
  // A skewed cell down a general direction: still never nearer before farther.
  const skew = atomsOf(crystalSvg(TRICLINIC, { axis: [1, 2, 3] })).map((a) => Number(a.attrs["data-depth"]));
  assert(skew.length === 5 && skew.every((d) => d >= 0));
  for (let i = 1; i < skew.length; i++) assert(skew[i] <= skew[i - 1], `atom ${i} drawn out of order`);
});

Deno.test("crystalSvg() sizes and colours atoms by element and has a legend and a formula title", () => {
  const svg = crystalSvg(ROCKSALT);
  const els = parseXml(svg);
  const r = (sym: string) => Number(atomsOf(svg).find((a) => a.attrs["data-element"] === sym)!.attrs.r);
  assert(Math.abs(r("Na") / r("Cl") - elementRadius(11) / elementRadius(17)) < 0.01);
  const stops = els.filter((e) => e.name === "stop").map((e) => e.attrs["stop-color"].toUpperCase());
  assert(stops.includes(elementColor(11)) && stops.includes(elementColor(17)));
  const texts = els.filter((e) => e.name === "text").map((e) => e.text);
  assert(texts.some((s) => s.startsWith("NaCl (Na4Cl4)")), texts.join(" | "));
  const title = (name: string) =>
    parseXml(crystalSvg({ ...ROCKSALT, name })).find((e) => e.name === "text")!.text;
  assertEquals(title("mp-22862"), "mp-22862: NaCl (Na4Cl4)");
  assertEquals(title("Na4Cl4"), "NaCl (Na4Cl4)"); // a formula as the name is not repeated
  assert(texts.includes("Na × 4") && texts.includes("Cl × 4"));
  assert(texts.some((s) => s.includes("view along c")));
  assertEquals(els.filter((e) => e.name === "circle" && e.attrs.class === "legend-swatch").length, 2);
  assertEquals(new Set(els.filter((e) => e.attrs.class === "edge").map((e) => e.attrs.x1)).size > 1, true);
});

Deno.test("cellAtoms() repeats boundary atoms only, wraps coordinates, keeps inner atoms once", () => {
  const atoms = cellAtoms(TRICLINIC);
  const bySite = (s: number) => atoms.filter((a) => a.site === s);
  assertEquals(bySite(0).length, 1); // inside
  assertEquals(bySite(1).length, 2); // 0.9999 is the a = 0 face: drawn at a = 0 and a = 1
  assertEquals(bySite(2).length, 1); // 0.02 is off the face at the default tolerance
  assertEquals(bySite(3).length, 1); // (1.37, −0.25, 0.8) wraps to (0.37, 0.75, 0.8)
  const w = bySite(3)[0].frac;
  assert(Math.abs(w[0] - 0.37) < 1e-12 && Math.abs(w[1] - 0.75) < 1e-12);
  assertEquals(cellAtoms(TRICLINIC, 0.05).filter((a) => a.site === 2).length, 2);
});

Deno.test("crystalSvg() refuses a zero view direction", () => {
  assertThrows(() => crystalSvg(ROCKSALT, { axis: [0, 0, 0] }), RangeError, /view axis "0,0,0"/);
});

Deno.test("elementColor() and elementRadius() fall back for elements without data", () => {
  assertEquals(elementColor(26), "#E06633");
  assertEquals(elementColor(118), "#FF1493");
  assertEquals(elementRadius(118), 1.5);
});

Deno.test("crystalSvg() hides cell edges behind and inside atoms, draws the rest after the atoms they cross", () => {
  const els = parseXml(crystalSvg(ROCKSALT, { axis: "c" }));
  const atoms = els.filter((e) => e.attrs.class === "atom");
  const front = atoms.filter((a) => a.attrs["data-depth"] === "0.000");
  const edges = els.filter((e) => e.attrs.class === "edge");
  assert(edges.length > 0);
  for (const e of edges) {
    const [mx, my] = [(+e.attrs.x1 + +e.attrs.x2) / 2, (+e.attrs.y1 + +e.attrs.y2) / 2];
    // Down c, the edges along c run straight back from the front corners: all hidden by them.
    for (const a of front) assert(Math.hypot(mx - +a.attrs.cx, my - +a.attrs.cy) >= +a.attrs.r - 0.2);
  }
  // The cell outline between the front corner atoms is drawn, and after (over) the back atoms.
  const lastBack = els.lastIndexOf(atoms[8]);
  assert(edges.some((e) => els.indexOf(e) > lastBack));
});

Deno.test("crystalSvg() draws an empty cell as its outline only", () => {
  const empty = {
    lattice: new Float64Array([3, 0, 0, 0, 3, 0, 0, 0, 3]),
    frac: new Float64Array(),
    numbers: new Uint8Array(),
  };
  const els = parseXml(crystalSvg(empty));
  assertEquals(els.filter((e) => e.attrs.class === "atom").length, 0);
  assertEquals(els.filter((e) => e.attrs.class === "edge").length > 0, true);
  assert(els.some((e) => e.text.startsWith("(no atoms)")));
});
