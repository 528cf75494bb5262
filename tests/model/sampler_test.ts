/** The Langevin sampler on a tiny random model: deterministic, inside the cell, finite. */

import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { getBackend } from "../../src/compute/backend.ts";
import { HostRng } from "../../src/compute/host_rng.ts";
import { langevin, priorLatents, sampleComposition } from "../../src/model/sampler.ts";
import { tinyModel } from "./_tiny.ts";

const be = await getBackend({ prefer: "wasm" });

Deno.test("Langevin sampling is deterministic for a seed, stays in [0, 1) and finite", async () => {
  const model = await tinyModel(be, 5);
  const z = priorLatents(3, model.config.latentDim, 1);
  const opts = { seed: 4, stepsPerLevel: 2, minSigma: 0.5, numAtoms: [5, 2, 3] };
  const a = await langevin(model, z, { ...opts, trajectory: true });
  const b = await langevin(model, z, opts);
  assertEquals(a.crystals.length, 3);
  assertEquals(a.crystals.map((c) => c.numbers.length), [5, 2, 3]);
  for (let i = 0; i < 3; i++) {
    assertEquals(a.crystals[i].frac, b.crystals[i].frac);
    assertEquals(a.crystals[i].numbers, b.crystals[i].numbers);
    assert(a.crystals[i].frac.every((f) => f >= 0 && f < 1 && Number.isFinite(f)));
    assert(a.crystals[i].lattice.every(Number.isFinite));
    assert(a.crystals[i].numbers.every((n) => n >= 1 && n <= 100));
  }
  // 50 levels from 10 to 0.01: those ≥ 0.5 are the first 22, two steps each.
  assertEquals(a.trajectory!.length, 2 * [...model.sigmas].filter((s) => s >= 0.5).length);
  const c = await langevin(model, z, { ...opts, seed: 5 });
  assert(c.crystals.some((x, i) => x.frac.some((f, k) => f !== a.crystals[i].frac[k])));
  model.dispose();
});

Deno.test("predicted atom counts of 0 are sampled with one atom and reported", async () => {
  const model = await tinyModel(be, 6);
  const r = await langevin(model, priorLatents(2, model.config.latentDim, 2), {
    seed: 1,
    stepsPerLevel: 1,
    minSigma: 5,
    numAtoms: [0, 2],
  });
  assertEquals(r.crystals[0].numbers.length, 1);
  assert(r.crystals[0].problem?.includes("0 atoms"));
  assertEquals(r.crystals[1].problem, undefined);
  model.dispose();
});

Deno.test("given atom types are kept through the dynamics (the reference's force_atom_types)", async () => {
  const model = await tinyModel(be, 6);
  const z = priorLatents(2, model.config.latentDim, 3);
  const types = [38, 22, 8, 8, 8, 11, 17];
  const opts = { seed: 1, stepsPerLevel: 2, minSigma: 1, numAtoms: [5, 2], atomTypes: types };
  const r = await langevin(model, z, { ...opts, trajectory: true });
  assertEquals(r.crystals.map((c) => Array.from(c.numbers)), [types.slice(0, 5), types.slice(5)]);
  assert(r.trajectory!.every((t) => t.numbers.every((n, i) => n === types[i])));
  // Without them the same run draws and updates its own types.
  const free = await langevin(model, z, { ...opts, atomTypes: undefined });
  assert(free.crystals.some((c, b) => c.numbers.some((n, i) => n !== types[(b ? 5 : 0) + i])));
  await assertRejects(
    () => langevin(model, z, { ...opts, atomTypes: types.slice(1) }),
    RangeError,
    /^Cannot keep 6 given atom types: .*\(7 atoms\)$/,
  );
  await assertRejects(
    () => langevin(model, z, { ...opts, numAtoms: undefined }),
    RangeError,
    /need the atom counts/,
  );
  await assertRejects(() => langevin(model, z, { ...opts, resident: true }), Error, /host loop only/);
  model.dispose();
});

Deno.test("sampleComposition: exact counts where p·N is whole, N atoms always", () => {
  const p = new Float64Array(100);
  p[37] = 0.2, p[21] = 0.2, p[7] = 0.6; // Sr Ti O3
  const types = sampleComposition(p, 5, new HostRng(1)).sort((a, b) => a - b);
  assertEquals(types, [8, 8, 8, 22, 38]);
  const q = new Float64Array(100).fill(0.01);
  for (let n = 1; n <= 20; n++) assertEquals(sampleComposition(q, n, new HostRng(n)).length, n);
});

Deno.test("a shorter schedule: `levels` picks evenly spaced σ from the first to the last", async () => {
  const model = await tinyModel(be, 7);
  const r = await langevin(model, priorLatents(1, model.config.latentDim, 3), {
    seed: 2,
    stepsPerLevel: 2,
    levels: 5,
    numAtoms: [2],
    trajectory: true,
  });
  assertEquals(r.trajectory!.length, 10);
  model.dispose();
});
