/**
 * The GPU check's report (bench/_gpu_check_report.ts) on a made-up result: ratios, the printed
 * summary, and the JSON file. No GPU needed — the measuring side runs in bench/gpu_check.sh.
 */

import { assert, assertEquals, assertMatch } from "../_assert.ts";
import {
  GPU_CHECK_SCHEMA,
  type GpuCheckReport,
  speedup,
  summariseGpuCheck,
  writeGpuCheck,
} from "../../bench/_gpu_check_report.ts";

function fakeReport(): GpuCheckReport {
  return {
    schema: GPU_CHECK_SCHEMA,
    mode: "full",
    startedAt: "2026-12-07T06:00:00.000Z",
    wallS: 312,
    host: { deno: "2.9.6", os: "linux", arch: "x86_64", cpus: 16, commit: "abc1234" },
    adapter: {
      vendor: "nvidia",
      architecture: "hopper",
      device: "NVIDIA H100 80GB HBM3",
      description: "NVIDIA H100 80GB HBM3",
      isFallbackAdapter: false,
      cpuDriver: false,
      maxBufferSize: 2 ** 40,
      maxStorageBufferBindingSize: 2 ** 31 - 1,
      maxComputeInvocationsPerWorkgroup: 1024,
      features: ["shader-f16", "timestamp-query"],
    },
    matmul: [{ shape: [20000, 128, 128], reps: 4, webgpuGflops: 2000, wasmGflops: 50, webgpuSpeedup: 40 }],
    langevin: {
      preset: "reference",
      batch: 256,
      atoms: 5,
      timedSteps: 5,
      webgpuResident: { backend: "webgpu", firstStepMs: 900, medianStepMs: 40, meanStepMs: 41, finite: true },
      webgpuHost: null,
      wasm: { backend: "wasm", firstStepMs: 3000, medianStepMs: 2600, meanStepMs: 2610, finite: true },
      residentSpeedupOverWasm: speedup(2600, 40),
      residentSpeedupOverHost: null,
    },
    train: null,
    errors: [{ what: "Langevin reference ×256, WebGPU host loop", message: "Device lost" }],
  };
}

Deno.test("speedup() rounds to 3 digits and refuses missing or non-positive figures", () => {
  assertEquals(speedup(2600, 40), 65);
  assertEquals(speedup(1, 3), 0.333);
  assertEquals(speedup(null, 3), null);
  assertEquals(speedup(3, undefined), null);
  assertEquals(speedup(0, 3), null);
  assertEquals(speedup(3, 0), null);
  assertEquals(speedup(NaN, 3), null);
});

Deno.test("summariseGpuCheck() names the adapter, each figure beside wasm's, and what was not measured", () => {
  const text = summariseGpuCheck(fakeReport());
  assertMatch(text, /adapter: NVIDIA H100 80GB HBM3 \(vendor nvidia, architecture hopper, fallback false\)/);
  assertMatch(text, /matmul \[20000×128\]·\[128×128\]: WebGPU 2000\.0 GFLOP\/s, wasm 50\.0 GFLOP\/s \(40×\)/);
  assertMatch(text, /resident 40, WebGPU host loop —, wasm 2600; resident vs wasm 65×, vs host loop —/);
  assertMatch(text, /not measured: Langevin reference ×256, WebGPU host loop: Device lost/);
  assert(!/training step/.test(text), "no training line without a training section");
  const cpu = fakeReport();
  cpu.adapter = { ...cpu.adapter!, description: "llvmpipe (LLVM 15.0.6, 256 bits)", cpuDriver: true };
  assertMatch(summariseGpuCheck(cpu), /llvmpipe .*a CPU driver, not a GPU/);
  cpu.adapter = null;
  assertMatch(summariseGpuCheck(cpu), /adapter: none/);
});

Deno.test("writeGpuCheck() creates the folder and writes the report as JSON, leaving no temporary file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/nested/out/gpu_check.json`;
    const r = fakeReport();
    await writeGpuCheck(path, r);
    r.wallS = 400;
    await writeGpuCheck(path, r);
    assertEquals(JSON.parse(await Deno.readTextFile(path)), r);
    assertEquals([...Deno.readDirSync(`${dir}/nested/out`)].map((e) => e.name), ["gpu_check.json"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
