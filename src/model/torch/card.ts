/**
 * The `card.md` of a model converted from a reference PyTorch checkpoint: where it came from (path,
 * SHA-256, epoch), what it is, and its licence files.
 *
 * @module
 */

import type { ReferenceCheckpoint } from "./reference.ts";

/**
 * Writes the card of a converted checkpoint.
 *
 * @param ref What `readReferenceCheckpoint` returned
 * @param licenceFiles Names of the licence/notice files copied beside the card (may be empty)
 * @param date The conversion date (ISO), for the record
 * @returns Markdown text
 *
 * @example
 * ```ts ignore
 * const card = convertedModelCard(await readReferenceCheckpoint("run/epoch=9.ckpt"), ["LICENSE"], "2026-01-01");
 * ```
 */
export function convertedModelCard(
  ref: ReferenceCheckpoint,
  licenceFiles: readonly string[],
  date: string,
): string {
  const path = decodeURIComponent(ref.source.url.pathname);
  const e = ref.config.encoder;
  const what = ref.kind === "property"
    ? `Property model card: ${ref.config.dataset} (${ref.config.property}), converted from PyTorch`
    : `Model card: CDVAE ${ref.config.dataset}, converted from PyTorch`;
  const rows: [string, string][] = [
    ["source", `\`${path.split("/").at(-1)}\` (from \`${path}\`)`],
    ["sha256", `\`${ref.source.sha256}\``],
    ["epoch / step", `${ref.source.epoch ?? "?"} / ${ref.source.globalStep ?? "?"}`],
    ...(ref.source.expname ? [["experiment", ref.source.expname] as [string, string]] : []),
    [
      "encoder",
      `DimeNet++ hidden ${e.hiddenChannels}, ${e.numBlocks} blocks, int_emb ${e.intEmbSize}, out_emb ${e.outEmbChannels}, ${e.numSpherical} × ${e.numRadial} bases, ${e.cutoff} Å, ${e.graph} graph`,
    ],
  ];
  if (ref.kind === "property") {
    rows.push(["scaler", `mean ${ref.config.scaler.mean[0]}, std ${ref.config.scaler.std[0]}`]);
  } else {
    const c = ref.config, d = c.decoder;
    rows.push(
      [
        "decoder",
        `GemNet-T atom/edge ${d.embSizeAtom}, ${d.numBlocks} blocks, ${d.cutoff} Å, ${d.maxNeighbors} neighbours`,
      ],
      [
        "latent",
        `${c.latentDim} (heads ${c.hiddenDim} wide, ${c.fcNumLayers} hidden layer(s)); max ${c.maxAtoms} atoms`,
      ],
      ["property head", c.predictProperty ? String(c.property) : "none"],
    );
  }
  const licence = licenceFiles.length
    ? `The licence and notice files found beside the checkpoint are copied here: ${
      licenceFiles.map((f) => `\`${f}\``).join(", ")
    }. Keep them with any copy of these weights.`
    : "No licence file was found beside the checkpoint: check the source's terms before sharing these weights.";
  return [
    `# ${what}`,
    "",
    `Converted on ${date} by \`deno run -A mod.ts convert-model\` from a reference (PyTorch Lightning) checkpoint.`,
    "The weights are the checkpoint's `state_dict` as stored (f32), under the same names; `config.json` is",
    "its `hparams.yaml` mapped onto our configuration, with the scalers read from the `.pt` files beside it.",
    "",
    "| | |",
    "| --- | --- |",
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
    "",
    "## Licence",
    "",
    licence,
    "",
  ].join("\n");
}
