/**
 * Adam (Kingma & Ba 2015) as one fused kernel per parameter tensor: gradient clipping by value,
 * moment updates, bias correction and optional decoupled weight decay (AdamW) in one dispatch.
 *
 * @module
 */

import { launchElementwise } from "./_launch.ts";
import { fill } from "./functional.ts";
import { registry, type Tensor } from "./tensor.ts";

/** Options of {@linkcode Adam}. */
export interface AdamOptions {
  /** Learning rate (default 1e-3). */
  lr?: number;
  /** First-moment decay (default 0.9). */
  beta1?: number;
  /** Second-moment decay (default 0.999). */
  beta2?: number;
  /** Denominator guard (default 1e-8). */
  eps?: number;
  /** Gradients are clamped to [−clip, clip] before the update (default: no clipping). */
  clip?: number;
  /** Decoupled weight decay (default 0). */
  weightDecay?: number;
}

/**
 * Adam over a fixed list of parameters; `step` uses each parameter's `grad` (parameters without
 * one are skipped). Moments are resident buffers, created zeroed at construction.
 *
 * @example One step moves against the gradient
 * ```ts
 * import { Adam } from "./adam.ts";
 * import { Tensor } from "./tensor.ts";
 * import { getBackend } from "./backend.ts";
 * import { assert } from "../../tests/_assert.ts";
 * const be = await getBackend({ prefer: "reference" });
 * const w = Tensor.from(be, [1]);
 * w.grad = Tensor.from(be, [2]);
 * new Adam([w], { lr: 0.1 }).step();
 * assert((await w.item()) < 1);
 * ```
 */
export class Adam {
  /** Current learning rate (may be changed between steps by a schedule). */
  lr: number;
  /** Steps taken. */
  t = 0;
  readonly #opts: Required<Omit<AdamOptions, "lr">>;
  readonly #m: Tensor[];
  readonly #v: Tensor[];

  /**
   * @param params Parameters to update in place
   * @param opts Hyperparameters
   */
  constructor(readonly params: Tensor[], opts: AdamOptions = {}) {
    this.lr = opts.lr ?? 1e-3;
    this.#opts = {
      beta1: opts.beta1 ?? 0.9,
      beta2: opts.beta2 ?? 0.999,
      eps: opts.eps ?? 1e-8,
      clip: opts.clip ?? 3.4e38,
      weightDecay: opts.weightDecay ?? 0,
    };
    const prev = registry.current;
    registry.current = null;
    this.#m = params.map((p) => fill(p.backend, p.shape, 0));
    this.#v = params.map((p) => fill(p.backend, p.shape, 0));
    registry.current = prev;
  }

  /** Applies one update to every parameter that has a gradient (recorded, not submitted). */
  step(): void {
    this.t++;
    const { beta1: b1, beta2: b2, eps, clip, weightDecay: wd } = this.#opts;
    const params = { lr: this.lr, b1, b2, eps, bc1: 1 - b1 ** this.t, bc2: 1 - b2 ** this.t, clip, wd };
    this.params.forEach((p, i) => {
      if (!p.grad) return;
      launchElementwise(p.backend, "adam", [p, p.grad, this.#m[i], this.#v[i]], params);
    });
  }

  /** The first and second moment estimates, one per parameter (for checkpoints). */
  get moments(): { m: readonly Tensor[]; v: readonly Tensor[] } {
    return { m: this.#m, v: this.#v };
  }

  /** Frees the moment buffers. */
  dispose(): void {
    for (const t of [...this.#m, ...this.#v]) t.dispose();
  }
}
