/**
 * The assertions tests use, named as in Deno's std (`jsr:@std/assert` is not reachable here),
 * built on `node:assert`.
 *
 * @module
 */

import nodeAssert from "node:assert";

/** The error every assertion here throws. */
export const AssertionError = nodeAssert.AssertionError;

/** Asserts that `cond` is truthy. */
export function assert(cond: unknown, msg?: string): asserts cond {
  nodeAssert.ok(cond, msg);
}

/** Deep, strict equality (typed arrays compared element-wise by type and value). */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, msg);
}

/** Asserts `|actual − expected| ≤ tol`. */
export function assertAlmostEquals(actual: number, expected: number, tol = 1e-7, msg?: string): void {
  if (!(Math.abs(actual - expected) <= tol)) {
    throw new nodeAssert.AssertionError({
      message: `${msg ? msg + ": " : ""}expected ${actual} to be within ${tol} of ${expected}`,
      actual,
      expected,
    });
  }
}

/** Tolerances of {@linkcode assertAllClose}. */
export interface CloseTolerance {
  /** Absolute tolerance (default 1e-7). */
  atol?: number;
  /** Relative tolerance, times |expected[i]| (default 0). */
  rtol?: number;
  /**
   * Scale `atol` by the largest |expected| — a tolerance "relative to the tensor's scale", for
   * network outputs whose magnitudes differ between layers.
   */
  atolOfMax?: boolean;
}

/** The worst deviations {@linkcode assertAllClose} saw: max |a − b| and that over max |b|. */
export interface Deviation {
  maxAbs: number;
  maxRel: number;
}

/**
 * The tests' one array-closeness assertion: equal lengths and
 * |actual[i] − expected[i]| ≤ atol (· max|expected| with `atolOfMax`) + rtol·|expected[i]| for every i.
 * NaN never passes.
 *
 * @returns The worst deviations, for diagnostics
 */
export function assertAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: CloseTolerance = {},
  msg?: string,
): Deviation {
  const prefix = msg ? msg + ": " : "";
  if (actual.length !== expected.length) {
    fail(`${prefix}lengths ${actual.length} and ${expected.length}`);
  }
  const { atol = 1e-7, rtol = 0, atolOfMax = false } = tol;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  const abs = atolOfMax ? atol * scale : atol;
  let maxAbs = 0;
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    if (!(err <= abs + rtol * Math.abs(expected[i]))) {
      fail(
        `${prefix}element ${i}: ${actual[i]} vs ${expected[i]} ` +
          `(atol ${atol}${atolOfMax ? ` × max|expected| ${scale}` : ""}, rtol ${rtol})`,
      );
    }
    maxAbs = Math.max(maxAbs, err);
  }
  return { maxAbs, maxRel: maxAbs / (scale || 1) };
}

/** Fails the test with `message` (for checks the other assertions do not express). */
export function fail(message: string): never {
  throw new nodeAssert.AssertionError({ message });
}

/** Asserts that `text` matches `re`. */
export function assertMatch(text: string, re: RegExp, msg?: string): void {
  nodeAssert.match(text, re, msg);
}

/**
 * Asserts that `fn` throws an instance of `cls` (any error when omitted) whose message matches `re`
 * (a string: equals it), failing with `msg` first; returns the error so the test can check its fields.
 */
export function assertThrows<E extends Error = Error>(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  cls?: abstract new (...args: any[]) => E,
  re?: RegExp | string,
  msg?: string,
): E {
  try {
    fn();
  } catch (e) {
    if (cls && !(e instanceof cls)) {
      fail(`${msg ? msg + ": " : ""}expected ${cls.name}, got ${(e as Error)?.name}: ${e}`);
    }
    checkMessage(e as Error, re, msg);
    return e as E;
  }
  fail(`${msg ? msg + ": " : ""}expected ${cls?.name ?? "an error"} to be thrown`);
}

function checkMessage(e: Error, re: RegExp | string | undefined, msg: string | undefined): void {
  if (typeof re === "string") nodeAssert.strictEqual(e?.message, re, msg);
  else if (re) nodeAssert.match(e?.message, re, msg);
}

/** Async version of {@linkcode assertThrows}. */
export async function assertRejects<E extends Error = Error>(
  fn: () => Promise<unknown>,
  // deno-lint-ignore no-explicit-any
  cls?: abstract new (...args: any[]) => E,
  re?: RegExp | string,
  msg?: string,
): Promise<E> {
  try {
    await fn();
  } catch (e) {
    if (cls && !(e instanceof cls)) {
      fail(`${msg ? msg + ": " : ""}expected ${cls.name}, got ${(e as Error)?.name}: ${e}`);
    }
    checkMessage(e as Error, re, msg);
    return e as E;
  }
  fail(`${msg ? msg + ": " : ""}expected ${cls?.name ?? "an error"} to be rejected`);
}
