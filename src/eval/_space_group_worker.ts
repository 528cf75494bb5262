/**
 * A worker of {@linkcode spaceGroupNumbersInWorkers} (`space_group_workers.ts`), with its own
 * instance of the wasm core: says it is ready, finds the space-group numbers of the crystals it is
 * then sent, reports its progress per chunk, and answers with the numbers (or the error's message).
 *
 * @module
 */

/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />

import type { Crystal } from "../crystal/crystal.ts";
import { spaceGroupNumbersOrNull } from "./space_groups.ts";

/** Main thread → worker: one part of the set. */
export interface SpaceGroupRequest {
  crystals: Crystal[];
  symprec: number;
}

/** Worker → main thread. */
export type SpaceGroupReply =
  | { type: "ready" }
  | { type: "progress"; done: number }
  | { type: "done"; numbers: (number | null)[] }
  | { type: "error"; message: string };

self.onmessage = (e: MessageEvent<SpaceGroupRequest>) => {
  const post = (reply: SpaceGroupReply) => self.postMessage(reply);
  try {
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
// A message that arrives while the module graph is still loading (the wasm core is instantiated by
// a top-level await) finds no handler and is lost, so the main thread sends the work only after this.
self.postMessage({ type: "ready" } satisfies SpaceGroupReply);
