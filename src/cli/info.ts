/**
 * `info`: versions of the module and its wasm core, and the WebGPU adapter (or why there is none).
 *
 * @module
 */

import { type Command, UsageError } from "./command.ts";
import denoJson from "../../deno.json" with { type: "json" };
import { wasmCoreVersion } from "../core/lattice.ts";
import { getBackend, isCpuAdapter } from "../compute/backend.ts";
import { CDVAE } from "../model/cdvae.ts";
import { isPresetName, PRESETS } from "../model/config.ts";

/** Parameter counts of a preset (for Perov-5) or of a saved model. */
async function modelCounts(source: string): Promise<{ source: string; parameters: Record<string, number> }> {
  const be = await getBackend({ prefer: "reference" });
  const model = isPresetName(source)
    ? new CDVAE(be, PRESETS[source]("perov_5"))
    : await CDVAE.load(source, { backend: be });
  try {
    return {
      source: isPresetName(source) ? `preset ${source} (perov_5)` : source,
      parameters: model.parameterCounts(),
    };
  } finally {
    model.dispose();
  }
}

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
    cpuDriver: isCpuAdapter(info),
  };
}

export const info: Command = {
  name: "info",
  summary: "Print the module and wasm core versions, the WebGPU adapter and the compute backend",
  usage: "",
  options: {
    json: { type: "boolean", description: "Print the report as JSON" },
    model: {
      type: "string",
      value: "PRESET|DIR",
      description: "Also print the parameter counts of a preset (small, medium, reference) or a model folder",
    },
    backend: {
      type: "string",
      value: "NAME",
      description: "Compute backend to start: webgpu, wasm or reference (default: the fastest here)",
    },
  },
  async run(args) {
    const prefer = args.values.backend;
    if (prefer !== undefined && prefer !== "webgpu" && prefer !== "wasm" && prefer !== "reference") {
      throw new UsageError(`Unknown --backend "${prefer}": expected webgpu, wasm or reference`);
    }
    const adapter = await probeAdapter();
    const backend = await getBackend(prefer ? { prefer } : {});
    const model = args.values.model === undefined ? undefined : await modelCounts(String(args.values.model));
    const report = {
      ...(model ? { model } : {}),
      module: `${denoJson.name}@${denoJson.version}`,
      deno: Deno.version.deno,
      wasmCore: wasmCoreVersion(),
      webgpu: adapter,
      compute: {
        backend: backend.name,
        description: (backend as { description?: string }).description ?? backend.name,
      },
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
    console.log(`compute    ${report.compute.backend}: ${report.compute.description}`);
    if (model) {
      const c = model.parameters;
      console.log(
        `model      ${model.source}: ${c.total.toLocaleString("en")} parameters (encoder ${
          c.encoder.toLocaleString("en")
        }, ` +
          `decoder ${c.decoder.toLocaleString("en")}, heads ${c.heads.toLocaleString("en")})`,
      );
    }
    return 0;
  },
};
