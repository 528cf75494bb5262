/**
 * The sampler's schedule options on toy scores whose answers are known (a point mass or a
 * Gaussian per coordinate in a large cubic cell): the matched step rule, the final denoising
 * step, the predictor step, early exit; and `--schedule` against explicit flags.
 */

import { assert, assertAlmostEquals, assertEquals } from "../_assert.ts";
import { HostRng } from "../../src/compute/host_rng.ts";
import {
  type DynamicsPlan,
  type HostState,
  runHostDynamics,
  type SamplerStats,
  type ScoreFn,
} from "../../src/model/host_dynamics.ts";
import {
  baseStepLr,
  decoderCalls,
  formatStepsByLevel,
  matchedStepFraction,
  parseStepsByLevel,
  varianceRatioAfter,
} from "../../src/model/schedules.ts";
import { levelPlan } from "../../src/model/sampler.ts";
import { noiseLevels } from "../../src/model/config.ts";
import fc from "fast-check";
import { langevinFlags, SAMPLING_OPTIONS } from "../../src/cli/generate.ts";
import { type Command, parseCommandArgs } from "../../src/cli/command.ts";

const CELL = 20, MU = 0.5; // atoms around the centre of a 20 Å cube, far from its faces

/** `atoms` one-atom crystals at `x0` (Cartesian offsets from the centre). */
function state(x0: number[]): HostState {
  const n = x0.length / 3;
  const lattices = new Float64Array(9 * n);
  for (let b = 0; b < n; b++) lattices.set([CELL, 0, 0, 0, CELL, 0, 0, 0, CELL], 9 * b);
  return {
    atomOffsets: Uint32Array.from({ length: n + 1 }, (_, i) => i),
    lattices,
    numbers: new Uint8Array(n).fill(6),
    frac: Float64Array.from(x0, (x) => MU + x / CELL),
  };
}

/** Offsets (Å) of the atoms from the centre. */
const offsets = (st: HostState) => Array.from(st.frac, (f) => (f - MU) * CELL);

/**
 * The exact score of data N(centre, τ²) per coordinate perturbed by σ: −(x − μ)/(τ² + σ²), returned
 * as the decoder's output (score·σ); τ = 0 is a point mass. Records the σ of each call.
 */
function gaussianScore(tau: number, seen: number[] = []): ScoreFn {
  return (st, sigma) => {
    seen.push(sigma);
    const x = offsets(st);
    return Promise.resolve({ scores: x.map((v) => -v / (tau * tau + sigma * sigma) * sigma) });
  };
}

const plan = (p: Partial<DynamicsPlan>): DynamicsPlan => ({
  sigmas: [1, 0.5],
  steps: 3,
  stepLr: 0.25 * 1e-4,
  sigmaLast: 0.01,
  ...p,
});
const rngs = (n: number, seed = 1) => Array.from({ length: n }, (_, b) => new HostRng(seed * 1000 + b));

function variance(xs: number[]): number {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length;
}

Deno.test("matched step rule: the chain's variance ends near σ², the reference's (a = 1) near 2σ²", async () => {
  // One level after a coarser one: start at variance γ²σ², T steps of a·σ² on a point mass's score.
  const sigma = 0.5, gamma = 2, steps = 30, atoms = 1500;
  const a = matchedStepFraction(gamma, steps);
  assertAlmostEquals(varianceRatioAfter(a, gamma, steps), 1, 0.06);
  assert(
    Math.abs(varianceRatioAfter(a, gamma, steps) - 1) < Math.abs(varianceRatioAfter(a / 2, gamma, steps) - 1),
  );
  assert(
    Math.abs(varianceRatioAfter(a, gamma, steps) - 1) < Math.abs(varianceRatioAfter(a * 2, gamma, steps) - 1),
  );
  const start = new HostRng(5);
  for (const [frac, expected] of [[a, varianceRatioAfter(a, gamma, steps)], [1, 2]]) {
    const st = state(Array.from({ length: 3 * atoms }, () => gamma * sigma * start.normal()));
    const p = plan({ sigmas: [sigma], steps, stepLr: frac * 0.01 ** 2 });
    await runHostDynamics(st, p, gaussianScore(0), rngs(st.numbers.length), 1);
    assertAlmostEquals(variance(offsets(st)) / sigma ** 2, expected, 0.08 * expected);
  }
  // baseStepLr: the reference rule keeps ε; the matched rule uses the levels' own spacing.
  const sigmas = [10, 1, 0.1, 0.01];
  assertEquals(baseStepLr("reference", 1e-4, sigmas, 0.01, 5), 1e-4);
  assertAlmostEquals(baseStepLr("matched", 1e-4, sigmas, 0.01, 5), matchedStepFraction(10, 5) * 1e-4, 1e-15);
});

Deno.test("final denoising step: Tweedie moves each sample to E[x₀ | x] of a known Gaussian", async () => {
  const tau = 0.3, sigmas = [2, 1];
  for (const denoise of [false, true]) {
    const st = state(Array.from({ length: 600 }, () => 0));
    st.frac.forEach((_, j) => st.frac[j] = MU + 2 * new HostRng(j).normal() / CELL);
    const trajectory: { frac: Float64Array; numbers: Uint8Array }[] = [];
    const stats: SamplerStats = { decoderCalls: 0 };
    await runHostDynamics(st, plan({ sigmas, denoise }), gaussianScore(tau), rngs(200), 1, {
      trajectory,
      stats,
    });
    assertEquals(stats.decoderCalls, 2 * 3 + (denoise ? 1 : 0));
    if (!denoise) continue;
    // E[x₀ | x] = μ + (x − μ)·τ²/(τ² + σ²) at the last σ, exactly, for every coordinate.
    const before = Array.from(trajectory[trajectory.length - 2].frac, (f) => (f - MU) * CELL);
    const shrink = tau ** 2 / (tau ** 2 + sigmas[1] ** 2);
    offsets(st).forEach((x, j) => assertAlmostEquals(x, before[j] * shrink, 1e-9));
    // So the samples' spread is the data's τ², not τ² + σ² (the mean stays μ).
    const v = variance(offsets(st));
    assert(v < 0.5 * variance(before), `variance ${v} not shrunk from ${variance(before)}`);
  }
  // On a point mass every sample lands on it.
  const st = state([0.7, -0.2, 0.4, 1.5, 0.1, -0.9]);
  await runHostDynamics(st, plan({ sigmas: [1, 0.5], denoise: true }), gaussianScore(0), rngs(2), 1);
  offsets(st).forEach((x) => assertAlmostEquals(x, 0, 1e-9));
});

Deno.test("predictor: x + (σ_prev² − σ²)·s(x, σ_prev) + √(σ_prev² − σ²)·z before each later level", async () => {
  const seen: number[] = [];
  const st = state([0.3, -0.1, 0.2]);
  const stats: SamplerStats = { decoderCalls: 0 };
  const trajectory: { frac: Float64Array; numbers: Uint8Array }[] = [];
  const p = plan({ sigmas: [1, 0.5, 0.25], steps: 2, predictor: true });
  await runHostDynamics(st, p, gaussianScore(0.4, seen), rngs(1, 3), 1, { stats, trajectory });
  assertEquals(seen, [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25]);
  assertEquals(stats.decoderCalls, 3 * 2 + 2);
  // Replay the first predictor step with the same stream: 3 normals per step, 2 steps drawn before it.
  const rng = rngs(1, 3)[0];
  for (let i = 0; i < 2 * 3; i++) rng.normal();
  const x = Array.from(trajectory[1].frac, (f) => (f - MU) * CELL);
  const d2 = 1 - 0.25, s = x.map((v) => -v / (0.16 + 1));
  const expected = x.map((v, j) => v + d2 * s[j] + Math.sqrt(d2) * rng.normal());
  Array.from(trajectory[2].frac, (f) => (f - MU) * CELL).forEach((v, j) =>
    assertAlmostEquals(v, expected[j], 1e-9)
  );
});

Deno.test("steps by level: each level runs its own count of steps, at its own σ", async () => {
  const seen: number[] = [];
  const stats: SamplerStats = { decoderCalls: 0 };
  const p = plan({ sigmas: [1, 0.5, 0.25], steps: [4, 1, 2], denoise: true });
  await runHostDynamics(state([0.3, -0.1, 0.2]), p, gaussianScore(0.4, seen), rngs(1), 1, { stats });
  assertEquals(seen, [1, 1, 1, 1, 0.5, 0.25, 0.25, 0.25]);
  assertEquals(stats.decoderCalls, 8);
  assertEquals(decoderCalls({ levels: 3, stepsPerLevel: 100, stepsByLevel: [4, 1, 2], denoise: true }), 8);
  // The same counts at every level are the plain schedule, draw for draw.
  const [a, b] = [state([0.3, -0.1, 0.2]), state([0.3, -0.1, 0.2])];
  await runHostDynamics(a, plan({ steps: [3, 3] }), gaussianScore(0.4), rngs(1), 1);
  await runHostDynamics(b, plan({ steps: 3 }), gaussianScore(0.4), rngs(1), 1);
  assertEquals(a.frac, b.frac);
});

Deno.test("noise scale: at the step σ² a factor 1/√2 leaves the spread σ on a point mass, 1 leaves √2·σ", async () => {
  const sigma = 0.5, atoms = 3000;
  for (const noiseScale of [Math.SQRT1_2, 1]) {
    const st = state(Array.from({ length: 3 * atoms }, () => 0.2));
    // stepLr = σ_L² makes the step σ² at every level: one step lands on the mass plus the noise.
    const p = plan({ sigmas: [sigma], steps: 1, stepLr: 0.01 ** 2, noiseScale });
    await runHostDynamics(st, p, gaussianScore(0), rngs(atoms), 1);
    const expected = 2 * sigma ** 2 * noiseScale ** 2;
    assertAlmostEquals(variance(offsets(st)), expected, 0.06 * expected);
  }
});

Deno.test("steps by level: LEVELSxSTEPS runs parse, print back and refuse malformed input", () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 60 }), (steps) => {
      assertEquals(parseStepsByLevel(formatStepsByLevel(steps)), steps);
    }),
  );
  assertEquals(parseStepsByLevel(" 2x3 , 1x10"), [3, 3, 10]);
  for (const bad of ["", "5", "0x3", "3x0", "2x3,", "2x3;1x1", "-1x2", "1001x1", "600x1,600x1"]) {
    let threw = false;
    try {
      parseStepsByLevel(bad);
    } catch (e) {
      threw = e instanceof RangeError;
    }
    assert(threw, `"${bad}" was accepted`);
  }
  // The levels kept follow the count of the list; min σ drops from the end with their steps.
  const sigmas = noiseLevels(10, 0.01, 50);
  const { sigmas: kept, steps } = levelPlan(sigmas, { stepsByLevel: [1, 2, 3, 4, 5], minSigma: 0.05 });
  assertEquals(kept, [sigmas[0], sigmas[12], sigmas[25], sigmas[37]]);
  assertEquals(steps, [1, 2, 3, 4, 5].slice(0, kept.length));
  let threw = false;
  try {
    levelPlan(sigmas, { stepsByLevel: [1, 2], levels: 3 });
  } catch (e) {
    threw = e instanceof RangeError;
  }
  assert(threw);
  // More levels than the model's: geometric between its first and last σ, steps as given.
  const fine = levelPlan(sigmas, { stepsByLevel: Array(99).fill(2) });
  assertEquals([fine.sigmas.length, fine.steps.length], [99, 99]);
  assertAlmostEquals(fine.sigmas[2], sigmas[1], 1e-12);
  assertAlmostEquals(fine.sigmas[98], sigmas[49], 1e-12);
  fine.sigmas.slice(1).forEach((s, k) =>
    assertAlmostEquals(s / fine.sigmas[k], sigmas[1] ** 0.5 / 10 ** 0.5, 1e-12)
  );
  let matched = "";
  try {
    baseStepLr("matched", 1e-4, [1, 0.1], 0.01, [2, 3]);
  } catch (e) {
    matched = (e as Error).message;
  }
  assert(matched.includes("same number of steps"), matched);
});

Deno.test("early exit: a level ends once the denoised positions stop moving, not before", async () => {
  // Point mass: x + σ²·s is the mass itself whatever x, so each level ends after its second step.
  const exits: SamplerStats = { decoderCalls: 0 };
  const p = plan({ sigmas: [1, 0.5, 0.25], steps: 10, settle: 1e-6, denoise: true });
  await runHostDynamics(state([0.3, -0.1, 0.2]), p, gaussianScore(0), rngs(1), 1, { stats: exits });
  assertEquals(exits.decoderCalls, 3 * 2 + 1);
  // A wide Gaussian: the denoised positions follow the noise and move by far more than 1e-6 Å.
  const runs: SamplerStats = { decoderCalls: 0 };
  await runHostDynamics(state([0.3, -0.1, 0.2]), p, gaussianScore(1), rngs(1), 1, { stats: runs });
  assertEquals(runs.decoderCalls, 3 * 10 + 1);
});

Deno.test("score-norm steps: ε = 2·(snr·‖z‖/‖s‖)² moves the atom by exactly that step", async () => {
  const st = state([0.3, -0.1, 0.2]), snr = 0.2;
  const trajectory: { frac: Float64Array; numbers: Uint8Array }[] = [];
  await runHostDynamics(st, plan({ sigmas: [1], steps: 1, snr }), gaussianScore(0.5), rngs(1, 7), 1, {
    trajectory,
  });
  const rng = rngs(1, 7)[0], z = [rng.normal(), rng.normal(), rng.normal()];
  const x = [0.3, -0.1, 0.2], s = x.map((v) => -v / (0.25 + 1));
  const eps = 2 * (snr * Math.hypot(...z) / Math.hypot(...s)) ** 2;
  offsets(st).forEach((v, j) => assertAlmostEquals(v, x[j] + eps * s[j] + Math.sqrt(2 * eps) * z[j], 1e-9));
});

Deno.test("`--schedule paper` is `--levels 50 --steps 100`; explicit flags override a schedule", () => {
  const cmd: Command = {
    name: "t",
    summary: "",
    usage: "",
    options: SAMPLING_OPTIONS,
    run: () => Promise.resolve(0),
  };
  const flags = (argv: string[]) => {
    const { schedule: _, ...rest } = langevinFlags(parseCommandArgs(cmd, argv));
    return rest;
  };
  assertEquals(flags(["--schedule", "paper"]), flags(["--levels", "50", "--steps", "100"]));
  assertEquals(flags([]), flags(["--schedule", "paper"]));
  assertEquals(flags(["--schedule", "short"]), flags(["--levels", "20", "--steps", "10"]));
  const fast = flags(["--schedule", "fast"]);
  assert(decoderCalls(fast) <= 500, `fast makes ${decoderCalls(fast)} decoder calls`);
  assertEquals(flags(["--schedule", "fast", "--steps", "3"]).stepsPerLevel, 3);
  assertEquals(flags(["--schedule", "fast", "--steps", "3"]).levels, fast.levels);
  assertEquals(flags(["--levels", "50", "--steps", "9", "--denoise"]).denoise, true);
  assertEquals(flags(["--noise-scale", "0.7"]).noiseScale, 0.7);
  assertEquals(flags([]).noiseScale, undefined);
  const tail = flags(["--schedule", "fast", "--level-steps", "40x5,10x25"]);
  assertEquals([tail.levels, tail.stepsByLevel?.length, tail.stepsByLevel?.[45]], [50, 50, 25]);
  assertEquals(decoderCalls(tail), 40 * 5 + 10 * 25 + 1);
  assertEquals(flags(["--level-steps", "2x3", "--levels", "2"]).stepsByLevel, [3, 3]);
  for (
    const [argv, says] of [
      [["--level-steps", "2x3", "--steps", "4"], "give one"],
      [["--level-steps", "2x3", "--levels", "5"], "has 2 levels"],
      [["--level-steps", "2x3", "--step-rule", "matched"], "same steps at every level"],
      [["--level-steps", "2x"], "LEVELSxSTEPS"],
    ] as [string[], string][]
  ) {
    let message = "";
    try {
      flags(argv);
    } catch (e) {
      message = (e as Error).message;
    }
    assert(message.includes(says), `${argv.join(" ")}: "${message}"`);
  }
  let threw = false;
  try {
    flags(["--schedule", "fastest"]);
  } catch (e) {
    threw = (e as Error).message.includes("Unknown --schedule");
  }
  assert(threw);
});
