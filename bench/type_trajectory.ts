/**
 * How the elements of generated crystals evolve along a sampling schedule (issue #19): at the end
 * of each noise level, the mean number of distinct elements per crystal and the share whose
 * composition passes SMACT. The sampler re-types every atom by the decoder's argmax at every step;
 * this shows at which σ, and after how many decoder calls, the composition settles.
 *
 *   deno run -A bench/type_trajectory.ts MODEL N LEVEL_STEPS [SEED]
 *   deno run -A bench/type_trajectory.ts data/models/mp_20 40 50x100      # the paper's schedule
 *   deno run -A bench/type_trajectory.ts data/models/mp_20 40 50x9        # `fast` without its denoising step
 *
 * LEVEL_STEPS is the `--level-steps` form (runs LEVELSxSTEPS). Prints a table (one row per level)
 * on stdout; the host loop on the wasm backend, latents and dynamics of seed SEED (default 1, the
 * schedules benchmark's).
 *
 * @module
 */

import { getBackend } from "../src/compute/backend.ts";
import { smactValid } from "../src/eval/smact.ts";
import { CDVAE } from "../src/model/cdvae.ts";
import { langevin, levelPlan, priorLatents } from "../src/model/sampler.ts";
import { parseStepsByLevel } from "../src/model/schedules.ts";

const [modelDir, count, spec, seedArg] = Deno.args;
if (!modelDir || !count || !spec) {
  console.error("usage: deno run -A bench/type_trajectory.ts MODEL N LEVEL_STEPS [SEED]");
  Deno.exit(2);
}
const n = Number(count), seed = Number(seedArg ?? 1), stepsByLevel = parseStepsByLevel(spec);
const model = await CDVAE.load(modelDir, { backend: await getBackend({ prefer: "wasm" }) });
const { sigmas } = levelPlan(model.sigmas, { stepsByLevel });
const z = priorLatents(n, model.config.latentDim, seed, 0);
const t0 = performance.now();
const run = await langevin(model, z, { seed, stepsByLevel, trajectory: true, resident: false });
const offsets = [0];
for (const c of run.crystals) offsets.push(offsets[offsets.length - 1] + c.numbers.length);

/** Mean distinct elements per crystal and % SMACT-valid compositions of one step's types. */
function composition(numbers: Uint8Array): [number, number] {
  let elements = 0, valid = 0;
  for (let b = 0; b < n; b++) {
    const types = numbers.subarray(offsets[b], offsets[b + 1]);
    elements += new Set(types).size;
    try {
      if (smactValid(types)) valid++;
    } catch { /* an element without oxidation states: not valid */ }
  }
  return [elements / n, 100 * valid / n];
}

console.log(
  `# ${modelDir}, ${n} crystals, seed ${seed}, ${spec} (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
);
console.log("| level | σ | decoder calls | elements per crystal | SMACT-valid % |");
console.log("| ---: | ---: | ---: | ---: | ---: |");
let calls = 0;
sigmas.forEach((sigma, level) => {
  calls += stepsByLevel[level];
  const [elements, valid] = composition(run.trajectory![calls - 1].numbers);
  console.log(
    `| ${level} | ${sigma.toPrecision(3)} | ${calls} | ${elements.toFixed(2)} | ${valid.toFixed(1)} |`,
  );
});
model.dispose();
