/**
 * The import check of `deno task ci` (tools/check_imports.ts): it passes on this repository and
 * fails, naming the offending import, on a cycle and on a layer-order violation planted in a
 * scratch tree.
 */

import { assert, assertEquals } from "../_assert.ts";
import { checkImports, importsOf, stripComments } from "../../tools/check_imports.ts";

const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

/** Writes `files` (path → source) under a new temporary folder and returns it. */
async function scratchTree(files: Record<string, string>): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "check_imports_" });
  for (const [path, text] of Object.entries(files)) {
    await Deno.mkdir(`${root}/${path.slice(0, path.lastIndexOf("/"))}`, { recursive: true });
    await Deno.writeTextFile(`${root}/${path}`, text);
  }
  return root;
}

Deno.test("check_imports: this repository has no import cycle and follows the layer order", async () => {
  assertEquals(await checkImports(ROOT), []);
});

Deno.test("check_imports: a planted cycle fails, naming every import on it", async () => {
  const root = await scratchTree({
    "src/compute/a.ts": 'import { b } from "./b.ts";\nexport const a = () => b;\n',
    "src/compute/b.ts":
      '// the import that closes the cycle:\nimport { c } from "./c.ts";\nexport const b = c;\n',
    "src/compute/c.ts": 'export { a as c } from "./a.ts";\n',
    "src/compute/d.ts": 'import { a } from "./a.ts";\nexport const d = a;\n',
  });
  try {
    const problems = await checkImports(root);
    assertEquals(problems.length, 1, problems.join("\n"));
    const [cycle] = problems;
    assert(cycle.startsWith("import cycle between 3 files"), cycle);
    assert(cycle.includes('src/compute/a.ts:1 imports "./b.ts"'), cycle);
    assert(cycle.includes('src/compute/b.ts:2 imports "./c.ts"'), cycle);
    assert(cycle.includes('src/compute/c.ts:1 imports "./a.ts"'), cycle);
    assert(!cycle.includes("d.ts"), cycle);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("check_imports: an import against the layer order fails, naming it", async () => {
  const root = await scratchTree({
    "src/crystal/crystal.ts": "export type Crystal = { n: number };\n",
    "src/nn/layer.ts": "export const layer = 1;\n",
    "src/compute/op.ts":
      '\n\nimport type { Crystal } from "../crystal/crystal.ts";\nexport type C = Crystal;\n',
    "src/core/geo.ts": 'export const geo = () => import("../nn/layer.ts");\n',
    "src/model/ok.ts": 'import { layer } from "../nn/layer.ts";\nexport const ok = layer;\n',
  });
  try {
    const problems = await checkImports(root);
    assertEquals(problems, [
      'src/compute/op.ts:3 imports "../crystal/crystal.ts": layer "compute" may not import "crystal" ' +
      "(allowed: nothing outside itself)",
      'src/core/geo.ts:1 imports "../nn/layer.ts": layer "core" may not import "nn" (allowed: crystal)',
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("check_imports: a folder without a place in the layer order fails", async () => {
  const root = await scratchTree({
    "src/crystal/crystal.ts": "export const x = 1;\n",
    "src/extra/thing.ts": 'import { x } from "../crystal/crystal.ts";\nexport const y = x;\n',
  });
  try {
    const problems = await checkImports(root);
    assertEquals(problems.length, 1);
    assert(problems[0].includes('folder "src/extra" has no place in the layer order'), problems[0]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("check_imports: a test importing node:assert itself fails, naming the file and line", async () => {
  const root = await scratchTree({
    "src/crystal/a.ts": "export const a = 1;\n",
    "tests/_assert.ts": 'import nodeAssert from "node:assert";\nexport const ok = nodeAssert.ok;\n',
    "tests/crystal/a_test.ts": '// assertions:\nimport assert from "node:assert";\nassert.ok(true);\n',
    "tests/crystal/b_test.ts": '// import assert from "node:assert" in a comment does not count\n',
  });
  try {
    assertEquals(await checkImports(root), [
      'tests/crystal/a_test.ts:2 imports "node:assert": take assertions from tests/_assert.ts',
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("check_imports: imports in comments and strings do not count; type-only ones skip the cycle check", () => {
  const src = [
    "/**",
    ' * import { x } from "../model/doc_example.ts";',
    " */",
    '// import { y } from "../model/commented.ts";',
    "const s = \"import z from '../model/in_a_string.ts'\";",
    'import type { T } from "./types.ts";',
    "import {",
    "  a,",
    '} from "./a.ts";',
    'const later = await import("./lazy.ts");',
  ].join("\n");
  assert(!stripComments(src).includes("doc_example"));
  const edges = importsOf("src/nn/x.ts", src);
  assertEquals(edges.map((e) => [e.line, e.to, e.typeOnly]), [
    [6, "src/nn/types.ts", true],
    [7, "src/nn/a.ts", false],
    [10, "src/nn/lazy.ts", false],
  ]);
});

Deno.test("check_imports: the CLI exits 1 and prints the offending import", async () => {
  const root = await scratchTree({
    "src/nn/a.ts": 'import { b } from "./b.ts";\nexport const a = 1 + b;\n',
    "src/nn/b.ts": 'import { a } from "./a.ts";\nexport const b = () => a;\n',
  });
  try {
    const script = new URL("../../tools/check_imports.ts", import.meta.url).pathname;
    const run = await new Deno.Command(Deno.execPath(), {
      args: ["run", `--allow-read=${root}`, script, root],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(run.stderr);
    assertEquals(run.code, 1, stderr);
    assert(stderr.includes('src/nn/a.ts:1 imports "./b.ts"'), stderr);
    assert(stderr.includes('src/nn/b.ts:1 imports "./a.ts"'), stderr);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
