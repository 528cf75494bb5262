/**
 * `convert-model`: a reference PyTorch checkpoint (CDVAE or property model, with `hparams.yaml`
 * and the scalers beside it) to one of our model folders (config.json, weights.safetensors,
 * card.md, and the licence files found beside the checkpoint).
 *
 * @module
 */

import { type Command, UsageError } from "./command.ts";
import { writeTextAtomic } from "./_io.ts";
import { writeFileAtomic } from "../train/checkpoint.ts";
import { CDVAE } from "../model/cdvae.ts";
import { PropertyModel } from "../model/property.ts";
import { decodeSafetensors, storeToSafetensors } from "../model/safetensors.ts";
import { encodeTorchStateDict } from "../model/torch/writer.ts";
import { convertedModelCard } from "../model/torch/card.ts";
import {
  checkpointUrl,
  isCheckpointPath,
  readReferenceCheckpoint,
  toReferenceStateDict,
} from "../model/torch/reference.ts";

/** Names of licence and notice files looked for beside the checkpoint and one folder up. */
const LICENCE_FILE = /^(LICEN[CS]E|NOTICE|COPYING)([.-].*)?$/i;

async function licenceFiles(ckptPath: string): Promise<string[]> {
  const dir = ckptPath.replace(/\/[^/]*$/, "") || ".";
  const found: string[] = [];
  for (const d of [dir, dir.replace(/\/[^/]*$/, "") || "/"]) {
    try {
      for await (const e of Deno.readDir(d)) {
        if (e.isFile && LICENCE_FILE.test(e.name) && !found.some((f) => f.endsWith(`/${e.name}`))) {
          found.push(`${d}/${e.name}`);
        }
      }
    } catch { /* an unreadable folder has nothing to copy */ }
  }
  return found;
}

/** Writes our model folder `input` as a PyTorch state_dict file `output` (`--to pt`). */
async function exportStateDict(input: string, output: string, force: boolean): Promise<number> {
  if (!force && await Deno.stat(output).then(() => true, () => false)) {
    throw new UsageError(`"${output}" exists: give --force to overwrite it`);
  }
  let format: string | undefined;
  if (input !== "default") {
    try {
      format = JSON.parse(await Deno.readTextFile(`${input}/config.json`)).format;
    } catch (e) {
      throw new Error(`Cannot read "${input}/config.json": ${(e as Error).message}`);
    }
  }
  const model = format === "cdvae-property-config/1"
    ? await PropertyModel.load(input)
    : await CDVAE.load(input);
  try {
    const tensors = decodeSafetensors(await storeToSafetensors(model.store)).tensors;
    const centres = model instanceof CDVAE
      ? { rbf: model.decoder.rbfCenters, cbf: model.decoder.cbfRbfCenters }
      : undefined;
    const entries = toReferenceStateDict(tensors, model.store.entries.keys(), centres);
    await writeFileAtomic(output, encodeTorchStateDict(entries));
    console.error(`Wrote a state_dict of ${entries.length} tensors to ${output}`);
  } finally {
    model.dispose();
  }
  return 0;
}

/** The `convert-model` command. */
export const convertModel: Command = {
  name: "convert-model",
  summary: "Convert a reference PyTorch checkpoint (.ckpt) into a model folder, or back (--to pt)",
  usage: "IN.ckpt OUT_DIR | --to pt MODEL_DIR OUT.pt",
  description: [
    "IN is a PyTorch Lightning checkpoint of the reference CDVAE or of its property model",
    "(CrystGNN_Supervise), with hparams.yaml, lattice_scaler.pt and prop_scaler.pt beside it. The",
    "checkpoint is read without Python and without running any of its pickle's code. OUT_DIR gets",
    "config.json, weights.safetensors, card.md and the LICENSE/NOTICE files found beside IN or one",
    "folder up; `CDVAE.load(OUT_DIR)` / `PropertyModel.load(OUT_DIR)` then read it.",
    "With --to pt, a model folder of ours becomes a PyTorch state_dict file with the reference's names.",
  ].join("\n"),
  options: {
    to: {
      type: "string",
      value: "folder|pt",
      default: "folder",
      description:
        'folder: IN.ckpt → our model folder; pt: our model folder IN (or "default") → OUT.pt, a state_dict ' +
        "that torch.load(OUT, weights_only=True) reads and the reference's load_state_dict(strict=True) accepts",
    },
    force: { type: "boolean", description: "Overwrite existing output files" },
  },
  async run(args) {
    const [input, output] = args.positionals;
    if (!input || !output || args.positionals.length > 2) throw new UsageError("Expected IN and OUT");
    if (args.values.to === "pt") return await exportStateDict(input, output, args.values.force === true);
    if (args.values.to !== "folder") {
      throw new UsageError(`Invalid --to "${args.values.to}": expected folder or pt`);
    }
    if (!isCheckpointPath(input)) {
      throw new UsageError(`Expected a .ckpt, .pt or .pth checkpoint, got "${input}"`);
    }
    const ref = await readReferenceCheckpoint(input);
    const model = ref.kind === "cdvae" ? await CDVAE.load(input) : await PropertyModel.load(input);
    try {
      await Deno.mkdir(output, { recursive: true });
      if (!args.values.force) {
        for (const f of ["config.json", "weights.safetensors", "card.md"]) {
          try {
            await Deno.stat(`${output}/${f}`);
            throw new UsageError(`"${output}/${f}" exists: give --force to overwrite it`);
          } catch (e) {
            if (!(e instanceof Deno.errors.NotFound)) throw e;
          }
        }
      }
      const path = decodeURIComponent(checkpointUrl(input).pathname);
      const meta: Record<string, string> = { source: path.split("/").at(-1)!, sha256: ref.source.sha256 };
      if (ref.source.epoch !== undefined) meta.epoch = String(ref.source.epoch);
      await writeFileAtomic(`${output}/weights.safetensors`, await storeToSafetensors(model.store, meta));
      await writeTextAtomic(`${output}/config.json`, JSON.stringify(model.config, null, 1) + "\n");
      const licences = await licenceFiles(path);
      // Copied by content (not Deno.copyFile), so read-only sources do not make read-only copies.
      for (const f of licences) {
        await Deno.writeFile(`${output}/${f.split("/").at(-1)}`, await Deno.readFile(f));
      }
      const names = licences.map((f) => f.split("/").at(-1)!);
      await writeTextAtomic(
        `${output}/card.md`,
        convertedModelCard(ref, names, new Date().toISOString().slice(0, 10)),
      );
      console.error(
        `Wrote ${
          ref.kind === "cdvae" ? "a CDVAE" : "a property"
        } model (${ref.tensors.size} tensors) to ${output}`,
      );
    } finally {
      model.dispose();
    }
    return 0;
  },
};
