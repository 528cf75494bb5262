/**
 * The example check of `deno task ci` (tools/check_examples.ts): it passes on mod.ts and names a
 * function and a method planted without an example, but not an `@internal` method or `dispose`.
 */

import { assertEquals } from "../_assert.ts";
import { checkExamples } from "../../tools/check_examples.ts";

const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

Deno.test("check_examples: every public function of mod.ts has an example", async () => {
  assertEquals(await checkExamples(`${ROOT}/mod.ts`), []);
});

Deno.test("check_examples: names a function and a method without one, skips internal and dispose", async () => {
  const dir = await Deno.makeTempDir({ prefix: "check_examples_" });
  try {
    await Deno.writeTextFile(
      `${dir}/mod.ts`,
      [
        "/**",
        " * Has one.",
        " * @example Two",
        " * ```ts",
        " * one() + 1;",
        " * ```",
        " */",
        "export function one(): number {",
        "  return 1;",
        "}",
        "/** Has none. */",
        "export function bare(): number {",
        "  return 2;",
        "}",
        "/** A class. */",
        "export class Thing {",
        "  /** No example. */",
        "  run(): void {}",
        "  /**",
        "   * Plumbing.",
        "   * @internal",
        "   */",
        "  wire(): void {}",
        "  /** Frees it. */",
        "  dispose(): void {}",
        "}",
        "",
      ].join("\n"),
    );
    const missing = await checkExamples(`${dir}/mod.ts`);
    assertEquals(missing.map((m) => m.split(" ")[0]), ["bare", "Thing.run"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
