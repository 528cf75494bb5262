/**
 * GemNet-T's decoder graph and bases built on the device (`symmetricDecoderGraph` +
 * `GemNetT.inputsOnDevice`) against the host's `buildDecoderGraph` + `GemNetT.prepare` of the same
 * neighbour table: identical edges, reverse map, offsets and triplet slots; bases and directions
 * within f32 rounding; the decoder's scores and type logits equal to f32 noise. On the reference
 * and wasm backends and, where an adapter exists, WebGPU.
 */

import fc from "fast-check";
import { assertAllClose, assertEquals } from "../_assert.ts";
import { arbitraryCrystal, PROPERTY_SEED } from "../_arbitrary.ts";
import { ignore } from "../_gpu.ts";
import { tinyConfig } from "./_tiny.ts";
import { type Backend, getBackend } from "../../src/compute/backend.ts";
import { Tensor } from "../../src/compute/tensor.ts";
import { CDVAE } from "../../src/model/cdvae.ts";
import { decoderGraphOnDevice, decoderGraphResident, uploadBatch } from "../../src/model/decoder_graph.ts";
import { type HostCrystals, packHost } from "../../src/model/graphs.ts";
import { buildDecoderGraph } from "../../src/nn/gemnet_graph.ts";
import type { GemNetInputs } from "../../src/nn/gemnet.ts";

const CUTOFF = 7;

const backends: Backend[] = [
  await getBackend({ prefer: "reference" }),
  await getBackend({ prefer: "wasm" }),
  ...(ignore ? [] : [await getBackend({ prefer: "webgpu" })]),
];

async function deviceInputs(model: CDVAE, h: HostCrystals, k: number) {
  const batch = uploadBatch(model.backend, h);
  const graph = await decoderGraphResident(batch, { cutoff: CUTOFF, maxNeighbors: k });
  return { inputs: model.decoder.inputsOnDevice(graph, batch.crystal), batch };
}

async function hostInputs(model: CDVAE, h: HostCrystals, k: number): Promise<GemNetInputs> {
  // The same table (the kernel is deterministic), compacted and re-symmetrised on the host.
  const g = await decoderGraphOnDevice(model.backend, h, { cutoff: CUTOFF, maxNeighbors: k });
  return model.decoder.prepare(buildDecoderGraph(g));
}

const batches = fc.array(arbitraryCrystal({ maxAtoms: 10, rotate: true, maxZ: 100 }), {
  minLength: 1,
  maxLength: 4,
});

for (const be of backends) {
  Deno.test(`device decoder inputs on ${be.name} equal the host's on random crystals`, async () => {
    const model = new CDVAE(be, tinyConfig(), 3);
    try {
      await fc.assert(
        fc.asyncProperty(batches, fc.constantFrom(6, 12, 20), async (crystals, k) => {
          const h = packHost(crystals);
          const dev = await deviceInputs(model, h, k);
          const host = await hostInputs(model, h, k);
          try {
            const [d, w] = [dev.inputs, host];
            assertEquals(d.kmax, w.kmax, "kmax");
            for (const name of ["sources", "targets", "targetOffsets", "idSwap", "tripletEdges"] as const) {
              assertEquals([...await d[name].read()], [...await w[name].read()], name);
            }
            if (w.sources.size === 0) return;
            for (const name of ["rbf", "cbf", "directions"] as const) {
              assertAllClose(await d[name].read(), await w[name].read(), { atol: 2e-5, rtol: 2e-5 }, name);
            }
            const z = Tensor.from(
              be,
              Float32Array.from({ length: 8 * crystals.length }, (_, i) => Math.sin(i)),
              [
                crystals.length,
                8,
              ],
            );
            const types = Tensor.from(be, Uint32Array.from(h.numbers, (n) => n - 1));
            const [od, ow] = [model.decoder.forward(z, d, types), model.decoder.forward(z, w, types)];
            assertAllClose(
              await od.scores.read(),
              await ow.scores.read(),
              { atol: 1e-3, rtol: 1e-3 },
              "scores",
            );
            assertAllClose(
              await od.typeLogits.read(),
              await ow.typeLogits.read(),
              { atol: 1e-3, rtol: 1e-3 },
              "type logits",
            );
            [z, types, od.scores, od.typeLogits, ow.scores, ow.typeLogits].forEach((x) => x.dispose());
          } finally {
            dev.inputs.dispose();
            dev.batch.dispose();
            host.dispose();
          }
        }),
        { seed: PROPERTY_SEED, numRuns: be.name === "reference" ? 40 : 25 },
      );
    } finally {
      model.dispose();
    }
  });
}

Deno.test("decoderGraphResident() of atoms out of each other's reach has no edges", async () => {
  const be = backends[0];
  const far = packHost([{
    lattice: new Float64Array([9, 0, 0, 0, 9, 0, 0, 0, 9]),
    frac: new Float64Array([0, 0, 0]),
    numbers: new Uint8Array([6]),
  }]);
  const batch = uploadBatch(be, far);
  const g = await decoderGraphResident(batch, { cutoff: CUTOFF, maxNeighbors: 12 });
  assertEquals([g.numEdges, g.kmax], [0, 1]);
  assertEquals([...await g.targetOffsets.read()], [0, 0]);
  g.dispose();
  batch.dispose();
});
