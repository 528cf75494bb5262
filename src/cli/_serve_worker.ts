/**
 * The sampling thread of `serve` (a Deno Worker started by {@linkcode workerSampler}): loads the
 * model once and runs one `generate` at a time, posting each step, so that the server's own thread
 * stays free to answer other requests (503s, files, /health) and to notice a client that hangs up.
 * The server stops a job by setting a flag in shared memory that the job reads after every step.
 *
 * @module
 */

import { CDVAE } from "../model/cdvae.ts";
import type { GeneratedCrystal } from "../model/sampler.ts";
import { backendFromFlag } from "./generate.ts";

/** The server's messages. */
export type ToSampler =
  | { type: "init"; model: string; backend?: string }
  | { type: "job"; id: number; n: number; seed: number; stepsPerLevel: number; stop: Int32Array };

/** The worker's messages. */
export type FromSampler =
  | { type: "started" }
  | { type: "ready" }
  | { type: "step"; id: number; done: number; total: number }
  | { type: "done"; id: number; crystals: GeneratedCrystal[] }
  | { type: "error"; id?: number; message: string; stopped?: boolean };

/** Thrown inside a job whose stop flag is set. */
class Stopped extends Error {}

const scope = self as unknown as {
  onmessage: (e: MessageEvent<ToSampler>) => void;
  postMessage(m: FromSampler): void;
};
let model: Promise<CDVAE> | undefined;

scope.onmessage = async (e) => {
  const m = e.data;
  if (m.type === "init") {
    model = (async () => CDVAE.load(m.model, { backend: await backendFromFlag(m.backend) }))();
    model.then(
      () => scope.postMessage({ type: "ready" }),
      (err) => scope.postMessage({ type: "error", message: (err as Error).message }),
    );
    return;
  }
  try {
    if (!model) throw new Error("The sampler has no model (init was not sent)");
    const crystals = await (await model).generate({
      n: m.n,
      seed: m.seed,
      stepsPerLevel: m.stepsPerLevel,
      onStep: (done, total) => {
        if (Atomics.load(m.stop, 0) !== 0) throw new Stopped();
        scope.postMessage({ type: "step", id: m.id, done, total });
      },
    });
    scope.postMessage({ type: "done", id: m.id, crystals });
  } catch (err) {
    scope.postMessage({
      type: "error",
      id: m.id,
      message: (err as Error).message,
      ...(err instanceof Stopped ? { stopped: true } : {}),
    });
  }
};
// Messages that arrive while this module's imports still evaluate (the wasm glue awaits at top
// level) find no handler and are lost: the server sends "init" only after this.
scope.postMessage({ type: "started" });
