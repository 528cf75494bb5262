/**
 * Named parameters and the basic layers every network here is built from.
 *
 * Parameters are registered in a {@linkcode ParamStore} under the names the reference PyTorch
 * implementation uses in its `state_dict` (e.g. `encoder.emb.lin.weight`), so weights move
 * between the two by name. Our dense weights are [in, out] (we compute x·W); PyTorch stores
 * `nn.Linear.weight` as [out, in]. The store remembers which parameters are such weights, and
 * the safetensors writer/reader transposes them, so files are in PyTorch's layout.
 *
 * @module
 */

import type { Backend } from "../compute/backend.ts";
import { type Activation, embedding, fill, matmul, randNormal, randUniform } from "../compute/functional.ts";
import { registry, Tensor } from "../compute/tensor.ts";

/** How a parameter is laid out relative to PyTorch's `state_dict`. */
export type TorchLayout = "same" | "transposed";

/** One registered parameter. */
export interface ParamEntry {
  /** The tensor (requires a gradient unless frozen). */
  tensor: Tensor;
  /** Whether the file layout is the transpose of ours (dense weights). */
  layout: TorchLayout;
}

/**
 * All parameters of a model, by name, with deterministic initialisation: every parameter draws
 * from its own Philox stream (seed, stream index in registration order), so the same config and
 * seed give the same weights on every backend.
 *
 * @example A store with one dense layer
 * ```ts
 * import { getBackend } from "../compute/backend.ts";
 * import { Linear, ParamStore } from "./module.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const store = new ParamStore(await getBackend({ prefer: "reference" }), 1);
 * new Linear(store, "head", 4, 2);
 * assertEquals([...store.entries.keys()], ["head.weight", "head.bias"]);
 * assertEquals(store.count(), 10);
 * ```
 */
export class ParamStore {
  /** Parameters in registration order. */
  readonly entries: Map<string, ParamEntry> = new Map();
  #stream = 0;

  /**
   * @param be Backend the parameters live on
   * @param seed Seed of the initialisers
   */
  constructor(readonly be: Backend, readonly seed: number) {}

  /** Registers a tensor under `name` (throws on a duplicate name). */
  add(name: string, tensor: Tensor, layout: TorchLayout = "same", trainable = true): Tensor {
    if (this.entries.has(name)) throw new Error(`Parameter ${name} is registered twice`);
    tensor.requiresGrad = trainable;
    this.entries.set(name, { tensor, layout });
    return tensor;
  }

  /** Creates and registers a parameter; `make` runs outside any tape so the tensor persists. */
  create(
    name: string,
    make: (be: Backend, rng: { seed: number; seedHi: number }) => Tensor,
    layout: TorchLayout = "same",
    trainable = true,
  ): Tensor {
    const prev = registry.current;
    registry.current = null;
    try {
      const t = make(this.be, { seed: this.seed, seedHi: 0x9e37 + this.#stream++ });
      return this.add(name, t, layout, trainable);
    } finally {
      registry.current = prev;
    }
  }

  /** U(−a, a) of the given shape. */
  uniform(name: string, shape: readonly number[], a: number, layout: TorchLayout = "same"): Tensor {
    return this.create(name, (be, rng) => randUniform(be, shape, rng, -a, a), layout);
  }

  /** N(0, std²) of the given shape. */
  normal(name: string, shape: readonly number[], std: number, layout: TorchLayout = "same"): Tensor {
    return this.create(name, (be, rng) => randNormal(be, shape, rng, 0, std), layout);
  }

  /** A constant-filled parameter (biases start at zero). */
  constant(name: string, shape: readonly number[], value = 0, trainable = true): Tensor {
    return this.create(name, (be) => fill(be, shape, value), "same", trainable);
  }

  /** The parameter called `name` (throws when missing). */
  get(name: string): Tensor {
    const e = this.entries.get(name);
    if (!e) throw new Error(`No parameter called ${name}`);
    return e.tensor;
  }

  /** The trainable parameters, in registration order (what the optimiser updates). */
  trainable(): Tensor[] {
    return [...this.entries.values()].filter((e) => e.tensor.requiresGrad).map((e) => e.tensor);
  }

  /** Number of scalar parameters, optionally only those whose name starts with `prefix`. */
  count(prefix = ""): number {
    let n = 0;
    for (const [name, e] of this.entries) if (name.startsWith(prefix)) n += e.tensor.size;
    return n;
  }

  /** Frees every parameter and its gradient. */
  dispose(): void {
    for (const e of this.entries.values()) {
      e.tensor.grad?.dispose();
      e.tensor.dispose();
    }
    this.entries.clear();
  }
}

/** Weight initialisers of the dense layers (the reference's layers use these). */
export type DenseInit =
  /** Glorot/Xavier uniform, PyTorch's `xavier_uniform_`. */
  | "glorot"
  /** PyTorch's default for `nn.Linear`: U(±1/√fanIn) for weight and bias. */
  | "torch"
  /** He normal N(0, 2/fanIn). */
  | "he";

/** Options of {@linkcode Linear}. */
export interface LinearOptions {
  /** Whether there is a bias (default true). */
  bias?: boolean;
  /** Weight initialiser (default "torch", like `nn.Linear`). */
  init?: DenseInit;
}

/**
 * A dense layer y = act(x·W + b), W [in, out], stored as PyTorch's `nn.Linear` (`name.weight`
 * [out, in] in files, `name.bias`).
 */
export class Linear {
  /** Weight [in, out]. */
  readonly weight: Tensor;
  /** Bias [out], if any. */
  readonly bias: Tensor | undefined;

  constructor(
    store: ParamStore,
    /** state_dict prefix, e.g. `encoder.lin_rbf` */
    readonly name: string,
    readonly inFeatures: number,
    readonly outFeatures: number,
    opts: LinearOptions = {},
  ) {
    const init = opts.init ?? "torch";
    const shape = [inFeatures, outFeatures];
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = init === "glorot"
      ? store.uniform(`${name}.weight`, shape, Math.sqrt(6 / (inFeatures + outFeatures)), "transposed")
      : init === "he"
      ? store.normal(`${name}.weight`, shape, Math.sqrt(2 / inFeatures), "transposed")
      : store.uniform(`${name}.weight`, shape, bound, "transposed");
    if (opts.bias ?? true) {
      this.bias = init === "torch"
        ? store.uniform(`${name}.bias`, [outFeatures], bound)
        : store.constant(`${name}.bias`, [outFeatures]);
    }
  }

  /** act(x·W + b) for x [rows, in], in one fused kernel. */
  forward(x: Tensor, act?: Activation): Tensor {
    return matmul(x, this.weight, { bias: this.bias, act });
  }
}

/**
 * The reference's `build_mlp(in, hidden, fc_num_layers, out)`: (Linear, ReLU) × layers, then
 * Linear — an `nn.Sequential`, so its parameters are `name.0.*`, `name.2.*`, ….
 */
export class MLP {
  readonly layers: Linear[] = [];

  constructor(
    store: ParamStore,
    name: string,
    inDim: number,
    hidden: number,
    numLayers: number,
    outDim: number,
  ) {
    let d = inDim;
    for (let i = 0; i < numLayers; i++) {
      this.layers.push(new Linear(store, `${name}.${2 * i}`, d, hidden));
      d = hidden;
    }
    this.layers.push(new Linear(store, `${name}.${2 * numLayers}`, d, outDim));
  }

  /** The MLP's output for x [rows, in]. */
  forward(x: Tensor): Tensor {
    let h = x;
    const last = this.layers.length - 1;
    this.layers.forEach((l, i) => h = l.forward(h, i < last ? "relu" : undefined));
    return h;
  }
}

/** A lookup table [count, dim] (`name.weight`, like `nn.Embedding`), initialised U(±√3). */
export class Embedding {
  readonly weight: Tensor;

  constructor(
    store: ParamStore,
    name: string,
    readonly count: number,
    readonly dim: number,
    initBound: number = Math.sqrt(3),
  ) {
    this.weight = store.uniform(`${name}.weight`, [count, dim], initBound);
  }

  /** Rows of the table for u32 indices. */
  forward(idx: Tensor): Tensor {
    return embedding(this.weight, idx);
  }
}

/** A u32 index tensor from host indices (kept on the host too, for CSR planning). */
export function indexTensor(be: Backend, idx: ArrayLike<number>): Tensor {
  return Tensor.from(be, Uint32Array.from(idx));
}
