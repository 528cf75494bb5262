/**
 * Composition metrics per structure: the SMACT validity check and the Magpie fingerprint, on the
 * distinct compositions of the three test splits (tests/fixtures/composition_smact.json), beside
 * SMACT 2.2.1 / matminer 0.8.0 as CDVAE calls them.
 *
 *   deno bench -A bench/composition_bench.ts     # Deno.bench table (ours only)
 *   deno run -A bench/composition_bench.ts       # side by side with Python, plus an agreement check
 *
 * The side-by-side run calls `bench/composition_compare.py` with $PYTHON (default
 * /work/pyenv-metrics/bin/python, the environment of tools/requirements-metrics.txt). Both sides
 * time the same first N compositions (N = $N, default 3000, MP-20 first), one crystal at a time; our
 * SMACT check runs with its per-composition cache off (each structure computed afresh, as CDVAE
 * does) and on. The agreement check covers every composition.
 *
 * @module
 */

import { smactCheck } from "../src/eval/smact.ts";
import { magpieFingerprint, magpieFingerprintScaled } from "../src/eval/magpie.ts";

type Pairs = [number, number][];
const fixture = JSON.parse(
  await Deno.readTextFile(new URL("../tests/fixtures/composition_smact.json", import.meta.url)),
) as { datasets: Record<string, { compositions: [Pairs, number, boolean | null][] }> };

/** Distinct compositions, MP-20 first (the most varied), then Perov-5 and Carbon-24. */
const COMPOSITIONS: Pairs[] = ["mp_20", "perov_5", "carbon_24"].flatMap((name) =>
  fixture.datasets[name]?.compositions.map((c) => c[0]) ?? []
);
/** One atom list per composition, element order as in the fixture. */
const ATOMS: Uint8Array[] = COMPOSITIONS.map((pairs) =>
  Uint8Array.from(pairs.flatMap(([z, c]) => new Array<number>(c).fill(z)))
);
const BENCH_N = 1000;

if (!import.meta.main) {
  const subset = ATOMS.slice(0, BENCH_N);
  const group = `${BENCH_N} MP-20 test compositions`;
  Deno.bench("smactCheck, no cache", { group, baseline: true }, () => {
    for (const a of subset) smactCheck(a, { cache: false });
  });
  Deno.bench("smactCheck, cached", { group }, () => {
    for (const a of subset) smactCheck(a);
  });
  Deno.bench("magpieFingerprint (raw)", { group }, () => {
    for (const a of subset) magpieFingerprint(a);
  });
  Deno.bench("magpieFingerprintScaled", { group }, () => {
    for (const a of subset) magpieFingerprintScaled(a);
  });
}

/** Median over `reps` passes of `fn` over `items`, in seconds per item. */
function perItem(items: Uint8Array[], fn: (a: Uint8Array) => unknown, reps = 5): number {
  for (const a of items.slice(0, 50)) fn(a);
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    for (const a of items) fn(a);
    times.push((performance.now() - t0) / 1000 / items.length);
  }
  return times.sort((a, b) => a - b)[reps >> 1];
}

async function sideBySide() {
  const n = Math.min(Number(Deno.env.get("N") ?? 3000), ATOMS.length);
  const python = Deno.env.get("PYTHON") ?? "/work/pyenv-metrics/bin/python";
  const dir = await Deno.makeTempDir();
  const inPath = `${dir}/in.json`, outPath = `${dir}/out.json`;
  await Deno.writeTextFile(inPath, JSON.stringify({ compositions: COMPOSITIONS, timed: n }));
  const script = new URL("./composition_compare.py", import.meta.url).pathname;
  const proc = await new Deno.Command(python, { args: [script, inPath, outPath], stderr: "inherit" })
    .output();
  if (!proc.success) throw new Error(`Cannot run "${python} ${script}": exit code ${proc.code}`);
  const py = JSON.parse(await Deno.readTextFile(outPath));
  await Deno.remove(dir, { recursive: true });

  const items = ATOMS.slice(0, n);
  const ours = {
    smactCold: perItem(items, (a) => smactCheck(a, { cache: false })),
    smactCached: perItem(items, (a) => smactCheck(a)),
    magpie: perItem(items, magpieFingerprint),
    magpieScaled: perItem(items, magpieFingerprintScaled),
  };
  const t = py.timing;
  const us = (s: number) => `${(s * 1e6).toFixed(2)} µs`;
  const rows: [string, number, number][] = [
    ["SMACT validity (ours: no cache)", ours.smactCold, t.smact_s / t.n],
    ["SMACT validity (ours: cached, 2nd+ pass)", ours.smactCached, t.smact_s / t.n],
    ["Magpie fingerprint, raw 132", ours.magpie, t.magpie_s / t.n],
    ["Magpie fingerprint + CompScaler", ours.magpieScaled, t.magpie_scaled_s / t.n],
  ];
  console.log(`${n} compositions timed (of ${ATOMS.length}); Python: ${JSON.stringify(py.versions)}\n`);
  console.log("| per structure | ours (Deno) | reference (Python) | speed-up |");
  console.log("| --- | --- | --- | --- |");
  for (const [name, a, b] of rows) console.log(`| ${name} | ${us(a)} | ${us(b)} | ${(b / a).toFixed(0)}× |`);

  // Agreement on every composition.
  let smactMismatch = 0, maxDiff = 0, nanMismatch = 0;
  ATOMS.forEach((a, i) => {
    const ref = py.smact[i];
    if (smactCheck(a).valid !== (ref === null ? false : ref)) smactMismatch++;
    const fp = magpieFingerprint(a);
    (py.magpie[i] as (number | null)[]).forEach((v, k) => {
      if (v === null) nanMismatch += Number.isNaN(fp[k]) ? 0 : 1;
      else if (Number.isNaN(fp[k])) nanMismatch++;
      else maxDiff = Math.max(maxDiff, Math.abs(fp[k] - v));
    });
  });
  console.log(
    `\nAgreement over ${ATOMS.length} compositions: SMACT mismatches ${smactMismatch}; Magpie NaN mismatches ` +
      `${nanMismatch}, max |Δ| ${maxDiff.toExponential(2)}`,
  );
}

if (import.meta.main) await sideBySide();
