/**
 * Layout of the control block through which the wasm backend (`wasm.ts`) hands a kernel call to
 * its helper thread (`_wasm_worker.ts`): an Int32Array over a SharedArrayBuffer, plus the call's
 * arguments in a Float64Array over a second one.
 *
 * A call is offered, not assigned: the main thread writes the arguments, sets `offer` and `job` to a
 * new sequence number and wakes the helper, then runs the call itself. The helper takes the offer
 * by swapping `offer` from seq to −seq (compare-exchange), runs the call and stores seq in `done`.
 * The main thread, once out of work items, withdraws the offer by swapping it from seq to 0: if that
 * succeeds the helper never entered the call (it finds the offer gone and skips it) and nothing is
 * waited for; otherwise it waits for `done` = seq. Both threads claim the call's work items from one
 * counter in wasm memory (wasm/kernels/src/par.rs), so the items fall to whichever thread is free.
 *
 * @module
 */

/** Indices into the control block. */
export const CTRL = {
  /** Sequence number of the latest offered call (the helper waits on it). */
  job: 0,
  /** Sequence number of the last call the helper finished. */
  done: 1,
  /** Index of the export (in the names the helper received) and number of arguments. */
  fn: 2,
  nargs: 3,
  /** 1 when the helper's last call trapped. */
  trap: 4,
  /** seq while the call is offered, −seq once the helper took it, 0 once withdrawn. */
  offer: 5,
} as const;

/** Sequence numbers run 1 … SEQ_MAX and wrap (the helper reports −1 in `done` when it is ready). */
export const SEQ_MAX = 0x3fffffff;

/** Int32 slots of the control block and Float64 slots of the arguments block. */
export const CTRL_SLOTS = 16, ARG_SLOTS = 64;
