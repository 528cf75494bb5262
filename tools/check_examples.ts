/**
 * Checks that every public function of a module has an `@example` (which `deno test --doc` runs):
 * each exported function, and each public method of an exported class unless it is `@internal` or
 * only releases resources (`dispose`, `close`, `[Symbol.dispose]`). `deno doc --lint` checks that
 * documentation exists, not that it shows how to call anything; this closes that gap.
 *
 * Usage: `deno run --allow-run --allow-read tools/check_examples.ts [module]` (default `mod.ts`;
 * run by `deno task ci`).
 *
 * @module
 */

/** Methods that need no example: they only release what the object holds. */
const LIFECYCLE = new Set(["dispose", "close", "[Symbol.dispose]"]);

/** The parts of `deno doc --json` output this check reads. */
interface DocTag {
  kind: string;
}
interface DocJs {
  tags?: DocTag[];
}
interface DocMethod {
  name: string;
  kind?: string;
  accessibility?: string;
  jsDoc?: DocJs;
}
interface DocDeclaration {
  kind: string;
  jsDoc?: DocJs;
  location: { filename: string; line: number };
  def?: { methods?: DocMethod[] };
}
interface DocSymbol {
  name: string;
  declarations: DocDeclaration[];
}

const tagged = (js: DocJs | undefined, ...kinds: string[]) =>
  (js?.tags ?? []).some((t) => kinds.includes(t.kind));

/**
 * The public functions and methods without an `@example`, as `name (file:line)`.
 *
 * @param doc Parsed `deno doc --json <module>` output
 * @param module The module's URL as the output keys it (`file:///…/mod.ts`)
 * @returns One line per missing example, in export order
 */
export function missingExamples(doc: unknown, module: string): string[] {
  const nodes = (doc as { nodes: Record<string, { symbols?: DocSymbol[] }> }).nodes;
  const symbols = nodes[module]?.symbols;
  if (!symbols) throw new Error(`Cannot check examples: "${module}" is not in the doc output`);
  const out: string[] = [];
  for (const s of symbols) {
    for (const d of s.declarations) {
      const where = `${d.location.filename.replace(/^file:\/\//, "")}:${d.location.line}`;
      if (d.kind === "function" && !tagged(d.jsDoc, "example")) out.push(`${s.name} (${where})`);
      if (d.kind !== "class") continue;
      for (const m of d.def?.methods ?? []) {
        if (m.accessibility === "private" || m.accessibility === "protected") continue;
        if (m.kind === "getter" || m.kind === "setter" || LIFECYCLE.has(m.name)) continue;
        if (tagged(m.jsDoc, "internal", "ignore") || tagged(m.jsDoc, "example")) continue;
        out.push(`${s.name}.${m.name} (${where})`);
      }
    }
  }
  return out;
}

/**
 * Runs `deno doc --json` on a module and returns its functions without an example.
 *
 * @param path Path of the module
 * @returns As {@linkcode missingExamples}
 */
export async function checkExamples(path: string): Promise<string[]> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", path],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(`Cannot read the docs of "${path}": ${new TextDecoder().decode(stderr).trim()}`);
  }
  const url = new URL(path, `file://${Deno.cwd()}/`).href;
  return missingExamples(JSON.parse(new TextDecoder().decode(stdout)), url);
}

if (import.meta.main) {
  const path = Deno.args[0] ?? "mod.ts";
  const missing = await checkExamples(path);
  if (missing.length) {
    console.error(`${missing.length} public functions of ${path} have no @example:`);
    for (const m of missing) console.error(`  ${m}`);
    Deno.exit(1);
  }
  console.log(`Examples: every public function of ${path} has one`);
}
