/**
 * The backwards of the differentiable kernels, keyed by kernel name: each maps a tape node's
 * output gradients to its input gradients with ops of `functional.ts`. The tape looks them up by
 * the recorded kernel's name; {@linkcode registerBackward} adds one for a kernel registered
 * elsewhere.
 *
 * @module
 */

import type { TapeNode } from "./recording.ts";
import type { Tensor } from "./tensor.ts";
import { dummy, grid1d, launchRows, out, type RowBuf } from "./_launch.ts";
import {
  activationBackward,
  bmm,
  concat,
  expand,
  fill,
  gatherGrad,
  matmul,
  mseGrad,
  mul,
  reshapeView,
  scale,
  segmentExpand,
  split,
  sumTo,
  transpose,
} from "./functional.ts";

/** Maps output gradients (undefined: none) to input gradients, for inputs with `needs[i]`. */
export type Backward = (
  node: TapeNode,
  grads: (Tensor | undefined)[],
  needs: boolean[],
) => (Tensor | undefined)[];

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

const table: Record<string, Backward> = {
  matmul: matmulBackward,
  bmm: bmmBackward,
  transpose: (_, [g]) => [transpose(g!)],
  binary: binaryBackward,
  scale: ({ attrs }, [g]) => [scale(g!, attrs.alpha as number)],
  expand: ({ inputs: [x], attrs }, [g]) => [
    attrs.alpha === 1 ? sumTo(g!, x.shape) : scale(sumTo(g!, x.shape), attrs.alpha as number),
  ],
  sum_to: ({ inputs: [x] }, [g]) => [expand(g!, x.shape)],
  unary: ({ inputs: [x], attrs }, [g]) => [activationBackward(g!, x, attrs.act as number)],
  concat: ({ attrs }, [g]) => split(g!, attrs.widths as number[]),
  reshape: ({ inputs: [x] }, [g]) => [reshapeView(g!, x.shape)],
  split: ({ inputs: [x], attrs }, gs) => {
    const widths = attrs.widths as number[];
    return [concat(gs.map((g, i) => g ?? fill(x.backend, [x.shape[0], widths[i]], 0)))];
  },
  gather: gatherBackward,
  embedding: gatherBackward,
  segment_sum: ({ inputs: [x], attrs }, [g]) => [
    segmentExpand(g!, attrs.rowptr as Tensor, x.shape[0], attrs.mean as boolean),
  ],
  softmax: ({ outputs: [y], attrs }, [g]) => {
    const o = out(y.backend, y.shape);
    const c = y.shape.length === 1 ? y.size : y.size / y.shape[0];
    launchRows(y.backend, "softmax_backward", y.size / c, [[g!, c], [y, c], [o, c]], { c }, grid1d, {
      LOG: attrs.log ? 1 : 0,
    });
    return [o];
  },
  cross_entropy: ({ inputs: [x], attrs }, [g]) => {
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
  mse: ({ inputs: [a, b] }, [g], needs) => {
    const da = mseGrad(g!, a, b);
    return [da, needs[1] ? scale(da, -1) : undefined];
  },
  sum_all: ({ inputs: [x], attrs }, [g]) => [expand(g!, x.shape, attrs.mean ? 1 / x.size : 1)],
};

/**
 * Adds the backward of a kernel registered outside the runtime.
 *
 * @param name The kernel's registry name
 * @param backward Its backward
 * @throws {TypeError} When the kernel already has one
 */
export function registerBackward(name: string, backward: Backward): void {
  if (table[name] && table[name] !== backward) {
    throw new TypeError(`Cannot register a backward for kernel "${name}": it has one`);
  }
  table[name] = backward;
}

/**
 * The backward of kernel `name`.
 *
 * @throws {TypeError} When the kernel is not differentiable
 */
export function backwardOf(name: string): Backward {
  const b = table[name];
  if (!b) throw new TypeError(`Cannot differentiate kernel "${name}": it has no backward`);
  return b;
}
