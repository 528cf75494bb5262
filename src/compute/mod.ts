/**
 * The compute runtime: tensors on a backend (WebGPU, or the plain-TS reference), ops with
 * backwards, tape autograd, Adam and initialisers. Knows nothing of crystals.
 *
 * @example Fit one weight
 * ```ts
 * import { Adam, getBackend, matmul, mse, Tape, Tensor, zeroGrad } from "./mod.ts";
 * import { assert } from "../../tests/_assert.ts";
 * const be = await getBackend({ prefer: "reference" });
 * const x = Tensor.from(be, [1, 2, 3], [3, 1]), y = Tensor.from(be, [2, 4, 6], [3, 1]);
 * const w = Tensor.from(be, [0], [1, 1]);
 * w.requiresGrad = true;
 * const opt = new Adam([w], { lr: 0.1 });
 * for (let i = 0; i < 100; i++) {
 *   const tape = new Tape();
 *   tape.backward(tape.record(() => mse(matmul(x, w), y)));
 *   opt.step();
 *   tape.dispose();
 *   zeroGrad([w]);
 * }
 * assert(Math.abs((await w.item()) - 2) < 0.1);
 * ```
 *
 * @module
 */

export * from "./backend.ts";
export * from "./tensor.ts";
export {
  activation,
  add,
  addScaled,
  bmm,
  broadcastShape,
  concat,
  copy,
  crossEntropy,
  embedding,
  exp,
  expand,
  fill,
  gather,
  logSoftmax,
  matmul,
  mean,
  mse,
  mul,
  randNormal,
  randUniform,
  relu,
  reshape,
  reshapeView,
  scale,
  segmentMean,
  segmentSum,
  sigmoid,
  silu,
  sin,
  softmax,
  softplus,
  split,
  ssilu,
  sub,
  sum,
  sumTo,
  transpose,
} from "./functional.ts";
export type { Activation, BmmOptions, MatmulOptions, RandomOptions } from "./functional.ts";
export { OPS } from "./ops.ts";
export type { KernelDef, OpDef } from "./ops.ts";
export * from "./tape.ts";
export * from "./adam.ts";
export * from "./init.ts";
export { DeviceLostError, NoAdapterError, webgpuBackend } from "./webgpu.ts";
