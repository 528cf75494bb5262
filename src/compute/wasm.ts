/**
 * The wasm-SIMD backend: the kernels of `wasm/kernels/` (Rust, SIMD128 + relaxed SIMD) run on the
 * CPU, with every tensor resident in the module's own linear memory. `alloc`/`free` go to the
 * module's allocator (exports `cdvae_alloc`/`cdvae_free`), `write`/`read` copy typed arrays in
 * and out, and `dispatch` calls the kernel's export `k_<entry>` at once with the buffers'
 * addresses, the uniforms and the constants in registry order (see wasm/kernels/src/lib.rs).
 * Work runs synchronously, so `flush` and `sync` have nothing to do. Kernels the registry marks
 * `wasmUsesReference` (no Rust port yet: the decoder graph) run their plain-TS reference on views
 * of the linear memory instead.
 *
 * Two threads (the default on machines with two or more cores): the threaded build of the same
 * kernels (`cdvae_kernels_mt.wasm`, shared memory) runs on this thread and on one helper thread
 * (`_wasm_worker.ts`). The parallel kernels (matmuls, bmm, gathers, segment sums, elementwise ops:
 * {@linkcode PARALLEL}) cut their work into items fixed by the shapes — chunks of rows (and groups
 * of column panels when rows are few), element ranges, slices of k — and both threads take items
 * from one counter in the shared memory until none is left (wasm/kernels/src/par.rs): a thread
 * slowed by a busy core just takes fewer. Large calls are offered to the helper; this thread runs
 * the call too and blocks (`Atomics.wait`) only if the helper took it and is still busy
 * (`_wasm_ctrl.ts`). An item computes the same bits whichever thread runs it, so results are
 * bit-identical to one thread. aᵀ·b over a long k (`matmul_tn`) is cut into slices of k set by
 * the shapes alone, summed into scratch blocks and added in order, on one thread as on two.
 *
 * Memory: the threaded build's shared memory may grow to 4 GiB; `memoryStats` reports live and peak
 * buffer bytes and the size of linear memory.
 *
 * This is the fast path on machines whose only WebGPU adapter is a CPU driver (llvmpipe,
 * lavapipe, SwiftShader) or that have none.
 *
 * @module
 */

import {
  type Backend,
  type BufferView,
  type DeviceBuffer,
  type Dispatch,
  type DType,
  type HostArray,
  hostArray,
  type KernelDef,
} from "./backend_interface.ts";
import { ARG_SLOTS, CTRL, CTRL_SLOTS, SEQ_MAX } from "./_wasm_ctrl.ts";

/** The kernel module, relative to this file (so a URL import of the package works). */
const KERNELS_URL = new URL("../../wasm/kernels/pkg/cdvae_kernels.wasm", import.meta.url);
/** Its threaded build (imports a shared memory). */
const KERNELS_MT_URL = new URL("../../wasm/kernels/pkg/cdvae_kernels_mt.wasm", import.meta.url);
/** The helper thread's module. */
const WORKER_URL = new URL("./_wasm_worker.ts", import.meta.url);
/**
 * Initial and largest size of the shared memory, in 64 KiB pages (the build's --max-memory: 4 GiB,
 * all a wasm32 address reaches; V8 reserves the address space of a shared memory's maximum up front,
 * which a 64-bit process has plenty of).
 */
const MT_PAGES = { initial: 64, maximum: 65536 };
/** Shadow stack of the helper thread, bytes. */
const WORKER_STACK_BYTES = 1 << 20;
/** How long to wait for the helper thread to start before giving up on threads, ms. */
const WORKER_START_MS = 10_000;
/** Smallest work (flops for matmuls, elements otherwise) worth offering to the helper thread. */
const SPLIT_MIN = { matmul: 1 << 20, rows: 1 << 15 };
/** The kernel ABI this wrapper speaks (`cdvae_kernels_abi()` in wasm/kernels/src/lib.rs). */
const KERNELS_ABI = 3;
/** Largest buffer the backend hands out: wasm32 addresses 4 GiB, of which half is a safe bound. */
const MAX_BUFFER_BYTES = 2 ** 31 - 4;

interface WasmBuf extends DeviceBuffer {
  /** Byte address in linear memory. */
  ptr: number;
  /** Bytes allocated (passed back to `cdvae_free`). */
  bytes: number;
  /** Set by `free`; a freed buffer must not be used again. */
  freed?: boolean;
}

interface KernelExports {
  memory?: WebAssembly.Memory;
  cdvae_alloc(bytes: number): number;
  cdvae_free(ptr: number, bytes: number): void;
  cdvae_kernels_abi(): number;
  /** Starts a call of a parallel export (wasm/kernels/src/par.rs). */
  cdvae_par_reset(): void;
  [name: string]: unknown;
}

/** How one registry kernel is called: its export and the parameter order. */
interface Call {
  fn: (...args: number[]) => void;
  /** Its name, and whether it is one of the {@linkcode PARALLEL} exports. */
  name: string;
  parallel: boolean;
  uniforms: string[];
  consts: readonly string[];
}

/**
 * The parallel kernel exports (wasm/kernels/src/par.rs): each cuts its work into items that the
 * threads running a call claim from a shared counter. Here, for each, whether a call is large
 * enough to wake the helper thread, from its arguments (flops for matmuls, elements otherwise).
 */
const PARALLEL: Record<string, (a: number[]) => boolean> = {
  // a b bias out pre | m n k
  k_matmul: (a) => 2 * a[5] * a[6] * a[7] >= SPLIT_MIN.matmul,
  k_matmul_naive: (a) => 2 * a[5] * a[6] * a[7] >= SPLIT_MIN.matmul,
  // a b out | m n k
  k_matmul_nt: (a) => 2 * a[3] * a[4] * a[5] >= SPLIT_MIN.matmul,
  // a b out | m n k acc: one work item (`#matmulTN` calls k_matmul_tn_parts for a long k instead)
  k_matmul_tn: () => false,
  // a b out scratch | m n k acc ks: called by `#matmulTN` only when there are several slices
  k_matmul_tn_parts: () => true,
  // out scratch | len parts
  k_add_parts: (a) => a[2] * a[3] >= SPLIT_MIN.rows,
  // a b out | r m n k
  k_bmm: (a) => 2 * a[3] * a[4] * a[5] * a[6] >= SPLIT_MIN.matmul,
  // x idx out | r c; x rowptr perm out | r c
  k_gather_rows: (a) => a[3] * a[4] >= SPLIT_MIN.rows,
  k_segment_sum: (a) => a[4] * a[5] >= SPLIT_MIN.rows,
  // buffers | n
  k_fill: (a) => a[1] >= SPLIT_MIN.rows,
  k_scale: (a) => a[2] >= SPLIT_MIN.rows,
  k_unary: (a) => a[2] >= SPLIT_MIN.rows,
  k_unary_backward: (a) => a[3] >= SPLIT_MIN.rows,
  k_adam: (a) => a[4] >= SPLIT_MIN.rows,
};
/** Export names by index, as the helper thread receives them. */
const EXPORTS = Object.keys(PARALLEL);

/** Most slices of k, and most scratch elements, of a split aᵀ·b (`#matmulTN`). */
const TN_SLICES = { max: 16, flops: 1 << 23, scratch: 1 << 22 };

/**
 * Steps of k per slice of `out[M,N] (+)= a[K,M]ᵀ·b[K,N]`, from the shapes alone (so one and two
 * threads add the same partial sums): all of k below `SPLIT_MIN.matmul` flops; otherwise slices of
 * about `TN_SLICES.flops` flops (a multiple of 16 steps), at least 2 and at most `TN_SLICES.max`,
 * fewer when their scratch blocks would pass `TN_SLICES.scratch` elements.
 */
function tnSlice(m: number, n: number, k: number): number {
  const flops = 2 * m * n * k;
  if (flops < SPLIT_MIN.matmul || k < 32) return k;
  const most = Math.min(TN_SLICES.max, 1 + Math.floor(TN_SLICES.scratch / Math.max(1, m * n)));
  const slices = Math.max(2, Math.min(most, Math.floor(flops / TN_SLICES.flops)));
  return Math.ceil(k / slices / 16) * 16;
}

/**
 * The helper thread and the shared blocks it reads its jobs from (see `_wasm_worker.ts` for the
 * control block's layout).
 */
interface Helper {
  ctrl: Int32Array;
  args: Float64Array;
  seq: number;
}

/** The wasm implementation of {@linkcode Backend}. */
class WasmBackend implements Backend {
  readonly name = "wasm";
  maxBindingBytes = MAX_BUFFER_BYTES;
  /** Threads that run kernels (1 or 2). */
  readonly threads: number;
  /** What runs the kernels, for `info`. */
  readonly description: string;
  readonly #x: KernelExports;
  readonly #memory: WebAssembly.Memory;
  readonly #helper: Helper | undefined;
  readonly #calls = new Map<string, Call>();
  #liveBytes = 0;
  #liveBuffers = 0;
  #peakBytes = 0;

  constructor(exports: KernelExports, memory: WebAssembly.Memory, helper?: Helper) {
    this.#x = exports;
    this.#memory = memory;
    this.#helper = helper;
    this.threads = helper ? 2 : 1;
    this.description = `Rust kernels in wasm (SIMD128, relaxed FMA), ${this.threads} thread${
      helper ? "s" : ""
    }`;
  }

  alloc(dtype: DType, length: number): DeviceBuffer {
    const bytes = Math.max(1, length) * 4;
    if (bytes > MAX_BUFFER_BYTES) {
      throw new RangeError(`Cannot allocate ${bytes} bytes in wasm memory: above ${MAX_BUFFER_BYTES}`);
    }
    const ptr = this.#x.cdvae_alloc(bytes) >>> 0;
    if (ptr === 0) throw new RangeError(`Cannot allocate ${bytes} bytes in wasm memory: out of memory`);
    const b: WasmBuf = { dtype, length, ptr, bytes };
    this.#liveBytes += bytes;
    this.#liveBuffers++;
    if (this.#liveBytes > this.#peakBytes) this.#peakBytes = this.#liveBytes;
    return b;
  }

  free(buf: DeviceBuffer): void {
    const b = buf as WasmBuf;
    if (b.freed) return;
    b.freed = true;
    this.#x.cdvae_free(b.ptr, b.bytes);
    this.#liveBytes -= b.bytes;
    this.#liveBuffers--;
  }

  #live(buf: DeviceBuffer, what: string): WasmBuf {
    const b = buf as WasmBuf;
    if (b.freed) throw new Error(`Cannot ${what} a freed wasm buffer`);
    return b;
  }

  write(buf: DeviceBuffer, data: HostArray): void {
    const b = this.#live(buf, "write");
    if (data.length > b.length) throw new RangeError(`Cannot write ${data.length} values into ${b.length}`);
    new Uint8Array(this.#memory.buffer, b.ptr, data.byteLength)
      .set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }

  read(buf: DeviceBuffer): Promise<HostArray> {
    try {
      const b = this.#live(buf, "read");
      const out = hostArray(b.dtype, b.length);
      new Uint8Array(out.buffer).set(new Uint8Array(this.#memory.buffer, b.ptr, b.length * 4));
      return Promise.resolve(out);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  #call(kernel: KernelDef): Call {
    let c = this.#calls.get(kernel.name);
    if (c) return c;
    const fn = this.#x[`k_${kernel.entry}`];
    if (typeof fn !== "function") {
      throw new TypeError(`Cannot dispatch "${kernel.name}" on wasm: no export "k_${kernel.entry}"`);
    }
    c = {
      fn: fn as Call["fn"],
      name: `k_${kernel.entry}`,
      parallel: `k_${kernel.entry}` in PARALLEL,
      uniforms: kernel.uniforms.map((u) => u.split(":")[0]),
      consts: kernel.consts,
    };
    this.#calls.set(kernel.name, c);
    return c;
  }

  dispatch({ kernel, buffers, params, consts = {} }: Dispatch): void {
    if (kernel.wasmUsesReference) return this.#reference(kernel, buffers, { ...params, ...consts });
    const call = this.#call(kernel);
    const args: number[] = buffers.map((b) => this.#bound(kernel, b).ptr);
    for (const u of call.uniforms) {
      const v = params[u];
      if (v === undefined) throw new TypeError(`Cannot dispatch "${kernel.name}": missing parameter "${u}"`);
      args.push(v);
    }
    for (const k of call.consts) args.push(consts[k] ?? 0);
    try {
      if (call.name === "k_matmul_tn") this.#matmulTN(call, args);
      else if (call.parallel) this.#parallel(call.name, args);
      else call.fn(...args);
    } catch (e) {
      if (e instanceof WebAssembly.RuntimeError) {
        throw new Error(`Kernel "${kernel.name}" trapped in wasm: ${e.message}`, { cause: e });
      }
      throw e;
    }
  }

  /** Runs the kernel's plain-TS reference on views of linear memory (kernels with no Rust export). */
  #reference(kernel: KernelDef, buffers: Dispatch["buffers"], params: Record<string, number>): void {
    const arrays = buffers.map((b) => {
      const { dtype, ptr, length } = this.#bound(kernel, b), mem = this.#memory.buffer;
      return dtype === "f32"
        ? new Float32Array(mem, ptr, length)
        : dtype === "u32"
        ? new Uint32Array(mem, ptr, length)
        : new Int32Array(mem, ptr, length);
    });
    kernel.reference(arrays, params);
  }

  /** The byte address, length and dtype of a buffer or view bound to `kernel`. */
  #bound(kernel: KernelDef, b: DeviceBuffer | BufferView): { ptr: number; length: number; dtype: DType } {
    const view = "buffer" in b ? (b as BufferView) : undefined;
    const wb = this.#live(view ? view.buffer : b as DeviceBuffer, `dispatch "${kernel.name}" on`);
    return { ptr: wb.ptr + (view?.offset ?? 0) * 4, length: view?.length ?? wb.length, dtype: wb.dtype };
  }

  /**
   * `out (+)= aᵀ·b` over a long k (a [K, M], b [K, N]: the weight gradient xᵀ·g over every row of
   * a batch), in slices of k set by the shapes alone ({@linkcode tnSlice}): the first slice goes
   * into `out`, the others into scratch blocks, as the threads claim them; then
   * `out += scratch₁ + scratch₂ + …` in order. So one and two threads give the same bits, run after
   * run.
   */
  #matmulTN(call: Call, args: number[]): void {
    const [a, b, out, m, n, k, acc] = args;
    const ks = tnSlice(m, n, k), slices = Math.ceil(k / ks);
    if (slices <= 1 || m * n === 0) return this.#parallel(call.name, args);
    const len = m * n, bytes = (slices - 1) * len * 4;
    const scratch = this.#x.cdvae_alloc(bytes) >>> 0;
    if (scratch === 0) throw new RangeError(`Cannot allocate ${bytes} bytes in wasm memory: out of memory`);
    try {
      this.#parallel("k_matmul_tn_parts", [a, b, out, scratch, m, n, k, acc, ks]);
      this.#parallel("k_add_parts", [out, scratch, len, slices - 1]);
    } finally {
      this.#x.cdvae_free(scratch, bytes);
    }
  }

  /**
   * Calls the parallel export `name`: resets the shared item counter, offers the call to the helper
   * thread when it is large enough, runs it here and returns once every thread that entered it is
   * done. A helper that has not taken the call by the time this thread has run out of items is
   * not waited for: the offer is withdrawn (so a helper whose core is busy elsewhere costs nothing).
   */
  #parallel(name: string, args: number[]): void {
    const fn = this.#x[name] as Call["fn"];
    this.#x.cdvae_par_reset();
    const h = this.#helper;
    if (!h || !PARALLEL[name](args)) return fn(...args);
    const seq = h.seq = h.seq >= SEQ_MAX ? 1 : h.seq + 1;
    h.args.set(args);
    h.ctrl[CTRL.fn] = EXPORTS.indexOf(name);
    h.ctrl[CTRL.nargs] = args.length;
    Atomics.store(h.ctrl, CTRL.offer, seq);
    Atomics.store(h.ctrl, CTRL.job, seq);
    Atomics.notify(h.ctrl, CTRL.job);
    let error: unknown;
    try {
      fn(...args);
    } catch (e) {
      error = e;
    }
    if (Atomics.compareExchange(h.ctrl, CTRL.offer, seq, 0) !== seq) {
      // The helper took the call (the offer reads −seq): wait until it has finished.
      for (let done = Atomics.load(h.ctrl, CTRL.done); done !== seq; done = Atomics.load(h.ctrl, CTRL.done)) {
        Atomics.wait(h.ctrl, CTRL.done, done, 1000);
      }
      if (h.ctrl[CTRL.trap]) error ??= new WebAssembly.RuntimeError("trap on the helper thread");
    }
    if (error) throw error;
  }

  memoryStats(): WasmMemoryStats {
    return {
      liveBytes: this.#liveBytes,
      liveBuffers: this.#liveBuffers,
      peakLiveBytes: this.#peakBytes,
      memoryBytes: this.#memory.buffer.byteLength,
    };
  }

  resetPeak(): void {
    this.#peakBytes = this.#liveBytes;
  }

  flush(): void {}

  sync(): Promise<void> {
    return Promise.resolve();
  }
}

/** Memory use of a wasm backend (see `WasmBackendHandle.memoryStats`). */
export interface WasmMemoryStats {
  /** Bytes of the buffers allocated and not yet freed. */
  liveBytes: number;
  /** Number of those buffers. */
  liveBuffers: number;
  /** Most `liveBytes` seen since the backend was created or `resetPeak` was called. */
  peakLiveBytes: number;
  /** Size of the module's linear memory (it only grows): the allocator's high-water mark. */
  memoryBytes: number;
}

/** The wasm backend: the common interface plus what runs the kernels. */
export type WasmBackendHandle = Backend & {
  description: string;
  threads: number;
  /** Live and peak buffer bytes and the size of linear memory. */
  memoryStats(): WasmMemoryStats;
  /** Starts a new peak measurement at the current live bytes. */
  resetPeak(): void;
};

/** Options of {@linkcode createWasmBackend}. */
export interface WasmBackendOptions {
  /** 1, or 2 for the threaded build plus one helper thread (default: 2 when the CPU has ≥ 2 cores). */
  threads?: 1 | 2;
  /** Where the one-thread kernel module is (default: `wasm/kernels/pkg/` of this package), for bundles. */
  kernelsUrl?: URL;
}

let instance: Promise<WasmBackendHandle> | undefined;

async function loadBytes(url: URL): Promise<Uint8Array | ArrayBuffer> {
  if (url.protocol === "file:") return await Deno.readFile(url);
  const res = await fetch(url);
  if (!res.ok) throw new Error(`Cannot load the wasm kernels "${url}": HTTP ${res.status}`);
  return await res.arrayBuffer();
}

/** Instantiates the threaded build on a shared memory and starts the helper thread. */
async function createThreaded(): Promise<WasmBackendHandle> {
  const module = await WebAssembly.compile(await loadBytes(KERNELS_MT_URL) as BufferSource);
  const memory = new WebAssembly.Memory({ ...MT_PAGES, shared: true });
  const x = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as KernelExports;
  checkAbi(x, KERNELS_MT_URL);
  const stack = x.cdvae_alloc(WORKER_STACK_BYTES) >>> 0;
  const tls = x.cdvae_alloc(Math.max(16, (x.__tls_size as WebAssembly.Global).value)) >>> 0;
  if (stack === 0 || tls === 0) throw new RangeError("Cannot allocate the helper thread's stack");
  const ctrl = new Int32Array(new SharedArrayBuffer(4 * CTRL_SLOTS));
  const args = new Float64Array(new SharedArrayBuffer(8 * ARG_SLOTS));
  const { Worker } = await import("node:worker_threads");
  const worker = new Worker(WORKER_URL);
  worker.unref();
  worker.postMessage({
    module,
    memory,
    ctrl,
    args,
    names: EXPORTS,
    stackTop: stack + WORKER_STACK_BYTES,
    tls,
  });
  const start = performance.now();
  while (Atomics.load(ctrl, CTRL.done) !== -1) {
    if (performance.now() - start > WORKER_START_MS) {
      await worker.terminate();
      throw new Error(`Cannot start the wasm helper thread within ${WORKER_START_MS} ms`);
    }
    // Yield to the event loop so that the worker's start-up messages can be delivered.
    await new Promise((r) => setTimeout(r, 1));
  }
  return new WasmBackend(x, memory, { ctrl, args, seq: 0 });
}

function checkAbi(x: KernelExports, url: URL): void {
  const abi = x.cdvae_kernels_abi();
  if (abi !== KERNELS_ABI) {
    throw new Error(`Cannot use the wasm kernels "${url}": ABI ${abi}, expected ${KERNELS_ABI}`);
  }
}

/**
 * Creates a new, separate wasm backend with its own instance and memory; most code wants
 * {@linkcode wasmBackend}. With two threads it falls back to one when the helper thread cannot
 * start (e.g. no SharedArrayBuffer).
 *
 * @param opts Number of threads
 * @returns The backend
 * @throws {Error} When the module cannot be loaded or speaks another ABI
 *
 * @example Upload and read back
 * ```ts
 * import { createWasmBackend } from "./wasm.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = await createWasmBackend({ threads: 1 });
 * const b = be.alloc("f32", 2);
 * be.write(b, new Float32Array([1, 2]));
 * assertEquals(await be.read(b), new Float32Array([1, 2]));
 * ```
 */
export async function createWasmBackend(opts: WasmBackendOptions = {}): Promise<WasmBackendHandle> {
  const threads = opts.threads ?? ((navigator.hardwareConcurrency ?? 1) >= 2 ? 2 : 1);
  if (threads === 2 && typeof SharedArrayBuffer !== "undefined") {
    try {
      return await createThreaded();
    } catch {
      // fall through to one thread
    }
  }
  const url = opts.kernelsUrl ?? KERNELS_URL;
  const { instance } = await WebAssembly.instantiate(await loadBytes(url) as BufferSource, {});
  const x = instance.exports as unknown as KernelExports;
  checkAbi(x, url);
  return new WasmBackend(x, x.memory!);
}

/**
 * Returns the process-wide wasm backend, loading the kernel module on first use.
 *
 * @returns The backend
 *
 * @example A matmul on the CPU kernels
 * ```ts
 * import { wasmBackend } from "./wasm.ts";
 * import { Tensor } from "./tensor.ts";
 * import { matmul } from "./functional.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = await wasmBackend();
 * const y = matmul(Tensor.from(be, [1, 2, 3, 4], [2, 2]), Tensor.from(be, [1, 0, 0, 1], [2, 2]));
 * assertEquals(await y.read(), new Float32Array([1, 2, 3, 4]));
 * ```
 */
export function wasmBackend(): Promise<WasmBackendHandle> {
  const p = instance ??= createWasmBackend();
  p.catch(() => instance = undefined);
  return p;
}
