/**
 * One op-test helper (after tinygrad's `helper_test_op`): forward on a backend against the plain-TS
 * reference backend, and backward through the tape against central finite differences.
 *
 * @module
 */

import { assertAllClose } from "../_assert.ts";
import { type Backend, getBackend, type HostArray } from "../../src/compute/backend.ts";
import { add, mul, sum } from "../../src/compute/functional.ts";
import { Tape } from "../../src/compute/tape.ts";
import { Tensor } from "../../src/compute/tensor.ts";
import { ignore } from "../_gpu.ts";
import { wasmBackend } from "../../src/compute/wasm.ts";

/** Fixed seed for the property tests; fast-check prints it with a failing case. */
export const PROPERTY_SEED = 7_2024;

/** The reference backend. */
export const ref: Backend = await getBackend({ prefer: "reference" });
/** The WebGPU backend (undefined when no adapter; then GPU tests are ignored). */
export const gpu: Backend | undefined = ignore ? undefined : await getBackend({ prefer: "webgpu" });
/** The wasm-SIMD backend (always available). */
export const wasm: Backend = await wasmBackend();

/** Deterministic uniform numbers in [lo, hi) (mulberry32). */
export function randoms(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  }
  return out;
}

/** An input of an op under test. */
export interface Input {
  /** Values (Float32Array → f32; Uint32Array → index tensor). */
  data: HostArray;
  /** Dimensions. */
  shape: number[];
  /** Whether to check its gradient. */
  grad?: boolean;
}

/** Builds the op's outputs from uploaded inputs; creation ops use `be`, the backend under test. */
/** An op under test; only cases without a backward (`noGrad`) may be async. */
export type OpFn = (xs: Tensor[], be: Backend) => Tensor | Tensor[] | Promise<Tensor | Tensor[]>;

function upload(be: Backend, inputs: Input[]): Tensor[] {
  return inputs.map((x) => Tensor.from(be, x.data, x.shape));
}

async function outputs(be: Backend, fn: OpFn, inputs: Input[]): Promise<HostArray[]> {
  const r = await fn(upload(be, inputs), be);
  return await Promise.all((Array.isArray(r) ? r : [r]).map((t) => t.read()));
}

/** Forward on `be` equals the reference within tolerance. */
export async function checkForward(
  be: Backend,
  fn: OpFn,
  inputs: Input[],
  atol = 1e-5,
  rtol = 1e-4,
  msg = "",
): Promise<void> {
  const [want, got] = [await outputs(ref, fn, inputs), await outputs(be, fn, inputs)];
  want.forEach((w, k) => assertAllClose(got[k], w, { atol, rtol }, `${msg} output ${k}`));
}

/** L = Σ_k Σ out_k · R_k, with fixed random weights R_k so every output element matters. */
function weights(outs: { size: number }[]): Float32Array[] {
  return outs.map((o, k) => randoms(o.size, 1000 + k));
}

/** Gradients of L with respect to the inputs marked `grad`, by the tape on `be`. */
async function tapeGrads(be: Backend, fn: OpFn, inputs: Input[]): Promise<HostArray[]> {
  const xs = upload(be, inputs);
  xs.forEach((x, i) => x.requiresGrad = !!inputs[i].grad);
  const tape = new Tape();
  const loss = tape.record(() => {
    const r = fn(xs, be) as Tensor | Tensor[]; // cases with a backward are synchronous
    const outs = Array.isArray(r) ? r : [r];
    const ws = weights(outs);
    return outs.map((o, k) => sum(mul(o, Tensor.from(be, ws[k], o.shape)))).reduce((a, b) => add(a, b));
  });
  tape.backward(loss);
  const grads = await Promise.all(
    xs.filter((_, i) => inputs[i].grad).map((x) =>
      x.grad ? x.grad.read() : Promise.resolve(new Float32Array(x.size))
    ),
  );
  tape.dispose();
  return grads;
}

/** Central finite differences of L on the reference backend (L summed in f64). */
async function fdGrads(fn: OpFn, inputs: Input[], eps: number): Promise<Float64Array[]> {
  const L = async (ins: Input[]) => {
    const outs = await outputs(ref, fn, ins);
    const ws = weights(outs.map((o) => ({ size: o.length })));
    let s = 0;
    outs.forEach((o, k) => o.forEach((v, i) => s += v * ws[k][i]));
    return s;
  };
  const res: Float64Array[] = [];
  for (const [j, x] of inputs.entries()) {
    if (!x.grad) continue;
    const g = new Float64Array(x.data.length);
    for (let i = 0; i < x.data.length; i++) {
      const plus = x.data.slice(), minus = x.data.slice();
      plus[i] += eps;
      minus[i] -= eps;
      const with_ = (d: HostArray) => inputs.map((y, q) => (q === j ? { ...y, data: d } : y));
      g[i] = ((await L(with_(plus))) - (await L(with_(minus)))) / (2 * eps);
    }
    res.push(g);
  }
  return res;
}

/** Backward on each of `backends` equals central finite differences (computed on the reference). */
export async function checkBackward(
  backends: Backend[],
  fn: OpFn,
  inputs: Input[],
  eps = 1e-2,
  tol = 2e-2,
  msg = "",
): Promise<void> {
  const fd = await fdGrads(fn, inputs, eps);
  for (const be of backends) {
    const got = await tapeGrads(be, fn, inputs);
    fd.forEach((want, k) =>
      assertAllClose(got[k], want, { atol: tol, rtol: tol }, `${msg} ${be.name} grad ${k}`)
    );
  }
}

/** Wraps `be` so that every kernel it dispatches is added to `seen` (to check op coverage). */
export function recording(be: Backend, seen: Set<string>): Backend {
  return {
    name: be.name,
    get maxBindingBytes() {
      return be.maxBindingBytes;
    },
    set maxBindingBytes(v: number) {
      be.maxBindingBytes = v;
    },
    alloc: (dtype, length) => be.alloc(dtype, length),
    write: (buf, data) => be.write(buf, data),
    read: (buf) => be.read(buf),
    free: (buf) => be.free(buf),
    dispatch: (d) => {
      seen.add(d.kernel.entry);
      be.dispatch(d);
    },
    flush: () => be.flush(),
    sync: () => be.sync(),
  };
}
