/**
 * Parameter initialisers drawn with the counter-based generator, so a seed fixes them on every
 * backend. Each returns a tensor with `requiresGrad = true`.
 *
 * @module
 */

import type { Backend } from "./backend_interface.ts";
import { fill, randNormal, type RandomOptions, randUniform } from "./functional.ts";
import { registry, type Tensor } from "./tensor.ts";

function param(make: () => Tensor): Tensor {
  const prev = registry.current;
  registry.current = null;
  try {
    const t = make();
    t.requiresGrad = true;
    return t;
  } finally {
    registry.current = prev;
  }
}

/**
 * Glorot/Xavier uniform (Glorot & Bengio 2010): U(−a, a), a = √(6 / (fanIn + fanOut)), for a
 * weight of shape [fanIn, fanOut].
 *
 * @param be Backend
 * @param fanIn Rows (inputs)
 * @param fanOut Columns (outputs)
 * @param rng Seed and stream offset
 * @returns The weight, requiring a gradient
 *
 * @example Values stay within the bound
 * ```ts
 * import { glorotUniform } from "./init.ts";
 * import { getBackend } from "./backend.ts";
 * import { assert } from "../../tests/_assert.ts";
 * const w = glorotUniform(await getBackend({ prefer: "reference" }), 4, 2, { seed: 1 });
 * assert((await w.read()).every((x) => Math.abs(x) <= 1));
 * ```
 */
export function glorotUniform(be: Backend, fanIn: number, fanOut: number, rng: RandomOptions): Tensor {
  const a = Math.sqrt(6 / (fanIn + fanOut));
  return param(() => randUniform(be, [fanIn, fanOut], rng, -a, a));
}

/**
 * He/Kaiming normal (He et al. 2015): N(0, 2 / fanIn), for ReLU-family layers.
 *
 * @param be Backend
 * @param fanIn Rows (inputs)
 * @param fanOut Columns (outputs)
 * @param rng Seed and stream offset
 * @returns The weight, requiring a gradient
 *
 * @example Shape
 * ```ts
 * import { heNormal } from "./init.ts";
 * import { getBackend } from "./backend.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const w = heNormal(await getBackend({ prefer: "reference" }), 8, 3, { seed: 2 });
 * assertEquals(w.shape, [8, 3]);
 * ```
 */
export function heNormal(be: Backend, fanIn: number, fanOut: number, rng: RandomOptions): Tensor {
  return param(() => randNormal(be, [fanIn, fanOut], rng, 0, Math.sqrt(2 / fanIn)));
}

/**
 * A zero-filled parameter (biases).
 *
 * @param be Backend
 * @param shape Dimensions
 * @returns The parameter, requiring a gradient
 *
 * @example
 * ```ts
 * import { zerosParam } from "./init.ts";
 * import { getBackend } from "./backend.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const b = zerosParam(await getBackend({ prefer: "reference" }), [3]);
 * assertEquals(await b.read(), new Float32Array(3));
 * ```
 */
export function zerosParam(be: Backend, shape: readonly number[]): Tensor {
  return param(() => fill(be, shape, 0));
}
