/**
 * The wasm-SIMD backend: the kernels of `wasm/kernels/` (Rust, SIMD128 + relaxed SIMD) run on the
 * CPU, with every tensor resident in the module's own linear memory. `alloc`/`free` go to the
 * module's allocator (exports `cdvae_alloc`/`cdvae_free`), `write`/`read` copy typed arrays in
 * and out, and `dispatch` calls the kernel's export `k_<entry>` at once with the buffers'
 * addresses, the uniforms and the constants in registry order (see wasm/kernels/src/lib.rs).
 * Work runs synchronously, so `flush` and `sync` have nothing to do.
 *
 * Two threads (the default on machines with two or more cores): the threaded build of the same
 * kernels (`cdvae_kernels_mt.wasm`, shared memory) runs on this thread and on one helper thread
 * (`_wasm_worker.ts`). Large matmuls, gathers, segment sums and elementwise kernels are split in two
 * row or element ranges; this thread runs the first and blocks (`Atomics.wait`) until the helper
 * has run the second. Each output element is computed by the same code in the same order either
 * way, so results are bit-identical to one thread. The exception, aᵀ·b over a long k
 * (`matmul_tn`), is cut in two along k at a point set by the shapes alone and the halves added in
 * order, on one thread as on two, so it too gives the same bits either way.
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
} from "./backend.ts";
import type { KernelDef } from "./ops.ts";

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
/** Smallest work (flops for matmul, elements otherwise) worth splitting across threads. */
const SPLIT_MIN = { matmul: 1 << 20, rows: 1 << 15 };
/** The kernel ABI this wrapper speaks (`cdvae_kernels_abi()` in wasm/kernels/src/lib.rs). */
const KERNELS_ABI = 2;
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
  [name: string]: unknown;
}

/** How one registry kernel is called: its export and the parameter order. */
interface Call {
  fn: (...args: number[]) => void;
  /** Index of the export in {@linkcode EXPORTS} (what the helper thread calls). */
  id: number;
  uniforms: string[];
  consts: readonly string[];
}

/** Splits a call's arguments into two ranges: [first half, second half], or undefined if too small. */
type Splitter = (args: number[]) => [number[], number[]] | undefined;

/** Cuts `[0, n)` at a multiple of `align` near the middle; undefined when one side would be empty. */
function cut(n: number, align: number, min: number, work: number): number | undefined {
  if (work < min) return undefined;
  const at = Math.floor(n / 2 / align) * align;
  return at > 0 && at < n ? at : undefined;
}

/** Elementwise kernels whose every buffer is indexed by the element: (buffers, position of `n`). */
function elementwise(buffers: number): Splitter {
  return (a) => {
    const n = a[buffers], at = cut(n, 16, SPLIT_MIN.rows, n);
    if (at === undefined) return undefined;
    const second = a.slice();
    for (let i = 0; i < buffers; i++) second[i] += 4 * at;
    second[buffers] = n - at;
    const first = a.slice();
    first[buffers] = at;
    return [first, second];
  };
}

/**
 * Row splits: `rows` at argument `ri`, and for each moved buffer its position and row stride
 * argument. With `flops` the work is that of a matmul whose m n k are the arguments from `ri` on.
 */
function byRows(ri: number, moved: [number, number | 1][], align = 1, flops = false): Splitter {
  return (a) => {
    const rows = a[ri];
    const per = moved.reduce((w, [, s]) => Math.max(w, s === 1 ? 1 : a[s]), 1);
    const work = flops ? 2 * a[ri] * a[ri + 1] * a[ri + 2] : rows * per;
    const at = cut(rows, align, flops ? SPLIT_MIN.matmul : SPLIT_MIN.rows, work);
    if (at === undefined) return undefined;
    const first = a.slice(), second = a.slice();
    first[ri] = at;
    second[ri] = rows - at;
    for (const [i, s] of moved) second[i] += 4 * at * (s === 1 ? 1 : a[s]);
    return [first, second];
  };
}

/** bmm splits by batch items: a b out | r m n k, each buffer moving by its item size. */
const bmmSplit: Splitter = (a) => {
  const [r, m, n, k] = a.slice(3, 7);
  const at = cut(r, 1, SPLIT_MIN.matmul, 2 * r * m * n * k);
  if (at === undefined) return undefined;
  const first = a.slice(), second = a.slice();
  first[3] = at;
  second[3] = r - at;
  [m * k, k * n, m * n].forEach((w, i) => second[i] += 4 * at * w);
  return [first, second];
};

/** The kernel exports the helper thread may run, and how each call is split. */
const SPLITTERS: Record<string, Splitter> = {
  // a b bias out pre | m n k: a moves by k per row, out and pre by n; blocks of 4 rows stay whole.
  k_matmul: byRows(5, [[0, 7], [3, 6], [4, 6]], 4, true),
  k_matmul_naive: byRows(5, [[0, 7], [3, 6], [4, 6]], 4, true),
  // a b out | m n k: a moves by k per row, out by n
  k_matmul_nt: byRows(3, [[0, 5], [2, 4]], 4, true),
  // a b out | m n k acc: split over k by `#matmulTN`, never by rows
  k_matmul_tn: () => undefined,
  k_bmm: bmmSplit,
  // x idx out | r c n
  k_gather_rows: byRows(3, [[1, 1], [2, 4]]),
  // x rowptr perm out | r c: row pointers stay absolute, so x and perm do not move
  k_segment_sum: byRows(4, [[1, 1], [3, 5]]),
  k_fill: elementwise(1),
  k_scale: elementwise(2),
  k_unary: elementwise(2),
  k_unary_backward: elementwise(3),
  k_adam: elementwise(4),
};
/** Export names by index, as the helper thread receives them. */
const EXPORTS = Object.keys(SPLITTERS);

/** The helper thread and the shared blocks it reads its jobs from. */
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
      id: EXPORTS.indexOf(`k_${kernel.entry}`),
      uniforms: kernel.uniforms.map((u) => u.split(":")[0]),
      consts: kernel.consts,
    };
    this.#calls.set(kernel.name, c);
    return c;
  }

  dispatch({ kernel, buffers, params, consts = {} }: Dispatch): void {
    const call = this.#call(kernel);
    const args: number[] = buffers.map((b) => {
      const view = "buffer" in b ? (b as BufferView) : undefined;
      const wb = this.#live(view ? view.buffer : b as DeviceBuffer, `dispatch "${kernel.name}" on`);
      return wb.ptr + (view?.offset ?? 0) * 4;
    });
    for (const u of call.uniforms) {
      const v = params[u];
      if (v === undefined) throw new TypeError(`Cannot dispatch "${kernel.name}": missing parameter "${u}"`);
      args.push(v);
    }
    for (const k of call.consts) args.push(consts[k] ?? 0);
    const halves = this.#helper && call.id >= 0 ? SPLITTERS[EXPORTS[call.id]](args) : undefined;
    try {
      if (kernel.entry === "matmul_tn") this.#matmulTN(call, args);
      else if (halves) this.#twoThreads(call, halves);
      else call.fn(...args);
    } catch (e) {
      if (e instanceof WebAssembly.RuntimeError) {
        throw new Error(`Kernel "${kernel.name}" trapped in wasm: ${e.message}`, { cause: e });
      }
      throw e;
    }
  }

  /**
   * `out (+)= aᵀ·b` over a long k (a [K, M], b [K, N]: the weight gradient xᵀ·g over every row of
   * a batch). Above `SPLIT_MIN.matmul` flops k is cut in two near the middle (a multiple of 16):
   * the first half goes into `out`, the second into a scratch block, on two threads when there are
   * two, one after the other otherwise; then `out += scratch`. The cut depends on the shapes only,
   * so one and two threads give the same bits, run after run.
   */
  #matmulTN(call: Call, args: number[]): void {
    const [a, b, out, m, n, k] = args;
    const at = cut(k, 16, SPLIT_MIN.matmul, 2 * m * n * k);
    if (at === undefined || m * n === 0) return call.fn(...args);
    const bytes = Math.max(1, m * n) * 4;
    const scratch = this.#x.cdvae_alloc(bytes) >>> 0;
    if (scratch === 0) throw new RangeError(`Cannot allocate ${bytes} bytes in wasm memory: out of memory`);
    try {
      const first = args.slice(), second = args.slice();
      first[5] = at;
      second[5] = k - at;
      second[0] = a + 4 * at * m;
      second[1] = b + 4 * at * n;
      second[2] = scratch;
      second[6] = 0;
      if (this.#helper) this.#twoThreads(call, [first, second]);
      else {
        call.fn(...first);
        call.fn(...second);
      }
      (this.#x.k_add_assign as (o: number, x: number, n: number) => void)(out, scratch, m * n);
    } finally {
      this.#x.cdvae_free(scratch, bytes);
    }
  }

  /** Runs `halves[1]` on the helper thread and `halves[0]` here; returns when both are done. */
  #twoThreads(call: Call, [mine, theirs]: [number[], number[]]): void {
    const h = this.#helper!;
    h.args.set(theirs);
    h.ctrl[2] = call.id;
    h.ctrl[3] = theirs.length;
    Atomics.store(h.ctrl, 0, ++h.seq);
    Atomics.notify(h.ctrl, 0);
    let error: unknown;
    try {
      call.fn(...mine);
    } catch (e) {
      error = e;
    }
    for (let done = Atomics.load(h.ctrl, 1); done !== h.seq; done = Atomics.load(h.ctrl, 1)) {
      Atomics.wait(h.ctrl, 1, done, 1000);
    }
    if (error) throw error;
    if (h.ctrl[4]) throw new WebAssembly.RuntimeError("trap on the helper thread");
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
  const ctrl = new Int32Array(new SharedArrayBuffer(64));
  const args = new Float64Array(new SharedArrayBuffer(8 * 64));
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
  while (Atomics.load(ctrl, 1) !== -1) {
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
  const bytes = await loadBytes(KERNELS_URL);
  const { instance } = await WebAssembly.instantiate(bytes as BufferSource, {});
  const x = instance.exports as unknown as KernelExports;
  checkAbi(x, KERNELS_URL);
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
