/**
 * wasm/pkg/ as an npm package: `npm pack` makes a tarball that npm installs in an empty folder and
 * Node runs, through `require` and `import` alike (wasm/README.md, "npm package (Node)"). Needs
 * `node` and `npm` on PATH, as CI has them (.ci/run); no network (the package has no dependencies).
 *
 * @module
 */

import { assertEquals } from "../_assert.ts";
import { niggliReduceLatticeMany } from "../../src/core/lattice.ts";

const PKG = new URL("../../wasm/pkg/", import.meta.url);

/** Runs `cmd args` in `cwd`; throws with its output unless it exits 0; returns stdout. */
async function run(cmd: string, args: string[], cwd: string, env: Record<string, string>): Promise<string> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(cmd, { args, cwd, env, stdout: "piped", stderr: "piped" }).output();
  } catch (e) {
    throw new Error(`Cannot run "${cmd}" (is it on PATH? this test needs node and npm)`, { cause: e });
  }
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  if (!out.success) {
    const output = `${text(out.stdout)}\n${text(out.stderr)}`;
    throw new Error(`Cannot run "${cmd} ${args.join(" ")}": exit code ${out.code}\n${output}`);
  }
  return text(out.stdout);
}

/** Two lattices (rows a, b, c in Å): a skewed cell that needs steps, and a reduced cubic one. */
const LATTICES = new Float64Array([3, 0, 0, 3, 3, 0, 1, 2, 4, 5, 0, 0, 0, 5, 0, 0, 0, 5]);

/** What the Node script prints: version, then each call's status, lattices and transforms. */
const SCRIPT = (load: string) =>
  `${load}
const lattices = new Float64Array(${JSON.stringify(Array.from(LATTICES))});
const m = lattices.length / 9;
const outL = new Float64Array(9 * m), outT = new Int32Array(9 * m), status = new Int32Array(m);
const failed = core.niggli_reduce_lattices(lattices, 1e-5, outL, outT, status);
console.log(JSON.stringify({
  version: core.version(), failed, status: [...status], lattices: [...outL], transforms: [...outT],
}));
`;

Deno.test("npm pack of wasm/pkg installs in an empty folder and reduces lattices under Node", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cdvae-npm-" });
  // A private npm cache and no update check: nothing outside the folder is read or written.
  const env = { npm_config_cache: `${dir}/npm-cache`, npm_config_update_notifier: "false" };
  try {
    const packed = JSON.parse(
      await run("npm", ["pack", "--json", "--pack-destination", dir], PKG.pathname, env),
    ) as { filename: string; files: { path: string }[] }[];
    const manifest = JSON.parse(await Deno.readTextFile(new URL("package.json", PKG)));
    assertEquals(packed[0].files.map((f) => f.path).sort(), [...manifest.files, "package.json"].sort());

    const app = `${dir}/app`;
    await Deno.mkdir(app);
    await Deno.writeTextFile(`${app}/package.json`, JSON.stringify({ name: "app", private: true }));
    await run(
      "npm",
      ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", `${dir}/${packed[0].filename}`],
      app,
      env,
    );
    await Deno.writeTextFile(`${app}/via_require.cjs`, SCRIPT(`const core = require("cdvae-wasm");`));
    await Deno.writeTextFile(`${app}/via_import.mjs`, SCRIPT(`import * as core from "cdvae-wasm";`));

    const expected = niggliReduceLatticeMany(LATTICES, { eps: 1e-5 });
    for (const script of ["via_require.cjs", "via_import.mjs"]) {
      const got = JSON.parse(await run("node", [script], app, env));
      assertEquals(got, {
        version: manifest.version,
        failed: 0,
        status: [0, 0],
        lattices: Array.from(expected.lattices),
        transforms: Array.from(expected.transforms),
      }, script);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
