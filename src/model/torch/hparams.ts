/**
 * The reference's `hparams.yaml` (the Hydra/OmegaConf configuration Lightning saves beside a
 * checkpoint), parsed with the `yaml` package from npm and with OmegaConf's plain interpolations
 * (`${data.num_targets}`) resolved; resolver calls (`${oc.env:PROJECT_ROOT}`, `${now:…}`) stay as
 * text, since nothing we read depends on them.
 *
 * @module
 */

import { parse } from "yaml";

/** An `hparams.yaml` that cannot be read or lacks what a model needs. */
export class HparamsError extends Error {
  override name = "HparamsError";
}

/** Longest chain of interpolations followed before a cycle is assumed. */
const MAX_INTERPOLATION_DEPTH = 32;

/**
 * Parses an `hparams.yaml` text and resolves its `${a.b.c}` references.
 *
 * @param text The YAML
 * @param label How messages name the file
 * @returns The tree, references replaced by the values they point at
 * @throws {HparamsError} On YAML syntax errors, references to missing keys and cycles
 *
 * @example
 * ```ts
 * import { parseHparams } from "./hparams.ts";
 * import { assertEquals } from "../../../tests/_assert.ts";
 * const h = parseHparams("data:\n  n: 3\nmodel:\n  n: ${data.n}\n  p: ${oc.env:HOME}/x\n");
 * assertEquals(h, { data: { n: 3 }, model: { n: 3, p: "${oc.env:HOME}/x" } });
 * ```
 */
export function parseHparams(text: string, label = "hparams.yaml"): Record<string, unknown> {
  let tree: unknown;
  try {
    tree = parse(text);
  } catch (e) {
    throw new HparamsError(`Cannot parse "${label}": ${(e as Error).message.split("\n")[0]}`);
  }
  if (typeof tree !== "object" || tree === null || Array.isArray(tree)) {
    throw new HparamsError(`Cannot read "${label}": the top level is not a mapping`);
  }
  const root = tree as Record<string, unknown>;
  const lookup = (path: string, depth: number): unknown => {
    let v: unknown = root;
    for (const part of path.split(".")) {
      if (typeof v !== "object" || v === null || !(part in v)) {
        throw new HparamsError(`Cannot read "${label}": \${${path}} refers to a missing key`);
      }
      v = (v as Record<string, unknown>)[part];
    }
    return resolve(v, depth + 1);
  };
  const resolve = (v: unknown, depth: number): unknown => {
    if (depth > MAX_INTERPOLATION_DEPTH) {
      throw new HparamsError(`Cannot read "${label}": interpolations form a cycle`);
    }
    if (typeof v === "string") {
      const whole = /^\$\{([\w.]+)\}$/.exec(v);
      if (whole) return lookup(whole[1], depth);
      return v.replace(/\$\{([\w.]+)\}/g, (_, p) => String(lookup(p, depth)));
    }
    if (Array.isArray(v)) return v.map((x) => resolve(x, depth));
    if (typeof v === "object" && v !== null) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x, depth)]));
    }
    return v;
  };
  return resolve(root, 0) as Record<string, unknown>;
}

/** Reads typed values out of a parsed `hparams.yaml`, naming the key and file when one is wrong. */
export class HparamsReader {
  constructor(readonly tree: Record<string, unknown>, readonly label: string) {}

  /** The value at a dotted path, or undefined. */
  get(path: string): unknown {
    let v: unknown = this.tree;
    for (const part of path.split(".")) {
      if (typeof v !== "object" || v === null) return undefined;
      v = (v as Record<string, unknown>)[part];
    }
    return v;
  }

  /** A number (YAML int or float). */
  number(path: string, fallback?: number): number {
    const v = this.get(path) ?? fallback;
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new HparamsError(
        `Cannot read "${this.label}": ${path} is ${JSON.stringify(v)}, expected a number`,
      );
    }
    return v;
  }

  /** A boolean. */
  boolean(path: string, fallback?: boolean): boolean {
    const v = this.get(path) ?? fallback;
    if (typeof v !== "boolean") {
      throw new HparamsError(
        `Cannot read "${this.label}": ${path} is ${JSON.stringify(v)}, expected true or false`,
      );
    }
    return v;
  }

  /** A string. */
  string(path: string, fallback?: string): string {
    const v = this.get(path) ?? fallback;
    if (typeof v !== "string") {
      throw new HparamsError(`Cannot read "${this.label}": ${path} is ${JSON.stringify(v)}, expected text`);
    }
    return v;
  }
}
