/**
 * `info`: versions of the module and its wasm core, and the WebGPU adapter (or why there is none).
 *
 * @module
 */

import type { Command } from "./command.ts";
import denoJson from "../../deno.json" with { type: "json" };
import { wasmCoreVersion } from "../core/lattice.ts";

/** What `info` reports about WebGPU. */
export interface AdapterReport {
  available: boolean;
  description?: string;
  vendor?: string;
  /** True for CPU drivers (llvmpipe, lavapipe, SwiftShader) and fallback adapters. */
  cpuDriver?: boolean;
  /** Why no adapter is available and what to install. */
  reason?: string;
}

const CPU_DRIVERS = /llvmpipe|lavapipe|swiftshader/i;

/** Asks the runtime for a WebGPU adapter and describes it. */
export async function probeAdapter(): Promise<AdapterReport> {
  const gpu = (globalThis.navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) {
    return {
      available: false,
      reason: "This Deno build has no navigator.gpu (WebGPU); use Deno ≥ 2 on Linux, macOS or Windows",
    };
  }
  let adapter: GPUAdapter | null = null;
  try {
    adapter = await gpu.requestAdapter();
  } catch (e) {
    return { available: false, reason: `requestAdapter() failed: ${(e as Error).message}` };
  }
  if (!adapter) {
    return {
      available: false,
      reason: "No WebGPU adapter found. Install a Vulkan driver: on Debian/Ubuntu without a GPU, " +
        "`apt-get install mesa-vulkan-drivers` gives the CPU adapter llvmpipe; with a GPU, its vendor's Vulkan driver",
    };
  }
  const info = adapter.info;
  const description = info.description || info.device || info.architecture || "unknown adapter";
  return {
    available: true,
    description,
    vendor: info.vendor,
    cpuDriver: CPU_DRIVERS.test(description) ||
      (info as { isFallbackAdapter?: boolean }).isFallbackAdapter === true,
  };
}

export const info: Command = {
  name: "info",
  summary: "Print the module version, the wasm core version and the WebGPU adapter",
  usage: "",
  options: {
    json: { type: "boolean", description: "Print the report as JSON" },
  },
  async run(args) {
    const adapter = await probeAdapter();
    const report = {
      module: `${denoJson.name}@${denoJson.version}`,
      deno: Deno.version.deno,
      wasmCore: wasmCoreVersion(),
      webgpu: adapter,
    };
    if (args.values.json) {
      console.log(JSON.stringify(report, null, 2));
      return 0;
    }
    console.log(`cdvae      ${report.module} (Deno ${report.deno})`);
    console.log(`wasm core  ${report.wasmCore}`);
    if (adapter.available) {
      const kind = adapter.cpuDriver ? " — a CPU driver, not a GPU" : "";
      console.log(`WebGPU     ${adapter.description}${kind}`);
    } else {
      console.log(`WebGPU     none: ${adapter.reason}`);
    }
    return 0;
  },
};
