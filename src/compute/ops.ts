/**
 * The kernel registry and the runtime's own kernels, as data: one entry per kernel with its shader
 * file and entry point, binding and uniform layout and CPU reference (`_cpu.ts`). Backends dispatch
 * by entry. The registry is open: code outside the runtime (the model's device kernels) adds its
 * kernels with {@linkcode registerKernel} when its module loads. Gradients live apart, in
 * `gradients.ts`, keyed by kernel name. To add an op: one entry here, one `.wgsl` entry point, one
 * reference, one function in `functional.ts`/`rows.ts`, a backward in `gradients.ts`, one test.
 *
 * Uniforms are 32-bit scalars packed in the listed order (`name:f32` for floats, u32 otherwise),
 * the WGSL `Params` struct declares the same fields. `consts` are prepended to the shader source
 * as `const NAME: u32 = …;` and select a specialisation (cached per pipeline).
 *
 * @module
 */

import * as cpu from "./_cpu.ts";
import type { CpuKernel, KernelDef } from "./backend_interface.ts";

export type { KernelDef } from "./backend_interface.ts";

/** A registry entry (the name the tape and older code use for {@linkcode KernelDef}). */
export type OpDef = KernelDef;

const table: Record<string, KernelDef> = {};

/** Every registered kernel, by name (the runtime's own, then whatever other modules registered). */
export const OPS: Readonly<Record<string, KernelDef>> = table;

/**
 * Adds a kernel to the registry, so every backend can dispatch it by name. Registering the same
 * name again is allowed only for the same shader entry (a module loaded twice).
 *
 * @param def The kernel
 * @returns `def`
 * @throws {TypeError} When another kernel already has the name
 *
 * @example Register a kernel under a new name
 * ```ts
 * import { defineKernel, OPS, registerKernel } from "./ops.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * registerKernel({ ...OPS.fill, name: "example_fill" });
 * assertEquals(OPS.example_fill.entry, "fill");
 * assertEquals(defineKernel("k", "x.wgsl", "k", "a out", "n", () => {}).bindings, ["a", "out"]);
 * ```
 */
export function registerKernel(def: KernelDef): KernelDef {
  const old = table[def.name];
  if (old && (old.shader !== def.shader || old.entry !== def.entry)) {
    throw new TypeError(
      `Cannot register kernel "${def.name}" (${def.shader}:${def.entry}): ` +
        `the name is taken by ${old.shader}:${old.entry}`,
    );
  }
  table[def.name] = def;
  return def;
}

/**
 * The registered kernel `name`.
 *
 * @throws {RangeError} When no kernel has that name
 */
export function kernelDef(name: string): KernelDef {
  const def = table[name];
  if (!def) throw new RangeError(`Cannot find kernel "${name}": import the module that registers it`);
  return def;
}

/**
 * A kernel definition from space-separated name lists (bindings, uniforms, constants).
 *
 * @param name Registry key
 * @param shader File in `shaders/`
 * @param entry WGSL entry point
 * @param bindings Buffer names in binding order
 * @param uniforms Uniform fields in order (`name:f32` for f32)
 * @param reference The plain-TS definition
 * @param consts Compile-time constant names
 * @returns The definition (not yet registered)
 */
export function defineKernel(
  name: string,
  shader: string,
  entry: string,
  bindings: string,
  uniforms: string,
  reference: CpuKernel,
  consts = "",
): KernelDef {
  const split = (s: string) => s.split(" ").filter((x) => x);
  return {
    name,
    shader,
    entry,
    bindings: split(bindings),
    uniforms: split(uniforms),
    consts: split(consts),
    reference,
  };
}

const k = defineKernel;
const BCAST = "d0 d1 d2 d3";
const A_STRIDES = "a0 a1 a2 a3";

const COPY_COLS = [
  "concat.wgsl",
  "copy_cols",
  "src dst",
  "rows width src_cols src_off dst_cols dst_off",
] as const;
const GATHER = ["gather.wgsl", "gather_rows", "x idx out", "r c n"] as const;
const GATHER_CONSTS = "VEC";

/** The runtime's own kernels, in registry order. */
const OWN: KernelDef[] = [
  // creation
  k("fill", "elementwise.wgsl", "fill", "out", "n value:f32", cpu.fill),
  k(
    "rand_uniform",
    "random.wgsl",
    "rand_uniform",
    "out",
    "n seed_lo seed_hi offset lo:f32 hi:f32",
    cpu.randUniform,
  ),
  k(
    "rand_normal",
    "random.wgsl",
    "rand_normal",
    "out",
    "n seed_lo seed_hi offset mean:f32 std:f32",
    cpu.randNormal,
  ),

  // dense
  k("matmul", "matmul.wgsl", "matmul", "a b bias out pre", "m n k", cpu.matmul, "ACT BIAS PRE"),
  k("matmul_nt", "matmul_t.wgsl", "matmul_nt", "a b out", "m n k", cpu.matmulNT),
  k("matmul_tn", "matmul_t.wgsl", "matmul_tn", "a b out", "m n k", cpu.matmulTN, "ACC"),
  k(
    "matmul_naive",
    "matmul_naive.wgsl",
    "matmul_naive",
    "a b bias out pre",
    "m n k",
    cpu.matmul,
    "ACT BIAS PRE",
  ),
  k("bmm", "bmm.wgsl", "bmm", "a b out", "r m n k", cpu.bmm, "TA TB"),
  k("transpose", "transpose.wgsl", "transpose", "x out", "r c", cpu.transpose),

  // elementwise
  k(
    "binary",
    "elementwise.wgsl",
    "binary",
    "a b out",
    `${BCAST} ${A_STRIDES} b0 b1 b2 b3 n alpha:f32`,
    cpu.binary,
    "OP",
  ),
  k("scale", "elementwise.wgsl", "scale", "x out", "n alpha:f32 beta:f32", cpu.scale),
  k("expand", "elementwise.wgsl", "expand", "a out", `${BCAST} ${A_STRIDES} n alpha:f32`, cpu.expand),
  k(
    "sum_to",
    "reduce.wgsl",
    "sum_to",
    "x out",
    `${BCAST} ${A_STRIDES} r0 r1 r2 r3 q0 q1 q2 q3 n nr`,
    cpu.sumTo,
  ),
  k("unary", "unary.wgsl", "unary", "x out", "n", cpu.unary, "ACT"),
  k("unary_backward", "unary.wgsl", "unary_backward", "g x out", "n", cpu.unaryBackward, "ACT"),

  // feature axis
  k("copy_cols", ...COPY_COLS, cpu.copyCols),
  k("concat", ...COPY_COLS, cpu.copyCols),
  k("reshape", ...COPY_COLS, cpu.copyCols),
  k("split", ...COPY_COLS, cpu.copyCols),

  // rows by index
  k("gather_rows", ...GATHER, cpu.gatherRows, GATHER_CONSTS),
  k("gather", ...GATHER, cpu.gatherRows, GATHER_CONSTS),
  k("embedding", ...GATHER, cpu.gatherRows, GATHER_CONSTS),
  k(
    "segment_sum",
    "segment.wgsl",
    "segment_sum",
    "x rowptr perm out",
    "r c",
    cpu.segmentSum,
    "MEAN PERM VEC",
  ),
  k("segment_expand", "segment.wgsl", "segment_expand", "g rowptr out", "e r c", cpu.segmentExpand, "MEAN"),

  // softmax and losses
  k("softmax", "softmax.wgsl", "softmax", "x out", "r c", cpu.softmax, "LOG"),
  k("softmax_backward", "softmax.wgsl", "softmax_backward", "g y out", "r c", cpu.softmaxBackward, "LOG"),
  k("cross_entropy", "loss.wgsl", "cross_entropy", "x t w out", "r c", cpu.crossEntropy, "WEIGHT"),
  k(
    "cross_entropy_backward",
    "loss.wgsl",
    "cross_entropy_backward",
    "g x t w out",
    "r c",
    cpu.crossEntropyBackward,
    "WEIGHT",
  ),
  k("mse", "loss.wgsl", "mse", "a b out", "n", cpu.mse),
  k("mse_backward", "loss.wgsl", "mse_backward", "g a b out", "n", cpu.mseBackward),
  k("sum_all", "reduce.wgsl", "sum_all", "x out", "n", cpu.sumAll, "MEAN"),

  // optimiser
  k(
    "adam",
    "adam.wgsl",
    "adam",
    "w g m v",
    "n lr:f32 b1:f32 b2:f32 eps:f32 bc1:f32 bc2:f32 clip:f32 wd:f32",
    cpu.adam,
  ),
];
for (const def of OWN) registerKernel(def);
