/**
 * The assertions tests use, named as in Deno's std (`jsr:@std/assert` is not reachable here),
 * built on `node:assert`.
 *
 * @module
 */

import nodeAssert from "node:assert";

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

/** Asserts that `text` matches `re`. */
export function assertMatch(text: string, re: RegExp, msg?: string): void {
  nodeAssert.match(text, re, msg);
}

/** Asserts that `fn` throws an instance of `cls` (and, optionally, a message matching `re`); returns it. */
export function assertThrows<E extends Error = Error>(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  cls?: abstract new (...args: any[]) => E,
  re?: RegExp,
): E {
  try {
    fn();
  } catch (e) {
    if (cls && !(e instanceof cls)) {
      throw new nodeAssert.AssertionError({
        message: `expected ${cls.name}, got ${(e as Error)?.name}: ${e}`,
      });
    }
    if (re) nodeAssert.match((e as Error).message, re);
    return e as E;
  }
  throw new nodeAssert.AssertionError({ message: `expected ${cls?.name ?? "an error"} to be thrown` });
}

/** Async version of {@linkcode assertThrows}. */
export async function assertRejects<E extends Error = Error>(
  fn: () => Promise<unknown>,
  // deno-lint-ignore no-explicit-any
  cls?: abstract new (...args: any[]) => E,
  re?: RegExp,
): Promise<E> {
  try {
    await fn();
  } catch (e) {
    if (cls && !(e instanceof cls)) {
      throw new nodeAssert.AssertionError({
        message: `expected ${cls.name}, got ${(e as Error)?.name}: ${e}`,
      });
    }
    if (re) nodeAssert.match((e as Error).message, re);
    return e as E;
  }
  throw new nodeAssert.AssertionError({ message: `expected ${cls?.name ?? "an error"} to be rejected` });
}
