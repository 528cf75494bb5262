/**
 * What code outside the runtime needs to add kernels of its own (the model's device kernels live
 * beside the model and come in through here): define and register a kernel, optionally its
 * backward, and launch it on tensors. A registered kernel runs on every backend: WebGPU compiles its
 * WGSL entry point, the wasm backend runs its Rust export `k_<entry>` or, with `wasmUsesReference`,
 * its plain-TS reference, and the reference backend runs the reference.
 *
 * Register kernels when their module loads, before the first WebGPU backend is created: that
 * backend reads the shaders the registry names when it starts (a shader registered later is read
 * on first use, from a local file only).
 *
 * @example A kernel defined elsewhere, registered and launched
 * ```ts
 * import { defineKernel, grid1d, launch, out, registerKernel } from "./kernels.ts";
 * import { getBackend } from "./backend.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * registerKernel({
 *   ...defineKernel("example_fill_twos", "elementwise.wgsl", "fill", "out", "n value:f32", ([o], p) => {
 *     o.fill(p.value, 0, p.n);
 *   }),
 *   wasmUsesReference: true,
 * });
 * const be = await getBackend({ prefer: "reference" });
 * const t = out(be, [3]);
 * launch(be, "example_fill_twos", [t], { n: 3, value: 2 }, grid1d(3));
 * assertEquals(await t.read(), new Float32Array([2, 2, 2]));
 * ```
 *
 * @module
 */

export type { CpuKernel, KernelDef } from "./backend_interface.ts";
export { defineKernel, kernelDef, OPS, registerKernel } from "./ops.ts";
export { type Backward, registerBackward } from "./gradients.ts";
export { type Buf, checkIndex, expectRank, grid1d, launch, out } from "./_launch.ts";
