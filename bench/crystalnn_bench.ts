/**
 * CrystalNN throughput on the fixture's 64 Perov-5 / Carbon-24 / MP-20 test crystals
 * (tests/fixtures/crystalnn.json). The fixture header records how fast matminer's
 * `CrystalNNFingerprint.from_preset("ops")` (CDVAE's mean over sites) and pymatgen's encoder-setting
 * `CrystalNN.get_nn_info` ran on the same crystals (tools/make_crystalnn_fixtures.py).
 *
 * `deno bench -A bench/crystalnn_bench.ts` gives one group: the fingerprint of all crystals in one
 * batch call (the baseline), one call per crystal, and the encoder neighbours in one call.
 * `deno run -A bench/crystalnn_bench.ts` prints crystals per second (best of 10 runs after warm-up)
 * beside the fixture's Python figures.
 *
 * @module
 */

import type { Crystal } from "../src/crystal/crystal.ts";
import { CDVAE_ENCODER_CRYSTALNN } from "../src/model/config.ts";
import {
  crystalNNFingerprint,
  crystalNNFingerprintMany,
  crystalNNNeighborsMany,
} from "../src/core/crystalnn.ts";

interface FixtureCrystal {
  kind: string;
  lattice: number[];
  frac: number[];
  numbers: number[];
}

const fixture = JSON.parse(
  await Deno.readTextFile(new URL("../tests/fixtures/crystalnn.json", import.meta.url)),
) as {
  header: {
    matminer_crystals_per_second: number;
    pymatgen_encoder_crystals_per_second: number;
    versions: Record<string, string>;
  };
  crystals: FixtureCrystal[];
};

const crystals: Crystal[] = fixture.crystals.filter((c) => c.kind !== "hand").map((c) => ({
  lattice: new Float64Array(c.lattice),
  frac: new Float64Array(c.frac),
  numbers: new Uint8Array(c.numbers),
}));

function best(fn: () => void): number {
  for (const start = performance.now(); performance.now() - start < 1000;) fn();
  let ms = Infinity;
  for (let r = 0; r < 10; r++) {
    const t0 = performance.now();
    fn();
    ms = Math.min(ms, performance.now() - t0);
  }
  return ms;
}

if (import.meta.main && !Deno.args.includes("--bench")) {
  const h = fixture.header;
  const rows: [string, number, number][] = [
    [
      "fingerprint (mean over sites)",
      best(() => crystalNNFingerprintMany(crystals)),
      h.matminer_crystals_per_second,
    ],
    [
      "encoder neighbours",
      best(() => crystalNNNeighborsMany(crystals, CDVAE_ENCODER_CRYSTALNN)),
      h.pymatgen_encoder_crystals_per_second,
    ],
  ];
  for (const [what, ms, py] of rows) {
    const ours = crystals.length / (ms / 1000);
    console.log(
      `${crystals.length} crystals, ${what}: cdvae ${ours.toFixed(0)} crystals/s (best ${
        ms.toFixed(1)
      } ms), ` +
        `Python ${
          py.toFixed(2)
        } crystals/s (fixture header, matminer ${h.versions.matminer}, pymatgen ${h.versions.pymatgen}): ${
          (ours / py).toFixed(0)
        }×`,
    );
  }
}

Deno.bench({
  name: "crystalNNFingerprintMany(): fixture dataset crystals, one call",
  group: "crystalnn",
  baseline: true,
  fn: () => {
    crystalNNFingerprintMany(crystals);
  },
});

Deno.bench({
  name: "crystalNNFingerprint(): one call per crystal",
  group: "crystalnn",
  fn: () => {
    for (const c of crystals) crystalNNFingerprint(c);
  },
});

Deno.bench({
  name: "crystalNNNeighborsMany(): encoder settings, one call",
  group: "crystalnn",
  fn: () => {
    crystalNNNeighborsMany(crystals, CDVAE_ENCODER_CRYSTALNN);
  },
});
