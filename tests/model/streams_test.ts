/**
 * Per-crystal random streams: a generated crystal depends on the seed and its index in the run,
 * not on its batch, the batch size or the count asked for (what `generate --shard` relies on), on
 * the host loop and the resident loop (wasm, and WebGPU where an adapter exists).
 */

import { assert, assertEquals } from "../_assert.ts";
import { type Backend, getBackend } from "../../src/compute/backend.ts";
import { ignore } from "../_gpu.ts";
import { crystalSeed, priorLatents, STREAM } from "../../src/model/streams.ts";
import type { GeneratedCrystal } from "../../src/model/sampler.ts";
import { tinyModel } from "./_tiny.ts";

const wasm = await getBackend({ prefer: "wasm" });

function assertSameCrystals(a: GeneratedCrystal[], b: GeneratedCrystal[], what: string) {
  assertEquals(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) {
    assertEquals(a[i].lattice, b[i].lattice, `${what}: lattice of crystal ${i}`);
    assertEquals(a[i].numbers, b[i].numbers, `${what}: types of crystal ${i}`);
    assertEquals(a[i].frac, b[i].frac, `${what}: coordinates of crystal ${i}`);
  }
}

Deno.test("crystalSeed() gives every index of a run its own stream, per seed and purpose", () => {
  const seen = new Set<number>();
  for (let i = 0; i < 5000; i++) seen.add(crystalSeed(3, i, STREAM.dynamics));
  assertEquals(seen.size, 5000);
  assert(crystalSeed(3, 0, STREAM.dynamics) !== crystalSeed(4, 0, STREAM.dynamics));
  assert(crystalSeed(3, 0, STREAM.dynamics) !== crystalSeed(3, 0, STREAM.latent));
});

Deno.test("priorLatents(): rows follow the index, so a range is a slice of the whole", () => {
  const all = priorLatents(7, 5, 11);
  assertEquals(priorLatents(3, 5, 11, 4), all.slice(20, 35));
  assertEquals(priorLatents(2, 5, 11), all.slice(0, 10));
  assert(priorLatents(2, 5, 12).some((v, i) => v !== all[i]));
});

const loops: [Backend, boolean][] = [
  [wasm, false],
  [wasm, true],
  ...(ignore ? [] : [[await getBackend({ prefer: "webgpu" }), true] as [Backend, boolean]]),
];
for (const [be, resident] of loops) {
  const loop = `${be.name}, ${resident ? "resident" : "host"} loop`;
  Deno.test(`generate() (${loop}): the same crystals whatever the batches and ranges`, async () => {
    const model = await tinyModel(be, 5);
    const opts = { seed: 7, stepsPerLevel: 2, levels: 4, resident };
    try {
      const whole = await model.generate({ ...opts, n: 5, batchSize: 5 });
      assert(new Set(whole.map((c) => c.frac[0])).size === 5, "five distinct crystals");
      assertSameCrystals(await model.generate({ ...opts, n: 5, batchSize: 2 }), whole, "batches of 2");
      const parts = [
        ...await model.generate({ ...opts, n: 2, batchSize: 3 }),
        ...await model.generate({ ...opts, n: 3, firstIndex: 2, batchSize: 1 }),
      ];
      assertSameCrystals(parts, whole, "indices 0–1 and 2–4");
      const other = await model.generate({ ...opts, n: 5, seed: 8 });
      assert(other.some((c, i) => c.frac.some((f, k) => f !== whole[i].frac[k])), "another seed");
    } finally {
      model.dispose();
    }
  });
}
