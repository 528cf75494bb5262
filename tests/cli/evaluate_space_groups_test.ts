/**
 * `evaluate` reports symmetry: for a generation folder, the space-group distribution of the valid
 * crystals against the split (metrics.json keys, the Markdown section, space_groups.svg, each valid
 * crystal's number); for a reconstruction folder, the share that keeps the original's group; a bad
 * `--symprec` is a usage error. Against the committed Perov-5 test slice, so a bare clone runs it.
 */

import { assert, assertEquals } from "../_assert.ts";
import type { Crystal } from "../../src/crystal/crystal.ts";
import { writeCif } from "../../src/crystal/cif.ts";
import { main } from "../../src/cli/main.ts";
import { writeCrystals } from "../../src/cli/generate.ts";
import { loadDataset } from "../../src/data/datasets.ts";
import { cli, quiet } from "./_cli.ts";
import { SLICES_DIR } from "../_datasets.ts";

/** CsCl-type NaCl: Pm-3m (221). */
function cscl(): Crystal {
  return {
    lattice: new Float64Array([3.3, 0, 0, 0, 3.3, 0, 0, 0, 3.3]),
    frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0.5]),
    numbers: new Uint8Array([11, 17]),
  };
}

/** Rock salt in its conventional cell: Fm-3m (225). */
function rocksalt(): Crystal {
  const na = [[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]];
  const cl = na.map(([x, y, z]) => [(x + 0.5) % 1, y, z]);
  return {
    lattice: new Float64Array([5.64, 0, 0, 0, 5.64, 0, 0, 0, 5.64]),
    frac: new Float64Array([...na, ...cl].flat()),
    numbers: new Uint8Array([11, 11, 11, 11, 17, 17, 17, 17]),
  };
}

/** NaCl in a triclinic cell with Cl at a general position: P1 (1). */
function triclinic(): Crystal {
  return {
    lattice: new Float64Array([4, 0, 0, 0.7, 4.3, 0, 0.4, 0.9, 4.9]),
    frac: new Float64Array([0, 0, 0, 0.37, 0.21, 0.44]),
    numbers: new Uint8Array([11, 17]),
  };
}

/** Atoms 0.2 Å apart: structurally invalid, so left out of the distribution. */
function crowded(): Crystal {
  return { ...cscl(), frac: new Float64Array([0, 0, 0, 0.06, 0, 0]) };
}

Deno.test("evaluate on a generation folder reports the space-group distribution against the split", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeCrystals([cscl(), rocksalt(), triclinic(), crowded()], `${dir}/gen`, "cif", "gen_");
    const env = { CDVAE_DATA_DIR: SLICES_DIR };
    const out = `${dir}/report`;
    const ev = await cli(
      ["evaluate", `${dir}/gen`, "--dataset", "perov_5", "--property-model", "none", "--out", out],
      { env },
    );
    assertEquals(ev.code, 0, ev.stderr);
    assert(ev.stderr.includes(`${out}/space_groups.svg`), ev.stderr);
    assert(/space groups \(symprec 0\.1 Å, 3 valid crystals\): P1 33\.33 %/.test(ev.stdout), ev.stdout);
    const report = JSON.parse(await Deno.readTextFile(`${out}/metrics.json`));
    const sg = report.metrics.spaceGroups;
    assertEquals(sg.symprec, 0.1);
    assertEquals(sg.generated.count, 3);
    assertEquals(sg.generated.failed, 0);
    assertEquals(sg.generated.p1, 1 / 3);
    assertEquals(sg.generated.orthorhombicOrHigher, 2 / 3);
    const split = await loadDataset("perov_5", "test", { dir: SLICES_DIR });
    assertEquals(sg.reference.count + sg.reference.failed, split.entries.length);
    assert(sg.top.length > 0 && sg.top.length <= 10);
    for (const key of ["number", "symbol", "generated", "reference"]) assert(key in sg.top[0], key);
    assert(sg.wdistSpaceGroup > 0);
    // Shares of the table and the others add up to the whole of each set.
    const sum = (k: "generated" | "reference") =>
      sg.top.reduce((s: number, r: Record<string, number>) => s + r[k], 0) + sg.others[k];
    assert(Math.abs(sum("generated") - 1) < 1e-9 && Math.abs(sum("reference") - 1) < 1e-9);
    assertEquals(report.crystals.map((c: { spaceGroup?: number }) => c.spaceGroup), [221, 225, 1, undefined]);
    const md = await Deno.readTextFile(`${out}/metrics.md`);
    assert(md.includes("## Space groups (symprec 0.1 Å)"), md);
    assert(md.includes("| generated (valid) | 3 | 33.33 | 66.67 | 0 |"), md);
    assert(md.includes("| space group | number | generated (valid) % | perov_5 test % |"), md);
    const svg = await Deno.readTextFile(`${out}/space_groups.svg`);
    assert(svg.startsWith("<svg") && svg.includes('class="tick-x"') && svg.includes('class="tick-y"'));
    assert(svg.includes("generated (valid) (n = 3)") && svg.includes("P1: 33.3 %"), svg);
    for (const row of sg.top) assert(svg.includes(`(${row.number})</text>`), `row ${row.number}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("evaluate on reconstructions reports the share that keeps the original's space group", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // Originals: CsCl-type and rock salt; reconstructions: the first kept, the second lost (P1).
    await Deno.mkdir(`${dir}/orig`);
    await Deno.writeTextFile(`${dir}/orig/a.cif`, writeCif(cscl()));
    await Deno.writeTextFile(`${dir}/orig/b.cif`, writeCif(rocksalt()));
    await writeCrystals([cscl(), triclinic()], `${dir}/rec`, "cif", "rec_", {
      input: await Deno.realPath(`${dir}/orig`),
      ids: ["a.cif", "b.cif"],
    });
    const r = await quiet(() => main(["evaluate", `${dir}/rec`, "--symprec", "0.05"]));
    assertEquals(r.value, 0, r.err);
    assert(r.out.includes("space group kept 50.00 % (symprec 0.05 Å)"), r.out);
    const report = JSON.parse(await Deno.readTextFile(`${dir}/rec/eval/metrics.json`));
    assertEquals(report.metrics.spaceGroupKept, { symprec: 0.05, share: 0.5, pairs: 2, failed: 0 });
    // The second keeps the elements but not the cell's 8 atoms.
    assertEquals(report.metrics.compositionKept, {
      pairs: 2,
      atomCount: 0.5,
      elements: 1,
      composition: 0.5,
      matchGivenComposition: 1,
    });
    assertEquals(report.crystals.map((c: { sameComposition: boolean }) => c.sameComposition), [true, false]);
    assert(r.out.includes("composition kept 50.00 % (match among them 100.00 %)"), r.out);
    assertEquals(
      report.crystals.map((c: Record<string, number>) => [c.spaceGroup, c.originalSpaceGroup]),
      [[221, 221], [1, 225]],
    );
    assert(
      (await Deno.readTextFile(`${dir}/rec/eval/metrics.md`)).includes(
        "Space group kept (symprec 0.05 Å): 50.00 %",
      ),
    );
    for (const bad of ["0", "-0.1", "x"]) {
      const b = await quiet(() => main(["evaluate", `${dir}/rec`, "--symprec", bad]));
      assertEquals(b.value, 2, `--symprec ${bad}: ${b.err}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
