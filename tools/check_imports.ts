/**
 * Checks the import graph of `mod.ts` and `src/`: it fails on any import cycle between source files
 * and on any import against the layer order of DESIGN.md, naming the offending import (file, line,
 * specifier). Imports are static ones, `export … from` and dynamic `import("…")` with a literal
 * specifier; imports inside comments (doc examples) do not count. For the layer order every import
 * counts, `import type` included (a type is knowledge of the layer that defines it). For cycles a
 * statement that imports only types (`import type`, `export type`) does not: it is erased before
 * the code runs, so it cannot make two modules wait on each other's evaluation.
 *
 * Tests keep one assertion style: only `tests/_assert.ts` imports `node:assert`; every other test file
 * takes its assertions (and the one array-closeness check) from there.
 *
 * Usage: `deno run --allow-read tools/check_imports.ts [repository root]` (run by `deno task ci`).
 *
 * @module
 */

/**
 * The layer order: for each folder of `src/`, the folders its files may import (besides their own).
 * DESIGN.md: cli → train/eval → model → nn → compute; model/data/eval → core → crystal; compute
 * knows nothing of crystals or models, crystal imports nothing of ours. A folder missing here is an
 * error, so a new one gets its place deliberately.
 */
export const LAYERS: Readonly<Record<string, readonly string[]>> = {
  crystal: [],
  core: ["crystal"],
  viz: ["crystal"],
  compute: [],
  nn: ["compute"],
  data: ["core", "crystal"],
  model: ["nn", "compute", "data", "core", "crystal"],
  eval: ["model", "nn", "compute", "data", "core", "crystal", "viz"],
  train: ["model", "nn", "compute", "data", "core", "crystal", "viz"],
  cli: ["train", "eval", "model", "nn", "compute", "data", "core", "crystal", "viz"],
};

/** One import of one source file. */
export interface ImportEdge {
  /** Importing file, relative to the root, `/`-separated. */
  from: string;
  /** 1-based line of the import. */
  line: number;
  /** The specifier as written. */
  specifier: string;
  /** Imported file, relative to the root (only for relative specifiers). */
  to: string;
  /** Whether the statement imports types only (`import type`, `export type … from`). */
  typeOnly: boolean;
}

/**
 * Replaces comments (and, with `blankStrings`, the contents of string literals) by spaces, keeping
 * newlines, so offsets and line numbers stay those of the source.
 *
 * @param src TypeScript source
 * @param blankStrings Whether to blank string contents too (quotes stay)
 * @returns The source with comments blanked
 */
export function stripComments(src: string, blankStrings = false): string {
  const out = src.split("");
  const blank = (from: number, to: number) => {
    for (let j = from; j < to; j++) if (src[j] !== "\n") out[j] = " ";
  };
  let i = 0;
  while (i < src.length) {
    const c = src[i], next = src[i + 1];
    if (c === "/" && next === "/") {
      const end = src.indexOf("\n", i);
      const stop = end < 0 ? src.length : end;
      blank(i, stop);
      i = stop;
    } else if (c === "/" && next === "*") {
      const end = src.indexOf("*/", i + 2);
      const stop = end < 0 ? src.length : end + 2;
      blank(i, stop);
      i = stop;
    } else if (c === '"' || c === "'" || c === "`") {
      const start = ++i;
      while (i < src.length && src[i] !== c) i += src[i] === "\\" ? 2 : 1;
      if (blankStrings) blank(start, Math.min(i, src.length));
      i++;
    } else {
      i++;
    }
  }
  return out.join("");
}

const IMPORT_PATTERNS = [
  // import x from "…", import type { … } from "…", export { … } from "…", export * from "…"
  /\b(?:import|export)\b[^;"'`]*?\bfrom\s*(["'])([^"']+)\1/g,
  // import "…" (side effects only)
  /\bimport\s*(["'])([^"']+)\1/g,
  // import("…")
  /\bimport\s*\(\s*(["'])([^"']+)\1\s*\)/g,
];

/** Joins and normalises a relative specifier against the importing file's folder. */
function resolve(from: string, specifier: string): string {
  const parts = from.split("/").slice(0, -1);
  for (const p of specifier.split("/")) {
    if (p === "..") parts.pop();
    else if (p !== ".") parts.push(p);
  }
  return parts.join("/");
}

/**
 * The relative imports of one file.
 *
 * @param from The file's path relative to the root
 * @param text Its source
 * @returns Its imports, in source order
 */
export function importsOf(from: string, text: string): ImportEdge[] {
  const code = stripComments(text);
  // The same with string contents blanked: a match that starts inside a string is no import.
  const skeleton = stripComments(text, true);
  const found = new Map<number, ImportEdge>();
  for (const re of IMPORT_PATTERNS) {
    for (const m of code.matchAll(re)) {
      if (skeleton[m.index!] !== code[m.index!]) continue;
      const specifier = m[2];
      if (!specifier.startsWith("./") && !specifier.startsWith("../")) continue;
      const at = m.index! + m[0].lastIndexOf(specifier);
      const line = code.slice(0, m.index!).split("\n").length;
      const typeOnly = /^(?:import|export)\s+type\b/.test(m[0]);
      found.set(at, { from, line, specifier, to: resolve(from, specifier), typeOnly });
    }
  }
  return [...found.entries()].sort((a, b) => a[0] - b[0]).map(([, e]) => e);
}

/** The layer of a file: its folder under `src/`, `"mod"` for the entry point, else undefined. */
export function layerOf(path: string): string | undefined {
  if (path === "mod.ts") return "mod";
  const m = /^src\/([^/]+)\//.exec(path);
  return m?.[1];
}

/** Describes an edge for messages: `src/a/x.ts:12 imports "../b/y.ts"`. */
function describe(e: ImportEdge): string {
  return `${e.from}:${e.line} imports "${e.specifier}"`;
}

/**
 * Imports against the layer order (and files in folders the order does not know).
 *
 * @param edges Every import of the checked files
 * @returns One message per offending import
 */
export function layerViolations(edges: readonly ImportEdge[]): string[] {
  const problems: string[] = [];
  for (const e of edges) {
    const from = layerOf(e.from), to = layerOf(e.to);
    if (from === undefined || to === undefined || from === "mod" || from === to) continue;
    if (!(from in LAYERS)) {
      problems.push(`${describe(e)}: folder "src/${from}" has no place in the layer order (LAYERS)`);
    } else if (to === "mod") {
      problems.push(`${describe(e)}: nothing in src/ may import mod.ts`);
    } else if (!LAYERS[from].includes(to)) {
      problems.push(
        `${describe(e)}: layer "${from}" may not import "${to}" ` +
          `(allowed: ${LAYERS[from].join(", ") || "nothing outside itself"})`,
      );
    }
  }
  return problems;
}

/**
 * Import cycles between files (Tarjan's strongly connected components), each reported with the
 * imports that close it. Type-only imports are left out (see the module comment).
 *
 * @param edges Every import of the checked files
 * @returns One message per cycle, naming each import on it
 */
export function importCycles(edges: readonly ImportEdge[]): string[] {
  const out = new Map<string, ImportEdge[]>();
  for (const e of edges) {
    if (e.typeOnly) continue;
    if (!out.has(e.from)) out.set(e.from, []);
    out.get(e.from)!.push(e);
  }
  const index = new Map<string, number>(), low = new Map<string, number>();
  const stack: string[] = [], onStack = new Set<string>();
  const components: string[][] = [];
  let counter = 0;
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const e of out.get(v) ?? []) {
      if (!index.has(e.to)) {
        visit(e.to);
        low.set(v, Math.min(low.get(v)!, low.get(e.to)!));
      } else if (onStack.has(e.to)) {
        low.set(v, Math.min(low.get(v)!, index.get(e.to)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      const selfLoop = (out.get(v) ?? []).some((e) => e.to === v);
      if (comp.length > 1 || selfLoop) components.push(comp.sort());
    }
  };
  for (const v of [...out.keys()].sort()) if (!index.has(v)) visit(v);
  return components.map((comp) => {
    const members = new Set(comp);
    const inside = comp.flatMap((f) => (out.get(f) ?? []).filter((e) => members.has(e.to)));
    return `import cycle between ${comp.length} files (${comp.join(", ")}):\n` +
      inside.map((e) => `    ${describe(e)}`).join("\n");
  });
}

/** The files checked under `root`: `mod.ts` and every `.ts` file below `src/`, sorted. */
export async function sourceFiles(root: string): Promise<string[]> {
  const files: string[] = [];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(`${root}/${dir}`)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (entry.isFile && path.endsWith(".ts")) files.push(path);
    }
  };
  await walk("src");
  try {
    await Deno.stat(`${root}/mod.ts`);
    files.push("mod.ts");
  } catch {
    // A tree without an entry point (the checker's own tests) is checked as it is.
  }
  return files.sort();
}

/** The one module tests take their assertions from. */
export const ASSERTIONS_MODULE = "tests/_assert.ts";

/**
 * Test files that import `node:assert` themselves instead of {@linkcode ASSERTIONS_MODULE}.
 *
 * @param root Repository root (a tree without `tests/` has none)
 * @returns One line per such import: file, line and the module to use instead
 */
export async function assertionStyleViolations(root: string): Promise<string[]> {
  const problems: string[] = [];
  const walk = async (dir: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(`${root}/${dir}`));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return;
      throw e;
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory && entry.name !== "fixtures") await walk(path);
      else if (entry.isFile && path.endsWith(".ts") && path !== ASSERTIONS_MODULE) {
        const text = await Deno.readTextFile(`${root}/${path}`);
        const code = stripComments(text), skeleton = stripComments(text, true);
        for (const re of IMPORT_PATTERNS) {
          for (const m of code.matchAll(re)) {
            if (skeleton[m.index!] !== code[m.index!] || !/^node:assert(\/strict)?$/.test(m[2])) continue;
            const line = code.slice(0, m.index!).split("\n").length;
            problems.push(`${path}:${line} imports "${m[2]}": take assertions from ${ASSERTIONS_MODULE}`);
          }
        }
      }
    }
  };
  await walk("tests");
  return problems;
}

/**
 * Checks the tree under `root`.
 *
 * @param root Repository root
 * @returns Every problem found (empty when the graph is acyclic, follows the layer order and tests
 *   take their assertions from one module)
 */
export async function checkImports(root: string): Promise<string[]> {
  const edges: ImportEdge[] = [];
  for (const f of await sourceFiles(root)) {
    edges.push(...importsOf(f, await Deno.readTextFile(`${root}/${f}`)));
  }
  return [...importCycles(edges), ...layerViolations(edges), ...await assertionStyleViolations(root)];
}

if (import.meta.main) {
  const root = Deno.args[0] ?? new URL("..", import.meta.url).pathname;
  const problems = await checkImports(root.replace(/\/$/, ""));
  if (problems.length > 0) {
    console.error(problems.join("\n"));
    console.error(`\n${problems.length} import problem(s); see tools/check_imports.ts for the layer order`);
    Deno.exit(1);
  }
  console.log("Imports: no cycles, layer order respected, one assertion module in tests");
}
