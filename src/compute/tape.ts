/**
 * Tape autograd over ops. While a tape records, every op whose inputs need a gradient appends a
 * node (op, inputs, outputs, saved attributes; see `recording.ts`); `backward` walks the nodes in
 * reverse, calling each op's backward from `gradients.ts`, and accumulates into `grad` of the leaves
 * (parameters). `dispose` frees every tensor the tape created, so nothing is retained between
 * steps except parameters, their gradients and what the caller keeps.
 *
 * @module
 */

import { registry, type Tensor } from "./tensor.ts";
import { add, copy, fill } from "./functional.ts";
import { backwardOf } from "./gradients.ts";
import { recording, type TapeNode } from "./recording.ts";

export { recordOp, type TapeNode, willRecord } from "./recording.ts";

/**
 * Records ops for reverse-mode differentiation.
 *
 * @example Gradient of a sum of squares
 * ```ts
 * import { Tape } from "./tape.ts";
 * import { mul, sum } from "./functional.ts";
 * import { Tensor } from "./tensor.ts";
 * import { getBackend } from "./backend.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = await getBackend({ prefer: "reference" });
 * const w = Tensor.from(be, [1, 2, 3]);
 * w.requiresGrad = true;
 * const tape = new Tape();
 * const loss = tape.record(() => sum(mul(w, w)));
 * tape.backward(loss);
 * assertEquals(await w.grad!.read(), new Float32Array([2, 4, 6]));
 * tape.dispose();
 * ```
 */
export class Tape {
  /** Recorded nodes, in execution order. */
  readonly nodes: TapeNode[] = [];
  /** Tensors created while recording or differentiating; freed by {@linkcode Tape.dispose}. */
  readonly owned: Set<Tensor> = new Set<Tensor>();

  /** Runs `fn` with this tape recording; returns its result. */
  record<T>(fn: () => T): T {
    const [prevTape, prevReg] = [recording.nodes, registry.current];
    recording.nodes = this.nodes;
    registry.current = this.owned;
    try {
      return fn();
    } finally {
      recording.nodes = prevTape;
      registry.current = prevReg;
    }
  }

  /**
   * Back-propagates from `loss` (seed: ones, or `seed`) and adds the gradients of the leaves that
   * require one (the parameters) into their `grad`.
   *
   * Memory: every tensor the backward creates (gradients of intermediate tensors, temporaries of
   * the ops' backwards) is freed as soon as nothing needs it any more: a temporary when its node is
   * done, a gradient when the node that produced its tensor has consumed it (gradients are
   * reference-counted, since an op's backward may pass its output gradient on unchanged). So the
   * backward's working set is the gradient frontier, not every gradient of the graph. The
   * forward's tensors (and a caller's `seed`) are left alone: the tape frees them on `dispose`.
   *
   * @param loss A tensor produced while this tape recorded
   * @param seed Gradient of the final objective with respect to `loss` (default: ones)
   */
  backward(loss: Tensor, seed?: Tensor): void {
    const prevReg = registry.current;
    /** Tensors this call created and has not freed yet. */
    const made = new Set<Tensor>();
    /** Number of entries of `grads` that hold each gradient tensor. */
    const refs = new Map<Tensor, number>();
    const grads = new Map<Tensor, Tensor>();
    const freeIfUnused = (g: Tensor) => {
      if (!refs.has(g) && made.delete(g)) g.dispose();
    };
    const drop = (g: Tensor) => {
      const n = refs.get(g)! - 1;
      if (n > 0) refs.set(g, n);
      else {
        refs.delete(g);
        freeIfUnused(g);
      }
    };
    const assign = (t: Tensor, g: Tensor) => {
      refs.set(g, (refs.get(g) ?? 0) + 1);
      const old = grads.get(t);
      grads.set(t, g);
      if (old) drop(old);
    };
    try {
      registry.current = made;
      assign(loss, seed ?? fill(loss.backend, loss.shape, 1));
      const produced = new Set<Tensor>();
      for (const n of this.nodes) for (const o of n.outputs) produced.add(o);
      const step = new Set<Tensor>();
      for (let i = this.nodes.length - 1; i >= 0; i--) {
        const node = this.nodes[i];
        const gOut = node.outputs.map((o) => grads.get(o));
        if (gOut.every((g) => g === undefined)) continue;
        const needs = node.inputs.map((t) => t.requiresGrad);
        step.clear();
        registry.current = step;
        const gIn = backwardOf(node.op.name)(node, gOut, needs);
        node.inputs.forEach((t, j) => {
          const g = gIn[j];
          if (!needs[j] || !g) return;
          const prev = grads.get(t);
          assign(t, prev ? add(prev, g) : g);
        });
        registry.current = made;
        for (const t of step) made.add(t);
        // The outputs' gradients are consumed; so are the node's temporaries.
        for (const o of node.outputs) {
          const g = grads.get(o);
          if (g === undefined) continue;
          grads.delete(o);
          drop(g);
        }
        for (const t of step) freeIfUnused(t);
      }
      registry.current = null;
      for (const [t, g] of grads) {
        if (produced.has(t) || t === loss || !t.requiresGrad) continue;
        const old = t.grad;
        if (old) t.grad = add(old, g);
        else if (refs.get(g) === 1 && made.delete(g)) t.grad = g; // the only holder: keep it as is
        else t.grad = copy(g);
        old?.dispose();
      }
      for (const t of made) t.dispose();
      made.clear();
    } finally {
      // After an error, what is left is freed with the tape.
      for (const t of made) this.owned.add(t);
      registry.current = prevReg;
    }
  }

  /** Frees every tensor the tape owns except `keep`, and forgets the nodes. */
  dispose(keep: Tensor[] = []): void {
    const k = new Set(keep);
    for (const t of this.owned) if (!k.has(t)) t.dispose();
    this.owned.clear();
    this.nodes.length = 0;
  }
}

/**
 * Collects the tensors ops create without recording anything (inference): run `fn`, then free
 * what it created with {@linkcode TensorScope.dispose}.
 *
 * @example Inference scope
 * ```ts
 * import { TensorScope } from "./tape.ts";
 * import { scale } from "./functional.ts";
 * import { Tensor } from "./tensor.ts";
 * import { getBackend } from "./backend.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = await getBackend({ prefer: "reference" });
 * const scope = new TensorScope();
 * const y = scope.run(() => scale(Tensor.from(be, [1, 2]), 2));
 * assertEquals(await y.read(), new Float32Array([2, 4]));
 * scope.dispose();
 * assertEquals(y.disposed, true);
 * ```
 */
export class TensorScope {
  /** Tensors created inside {@linkcode TensorScope.run}. */
  readonly owned: Set<Tensor> = new Set<Tensor>();

  /** Runs `fn` with recording off, owning every tensor it creates. */
  run<T>(fn: () => T): T {
    const [prevTape, prevReg] = [recording.nodes, registry.current];
    recording.nodes = null;
    registry.current = this.owned;
    try {
      return fn();
    } finally {
      recording.nodes = prevTape;
      registry.current = prevReg;
    }
  }

  /** Frees every owned tensor except `keep`. */
  dispose(keep: Tensor[] = []): void {
    const k = new Set(keep);
    for (const t of this.owned) if (!k.has(t)) t.dispose();
    this.owned.clear();
  }
}

/**
 * Clears (and frees) the gradients of `params`.
 *
 * @param params Parameters whose `grad` to drop
 */
export function zeroGrad(params: Iterable<Tensor>): void {
  for (const p of params) {
    p.grad?.dispose();
    p.grad = undefined;
  }
}
