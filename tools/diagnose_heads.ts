/**
 * How well a model's latent heads know a crystal's atoms, before any Langevin dynamics: encode each
 * test crystal, take its mean latent μ, and ask the atom-count head and the composition head.
 * Beside `evaluate`'s "composition kept" line (what the whole sampler ends with) this tells whether
 * a reconstruction's wrong atoms come from the latent and its heads or from the decoder's type
 * updates during the dynamics.
 *
 *   deno run -A tools/diagnose_heads.ts MODEL DATASET [LIMIT]    # e.g. mp_20 mp_20 500
 *
 * Prints, over the first LIMIT test crystals (default 500): the share whose count head's argmax is
 * the true atom count; whose composition distribution has the true elements as its top k (k = the
 * number of distinct true elements); and whose distribution times N, rounded as the sampler's
 * composition draw rounds it, is the true composition.
 *
 * @module
 */

import { getBackend } from "../src/compute/backend.ts";
import { Tensor, TensorScope } from "../src/compute/mod.ts";
import { isDatasetName, loadDataset } from "../src/data/datasets.ts";
import { elementCounts } from "../src/eval/composition.ts";
import { CDVAE } from "../src/model/cdvae.ts";
import { softmaxRows } from "../src/model/losses.ts";

const [modelSource, dataset, limitArg = "500"] = Deno.args;
if (!modelSource || !dataset || !isDatasetName(dataset)) {
  console.error("Usage: deno run -A tools/diagnose_heads.ts MODEL DATASET [LIMIT]");
  Deno.exit(2);
}
const limit = Number(limitArg);
const model = await CDVAE.load(modelSource, { backend: await getBackend({ prefer: "wasm" }) });
const c = model.config;
const crystals = (await loadDataset(dataset, "test")).entries.slice(0, limit).map((e) => e.crystal);

/** The shares for latents taken as `which`: the mean μ, or z = μ + σε drawn as `reconstruct` draws it (seed 1). */
async function diagnose(which: "mu" | "z"): Promise<string> {
  let countRight = 0, elementsTop = 0, compositionRounded = 0;
  const BATCH = 64;
  for (let b = 0; b < crystals.length; b += BATCH) {
    const part = crystals.slice(b, b + BATCH);
    const encoded = await model.encode(part, 1 + b);
    const mu = which === "mu" ? encoded.mu : encoded.z;
    // One composition row per crystal: the head sees z repeated per atom, so one atom suffices.
    const atomOffsets = new Uint32Array(part.length + 1).map((_, i) => i);
    const scope = new TensorScope();
    try {
      const heads = scope.run(() =>
        model.heads(Tensor.from(model.backend, mu, [part.length, c.latentDim]), atomOffsets)
      );
      const counts = await heads.numAtoms.read(), comp = await heads.composition.read();
      part.forEach((crystal, i) => {
        const n = crystal.numbers.length;
        const countRow = counts.subarray(i * (c.maxAtoms + 1), (i + 1) * (c.maxAtoms + 1));
        let best = 0;
        for (let k = 1; k < countRow.length; k++) if (countRow[k] > countRow[best]) best = k;
        if (best === n) countRight++;
        const p = softmaxRows(comp.subarray(i * c.numTypes, (i + 1) * c.numTypes), 1, c.numTypes);
        const truth = elementCounts(crystal.numbers, "sorted");
        const top = [...p.keys()].sort((x, y) => p[y] - p[x]).slice(0, truth.numbers.length).map((t) =>
          t + 1
        );
        if (top.sort((x, y) => x - y).every((z, j) => z === truth.numbers[j])) elementsTop++;
        // The sampler's deterministic part: round(p·N) atoms of each type (sampleComposition).
        const rounded = truth.numbers.every((z, j) => Math.round(p[z - 1] * n) === truth.counts[j]) &&
          [...p.keys()].every((t) => truth.numbers.includes(t + 1) || Math.round(p[t] * n) === 0);
        if (rounded) compositionRounded++;
      });
    } finally {
      scope.dispose();
    }
  }
  const pct = (k: number) => `${(100 * k / crystals.length).toFixed(1)} %`;
  return `atom count ${pct(countRight)}, elements as the top k ${
    pct(elementsTop)
  }, composition by rounding p·N ${pct(compositionRounded)}`;
}
console.log(`${modelSource} on the first ${crystals.length} ${dataset} test crystals, heads`);
console.log(`  at μ: ${await diagnose("mu")}`);
console.log(`  at z = μ + σε (seed 1, as reconstruct): ${await diagnose("z")}`);
model.dispose();
