/**
 * The helper thread of the wasm backend (`wasm.ts`): instantiates the threaded kernel module on the
 * backend's shared memory, moves its shadow stack and TLS to blocks the main thread allocated
 * (every instance starts with the same `__stack_pointer`), then runs kernel calls posted through a
 * shared control block until the process exits. It is unref'ed, so it never keeps Deno alive.
 *
 * Control block (Int32Array over a SharedArrayBuffer): [0] job sequence number, bumped by the main
 * thread; [1] the last finished sequence number; [2] index of the export in `names`; [3] number of
 * arguments; [4] 1 when the last job threw. Arguments: a Float64Array over a second buffer.
 *
 * @module
 */

import { parentPort } from "node:worker_threads";

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
  Atomics.store(ctrl, 1, -1); // ready
  Atomics.notify(ctrl, 1);
  for (;;) {
    Atomics.wait(ctrl, 0, seq);
    seq = Atomics.load(ctrl, 0);
    try {
      fns[ctrl[2]](...args.subarray(0, ctrl[3]));
      ctrl[4] = 0;
    } catch {
      ctrl[4] = 1;
    }
    Atomics.store(ctrl, 1, seq);
    Atomics.notify(ctrl, 1);
  }
});
