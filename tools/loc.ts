/**
 * Prints lines of code per folder (tracked source files only), largest first, and the files over
 * 400 lines that STYLE.md asks to split. Usage: `deno run -A tools/loc.ts`
 *
 * @module
 */

const SOURCE = /\.(ts|rs|wgsl|py|sh)$/;
const LIMIT = 400;

const git = new Deno.Command("git", { args: ["ls-files"], stdout: "piped" }).outputSync();
const files = new TextDecoder().decode(git.stdout).split("\n").filter((f) =>
  SOURCE.test(f) && !f.includes("/pkg/")
);

const perFolder = new Map<string, number>();
const large: [string, number][] = [];
let total = 0;
for (const f of files) {
  const n = Deno.readTextFileSync(f).split("\n").length - 1;
  const folder = f.includes("/") ? f.slice(0, f.lastIndexOf("/")) : ".";
  perFolder.set(folder, (perFolder.get(folder) ?? 0) + n);
  if (n > LIMIT && !f.startsWith("tests/")) large.push([f, n]);
  total += n;
}
for (const [folder, n] of [...perFolder].sort((a, b) => b[1] - a[1])) {
  console.log(`${String(n).padStart(7)}  ${folder}`);
}
console.log(`${String(total).padStart(7)}  total (${files.length} files)`);
if (large.length) {
  console.log(`\nSource files over ${LIMIT} lines:`);
  for (const [f, n] of large.sort((a, b) => b[1] - a[1])) console.log(`${String(n).padStart(7)}  ${f}`);
}
