import { assert, assertEquals, assertMatch } from "../_assert.ts";
import { readCif } from "../../src/crystal/cif.ts";
import { readPoscar } from "../../src/crystal/poscar.ts";
import { dataDirFor } from "../_datasets.ts";
import { cli } from "./_cli.ts";

const NACL_POSCAR = `NaCl
1.0
  5.64 0 0
  0 5.64 0
  0 0 5.64
Na Cl
4 4
Direct
0 0 0
0 0.5 0.5
0.5 0 0.5
0.5 0.5 0
0.5 0 0
0 0.5 0
0 0 0.5
0.5 0.5 0.5
`;

Deno.test("cli: --help lists the commands and exits 0; no command exits 2", async () => {
  const help = await cli(["--help"]);
  assertEquals(help.code, 0);
  assertMatch(help.stdout, /info/);
  assertMatch(help.stdout, /convert/);
  assertEquals((await cli([])).code, 2);
});

Deno.test("cli: every command has --help", async () => {
  for (const c of ["info", "convert"]) {
    const r = await cli([c, "--help"]);
    assertEquals(r.code, 0, c);
    assertMatch(r.stdout, new RegExp(`Usage: deno run -A mod.ts ${c}`));
  }
});

Deno.test("cli: info reports versions and the WebGPU adapter or the reason there is none", async () => {
  const r = await cli(["info", "--json"]);
  assertEquals(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assertMatch(report.module, /^@cdvae\/cdvae@\d+\.\d+\.\d+/);
  assertMatch(report.wasmCore, /^\d+\.\d+\.\d+/);
  assert(
    report.webgpu.available
      ? typeof report.webgpu.description === "string"
      : /install/.test(report.webgpu.reason),
  );
});

Deno.test("cli: unknown flag is a usage error (exit 2)", async () => {
  const r = await cli(["convert", "--nope", "x.cif"]);
  assertEquals(r.code, 2);
  assertMatch(r.stderr, /--nope/);
  assertMatch(r.stderr, /convert --help/);
});

Deno.test("cli: train names the presets when given an unknown one (exit 2)", async () => {
  const r = await cli(["train", "--preset", "huge", "--out", "/nonexistent/run"]);
  assertEquals(r.code, 2);
  assertMatch(r.stderr, /Unknown preset "huge": expected small, medium, reference/);
});

Deno.test("cli: train --fit-scales is for a new run: with --resume it is a usage error (exit 2)", async () => {
  const r = await cli(["train", "--fit-scales", "--resume", "--out", "/nonexistent/run"]);
  assertEquals(r.code, 2);
  assertMatch(r.stderr, /--fit-scales fits a new run's scale factors/);
});

Deno.test("cli: convert POSCAR from stdin to CIF on stdout and back through a file", async () => {
  const r = await cli(["convert", "-", "--from", "poscar", "--to", "cif"], { stdin: NACL_POSCAR });
  assertEquals(r.code, 0, r.stderr);
  const [c] = readCif(r.stdout);
  assertEquals(c.numbers.length, 8);
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/nacl.cif`, r.stdout);
    const back = await cli(["convert", `${dir}/nacl.cif`, `${dir}/POSCAR`]);
    assertEquals(back.code, 0, back.stderr);
    const p = readPoscar(await Deno.readTextFile(`${dir}/POSCAR`));
    assertEquals([...p.numbers].sort(), [11, 11, 11, 11, 17, 17, 17, 17]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: convert names a missing input file and exits 1", async () => {
  const r = await cli(["convert", "/nonexistent/x.cif", "out.cif"]);
  assertEquals(r.code, 1);
  assertMatch(r.stderr, /Cannot read "\/nonexistent\/x\.cif": no such file/);
});

Deno.test("cli: convert reports a malformed input with its name and exits 1", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/bad.vasp`, "x\n1.0\n1 0 0\n0 1 0\n");
    const r = await cli(["convert", `${dir}/bad.vasp`, `${dir}/out.cif`]);
    assertEquals(r.code, 1);
    assertMatch(r.stderr, /bad\.vasp/);
    let exists = true;
    await Deno.stat(`${dir}/out.cif`).catch(() => exists = false);
    assert(!exists, "no output file on failure");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: convert a dataset split into a folder of CIFs", async () => {
  const env = { CDVAE_DATA_DIR: await dataDirFor("perov_5", "test") };
  const dir = await Deno.makeTempDir();
  try {
    const r = await cli(["convert", "dataset:perov_5:test", `${dir}/out/`, "--limit", "5"], { env });
    assertEquals(r.code, 0, r.stderr);
    const files = [...Deno.readDirSync(`${dir}/out`)].map((e) => e.name).sort();
    assertEquals(files.length, 5);
    for (const f of files) {
      assertEquals(readCif(await Deno.readTextFile(`${dir}/out/${f}`))[0].numbers.length, 5);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: a missing dataset names CDVAE_DATA_DIR and exits 1", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const r = await cli(["convert", "dataset:mp_20:train", `${dir}/x/`], { env: { CDVAE_DATA_DIR: dir } });
    assertEquals(r.code, 1);
    assertMatch(r.stderr, /CDVAE_DATA_DIR/);
    assertMatch(r.stderr, /mp_20\/train\.csv/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
