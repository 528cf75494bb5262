/** `render`: pictures of crystal files and folders, and clear errors on bad input. */

import { assert, assertEquals, assertMatch } from "../_assert.ts";
import { parseXml } from "../_xml.ts";
import { main } from "../../src/cli/main.ts";
import { writePoscar } from "../../src/crystal/poscar.ts";
import { writeExtxyz } from "../../src/crystal/extxyz.ts";
import { writeCif } from "../../src/crystal/cif.ts";
import { ROCKSALT, TRICLINIC } from "../viz/_crystals.ts";
import { quiet } from "./_cli.ts";

const atomCircles = (svg: string) =>
  parseXml(svg).filter((e) => e.name === "circle" && e.attrs.class === "atom").length;

async function withTempDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("render: a POSCAR gives one SVG beside it, path printed, 27 atoms of rock salt", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/NaCl.vasp`, writePoscar(ROCKSALT));
    const r = await quiet(() => main(["render", `${dir}/NaCl.vasp`, "--axis", "1,1,0", "--size", "300"]));
    assertEquals(r.value, 0, r.err);
    assertEquals(r.out.trim(), `${dir}/NaCl.svg`);
    const svg = await Deno.readTextFile(`${dir}/NaCl.svg`);
    assertEquals(atomCircles(svg), 27);
    assert(svg.includes("view along [110]"));
  });
});

Deno.test("render: a folder, with a multi-crystal file, into --out", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/in`);
    await Deno.writeTextFile(`${dir}/in/a.cif`, writeCif(ROCKSALT));
    await Deno.writeTextFile(`${dir}/in/b.extxyz`, writeExtxyz([TRICLINIC, ROCKSALT]));
    await Deno.writeTextFile(`${dir}/in/notes.txt`, "not a crystal");
    const r = await quiet(() => main(["render", `${dir}/in`, "--out", `${dir}/pics`, "--axis", "a"]));
    assertEquals(r.value, 0, r.err);
    assertEquals(r.out.trim().split("\n"), [
      `${dir}/pics/a.svg`,
      `${dir}/pics/b_0.svg`,
      `${dir}/pics/b_1.svg`,
    ]);
    assertEquals(atomCircles(await Deno.readTextFile(`${dir}/pics/b_0.svg`)), 5);
    assertEquals(atomCircles(await Deno.readTextFile(`${dir}/pics/b_1.svg`)), 27);
    assertMatch(r.err, /Wrote 3 pictures/);
  });
});

Deno.test("render: bad input is named, with exit 1 (bad data) or 2 (bad usage), and nothing written", async (t) => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/bad.vasp`, "x\n1.0\n1 0 0\n0 1 0\n");
    await Deno.writeTextFile(`${dir}/x.dat`, "?");
    await Deno.writeTextFile(`${dir}/ok.vasp`, writePoscar(ROCKSALT));
    await Deno.mkdir(`${dir}/empty`);
    const cases: [string, string[], number, RegExp][] = [
      ["missing path", [`${dir}/nope.cif`], 1, /Cannot render ".*nope\.cif": no such file or folder/],
      ["malformed file", [`${dir}/bad.vasp`], 1, /bad\.vasp/],
      ["unknown format", [`${dir}/x.dat`], 2, /Cannot tell the format of ".*x\.dat"/],
      ["empty folder", [`${dir}/empty`], 1, /no crystal files in the folder/],
      ["bad axis", [`${dir}/ok.vasp`, "--axis", "d"], 2, /Invalid --axis "d"/],
      ["zero axis", [`${dir}/ok.vasp`, "--axis", "0,0,0"], 2, /Invalid --axis "0,0,0"/],
      ["bad radius scale", [`${dir}/ok.vasp`, "--radius-scale", "0"], 2, /Invalid --radius-scale "0"/],
      ["no input", [], 2, /Give a crystal file or folder/],
    ];
    for (const [name, args, code, message] of cases) {
      await t.step(name, async () => {
        const r = await quiet(() => main(["render", ...args]));
        assertEquals(r.value, code, r.err);
        assertMatch(r.err, message);
      });
    }
    const svgs = [...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".svg"));
    assertEquals(svgs.length, 0);
  });
});
