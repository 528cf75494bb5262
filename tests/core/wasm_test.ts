import { assert, assertEquals, assertMatch, assertThrows } from "../_assert.ts";
import type { Crystal } from "../../src/crystal/crystal.ts";
import { niggliReduce, niggliReduceLatticeMany } from "../../src/core/lattice.ts";
import {
  callCore,
  GeometryError,
  kindOfCode,
  wasmCoreVersion,
  wasmGeneration,
  wasmMemoryBytes,
  wasmReady,
} from "../../src/core/wasm.ts";

const skewed = (): Crystal => ({
  lattice: new Float64Array([3, 0, 0, 3, 3, 0, 1, 2, 4]),
  frac: new Float64Array([0.1, 0.2, 0.3, 0.6, 0.7, 0.8]),
  numbers: new Uint8Array([8, 14]),
});

Deno.test("wasmCoreVersion() is the crate version in wasm/Cargo.toml", async () => {
  const toml = await Deno.readTextFile(new URL("../../wasm/Cargo.toml", import.meta.url));
  const version = /^version = "([^"]+)"/m.exec(toml)?.[1];
  assertEquals(wasmCoreVersion(), version);
});

Deno.test("a wasm trap becomes a GeometryError, and the core keeps working and is replaced", async () => {
  const before = niggliReduce(skewed());
  const generation = wasmGeneration();
  for (const kind of [0, 1]) { // 0: `unreachable`, 1: a Rust panic (panic = "abort")
    const e = assertThrows(
      () => callCore("trap on purpose", (core) => core.trap_for_tests(kind)),
      GeometryError,
      /Cannot trap on purpose: the wasm core trapped \(RuntimeError: unreachable/,
    );
    assertEquals(e.kind, "trap");
    assert(e.cause instanceof WebAssembly.RuntimeError);
    // Calls right after the trap still work (on the old instance until the new one is ready).
    assertEquals(niggliReduce(skewed()).transform, before.transform);
    await wasmReady();
  }
  assert(wasmGeneration() > generation, "the trapped instance was not replaced");
  const after = niggliReduce(skewed());
  assertEquals(after.transform, before.transform);
  assertEquals(after.crystal.frac, before.crystal.frac);
  // A bad-input error is not a trap: no replacement.
  const g = wasmGeneration();
  assertThrows(() => niggliReduceLatticeMany(new Float64Array(9)), GeometryError, /degenerate/);
  await wasmReady();
  assertEquals(wasmGeneration(), g);
});

Deno.test("wasm and JS memory stay flat over 10^6 calls", () => {
  const c = skewed();
  const lattice = c.lattice;
  for (let i = 0; i < 20_000; i++) niggliReduce(c); // warm up: JIT, allocator free lists
  const wasmBefore = wasmMemoryBytes();
  const heapBefore = Deno.memoryUsage().heapUsed;
  const t0 = performance.now();
  for (let i = 0; i < 500_000; i++) niggliReduce(c);
  for (let i = 0; i < 500_000; i++) niggliReduceLatticeMany(lattice);
  const seconds = (performance.now() - t0) / 1000;
  const heapGrowth = Deno.memoryUsage().heapUsed - heapBefore;
  console.log(
    `  10^6 calls in ${seconds.toFixed(1)} s; wasm memory ${wasmBefore} → ${wasmMemoryBytes()} bytes, ` +
      `JS heap +${(heapGrowth / 2 ** 20).toFixed(1)} MiB`,
  );
  assertEquals(wasmMemoryBytes(), wasmBefore);
  assert(heapGrowth < 64 * 2 ** 20, `JS heap grew by ${heapGrowth} bytes`);
});

Deno.test("status codes map to the GeometryError kinds of wasm/src/error.rs", async () => {
  const rust = await Deno.readTextFile(new URL("../../wasm/src/error.rs", import.meta.url));
  // `GeomError::NonFinite { .. } => 1,` → variant name by code, turned into kebab case.
  const variants = [...rust.matchAll(/GeomError::(\w+)(?: \{ \.\. \})? => (\d+),/g)];
  assert(variants.length >= 7, "no codes found in error.rs");
  for (const [, name, code] of variants) {
    const kebab = name.replace(/([a-z])([A-Z])/g, "$1-$2").toLowerCase();
    assertEquals(kindOfCode(Number(code)), kebab as ReturnType<typeof kindOfCode>, `code ${code}`);
  }
});

Deno.test("the core loads relative to its module, whatever the working directory", async () => {
  const url = new URL("../../src/core/lattice.ts", import.meta.url).href;
  const code = `const m = await import(${JSON.stringify(url)}); console.log(m.wasmCoreVersion());`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    cwd: await Deno.makeTempDir(),
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(new TextDecoder().decode(out.stderr), "");
  assertMatch(
    new TextDecoder().decode(out.stdout),
    new RegExp(`^${wasmCoreVersion().replaceAll(".", "\\.")}\n$`),
  );
});
