/**
 * The WebGPU backend: one adapter and device per process, created lazily; pooled storage
 * buffers; pipelines cached per device by kernel and specialisation; every dispatch recorded into
 * one command encoder (one compute pass) until a read, a write or `flush` submits it.
 *
 * On machines without a GPU, Mesa's llvmpipe (Vulkan: lavapipe) is the adapter. Uniform
 * parameters of all dispatches in one submission live in one arena buffer at aligned offsets,
 * written just before the submit, so recording never waits on the GPU.
 *
 * @module
 */

import type { Backend, BufferView, DeviceBuffer, DType, HostArray } from "./backend_interface.ts";
import { hostArray } from "./backend_interface.ts";
import { type OpDef, OPS } from "./ops.ts";

/** Thrown when `navigator.gpu` gives no adapter; says what to install. */
export class NoAdapterError extends Error {
  /** Creates the error; `detail` says what was tried. */
  constructor(detail: string) {
    super(
      `Cannot find a WebGPU adapter: ${detail}. On Linux without a GPU install Mesa's software Vulkan ` +
        `driver (Debian/Ubuntu: "apt-get install mesa-vulkan-drivers"), or use getBackend({ prefer: "reference" })`,
    );
    this.name = "NoAdapterError";
  }
}

/** Thrown by every call after the device was lost. */
export class DeviceLostError extends Error {
  /** Creates the error from the loss reason and message. */
  constructor(reason: string, message: string) {
    super(`WebGPU device lost (${reason}): ${message}`);
    this.name = "DeviceLostError";
  }
}

/** Bytes reserved per dispatch in the uniform arena (≥ any `Params` struct, a multiple of 256). */
const UNIFORM_SLOT = 256;
/** Dispatches per submission before the arena is full and the encoder is submitted. */
const ARENA_SLOTS = 1024;
/** Smallest pooled buffer, bytes; sizes are rounded up to a power of two from here. */
const MIN_POOL_BYTES = 256;

interface GpuBuf extends DeviceBuffer {
  gpu: GPUBuffer;
}

function sizeClass(bytes: number): number {
  let s = MIN_POOL_BYTES;
  while (s < bytes) s *= 2;
  return s;
}

/** The WebGPU implementation of {@linkcode Backend}. */
class WebGPUBackend implements Backend {
  readonly name = "webgpu";
  maxBindingBytes: number;
  /** Adapter description, e.g. "llvmpipe (LLVM 15.0.6, 256 bits)". */
  readonly adapterName: string;
  /** The device (one per backend). */
  readonly device: GPUDevice;
  readonly #shaders: Map<string, string>;
  readonly #pipelines = new Map<string, GPUComputePipeline>();
  readonly #compileErrors = new Map<GPUComputePipeline, Promise<GPUError | null>>();
  readonly #pool = new Map<number, GPUBuffer[]>();
  readonly #readPool = new Map<number, GPUBuffer[]>();
  readonly #arena: GPUBuffer;
  readonly #arenaHost = new ArrayBuffer(UNIFORM_SLOT * ARENA_SLOTS);
  readonly #arenaU32 = new Uint32Array(this.#arenaHost);
  readonly #arenaF32 = new Float32Array(this.#arenaHost);
  #slots = 0;
  #encoder: GPUCommandEncoder | undefined;
  #pass: GPUComputePassEncoder | undefined;
  #errors = new Set<Promise<GPUError | null>>();
  #lost: DeviceLostError | undefined;

  constructor(device: GPUDevice, adapterName: string, shaders: Map<string, string>) {
    this.device = device;
    this.adapterName = adapterName;
    this.#shaders = shaders;
    this.maxBindingBytes = device.limits.maxStorageBufferBindingSize;
    this.#arena = device.createBuffer({
      size: UNIFORM_SLOT * ARENA_SLOTS,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    device.lost.then((info) => {
      this.#lost = new DeviceLostError(info.reason ?? "unknown", info.message);
    });
  }

  #check(): void {
    if (this.#lost) throw this.#lost;
  }

  alloc(dtype: DType, length: number): DeviceBuffer {
    this.#check();
    const size = sizeClass(Math.max(1, length) * 4);
    const gpu = this.#pool.get(size)?.pop() ?? this.device.createBuffer({
      size,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    const b: GpuBuf = { dtype, length, gpu };
    return b;
  }

  free(buf: DeviceBuffer): void {
    const { gpu } = buf as GpuBuf;
    const list = this.#pool.get(gpu.size) ?? [];
    list.push(gpu);
    this.#pool.set(gpu.size, list);
  }

  write(buf: DeviceBuffer, data: HostArray): void {
    this.#check();
    if (data.length > buf.length) {
      throw new RangeError(`Cannot write ${data.length} values into ${buf.length}`);
    }
    // Recorded dispatches must see the old contents: submit them before the queue write.
    if (this.#encoder) this.flush();
    this.device.queue.writeBuffer(
      (buf as GpuBuf).gpu,
      0,
      data.buffer as ArrayBuffer,
      data.byteOffset,
      data.byteLength,
    );
  }

  async read(buf: DeviceBuffer): Promise<HostArray> {
    this.#check();
    const bytes = buf.length * 4;
    const size = sizeClass(bytes);
    const staging = this.#readPool.get(size)?.pop() ??
      this.device.createBuffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    this.#ensureEncoder();
    this.#endPass();
    this.#encoder!.copyBufferToBuffer((buf as GpuBuf).gpu, 0, staging, 0, size);
    this.flush();
    await this.#raiseErrors();
    try {
      await staging.mapAsync(GPUMapMode.READ, 0, size);
    } catch (e) {
      this.#check();
      throw e;
    }
    const out = hostArray(buf.dtype, buf.length);
    new Uint8Array(out.buffer).set(new Uint8Array(staging.getMappedRange(0, size), 0, bytes));
    staging.unmap();
    (this.#readPool.get(size) ?? this.#readPool.set(size, []).get(size)!).push(staging);
    return out;
  }

  #ensureEncoder(): void {
    if (!this.#encoder) {
      this.device.pushErrorScope("validation");
      this.#encoder = this.device.createCommandEncoder();
    }
  }

  #endPass(): void {
    this.#pass?.end();
    this.#pass = undefined;
  }

  /**
   * The WGSL of `kernel`: read when the backend started, or, for a kernel registered later, now
   * from its local file (dispatch is synchronous, so a remote shader cannot be fetched here).
   */
  #shaderSource(kernel: OpDef): string {
    const known = this.#shaders.get(kernel.shader);
    if (known !== undefined) return known;
    const url = shaderUrl(kernel.shader);
    if (url.protocol !== "file:") {
      throw new TypeError(
        `Cannot compile kernel "${kernel.name}": its shader "${kernel.shader}" was registered after the ` +
          `WebGPU backend started; import the module that registers it before the first getBackend()`,
      );
    }
    const code = Deno.readTextFileSync(url);
    this.#shaders.set(kernel.shader, code);
    return code;
  }

  #pipeline(kernel: OpDef, consts: Record<string, number>): GPUComputePipeline {
    const key = `${kernel.shader}:${kernel.entry}:${JSON.stringify(consts)}`;
    let p = this.#pipelines.get(key);
    if (p) return p;
    const label = `${kernel.name} (${kernel.shader}:${kernel.entry} ${JSON.stringify(consts)})`;
    let code = this.#shaderSource(kernel);
    for (const [name, v] of Object.entries(consts)) {
      const decl = new RegExp(`^const ${name}: u32 = \\d+u;`, "m");
      if (!decl.test(code)) {
        throw new TypeError(`Cannot specialise ${label}: no "const ${name}: u32" in the shader`);
      }
      code = code.replace(decl, `const ${name}: u32 = ${v >>> 0}u;`);
    }
    this.device.pushErrorScope("validation");
    const module = this.device.createShaderModule({ label, code });
    p = this.device.createComputePipeline({
      label,
      layout: "auto",
      compute: { module, entryPoint: kernel.entry },
    });
    const err = this.device.popErrorScope().then((e) =>
      e && new GPUValidationError(`Shader compilation failed for kernel ${label}: ${e.message}`)
    );
    this.#pipelines.set(key, p);
    this.#compileErrors.set(p, err);
    return p;
  }

  dispatch({ kernel, buffers, params, consts = {}, grid }: Parameters<Backend["dispatch"]>[0]): void {
    this.#check();
    if (grid[1] > 65535) throw new RangeError(`Cannot dispatch "${kernel.name}": grid ${grid} exceeds 65535`);
    if (grid[0] * grid[1] === 0) return;
    if (this.#slots === ARENA_SLOTS) this.flush();
    const pipeline = this.#pipeline(kernel, consts);
    // A broken kernel reports its compile error (with its name) at every use, not just the first.
    this.#errors.add(this.#compileErrors.get(pipeline)!);
    this.#ensureEncoder();
    const slot = this.#slots++;
    kernel.uniforms.forEach((u, i) => {
      const [name, type] = u.split(":");
      const v = params[name];
      if (v === undefined) {
        throw new TypeError(`Cannot dispatch "${kernel.name}": missing parameter "${name}"`);
      }
      const j = (slot * UNIFORM_SLOT) / 4 + i;
      if (type === "f32") this.#arenaF32[j] = v;
      else this.#arenaU32[j] = v >>> 0;
    });
    const entries: GPUBindGroupEntry[] = buffers.map((b, i) => {
      const view = "buffer" in b ? b as BufferView : undefined;
      const gb = (view ? view.buffer : b) as GpuBuf;
      const offset = (view?.offset ?? 0) * 4, size = Math.max(4, (view?.length ?? gb.length) * 4);
      if (size > this.maxBindingBytes) {
        throw new RangeError(
          `Cannot bind ${size} bytes to "${kernel.name}".${
            kernel.bindings[i]
          }: above the binding limit ${this.maxBindingBytes}`,
        );
      }
      return { binding: i, resource: { buffer: gb.gpu, offset, size: Math.min(size, gb.gpu.size - offset) } };
    });
    const ubytes = Math.max(16, Math.ceil((kernel.uniforms.length * 4) / 16) * 16);
    entries.push({
      binding: buffers.length,
      resource: { buffer: this.#arena, offset: slot * UNIFORM_SLOT, size: ubytes },
    });
    const bindGroup = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    this.#pass ??= this.#encoder!.beginComputePass();
    this.#pass.setPipeline(pipeline);
    this.#pass.setBindGroup(0, bindGroup);
    this.#pass.dispatchWorkgroups(grid[0], grid[1]);
  }

  flush(): void {
    if (!this.#encoder) return;
    this.#endPass();
    if (this.#slots > 0) {
      this.device.queue.writeBuffer(this.#arena, 0, this.#arenaHost, 0, this.#slots * UNIFORM_SLOT);
    }
    this.device.queue.submit([this.#encoder.finish()]);
    this.#errors.add(this.device.popErrorScope());
    this.#encoder = undefined;
    this.#slots = 0;
  }

  async #raiseErrors(): Promise<void> {
    const errs = [...this.#errors];
    this.#errors.clear();
    for (const e of await Promise.all(errs)) if (e) throw new Error(e.message);
  }

  async sync(): Promise<void> {
    this.#check();
    this.flush();
    await this.#raiseErrors();
    await this.device.queue.onSubmittedWorkDone();
    this.#check();
  }
}

/** A WebGPU backend: the common interface plus the adapter's name and the device. */
export type WebGPUBackendHandle = Backend & { adapterName: string; device: GPUDevice };

let instance: Promise<WebGPUBackendHandle> | undefined;

/** The default folder of the WGSL files: `shaders/` of this package (relative to this module, so URL imports work). */
const DEFAULT_SHADER_BASE = new URL("../../shaders/", import.meta.url);

/** Where shader file `file` lives. */
function shaderUrl(file: string, base: URL = DEFAULT_SHADER_BASE): URL {
  return new URL(file, base);
}

/** Reads every shader file the registry names now, from `base` (a bundle passes its own). */
async function loadShaders(base: URL = DEFAULT_SHADER_BASE): Promise<Map<string, string>> {
  const files = [...new Set(Object.values(OPS).map((k) => k.shader))];
  const texts = await Promise.all(files.map(async (f) => {
    const res = await fetch(shaderUrl(f, base));
    if (!res.ok) throw new Error(`Cannot load shader "${f}": HTTP ${res.status}`);
    return await res.text();
  }));
  return new Map(files.map((f, i) => [f, texts[i]]));
}

/**
 * Returns the process-wide WebGPU backend, requesting the adapter and device on first use with
 * the adapter's own storage and buffer limits.
 *
 * @returns The backend
 * @throws {NoAdapterError} When no adapter exists (says what to install)
 *
 * @example Upload and read back
 * ```ts ignore
 * import { webgpuBackend } from "./webgpu.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = await webgpuBackend();
 * const b = be.alloc("f32", 2);
 * be.write(b, new Float32Array([1, 2]));
 * assertEquals(await be.read(b), new Float32Array([1, 2]));
 * ```
 */
export function webgpuBackend(): Promise<WebGPUBackendHandle> {
  const p = instance ??= createWebGPUBackend();
  p.catch(() => instance = undefined);
  return p;
}

/**
 * Creates a new, separate WebGPU backend on its own device (tests use it to exercise device
 * loss without touching the shared one); most code wants {@linkcode webgpuBackend}.
 *
 * @param opts `shaderBase`: the folder of the WGSL files (default `shaders/` of this package)
 * @returns The backend and its device
 * @throws {NoAdapterError} When no adapter exists
 *
 * @example A second device
 * ```ts ignore
 * import { createWebGPUBackend } from "./webgpu.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = await createWebGPUBackend();
 * assertEquals(be.name, "webgpu");
 * be.device.destroy();
 * ```
 */
export async function createWebGPUBackend(opts: { shaderBase?: URL } = {}): Promise<WebGPUBackendHandle> {
  if (typeof navigator === "undefined" || !("gpu" in navigator)) {
    throw new NoAdapterError("navigator.gpu is not available in this runtime");
  }
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) throw new NoAdapterError("navigator.gpu.requestAdapter() returned null");
  const l = adapter.limits;
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
    },
  });
  const shaders = await loadShaders(opts.shaderBase);
  return new WebGPUBackend(device, adapter.info?.description || adapter.info?.device || "unknown", shaders);
}
