// Every reader under fast-check fuzzing (issue #18, item 4): mutated real files and random input
// end in a value or the reader's typed error naming the file, fast. A bounded number of cases
// keeps the suite quick; `deno run -A bench/fuzz_readers.ts` runs many more.
import { assert, assertEquals } from "../_assert.ts";
import fc from "fast-check";
import { absurdInputs, fuzzInput, fuzzProblem, fuzzTargets, fuzzTimeLimitMs } from "../_fuzz.ts";
import { PROPERTY_SEED } from "../_arbitrary.ts";

/** Cases per reader in the suite (the whole file stays within a few seconds). */
const CASES = 150;

Deno.test("fuzzed readers end in a value or their typed error", async (t) => {
  for (const target of fuzzTargets()) {
    await t.step(target.name, () => {
      for (const seed of target.seeds) assertEquals(fuzzProblem(target, seed), undefined);
      fc.assert(
        fc.property(fuzzInput(target), (input) => {
          const problem = fuzzProblem(target, input);
          assertEquals(
            problem,
            undefined,
            `${problem}\ninput: ${JSON.stringify(input.slice(0, 2000))}`,
          );
        }),
        { seed: PROPERTY_SEED, numRuns: CASES },
      );
    });
  }
});

Deno.test("absurd sizes are refused early by every text reader", () => {
  for (const target of fuzzTargets().filter((t) => t.name !== "model config" && t.name !== "safetensors")) {
    for (const input of absurdInputs()) {
      const t0 = performance.now();
      assertEquals(fuzzProblem(target, input), undefined);
      const ms = performance.now() - t0;
      assert(
        ms < fuzzTimeLimitMs(),
        `${target.name} took ${ms.toFixed(0)} ms (limit ${fuzzTimeLimitMs()} ms)`,
      );
    }
  }
});
