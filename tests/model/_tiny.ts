/** A tiny CDVAE config and batch for fast model tests. */

import { type Backend, getBackend } from "../../src/compute/backend.ts";
import { train } from "../../src/train/trainer.ts";
import { type CDVAEConfig, PRESETS } from "../../src/model/config.ts";
import { CDVAE } from "../../src/model/cdvae.ts";
import { fitModelScalers, preprocessCrystals } from "../../src/data/preprocess.ts";
import type { CrystalRecord } from "../../src/data/preprocess.ts";
import { latticeFromParameters } from "../../src/crystal/lattice.ts";

/** The small preset shrunk further: every width 8–16, one block each. */
export function tinyConfig(): CDVAEConfig {
  const c = PRESETS.small("perov_5");
  c.latentDim = 8;
  c.hiddenDim = 16;
  c.encoder = {
    ...c.encoder,
    hiddenChannels: 8,
    numBlocks: 1,
    intEmbSize: 4,
    basisEmbSize: 4,
    outEmbChannels: 8,
    numSpherical: 3,
    numRadial: 3,
  };
  c.decoder = {
    ...c.decoder,
    embSizeAtom: 8,
    embSizeEdge: 8,
    numBlocks: 1,
    numSpherical: 3,
    numRadial: 6,
    embSizeTrip: 4,
    embSizeRbf: 4,
    embSizeCbf: 4,
    embSizeBilTrip: 4,
    maxNeighbors: 8,
  };
  return c;
}

/** Two small hand-made crystals (a perovskite-like cubic cell and a rock-salt-like pair). */
export function tinyRecords(): CrystalRecord[] {
  const cubic = latticeFromParameters({ a: 4, b: 4, c: 4, alpha: 90, beta: 90, gamma: 90 });
  const tri = latticeFromParameters({ a: 3.2, b: 3.5, c: 4.1, alpha: 80, beta: 95, gamma: 100 });
  return preprocessCrystals(
    [
      {
        lattice: cubic,
        frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0.5, 0.5, 0.5, 0, 0.5, 0, 0.5, 0, 0.5, 0.5]),
        numbers: new Uint8Array([38, 22, 8, 8, 8]),
      },
      {
        lattice: tri,
        frac: new Float64Array([0.1, 0.2, 0.3, 0.6, 0.7, 0.8]),
        numbers: new Uint8Array([11, 17]),
      },
    ],
    ["perov", "salt"],
    [1.5, 0.7],
  );
}

/**
 * A tiny model (scalers fitted on {@linkcode tinyRecords}) whose weights are redrawn as
 * U(±gain/√fanIn), so every path carries signal (several layers start at zero).
 */
export async function tinyModel(be: Backend, seed = 3, gain = 1): Promise<CDVAE> {
  const m = new CDVAE(be, { ...tinyConfig(), scalers: fitModelScalers(tinyRecords()) }, seed);
  let k = 1;
  for (const [name, e] of m.store.entries) {
    if (!e.tensor.requiresGrad || name.endsWith("freq")) continue;
    const fanIn = e.tensor.shape.length === 2 ? e.tensor.shape[0] : 4;
    const data = new Float32Array(e.tensor.size);
    let s = (seed * 7919 + k++) >>> 0;
    for (let i = 0; i < data.length; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      data[i] = ((s / 2 ** 32) * 2 - 1) * gain / Math.sqrt(fanIn);
    }
    be.write(e.tensor.buffer, data);
  }
  await m.store.trainable()[0].read();
  return m;
}

/** Trains the tiny model for one epoch on wasm into `outDir`: a model folder the CLI commands load. */
export async function trainTinyModelFolder(outDir: string): Promise<void> {
  const r = tinyRecords();
  await train({
    backend: await getBackend({ prefer: "wasm" }),
    config: { ...tinyConfig(), dataset: "perov_5" },
    data: { train: r, val: r, note: "tiny" },
    outDir,
    epochs: 1,
    batchSize: 2,
  });
}
