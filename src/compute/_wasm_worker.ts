/**
 * The helper thread of the wasm backend (`wasm.ts`): instantiates the threaded kernel module on the
 * backend's shared memory, moves its shadow stack and TLS to blocks the main thread allocated
 * (every instance starts with the same `__stack_pointer`), then takes the kernel calls the main
 * thread offers through a shared control block (`_wasm_ctrl.ts`) until the process exits. It is
 * unref'ed, so it never keeps Deno alive.
 *
 * @module
 */

import { parentPort } from "node:worker_threads";
import { CTRL } from "./_wasm_ctrl.ts";

/** What the main thread sends once. */
export interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  ctrl: Int32Array;
  args: Float64Array;
  names: string[];
  /** Top of this thread's stack (16-byte aligned) and its TLS block. */
  stackTop: number;
  tls: number;
}

parentPort?.once("message", (init: WorkerInit) => {
  const { ctrl, args } = init;
  const x = new WebAssembly.Instance(init.module, { env: { memory: init.memory } }).exports;
  (x.__stack_pointer as WebAssembly.Global).value = init.stackTop;
  (x.__wasm_init_tls as (p: number) => void)(init.tls);
  const fns = init.names.map((n) => x[n] as (...a: number[]) => void);
  let seq = 0;
  Atomics.store(ctrl, CTRL.done, -1); // ready
  Atomics.notify(ctrl, CTRL.done);
  for (;;) {
    Atomics.wait(ctrl, CTRL.job, seq);
    seq = Atomics.load(ctrl, CTRL.job);
    // Take the offer unless the main thread has already withdrawn it (it then ran every item).
    if (Atomics.compareExchange(ctrl, CTRL.offer, seq, -seq) !== seq) continue;
    try {
      fns[ctrl[CTRL.fn]](...args.subarray(0, ctrl[CTRL.nargs]));
      ctrl[CTRL.trap] = 0;
    } catch {
      ctrl[CTRL.trap] = 1;
    }
    Atomics.store(ctrl, CTRL.done, seq);
    Atomics.notify(ctrl, CTRL.done);
  }
});
