/**
 * The training objective: each loss term recomputed by hand from the network outputs it was
 * built from; gradients of the total against finite differences; a batch can be overfitted.
 */

import { assert, assertAlmostEquals, assertEquals } from "../_assert.ts";
import { getBackend } from "../../src/compute/backend.ts";
import { HostRng } from "../../src/compute/host_rng.ts";
import { Tape, zeroGrad } from "../../src/compute/tape.ts";
import { Adam } from "../../src/compute/adam.ts";
import { cdvaeObjective, LOSS_TERMS, type StepNoise } from "../../src/model/losses.ts";
import { makeBatch } from "../../src/train/batch.ts";
import { minImageDisplacementMany } from "../../src/core/geometry.ts";
import { latticeTarget, scaleRow } from "../../src/data/preprocess.ts";
import { tinyModel, tinyRecords } from "./_tiny.ts";
import { ignore } from "../_gpu.ts";

const ref = await getBackend({ prefer: "reference" });

function logSumExp(xs: ArrayLike<number>, off: number, n: number): number {
  let m = -Infinity;
  for (let i = 0; i < n; i++) m = Math.max(m, xs[off + i]);
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.exp(xs[off + i] - m);
  return m + Math.log(s);
}

Deno.test("every loss term equals its definition recomputed from the outputs (2-crystal batch)", async () => {
  const model = await tinyModel(ref);
  const recs = tinyRecords();
  const batch = makeBatch(model, recs);
  const tape = new Tape();
  const r = await cdvaeObjective(model, batch, tape, { teacherForcing: true, rng: new HostRng(5) });
  const c = model.config, T = c.numTypes, B = 2;
  const counts = [5, 2], offs = [0, 5, 7];
  const nLogits = await r.heads.numAtoms.read();
  const natom = counts.reduce(
    (s, n, b) =>
      s + logSumExp(nLogits, b * (c.maxAtoms + 1), c.maxAtoms + 1) - nLogits[b * (c.maxAtoms + 1) + n],
    0,
  ) / B;
  assertAlmostEquals(await r.terms.num_atom_loss.item(), natom, 1e-4);

  const lat = await r.heads.lattice.read();
  let lsum = 0;
  recs.forEach((rec, b) =>
    scaleRow(c.scalers.lattice, latticeTarget(rec)).forEach((t, k) => lsum += (lat[6 * b + k] - t) ** 2)
  );
  assertAlmostEquals(await r.terms.lattice_loss.item(), lsum / 12, 1e-3 * Math.max(1, lsum / 12));

  const comp = await r.heads.composition.read(), tl = await r.typeLogits.read(), sc = await r.scores.read();
  const numbers = batch.host.numbers;
  const dmin = minImageDisplacementMany(
    batch.host.lattices,
    r.noisyFrac,
    batch.host.frac,
    batch.host.atomOffsets,
  );
  let compL = 0, typeL = 0, coordL = 0;
  for (let b = 0; b < B; b++) {
    const sigma = model.sigmas[r.noise.levels[b]], tsig = model.typeSigmas[r.noise.typeLevels[b]];
    let cb = 0, tb = 0, xb = 0;
    for (let i = offs[b]; i < offs[b + 1]; i++) {
      const t = numbers[i] - 1;
      cb += logSumExp(comp, i * T, T) - comp[i * T + t];
      tb += (logSumExp(tl, i * T, T) - tl[i * T + t]) / tsig;
      for (let k = 0; k < 3; k++) xb += 0.5 * (dmin[3 * i + k] / sigma - sc[3 * i + k]) ** 2;
    }
    const n = counts[b];
    compL += cb / n / B;
    typeL += tb / n / B;
    coordL += xb / n / B;
  }
  assertAlmostEquals(await r.terms.composition_loss.item(), compL, 1e-4 * Math.max(1, compL));
  assertAlmostEquals(await r.terms.type_loss.item(), typeL, 1e-4 * Math.max(1, typeL));
  assertAlmostEquals(await r.terms.coord_loss.item(), coordL, 1e-4 * Math.max(1, coordL));

  const mu = await r.mu.read(), lv = await r.logVar.read();
  let kl = 0;
  for (let i = 0; i < mu.length; i++) kl += -0.5 * (1 + lv[i] - mu[i] ** 2 - Math.exp(lv[i]));
  assertAlmostEquals(await r.terms.kld_loss.item(), kl / B, 1e-4 * Math.max(1, kl / B));

  const w = { ...c.cost, kld: c.beta };
  const total = w.natom * natom + w.lattice * (await r.terms.lattice_loss.item()) + w.composition * compL +
    w.coord * coordL + w.type * typeL + w.kld * kl / B + w.property * (await r.terms.property_loss.item());
  assertAlmostEquals(await r.total.item(), total, 1e-4 * total);
  assertAlmostEquals(await r.validation.item(), 10 * coordL + typeL, 1e-4 * (10 * coordL + typeL));
  tape.dispose();
  model.dispose();
});

Deno.test("noisy types are the true ones or drawn from the composition; levels are in range", async () => {
  const model = await tinyModel(ref);
  const tape = new Tape();
  const r = await cdvaeObjective(model, makeBatch(model, tinyRecords()), tape, {
    teacherForcing: true,
    rng: new HostRng(9),
  });
  assertEquals(r.noise.noisyTypes.length, 7);
  assert(r.noise.noisyTypes.every((z) => z >= 1 && z <= 100));
  assert([...r.noise.levels, ...r.noise.typeLevels].every((l) => l < 50));
  assert(r.noisyFrac.every((f) => f >= 0 && f < 1));
  tape.dispose();
  model.dispose();
});

async function totalWith(model: Awaited<ReturnType<typeof tinyModel>>, noise: StepNoise): Promise<number> {
  const tape = new Tape();
  const r = await cdvaeObjective(model, makeBatch(model, tinyRecords()), tape, {
    teacherForcing: true,
    rng: new HostRng(0),
    inject: noise,
  });
  const v = await r.total.item();
  tape.dispose();
  return v;
}

Deno.test("gradients of the full objective match finite differences (tiny model, reference backend)", async () => {
  const model = await tinyModel(ref);
  const tape = new Tape();
  const r0 = await cdvaeObjective(model, makeBatch(model, tinyRecords()), tape, {
    teacherForcing: true,
    rng: new HostRng(2),
  });
  // Small σ make the coordinate term stiff; use mid-range levels for a well-conditioned check.
  const noise: StepNoise = {
    ...r0.noise,
    levels: new Uint32Array([20, 25]),
    typeLevels: new Uint32Array([10, 30]),
  };
  tape.dispose();
  const t2 = new Tape();
  const r = await cdvaeObjective(model, makeBatch(model, tinyRecords()), t2, {
    teacherForcing: true,
    rng: new HostRng(0),
    inject: noise,
  });
  t2.backward(r.total);
  const names = [
    "fc_mu.weight",
    "fc_lattice.0.weight",
    "fc_composition.2.bias",
    "encoder.emb.lin.weight",
    "decoder.fc_atom.weight",
  ];
  const checked: string[] = [];
  for (const name of names) {
    const e = model.store.entries.get(name);
    if (!e) continue;
    const p = e.tensor, g = (await p.grad!.read()) as Float32Array, data = (await p.read()) as Float32Array;
    // The largest-gradient entry of each tensor, so the difference is well above f32 noise.
    let j = 0;
    for (let i = 1; i < g.length; i++) if (Math.abs(g[i]) > Math.abs(g[j])) j = i;
    const h = 1e-2 * Math.max(1, Math.abs(data[j]));
    const plus = data.slice(), minus = data.slice();
    plus[j] += h;
    minus[j] -= h;
    ref.write(p.buffer, plus);
    const fp = await totalWith(model, noise);
    ref.write(p.buffer, minus);
    const fm = await totalWith(model, noise);
    ref.write(p.buffer, data);
    const fd = (fp - fm) / (2 * h);
    assert(
      Math.abs(fd - g[j]) <= 2e-2 * Math.abs(g[j]) + 1e-3,
      `${name}[${j}]: tape ${g[j]}, finite difference ${fd}`,
    );
    checked.push(name);
  }
  assertEquals(
    checked.length,
    names.length,
    `parameters missing: ${names.filter((n) => !checked.includes(n))}`,
  );
  t2.dispose();
  zeroGrad(model.store.trainable());
  model.dispose();
});

Deno.test("a few Adam steps on one batch with fixed draws drive every trained loss term down", async () => {
  const model = await tinyModel(await getBackend({ prefer: "wasm" }), 4);
  const params = model.store.trainable();
  const opt = new Adam(params, { lr: 3e-3, clip: 0.5 });
  const batch = makeBatch(model, tinyRecords());
  let noise: StepNoise | undefined;
  const history: Record<string, number>[] = [];
  for (let s = 0; s < 60; s++) {
    const tape = new Tape();
    const r = await cdvaeObjective(model, batch, tape, {
      teacherForcing: true,
      rng: new HostRng(1),
      inject: noise,
    });
    noise ??= { ...r.noise, levels: new Uint32Array([15, 15]) };
    tape.backward(r.total);
    opt.step();
    const row: Record<string, number> = { total: await r.total.item() };
    for (const t of LOSS_TERMS) row[t] = await r.terms[t].item();
    history.push(row);
    tape.dispose();
    zeroGrad(params);
  }
  const [first, last] = [history[1], history[history.length - 1]];
  assert(last.total < 0.5 * first.total, `total ${first.total} → ${last.total}`);
  for (const t of ["num_atom_loss", "composition_loss", "type_loss", "lattice_loss"]) {
    assert(last[t] < first[t], `${t} ${first[t]} → ${last[t]}`);
  }
  opt.dispose();
  model.dispose();
});

Deno.test({
  name: "the objective and its gradients agree on WebGPU, wasm and the reference backend",
  ignore,
  fn: async () => {
    const results: { total: number; terms: number[]; grad: Float32Array }[] = [];
    const first = await tinyModel(ref, 8), t0 = new Tape();
    const r0 = await cdvaeObjective(first, makeBatch(first, tinyRecords()), t0, {
      teacherForcing: true,
      rng: new HostRng(3),
    });
    const noise: StepNoise = { ...r0.noise, levels: new Uint32Array([20, 25]) };
    t0.dispose();
    first.dispose();
    for (const be of [ref, await getBackend({ prefer: "wasm" }), await getBackend({ prefer: "webgpu" })]) {
      const model = await tinyModel(be, 8);
      const tape = new Tape();
      const r = await cdvaeObjective(model, makeBatch(model, tinyRecords()), tape, {
        teacherForcing: true,
        rng: new HostRng(3),
        inject: noise,
      });
      tape.backward(r.total);
      const terms = [];
      for (const t of LOSS_TERMS) terms.push(await r.terms[t].item());
      results.push({
        total: await r.total.item(),
        terms,
        grad: (await model.store.get("fc_mu.weight").grad!.read()) as Float32Array,
      });
      tape.dispose();
      model.dispose();
    }
    const [a, ...rest] = results;
    for (const b of rest) {
      assert(Math.abs(a.total - b.total) <= 1e-4 * Math.abs(a.total), `total ${a.total} vs ${b.total}`);
      a.terms.forEach((t, i) =>
        assert(
          Math.abs(t - b.terms[i]) <= 1e-4 * Math.max(1, Math.abs(t)),
          `${LOSS_TERMS[i]}: ${t} vs ${b.terms[i]}`,
        )
      );
      const scale = Math.max(...a.grad.map(Math.abs));
      a.grad.forEach((g, i) =>
        assert(Math.abs(g - b.grad[i]) <= 1e-3 * scale, `grad[${i}] ${g} vs ${b.grad[i]}`)
      );
    }
  },
});
