/**
 * Long fuzzing run of every reader (issue #18, item 4): mutated real files and random input, many
 * more cases than the suite's `tests/crystal/readers_fuzz_test.ts`. Each input must end in a value or the
 * reader's typed error naming the file, within 2 s; resident memory must stay under 4 GiB.
 *
 * ```sh
 * deno run -A bench/fuzz_readers.ts [--cases 20000] [--seed 1] [--only CIF]
 * ```
 *
 * Prints one line per reader (cases, problems, slowest case, cases per second) and the first
 * problems found, and exits 1 when there is any.
 *
 * @module
 */

import fc from "fast-check";
import { absurdInputs, fuzzInput, fuzzProblem, fuzzTargets } from "../tests/_fuzz.ts";

/** Resident memory (bytes) past which the run counts as a memory blow-up. */
const MAX_RSS = 4 * 2 ** 30;

/** Inputs drawn per batch (each batch is one `fc.sample` call with its own seed). */
const BATCH = 500;

function flag(name: string, fallback: string): string {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < Deno.args.length ? Deno.args[i + 1] : fallback;
}

if (import.meta.main) {
  const cases = Number(flag("cases", "20000"));
  const seed = Number(flag("seed", "1"));
  const only = flag("only", "");
  const problems: string[] = [];
  for (const target of fuzzTargets().filter((t) => only === "" || t.name === only)) {
    let found = 0, slowest = 0, done = 0;
    const t0 = performance.now();
    const check = (input: string) => {
      const s = performance.now();
      const p = fuzzProblem(target, input);
      slowest = Math.max(slowest, performance.now() - s);
      done++;
      if (p !== undefined) {
        found++;
        if (problems.length < 20) problems.push(`${p}\n  input: ${JSON.stringify(input.slice(0, 500))}`);
      }
    };
    for (const input of [...target.seeds, ...(target.name === "safetensors" ? [] : absurdInputs())]) {
      check(input);
    }
    for (let b = 0; done < cases; b++) {
      for (const input of fc.sample(fuzzInput(target), { seed: seed * 100_003 + b, numRuns: BATCH })) {
        check(input);
      }
      const rss = Deno.memoryUsage().rss;
      if (rss > MAX_RSS) {
        found++;
        problems.push(`${target.name}: resident memory ${(rss / 2 ** 30).toFixed(2)} GiB`);
        break;
      }
    }
    const secs = (performance.now() - t0) / 1000;
    console.log(
      `${target.name.padEnd(14)} ${String(done).padStart(7)} cases  ${found} problems  slowest ` +
        `${slowest.toFixed(0)} ms  ${(done / secs).toFixed(0)} cases/s`,
    );
  }
  for (const p of problems) console.log(p);
  if (problems.length > 0) Deno.exit(1);
}
