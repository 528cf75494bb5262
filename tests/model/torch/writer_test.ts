import { assert, assertEquals } from "../../_assert.ts";
import { getBackend } from "../../../src/compute/backend.ts";
import { CDVAE } from "../../../src/model/cdvae.ts";
import { defaultConfig } from "../../../src/model/config.ts";
import { decodeSafetensors, storeToSafetensors } from "../../../src/model/safetensors.ts";
import { readTorchFile, stateDictOf } from "../../../src/model/torch/checkpoint.ts";
import { toReferenceStateDict } from "../../../src/model/torch/reference.ts";
import { encodeTorchStateDict } from "../../../src/model/torch/writer.ts";
import { ZipArchive } from "../../../src/model/torch/zip.ts";
import { main } from "../../../src/cli/main.ts";
import { quiet } from "../../cli/_cli.ts";
import { tinyConfig } from "../_tiny.ts";

async function exportModel(model: CDVAE): Promise<Uint8Array> {
  const tensors = decodeSafetensors(await storeToSafetensors(model.store)).tensors;
  const centres = { rbf: model.decoder.rbfCenters, cbf: model.decoder.cbfRbfCenters };
  return encodeTorchStateDict(toReferenceStateDict(tensors, model.store.entries.keys(), centres));
}

Deno.test("A reference-size CDVAE exports exactly the reference's state_dict names and shapes", async () => {
  // tests/fixtures/cdvae_reference/weights.safetensors is the reference PyTorch CDVAE.state_dict()
  // (Perov-5, property head on): the same keys and shapes are what load_state_dict(strict=True) checks.
  const reference = decodeSafetensors(
    await Deno.readFile(new URL("../../fixtures/cdvae_reference/weights.safetensors", import.meta.url)),
  ).tensors;
  const model = new CDVAE(await getBackend({ prefer: "wasm" }), defaultConfig("perov_5"), 0);
  try {
    const sd = stateDictOf(readTorchFile(await exportModel(model), "export.pt").value);
    const shapes = (m: Map<string, { shape: readonly number[] }>) =>
      Object.fromEntries([...m].map(([k, t]) => [k, [...t.shape]]).sort());
    assertEquals(shapes(sd), shapes(reference));
    // The buffers are the reference's values, the seq_energy entries its layers' aliases.
    for (const k of ["decoder.gemnet.radial_basis.rbf.offset", "sigmas", "type_sigmas"]) {
      const [a, b] = [sd.get(k)!.data as Float32Array, reference.get(k)!.data];
      assert(a.every((v, i) => Math.abs(v - b[i]) <= 1e-6 * Math.abs(b[i]) + 1e-7), k);
    }
    for (const [k, t] of sd) {
      if (k.includes(".seq_energy.")) {
        assertEquals(t.data, sd.get(k.replace(".seq_energy.", ".layers."))!.data, k);
      }
    }
  } finally {
    model.dispose();
  }
});

Deno.test("encodeTorchStateDict() writes aligned, CRC-correct entries our reader reads back exactly", async () => {
  const model = new CDVAE(await getBackend({ prefer: "wasm" }), tinyConfig(), 3);
  try {
    const bytes = await exportModel(model);
    const zip = new ZipArchive(bytes, "tiny.pt");
    for (const name of zip.names()) {
      zip.read(name); // checks the CRC
      const e = zip.entries.get(name)!;
      const dv = new DataView(bytes.buffer, bytes.byteOffset);
      const start = e.localOffset + 30 + dv.getUint16(e.localOffset + 26, true) +
        dv.getUint16(e.localOffset + 28, true);
      assertEquals(start % 64, 0, `${name} data at ${start}`);
    }
    const ours = decodeSafetensors(await storeToSafetensors(model.store)).tensors;
    const sd = stateDictOf(readTorchFile(bytes, "tiny.pt").value);
    for (const [k, t] of ours) assertEquals(sd.get(k)!.data, t.data, k);
    assertEquals([...sd.keys()].slice(0, ours.size), [...model.store.entries.keys()], "registration order");
  } finally {
    model.dispose();
  }
});

Deno.test("convert-model --to pt gives back the reference checkpoint's state_dict", async () => {
  const ckpt = new URL("../../fixtures/torch/tiny_property/epoch=6-step=70.ckpt", import.meta.url).pathname;
  const dir = await Deno.makeTempDir({ prefix: "cdvae-topt-" });
  try {
    assertEquals((await quiet(() => main(["convert-model", ckpt, `${dir}/model`]))).value, 0);
    assertEquals(
      (await quiet(() => main(["convert-model", "--to", "pt", `${dir}/model`, `${dir}/out.pt`]))).value,
      0,
    );
    const original = stateDictOf(readTorchFile(await Deno.readFile(ckpt)).value);
    const back = stateDictOf(readTorchFile(await Deno.readFile(`${dir}/out.pt`)).value);
    assertEquals([...back.keys()], [...original.keys()]);
    for (const [k, t] of original) {
      assertEquals([back.get(k)!.shape, back.get(k)!.data], [t.shape, t.data], k);
    }
    const again = await quiet(() => main(["convert-model", "--to", "pt", `${dir}/model`, `${dir}/out.pt`]));
    assertEquals(again.value, 2, "an existing OUT.pt needs --force");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
