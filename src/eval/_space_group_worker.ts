/**
 * A worker of {@linkcode spaceGroupNumbersInWorkers} (`space_group_workers.ts`), with its own
 * instance of the wasm core: finds the space-group numbers of the crystals it is sent, reports its
 * progress per chunk, and answers with the numbers (or the error's message).
 *
 * The handler is installed before anything else runs and the core is imported inside it: a message
 * that arrives while a static import's top-level await (the wasm instantiation) is pending finds no
 * handler and is lost, and a "ready" handshake instead would wait for the main thread, which is busy
 * with other work (the coverage fingerprints) exactly when this worker should be running.
 *
 * @module
 */

/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />

import type { Crystal } from "../crystal/crystal.ts";

/** Main thread → worker: one part of the set. */
export interface SpaceGroupRequest {
  crystals: Crystal[];
  symprec: number;
}

/** Worker → main thread. */
export type SpaceGroupReply =
  | { type: "progress"; done: number }
  | { type: "done"; numbers: (number | null)[] }
  | { type: "error"; message: string };

self.onmessage = async (e: MessageEvent<SpaceGroupRequest>) => {
  const post = (reply: SpaceGroupReply) => self.postMessage(reply);
  try {
    const { spaceGroupNumbersOrNull } = await import("./space_groups.ts");
    const numbers = spaceGroupNumbersOrNull(
      e.data.crystals,
      e.data.symprec,
      (done) => post({ type: "progress", done }),
    );
    post({ type: "done", numbers });
  } catch (err) {
    post({ type: "error", message: err instanceof Error ? err.message : String(err) });
  }
};
