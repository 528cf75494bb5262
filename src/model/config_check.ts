/**
 * Full validation of a CDVAE config read from a file, so a bad value is refused at load time with
 * its path (`scalers.lattice.std has 5 values, expected 6`) instead of trapping in wasm or turning
 * every sampled lattice into NaN later.
 *
 * @module
 */

import type { CDVAEConfig } from "./config.ts";

/** A config that cannot describe a model. */
export class ConfigError extends RangeError {
  /** Always "ConfigError". */
  override name = "ConfigError";
}

/** Largest size of any layer or embedding: far past the reference's 256, short of exhausting memory. */
const MAX_WIDTH = 1 << 16;

/** Largest number of blocks, layers or noise levels. */
const MAX_DEPTH = 10_000;

/** Number of lattice targets (three lengths, three angles) the lattice scaler covers. */
const LATTICE_TARGETS = 6;

/** Integer fields of the top level and their bounds. */
const TOP_INTEGERS: [keyof CDVAEConfig, number, number][] = [
  ["latentDim", 1, MAX_WIDTH],
  ["hiddenDim", 1, MAX_WIDTH],
  ["fcNumLayers", 0, MAX_DEPTH],
  ["maxAtoms", 1, 10_000],
  ["numTypes", 1, 118],
  ["numNoiseLevels", 1, MAX_DEPTH],
];

/** Encoder/decoder fields that count layers or blocks (may be 0) rather than widths. */
const DEPTH_FIELDS = new Set([
  "numBlocks",
  "numBeforeSkip",
  "numAfterSkip",
  "numOutputLayers",
  "numAtomResidual",
  "numConcat",
]);

/**
 * Checks every field of a CDVAE config and returns it typed.
 *
 * @param config The parsed JSON
 * @param source Where it came from, for messages (a path or URL)
 * @returns The config
 * @throws {ConfigError} Naming the field, its value and what was expected
 * @example
 * ```ts
 * import { throws } from "node:assert";
 * import { defaultConfig } from "./config.ts";
 * checkCDVAEConfig(defaultConfig("perov_5"), "config.json");
 * throws(() => checkCDVAEConfig({ ...defaultConfig("perov_5"), latentDim: -5 }, "config.json"), /latentDim/);
 * ```
 */
export function checkCDVAEConfig(config: unknown, source: string): CDVAEConfig {
  const fail = (path: string, value: unknown, expected: string): never => {
    const v = JSON.stringify(value)?.slice(0, 80) ?? String(value);
    throw new ConfigError(`Invalid config "${source}": ${path} is ${v}, expected ${expected}`);
  };
  const isObject = (x: unknown): x is Record<string, unknown> =>
    typeof x === "object" && x !== null && !Array.isArray(x);
  if (!isObject(config)) return fail("the config", config, "a JSON object");
  const integer = (obj: Record<string, unknown>, path: string, key: string, min: number, max: number) => {
    const v = obj[key];
    if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) {
      fail(`${path}${key}`, v, `an integer in ${min}–${max}`);
    }
  };
  const positive = (obj: Record<string, unknown>, path: string, key: string, allowZero = false) => {
    const v = obj[key];
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
      fail(`${path}${key}`, v, allowZero ? "a finite number ≥ 0" : "a finite number > 0");
    }
  };
  for (const [key, min, max] of TOP_INTEGERS) integer(config, "", key, min, max);
  for (const key of ["sigmaBegin", "sigmaEnd", "typeSigmaBegin", "typeSigmaEnd"]) positive(config, "", key);
  positive(config, "", "beta", true);
  if (!Number.isInteger(config.teacherForcingMaxEpoch)) {
    fail("teacherForcingMaxEpoch", config.teacherForcingMaxEpoch, "an integer");
  }
  if (typeof config.predictProperty !== "boolean") {
    fail("predictProperty", config.predictProperty, "true or false");
  }

  for (const part of ["encoder", "decoder"] as const) {
    const block = config[part];
    if (!isObject(block)) return fail(part, block, "an object");
    for (const [key, v] of Object.entries(block)) {
      if (key === "graph") {
        if (v !== "radius" && v !== "crystalnn") fail(`${part}.graph`, v, `"radius" or "crystalnn"`);
      } else if (key === "cutoff" || key === "envelopeExponent") {
        positive(block, `${part}.`, key);
      } else if (typeof v === "number") {
        integer(
          block,
          `${part}.`,
          key,
          DEPTH_FIELDS.has(key) ? 0 : 1,
          DEPTH_FIELDS.has(key) ? MAX_DEPTH : MAX_WIDTH,
        );
      }
    }
  }

  const cost = config.cost;
  if (!isObject(cost)) return fail("cost", cost, "an object of loss weights");
  for (const key of ["natom", "lattice", "composition", "coord", "type", "property"]) {
    positive(cost, "cost.", key, true);
  }

  const scalers = config.scalers;
  if (!isObject(scalers)) return fail("scalers", scalers, "an object with a lattice scaler");
  const scaler = (name: string, length: number) => {
    const s = scalers[name];
    if (!isObject(s)) return fail(`scalers.${name}`, s, "an object with mean and std");
    for (const key of ["mean", "std"]) {
      const v = s[key];
      if (!Array.isArray(v) || v.length !== length) {
        fail(`scalers.${name}.${key}`, v, `an array of ${length} numbers`);
      }
      (v as unknown[]).forEach((x, i) => {
        if (typeof x !== "number" || !Number.isFinite(x) || (key === "std" && !(x > 0))) {
          fail(`scalers.${name}.${key}[${i}]`, x, key === "std" ? "a finite number > 0" : "a finite number");
        }
      });
    }
  };
  scaler("lattice", LATTICE_TARGETS);
  if (config.predictProperty) {
    if (typeof config.property !== "string" || config.property === "") {
      fail("property", config.property, "the name of the predicted property");
    }
    scaler("property", 1);
  }
  return config as unknown as CDVAEConfig;
}
