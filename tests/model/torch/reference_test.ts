import { assert, assertEquals, assertRejects } from "../../_assert.ts";
import { PropertyModel } from "../../../src/model/property.ts";
import { CDVAE } from "../../../src/model/cdvae.ts";
import { DATASET_DEFAULTS, defaultConfig, REFERENCE_ENCODER } from "../../../src/model/config.ts";
import { HparamsError, parseHparams } from "../../../src/model/torch/hparams.ts";
import {
  cdvaeConfigFromHparams,
  readReferenceCheckpoint,
  toReferenceStateDict,
} from "../../../src/model/torch/reference.ts";
import { readTorchFile, stateDictOf, TorchFileError } from "../../../src/model/torch/checkpoint.ts";
import { decodeSafetensors, storeToSafetensors } from "../../../src/model/safetensors.ts";
import { encodeTorchStateDict } from "../../../src/model/torch/writer.ts";
import { getBackend } from "../../../src/compute/backend.ts";
import type { Crystal } from "../../../src/crystal/crystal.ts";
import { main } from "../../../src/cli/main.ts";
import { quiet } from "../../cli/_cli.ts";

const TINY_DIR = new URL("../../fixtures/torch/tiny_property/", import.meta.url);
const TINY = new URL("epoch=6-step=70.ckpt", TINY_DIR).pathname;

/** Two small crystals: cubic SrTiO3 and rock-salt NaCl (a = 3.9 / 5.6 Å). */
function crystals(): Crystal[] {
  const cubic = (a: number) => Float64Array.from([a, 0, 0, 0, a, 0, 0, 0, a]);
  return [
    {
      lattice: cubic(3.9),
      frac: Float64Array.from([0, 0, 0, 0.5, 0.5, 0.5, 0.5, 0.5, 0, 0.5, 0, 0.5, 0, 0.5, 0.5]),
      numbers: Uint8Array.from([38, 22, 8, 8, 8]),
    },
    {
      lattice: cubic(5.6),
      frac: Float64Array.from([
        0,
        0,
        0,
        0.5,
        0.5,
        0,
        0.5,
        0,
        0.5,
        0,
        0.5,
        0.5,
        0.5,
        0,
        0,
        0,
        0.5,
        0,
        0,
        0,
        0.5,
        0.5,
        0.5,
        0.5,
      ]),
      numbers: Uint8Array.from([11, 11, 11, 11, 17, 17, 17, 17]),
    },
  ];
}

async function copyTiny(files: Record<string, string | undefined> = {}): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "cdvae-torch-" });
  for (const name of ["epoch=6-step=70.ckpt", "hparams.yaml", "prop_scaler.pt", "lattice_scaler.pt"]) {
    if (name in files && files[name] === undefined) continue;
    const text = files[name];
    if (text !== undefined) await Deno.writeTextFile(`${dir}/${name}`, text);
    else await Deno.writeFile(`${dir}/${name}`, await Deno.readFile(new URL(name, TINY_DIR)));
  }
  return dir;
}

Deno.test("PropertyModel.load() reads a reference checkpoint with hparams.yaml and prop_scaler.pt", async () => {
  const model = await PropertyModel.load(TINY);
  try {
    assertEquals(model.config.dataset, "perov_5");
    assertEquals(model.config.property, "heat_ref");
    assertEquals(model.config.scaler, { mean: [1.5], std: [0.25] });
    assertEquals(
      [model.config.encoder.hiddenChannels, model.config.encoder.numBlocks, model.config.encoder.graph],
      [8, 1, "crystalnn"],
    );
    const y = await model.predict(crystals());
    assert(y.every(Number.isFinite) && y[0] !== y[1], `predictions ${y}`);
  } finally {
    model.dispose();
  }
});

Deno.test("convert-model writes a folder that predicts exactly as the checkpoint", async () => {
  const out = await Deno.makeTempDir({ prefix: "cdvae-convert-" });
  try {
    const { value: code } = await quiet(() => main(["convert-model", TINY, out]));
    assertEquals(code, 0);
    const [fromCkpt, fromFolder] = [await PropertyModel.load(TINY), await PropertyModel.load(out)];
    try {
      assertEquals(await fromFolder.predict(crystals()), await fromCkpt.predict(crystals()));
      assertEquals(fromFolder.config, fromCkpt.config);
    } finally {
      fromCkpt.dispose();
      fromFolder.dispose();
    }
    const card = await Deno.readTextFile(`${out}/card.md`);
    const { source } = await readReferenceCheckpoint(TINY);
    assert(card.includes(source.sha256) && card.includes("epoch=6-step=70.ckpt"), card);
    const again = await quiet(() => main(["convert-model", TINY, out]));
    assertEquals(again.value, 2, "a second conversion without --force must refuse to overwrite");
    assertEquals((await quiet(() => main(["convert-model", TINY, out, "--force"]))).value, 0);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("Loading a reference checkpoint names what is missing or does not fit", async (t) => {
  const hparams = await Deno.readTextFile(new URL("hparams.yaml", TINY_DIR));
  // deno-lint-ignore no-explicit-any
  const cases: [string, Record<string, string | undefined>, new (...a: any[]) => Error, RegExp][] = [
    [
      "no hparams.yaml",
      { "hparams.yaml": undefined },
      TorchFileError,
      /configuration hparams\.yaml is missing/,
    ],
    [
      "no prop_scaler.pt",
      { "prop_scaler.pt": undefined },
      TorchFileError,
      /scaler prop_scaler\.pt is missing/,
    ],
    [
      "wider encoder than the weights",
      { "hparams.yaml": hparams.replace("hidden_channels: 8", "hidden_channels: 16") },
      TorchFileError,
      /Tensor encoder\.\S+: file shape \[\d+,8\], expected \[\d+,16\]/,
    ],
    [
      "sum readout",
      { "hparams.yaml": hparams.replace("readout: mean", "readout: sum") },
      HparamsError,
      /readout "sum"/,
    ],
    [
      "a missing key",
      { "hparams.yaml": hparams.replace(/ *int_emb_size: \d+\n/, "") },
      HparamsError,
      /model\.encoder\.int_emb_size is undefined, expected a number/,
    ],
  ];
  for (const [name, files, cls, re] of cases) {
    await t.step(name, async () => {
      const dir = await copyTiny(files);
      try {
        const e = await assertRejects(() => PropertyModel.load(`${dir}/epoch=6-step=70.ckpt`), cls);
        assert(re.test(e.message), e.message);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  }
  await t.step("a property checkpoint given to CDVAE.load", async () => {
    const e = await assertRejects(() => CDVAE.load(TINY));
    assert(/is a property model/.test((e as Error).message), (e as Error).message);
  });
});

/** The reference's conf/model/vae.yaml (with dimenet.yaml and gemnet.yaml) as a run's hparams.yaml has it. */
const CDVAE_HPARAMS = `
data:
  root_path: \${oc.env:PROJECT_ROOT}/data/perov_5
  prop: heat_ref
  max_atoms: 20
  teacher_forcing_max_epoch: 1500
model:
  _target_: cdvae.pl_modules.model.CDVAE
  hidden_dim: 256
  latent_dim: 256
  fc_num_layers: 1
  max_atoms: \${data.max_atoms}
  cost_natom: 1.
  cost_coord: 10.
  cost_type: 1.
  cost_lattice: 10.
  cost_composition: 1.
  cost_edge: 10.
  cost_property: 1.
  beta: 0.01
  teacher_forcing_lattice: true
  teacher_forcing_max_epoch: \${data.teacher_forcing_max_epoch}
  max_neighbors: 20
  radius: 7.
  sigma_begin: 10.
  sigma_end: 0.01
  type_sigma_begin: 5.
  type_sigma_end: 0.01
  num_noise_level: 50
  predict_property: true
  encoder:
    _target_: cdvae.pl_modules.gnn.DimeNetPlusPlusWrap
    num_targets: \${model.latent_dim}
    hidden_channels: 128
    num_blocks: 4
    int_emb_size: 64
    basis_emb_size: 8
    out_emb_channels: 256
    num_spherical: 7
    num_radial: 6
    otf_graph: false
    cutoff: 7.0
    max_num_neighbors: 20
    envelope_exponent: 5
    num_before_skip: 1
    num_after_skip: 2
    num_output_layers: 3
    readout: mean
  decoder:
    _target_: cdvae.pl_modules.decoder.GemNetTDecoder
    hidden_dim: 128
    latent_dim: \${model.latent_dim}
    max_neighbors: \${model.max_neighbors}
    radius: \${model.radius}
    scale_file: \${oc.env:PROJECT_ROOT}/cdvae/pl_modules/gemnet/gemnet-dT.json
`;

Deno.test("cdvaeConfigFromHparams() maps the reference's configuration onto defaultConfig()", () => {
  const scalers = structuredClone(DATASET_DEFAULTS.perov_5.scalers);
  const config = cdvaeConfigFromHparams(parseHparams(CDVAE_HPARAMS), scalers);
  assertEquals(config, defaultConfig("perov_5"));
});

Deno.test("CDVAE.load() reads a reference-size CDVAE checkpoint with its hparams.yaml and scalers", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cdvae-ckpt-" });
  const be = await getBackend({ prefer: "wasm" });
  const original = new CDVAE(be, defaultConfig("perov_5"), 5);
  try {
    // A run folder as the reference leaves it: the weights (exported here), hparams.yaml, scalers.
    const tensors = decodeSafetensors(await storeToSafetensors(original.store)).tensors;
    const centres = { rbf: original.decoder.rbfCenters, cbf: original.decoder.cbfRbfCenters };
    const sd = toReferenceStateDict(tensors, original.store.entries.keys(), centres);
    await Deno.writeFile(`${dir}/epoch=9-step=90.ckpt`, encodeTorchStateDict(sd));
    await Deno.writeTextFile(`${dir}/hparams.yaml`, CDVAE_HPARAMS);
    const fixtures = new URL("../../fixtures/torch/", import.meta.url);
    await Deno.writeFile(
      `${dir}/prop_scaler.pt`,
      await Deno.readFile(new URL("prop_scaler_perovskite.pt", fixtures)),
    );
    await Deno.writeFile(
      `${dir}/lattice_scaler.pt`,
      await Deno.readFile(new URL("tiny_property/lattice_scaler.pt", fixtures)),
    );
    const loaded = await CDVAE.load(`${dir}/epoch=9-step=90.ckpt`, { backend: be });
    try {
      assertEquals(loaded.config.scalers.lattice.mean.length, 6);
      assertEquals({ ...loaded.config, scalers: original.config.scalers }, original.config);
      const back = decodeSafetensors(await storeToSafetensors(loaded.store)).tensors;
      for (const [k, t] of tensors) assertEquals(back.get(k)!.data, t.data, k);
      assertEquals(
        loaded.decoder.rbfCenters,
        Float64Array.from(Float32Array.from(original.decoder.rbfCenters)),
      );
    } finally {
      loaded.dispose();
    }
  } finally {
    original.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * Where the CDVAE authors' property models are: `$CDVAE_REFERENCE_MODELS`, else `../shared/reference-models`
 * beside the repository. They are not ours to commit, so a bare clone has no copy: the test then reports itself
 * ignored, while a folder named by the variable (CI sets it) must exist.
 */
const REFERENCE_MODELS_ENV = Deno.env.get("CDVAE_REFERENCE_MODELS");
const REFERENCE_MODELS = REFERENCE_MODELS_ENV ??
  decodeURIComponent(new URL("../../../../shared/reference-models", import.meta.url).pathname);
const REFERENCE_MODELS_PRESENT = await Deno.stat(`${REFERENCE_MODELS}/cdvae-prop`).then(
  () => true,
  () => false,
);

Deno.test({
  name: "PropertyModel.load() reads the CDVAE authors' three property checkpoints strictly, as shipped",
  ignore: REFERENCE_MODELS_ENV === undefined && !REFERENCE_MODELS_PRESENT,
}, async (t) => {
  const models: [string, string, keyof typeof DATASET_DEFAULTS, string][] = [
    ["perovskite", "epoch=2664-step=61294.ckpt", "perov_5", "heat_ref"],
    ["carbon", "epoch=2364-step=56759.ckpt", "carbon_24", "energy_per_atom"],
    ["mp20", "epoch=839-step=89039.ckpt", "mp_20", "formation_energy_per_atom"],
  ];
  for (const [folder, file, dataset, property] of models) {
    await t.step(dataset, async () => {
      const path = `${REFERENCE_MODELS}/cdvae-prop/${folder}/${file}`;
      const present = await Deno.stat(path).then(() => true, () => false);
      assert(
        present,
        `This test is about the reference property models and needs "${path}" (set CDVAE_REFERENCE_MODELS to the folder holding cdvae-prop/)`,
      );
      // Every parameter present with its shape, no tensor left over (load_state_dict(strict=True)).
      const model = await PropertyModel.load(path);
      try {
        const { scaler, ...rest } = model.config;
        assertEquals(rest, {
          format: "cdvae-property-config/1",
          dataset,
          property,
          encoder: { ...REFERENCE_ENCODER },
        });
        const expected = DATASET_DEFAULTS[dataset].scalers.property;
        assert(
          Math.abs(scaler.mean[0] - expected.mean[0]) < 1e-4 &&
            Math.abs(scaler.std[0] - expected.std[0]) < 1e-6,
          `${dataset} scaler ${JSON.stringify(scaler)}`,
        );
        // The shipped evaluator (data/models/<dataset>-prop-reference/) is this checkpoint, exactly.
        const shipped = await PropertyModel.load("reference", { dataset });
        try {
          assertEquals(shipped.config, model.config);
          const weights = decodeSafetensors(
            await Deno.readFile(
              new URL(`../../../data/models/${dataset}-prop-reference/weights.safetensors`, import.meta.url),
            ),
          ).tensors;
          const sd = stateDictOf(readTorchFile(await Deno.readFile(path), path).value, path);
          assertEquals([...weights.keys()].sort(), [...sd.keys()].sort());
          for (const [k, t] of sd) assertEquals(weights.get(k)!.data, t.data, k);
        } finally {
          shipped.dispose();
        }
      } finally {
        model.dispose();
      }
    });
  }
});
