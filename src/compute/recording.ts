/**
 * The recording state of autograd: which tape (if any) records now, and how an op appends its
 * node. Ops call {@linkcode recordOp}; `tape.ts` switches the state in `Tape.record` and
 * `TensorScope.run`. Kept apart from the tape so the ops need not import the backward pass.
 *
 * @module
 */

import type { KernelDef } from "./backend_interface.ts";
import type { Tensor } from "./tensor.ts";

/** One recorded op application. */
export interface TapeNode {
  /** Registry entry; its backward (`gradients.ts`, by name) maps output to input gradients. */
  op: KernelDef;
  /** Inputs, in the op's order. */
  inputs: Tensor[];
  /** Outputs. */
  outputs: Tensor[];
  /** Whatever the forward saved for the backward (activation, pre-activation tensor, sizes…). */
  attrs: Record<string, unknown>;
}

/** The node list of the tape that records now; null while none does. */
export const recording: { nodes: TapeNode[] | null } = { nodes: null };

/** Called by ops: appends a node when a tape records and some input needs a gradient. */
export function recordOp(
  op: KernelDef,
  inputs: Tensor[],
  outputs: Tensor[],
  attrs: Record<string, unknown> = {},
): void {
  const nodes = recording.nodes;
  if (!nodes || !inputs.some((t) => t.requiresGrad)) return;
  for (const o of outputs) o.requiresGrad = true;
  nodes.push({ op, inputs, outputs, attrs });
}

/** Whether an op applied now to `inputs` will be recorded (so it should save what backward needs). */
export function willRecord(inputs: Tensor[]): boolean {
  return recording.nodes !== null && inputs.some((t) => t.requiresGrad);
}
