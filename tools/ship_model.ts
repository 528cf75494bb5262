/**
 * Ships a training run as the model of a dataset: copies the run's resumable checkpoint to
 * `data/models/<dataset>/checkpoint/`, its best weights to `weights.safetensors` and its config,
 * and writes `card.md` from the run's log and the evaluation reports given.
 *
 * Usage:
 *   deno run -A tools/ship_model.ts RUN_DIR DATASET [--eval LABEL=DIR ...] [--note TEXT]
 *
 * --eval LABEL=DIR (repeatable): folders written by `evaluate` (metrics.json), labelled by their schedule. Refuses to replace a shipped model
 * whose card records a lower best validation loss unless --force is given.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { PAPER } from "../src/cli/evaluate.ts";
import { isDatasetName } from "../src/data/datasets.ts";

const { values, positionals } = parseArgs({
  args: Deno.args,
  options: {
    eval: { type: "string", multiple: true },
    note: { type: "string", default: "" },
    hardware: { type: "string", default: "2-core x86-64 VM, no GPU (wasm backend, 2 threads)" },
    force: { type: "boolean", default: false },
  },
  allowPositionals: true,
});
const [run, dataset] = positionals;
if (!run || !dataset) {
  console.error(
    "Usage: deno run -A tools/ship_model.ts RUN_DIR DATASET [--eval LABEL=DIR ...] [--note TEXT]",
  );
  Deno.exit(2);
}
const root = new URL("../", import.meta.url).pathname;
const dest = `${root}data/models/${dataset}`;
const state = JSON.parse(await Deno.readTextFile(`${run}/state.json`));
const config = JSON.parse(await Deno.readTextFile(`${run}/config.json`));
const log = (await Deno.readTextFile(`${run}/log.csv`)).trim().split("\n");
const cols = log[0].split(",");
const rows = log.slice(1).map((l) =>
  Object.fromEntries(l.split(",").map((v, i) => [cols[i], v === "" ? NaN : Number(v)]))
);
const last = rows[rows.length - 1];

try {
  const old = await Deno.readTextFile(`${dest}/card.md`);
  const m = /best validation loss: ([0-9.]+)/.exec(old);
  if (m && Number(m[1]) <= state.bestVal && !values.force) {
    console.error(
      `The shipped model has best validation loss ${
        m[1]
      } ≤ ${state.bestVal}: not replacing it (--force to override)`,
    );
    Deno.exit(1);
  }
} catch { /* nothing shipped yet */ }

await Deno.mkdir(`${dest}/checkpoint`, { recursive: true });
for (
  const f of [
    "config.json",
    "state.json",
    "last.safetensors",
    "last.optim.safetensors",
    "best.safetensors",
    "log.csv",
    "loss.svg",
    "data.txt",
  ]
) {
  await Deno.copyFile(`${run}/${f}`, `${dest}/checkpoint/${f}`);
}
await Deno.copyFile(`${run}/best.safetensors`, `${dest}/weights.safetensors`);
await Deno.copyFile(`${run}/config.json`, `${dest}/config.json`);

// Each --eval LABEL=DIR names a folder written by `evaluate` (metrics.json) and the schedule it used.
const evals: { label: string; m: Record<string, number | string | null> }[] = [];
for (const spec of values.eval ?? []) {
  const [label, dir] = spec.split("=");
  evals.push({ label, m: JSON.parse(await Deno.readTextFile(`${dir}/metrics.json`)).metrics });
}
/** The paper's row of the card's table (10 000 samples, every test crystal, 50 × 100), from `evaluate`'s table. */
function paperRow(name: string): string {
  if (!isDatasetName(name)) return "";
  const p = PAPER[name];
  const rate = (x: number | null) => (x === null ? "—" : `${x} %`);
  const val = (x: number | null) => (x === null ? "—" : String(x));
  return `| paper, CDVAE on ${name} | | ${rate(p.struct)} | ${rate(p.comp)} | — | ${rate(p.covR)} | ${
    rate(p.covP)
  } | ${p.emdDensity} | ${val(p.emdElements)} | ${p.emdProperty} | ${rate(p.match)} | ${p.rms} |`;
}
const pct = (x: unknown) => (typeof x === "number" && Number.isFinite(x) ? `${(100 * x).toFixed(1)} %` : "—");
const fix = (x: unknown, d = 4) => (typeof x === "number" && Number.isFinite(x) ? x.toFixed(d) : "—");
const quality = evals.length === 0 ? "Not measured for this checkpoint." : [
  "| run | crystals | struct. valid | comp. valid | distinct comp. | COV-R | COV-P | EMD ρ | EMD #elem | EMD property | match rate | RMSE |",
  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ...evals.map(({ label, m }) =>
    `| ${label} | ${m.count} | ${pct(m.structValid)} | ${pct(m.compValid)} | ${
      pct(m.distinctCompositions)
    } | ${pct(m.covRecall)} | ${pct(m.covPrecision)} | ${fix(m.wdistDensity)} | ${
      fix(m.wdistNumElements)
    } | ${fix(m.wdistProperty)} | ${pct(m.matchRate)} | ${fix(m.meanRms)} |`
  ),
  paperRow(dataset),
].join("\n");
const params = await (async () => {
  const bytes = (await Deno.stat(`${dest}/weights.safetensors`)).size;
  return `${(bytes / 1e6).toFixed(1)} MB`;
})();
const card = `# CDVAE model card: ${dataset}

Trained with this project's own trainer (\`deno run -A mod.ts train\`), not converted from the reference.

| | |
| --- | --- |
| data | ${(await Deno.readTextFile(`${run}/data.txt`)).trim()} |
| preset | see config.json (latent ${config.latentDim}, encoder DimeNet++ hidden ${config.encoder.hiddenChannels} × ${config.encoder.numBlocks} blocks, decoder GemNet-T ${config.decoder.embSizeAtom} × ${config.decoder.numBlocks} blocks, ${config.decoder.maxNeighbors} neighbours) |
| encoder graph | ${
  config.encoder.graph === "radius"
    ? `radius ${config.encoder.cutoff} Å, ${config.encoder.maxNeighbors} nearest (the reference uses CrystalNN)`
    : "CrystalNN, as the reference"
} |
| epochs | ${state.epoch} (${state.step} Adam steps, last lr ${last.lr}) |
| wall time | ${(state.seconds / 3600).toFixed(2)} h |
| hardware | ${values.hardware} |
| final training losses | total ${last.train_loss?.toFixed(3)}, coord ${last.coord_loss?.toFixed(3)}, type ${
  last.type_loss?.toFixed(3)
}, lattice ${last.lattice_loss?.toFixed(4)}, composition ${last.composition_loss?.toFixed(4)}, num_atom ${
  last.num_atom_loss?.toFixed(4)
}, KL ${last.kld_loss?.toFixed(3)} |
| best validation loss: ${state.bestVal.toFixed(4)} | (10·coord + type, epoch ${state.bestEpoch}) |
| weights | weights.safetensors (${params}, PyTorch layout and the reference's parameter names) |

## Measured quality

Generation samples z ~ N(0, I); reconstruction encodes the first test crystals of ${dataset}/test.csv and
decodes them; "50 × 20" is 50 noise levels × 20 Langevin steps each (the paper uses 50 × 100). Metrics by this
project's \`evaluate\` (validity as the reference; COV with δ as the reference's for the dataset; EMDs on the
valid samples against the whole test split; EMD property by the CDVAE authors' property model
data/models/${dataset}-prop-reference, \`evaluate\`'s default; matcher stol 0.5, angle_tol 10, ltol 0.3).

${quality}

${values.note}

Resume training: \`deno run -A mod.ts train --out data/models/${dataset}/checkpoint --resume --epochs N\` (copy the
folder elsewhere first to keep the shipped files unchanged).
`;
await Deno.writeTextFile(`${dest}/card.md`, card);
console.log(`Shipped ${run} → ${dest} (epoch ${state.epoch}, best val ${state.bestVal})`);
