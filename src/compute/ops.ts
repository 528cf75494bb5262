/**
 * The op registry: one entry per kernel/op with its shader file and entry point, binding and
 * uniform layout, CPU reference (`_cpu.ts`) and, for differentiable ops, its backward. Backends
 * dispatch by entry; the tape calls `backward`. To add an op: one entry here, one `.wgsl` entry
 * point, one reference, one function in `functional.ts`/`rows.ts`, one test.
 *
 * Uniforms are 32-bit scalars packed in the listed order (`name:f32` for floats, u32 otherwise),
 * the WGSL `Params` struct declares the same fields. `consts` are prepended to the shader source
 * as `const NAME: u32 = …;` and select a specialisation (cached per pipeline).
 *
 * @module
 */

import * as cpu from "./_cpu.ts";
import { decoderGraph } from "./_cpu_graph.ts";
import * as edges from "./_cpu_edges.ts";
import { langevinStep } from "./_cpu_sampler.ts";
import type { Tensor } from "./tensor.ts";
import type { TapeNode } from "./tape.ts";
import { dummy, grid1d, launchRows, out, type RowBuf } from "./_launch.ts";
import {
  activationBackward,
  bmm,
  expand,
  fill,
  matmul,
  mul,
  reshapeView,
  scale,
  sumTo,
  transpose,
} from "./functional.ts";
import { concat, gatherGrad, mseGrad, split } from "./rows.ts";
import { segmentExpand } from "./segments.ts";

/** Maps output gradients (undefined: none) to input gradients, for inputs with `needs[i]`. */
export type Backward = (
  node: TapeNode,
  grads: (Tensor | undefined)[],
  needs: boolean[],
) => (Tensor | undefined)[];

/** How to run one kernel: where its WGSL lives, its interface and its CPU reference. */
export interface KernelDef {
  /** Registry key. */
  name: string;
  /** File in `shaders/`. */
  shader: string;
  /** WGSL entry point. */
  entry: string;
  /** Buffer names in binding order (0, 1, …); the uniform struct follows at the next binding. */
  bindings: readonly string[];
  /** Uniform fields in order; `name:f32` for f32, otherwise u32. */
  uniforms: readonly string[];
  /** Names of the compile-time constants the shader expects. */
  consts: readonly string[];
  /** The plain-TS definition of what the kernel computes. */
  reference: cpu.CpuKernel;
  /**
   * The wasm backend runs `reference` over its own memory instead of a Rust export `k_<entry>`
   * (kernels without a Rust port yet; they are correct there, not fast).
   */
  wasmUsesReference?: boolean;
}

/** A registry entry: a kernel, differentiable when it has a backward. */
export interface OpDef extends KernelDef {
  /** Input gradients from output gradients; absent for kernels used only inside other ops. */
  backward?: Backward;
}

function k(
  name: string,
  shader: string,
  entry: string,
  bindings: string,
  uniforms: string,
  reference: cpu.CpuKernel,
  consts = "",
  backward?: Backward,
): OpDef {
  const split = (s: string) => s.split(" ").filter((x) => x);
  return {
    name,
    shader,
    entry,
    bindings: split(bindings),
    uniforms: split(uniforms),
    consts: split(consts),
    reference,
    backward,
  };
}

const BCAST = "d0 d1 d2 d3";
const A_STRIDES = "a0 a1 a2 a3";

/**
 * With z = op(a)·op(b) (+ bias): dz·op(b)ᵀ and op(a)ᵀ·dz, each one product that reads its operands
 * transposed in place (matmul_nt / matmul_tn kernels), no transposed copies.
 */
const matmulBackward: Backward = ({ inputs: [a, b, bias], attrs }, [g], needs) => {
  const gz = attrs.act ? activationBackward(g!, attrs.pre as Tensor, attrs.act as number) : g!;
  const ta = attrs.ta === true, tb = attrs.tb === true;
  // a·b: da = g·bᵀ, db = aᵀ·g;  a·bᵀ: da = g·b, db = gᵀ·a;  aᵀ·b: da = b·gᵀ, db = a·g.
  const da = !needs[0] ? undefined : ta ? matmul(b, gz, { transB: true }) : matmul(gz, b, { transB: !tb });
  const db = !needs[1] ? undefined : tb ? matmul(gz, a, { transA: true }) : matmul(a, gz, { transA: !ta });
  return [da, db, bias && needs[2] ? sumTo(gz, bias.shape) : undefined];
};

/** d op(a) = g·op(b)ᵀ and d op(b) = op(a)ᵀ·g, each as one bmm (op: the transpose flags). */
const bmmBackward: Backward = ({ inputs: [a, b], attrs }, [g], needs) => {
  const ta = attrs.ta as boolean, tb = attrs.tb as boolean;
  return [
    !needs[0] ? undefined : ta ? bmm(b, g!, { transA: tb, transB: true }) : bmm(g!, b, { transB: !tb }),
    !needs[1] ? undefined : tb ? bmm(g!, a, { transA: true, transB: ta }) : bmm(a, g!, { transA: !ta }),
  ];
};

const binaryBackward: Backward = ({ inputs: [a, b], attrs }, [g0], needs) => {
  const kind = attrs.kind as string, alpha = (attrs.alpha as number | undefined) ?? 1;
  const g = alpha === 1 ? g0 : scale(g0!, alpha);
  const ga = !needs[0] ? undefined : kind === "mul" ? mul(g!, b) : g!;
  const gb = !needs[1] ? undefined : kind === "mul" ? mul(g!, a) : kind === "sub" ? scale(g!, -1) : g!;
  return [ga && sumTo(ga, a.shape), gb && sumTo(gb, b.shape)];
};

const gatherBackward: Backward = (
  { inputs: [x], attrs },
  [g],
) => [gatherGrad(g!, attrs.idx as Tensor, x.shape[0])];

const COPY_COLS = [
  "concat.wgsl",
  "copy_cols",
  "src dst",
  "rows width src_cols src_off dst_cols dst_off",
] as const;
const GATHER = ["gather.wgsl", "gather_rows", "x idx out", "r c n"] as const;
const GATHER_CONSTS = "VEC";
const GRAPH_BINDINGS = "frac crystal offsets lattices edges geom count";
const DECODER_EDGES = "decoder_edges.wgsl";

/**
 * Entries for kernels of the device-resident sampler, keyed by name; the wasm backend runs their
 * references (the CPU sampler builds its graph with the wasm geometry core instead).
 */
function deviceOnly(defs: OpDef[]): Record<string, OpDef> {
  return Object.fromEntries(defs.map((d) => [d.name, { ...d, wasmUsesReference: true }]));
}

/** Every kernel, by name. */
export const OPS: Record<string, OpDef> = {
  // creation
  fill: k("fill", "elementwise.wgsl", "fill", "out", "n value:f32", cpu.fill),
  rand_uniform: k(
    "rand_uniform",
    "random.wgsl",
    "rand_uniform",
    "out",
    "n seed_lo seed_hi offset lo:f32 hi:f32",
    cpu.randUniform,
  ),
  rand_normal: k(
    "rand_normal",
    "random.wgsl",
    "rand_normal",
    "out",
    "n seed_lo seed_hi offset mean:f32 std:f32",
    cpu.randNormal,
  ),

  // dense
  matmul: k(
    "matmul",
    "matmul.wgsl",
    "matmul",
    "a b bias out pre",
    "m n k",
    cpu.matmul,
    "ACT BIAS PRE",
    matmulBackward,
  ),
  matmul_nt: k("matmul_nt", "matmul_t.wgsl", "matmul_nt", "a b out", "m n k", cpu.matmulNT),
  matmul_tn: k("matmul_tn", "matmul_t.wgsl", "matmul_tn", "a b out", "m n k", cpu.matmulTN, "ACC"),
  matmul_naive: k(
    "matmul_naive",
    "matmul_naive.wgsl",
    "matmul_naive",
    "a b bias out pre",
    "m n k",
    cpu.matmul,
    "ACT BIAS PRE",
  ),
  bmm: k("bmm", "bmm.wgsl", "bmm", "a b out", "r m n k", cpu.bmm, "TA TB", bmmBackward),
  transpose: k(
    "transpose",
    "transpose.wgsl",
    "transpose",
    "x out",
    "r c",
    cpu.transpose,
    "",
    (_, [g]) => [transpose(g!)],
  ),

  // elementwise
  binary: k(
    "binary",
    "elementwise.wgsl",
    "binary",
    "a b out",
    `${BCAST} ${A_STRIDES} b0 b1 b2 b3 n alpha:f32`,
    cpu.binary,
    "OP",
    binaryBackward,
  ),
  scale: k(
    "scale",
    "elementwise.wgsl",
    "scale",
    "x out",
    "n alpha:f32 beta:f32",
    cpu.scale,
    "",
    ({ attrs }, [g]) => [
      scale(g!, attrs.alpha as number),
    ],
  ),
  expand: k(
    "expand",
    "elementwise.wgsl",
    "expand",
    "a out",
    `${BCAST} ${A_STRIDES} n alpha:f32`,
    cpu.expand,
    "",
    (
      { inputs: [x], attrs },
      [g],
    ) => [attrs.alpha === 1 ? sumTo(g!, x.shape) : scale(sumTo(g!, x.shape), attrs.alpha as number)],
  ),
  sum_to: k(
    "sum_to",
    "reduce.wgsl",
    "sum_to",
    "x out",
    `${BCAST} ${A_STRIDES} r0 r1 r2 r3 q0 q1 q2 q3 n nr`,
    cpu.sumTo,
    "",
    (
      { inputs: [x] },
      [g],
    ) => [expand(g!, x.shape)],
  ),
  unary: k("unary", "unary.wgsl", "unary", "x out", "n", cpu.unary, "ACT", ({ inputs: [x], attrs }, [g]) => [
    activationBackward(g!, x, attrs.act as number),
  ]),
  unary_backward: k(
    "unary_backward",
    "unary.wgsl",
    "unary_backward",
    "g x out",
    "n",
    cpu.unaryBackward,
    "ACT",
  ),

  // feature axis
  copy_cols: k("copy_cols", ...COPY_COLS, cpu.copyCols),
  concat: k(
    "concat",
    ...COPY_COLS,
    cpu.copyCols,
    "",
    ({ attrs }, [g]) => split(g!, attrs.widths as number[]),
  ),
  reshape: k("reshape", ...COPY_COLS, cpu.copyCols, "", ({ inputs: [x] }, [g]) => [reshapeView(g!, x.shape)]),
  split: k("split", ...COPY_COLS, cpu.copyCols, "", ({ inputs: [x], attrs }, gs) => {
    const widths = attrs.widths as number[];
    return [concat(gs.map((g, i) => g ?? fill(x.backend, [x.shape[0], widths[i]], 0)))];
  }),

  // rows by index
  gather_rows: k("gather_rows", ...GATHER, cpu.gatherRows, GATHER_CONSTS),
  gather: k("gather", ...GATHER, cpu.gatherRows, GATHER_CONSTS, gatherBackward),
  embedding: k("embedding", ...GATHER, cpu.gatherRows, GATHER_CONSTS, gatherBackward),
  segment_sum: k(
    "segment_sum",
    "segment.wgsl",
    "segment_sum",
    "x rowptr perm out",
    "r c",
    cpu.segmentSum,
    "MEAN PERM VEC",
    (
      { inputs: [x], attrs },
      [g],
    ) => [segmentExpand(g!, attrs.rowptr as Tensor, x.shape[0], attrs.mean as boolean)],
  ),
  segment_expand: k(
    "segment_expand",
    "segment.wgsl",
    "segment_expand",
    "g rowptr out",
    "e r c",
    cpu.segmentExpand,
    "MEAN",
  ),

  // softmax and losses
  softmax: k(
    "softmax",
    "softmax.wgsl",
    "softmax",
    "x out",
    "r c",
    cpu.softmax,
    "LOG",
    ({ outputs: [y], attrs }, [g]) => {
      const o = out(y.backend, y.shape);
      const c = y.shape.length === 1 ? y.size : y.size / y.shape[0];
      launchRows(y.backend, "softmax_backward", y.size / c, [[g!, c], [y, c], [o, c]], { c }, grid1d, {
        LOG: attrs.log ? 1 : 0,
      });
      return [o];
    },
  ),
  softmax_backward: k(
    "softmax_backward",
    "softmax.wgsl",
    "softmax_backward",
    "g y out",
    "r c",
    cpu.softmaxBackward,
    "LOG",
  ),
  cross_entropy: k(
    "cross_entropy",
    "loss.wgsl",
    "cross_entropy",
    "x t w out",
    "r c",
    cpu.crossEntropy,
    "WEIGHT",
    (
      { inputs: [x], attrs },
      [g],
    ) => {
      const o = out(x.backend, x.shape);
      const [r, c] = x.shape;
      const w = attrs.weight as Tensor | undefined;
      const bufs: RowBuf[] = [[g!, 1], [x, c], [attrs.target as Tensor, 1], w ? [w, 1] : dummy(x.backend).f, [
        o,
        c,
      ]];
      launchRows(x.backend, "cross_entropy_backward", r, bufs, { c }, grid1d, { WEIGHT: w ? 1 : 0 });
      return [o];
    },
  ),
  cross_entropy_backward: k(
    "cross_entropy_backward",
    "loss.wgsl",
    "cross_entropy_backward",
    "g x t w out",
    "r c",
    cpu.crossEntropyBackward,
    "WEIGHT",
  ),
  mse: k("mse", "loss.wgsl", "mse", "a b out", "n", cpu.mse, "", ({ inputs: [a, b] }, [g], needs) => {
    const da = mseGrad(g!, a, b);
    return [da, needs[1] ? scale(da, -1) : undefined];
  }),
  mse_backward: k("mse_backward", "loss.wgsl", "mse_backward", "g a b out", "n", cpu.mseBackward),
  sum_all: k(
    "sum_all",
    "reduce.wgsl",
    "sum_all",
    "x out",
    "n",
    cpu.sumAll,
    "MEAN",
    ({ inputs: [x], attrs }, [g]) => [
      expand(g!, x.shape, attrs.mean ? 1 / x.size : 1),
    ],
  ),

  // geometry: the decoder's periodic k-nearest graph (one invocation per receiver)
  decoder_graph: {
    ...k(
      "decoder_graph",
      "decoder_graph.wgsl",
      "decoder_graph",
      GRAPH_BINDINGS,
      "n k r2:f32",
      decoderGraph,
      "K",
    ),
    wasmUsesReference: true,
  },
  // geometry: GemNet-T's re-symmetrised graph, triplets and bases from that table
  ...deviceOnly([
    k("edges_degree", DECODER_EDGES, "edges_degree", "edges range deg", "n k", edges.edgesDegree),
    k("edges_offsets", DECODER_EDGES, "edges_offsets", "deg offsets sizes", "n", edges.edgesOffsets),
    k(
      "edges_fill",
      DECODER_EDGES,
      "edges_fill",
      "edges geom range offsets src tgt egeom slot",
      "n k",
      edges.edgesFill,
    ),
    k("edges_swap", DECODER_EDGES, "edges_swap", "slot swap", "n k", edges.edgesSwap),
    k(
      "triplet_slots",
      DECODER_EDGES,
      "triplet_slots",
      "tgt offsets egeom trip cos count",
      "e kmax",
      edges.tripletSlots,
    ),
    k(
      "gemnet_rbf",
      DECODER_EDGES,
      "gemnet_rbf",
      "egeom centres out",
      "e r p inv_cutoff:f32 coeff:f32",
      edges.gemnetRbf,
    ),
    k("gemnet_cbf", DECODER_EDGES, "gemnet_cbf", "cos count out", "e s kmax", edges.gemnetCbf),
    // sampler: one Langevin update per atom
    k(
      "langevin_step",
      "langevin.wgsl",
      "langevin_step",
      "frac scores logits noise lattices inverses crystal types",
      "n t step:f32 noise_std:f32 inv_sigma:f32",
      langevinStep,
    ),
  ]),

  // optimiser
  adam: k(
    "adam",
    "adam.wgsl",
    "adam",
    "w g m v",
    "n lr:f32 b1:f32 b2:f32 eps:f32 bc1:f32 bc2:f32 clip:f32 wd:f32",
    cpu.adam,
  ),
};
