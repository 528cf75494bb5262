/**
 * The per-crystal encoder-input cache: joined parts equal the batch built afresh (bit for bit),
 * and the objective, its gradients and the validation loss are unchanged by it.
 */

import { assert, assertEquals } from "../_assert.ts";
import { getBackend } from "../../src/compute/backend.ts";
import { HostRng } from "../../src/compute/host_rng.ts";
import { Tape, zeroGrad } from "../../src/compute/tape.ts";
import { cdvaeObjective } from "../../src/model/losses.ts";
import { encoderGraph, packHost } from "../../src/model/graphs.ts";
import { encoderHostInputs } from "../../src/nn/dimenet_graph.ts";
import { EncoderInputCache } from "../../src/train/encoder_cache.ts";
import { makeBatch } from "../../src/train/batch.ts";
import { validate } from "../../src/train/trainer.ts";
import { tinyModel, tinyRecords } from "../model/_tiny.ts";
import type { CrystalRecord } from "../../src/data/preprocess.ts";

const be = await getBackend({ prefer: "wasm" });

/** Six records: the two tiny crystals, a shifted copy of each and both again (distinct objects). */
function records(): CrystalRecord[] {
  const r = tinyRecords();
  const shifted = r.map((x) => ({ ...x, id: `${x.id}-s`, frac: x.frac.map((f) => (f + 0.13) % 1) }));
  return [...r, ...shifted, ...r.map((x) => ({ ...x, id: `${x.id}-2` }))];
}

Deno.test("EncoderInputCache: joined per-crystal parts equal the batch's inputs built afresh", async (t) => {
  const model = await tinyModel(be);
  for (const graph of ["crystalnn", "radius"] as const) {
    await t.step(graph, () => {
      model.config.encoder.graph = graph;
      const recs = records();
      const cache = new EncoderInputCache(model);
      const host = packHost(recs.map((r) => ({ lattice: r.lattice, frac: r.frac, numbers: r.numbers })));
      const fresh = encoderHostInputs(encoderGraph(host, model.config.encoder), model.encoder.cfg);
      assert(fresh.cosTheta.length > 0, "the batch has triplets");
      assertEquals(cache.batch(recs), fresh);
      assertEquals(cache.stats, { built: 6, reused: 0 });
      // Another order reuses every part.
      const order = [5, 0, 3, 1, 4, 2].map((i) => recs[i]);
      const host2 = packHost(order.map((r) => ({ lattice: r.lattice, frac: r.frac, numbers: r.numbers })));
      assertEquals(
        cache.batch(order),
        encoderHostInputs(encoderGraph(host2, model.config.encoder), model.encoder.cfg),
      );
      assertEquals(cache.stats, { built: 6, reused: 6 });
    });
  }
  model.dispose();
});

Deno.test("EncoderInputCache: past its byte bound it builds parts without keeping them", async () => {
  const model = await tinyModel(be);
  const recs = records();
  const cache = new EncoderInputCache(model, 1);
  cache.batch(recs);
  cache.batch(recs);
  assertEquals(cache.bytes, 0);
  assertEquals(cache.stats, { built: 12, reused: 0 });
  model.dispose();
});

Deno.test("the objective, its gradients and the validation loss are the same with the cache", async () => {
  const model = await tinyModel(be);
  const recs = records();
  const cache = new EncoderInputCache(model);
  cache.batch(recs); // warm: the second use joins kept parts
  const params = model.store.trainable();
  const run = async (withCache: boolean) => {
    const tape = new Tape();
    try {
      const batch = makeBatch(model, recs, withCache ? cache : undefined);
      const r = await cdvaeObjective(model, batch, tape, { teacherForcing: true, rng: new HostRng(9) });
      tape.backward(r.total);
      const grads = await Promise.all(params.map((p) => p.grad?.read()));
      return { loss: await r.total.item(), grads };
    } finally {
      tape.dispose();
      zeroGrad(params);
    }
  };
  const [a, b] = [await run(false), await run(true)];
  assert(a.grads.filter((g) => g).length > 10, "gradients were computed");
  assertEquals(a.loss, b.loss);
  assertEquals(a.grads, b.grads);
  const v0 = await validate(model, recs, 4, new HostRng(1));
  const v1 = await validate(model, recs, 4, new HostRng(1), cache);
  assertEquals(v0, v1);
  model.dispose();
});
